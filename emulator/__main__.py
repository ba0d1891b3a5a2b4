"""`python -m emulator`: the same command as `bigv-conformance emulator`."""

from emulator.cli import main

if __name__ == "__main__":
    main(prog_name="python -m emulator")
