"""bigv-conformance: the command-line entry point over the suite and the emulator."""

__version__ = "0.1.0"
