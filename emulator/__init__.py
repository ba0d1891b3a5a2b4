"""The reference emulator of the BigV API: model (rules), store (SQLite) and HTTP layers.

Run it with `bigv-conformance emulator` or `python -m emulator`; embed it with
`emulator.server.start(config)`. It shares only `spec/` with the conformance suite.
"""
