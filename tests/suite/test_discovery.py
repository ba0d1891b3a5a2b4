"""What a run learns about a target the user gave only a URL for: its account (the first
`GET /accounts` lists, as the official client picks it) and whether the reference emulator's
user, tried when no credentials are given, is accepted. A stub target on loopback answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conformance.target import discovery
from conformance.target.configuration import load_target
from tests.suite.test_cli import assert_one_line_error, run_cli


class Stub(BaseHTTPRequestHandler):
    """GET /definitions answers []; GET /accounts answers what the server's `accounts` says
    (a status and a body)."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        status, body = (200, []) if self.path == "/definitions" else self.server.accounts
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *arguments) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.accounts = (200, [])
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


def test_a_url_alone_tries_the_emulators_user_and_the_first_account(stub):
    stub.accounts = (200, [{"id": 5, "name": "acme"}, {"id": 6, "name": "other"}])
    target = load_target({"url": stub.url}, {})
    assert target.default_credentials and target.user == "alice" and target.account is None
    completed, said = discovery.complete(target)
    assert completed.account == "acme"
    assert any("alice" in line for line in said) and any("acme" in line for line in said)
    assert stub.seen[-1][0] == "/accounts" and stub.seen[-1][1].startswith("Basic ")


def test_given_credentials_and_account_are_used_as_they_are(stub):
    target = load_target({"url": stub.url, "account": "mine", "token": "t"}, {})
    assert discovery.complete(target) == (target, [])
    assert stub.seen == []  # nothing to learn, nothing asked


def test_refused_default_credentials_say_which_flags_to_give(stub):
    stub.accounts = (401, {})
    with pytest.raises(discovery.DiscoveryError, match="give --user and --password, or --token"):
        discovery.complete(load_target({"url": stub.url}, {}))


def test_no_account_to_learn_says_give_account(stub):
    target = load_target({"url": stub.url, "user": "u", "password": "p"}, {})
    with pytest.raises(discovery.DiscoveryError, match="give --account"):
        discovery.complete(target)


def test_the_run_says_it_in_one_line_and_exits_2(stub):
    stub.accounts = (401, {})
    assert_one_line_error(run_cli("run", "--target", stub.url), "refuses the reference emulator")
    stub.accounts = (200, [])
    result = run_cli("run", "--target", stub.url, "--user", "u", "--password", "p")
    assert_one_line_error(result, "give --account")
