"""`python -m bigv_conformance` is `bigv-conformance`."""

from bigv_conformance.cli import main

main()
