"""The CI recipes of docs/ci.md: both example files parse, and the very command lines they
contain run against the reference emulator (the target and a token given as the secrets
would give them), gate on the exit code and publish summary.md."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.suite.conftest import emulator_process

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "docs" / "examples"
API_KEY = "ci-example-key"


def github_steps() -> list[dict]:
    workflow = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    return job["steps"]


def gitlab_job() -> dict:
    (job,) = yaml.safe_load((EXAMPLES / "gitlab-ci.yml").read_text(encoding="utf-8")).values()
    return job


def test_the_github_workflow_runs_the_suite_publishes_the_summary_and_keeps_the_reports():
    steps = github_steps()
    runs = [step.get("run", "") for step in steps]
    assert any("bigv-conformance run" in run for run in runs)
    publish = next(step for step in steps if "GITHUB_STEP_SUMMARY" in step.get("run", ""))
    upload = next(step for step in steps if "upload-artifact" in step.get("uses", ""))
    assert publish["if"] == upload["if"] == "always()"  # also when the gate fails
    assert upload["with"]["path"] == "reports/"
    job = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))["jobs"]
    environment = dict(next(iter(job.values()))["env"])
    assert environment.pop("BIGV_CONFORMANCE_FROM") == "${{ vars.BIGV_CONFORMANCE_FROM }}"
    assert all("secrets." in value for value in environment.values())  # the credentials


def test_the_gitlab_job_runs_the_suite_and_keeps_the_reports_and_junit():
    job = gitlab_job()
    assert any("bigv-conformance run" in line for line in job["script"])
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == "reports/junit.xml"
    assert "reports/summary.md" in " ".join(job["after_script"])


def _suite_lines(lines: list[str]) -> list[str]:
    """The lines that run the suite or publish its summary (not the install, not the
    merge-request note, which needs GitLab)."""
    return [
        line
        for line in lines
        if ("bigv-conformance " in line and "pip install" not in line)
        or line.startswith("cat reports/summary.md")
    ]


def _run(lines: list[str], workdir: Path, environment: dict[str, str]) -> list[int]:
    codes = []
    for line in lines:
        result = subprocess.run(
            ["bash", "-c", line],
            cwd=workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        codes.append(result.returncode)
        assert "Traceback" not in result.stderr, result.stderr
    return codes


@pytest.mark.slow
@pytest.mark.parametrize("recipe", ["github", "gitlab"])
def test_the_recipes_command_lines_pass_against_the_emulator(recipe, tmp_path):
    if recipe == "github":
        lines = _suite_lines([step.get("run", "") for step in github_steps()])
    else:
        job = gitlab_job()
        lines = _suite_lines([*job["script"], *job["after_script"]])
    assert len(lines) == 2, lines  # the run, and the summary published
    if recipe == "gitlab":  # a repository that keeps a baseline: the recipe uses it
        from conformance.results.summary import write_summary
        from tests.report import factory

        (tmp_path / "conformance").mkdir()
        write_summary(factory.summary(), tmp_path / "conformance" / "baseline.json")
    step_summary = tmp_path / "step-summary.md"
    with emulator_process("--api-key", API_KEY, seeded=False) as running:
        environment = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "BIGV_TARGET": running.url,
            "BIGV_ACCOUNT": "conformance",
            "BIGV_TOKEN": f"apikey.{API_KEY}",
            "GITHUB_STEP_SUMMARY": str(step_summary),
        }
        codes = _run(lines, tmp_path, environment)
    assert codes == [0, 0], codes
    summary = (tmp_path / "reports" / "summary.md").read_text(encoding="utf-8")
    assert "CONFORMANT" in summary and "NOT CONFORMANT" not in summary
    assert len(summary.splitlines()) <= 40
    if recipe == "github":
        assert step_summary.read_text(encoding="utf-8") == summary
        assert "baseline" not in summary
    else:  # the baseline's problems are fixed here: listed as such, nothing new
        assert "Against the baseline `conformance/baseline.json`: 0 new problem(s)" in summary


def _install_lines() -> dict[str, str]:
    github = [step.get("run", "") for step in github_steps()]
    gitlab = gitlab_job()["script"]
    return {
        recipe: next(line for line in lines if "pip install" in line)
        for recipe, lines in (("github", github), ("gitlab", gitlab))
    }


@pytest.mark.parametrize("recipe", ["github", "gitlab"])
def test_the_recipes_install_the_suite_from_a_checkout_or_the_url_the_user_sets(recipe):
    """No repository address nobody owns: unset, the variable installs the checkout the
    job runs in (a clone of this repository); set, what it names. `pip` is replaced by an
    echo: nothing is installed."""
    line = _install_lines()[recipe]
    assert "github.com" not in line and "BIGV_CONFORMANCE_FROM" in line

    def installed(**variables: str) -> str:
        result = subprocess.run(
            ["bash", "-c", f'pip() {{ echo "$*"; }}; {line}'],
            cwd=REPOSITORY,
            env={"PATH": os.environ["PATH"], **variables},
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()

    assert installed() == "install ."
    assert 'name = "bigv-conformance"' in (REPOSITORY / "pyproject.toml").read_text()
    assert installed(BIGV_CONFORMANCE_FROM="") == "install ."
    url = "git+https://git.example.org/qa/bigv-conformance@v0.1.0"
    assert installed(BIGV_CONFORMANCE_FROM=url) == f"install {url}"
