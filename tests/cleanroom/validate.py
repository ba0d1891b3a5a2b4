"""Attribute rules for VMs, discs, reimage, signal and group bodies."""

import ipaddress
import re
from urllib.parse import urlsplit

from . import definitions as defs
from .errors import Errors

NAME_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
HOST_RE = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
DEVICE_RE = re.compile(r"(?:sd|hd|vd|xvd)[a-z]+[0-9]*")
NOT_LISTED = "is not included in the list"
NOT_BOOL = "must be true or false"

# The record's attribute table (§4.1), as the emulator also lists it: written again on purpose,
# since the clean-room server shares nothing with the emulator.
VM_CREATE_KEYS = (
    "name",
    "cores",
    "memory",
    "power_on",
    "autoreboot_on",
    "cdrom_url",
    "keymap",
    "hardware_profile",
    "hardware_profile_locked",
    "zone_name",
)
VM_UPDATE_KEYS = (*VM_CREATE_KEYS, "group_id", "deleted", "appliance")


def is_int(value) -> bool:
    """A JSON integer (booleans excluded)."""
    return isinstance(value, int) and not isinstance(value, bool)


def check_name(value, errors: Errors, field: str = "name") -> str | None:
    """DNS-label rule shared by VM, group and disc names."""
    if value is None or value == "":
        errors.add(field, "can't be blank")
    elif not isinstance(value, str):
        errors.add(field, "is invalid")
    elif len(value) < 3:
        errors.add(field, "is too short (minimum is 3 characters)")
    elif len(value) > 63:
        errors.add(field, "is too long (maximum is 63 characters)")
    elif not NAME_RE.fullmatch(value) or value.isdigit():
        errors.add(field, "is invalid")
    else:
        return value
    return None


def check_int(value, errors: Errors, field: str, lo: int, hi: int | None) -> int | None:
    """Integer within [lo, hi]."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.add(field, "is not a number")
    elif not is_int(value):
        errors.add(field, "must be an integer")
    elif value < lo:
        errors.add(field, f"must be greater than or equal to {lo}")
    elif hi is not None and value > hi:
        errors.add(field, f"must be less than or equal to {hi}")
    else:
        return value
    return None


def check_choice(value, errors: Errors, field: str, choices, nullable: bool = False):
    """Value from a fixed list (or null when allowed)."""
    if value is None and nullable:
        return None
    if value is None or value == "":
        errors.add(field, "can't be blank")
    elif not isinstance(value, str) or value not in choices:
        errors.add(field, NOT_LISTED)
    else:
        return value
    return None


def check_url(value, errors: Errors, field: str = "cdrom_url") -> str | None:
    """Public http(s) URL; null or "" clears."""
    if value is None or value == "":
        return None
    bad = "is not a valid public HTTP URL"
    if not isinstance(value, str) or len(value) > 2048 or not value.isprintable() or " " in value:
        errors.add(field, bad)
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
        host = parts.hostname or ""
    except ValueError:
        errors.add(field, bad)
        return None
    ok = parts.scheme in ("http", "https") and host and not host.endswith("localhost")
    if ok:
        try:
            ok = ipaddress.ip_address(host).is_global
        except ValueError:
            ok = HOST_RE.fullmatch(host) is not None
    if not ok:
        errors.add(field, bad)
        return None
    return value


def vm_attrs(body: dict, errors: Errors, creating: bool) -> dict:
    """Clean the known writable VM attributes of a body; unknown keys are dropped."""
    out: dict = {}
    keys = VM_CREATE_KEYS if creating else VM_UPDATE_KEYS
    if creating and "name" not in body:
        errors.add("name", "can't be blank")
    for key in keys:
        if key not in body:
            continue
        value = body[key]
        n = len(errors.fields.get(key, []))
        if key == "name":
            value = check_name(value, errors)
        elif key == "cores":
            value = check_int(value, errors, key, 1, defs.MAX_CORES)
        elif key == "memory":
            if (
                check_int(value, errors, key, 0, None) is not None
                and value not in defs.MEMORY_VALUES
            ):
                errors.add(key, NOT_LISTED)
        elif key in ("power_on", "autoreboot_on", "hardware_profile_locked", "deleted"):
            if not isinstance(value, bool):
                errors.add(key, NOT_BOOL)
            elif key == "deleted" and value:
                errors.add(key, "can only be set to false (use DELETE to delete)")
        elif key == "cdrom_url":
            value = check_url(value, errors)
        elif key == "keymap":
            value = check_choice(value, errors, key, defs.KEYMAPS, nullable=True)
        elif key == "hardware_profile":
            value = check_choice(value, errors, key, defs.HARDWARE_PROFILES)
        elif key == "zone_name":
            value = check_choice(value, errors, key, defs.ZONE_NAMES)
        elif key == "group_id":
            if not is_int(value):
                errors.add(key, "is invalid")
        elif key == "appliance":
            check_appliance(value, errors)
        if len(errors.fields.get(key, [])) == n:
            out[key] = value
    return out


def check_appliance(value, errors: Errors) -> None:
    """{"name": str, "permanent": bool?}."""
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("name"), str)
        or not value["name"]
        or not isinstance(value.get("permanent", False), bool)
    ):
        errors.add("appliance", "is invalid")


def check_label(value, errors: Errors) -> str | None:
    """Disc label: name rule, and not a Unix device name."""
    label = check_name(value, errors, "label")
    if label is not None and DEVICE_RE.fullmatch(label):
        errors.add("label", "must not look like a device name (vda, sda, hda, ...)")
        return None
    return label


def check_schedules(value, errors: Errors) -> list | None:
    """backup_schedules: [{"start_at", "interval_seconds", "capacity"}]; null means none."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.add("backup_schedules", "is invalid")
        return None
    out = []
    for item in value:
        if not isinstance(item, dict):
            errors.add("backup_schedules", "is invalid")
            return None
        start = item.get("start_at")
        interval, capacity = item.get("interval_seconds"), item.get("capacity")
        if not isinstance(start, str) or not start.strip():
            errors.add("backup_schedules", "start_at can't be blank")
        if not is_int(interval) or interval < 1:
            errors.add("backup_schedules", "interval_seconds must be a positive integer")
        if not is_int(capacity) or capacity < 1:
            errors.add("backup_schedules", "capacity must be a positive integer")
        out.append({"start_at": start, "interval_seconds": interval, "capacity": capacity})
    return None if "backup_schedules" in errors.fields else out


