"""The fault catalogue's entries, a module by the capability their faults break
(`tests/faults/catalogue.py` assembles them)."""
