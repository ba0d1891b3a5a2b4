"""Both OpenAPI documents pass Spectral's `spectral:oas` ruleset with no problem at all.

Spectral comes from the npm registry and needs Node.js; it is installed once into
`.cache/spectral` (git-ignored). On a machine without npm the test is skipped, saying so.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "spectral"
SPECTRAL_VERSION = "6.16.3"
BINARY = CACHE / "node_modules" / ".bin" / "spectral"


def spectral() -> Path:
    if BINARY.exists():
        return BINARY
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm (Node.js) is not installed, so Spectral cannot be installed")
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(CACHE),
            "--no-audit",
            "--no-fund",
            "--silent",
            f"@stoplight/spectral-cli@{SPECTRAL_VERSION}",
        ],
        check=True,
        timeout=600,
    )
    return BINARY


@pytest.mark.parametrize("document", ["bigv.openapi.yaml", "auth.openapi.yaml"])
def test_spectral_oas_ruleset_finds_nothing(document):
    result = subprocess.run(
        [
            str(spectral()),
            "lint",
            "--ruleset",
            str(ROOT / ".spectral.yaml"),
            "--fail-severity",
            "hint",
            str(ROOT / "spec" / document),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