def disc_attrs(body: dict, errors: Errors, creating: bool) -> dict:
    """Clean disc attributes; size is required on create."""
    out: dict = {}
    if creating and "size" not in body:
        errors.add("size", "can't be blank")
    keys = ["label", "size", "storage_grade"]
    keys += ["backup_schedules"] if creating else ["iops_limit", "virtual_machine_id"]
    for key in keys:
        if key not in body:
            continue
        value = body[key]
        if key == "label":
            value = check_label(value, errors)
        elif key == "size":
            value = check_int(value, errors, key, defs.MIN_DISC_SIZE, defs.MAX_DISC_SIZE)
        elif key == "storage_grade":
            value = check_choice(value, errors, key, defs.STORAGE_GRADES)
        elif key == "backup_schedules":
            value = check_schedules(value, errors)
        elif key == "iops_limit" and value is not None:
            value = check_int(value, errors, key, 1, None)
        elif key == "virtual_machine_id" and not is_int(value):
            errors.add(key, "is invalid")
        if key not in errors.fields:
            out[key] = value
    return out


def reimage_attrs(body: dict, errors: Errors) -> dict:
    """Clean a reimage spec; returns the echo of the known keys sent."""
    check_choice(body.get("distribution"), errors, "distribution", defs.DISTRIBUTIONS)
    password = body.get("root_password")
    if password is None or password == "":
        errors.add("root_password", "can't be blank")
    elif not isinstance(password, str):
        errors.add("root_password", "is invalid")
    for key in ("ssh_public_key", "firstboot_script"):
        if body.get(key) is not None and not isinstance(body[key], str):
            errors.add(key, "is invalid")
    keys = ("distribution", "root_password", "ssh_public_key", "firstboot_script")
    return {k: body[k] for k in keys if k in body}


def signal_attrs(body: dict, errors: Errors) -> dict:
    """Clean a signal body; returns the echo."""
    signal = check_choice(body.get("signal"), errors, "signal", defs.SIGNALS)
    out = {"signal": body.get("signal")}
    if signal == "sendkey":
        data = body.get("data")
        if data is None or data == "":
            errors.add("data", "can't be blank")
        elif not isinstance(data, str) or not all(
            defs.SENDKEY_ALIASES.get(k, k) in defs.SENDKEYS for k in data.split("-")
        ):
            errors.add("data", "is invalid")
    if "data" in body:
        out["data"] = body["data"]
    return out
