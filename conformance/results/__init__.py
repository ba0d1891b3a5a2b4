"""What a run observed and what it comes to.

`recording` (each test's observations and coverage tally, in the test processes; gathered by
its `Collector` in the controlling one), `summary` (the verdict, problems and silent points;
summary.json and junit.xml), `coverage` (pure: the contract coverage), `expectations`
(accepted deviations of a target) and `baseline` (the comparison with a baseline run).

May import target/ and judging/; never the run.
"""
