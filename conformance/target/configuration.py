"""The target of a run, read in one place: flags over BIGV_* environment over a target file.

`load_target` is the only code that reads configuration; everything else receives the frozen
`Target` it returns. A bad value raises `ConfigError` with one line that names the setting
and where it came from.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.target import tls
from conformance.target.deadline import DEFAULT_DEADLINE, parse_duration

REPO_ROOT = Path(__file__).resolve().parents[2]
EMULATOR_TARGET_FILE = REPO_ROOT / "fixtures" / "targets" / "emulator.toml"

PROFILES = ("full", "read-only", "smoke")

# setting -> environment variable
ENVIRONMENT = {
    "url": "BIGV_TARGET",
    "target_file": "BIGV_TARGET_FILE",
    "account": "BIGV_ACCOUNT",
    "group": "BIGV_GROUP",
    "user": "BIGV_USER",
    "password": "BIGV_PASSWORD",
    "otp": "BIGV_OTP",
    "otp_command": "BIGV_OTP_COMMAND",
    "token": "BIGV_TOKEN",
    "profile": "BIGV_PROFILE",
    "max_examples": "BIGV_MAX_EXAMPLES",
    "seed": "BIGV_SEED",
    "workers": "BIGV_WORKERS",
    "report_dir": "BIGV_REPORT_DIR",
    "expectations": "BIGV_EXPECTATIONS",
    "baseline": "BIGV_BASELINE",
    "rate_limit": "BIGV_RATE_LIMIT",
    "max_vms": "BIGV_MAX_VMS",
    "credentials_file": "BIGV_CREDENTIALS_FILE",
    "cluster_domain": "BIGV_CLUSTER_DOMAIN",
    "deadline": "BIGV_DEADLINE",
    "readonly_account": "BIGV_READONLY_ACCOUNT",
    "min_coverage": "BIGV_MIN_COVERAGE",
    "ca_bundle": "BIGV_CA_BUNDLE",
    "insecure": "BIGV_INSECURE",
    "client_cert": "BIGV_CLIENT_CERT",
    "client_key": "BIGV_CLIENT_KEY",
}
# What `requests` reads for its CA bundle, in its order: below every BIGV_* setting
REQUESTS_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
CREDENTIAL_KEYS = ("user", "password", "otp", "otp_command", "token")


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one line for the user."""


MAX_DEFAULT_WORKERS = 2


def default_workers() -> int:
    """One pytest worker per core, at most two: generation is CPU-bound, but each worker is
    one more Python process (~110 MB) and the embedded emulator is one process too.
    --workers sets any number."""
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS))


@dataclass(frozen=True)
class Target:
    """Everything a run needs to know about the endpoint under test and how to test it."""

    url: str | None  # None: the embedded emulator, started for the run
    account: str | None  # None: learnt from the target before the run (target.discovery)
    group: str
    cluster_domain: str | None  # None: not given; hostnames' domain is learnt from the target
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    otp: str | None = field(default=None, repr=False)
    otp_command: str | None = None
    token: str | None = field(default=None, repr=False)
    requires_otp: bool = False
    foreign_account: str | None = None  # an account the user must not be able to see
    readonly_account: str | None = None  # an account the user may read but not change
    min_coverage: float | None = None  # percent: a run whose contract coverage is below fails
    # "operationId status" -> why this target cannot answer that documented response
    unreachable: dict[str, str] = field(default_factory=dict)
    auth_url: str | None = None  # the auth service for session tokens; "{url}" = the target
    profile: str = "full"
    max_examples: int = 10
    seed: int | None = None
    workers: int = field(default_factory=default_workers)
    report_dir: Path = Path("reports")
    expectations: Path | None = None
    baseline: Path | None = None  # an earlier summary.json (or its report directory)
    wait_timeout: float = 30.0
    poll_interval: float = 0.5
    emulator_args: tuple[str, ...] = ()
    emulator_seed_file: Path | None = None
    rate_limit: float | None = None  # requests per second, None: no cap
    max_vms: int | None = None  # machines alive at once, None: no cap
    # seconds the run may take (conformance.target.deadline), None: no deadline
    deadline: float | None = DEFAULT_DEADLINE
    # No credentials were given: the reference emulator's seeded user is tried
    default_credentials: bool = False
    # TLS (conformance.target.tls): the CA bundle (file or directory) that verifies the target's
    # certificate, None: the system's; insecure: no verification at all
    ca_bundle: str | None = None
    ca_bundle_origin: str | None = None  # the flag, variable or file that gave ca_bundle
    insecure: bool = False
    client_cert: str | None = None  # PEM certificate (and key, unless client_key) for mTLS
    client_key: str | None = None

    @property
    def verify(self) -> bool | str:
        """What `requests` (and schemathesis) are given as `verify`."""
        if self.insecure:
            return False
        return self.ca_bundle or True

    @property
    def cert(self) -> str | tuple[str, str] | None:
        """What `requests` is given as `cert` (the client certificate), or None."""
        if self.client_cert and self.client_key:
            return (self.client_cert, self.client_key)
        return self.client_cert

    @property
    def embedded(self) -> bool:
        """True when the run starts its own reference emulator."""
        return self.url is None

    def with_url(self, url: str) -> Target:
        """The same target at a concrete URL (once the embedded emulator is up)."""
        return dataclasses.replace(self, url=url.rstrip("/"))

    def secrets(self) -> list[str]:
        """Values that must never appear in any output."""
        return [value for value in (self.password, self.otp, self.token) if value]

    def to_json(self) -> str:
        """Serialise for the pytest workers (passed through the environment, never a file)."""
        data = dataclasses.asdict(self)
        data["report_dir"] = str(self.report_dir)
        data["expectations"] = str(self.expectations) if self.expectations else None
        data["baseline"] = str(self.baseline) if self.baseline else None
        data["emulator_args"] = list(self.emulator_args)
        data["emulator_seed_file"] = (
            str(self.emulator_seed_file) if self.emulator_seed_file else None
        )
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Target:
        data = json.loads(text)
        data["report_dir"] = Path(data["report_dir"])
        data["expectations"] = Path(data["expectations"]) if data["expectations"] else None
        data["baseline"] = Path(data["baseline"]) if data["baseline"] else None
        data["emulator_args"] = tuple(data["emulator_args"])
        seed_file = data["emulator_seed_file"]
        data["emulator_seed_file"] = Path(seed_file) if seed_file else None
        return cls(**data)


