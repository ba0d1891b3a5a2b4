"""The conformance suite's tests, run by `bigv-conformance run` (not by the project's tests).

May import target/, judging/ and run/ (the scenarios' helpers).
"""
