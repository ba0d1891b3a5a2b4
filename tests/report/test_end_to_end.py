"""The real command, as a user runs it, against a faulty target and with known secrets.

One run goes through a proxy that breaks a faithful emulator (see `faulty.py`), with a
password, a one-time password and an expectations file; another runs the embedded emulator
with an API-key token. Their reports must name each fault's operation and check, match the
summary schema, hold the matrix, show the accepted and the stale deviations, render in
headless Chromium, and never contain a secret.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance.judging import statements
from emulator.config import EmulatorConfig
from tests.report import htmltree
from tests.report.faulty import GET_MACHINE, LIST_MACHINES, PUT_MACHINE, faulty_target
from tests.report.test_results import assert_valid

REPO = Path(__file__).resolve().parents[2]
SEED_FILE = REPO / "fixtures" / "seeds" / "two-accounts.yaml"
ARTIFACTS = REPO / "reports" / "artifacts"

USER = "alice"
PASSWORD = "Pw-7f3K9xQ2-never-shown"
OTP = "cbdefghijklnrtuv" * 2 + "cbdefghijkln"  # 44 modhex characters
API_KEY = "k1Zq8-never-shown"
TOKEN = f"apikey.{API_KEY}"
SECRETS = {
    "password": PASSWORD,
    "otp": OTP,
    "token": TOKEN,
    "api key": API_KEY,
    "basic credentials": base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
}
ROOT_PASSWORD_VALUE = re.compile(r'"root_password"\s*:\s*"(?!\[REDACTED\])([^"]*)"')

EXPECTATIONS = f"""
[[deviation]]
operation = "{GET_MACHINE}"
check = "vm_hostname_derivation"
reason = "the legacy cluster names machines under wrong.example (ticket OPS-1)"

