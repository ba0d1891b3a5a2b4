"""The report of a run: `html` (report.html: one self-contained page, Jinja2, no remote
assets; `views` makes the page's view of the run), `terminal` (the summary printed at the end),
`job_summary` (summary.md for a CI job page), `documentation` (what the documentation says of
a failure) and `charts`.

May import target/, judging/ and results/; never the run.
"""

from conformance.report.html import render, write_html

__all__ = ["render", "write_html"]
