"""The kinds of fault, by what they change: what an answer looks like (responses.py), what
the target does (behaviour.py), what it takes in (inputs.py), and the harmless variations a
conforming target may show (harmless.py); common.py holds what they read of the spec.
`tests/faults/faults.py` is the one place the catalogue takes them from."""
