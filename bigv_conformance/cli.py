"""`bigv-conformance`: one command, with the subcommands of design.md section 3.

This module only dispatches: `run`, `sweep` and `compare` belong to the suite (`conformance`),
`emulator` to the reference emulator (`emulator`). Each is imported when it is chosen, so
the two packages stay apart.
"""

from __future__ import annotations

import sys

import click

from bigv_conformance import __version__


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when they are used."""

    _commands = {
        "run": ("conformance.cli", "main", "Run the conformance suite against a target."),
        "sweep": ("conformance.cli", "sweep", "Remove what killed runs left behind."),
        "compare": ("conformance.cli", "compare", "Compare two runs: worse, better, covered."),
        "emulator": ("emulator.cli", "main", "Serve the reference emulator of the BigV API."),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._commands)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in self._commands:
            return None
        module_name, attribute, _ = self._commands[name]
        module = __import__(module_name, fromlist=[attribute])
        return getattr(module, attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the subcommands from their one-line help, without importing them."""
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(self._commands.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bigv-conformance")
def cli() -> None:
    """Conformance suite and reference emulator for the BigV virtual-machine API."""


def main(args: list[str] | None = None) -> None:
    """Entry point: a usage error is one line on stderr and exit status 2."""
    try:
        cli.main(args=args, prog_name="bigv-conformance", standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "bigv-conformance"
        click.echo(f"{command}: error: {error.format_message()}", err=True)
        sys.exit(2)
    except click.ClickException as error:
        click.echo(f"bigv-conformance: error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except click.Abort:
        click.echo("bigv-conformance: aborted", err=True)
        sys.exit(130)
