"""Judging: what a response must be, and how much a failure weighs.

`checks` (the registry of the suite's own checks), `verdict` (every response judged by them
and by schemathesis' built-ins), `register` (the silence register of spec/register.yaml:
which points rest on an inference or are left open by the record), `tiers` (the spec's
schemas as the documentation states them, with our inferences, and in full), `classify`
(the basis of one failure: stated, inferred or silent), `predictions` (spec.lifecycle as
the checks and scenarios use it, telling the rules.yaml rows it used to a listener) and
`violations` (invalid values for each documented constraint).

May import target/ only: nothing of the run or of its recording (the recording listens to
`predictions`; the run sets `target.context`).
"""