[[deviation]]
operation = "DELETE /accounts/{{account}}/groups/{{group}}"
check = "status_code_conformance"
reason = "answered 200 instead of 204 until release 7"
"""


@dataclass
class Run:
    result: subprocess.CompletedProcess
    reports: Path

    def summary(self) -> dict:
        return json.loads((self.reports / "summary.json").read_text(encoding="utf-8"))

    def outputs(self) -> dict[str, str]:
        """stdout, stderr and every file the run wrote, by name."""
        found = {"stdout": self.result.stdout, "stderr": self.result.stderr}
        for path in sorted(self.reports.rglob("*")):
            if path.is_file():
                found[path.name] = path.read_text(encoding="utf-8", errors="replace")
        return found


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bigv_conformance", "run", *arguments],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )


def target_file(path: Path, **settings: object) -> Path:
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    lines += ["[wait]", "timeout = 5.0", "poll_interval = 0.1"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory) -> Run:
    """The command against the faulty proxy: password, OTP and an expectations file."""
    directory = tmp_path_factory.mktemp("faulty")
    config = EmulatorConfig(password=PASSWORD, require_otp=True, seed_file=SEED_FILE)
    expectations = directory / "expectations.toml"
    expectations.write_text(EXPECTATIONS, encoding="utf-8")
    with faulty_target(config) as target:
        settings = target_file(
            directory / "target.toml",
            url=target.url,
            account="conformance",
            user=USER,
            password=PASSWORD,
            otp=OTP,
            requires_otp=True,
            cluster_domain="uk0.bigv.io",
            foreign_account="foreign",
            auth_url="{url}",
        )
        result = run_cli(
            "--target-file", str(settings), "--profile", "smoke", "--seed", "1",
            "--expectations", str(expectations), "--report-dir", str(directory / "reports"),
        )  # fmt: skip
    return Run(result, directory / "reports")


@pytest.fixture(scope="module")
def token_run(tmp_path_factory) -> Run:
    """The embedded emulator, reached with an API-key token; password and OTP set too."""
    directory = tmp_path_factory.mktemp("token")
    text = (REPO / "fixtures" / "targets" / "emulator.toml").read_text(encoding="utf-8")
    text = text.replace('password = "secret"', f'password = "{PASSWORD}"')
    text = text.replace("requires_otp = false", f'requires_otp = true\notp = "{OTP}"')
    text = text.replace('"../seeds/two-accounts.yaml"', json.dumps(str(SEED_FILE)))
    assert PASSWORD in text and OTP in text and str(SEED_FILE) in text
    settings = directory / "target.toml"
    settings.write_text(text, encoding="utf-8")
    result = run_cli(
        "--target-file", str(settings), "--token", TOKEN, "--profile", "smoke", "--seed", "2",
        "--report-dir", str(directory / "reports"),
    )  # fmt: skip
    return Run(result, directory / "reports")


def failure_keys(summary: dict) -> set[tuple[str, str]]:
    return {(f["operation"], f["check"]) for f in summary["failures"] if f["operation"]}


@pytest.mark.slow
def test_a_faulty_target_fails_with_entries_naming_the_operation_and_the_check(faulty_run):
    result = faulty_run.result
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "NOT CONFORMANT" in result.stdout
    summary = faulty_run.summary()
    assert summary["verdict"] == "NOT CONFORMANT"
    keys = failure_keys(summary)
    assert (LIST_MACHINES, "response_schema_conformance") in keys
    assert (PUT_MACHINE, "vm_hostname_derivation") in keys
    assert (GET_MACHINE, "vm_hostname_derivation") not in keys  # accepted
    for failure in summary["failures"]:
        curl = failure["curl"]
        assert curl is None or curl.startswith("curl ")
        if curl:  # credentials come from the environment, so the line runs as it is
            assert "Otp: [REDACTED]" not in curl and "Bearer [REDACTED]" not in curl, curl
    problem = next(p for p in summary["problems"] if p["operation"] == LIST_MACHINES)
    assert '-u "$BIGV_USER:$BIGV_PASSWORD"' in problem["curl"]
    assert '-H "X-Yubikey-Otp: $BIGV_OTP"' in problem["curl"]
    required = [p for p in summary["problems"] if p["level"] == "required"]
    assert {(p["operation"], p["check"]) for p in required} == {
        (LIST_MACHINES, "response_schema_conformance"),
        (PUT_MACHINE, "vm_hostname_derivation"),
    }, summary["problems"]
    # each required problem quotes the documentation's words that make it required
    for problem in required:
        statement = problem["statement"]
        assert statement and statements.cited(statement), problem
    # the scenarios go on past the wrong hostnames: what else they see is advisory at most
    assert all(p["basis"] != "stated" for p in summary["problems"] if p not in required)


@pytest.mark.slow
def test_its_summary_json_matches_the_schema(faulty_run, token_run):
    assert_valid(faulty_run.summary())
    assert_valid(token_run.summary())


@pytest.mark.slow
def test_accepted_deviations_and_the_stale_entry_are_reported(faulty_run):
    summary = faulty_run.summary()
    deviations = summary["deviations"]
    assert deviations and all("OPS-1" in d["reason"] for d in deviations)
    assert {(d["operation"], d["check"]) for d in deviations if d["operation"]} == {
        (GET_MACHINE, "vm_hostname_derivation")
    }
    # scenarios that stopped at the accepted deviation are deviations too, not failures
    assert any(d["check"] == "scenario" and d["stopped_at"] for d in deviations)
    assert not any(f["stopped_at"] == {"operation": GET_MACHINE,
                                       "check": "vm_hostname_derivation"}
                   for f in summary["failures"])  # fmt: skip
    [stale] = summary["stale_deviations"]
    assert stale["operation"] == "DELETE /accounts/{account}/groups/{group}"
    assert stale["status"] == "passes"
    page = (faulty_run.reports / "report.html").read_text(encoding="utf-8")
    root = htmltree.parse(page)
    assert "passes now" in root.by_id("stale").text
    assert "OPS-1" in root.by_id("deviations").text
    junit = (faulty_run.reports / "junit.xml").read_text(encoding="utf-8")
    assert "stale deviation" in junit


@pytest.mark.slow
def test_its_html_parses_and_holds_the_matrix(faulty_run):
    root = htmltree.parse((faulty_run.reports / "report.html").read_text(encoding="utf-8"))
    assert root.by_id("verdict").text.strip() == "NOT CONFORMANT"
    [matrix] = root.find_all("table", class_="matrix")
    columns = [th.attrs["title"].split(":")[0] for th in matrix.find_all("th", class_="rot")]

    def cell(operation_id: str, check: str) -> htmltree.Node:
        row = root.by_id(f"op-{operation_id}")
        return row.find_all("td", class_="cell")[columns.index(check)]

    assert "failed" in cell("listVirtualMachines", "response_schema_conformance").classes()
    assert "failed" in cell("updateVirtualMachine", "vm_hostname_derivation").classes()
    assert "deviation" in cell("getVirtualMachine", "vm_hostname_derivation").classes()
    assert "passed" in cell("getVirtualMachine", "response_schema_conformance").classes()
    statuses = root.by_id("op-getVirtualMachine").find_all("td", class_="statuses")[0].text
    assert "200" in statuses
    cards = root.by_id("problems").find_all("article", class_="problem")
    required = [card for card in cards if "required" in card.classes()]
    assert len(required) == 2, [card.text[:200] for card in cards]
    text = " ".join(required[0].text.split()) + " ".join(required[1].text.split())
    assert "spec/SOURCES.md" in text and "curl -sS" in text
    # each required card quotes the documentation's words that make it required
    for card in required:
        assert "The documentation says: '" in " ".join(card.text.split())
    # what else the scenarios saw, going on past the wrong hostnames, is advisory
    assert all("advisory" in card.classes() for card in cards if card not in required)


@pytest.mark.slow
def test_a_token_run_of_the_embedded_emulator_conforms(token_run):
    result = token_run.result
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = token_run.summary()
    assert summary["verdict"] == "CONFORMANT" and summary["failures"] == []
    assert summary["capabilities"]["auth.bearer"]["passed"] > 0


@pytest.mark.slow
@pytest.mark.parametrize("run_name", ["faulty_run", "token_run"])
def test_no_secret_appears_in_any_output(request, run_name):
    run: Run = request.getfixturevalue(run_name)
    outputs = run.outputs()
    assert {"stdout", "stderr", "report.html", "summary.json", "junit.xml"} <= set(outputs)
    for name, text in outputs.items():
        readable = html.unescape(text)
        for what, secret in SECRETS.items():
            assert secret not in text and secret not in readable, f"{what} in {name}"
        leaked = ROOT_PASSWORD_VALUE.findall(readable.replace('\\"', '"'))
        assert not leaked, f"root_password values in {name}: {leaked[:3]}"
    # the runs did send the secrets: redaction had something to remove
    assert "[REDACTED]" in outputs["report.html"] or "[REDACTED]" in outputs["summary.json"]


# -- headless Chromium ----------------------------------------------------------------------


def chromium() -> str:
    """The chromium binary, installed from Debian's package if missing (or skip, saying why)."""
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if Path(found).exists():
        return found
    for command in (["apt-get", "install", "-y", "chromium"], ["apt-get", "update"],
                    ["apt-get", "install", "-y", "chromium"]):  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as error:
            pytest.skip(f"chromium is missing and cannot be installed: {error}")
        if done.returncode == 0 and Path("/usr/bin/chromium").exists():
            return "/usr/bin/chromium"
    last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
    pytest.skip(f"chromium is missing and `apt-get install chromium` failed: {last[0]}")


