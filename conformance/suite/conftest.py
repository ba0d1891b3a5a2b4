"""The suite runs with the conformance plugin (loaded by the runner with -p)."""
