"""The conformance suite, grouped by the way a run's data flows (ARCHITECTURE.md):

- `target/`: where the run goes and how it gets there (configuration, TLS, discovery, the
  embedded emulator, the client, its transport, redaction, the deadline);
- `run/`: the pytest run (the runner, its plugin, the run's state, pools, provisioning,
  safety and sweep, the scenarios' helpers) with the tests themselves in `suite/`;
- `judging/`: what a response must be and how much a failure weighs;
- `results/`: what the run observed (recording), the summary, coverage, expectations and the
  comparison with a baseline run;
- `report/`: the HTML page, the terminal summary and summary.md.

`cli.py` is the entry (`bigv-conformance run|sweep|compare`). Which stage may import which is
checked by tests/suite/test_boundaries.py.
"""
