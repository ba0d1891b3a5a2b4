"""State in SQLite (stdlib `sqlite3`): one connection, one lock, one unit of work per request.

Writes run in `BEGIN IMMEDIATE` transactions; the schema's constraints make the invariants
impossible to break even by a bug above: a machine's name is UNIQUE in its group until the
machine is purged (deleted machines keep their row), ids come from AUTOINCREMENT and are never
reused (not even after a reset), a management address belongs to one machine at a time.
A `--db` file runs in WAL mode with `synchronous=FULL`: a write is on disk before its
response is sent, so a crash (kill -9) loses nothing that was acknowledged.

The store knows nothing about HTTP; it speaks in the model's dataclasses. How ids are given
out (from 1, step 1, by AUTOINCREMENT) and lists ordered (oldest first) are its defaults; the
divergent mode gives other ones (`ids-and-order`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.records import Account, Disc, Group, NetworkInterface, VirtualMachine
from emulator.tables import (
    ADDED_VM_COLUMNS,
    SCHEMA,
    SCHEMA_VERSION,
    SELECT_VM,
    TABLES,
    VM_WRITTEN,
)


class StoreError(Exception):
    """The database cannot be opened or does not fit this emulator (a configuration error)."""


class Conflict(Exception):
    """A change would break a UNIQUE constraint (a name taken in its group or account)."""


@contextmanager
def _unique() -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as error:
        raise Conflict(str(error)) from None


def _vm(row: tuple[Any, ...]) -> VirtualMachine:
    (id_, group_id, name, cores, memory, power_on, autoreboot, cdrom, keymap, profile,
     locked, zone, deleted, address, imaged, until, pending, deleted_at, ran, fixed_hostname,
     powering_down_until) = row  # fmt: skip
    return VirtualMachine(
        id_, group_id, name, cores, memory, bool(power_on), bool(autoreboot), cdrom, keymap,
        profile, bool(locked), zone, bool(deleted), address, imaged, until,
        json.loads(pending) if pending else None, deleted_at, bool(ran), fixed_hostname,
        powering_down_until,
    )  # fmt: skip


def _by_id_or_name(ref: str) -> tuple[int | None, str]:
    return (int(ref) if ref.isascii() and ref.isdigit() else None), ref


@dataclass(frozen=True)
class Ids:
    """How the objects the API creates (groups, machines, discs, interfaces) get their ids,
    and in which order their lists come."""

    start: int = 1
    step: int = 1
    newest_first: bool = False

    @property
    def by_autoincrement(self) -> bool:
        return (self.start, self.step) == (1, 1)


class Transaction:
    """Queries and changes inside one transaction."""

    def __init__(self, connection: sqlite3.Connection, ids: Ids = Ids()) -> None:
        self._db = connection
        self._ids = ids
        self._order = "ORDER BY id DESC" if ids.newest_first else "ORDER BY id"

    def _one(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        return self._db.execute(sql, args).fetchone()

    def _insert(self, table: str, columns: dict[str, Any], numbered: bool = True) -> int:
        """Insert one row; its id, by AUTOINCREMENT or (`numbered`) by the store's other
        numbering (never one given before: the sequence remembers the highest)."""
        if numbered and not self._ids.by_autoincrement:
            row = self._one("SELECT seq FROM sqlite_sequence WHERE name = ?", table)
            last = row[0] if row else 0
            number = self._ids.start if last < self._ids.start else last + self._ids.step
            columns = {"id": number, **columns}
        names = ", ".join(columns)
        marks = ", ".join("?" * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
        cursor = self._db.execute(sql, tuple(columns.values()))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    # --- accounts and groups ------------------------------------------------------------
    def account(self, ref: str) -> Account | None:
        """By id (all digits) or, failing that, by name."""
        number, name = _by_id_or_name(ref)
        row = None
        if number is not None:
            row = self._one("SELECT id, name, suspended FROM accounts WHERE id = ?", number)
        row = row or self._one("SELECT id, name, suspended FROM accounts WHERE name = ?", name)
        return Account(row[0], row[1], bool(row[2])) if row else None

    def account_by_id(self, account_id: int) -> Account | None:
        row = self._one("SELECT id, name, suspended FROM accounts WHERE id = ?", account_id)
        return Account(row[0], row[1], bool(row[2])) if row else None

    def account_named(self, name: str) -> Account | None:
        row = self._one("SELECT id, name, suspended FROM accounts WHERE name = ?", name)
        return Account(row[0], row[1], bool(row[2])) if row else None

    def accounts(self) -> list[Account]:
        rows = self._db.execute("SELECT id, name, suspended FROM accounts ORDER BY id")
        return [Account(i, n, bool(s)) for i, n, s in rows]

    def group(self, account_id: int, ref: str) -> Group | None:
        """By id (all digits) or, failing that, by name (`default` included)."""
        number, name = _by_id_or_name(ref)
        row = None
        sql = "SELECT id, account_id, name FROM groups WHERE account_id = ? AND "
        if number is not None:
            row = self._one(sql + "id = ?", account_id, number)
        row = row or self._one(sql + "name = ?", account_id, name)
        return Group(*row) if row else None

    def group_named(self, account_id: int, name: str) -> Group | None:
        row = self._one(
            "SELECT id, account_id, name FROM groups WHERE account_id = ? AND name = ?",
            account_id,
            name,
        )
        return Group(*row) if row else None

    def group_by_id(self, group_id: int) -> Group | None:
        row = self._one("SELECT id, account_id, name FROM groups WHERE id = ?", group_id)
        return Group(*row) if row else None

    def groups(self, account_id: int) -> list[Group]:
        rows = self._db.execute(
            f"SELECT id, account_id, name FROM groups WHERE account_id = ? {self._order}",
            (account_id,),
        )
        return [Group(*row) for row in rows]

    def insert_account(self, name: str, suspended: bool = False) -> Account:
        """Accounts are configuration (seeded, never created by a request): they keep their
        ids and their order whatever the numbering of the objects the API creates."""
        account_id = self._insert("accounts", {"name": name, "suspended": suspended}, False)
        return Account(account_id, name, suspended)

    def insert_group(self, account_id: int, name: str) -> Group:
        """Raises Conflict when the account has a group of that name."""
        with _unique():
            group_id = self._insert("groups", {"account_id": account_id, "name": name})
        return Group(group_id, account_id, name)

    def group_holds_machines(self, group_id: int, deleted_count: bool = True) -> bool:
        """Deleted (not purged) machines count, unless `deleted_count` is false."""
        live = "" if deleted_count else " AND deleted = 0"
        sql = f"SELECT 1 FROM virtual_machines WHERE group_id = ?{live} LIMIT 1"
        return self._one(sql, group_id) is not None

    def deleted_vm_ids(self, group_id: int | None = None, before: float | None = None) -> list:
        """Ids of deleted machines: of one group, or deleted before a time (or both)."""
        sql = "SELECT id FROM virtual_machines WHERE deleted = 1"
        args: list[Any] = []
        if group_id is not None:
            sql, args = sql + " AND group_id = ?", [*args, group_id]
        if before is not None:
            sql, args = sql + " AND deleted_at IS NOT NULL AND deleted_at <= ?", [*args, before]
        return [row[0] for row in self._db.execute(sql, args)]

    def delete_group(self, group_id: int) -> None:
        self._db.execute("DELETE FROM groups WHERE id = ?", (group_id,))

    # --- virtual machines ---------------------------------------------------------------
    def vm(self, group_id: int, ref: str) -> VirtualMachine | None:
        """By id (all digits) or, failing that, by name, within one group."""
        number, name = _by_id_or_name(ref)
        row = None
        if number is not None:
            row = self._one(f"{SELECT_VM} WHERE group_id = ? AND id = ?", group_id, number)
        row = row or self._one(f"{SELECT_VM} WHERE group_id = ? AND name = ?", group_id, name)
        return _vm(row) if row else None

    def vms(self, group_ids: Iterable[int]) -> list[VirtualMachine]:
        ids = list(group_ids)
        marks = ",".join("?" * len(ids))
        rows = self._db.execute(f"{SELECT_VM} WHERE group_id IN ({marks}) {self._order}", ids)
        return [_vm(row) for row in rows]

    def name_taken(self, group_id: int, name: str, except_id: int = 0) -> bool:
        sql = "SELECT 1 FROM virtual_machines WHERE group_id = ? AND name = ? AND id != ?"
        return self._one(sql, group_id, name, except_id) is not None

    def name_taken_in_account(self, account_id: int, name: str, except_id: int = 0) -> bool:
        sql = (
            "SELECT 1 FROM virtual_machines JOIN groups ON groups.id = virtual_machines.group_id"
            " WHERE groups.account_id = ? AND virtual_machines.name = ?"
            " AND virtual_machines.id != ?"
        )
        return self._one(sql, account_id, name, except_id) is not None

    def take_address_slot(self) -> int:
        """The lowest slot returned by a purge, else the one after the highest in use."""
        row = self._one("SELECT slot FROM freed_address_slots ORDER BY slot LIMIT 1")
        if row:
            self._db.execute("DELETE FROM freed_address_slots WHERE slot = ?", row)
            return row[0]
        row = self._one("SELECT COALESCE(MAX(address_slot) + 1, 0) FROM virtual_machines")
        assert row is not None
        return row[0]

    def insert_vm(self, vm: VirtualMachine, address_slot: int) -> int:
        """Raises Conflict when the name is taken in the group."""
        columns = {
            **self._vm_values(vm),
            "management_address": vm.management_address,
            "address_slot": address_slot,
        }
        with _unique():
            return self._insert("virtual_machines", columns)

    @staticmethod
    def _vm_values(vm: VirtualMachine) -> dict[str, Any]:
        values = {name: getattr(vm, name) for name in VM_WRITTEN}
        values["pending"] = json.dumps(vm.pending) if vm.pending is not None else None
        return values

    def save_vm(self, vm: VirtualMachine) -> None:
        """Raises Conflict when a rename or move meets a taken name."""
        values = self._vm_values(vm)
        assignments = ", ".join(f"{name} = ?" for name in values)
        with _unique():
            self._db.execute(
                f"UPDATE virtual_machines SET {assignments} WHERE id = ?",
                (*values.values(), vm.id),
            )

    def purge_vm(self, vm_id: int) -> None:
        """Remove a machine with its discs and interfaces; its address goes back to the pool."""
        row = self._one("SELECT address_slot FROM virtual_machines WHERE id = ?", vm_id)
        self._db.execute("DELETE FROM virtual_machines WHERE id = ?", (vm_id,))
        if row:
            self._db.execute("INSERT INTO freed_address_slots (slot) VALUES (?)", row)

    # --- discs and network interfaces ---------------------------------------------------
    def _by_machine(self, select: str, vm_ids: Iterable[int], make: Any) -> dict[int, list]:
        """Rows of `select` (second column: the machine's id) for the machines, by machine."""
        found: dict[int, list] = {}
        for chunk in _chunks(list(vm_ids)):
            marks = ",".join("?" * len(chunk))
            sql = f"{select} WHERE virtual_machine_id IN ({marks}) {self._order}"
            rows = self._db.execute(sql, chunk)
            for row in rows:
                found.setdefault(row[1], []).append(make(*row))
        return found

    def discs(self, vm_ids: Iterable[int]) -> dict[int, list[Disc]]:
        select = "SELECT id, virtual_machine_id, label, size, storage_grade, iops_limit FROM discs"
        return self._by_machine(select, vm_ids, Disc)

    def disc(self, vm_id: int, ref: str) -> Disc | None:
        """By id (all digits) or, failing that, by label."""
        return next(
            (
                disc
                for disc in self.discs([vm_id]).get(vm_id, [])
                if str(disc.id) == ref or disc.label == ref
            ),
            None,
        )

    def insert_disc(self, vm_id: int, label: str, size: int, storage_grade: str) -> Disc:
        """Raises Conflict when the machine has a disc with that label."""
        columns = {
            "virtual_machine_id": vm_id, "label": label, "size": size,
            "storage_grade": storage_grade,
        }  # fmt: skip
        with _unique():
            disc_id = self._insert("discs", columns)
        return Disc(disc_id, vm_id, label, size, storage_grade)

    def save_disc(self, disc: Disc) -> None:
        self._db.execute(
            "UPDATE discs SET size = ?, iops_limit = ? WHERE id = ?",
            (disc.size, disc.iops_limit, disc.id),
        )

    def delete_disc(self, disc_id: int) -> None:
        self._db.execute("DELETE FROM discs WHERE id = ?", (disc_id,))

    def nics(self, vm_ids: Iterable[int]) -> dict[int, list[NetworkInterface]]:
        select = "SELECT id, virtual_machine_id FROM network_interfaces"
        return self._by_machine(select, vm_ids, NetworkInterface)

    def insert_nic(self, vm_id: int) -> NetworkInterface:
        return NetworkInterface(
            self._insert("network_interfaces", {"virtual_machine_id": vm_id}), vm_id
        )

    # --- users, privileges, keys, sessions ----------------------------------------------
    def user(self, username: str) -> tuple[int, str, str] | None:
        """(id, username, password hash)."""
        return self._one(  # type: ignore[return-value]
            "SELECT id, username, password_hash FROM users WHERE username = ?", username
        )

    def user_by_id(self, user_id: int) -> tuple[int, str, str] | None:
        return self._one(  # type: ignore[return-value]
            "SELECT id, username, password_hash FROM users WHERE id = ?", user_id
        )

    def upsert_user(self, username: str, password_hash: str | None, email: str | None) -> int:
        row = self._one("SELECT id FROM users WHERE username = ?", username)
        if row is None:
            if password_hash is None:
                raise ValueError(f"user {username!r} needs a password")
            cursor = self._db.execute(
                "INSERT INTO users (username, email, password_hash) VALUES (?, ?, ?)",
                (username, email, password_hash),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid
        if password_hash is not None:
            self._db.execute(
                "UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, row[0])
            )
        return row[0]

    def privileges(self, user_id: int) -> list[tuple[str, int | None]]:
        """(level, account id or None for cluster-wide levels)."""
        rows = self._db.execute(
            "SELECT level, account_id FROM privileges WHERE user_id = ? ORDER BY id", (user_id,)
        )
        return [(level, account_id) for level, account_id in rows]

    def grant(self, user_id: int, account_id: int | None, level: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO privileges (user_id, account_id, level) VALUES (?, ?, ?)",
            (user_id, account_id, level),
        )

    def add_api_key(self, user_id: int, key_hash: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO api_keys (user_id, key_hash) VALUES (?, ?)", (user_id, key_hash)
        )

    def api_key_user(self, key_hash: str) -> int | None:
        row = self._one("SELECT user_id FROM api_keys WHERE key_hash = ?", key_hash)
        return row[0] if row else None

    def insert_session(
        self, token_hash: str, user_id: int, factors: list[str], expires_at: float
    ) -> None:
        self._db.execute(
            "INSERT INTO sessions (token_hash, user_id, factors, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, user_id, json.dumps(factors), expires_at),
        )

    def live_session(
        self, token_hash: str, now: float, extend_to: float
    ) -> tuple[int, list[str]] | None:
        """(user id, factors) of an unexpired session, which is extended to `extend_to`."""
        self._db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
        row = self._one("SELECT user_id, factors FROM sessions WHERE token_hash = ?", token_hash)
        if row is None:
            return None
        self._db.execute(
            "UPDATE sessions SET expires_at = MAX(expires_at, ?) WHERE token_hash = ?",
            (extend_to, token_hash),
        )
        return row[0], json.loads(row[1])

    def clear(self) -> None:
        """Every row of every table (id sequences are kept: ids are never reused)."""
        for table in TABLES:
            self._db.execute(f"DELETE FROM {table}")


def _chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class Store:
    """One SQLite database: a file (`path`) or in memory (None)."""

    def __init__(self, path: Path | None, address_pools: tuple[str, ...], ids: Ids = Ids()) -> None:
        self.path = path
        self.ids = ids
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                str(path) if path else ":memory:", isolation_level=None, check_same_thread=False
            )
            if path is not None:
                mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    raise StoreError(f"cannot use WAL mode for {path} (got {mode})")
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.execute("PRAGMA busy_timeout = 10000")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.executescript(SCHEMA)
            self._add_columns()
            self._check_meta(address_pools)
        except sqlite3.Error as error:
            where = str(path) if path else "in-memory database"
            raise StoreError(f"cannot use database {where}: {error}") from None

    def _add_columns(self) -> None:
        """Columns added since a database file was made (it keeps working)."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(virtual_machines)")}
        for name, kind in ADDED_VM_COLUMNS:
            if name not in present:
                self._db.execute(f"ALTER TABLE virtual_machines ADD COLUMN {name} {kind}")

    def _check_meta(self, address_pools: tuple[str, ...]) -> None:
        """Record the schema version and address pools; refuse a database made otherwise."""
        wanted = {
            "schema_version": SCHEMA_VERSION,
            "address_pools": json.dumps(list(address_pools)),
        }
        with self.transaction() as tx:
            for key, value in wanted.items():
                row = tx._one("SELECT value FROM meta WHERE key = ?", key)
                if row is None:
                    tx._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
                elif row[0] != value:
                    raise StoreError(
                        f"database {self.path} was made with {key} {row[0]}, not {value}"
                    )

    @contextmanager
    def transaction(self, write: bool = True) -> Iterator[Transaction]:
        """One unit of work under the store's lock, so no other can interleave with it.

        Writes run in a `BEGIN IMMEDIATE` transaction, committed unless an exception escapes.
        Reads need no SQL transaction to see one consistent state (every write waits for
        the lock); a write a read makes on the way (settling a provisioning) is one statement,
        atomic and durable on its own.
        """
        with self._lock:
            if not write:
                yield Transaction(self._db, self.ids)
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(self._db, self.ids)
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def integrity_check(self) -> str:
        with self._lock:
            return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
