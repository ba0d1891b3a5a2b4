"""`bigv-conformance run` (the main job) and `bigv-conformance sweep`, with the flags of
design.md section 3."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from typing import Any

import click
from rich.console import Console

from conformance.report.terminal import print_summary
from conformance.results.coverage import shortfall
from conformance.target.client import OtpCommandFailed
from conformance.target.configuration import ConfigError, load_target

USAGE = 2


def fail(message: str) -> None:
    """One clear line on stderr, exit 2."""
    click.echo(f"bigv-conformance: error: {message}", err=True)
    sys.exit(USAGE)


def target_options(command: Callable) -> Callable:
    """The flags that say what to test and how to log in (shared by run and sweep)."""
    options = [
        click.option("--target", "url", metavar="URL", help="Base URL of the API."),
        click.option("--target-file", type=click.Path(dir_okay=False), help="A target file."),
        click.option("--account", help="Account id or name (default: from the target)."),
        click.option("--group", help="Group id or name (default: default)."),
        click.option(
            "--cluster-domain",
            help="What hostnames end in (default: learnt from the target; a domain other "
            "than the URL's host is noted, not failed).",
        ),
        click.option("--user", help="User for HTTP Basic authentication."),
        click.option("--password", help="Password for HTTP Basic authentication."),
        click.option("--otp", help="Value of X-Yubikey-Otp on every request."),
        click.option("--otp-command", metavar="CMD", help="Prints a fresh OTP per request."),
        click.option("--token", help="Bearer token (a session token or apikey.<key>)."),
        click.option(
            "--credentials-file",
            type=click.Path(dir_okay=False),
            help="TOML with user, password, otp, otp_command or token (mode 0600).",
        ),
        click.option(
            "--ca-bundle",
            metavar="FILE",
            help="CA certificates (PEM) that verify the target's TLS certificate "
            "(default: REQUESTS_CA_BUNDLE, else the system's).",
        ),
        click.option(
            "--insecure",
            is_flag=True,
            default=None,
            help="Do not verify the target's TLS certificate (every report says so).",
        ),
        click.option(
            "--client-cert", metavar="FILE", help="Client certificate (PEM) for mutual TLS."
        ),
        click.option(
            "--client-key", metavar="FILE", help="Its private key (PEM), if not in --client-cert."
        ),
        click.option(
            "--rate-limit",
            type=click.FloatRange(min=0, min_open=True),
            help="Requests per second at most.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _stop_on_sigterm() -> None:
    """SIGTERM stops the run like Ctrl-C does: tests end, cleanup runs."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@target_options
@click.option(
    "--profile",
    type=click.Choice(["full", "read-only", "smoke"]),
    help="What to run (default: full).",
)
@click.option("--max-examples", type=click.IntRange(min=1), help="Examples per operation.")
@click.option("--seed", type=click.IntRange(min=0), help="Seed for reproducible generation.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Parallel pytest workers (default: one per core, at most 2).",
)
@click.option("--report-dir", type=click.Path(file_okay=False), help="Default: reports/.")
@click.option("--expectations", type=click.Path(dir_okay=False), help="Known deviations (TOML).")
@click.option(
    "--baseline",
    type=click.Path(),
    help="An earlier summary.json (or its report directory): fail only on new problems.",
)
@click.option("--max-vms", type=click.IntRange(min=1), help="Machines alive at once at most.")
@click.option(
    "--deadline",
    metavar="DURATION",
    help="How long the run may take, e.g. 45m, 90s, 2h or none (default: 30m); past it, "
    "what has not run is reported as not run and the reports are marked incomplete.",
)
@click.option(
    "--min-coverage",
    metavar="PCT",
    help="Fail (exit 1) when the contract coverage is below PCT percent.",
)
def main(**flags: Any) -> None:
    """Run the conformance suite against a BigV endpoint and write the reports.

    With no --target it starts the reference emulator and tests that. Exit status: 0
    conformant, 1 not conformant, 2 usage error or unreachable target.
    """
    from conformance.run import runner

    try:
        target = load_target(flags)
    except ConfigError as error:
        fail(str(error))
    console = Console()
    _stop_on_sigterm()
    try:
        outcome = runner.run(target, console)
    except (runner.RunError, OtpCommandFailed) as error:
        fail(str(error))
    except KeyboardInterrupt:
        click.echo("bigv-conformance: interrupted; what the run created was purged", err=True)
        sys.exit(130)
    if outcome.summary is None:
        fail("the suite could not run (pytest usage or internal error)")
    print_summary(console, outcome.summary, outcome.report_dir)
    short = shortfall(outcome.summary.coverage)
    if short:
        click.echo(f"bigv-conformance: {short}", err=True)
    sys.exit(outcome.code)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@target_options
@click.option("--prefix", default="bvc", show_default=True, help="Name prefix of run objects.")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
def sweep(prefix: str, dry_run: bool, **flags: Any) -> None:
    """Remove machines and groups that killed runs left behind (by name prefix).

    Exit status: 0 when everything found was removed, 1 when something could not be, 2 for a
    usage error or a target that cannot be reached.
    """
    from conformance.run.sweep import SweepError
    from conformance.run.sweep import sweep as run_sweep
    from conformance.target import discovery

    try:
        target = load_target(flags)
    except ConfigError as error:
        fail(str(error))
    if target.embedded:
        fail("sweep needs --target (the embedded emulator starts empty)")
    try:
        target, said = discovery.complete(target)
        for line in said:
            click.echo(line, err=True)
        problems = run_sweep(target, prefix, dry_run, click.echo)
    except (SweepError, OtpCommandFailed, discovery.DiscoveryError) as error:
        fail(str(error))
    sys.exit(1 if problems else 0)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
def compare(old: str, new: str) -> None:
    """Compare two runs (summary.json files or report directories): what got worse, what got
    better, what is newly covered.

    Exit status: 1 when NEW has a required problem OLD does not (a regression), 0 otherwise,
    2 when a summary cannot be read or is of another layout.
    """
    from conformance.results import baseline as comparing

    try:
        comparison = comparing.compare(comparing.load(old), comparing.load(new), str(old), str(new))
    except comparing.CompareError as error:
        fail(str(error))
    for line in comparing.lines(comparison):
        click.echo(line)
    sys.exit(1 if comparison.regressions else 0)
