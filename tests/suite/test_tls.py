"""HTTPS endpoints as they are in the field: the real CLI against the emulator serving TLS
with certificates of a private CA made here (tests/suite/certificates.py), on loopback.

Every request of a run must use the run's TLS settings (--ca-bundle, REQUESTS_CA_BUNDLE,
--insecure, --client-cert) and the proxy of HTTPS_PROXY; a certificate that cannot be
verified is one line, exit 2, that says why and what to give.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.certificates import Pki, make_pki
from tests.suite.conftest import EmulatorProcess, emulator_process
from tests.suite.recording_proxy import SOURCE, recording_proxy

SMALL = ["--profile", "smoke", "--seed", "5", "--workers", "1"]
AMBIENT = (
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY",
    "ALL_PROXY", "NO_PROXY",
)  # fmt: skip


def clean_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any CA bundle, proxy or BIGV_* setting, plus
    `extra`: what each test gives is all the run has."""
    names = {*AMBIENT, *(name.lower() for name in AMBIENT)}
    kept = {
        key: value
        for key, value in os.environ.items()
        if key not in names and not key.startswith("BIGV_")
    }
    return kept | extra


def run_cli(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bigv_conformance", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env if env is not None else clean_environment(),
    )


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if "error:" in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


def conformant(result: subprocess.CompletedProcess, report_dir: Path) -> dict:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((report_dir / "summary.json").read_text())
    assert summary["verdict"] == "CONFORMANT"
    return summary


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def https_emulator(pki: Pki) -> Iterator[EmulatorProcess]:
    served = ("--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key))
    with emulator_process(*served) as running:
        yield running


def connections_from(emulator: EmulatorProcess) -> set[str]:
    """The addresses the emulator was reached from (its log: one line per connection)."""
    return {line.rsplit(" ", 1)[1].strip() for line in emulator.log if "connection from " in line}


def test_the_emulator_serves_https_with_its_certificate(https_emulator, pki):
    assert https_emulator.url.startswith("https://127.0.0.1:")
    before = len([line for line in https_emulator.log if "connection from " in line])
    with requests.Session() as session:
        for _ in range(3):  # kept alive: one connection, one handshake
            answer = session.get(
                f"{https_emulator.url}/definitions", verify=str(pki.ca.cert), timeout=30
            )
            assert answer.status_code == 200
    time.sleep(0.2)  # the log is read on a thread of its own
    after = len([line for line in https_emulator.log if "connection from " in line])
    assert after - before == 1


@pytest.mark.slow
def test_the_whole_suite_over_https_conforms_with_ca_bundle(https_emulator, pki, tmp_path):
    result = run_cli(
        "run", "--target", https_emulator.url, "--ca-bundle", str(pki.ca.cert),
        "--max-examples", "2", "--seed", "5", "--report-dir", str(tmp_path),
    )  # fmt: skip
    summary = conformant(result, tmp_path)
    assert summary["target"]["tls"] == {
        "verified": True,
        "ca_bundle": str(pki.ca.cert),
        "client_certificate": False,
    }
    assert summary["complete"] is True


@pytest.mark.slow
def test_requests_ca_bundle_is_honoured_by_every_process_of_the_run(https_emulator, pki, tmp_path):
    """Two workers: the pytest worker processes inherit the variable and use it too
    (schemathesis' own calls among them: the bug of issue 19)."""
    env = clean_environment(REQUESTS_CA_BUNDLE=str(pki.ca.cert))
    result = run_cli(
        "run", "--target", https_emulator.url, "--profile", "smoke", "--seed", "5",
        "--workers", "2", "--report-dir", str(tmp_path), env=env,
    )  # fmt: skip
    summary = conformant(result, tmp_path)
    assert summary["target"]["tls"]["verified"] is True


@pytest.mark.slow
def test_insecure_runs_and_every_report_says_tls_was_not_verified(https_emulator, tmp_path):
    result = run_cli(
        "run", "--target", https_emulator.url, "--insecure", *SMALL, "--report-dir", str(tmp_path)
    )
    summary = conformant(result, tmp_path)
    assert summary["target"]["tls"]["verified"] is False
    output = result.stdout + result.stderr
    assert output.count("not verified (--insecure)") == 1, output
    assert "InsecureRequestWarning" not in output
    assert "TLS not verified" in (tmp_path / "summary.md").read_text()
    assert "TLS not verified" in (tmp_path / "report.html").read_text()


def test_bigv_insecure_turns_verification_off_too(https_emulator, tmp_path):
    env = clean_environment(BIGV_INSECURE="1")
    result = run_cli(
        "sweep", "--target", https_emulator.url, "--account", "conformance", "--dry-run", env=env
    )
    assert result.returncode == 0, result.stderr
    assert "InsecureRequestWarning" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("served", "bundle", "said"),
    [
        ("server", None, "issuer this machine does not know"),
        ("server", "other_ca", "is not signed by a CA of --ca-bundle"),
        ("expired", "ca", "has expired"),
        ("wrong_name", "ca", "not issued for that name"),
    ],
)
def test_a_certificate_that_cannot_be_verified_is_one_line_naming_cause_and_fix(
    pki, served, bundle, said
):
    pair = getattr(pki, served)
    with emulator_process("--tls-cert", str(pair.cert), "--tls-key", str(pair.key)) as running:
        flags = ["--ca-bundle", str(getattr(pki, bundle).cert)] if bundle else []
        line = one_line_error(run_cli("run", "--target", running.url, *flags))
    assert said in line
    assert "--insecure" in line
    if served == "server":
        assert "--ca-bundle" in line and "REQUESTS_CA_BUNDLE" in line


