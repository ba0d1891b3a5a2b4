"""Target and transport: where a run goes and how every request gets there.

`configuration` (flags over `BIGV_*` over a target file: one frozen `Target`), `tls` (the
TLS settings checked and explained), `discovery` (what the user left open, learnt from the
target), `embedded` (the reference emulator started as a process when no URL is given),
`client` (sessions, credentials, one recorded exchange), `transport` (rate limit, retries,
the request timeout), `redaction` (credentials out of everything recorded), `deadline` (the
run's bounded time) and `context` (the target and what was learnt about it, for the checks).

Imports nothing else of conformance: every other stage may import it.
"""
