"""`bigv-conformance emulator` (and `python -m emulator`): serve the reference emulator.

The first line printed is the URL the emulator is bound to, flushed at once; the second (on
stderr) says what was seeded and which divergences are on. Bad flags (an unknown divergence
id among them), a bad seed file or a database that cannot be used: one line on stderr, exit
status 2. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import gc
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from emulator import config as defaults


class _Stop(BaseException):
    """Raised by the signal handlers to leave serve_forever. Not an Exception: the server
    catches every Exception met while handing a new connection to its thread, and a signal
    arriving just then must still stop it."""


def _stop(_signum: int, _frame: Any) -> None:
    raise _Stop


def _fail(message: str) -> None:
    click.echo(f"bigv-conformance emulator: error: {message}", err=True)
    sys.exit(2)


@click.command(name="emulator", context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default=defaults.DEFAULT_HOST, show_default=True, help="Address to bind.")
# The flags, a table written as code: one option a flag, alike by design.
@click.option(
    "--port", type=click.IntRange(0, 65535), default=defaults.DEFAULT_PORT, show_default=True,
    help="Port to bind; 0 picks a free one (the URL is the first line printed).",
)  # fmt: skip
@click.option(
    "--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="SQLite database file (kept across restarts). Default: in memory.",
)  # fmt: skip
@click.option(
    "--cluster-domain", default=None,
    help=f"Domain of hostnames. Default: {defaults.DEFAULT_CLUSTER_DOMAIN} "
    "(divergent.example with --divergent or --diverge cluster-domain).",
)  # fmt: skip
@click.option(
    "--account", default=defaults.DEFAULT_ACCOUNT, show_default=True, help="Seeded account."
)
@click.option("--user", default=defaults.DEFAULT_USER, show_default=True, help="Seeded user.")
@click.option(
    "--password", default=defaults.DEFAULT_PASSWORD, show_default=True, help="Its password."
)
@click.option(
    "--api-key", default=None, help="Accept `Authorization: Bearer apikey.KEY` for the user."
)
@click.option(
    "--require-otp", is_flag=True, help="Demand a Yubikey OTP (X-Yubikey-Otp) with HTTP Basic."
)
@click.option(
    "--provision-delay", type=click.FloatRange(min=0), default=defaults.DEFAULT_PROVISION_DELAY,
    show_default=True, help="Seconds that creation and reimage take.",
)  # fmt: skip
@click.option(
    "--seed-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="YAML or JSON file of more accounts, groups, users and machines.",
)  # fmt: skip
@click.option(
    "--address-pool", "address_pools", multiple=True, metavar="CIDR",
    help="Management addresses (repeatable). Default: the documentation ranges.",
)  # fmt: skip
@click.option(
    "--divergent", is_flag=True,
    help="Divergent mode: take the other side of every entry of the silence register "
    "(spec/register.yaml) that has a `divergent:` behaviour.",
)  # fmt: skip
@click.option(
    "--diverge", "diverge", multiple=True, metavar="ID",
    help="Turn on the divergent behaviour of one register entry, by its id (repeatable).",
)  # fmt: skip
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Serve HTTPS with this certificate (PEM, chain first); needs --tls-key.",
)  # fmt: skip
@click.option(
    "--tls-key", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="The private key (PEM) of --tls-cert.",
)  # fmt: skip
@click.option(
    "--tls-client-ca", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Require a client certificate signed by a CA of this file (mutual TLS).",
)  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log every request on stderr.")
def main(
    host: str,
    port: int,
    db: Path | None,
    cluster_domain: str,
    account: str,
    user: str,
    password: str,
    api_key: str | None,
    require_otp: bool,
    provision_delay: float,
    seed_file: Path | None,
    address_pools: tuple[str, ...],
    divergent: bool,
    diverge: tuple[str, ...],
    tls_cert: Path | None,
    tls_key: Path | None,
    tls_client_ca: Path | None,
    verbose: bool,
) -> None:
    """Serve the reference emulator of the BigV API."""
    from emulator import divergent as divergences
    from emulator.config import EmulatorConfig
    from emulator.seed import SeedError
    from emulator.server import create
    from emulator.store import StoreError

    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    try:
        chosen = set(diverge) | (divergences.register_ids() if divergent else set())
        config = EmulatorConfig(
            host=host, port=port, db=db, cluster_domain=cluster_domain, account=account,
            user=user, password=password, api_key=api_key, require_otp=require_otp,
            provision_delay=provision_delay, seed_file=seed_file,
            address_pools=address_pools or defaults.DEFAULT_ADDRESS_POOLS,
            divergences=frozenset(chosen), tls_cert=tls_cert, tls_key=tls_key,
            tls_client_ca=tls_client_ca,
        )  # fmt: skip
        emulator = create(config)
    except (ValueError, SeedError, StoreError) as error:
        _fail(str(error))
        return
    except OSError as error:
        _fail(f"cannot listen on {host}:{port}: {error.strerror or error}")
        return
    gc.collect()
    gc.freeze()  # the seeded state lives as long as the process: keep it out of GC passes
    click.echo(emulator.url)
    sys.stdout.flush()
    on = len(config.divergences)
    click.echo(
        f"account {config.account!r} (group 'default'), user {config.user!r}; "
        f"database {config.db or 'in memory'}; "
        f"divergences: {f'{on} on' if on else 'none'}; Ctrl-C or SIGTERM stops",
        err=True,
    )
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        emulator.serve_forever()
    except (_Stop, KeyboardInterrupt):
        pass
    finally:
        emulator.stop()
