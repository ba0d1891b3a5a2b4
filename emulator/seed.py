"""The seeded state: the configured account, its `default` group and user (and API key),
plus whatever a seed file adds. Seeding is idempotent: what exists already is kept, so a
restart on a `--db` file seeds nothing twice.

Seed file (YAML, or JSON when it ends in .json; every key optional):

    accounts:
      - name: other                 # a DNS label; may be the configured account too
        suspended: false
        groups:                     # `default` exists without being listed
          - name: default
            virtual_machines:       # attributes of a create (spec: VirtualMachineCreate), plus
              - name: hidden-vm     #   deleted: true   (soft-deleted at once)
                power_on: true      #   discs: [...]    (spec: DiscCreate)
    users:
      - username: bob
        password: hunter2           # needed for a new user
        email: bob@example.com
        privileges:                 # level: account_admin (default), vm_console (read-only),
          - {account: other}        #   cluster_admin / cluster_su (every account, no `account`)
        api_keys: [bobs-key]        # Authorization: Bearer apikey.bobs-key

Seeded machines are created as if their provisioning were over.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from emulator.addresses import AddressPool
from emulator.auth import digest, hash_password
from emulator.config import EmulatorConfig
from emulator.errors import ValidationFailed
from emulator.model import DEFAULT_GROUP, PRIVILEGE_LEVELS, Model
from emulator.store import Store, Transaction
from emulator.validation import API_URI, SpecValidator

JSON = "application/json"
DEFAULT_LEVEL = "account_admin"


class SeedError(Exception):
    """A seed file that cannot be used (one clear sentence)."""


def _expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise SeedError(f"{where}: {message}")


def _list(parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = parent.get(key, [])
    _expect(isinstance(value, list), f"{where}.{key}", "must be a list")
    return value


def _mapping(value: Any, where: str, keys: set[str]) -> Mapping[str, Any]:
    _expect(isinstance(value, dict), where, "must be a mapping")
    unknown = set(value) - keys
    _expect(not unknown, where, f"unknown keys {sorted(unknown)}; known: {sorted(keys)}")
    return value


class Seeder:
    """Seeds a store from the configuration and the seed file (read and checked once)."""

    def __init__(
        self,
        config: EmulatorConfig,
        model: Model,
        validator: SpecValidator,
        addresses: AddressPool,
    ) -> None:
        self.config = config
        self.model = model
        self.validator = validator
        self.addresses = addresses
        self._hashes: dict[str, str] = {}
        self._check_name(config.account, "--account")
        self.accounts: list[dict[str, Any]] = []
        self.users: list[dict[str, Any]] = []
        if config.seed_file is not None:
            self._read(config.seed_file)

    # --- reading ------------------------------------------------------------------------
    def _check_name(self, name: Any, where: str) -> None:
        messages = self.validator.schema_messages(API_URI, "Name", name)
        _expect(not messages, where, f"{name!r} {', '.join(messages)} (a DNS label is needed)")

    def _read(self, path: Path) -> None:
        try:
            text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
            raise SeedError(f"cannot read seed file {path}: {error}".replace("\n", " ")) from None
        data = _mapping(data or {}, str(path), {"accounts", "users"})
        names, seen = {self.config.account}, set()
        for index, account in enumerate(_list(data, "accounts", str(path))):
            where = f"{path}: accounts[{index}]"
            account = _mapping(account, where, {"name", "suspended", "groups"})
            _expect(
                isinstance(account.get("suspended", False), bool),
                where,
                "suspended must be a boolean",
            )
            self._check_name(account.get("name"), f"{where}.name")
            _expect(account["name"] not in seen, where, f"account {account['name']!r} twice")
            seen.add(account["name"])
            names.add(account["name"])
            groups = [
                self._group(g, f"{where}.groups[{i}]")
                for i, g in enumerate(_list(account, "groups", where))
            ]
            self.accounts.append({**account, "groups": groups})
        for index, user in enumerate(_list(data, "users", str(path))):
            where = f"{path}: users[{index}]"
            user = _mapping(
                user, where, {"username", "password", "email", "privileges", "api_keys"}
            )
            _expect(
                isinstance(user.get("username"), str) and user["username"],
                where,
                "needs a username",
            )
            for i, privilege in enumerate(_list(user, "privileges", where)):
                self._privilege(privilege, f"{where}.privileges[{i}]", names)
            for key in _list(user, "api_keys", where):
                _expect(isinstance(key, str) and key, f"{where}.api_keys", "keys must be strings")
            self.users.append(user)

    def _group(self, group: Any, where: str) -> dict[str, Any]:
        group = _mapping(group, where, {"name", "virtual_machines"})
        self._check_name(group.get("name"), f"{where}.name")
        machines, seen = [], set()
        for index, vm in enumerate(_list(group, "virtual_machines", where)):
            vm_where = f"{where}.virtual_machines[{index}]"
            _expect(isinstance(vm, dict), vm_where, "must be a mapping")
            extra = {key: vm[key] for key in ("deleted", "discs") if key in vm}
            attributes = self._valid(
                "createVirtualMachine", {k: v for k, v in vm.items() if k not in extra}, vm_where
            )
            _expect(
                attributes["name"] not in seen, vm_where, f"machine {attributes['name']!r} twice"
            )
            seen.add(attributes["name"])
            _expect(
                isinstance(extra.get("deleted", False), bool), vm_where, "deleted must be a boolean"
            )
            discs = [
                self._valid("createDisc", d, f"{vm_where}.discs[{i}]")
                for i, d in enumerate(extra.get("discs", []))
            ]
            machines.append(
                {"attributes": attributes, "deleted": extra.get("deleted", False), "discs": discs}
            )
        return {"name": group["name"], "virtual_machines": machines}

    def _valid(self, operation_id: str, body: Any, where: str) -> Any:
        try:
            return self.validator.body(self.validator.operations[operation_id], JSON, body)
        except ValidationFailed as error:
            raise SeedError(f"{where}: {error.body}") from None

    @staticmethod
    def _privilege(privilege: Any, where: str, accounts: set[str]) -> None:
        privilege = _mapping(privilege, where, {"account", "level"})
        level = privilege.get("level", DEFAULT_LEVEL)
        _expect(
            level in PRIVILEGE_LEVELS, where, f"level must be one of {sorted(PRIVILEGE_LEVELS)}"
        )
        every, _ = PRIVILEGE_LEVELS[level]
        if not every:
            _expect(privilege.get("account") in accounts, where, "names no account of the seed")

    # --- seeding ------------------------------------------------------------------------
    def _hash(self, password: str) -> str:
        if password not in self._hashes:
            self._hashes[password] = hash_password(password)
        return self._hashes[password]

    def seed(self, store: Store, now: float) -> None:
        with store.transaction() as tx:
            self._apply(tx, now)

    def reset(self, store: Store, now: float) -> None:
        """Everything back to the seeded state, in one transaction."""
        with store.transaction() as tx:
            tx.clear()
            self._apply(tx, now)

    def _account(self, tx: Transaction, name: str, suspended: bool = False) -> int:
        account = tx.account_named(name)
        account_id = account.id if account else tx.insert_account(name, suspended).id
        if tx.group_named(account_id, DEFAULT_GROUP) is None:
            tx.insert_group(account_id, DEFAULT_GROUP)
        return account_id

    def _apply(self, tx: Transaction, now: float) -> None:
        config = self.config
        account_id = self._account(tx, config.account)
        user_id = tx.upsert_user(config.user, self._hash(config.password), None)
        tx.grant(user_id, account_id, DEFAULT_LEVEL)
        if config.api_key:
            tx.add_api_key(user_id, digest(config.api_key))
        for account in self.accounts:
            account_id = self._account(tx, account["name"], account.get("suspended", False))
            for group in account["groups"]:
                found = tx.group_named(account_id, group["name"])
                group_id = found.id if found else tx.insert_group(account_id, group["name"]).id
                for vm in group["virtual_machines"]:
                    self._machine(tx, group_id, vm, now)
        for user in self.users:
            password = user.get("password")
            if password is None and tx.user(user["username"]) is None:
                raise SeedError(f"seed user {user['username']!r} is new and needs a password")
            user_id = tx.upsert_user(
                user["username"], self._hash(password) if password else None, user.get("email")
            )
            for privilege in user.get("privileges", []):
                target = tx.account_named(privilege["account"]) if "account" in privilege else None
                tx.grant(
                    user_id, target.id if target else None, privilege.get("level", DEFAULT_LEVEL)
                )
            for key in user.get("api_keys", []):
                tx.add_api_key(user_id, digest(key))

    def _machine(self, tx: Transaction, group_id: int, vm: dict[str, Any], now: float) -> None:
        attributes = vm["attributes"]
        if tx.name_taken(group_id, attributes["name"]):
            return
        slot = tx.take_address_slot()
        address = self.addresses.address(slot)
        if address is None:
            raise SeedError("the address pools are too small for the seeded machines")
        machine = self.model.settle(self.model.new_vm(attributes, group_id, address, now), math.inf)
        if vm["deleted"]:
            deleted = self.model.delete(machine, {"purge": False}, now)
            assert deleted is not None
            machine = deleted
        vm_id = tx.insert_vm(machine, slot)
        tx.insert_nic(vm_id)
        for disc in self.model_discs(vm["discs"]):
            tx.insert_disc(vm_id, **disc)

    def model_discs(self, discs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        taken: set[str] = set()
        fields = []
        for disc in discs:
            try:
                accepted = self.model.new_disc_fields(disc, taken)
            except ValidationFailed as error:
                raise SeedError(f"seeded disc {disc}: {error.body}") from None
            taken.add(accepted["label"])
            fields.append(accepted)
        return fields
