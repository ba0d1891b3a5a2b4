"""Safe against a real cloud: runs leave nothing behind, read-only sends only GET, killed runs
are swept, signals clean up, the machine cap holds, secrets files are guarded, 429/503 retried."""

from __future__ import annotations

import dataclasses
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conformance.target import transport
from conformance.target.client import new_session
from conformance.target.configuration import load_target, worker_count
from tests.suite.conftest import CREDENTIALS

pytestmark = pytest.mark.slow


def cli(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "bigv_conformance", *arguments]


def run_command(url: str, report_dir: Path, *arguments: str, seed: str = "5") -> list[str]:
    """`bigv-conformance run` against `url` with the emulator's credentials."""
    return cli(
        "run",
        "--target",
        url,
        *CREDENTIALS,
        "--seed",
        seed,
        "--report-dir",
        str(report_dir),
        *arguments,
    )


def run(emulator, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        run_command(emulator.url, tmp_path, *arguments),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_a_full_run_leaves_the_account_exactly_as_it_was(emulator, tmp_path):
    before = emulator.snapshot()
    result = run(emulator, tmp_path, "--max-examples", "3")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert emulator.snapshot() == before
    created = [json.loads(line) for line in (tmp_path / "ledger.jsonl").read_text().splitlines()]
    assert created, "the ledger records what the run created"


def test_the_read_only_profile_sends_only_get(emulator, tmp_path):
    before = emulator.snapshot()
    result = run(emulator, tmp_path, "--profile", "read-only")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    methods = {method for method, _, _ in emulator.requests()}
    assert methods == {"GET"}, methods
    assert len(emulator.requests()) > 50
    assert emulator.snapshot() == before


def test_the_machine_cap_holds(emulator, tmp_path):
    result = run(emulator, tmp_path, "--max-examples", "2", "--max-vms", "3")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    alive = peak = 0
    for method, path, status in emulator.requests():
        created = method == "POST" and path.endswith(("/virtual_machines", "/vm_create"))
        if created and status == 202:
            alive += 1
        elif method == "DELETE" and "purge=true" in path and status == 204:
            alive -= 1
        peak = max(peak, alive)
    assert 0 < peak <= 3, peak


def _start_and_wait_for_machines(emulator, tmp_path, signals: int = 0) -> subprocess.Popen:
    """A run that has created machines (some made while the tests are collected) and, with
    `signals`, sent that many signals to them (tests are running)."""
    # started as the run below is started: each test waits for another sign of progress
    process = subprocess.Popen(
        run_command(emulator.url, tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        served = emulator.requests()
        creates = [r for r in served if r[0] == "POST" and r[2] == 202]
        sent = [r for r in served if r[0] == "POST" and r[1].endswith("/signal")]
        if len(creates) >= 15 and len(sent) >= signals:
            return process
        time.sleep(0.2)
    process.kill()
    pytest.fail("the run never created machines")


def test_a_killed_run_is_swept_clean(emulator, tmp_path):
    before = emulator.snapshot()
    process = _start_and_wait_for_machines(emulator, tmp_path)
    process.kill()
    process.wait()
    assert emulator.snapshot() != before, "the killed run left machines behind"
    swept = subprocess.run(
        cli("sweep", "--target", emulator.url, *CREDENTIALS),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "removed virtual machine bvc" in swept.stdout
    assert emulator.snapshot() == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_cleans_up_and_reports_what_ran_as_incomplete(
    emulator, tmp_path, signum
):
    before = emulator.snapshot()
    process = _start_and_wait_for_machines(emulator, tmp_path, signals=5)
    process.send_signal(signum)
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 130, errors
    assert "Traceback" not in errors
    assert emulator.snapshot() == before
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "INCOMPLETE" and summary["complete"] is False
    assert summary["conformant"] is False
    assert summary["incomplete"]["reason"] == signal.Signals(signum).name
    assert summary["incomplete"]["tests"], "the tests the signal cut short are listed"
    assert summary["score"]["required"]["passed"] > 0, "what ran before the signal is judged"
    assert "Incomplete: it was interrupted" in (tmp_path / "report.html").read_text()
    assert "The run is incomplete" in (tmp_path / "summary.md").read_text()
    assert 'name="complete"' in (tmp_path / "junit.xml").read_text()


def test_a_credentials_file_must_be_private(tmp_path):
    path = tmp_path / "credentials.toml"
    path.write_text('user = "alice"\npassword = "secret"\n')
    path.chmod(0o644)
    result = subprocess.run(
        cli(
            "run",
            "--target",
            "http://127.0.0.1:9",
            "--account",
            "a",
            "--credentials-file",
            str(path),
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "mode 0600" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    path.chmod(0o600)
    target = load_target(
        {"url": "http://127.0.0.1:9", "account": "a", "credentials_file": str(path)}, environ={}
    )
    assert (target.user, target.password) == ("alice", "secret")


class FlakyHandler(http.server.BaseHTTPRequestHandler):
    """Answers 503 (or 429) with Retry-After until `failures` run out, then 200."""

    protocol_version = "HTTP/1.1"
    failures = 0
    status = 503

    def do_GET(self):
        cls = type(self)
        if cls.failures > 0:
            cls.failures -= 1
            self.send_response(cls.status)
            self.send_header("Retry-After", "0")
            body = b"busy"
        else:
            self.send_response(200)
            self.send_header("Set-Cookie", "seen=1; Path=/")
            body = b"{}"
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.mark.parametrize("status", [429, 503])
def test_busy_answers_are_retried_and_counted(flaky, status):
    FlakyHandler.failures, FlakyHandler.status = 2, status
    session = new_session(load_target({"url": "http://x", "account": "a", "token": "t"}, {}))
    before = transport.retried().get(str(status), 0)
    reply = session.get(f"http://127.0.0.1:{flaky.server_address[1]}/", timeout=10)
    assert reply.status_code == 200
    assert transport.retried()[str(status)] - before == 2


def test_a_persistent_failure_is_not_hidden(flaky):
    FlakyHandler.failures, FlakyHandler.status = 100, 503
    session = new_session(load_target({"url": "http://x", "account": "a", "token": "t"}, {}))
    reply = session.get(f"http://127.0.0.1:{flaky.server_address[1]}/", timeout=10)
    assert reply.status_code == 503
    assert FlakyHandler.failures == 100 - 1 - transport.MAX_RETRIES


def test_the_probe_session_never_keeps_a_cookie(flaky):
    FlakyHandler.failures = 0
    target = load_target({"url": "http://x", "account": "a", "token": "t"}, {})
    url = f"http://127.0.0.1:{flaky.server_address[1]}/"
    kept, probe = new_session(target), new_session(target, cookies=False)
    assert kept.get(url, timeout=10).status_code == probe.get(url, timeout=10).status_code == 200
    assert len(kept.cookies) == 1, "the run's own session keeps cookies as any client does"
    assert len(probe.cookies) == 0


def test_workers_share_the_rate_limit_and_the_machine_cap(monkeypatch):
    from conformance.target.client import process_rate

    settings = {"url": "http://x", "account": "a", "token": "t", "rate_limit": 10, "workers": 2}
    target = load_target(settings, {})
    assert process_rate(target) == 10
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    assert process_rate(target) == 5
    assert worker_count(target) == 2
    assert worker_count(dataclasses.replace(target, max_vms=6)) == 2
    assert worker_count(dataclasses.replace(target, max_vms=5)) == 1
    assert worker_count(dataclasses.replace(target, max_vms=1)) == 1


def test_retry_after_as_seconds_or_date_and_backoff_otherwise():
    assert transport.retry_delay({"Retry-After": "3"}, 0) == 3
    assert transport.retry_delay({"Retry-After": "9999"}, 0) == transport.MAX_DELAY
    date = "Wed, 21 Oct 2015 07:28:05 GMT"
    assert transport.retry_delay({"Retry-After": date}, 0, now=1445412480.0) == 5.0
    assert transport.retry_delay({}, 0) == transport.BACKOFF
    assert transport.retry_delay({}, 2) == transport.BACKOFF * 4


def test_the_rate_limit_spaces_requests():
    limiter = transport.RateLimiter(50)
    started = time.monotonic()
    for _ in range(6):
        limiter.wait()
    assert time.monotonic() - started >= 5 / 50 * 0.9  # a floor, never a ceiling


def test_environment_credentials_are_read():
    target = load_target({"url": "http://x", "account": "a"}, {"BIGV_TOKEN": "apikey.k"})
    assert target.token == "apikey.k"
    assert os.environ.get("BIGV_TOKEN") != "apikey.k"


def test_a_target_that_stops_answering_mid_run_is_one_line_and_exit_2(tmp_path):
    from tests.suite.conftest import emulator_process

    with emulator_process() as running:
        process = subprocess.Popen(
            run_command(running.url, tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 120
        while len(running.requests()) < 300 and time.monotonic() < deadline:
            time.sleep(0.2)
        running.process.kill()
        output, errors = process.communicate(timeout=600)
    assert process.returncode == 2, output[-2000:] + errors[-2000:]
    assert "Traceback" not in output + errors
    lines = errors.strip().splitlines()
    assert len(lines) == 1 and "stopped answering" in lines[0], errors
    assert (tmp_path / "summary.json").exists(), "what ran is still reported"


def test_a_fresh_one_time_password_for_every_request_from_the_otp_command(tmp_path):
    from tests.suite.conftest import emulator_process

    counter = tmp_path / "count"
    script = tmp_path / "otp.py"
    script.write_text(  # one line appended per call (appends are atomic), a fresh modhex OTP
        "import os, random\n"
        f"with open({str(counter)!r}, 'a') as log: log.write('otp\\n')\n"
        "print(''.join(random.choice('cbdefghijklnrtuv') for _ in range(44)))\n"
    )
    with emulator_process("--require-otp") as running:
        result = subprocess.run(
            run_command(
                running.url,
                tmp_path / "report",
                "--profile",
                "smoke",
                "--otp-command",
                f"{sys.executable} {script}",
            ),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        served = len(running.requests())
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(counter.read_text().splitlines()) > 100  # one for each authenticated request
    assert served > 100


def _normal(path: str, exact: bool) -> str:
    path = re.sub(r"bvc[a-z0-9]{5}", "bvc*", path)
    if exact:
        return path
    path = re.sub(r"bvc\*(-\d+)?-[a-z]+\d+", "<name>", path)  # counters are per worker
    return re.sub(r"/\d+(?=/|\?|$)", "/<id>", path)


def _requests_of_runs(tmp_path: Path, runs: list[tuple[str, str]], exact: bool) -> list:
    """What the emulator served in each run (seed, workers), as a multiset. The run prefix
    is random by design (it marks one run's objects); unless `exact`, ids the target handed
    out and names' worker parts are left out too (workers interleave)."""
    from collections import Counter

    from tests.suite.conftest import emulator_process

    seen = []
    for attempt, (seed, workers) in enumerate(runs):
        with emulator_process() as running:
            options = ["--profile", "smoke", "--workers", workers]
            command = run_command(running.url, tmp_path / str(attempt), *options, seed=seed)
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=600, check=False
            )
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            served = running.requests()
            seen.append(Counter((m, _normal(path, exact), s) for m, path, s in served))
    return seen


def test_the_same_seed_sends_the_same_requests(tmp_path):
    seen = _requests_of_runs(tmp_path, [("11", "1"), ("11", "1"), ("12", "1")], exact=True)
    assert seen[0] == seen[1], (seen[0] - seen[1]) + (seen[1] - seen[0])
    assert seen[0] != seen[2], "another seed generates other requests"


def test_the_same_seed_sends_the_same_requests_in_parallel_too(tmp_path):
    seen = _requests_of_runs(tmp_path, [("11", "2"), ("11", "2")], exact=False)
    assert seen[0] == seen[1], (seen[0] - seen[1]) + (seen[1] - seen[0])