def run_chromium(binary: str, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [
        binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        f"--user-data-dir={profile}", *arguments,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(f"chromium did not finish in 120 s: {stderr[-500:]}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.slow
def test_the_page_rendered_in_headless_chromium_shows_the_verdict(faulty_run, tmp_path):
    binary = chromium()
    page = (faulty_run.reports / "report.html").resolve().as_uri()
    screenshot = tmp_path / "report-screenshot.png"
    shot = run_chromium(
        binary, tmp_path / "profile-shot", f"--screenshot={screenshot}",
        "--window-size=1280,2000", page,
    )  # fmt: skip
    assert screenshot.exists(), shot.stderr[-2000:]
    assert png_size(screenshot) == (1280, 2000)
    assert screenshot.stat().st_size > 50_000  # a page was drawn, not a blank
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(screenshot, ARTIFACTS / "report-screenshot.png")

    dom = run_chromium(binary, tmp_path / "profile-dom", "--dump-dom", page)
    assert dom.returncode == 0, dom.stderr[-2000:]
    root = htmltree.parse(dom.stdout)
    assert root.by_id("verdict").text.strip() == "NOT CONFORMANT"
    # the inline script ran to its end: it shows the filter bar last
    assert "hidden" not in root.by_id("filters").attrs
    assert len(root.find_all("svg")) == 2


FILTER_PROBE = """<script>
(function () {
  var search = document.getElementById("search");
  search.value = "updateVirtualMachine";
  search.dispatchEvent(new Event("input"));
  var visible = function (selector) {
    return Array.prototype.filter.call(document.querySelectorAll(selector),
      function (node) { return !node.hidden; }).length;
  };
  document.body.setAttribute("data-probe-search", visible("#problems article"));
  search.value = "";
  search.dispatchEvent(new Event("input"));
  var failed = document.querySelector("[data-show=failed]");
  failed.checked = false;
  failed.dispatchEvent(new Event("change"));
  document.body.setAttribute("data-probe-unchecked", visible("#problems article"));
})();
</script>"""


@pytest.mark.slow
def test_the_search_and_the_outcome_filters_work_in_chromium(faulty_run, tmp_path):
    binary = chromium()
    page = (faulty_run.reports / "report.html").read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", FILTER_PROBE + "\n</body>"), encoding="utf-8")
    dom = run_chromium(binary, tmp_path / "profile", "--dump-dom", probe.as_uri())
    body = htmltree.parse(dom.stdout).find_all("body")[0]
    assert body.attrs.get("data-probe-search") == "1", dom.stderr[-2000:]
    assert body.attrs.get("data-probe-unchecked") == "0"
