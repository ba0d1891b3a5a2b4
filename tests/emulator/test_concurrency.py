"""Concurrent requests never lose an update, never make two machines of one name in a group,
never reuse an id (issue 3, item 3)."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from tests.emulator.helpers import Api

THREADS = 12


def _all_at_once(url, calls):
    """Run each call (a function of a fresh Api) on its own thread, released together."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        client = Api(url)
        barrier.wait()
        return call(client)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_creates_of_one_name_make_exactly_one_machine(api):
    replies = _all_at_once(api.url, [lambda c: c.post(c.vms(), json={"name": "same"})] * THREADS)
    statuses = Counter(reply.status_code for reply in replies)
    assert statuses == {202: 1, 400: THREADS - 1}
    refused = [r.json() for r in replies if r.status_code == 400]
    assert all(body == {"name": ["has already been taken"]} for body in refused)
    listed = api.get(api.vms(), params={"include_deleted": "true"}).json()
    assert [vm["name"] for vm in listed] == ["same"]


def test_creates_of_different_names_all_succeed_with_distinct_ids_and_addresses(api):
    def creator(index):
        return lambda c: [c.post(c.vms(), json={"name": f"vm-{index}-{n}"}) for n in range(5)]

    batches = _all_at_once(api.url, [creator(i) for i in range(THREADS)])
    replies = [reply for batch in batches for reply in batch]
    assert {reply.status_code for reply in replies} == {202}
    machines = [reply.json() for reply in replies]
    assert len({vm["id"] for vm in machines}) == len(machines)
    assert len({vm["management_address"] for vm in machines}) == len(machines)


def test_concurrent_updates_of_different_attributes_lose_nothing(api):
    api.create("target")
    changes = [
        {"cores": 7},
        {"memory": 8192},
        {"keymap": "fr"},
        {"cdrom_url": "http://example.com/a.iso"},
        {"hardware_profile": "compatibility2013"},
        {"hardware_profile_locked": True},
    ]

    def updater(change):
        return lambda c: [c.put(c.vm("target"), json=change).status_code for _ in range(10)]

    results = _all_at_once(api.url, [updater(change) for change in changes])
    assert {status for batch in results for status in batch} == {200}
    final = api.read("target")
    for change in changes:
        for key, value in change.items():
            assert final[key] == value, (key, final)


def test_concurrent_renames_to_one_name_let_exactly_one_through(api):
    for n in range(THREADS):
        api.create(f"old-{n}")

    def renamer(n):
        return lambda c: c.put(c.vm(f"old-{n}"), json={"name": "winner"}).status_code

    statuses = Counter(_all_at_once(api.url, [renamer(n) for n in range(THREADS)]))
    assert statuses == {200: 1, 400: THREADS - 1}
    names = [vm["name"] for vm in api.get(api.vms()).json()]
    assert names.count("winner") == 1 and len(names) == len(set(names)) == THREADS


def test_interleaved_creates_updates_deletes_and_purges_keep_the_invariants(api):
    def worker(index):
        def run(c):
            for n in range(6):
                name = f"w{index}-{n % 3}"
                c.post(c.vms(), json={"name": name})
                c.put(c.vm(name), json={"cores": n + 1, "power_on": bool(n % 2)})
                if n % 3 == 2:
                    c.delete(c.vm(name), params={"purge": "true" if n % 2 else "false"})
            return True

        return run

    assert all(_all_at_once(api.url, [worker(i) for i in range(THREADS)]))
    listed = api.get(api.vms(), params={"include_deleted": "true"}).json()
    names = [vm["name"] for vm in listed]
    live_addresses = [vm["management_address"] for vm in listed]
    assert len(names) == len(set(names))
    assert len(live_addresses) == len(set(live_addresses))
    assert len({vm["id"] for vm in listed}) == len(listed)