def test_an_https_url_of_a_plain_http_server_is_one_line(emulator):
    url = emulator.url.replace("http://", "https://")
    line = one_line_error(run_cli("run", "--target", url))
    assert "does not answer in TLS" in line and "http://" in line


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--ca-bundle", "/nonexistent/ca.pem"], "CA bundle from --ca-bundle not found"),
        (["--ca-bundle", "{notpem}"], "holds no PEM certificate"),
        (["--ca-bundle", "{ca}", "--insecure"], "not both"),
        (["--client-key", "{ca}"], "--client-key given without --client-cert"),
        (["--client-cert", "/nonexistent/client.pem"], "client certificate from --client-cert"),
        (["--client-cert", "{ca}"], "needs --client-key"),
    ],
)
def test_bad_tls_settings_are_one_line_and_exit_2(pki, tmp_path, flags, said):
    (tmp_path / "not.pem").write_text("not a certificate\n")
    values = {"{ca}": str(pki.ca.cert), "{notpem}": str(tmp_path / "not.pem")}
    flags = [values.get(flag, flag) for flag in flags]
    line = one_line_error(run_cli("run", "--target", "https://127.0.0.1:9", *flags))
    assert said in line


def test_requests_ca_bundle_naming_no_file_is_one_line(tmp_path):
    env = clean_environment(REQUESTS_CA_BUNDLE=str(tmp_path / "missing.pem"))
    line = one_line_error(run_cli("run", "--target", "https://127.0.0.1:9", env=env))
    assert "CA bundle from REQUESTS_CA_BUNDLE not found" in line


