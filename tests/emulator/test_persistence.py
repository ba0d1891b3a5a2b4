"""State in a real SQLite file: it survives a restart, and a kill -9 during writes leaves a
consistent database holding every acknowledged write (issue 3, item 3)."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
import requests

from tests.emulator.helpers import Api, Process

pytestmark = pytest.mark.slow


def test_everything_survives_a_restart(tmp_path):
    db = tmp_path / "bigv.db"
    with Process("--db", str(db)) as first:
        api = Api(first.url)
        machine = api.create("www1", cores=3, power_on=True)
        group = api.post(api.at("/accounts/conformance/groups"), json={"name": "staging"}).json()
        api.post(api.vm("www1") + "/discs", json={"label": "data", "size": 2048})
        token = requests.post(api.at("/session"), json={"username": "alice", "password": "secret"},
                              timeout=30).text  # fmt: skip
        api.create("gone")
        api.delete(api.vm("gone"), params={"purge": "true"})
        assert first.terminate() == 0
    with Process("--db", str(db)) as second:
        api = Api(second.url)
        assert api.read("www1", view="overview") == {
            **machine,
            "discs": api.get(api.vm("www1") + "/discs").json(),
            "network_interfaces": api.get(api.vm("www1") + "/nics").json(),
            "type": "application/vnd.bigv.virtual-machine",
        }
        assert api.get(api.group("staging")).json() == group
        assert requests.get(api.at(f"/session/{token}"), timeout=30).status_code == 200
        assert api.create("new")["id"] > machine["id"] + 1  # the purged id is not reused
        assert second.terminate() == 0


def test_a_database_made_with_other_address_pools_is_refused(tmp_path):
    db = tmp_path / "bigv.db"
    with Process("--db", str(db)) as first:
        first.terminate()
    with pytest.raises(AssertionError, match="address_pools"):
        Process("--db", str(db), "--address-pool", "10.0.0.0/24")


def test_kill_9_during_writes_keeps_every_acknowledged_write(tmp_path):
    db = tmp_path / "bigv.db"
    acknowledged: list[tuple[str, int]] = []
    stop = threading.Event()
    with Process("--db", str(db)) as process:

        def writer(index):
            client = Api(process.url)
            n = 0
            while not stop.is_set():
                name = f"w{index}-{n}"
                try:
                    reply = client.post(client.vms(), json={"name": name, "cores": 1 + n % 4})
                    if reply.status_code == 202:
                        acknowledged.append((name, reply.json()["id"]))
                    client.put(client.vm(name), json={"memory": 2048})
                except requests.RequestException:
                    return
                n += 1

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()  # SIGKILL, mid-stream
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(acknowledged) >= 40
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Process("--db", str(db)) as restarted:
        api = Api(restarted.url)
        listed = {vm["name"]: vm["id"] for vm in api.get(api.vms()).json()}
        missing = [(name, vm_id) for name, vm_id in acknowledged if listed.get(name) != vm_id]
        assert not missing
        assert len(set(listed.values())) == len(listed)
        restarted.terminate()
