"""Accounts, groups and their overviews; the definitions table (bigv-api.md sections 6, 6.1)."""

from __future__ import annotations

import requests

import spec
from tests.emulator.helpers import ACCOUNT, error_of


def test_definitions_serve_the_spec_table_in_its_order(api):
    reply = requests.get(api.at("/definitions"), timeout=30)
    assert reply.status_code == 200 and reply.headers["Content-Type"] == "application/json"
    table = spec.definitions_table(spec.api())
    assert reply.json() == [{"id": key, "data": data} for key, data in table.items()]


def test_accounts_lists_only_the_users_accounts(api):
    names = [account["name"] for account in api.get(api.at("/accounts")).json()]
    assert names == [ACCOUNT, "readonly"]


def test_account_by_name_and_by_id(api):
    by_name = api.get(api.at(f"/accounts/{ACCOUNT}")).json()
    assert by_name == {"id": by_name["id"], "name": ACCOUNT, "suspended": False}
    assert api.get(api.at(f"/accounts/{by_name['id']}")).json() == by_name


def test_account_overview_embeds_groups_machines_discs_and_interfaces(api):
    api.create("www1")
    api.create("gone")
    api.delete(api.vm("gone"))
    overview = api.get(api.at(f"/accounts/{ACCOUNT}"), params={"view": "overview"}).json()
    (group,) = overview["groups"]
    assert group["type"] == "application/vnd.bigv.group" and group["name"] == "default"
    (machine,) = group["virtual_machines"]
    assert machine["name"] == "www1" and machine["type"] == "application/vnd.bigv.virtual-machine"
    assert len(machine["network_interfaces"]) == 1 and machine["discs"] == []
    everything = api.get(
        api.at(f"/accounts/{ACCOUNT}"), params={"view": "overview", "include_deleted": "true"}
    ).json()
    names = {vm["name"] for vm in everything["groups"][0]["virtual_machines"]}
    assert names == {"www1", "gone"}


def test_accounts_overview_as_the_official_client_enumerates(api):
    api.create("www1")
    reply = api.get(api.at("/accounts"), params={"view": "overview", "include_deleted": "true"})
    accounts = {account["name"]: account for account in reply.json()}
    assert [vm["name"] for vm in accounts[ACCOUNT]["groups"][0]["virtual_machines"]] == ["www1"]


def test_group_by_id_name_and_default_with_overview(api):
    machine = api.create("www1")
    group = api.get(api.group()).json()
    assert group == {"id": group["id"], "account_id": group["account_id"], "name": "default"}
    assert api.get(api.group(str(group["id"]))).json() == group
    overview = api.get(api.group(), params={"view": "overview"}).json()
    assert [vm["id"] for vm in overview["virtual_machines"]] == [machine["id"]]


def test_groups_create_list_and_names_unique_in_account(api):
    groups = api.at(f"/accounts/{ACCOUNT}/groups")
    reply = api.post(groups, json={"name": "staging"})
    assert reply.status_code == 201 and reply.json()["name"] == "staging"
    assert [g["name"] for g in api.get(groups).json()] == ["default", "staging"]
    assert error_of(api.post(groups, json={"name": "staging"}), 400) == {
        "name": ["has already been taken"]
    }
    assert "name" in error_of(api.post(groups, json={"name": "Not Valid"}), 400)


def test_group_delete_refused_while_it_holds_machines_deleted_ones_included(api):
    groups = api.at(f"/accounts/{ACCOUNT}/groups")
    api.post(groups, json={"name": "staging"})
    api.create("www1", group="staging")
    api.delete(api.vm("www1", group="staging"))
    body = error_of(api.delete(api.group("staging")), 400)
    assert "virtual_machines" in body
    api.delete(api.vm("www1", group="staging"), params={"purge": "true"})
    assert api.delete(api.group("staging")).status_code == 204
    error_of(api.get(api.group("staging")), 404)


def test_the_default_group_cannot_be_deleted(api):
    assert "name" in error_of(api.delete(api.group()), 400)


def test_unknown_account_and_group_are_404(api):
    error_of(api.get(api.at("/accounts/nope")), 404)
    error_of(api.get(api.group("nope")), 404)
    error_of(api.get(api.vms("nope")), 404)
    error_of(api.get(api.vms(account="nope")), 404)
