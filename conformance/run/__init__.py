"""The pytest run: the runner starts pytest on conformance/suite/ with `plugin` in every
process.

`runner` (the controlling process: pytest, workers, interruption, the reports written),
`plugin` (pytest hooks and fixtures), `state` (the run's state per process: the probe of the
target, cleanup), `pool` (the objects generated requests address), `provisioning` (the
scenarios' machines created ahead), `safety` (names, ledger, budget), `sweep` (leftovers
removed by prefix), `schemas` (schemathesis' schemas and configuration), `api` and
`scenario` (what scenarios call and wait with) and `progress` (the bar and the heartbeat).

May import target/, judging/, results/ and report/: it drives them all.
"""
