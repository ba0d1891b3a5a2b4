"""`python -m emulator`: the same command as `bigv-conformance emulator`; a usage error is
one line on stderr and exit status 2."""

import sys

import click

from emulator.cli import main

if __name__ == "__main__":
    try:
        main.main(prog_name="python -m emulator", standalone_mode=False)
    except click.UsageError as error:
        click.echo(f"python -m emulator: error: {error.format_message()}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        sys.exit(130)
