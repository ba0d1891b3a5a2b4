"""The conformance suite's tests, run by `bigv-conformance run` (not collected by the project's tests)."""