VMS_PER_WORKER = 3  # a worker's share of --max-vms: its pool machine, a generated one, a scenario's


def worker_count(target: Target) -> int:
    """The pytest workers of a run: as asked, but never so many that a worker's share of
    --max-vms (each worker keeps its own count) leaves it fewer than VMS_PER_WORKER."""
    if target.max_vms is None:
        return target.workers
    return max(1, min(target.workers, target.max_vms // VMS_PER_WORKER))


def _read_target_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"target file not found: {path}") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"target file {path} cannot be read: {error}") from None
    flat = {key: value for key, value in data.items() if not isinstance(value, dict)}
    wait = data.get("wait", {})
    if "timeout" in wait:
        flat["wait_timeout"] = wait["timeout"]
    if "poll_interval" in wait:
        flat["poll_interval"] = wait["poll_interval"]
    emulator = data.get("emulator", {})
    if "args" in emulator:
        flat["emulator_args"] = emulator["args"]
    if "seed_file" in emulator:
        flat["emulator_seed_file"] = str((path.parent / emulator["seed_file"]).resolve())
    for key in ("ca_bundle", "client_cert", "client_key"):  # relative to the target file
        if isinstance(flat.get(key), str):
            flat[key] = str((path.parent / flat[key]).resolve())
    if "unreachable" in data.get("coverage", {}):
        flat["unreachable"] = data["coverage"]["unreachable"]
    known = {f.name for f in dataclasses.fields(Target)}
    unknown = sorted(set(flat) - known)
    if unknown:
        raise ConfigError(f"target file {path}: unknown setting {unknown[0]!r}")
    return {key: (value, f"target file {path}") for key, value in flat.items()}


def _convert(name: str, value: Any, origin: str) -> Any:
    """One setting converted to its type, or a ConfigError naming it and its origin."""
    try:
        if name in ("max_examples", "workers", "seed"):
            number = int(value)
            if number < (0 if name == "seed" else 1):
                raise ValueError("too small")
            return number
        if name == "max_vms":
            number = int(value)
            if number < 1:
                raise ValueError("too small")
            return number
        if name in ("wait_timeout", "poll_interval", "rate_limit"):
            number = float(value)
            if number <= 0:
                raise ValueError("must be positive")
            return number
        if name == "min_coverage":
            number = float(value)
            if not 0 <= number <= 100:
                raise ValueError("a percentage")
            return number
        if name == "unreachable":
            return {str(key): str(reason) for key, reason in dict(value).items()}
        if name in ("requires_otp", "insecure"):
            if isinstance(value, bool):
                return value
            return {"true": True, "1": True, "false": False, "0": False}[str(value).lower()]
        if name == "deadline":
            return parse_duration(value)
        if name in ("report_dir", "expectations", "emulator_seed_file", "baseline"):
            return Path(value)
        if name == "emulator_args":
            return tuple(str(item) for item in value)
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{name.replace('_', '-')} from {origin}: bad value {value!r}") from None
    return value


