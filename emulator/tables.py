"""The SQLite tables the store keeps: the schema (its constraints make the invariants
impossible to break), the order a reset empties them in, and the columns of a machine."""

from __future__ import annotations

SCHEMA_VERSION = "1"


SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    suspended INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    UNIQUE (account_id, name));
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    email TEXT,
    password_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS privileges (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    level TEXT NOT NULL,
    UNIQUE (user_id, account_id, level));
CREATE TABLE IF NOT EXISTS api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    factors TEXT NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS virtual_machines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL REFERENCES groups(id),
    name TEXT NOT NULL,
    cores INTEGER NOT NULL,
    memory INTEGER NOT NULL,
    power_on INTEGER NOT NULL,
    autoreboot_on INTEGER NOT NULL,
    cdrom_url TEXT,
    keymap TEXT,
    hardware_profile TEXT NOT NULL,
    hardware_profile_locked INTEGER NOT NULL,
    zone_name TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    management_address TEXT NOT NULL UNIQUE,
    last_imaged_with TEXT,
    provisioning_until REAL,
    pending TEXT,
    address_slot INTEGER NOT NULL UNIQUE,
    deleted_at REAL,
    ran INTEGER NOT NULL DEFAULT 0,
    fixed_hostname TEXT,
    powering_down_until REAL,
    UNIQUE (group_id, name));
CREATE TABLE IF NOT EXISTS freed_address_slots (slot INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS discs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    virtual_machine_id INTEGER NOT NULL REFERENCES virtual_machines(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    size INTEGER NOT NULL,
    storage_grade TEXT NOT NULL,
    iops_limit INTEGER,
    UNIQUE (virtual_machine_id, label));
CREATE TABLE IF NOT EXISTS network_interfaces (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    virtual_machine_id INTEGER NOT NULL REFERENCES virtual_machines(id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS discs_by_vm ON discs (virtual_machine_id);
CREATE INDEX IF NOT EXISTS nics_by_vm ON network_interfaces (virtual_machine_id);
CREATE INDEX IF NOT EXISTS privileges_by_user ON privileges (user_id);
"""


# Children first, so that a reset never trips a foreign key.
TABLES = (
    "sessions",
    "api_keys",
    "privileges",
    "users",
    "network_interfaces",
    "discs",
    "virtual_machines",
    "freed_address_slots",
    "groups",
    "accounts",
)


# Columns added since the first schema: a database file made before gets them on opening.
ADDED_VM_COLUMNS = (
    ("deleted_at", "REAL"),
    ("ran", "INTEGER NOT NULL DEFAULT 0"),
    ("fixed_hostname", "TEXT"),
    ("powering_down_until", "REAL"),
)


VM_COLUMNS = (
    "id, group_id, name, cores, memory, power_on, autoreboot_on, cdrom_url, keymap, "
    "hardware_profile, hardware_profile_locked, zone_name, deleted, management_address, "
    "last_imaged_with, provisioning_until, pending, deleted_at, ran, fixed_hostname, "
    "powering_down_until"
)


# The columns a machine is written with (its id and address are given once, on insert).
VM_WRITTEN = (
    "group_id", "name", "cores", "memory", "power_on", "autoreboot_on", "cdrom_url", "keymap",
    "hardware_profile", "hardware_profile_locked", "zone_name", "deleted", "last_imaged_with",
    "provisioning_until", "pending", "deleted_at", "ran", "fixed_hostname",
    "powering_down_until",
)  # fmt: skip


SELECT_VM = f"SELECT {VM_COLUMNS} FROM virtual_machines"
