"""`bigv-conformance run` as a user runs it: exit codes, one-line errors, reports."""

import json
import socket
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest


def run_cli(*arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bigv_conformance", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def assert_one_line_error(result: subprocess.CompletedProcess, text: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert text in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("arguments", "text"),
    [
        (["run", "--no-such-flag"], "No such option"),
        (["run", "--profile", "everything"], "--profile"),
        (["run", "--max-examples", "0"], "--max-examples"),
        (
            [
                "run",
                "--target",
                "ftp://example.com",
                "--account",
                "a",
                "--user",
                "u",
                "--password",
                "p",
            ],
            "http:// or https://",
        ),
        (["run", "--target-file", "/nonexistent.toml"], "target file not found"),
        (["run", "--min-coverage", "most"], "min-coverage from --min-coverage: bad value 'most'"),
        (["run", "--min-coverage", "101"], "min-coverage from --min-coverage: bad value '101'"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_bad_flags_and_config_are_one_line_and_exit_2(arguments, text):
    assert_one_line_error(run_cli(*arguments), text)


def test_an_unreachable_target_is_one_line_and_exit_2():
    url = f"http://127.0.0.1:{closed_port()}"
    result = run_cli("run", "--target", url, "--account", "a", "--user", "u", "--password", "p")
    assert_one_line_error(result, "cannot be reached")


@pytest.mark.slow
def test_the_embedded_emulator_conforms_and_every_report_is_written(tmp_path: Path):
    result = run_cli("run", "--seed", "3", "--max-examples", "3", "--report-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "CONFORMANT" in result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["verdict"] == "CONFORMANT"
    assert summary["failures"] == []
    assert summary["score"]["required"]["total"] > 100
    required = {name for name, row in summary["capabilities"].items() if row["level"] == "required"}
    assert {
        "vm.list",
        "vm.read",
        "vm.create",
        "vm.update",
        "vm.delete",
        "vm.reimage",
        "vm.signal",
        "vm.power",
        "auth.basic",
    } <= required
    junit = ElementTree.parse(tmp_path / "junit.xml").getroot()
    assert int(junit.find("testsuite").get("tests")) > 0
    assert "CONFORMANT" in (tmp_path / "report.html").read_text()


@pytest.mark.slow
def test_an_emulator_that_requires_otp_conforms_with_the_otp_scenario_run(tmp_path: Path):
    target_file = Path(__file__).resolve().parents[2] / "fixtures/targets/emulator-otp.toml"
    result = run_cli(
        "run",
        "--target-file",
        str(target_file),
        "--profile",
        "smoke",
        "--seed",
        "3",
        "--report-dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["capabilities"]["auth.basic"]["skipped"] == 0
    assert summary["capabilities"]["auth.basic"]["passed"] > 0


@pytest.mark.slow
def test_a_slow_cloud_conforms_with_every_scenario_machine_provisioned_first(tmp_path: Path):
    """Creation and reimage take a second: scenarios must wait for provisioning to be over
    (a machine asked to be off included) and their machines are made ahead, all at once."""
    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    target_file = tmp_path / "slow.toml"
    target_file.write_text(
        (fixtures / "targets/emulator.toml")
        .read_text()
        .replace('"../seeds/two-accounts.yaml"', repr(str(fixtures / "seeds/two-accounts.yaml")))
        .replace("args = []", 'args = ["--provision-delay", "1"]')
    )
    assert "--provision-delay" in target_file.read_text()
    reports = tmp_path / "reports"
    options = ["--seed", "3", "--max-examples", "2", "--report-dir", str(reports)]
    result = run_cli("run", "--target-file", str(target_file), *options)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((reports / "summary.json").read_text())
    assert summary["failures"] == []
    assert summary["capabilities"]["vm.power"]["passed"] > 0