def _read_credentials_file(path: Path) -> dict[str, tuple[Any, str]]:
    """Credentials from a TOML file that only its owner may read (mode 0600)."""
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        raise ConfigError(f"credentials file not found: {path}") from None
    if mode != 0o600:
        raise ConfigError(
            f"credentials file {path} must be readable by its owner only "
            f"(mode 0600, it is {mode:04o}): chmod 600 {path}"
        )
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"credentials file {path} cannot be read: {error}") from None
    unknown = sorted(set(data) - set(CREDENTIAL_KEYS))
    if unknown:
        raise ConfigError(f"credentials file {path}: unknown setting {unknown[0]!r}")
    return {key: (value, f"credentials file {path}") for key, value in data.items()}


def _check(settings: dict[str, Any]) -> None:
    url = settings.get("url")
    if url is not None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"target URL must be http:// or https:// with a host: {url!r}")
    if settings["profile"] not in PROFILES:
        raise ConfigError(f"profile must be one of {', '.join(PROFILES)}: {settings['profile']!r}")
    if not settings.get("account") and url is None:
        raise ConfigError("no account: give --account (or BIGV_ACCOUNT, or a target file)")
    has_basic = settings.get("user") and settings.get("password")
    if settings.get("user") and not settings.get("password"):
        raise ConfigError("--user given without --password (or BIGV_PASSWORD)")
    if not has_basic and not settings.get("token"):
        raise ConfigError("no credentials: give --user and --password, or --token")
    if settings.get("otp") and settings.get("otp_command"):
        raise ConfigError("give --otp or --otp-command, not both")
    expectations = settings.get("expectations")
    if expectations is not None and not Path(expectations).is_file():
        raise ConfigError(f"expectations file not found: {expectations}")
    try:
        tls.check_settings(settings)
    except tls.TlsSettingError as error:
        raise ConfigError(str(error)) from None


def load_target(flags: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Target:
    """Resolve the target: flags (None = not given) over environment over target file."""
    environ = os.environ if environ is None else environ
    layers: dict[str, tuple[Any, str]] = {}

    def given(name: str) -> tuple[Any, str] | None:
        if flags.get(name) is not None:
            return flags[name], f"--{name.replace('_', '-')}"
        variable = ENVIRONMENT.get(name)
        if variable and environ.get(variable, "") != "":
            return environ[variable], variable
        return None

    url = given("url")
    target_file = given("target_file")
    if target_file is not None:
        layers.update(_read_target_file(Path(target_file[0])))
    elif url is None:
        layers.update(_read_target_file(EMULATOR_TARGET_FILE))
    credentials_file = given("credentials_file")
    if credentials_file is not None:
        layers.update(_read_credentials_file(Path(credentials_file[0])))
    for name in {f.name for f in dataclasses.fields(Target)} | set(ENVIRONMENT):
        found = given(name)
        if found is not None:
            layers[name] = found
    layers.pop("target_file", None)
    layers.pop("credentials_file", None)
    if "ca_bundle" not in layers:  # as `requests` does: REQUESTS_CA_BUNDLE, then CURL_CA_BUNDLE
        for variable in REQUESTS_CA_VARIABLES:
            if environ.get(variable, "") != "":
                layers["ca_bundle"] = (environ[variable], variable)
                break
    if "ca_bundle" in layers:
        layers["ca_bundle_origin"] = (layers["ca_bundle"][1], "")
    settings = {name: _convert(name, value, origin) for name, (value, origin) in layers.items()}
    settings.setdefault("url", None)
    settings.setdefault("group", "default")
    settings.setdefault("profile", "full")
    if settings["url"] is not None:
        settings["url"] = str(settings["url"]).rstrip("/")
        settings.setdefault("cluster_domain", None)
        settings.setdefault("account", None)
        if not any(settings.get(key) for key in ("user", "password", "token")):
            settings.update(emulator_credentials(), default_credentials=True)
    elif "cluster_domain" not in settings:
        raise ConfigError("the emulator target file names no cluster_domain")
    _check(settings)
    return Target(**settings)


def emulator_credentials() -> dict[str, str]:
    """The user and password of the reference emulator's seeded user (its target file):
    what a run tries when it is given a URL and no credentials."""
    layers = _read_target_file(EMULATOR_TARGET_FILE)
    return {key: layers[key][0] for key in ("user", "password")}
