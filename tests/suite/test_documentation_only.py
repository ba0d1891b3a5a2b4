"""The suite judges the documentation, not our emulator: the whole suite, run as a user runs
it, passes an emulator started on its own (two terminals, no flag but the URL), passes the
divergent emulator that takes the other side of the register's points, listing in its
report the points it took, and passes a second server written by someone else from the
documentation alone (tests/cleanroom), with every choice of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from conformance.judging import register
from tests.suite.conftest import emulator_process
from tests.suite.test_cli import run_cli

# Register points the divergent emulator takes that a run does not show, and why: each is
# taken (tests/emulator/test_divergent_*.py prove it), but no scenario looks at it and the
# generated requests that would show it are not sure to be sent.
UNOBSERVABLE = {
    "otp-refusal-status": "shown only when the emulator requires one-time passwords",
    "undelete-window": "the window is minutes long; no scenario waits that long",
    "names-unique-in-group": "no scenario creates one name in two groups",
    "discs-grow-only": "no scenario shrinks a disc",
    "group-list-overview": "no scenario reads the list of groups with view=overview",
    "start-deleted": "no scenario starts a deleted machine",
    "reimage-echo-password": "the echo of a write-only value is not judged",
    "cdrom-removal": "no scenario removes a CD",
    "memory-values": "the suite sends only memory sizes the documentation shows",
    "update-while-running": "the scenarios change a machine's resources, or move it, only while "
    "it is off",
    "positive-amounts": "a larger minimum refuses valid values with 400, a documented refusal",
    "credentials-shape": "the log-in scenario sends the official client's valid body",
    "names-dns-labels": "the invalid names the suite sends break more than letter case",
    "vm-create-discs-limit": "a generated vm_create of over 8 discs is refused for its machine",
    "reimage-without-disc": "the scenarios reimage only machines made with a disc; the generated "
    "reimages reach a running pool machine, refused by its state first",
    "sendkey-key-names": "the scenarios send only keys /definitions lists; a generated `del` is "
    "judged under valid-values-accepted",
}
TARGET_FILE = """\
# The scenarios that need an auth service, an account the user may not see and one the
# user may only read
user = "alice"
password = "secret"
auth_url = "{url}"
foreign_account = "foreign"
readonly_account = "readonly"
"""


def _run(url: str, report_dir: Path, *flags: str) -> tuple[subprocess.CompletedProcess, dict]:
    arguments = ["--target", url, "--report-dir", str(report_dir), "--seed", "1", *flags]
    result = run_cli("run", *arguments)
    summary = json.loads((report_dir / "summary.json").read_text(encoding="utf-8"))
    return result, summary


@pytest.mark.slow
def test_an_emulator_started_alone_conforms_with_no_flag_but_its_url(tmp_path):
    with emulator_process(seeded=False) as running:
        result, summary = _run(running.url, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert summary["conformant"] and summary["target"]["account"] == "conformance"
    (domain,) = [point for point in summary["silent_points"] if point["id"] == "cluster-domain"]
    assert "uk0.bigv.io" in domain["title"]
    assert "--cluster-domain uk0.bigv.io" in domain["message"]
    assert "no credentials given" in result.stdout and "cluster-domain" in result.stdout


@pytest.mark.slow
def test_the_divergent_emulator_conforms_and_its_report_lists_the_points_it_took(tmp_path):
    target_file = tmp_path / "divergent.toml"
    target_file.write_text(TARGET_FILE, encoding="utf-8")
    with emulator_process("--divergent") as running:
        arguments = ("--target-file", str(target_file))
        result, summary = _run(running.url, tmp_path / "reports", *arguments)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert summary["verdict"] == "CONFORMANT"
    assert not [f for f in summary["failures"] if f["level"] == "required"]
    shown = {point["id"] for point in summary["silent_points"]}
    shown |= {problem["register"] for problem in summary["problems"] if problem["register"]}
    taken = {entry.id for entry in register.entries().values() if entry.divergent}
    missing = sorted(taken - shown - set(UNOBSERVABLE))
    assert not missing, (
        f"points the divergent emulator took that the report does not show: {missing}"
    )
    # every inferred point shown is advisory, every silent one noted, never a failure
    for problem in summary["problems"]:
        assert problem["level"] == "advisory", problem
    assert all(point["observations"] >= 1 for point in summary["silent_points"])


CLEANROOM_TARGET = Path(__file__).resolve().parents[1] / "cleanroom" / "target.toml"


@contextmanager
def cleanroom_process():
    """The clean-room server on a free loopback port; its URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.cleanroom", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http"), process.stderr.read()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.slow
def test_a_server_written_from_the_documentation_alone_conforms(tmp_path):
    with cleanroom_process() as url:
        result, summary = _run(url, tmp_path / "reports", "--target-file", str(CLEANROOM_TARGET))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert summary["verdict"] == "CONFORMANT"
    assert not [f for f in summary["failures"] if f["level"] == "required"]
    # its own choices are reported, advisory or noted: never a required problem
    assert summary["problems"] and all(p["level"] == "advisory" for p in summary["problems"])
    assert summary["silent_points"]
