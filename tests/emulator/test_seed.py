"""Seeding: the configured account, group and user; seed files; idempotence; resets."""

from __future__ import annotations

import json

import pytest

from emulator.config import EmulatorConfig
from emulator.seed import SeedError
from emulator.server import create, start
from tests.emulator.helpers import ACCOUNT, SEED_FILE, Api, error_of


def test_the_two_accounts_fixture_is_loaded(api):
    bob = Api(api.url, auth=("bob", "bobs-password"))
    secret = bob.read("secret-vm", account="foreign", view="overview")
    assert (secret["cores"], secret["memory"], secret["power_on"]) == (2, 2048, True)
    assert [disc["label"] for disc in secret["discs"]] == ["root"]
    old = bob.read("old-vm", account="foreign", include_deleted="true")
    assert old["deleted"] is True and old["power_on"] is False
    groups = [group["name"] for group in bob.get(api.at("/accounts/foreign/groups")).json()]
    assert groups == ["default", "staging"]
    keyed = Api(api.url, auth=None)
    reply = keyed.get(
        api.vms(account="foreign"), headers={"Authorization": "Bearer apikey.bobs-key"}
    )
    assert [vm["name"] for vm in reply.json()] == ["secret-vm"]


def test_reset_brings_back_the_seeded_state(api):
    api.create("extra")
    bob = Api(api.url, auth=("bob", "bobs-password"))
    bob.delete(bob.vm("secret-vm", account="foreign"), params={"purge": "true"})
    assert api.post(api.at("/_emulator/reset")).json() == {"reset": True}
    assert api.get(api.vms()).json() == []
    assert bob.get(bob.vm("secret-vm", account="foreign")).status_code == 200


def test_seed_file_may_add_to_the_configured_account(tmp_path):
    group = {"name": "default", "virtual_machines": [{"name": "pre-made", "cores": 3}]}
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"accounts": [{"name": ACCOUNT, "groups": [group]}]}))
    running = start(EmulatorConfig(seed_file=seed))
    try:
        assert Api(running.url).read("pre-made")["cores"] == 3
    finally:
        running.stop()


def test_seeding_a_database_twice_adds_nothing(tmp_path):
    config = EmulatorConfig(db=tmp_path / "bigv.db", seed_file=SEED_FILE)
    for _ in range(2):
        emulator = create(config)
        with emulator.store.transaction() as tx:
            accounts = [account.name for account in tx.accounts()]
            machines = tx.vms(group.id for a in tx.accounts() for group in tx.groups(a.id))
        emulator.server.server_close()
        emulator.store.close()
        assert accounts == [ACCOUNT, "foreign", "readonly"]
        assert sorted(vm.name for vm in machines) == ["old-vm", "secret-vm", "watched-vm"]


MACHINES = "accounts: [{name: x, groups: [{name: default, virtual_machines: %s}]}]"
USERS = "users: [{username: u, password: p, privileges: [%s]}]"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("accounts: [", "cannot read seed file"),
        ("- 1\n- 2\n", "must be a mapping"),
        ("accounts: [{name: x, colour: red}]", "unknown keys ['colour']"),
        ("accounts: [{name: Bad_Name}]", "a DNS label is needed"),
        ("accounts: [{name: x}, {name: x}]", "account 'x' twice"),
        (MACHINES % "[{name: a}, {name: a}]", "machine 'a' twice"),
        (MACHINES % "[{cores: 1}]", "can't be blank"),
        (MACHINES % "[{name: a, discs: [{size: 0}]}]", "greater than or equal to 1"),
        (USERS % "{account: nowhere}", "names no account"),
        (USERS % "{account: x, level: god}", "level must be"),
        ("users: [{password: p}]", "needs a username"),
    ],
)
def test_bad_seed_files_are_refused_with_where_and_why(tmp_path, text, said):
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)
    with pytest.raises(SeedError) as raised:
        create(EmulatorConfig(seed_file=seed))
    assert said in str(raised.value) and str(seed) in str(raised.value)


def test_a_new_user_without_password_is_refused(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("users: [{username: newbie}]")
    with pytest.raises(SeedError, match="newbie"):
        create(EmulatorConfig(seed_file=seed))


def test_configured_account_must_be_a_dns_label():
    with pytest.raises(SeedError, match="--account"):
        create(EmulatorConfig(account="Not Valid"))


def test_cluster_wide_privileges_see_every_account(tmp_path):
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "accounts: [{name: other}]\n"
        "users: [{username: root, password: pw, privileges: [{level: cluster_admin}]}]\n"
    )
    running = start(EmulatorConfig(seed_file=seed))
    try:
        root = Api(running.url, auth=("root", "pw"))
        assert [a["name"] for a in root.get(root.at("/accounts")).json()] == [ACCOUNT, "other"]
        assert root.post(root.vms(account="other"), json={"name": "vm1"}).status_code == 202
        error_of(Api(running.url).get(root.vms(account="other")), 404)
    finally:
        running.stop()
