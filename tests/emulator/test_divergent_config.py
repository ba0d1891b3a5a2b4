"""The divergent mode's configuration: which register entries it implements, how the Python
configuration and the command line (`--divergent`, `--diverge`) turn them on, the README, and
an old database file gaining the divergent columns. The behaviours themselves are proved in
test_divergent_http.py, test_divergent_machines.py and test_divergent_lifecycle.py."""

from __future__ import annotations

import ast
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import spec
from emulator import divergent, store
from emulator.config import DEFAULT_CLUSTER_DOMAIN, EmulatorConfig
from emulator.divergent import Divergence
from emulator.server import start
from tests.emulator.diverged import ALL, VENDOR
from tests.emulator.helpers import ACCOUNT, REPO, Api, Process, error_of


# --- the register and the configuration --------------------------------------------------
def test_implemented_is_exactly_the_register_entries_with_a_divergent_text():
    entries = spec.register()["entries"]
    divergent_entries = {entry["id"] for entry in entries if "divergent" in entry}
    assert divergent_entries == divergent.IMPLEMENTED


def test_the_config_validates_divergences_against_the_register():
    assert EmulatorConfig(divergences={"nic-fields"}).divergences == frozenset({"nic-fields"})
    for bad in ({"no-such-entry"}, {"session-token-not-empty"}):  # unknown; not divergent
        with pytest.raises(ValueError, match=next(iter(bad))) as raised:
            EmulatorConfig(divergences=bad)
        assert "\n" not in str(raised.value)


def test_cluster_domain_default_follows_the_cluster_domain_divergence():
    assert EmulatorConfig().cluster_domain == DEFAULT_CLUSTER_DOMAIN
    assert EmulatorConfig(divergences=ALL).cluster_domain == "divergent.example"
    given = EmulatorConfig(divergences=ALL, cluster_domain=DEFAULT_CLUSTER_DOMAIN)
    assert given.cluster_domain == DEFAULT_CLUSTER_DOMAIN


def test_no_divergence_changes_no_schema():
    api, auth = spec.api(), spec.auth()
    assert Divergence().documents(api, auth) == (api, auth)
    changed, _ = Divergence(ALL).documents(api, auth)
    assert changed != api and api == spec.api()  # a copy is changed, never the spec


def test_divergent_module_stays_pure():
    tree = ast.parse((REPO / "emulator" / "divergent.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    forbidden = {"sqlite3", "werkzeug", "http", "requests", "time", "random", "emulator.store"}
    assert not {name for name in imported if name.split(".")[0] in forbidden or name in forbidden}


# --- the command line ----------------------------------------------------------------------
def _poll(call: Any, done: Any, timeout: float = 60.0) -> Any:
    """Call until `done(result)` (real time: generous, never a bound under test)."""
    deadline = time.monotonic() + timeout
    result = call()
    while not done(result) and time.monotonic() < deadline:
        time.sleep(0.1)
        result = call()
    return result


def _second_line(process: Process) -> str:
    assert process.process.stderr is not None
    return process.process.stderr.readline()


@pytest.mark.slow
def test_divergent_flag_turns_every_divergence_on():
    with Process("--divergent") as process:
        assert f"divergences: {len(ALL)} on" in _second_line(process)
        api = Api(process.url)
        reply = api.post(api.vms(), json={"name": "vm1", "cores": 1, "memory": 1024})
        assert reply.status_code == 202 and reply.headers["Content-Type"] == VENDOR
        read = _poll(lambda: api.get(api.vm("vm1")), lambda reply: reply.status_code == 200)
        assert read.json()["hostname"].endswith(".divergent.example")
        assert error_of(api.post(api.vms(), json={"name": "vm2"}), 400).keys() == {
            "cores",
            "memory",
        }
        assert process.terminate() == 0


@pytest.mark.slow
def test_divergent_flag_keeps_a_given_cluster_domain():
    with Process("--divergent", "--cluster-domain", "example.test") as process:
        api = Api(process.url)
        created = api.post(api.vms(), json={"name": "vm1", "cores": 1, "memory": 1024})
        assert created.status_code == 202
        read = api.get(api.vm("vm1"))
        assert read.json()["hostname"] == f"vm1.default.{ACCOUNT}.example.test"


@pytest.mark.slow
def test_diverge_flag_turns_on_one_entry_at_a_time():
    with Process("--diverge", "nic-fields", "--diverge", "extra-fields") as process:
        assert "divergences: 2 on" in _second_line(process)
        api = Api(process.url)
        machine = api.create("vm1")
        assert machine["x_divergent"] is True
        assert machine["hostname"].endswith(f".{DEFAULT_CLUSTER_DOMAIN}")
        assert "mac" not in api.get(api.vm("vm1") + "/nics").json()[0]
    with Process() as process:
        assert "divergences: none" in _second_line(process)


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["no-such-entry", "nic-id-range"])
def test_an_unknown_divergence_is_one_line_and_exit_2(flag):
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "0", "--diverge", flag],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert flag in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_help_documents_both_flags():
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0
    assert "--divergent" in done.stdout and "--diverge ID" in done.stdout


def test_readme_documents_the_divergent_mode():
    readme = (Path(divergent.__file__).parent / "README.md").read_text(encoding="utf-8")
    for needle in ("--divergent", "--diverge ID", "divergences", "ctrl-alt-del"):
        assert needle in readme


def test_a_database_file_made_before_the_divergent_columns_gains_them(tmp_path):
    """A --db file of an older emulator (without the columns the divergent mode keeps)
    opens, gains them and serves its machines."""
    db = tmp_path / "bigv.db"
    running = start(EmulatorConfig(db=db))
    Api(running.url).create("www1")
    running.stop()
    with sqlite3.connect(db) as connection:
        for name, _ in store.ADDED_VM_COLUMNS:
            connection.execute(f"ALTER TABLE virtual_machines DROP COLUMN {name}")
    running = start(EmulatorConfig(db=db, divergences=ALL))
    try:
        api = Api(running.url)
        assert api.read("www1")["name"] == "www1"
        api.delete(api.vm("www1"))
        assert api.read("www1", include_deleted="true")["deleted"] is True
    finally:
        running.stop()
