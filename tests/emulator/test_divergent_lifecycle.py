"""The divergent mode's actions and states: reimage and signal, and the state rules (refusals,
powerdown, undelete, purge). One focused test per divergence of the silence register
(spec/register.yaml), against an emulator with every divergence on; where a behaviour could be
the reference emulator's by accident, the test also shows the reference emulator (`api`)."""

from __future__ import annotations

from emulator import divergent
from tests.emulator.diverged import RUNNING, only, reimage_vm, signal_vm
from tests.emulator.helpers import error_of, reason_of


# --- reimage and signal --------------------------------------------------------------------
def test_reimage_without_root_password_is_accepted(dv):
    dv.make_with_disc("www1", power_on=False)
    assert reimage_vm(dv, "www1").status_code == 200


def test_reimage_echoes_the_root_password(dv):
    dv.make_with_disc("www1", power_on=False)
    reply = reimage_vm(dv, "www1", root_password="pw")
    assert reply.status_code == 200 and reply.json()["root_password"] == "pw"


def test_a_machine_without_a_disc_cannot_be_reimaged(api, dv):
    dv.make("bare", power_on=False)
    assert reason_of(reimage_vm(dv, "bare"), 400).startswith("discs: ")  # refusal-media-type
    reimage = {"distribution": "jessie", "root_password": "pw"}
    with only("reimage-without-disc") as one:
        one.create("bare", power_on=False)
        assert error_of(reimage_vm(one, "bare", **reimage), 400) == {"discs": ["can't be blank"]}
        assert one.read("bare")["power_on"] is False  # nothing changed
        one.post(one.vm("bare") + "/discs", json={"label": "root", "size": 25600})
        assert reimage_vm(one, "bare", **reimage).status_code == 200
        machine = {"name": "spec", "power_on": False}
        disc = {"label": "root", "size": 25600}
        body = {"virtual_machine": machine, "discs": [disc], "reimage": reimage}
        assert one.post(one.group() + "/vm_create", json=body).status_code == 202
        assert reimage_vm(one, "spec", **reimage).status_code == 200
        alone = {"virtual_machine": {**machine, "name": "nodisc"}, "reimage": reimage}
        assert list(error_of(one.post(one.group() + "/vm_create", json=alone), 400)) == ["discs"]
        error_of(one.get(one.vm("nodisc")), 404)  # nothing was created
    api.create("bare", power_on=False)
    assert reimage_vm(api, "bare", **reimage).status_code == 200


def test_sendkey_takes_only_the_definitions_keys(api, dv):
    dv.make("www1", **RUNNING)
    strict = signal_vm(dv, "www1", signal="sendkey", data="ctrl-alt-del")
    assert list(error_of(strict, 400)) == ["data"]
    assert signal_vm(dv, "www1", signal="sendkey", data="ctrl-alt-delete").status_code == 200
    api.create("www1", power_on=True)
    assert signal_vm(api, "www1", signal="sendkey", data="ctrl-alt-del").status_code == 200


def test_sendkey_without_data_sends_nothing(dv):
    dv.make("www1", **RUNNING)
    reply = signal_vm(dv, "www1", signal="sendkey")
    assert reply.status_code == 200 and reply.json() == {"signal": "sendkey"}


def test_a_powerdown_takes_its_time(dv):
    dv.make("www1", power_on=True, autoreboot_on=False)
    assert signal_vm(dv, "www1", signal="powerdown").status_code == 200
    during = dv.read("www1")
    assert during["power_on"] is True and during["head"] is not None
    dv.clock.advance(divergent.POWERDOWN_SECONDS + 0.5)
    assert dv.read("www1")["power_on"] is False
    dv.make("back", **RUNNING)  # autoreboot_on brings it straight back
    signal_vm(dv, "back", signal="powerdown")
    dv.clock.advance(divergent.POWERDOWN_SECONDS + 0.5)
    assert dv.read("back")["power_on"] is True


def test_a_stop_during_a_powerdown_is_at_once(dv):
    dv.make("www1", power_on=True, autoreboot_on=False)
    signal_vm(dv, "www1", signal="powerdown")
    assert dv.put(dv.vm("www1"), json={"power_on": False}).json()["power_on"] is False


# --- state rules ---------------------------------------------------------------------------
def test_refusal_by_state_is_409(dv):
    dv.make("on", **RUNNING)
    dv.make("off", power_on=False)
    # the reason in plain text (refusal-media-type), under `state`
    assert reason_of(reimage_vm(dv, "on", root_password="pw"), 409).startswith("state: ")
    assert reason_of(signal_vm(dv, "off", signal="reset"), 409).startswith("state: ")
    with only("refusal-status") as one:
        one.create("www1", power_on=True)
        assert list(error_of(reimage_vm(one, "www1", root_password="pw"), 409)) == ["state"]
    assert dv.read("on")["power_on"] is True and dv.read("off")["power_on"] is False


def test_reimage_and_signal_of_a_deleted_machine_are_refused(dv):
    dv.make("www1", **RUNNING)
    dv.delete(dv.vm("www1"))
    assert reason_of(signal_vm(dv, "www1", signal="reset"), 400).startswith("power_on: ")
    assert reason_of(reimage_vm(dv, "www1", root_password="pw"), 400).startswith("deleted: ")
    assert dv.read("www1", include_deleted="true")["deleted"] is True


def test_start_undeletes_a_deleted_machine(dv):
    dv.make("www1", **RUNNING)
    dv.delete(dv.vm("www1"))
    started = dv.put(dv.vm("www1"), json={"power_on": True}).json()
    assert (started["deleted"], started["power_on"]) == (False, True)
    assert dv.read("www1")["power_on"] is True


def test_deleted_machines_are_purged_after_300_seconds(dv):
    dv.make("www1")
    dv.delete(dv.vm("www1"))
    dv.clock.advance(divergent.UNDELETE_WINDOW - 1)
    assert dv.read("www1", include_deleted="true")["deleted"] is True
    dv.clock.advance(2)
    error_of(dv.get(dv.vm("www1"), params={"include_deleted": "true"}), 404)
    assert dv.make("www1")["deleted"] is False  # the name is free again