@pytest.fixture(scope="module")
def mutual_tls_emulator(pki: Pki) -> Iterator[EmulatorProcess]:
    served = ("--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key))
    with emulator_process(*served, "--tls-client-ca", str(pki.ca.cert)) as running:
        yield running


def test_a_server_asking_for_a_client_certificate_refuses_a_run_without_one(
    mutual_tls_emulator, pki
):
    result = run_cli("run", "--target", mutual_tls_emulator.url, "--ca-bundle", str(pki.ca.cert))
    line = one_line_error(result)
    assert "asks for a client certificate" in line
    assert "--client-cert" in line


@pytest.mark.slow
def test_a_run_with_a_client_certificate_conforms(mutual_tls_emulator, pki, tmp_path):
    env = clean_environment(
        BIGV_CLIENT_CERT=str(pki.client.cert), BIGV_CLIENT_KEY=str(pki.client.key)
    )
    result = run_cli(
        "run", "--target", mutual_tls_emulator.url, "--ca-bundle", str(pki.ca.cert), *SMALL,
        "--report-dir", str(tmp_path), env=env,
    )  # fmt: skip
    summary = conformant(result, tmp_path)
    assert summary["target"]["tls"]["client_certificate"] is True


def test_sweep_over_https_with_a_private_ca(pki):
    served = ("--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key))
    with emulator_process(*served) as running:
        base = f"{running.url}/accounts/conformance/groups/default/virtual_machines"
        made = requests.post(
            base,
            json={"name": "bvcleft1", "cores": 1, "memory": 1024},
            auth=("alice", "secret"),
            verify=str(pki.ca.cert),
            timeout=30,
        )
        assert made.status_code == 202, made.text
        refused = run_cli("sweep", "--target", running.url, "--account", "conformance")
        assert "--ca-bundle" in one_line_error(refused)
        result = run_cli(
            "sweep", "--target", running.url, "--account", "conformance",
            "--ca-bundle", str(pki.ca.cert),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "removed virtual machine bvcleft1" in result.stdout
        left = requests.get(
            base, params={"include_deleted": "true"}, auth=("alice", "secret"),
            verify=str(pki.ca.cert), timeout=30,
        )  # fmt: skip
        assert [vm["name"] for vm in left.json() if vm["name"].startswith("bvc")] == []


@pytest.mark.slow
def test_every_request_of_a_run_goes_through_the_https_proxy(pki, tmp_path):
    """The proxy reaches the emulator from SOURCE: every connection the emulator saw came
    from it, in the controlling process and both pytest workers."""
    served = ("--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key))
    with recording_proxy() as (proxy, seen), emulator_process(*served) as running:
        env = clean_environment(HTTPS_PROXY=proxy, REQUESTS_CA_BUNDLE=str(pki.ca.cert))
        result = run_cli(
            "run", "--target", running.url, "--profile", "smoke", "--seed", "5",
            "--workers", "2", "--report-dir", str(tmp_path), env=env,
        )  # fmt: skip
        conformant(result, tmp_path)
        authority = running.url.removeprefix("https://")
        assert seen and all(line.startswith(f"CONNECT {authority} ") for line in seen), seen
        assert connections_from(running) == {SOURCE}
        assert len(running.requests()) > 100


@pytest.mark.slow
def test_no_request_goes_through_the_proxy_when_no_proxy_names_the_target(pki, tmp_path):
    served = ("--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key))
    with recording_proxy() as (proxy, seen), emulator_process(*served) as running:
        env = clean_environment(HTTPS_PROXY=proxy, NO_PROXY="127.0.0.1")
        result = run_cli(
            "run", "--target", running.url, "--ca-bundle", str(pki.ca.cert), "--profile",
            "smoke", "--seed", "5", "--workers", "2", "--report-dir", str(tmp_path), env=env,
        )  # fmt: skip
        conformant(result, tmp_path)
        assert seen == []
        assert connections_from(running) == {"127.0.0.1"}


@pytest.mark.slow
def test_a_plain_http_target_goes_through_http_proxy(tmp_path):
    with recording_proxy() as (proxy, seen), emulator_process() as running:
        env = clean_environment(HTTP_PROXY=proxy)
        result = run_cli(
            "run", "--target", running.url, *SMALL, "--report-dir", str(tmp_path), env=env
        )
        summary = conformant(result, tmp_path)
        assert summary["target"]["tls"] is None
        assert seen and all(line.split(" ")[1].startswith(running.url) for line in seen), seen
        assert connections_from(running) == {SOURCE}


def test_a_handshake_closed_before_its_alert_is_read_still_names_the_client_certificate():
    """A TLS 1.3 server checks the client's certificate after the client is done: under load
    the connection may be closed before its alert is read (an EOF, not the alert)."""
    import ssl

    from conformance.target import tls

    closed = ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)")
    line = tls.describe_failure(closed, "https://127.0.0.1:9")
    assert "asks for a client certificate" in line and "--client-cert" in line
    given = tls.describe_failure(closed, "https://127.0.0.1:9", client_cert="me.pem")
    assert "client certificate" not in given
