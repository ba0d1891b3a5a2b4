"""Command line: bind, print the base URL, serve until SIGTERM or SIGINT."""

import argparse
import re
import signal
import sys
import threading

from .seed import seed
from .server import Server
from .store import State

DOMAIN_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag on one stderr line and exits 2."""

    def error(self, message: str):
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"invalid port: {text!r}")
    return int(text)


def _delay(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"invalid delay: {text!r}")
    return value


def _domain(text: str) -> str:
    if not DOMAIN_RE.fullmatch(text) or len(text) > 200:
        raise argparse.ArgumentTypeError(f"invalid cluster domain: {text!r}")
    return text


def main(argv: list[str] | None = None) -> int:
    """Parse flags, bind, print the base URL, serve until SIGTERM/SIGINT."""
    parser = Parser(prog="python -m tests.cleanroom", description="Clean-room BigV API server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=_port, default=0)
    parser.add_argument("--provision-delay", type=_delay, default=1.0)
    parser.add_argument("--cluster-domain", type=_domain, default="uk0.bigv.io")
    args = parser.parse_args(argv)
    state = seed(State(args.cluster_domain, args.provision_delay))
    try:
        server = Server((args.host, args.port), state)
    except (OSError, OverflowError) as err:
        sys.stderr.write(f"cannot listen on {args.host}:{args.port}: {err}\n")
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(server.base_url(), flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
