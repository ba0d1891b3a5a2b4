"""The command line: flags of design.md section 3 and issue 3, its first line, its exits."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.emulator.helpers import REPO, SEED_FILE, Api, Process, error_of

pytestmark = pytest.mark.slow


def test_bigv_conformance_emulator_prints_its_url_first_and_serves_the_spec():
    process = subprocess.Popen(
        [sys.executable, "-m", "bigv_conformance", "emulator", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), (url, process.stderr.read(2000))
        assert requests.get(f"{url}/_emulator/health", timeout=30).json()["status"] == "ok"
        assert requests.get(f"{url}/definitions", timeout=30).status_code == 200
    finally:
        process.terminate()
        status = process.wait(timeout=30)
        errors = process.stderr.read()
        process.stdout.close()
        process.stderr.close()
    assert status == 0, errors


def test_flags_set_the_seeded_account_user_domain_key_and_pool():
    flags = ["--account", "acme", "--user", "carol", "--password", "pw-1", "--api-key", "k1",
             "--cluster-domain", "example.test", "--address-pool", "10.9.8.0/29"]  # fmt: skip
    with Process(*flags) as process:
        api = Api(process.url, auth=("carol", "pw-1"))
        machine = api.post(api.vms(account="acme"), json={"name": "vm1"}).json()
        assert machine["hostname"] == "vm1.default.acme.example.test"
        assert machine["management_address"] == "10.9.8.1"
        keyed = requests.get(api.vms(account="acme"), headers={"Authorization": "Bearer apikey.k1"},
                             timeout=30)  # fmt: skip
        assert keyed.status_code == 200
        error_of(requests.get(api.vms(account="acme"), auth=("alice", "secret"), timeout=30), 401)


def test_require_otp_flag():
    with Process("--require-otp") as process:
        api = Api(process.url)
        error_of(api.get(api.vms()), 401)
        assert api.get(api.vms(), headers={"X-Yubikey-Otp": "c" * 44}).status_code == 200


def test_provision_delay_flag_keeps_a_new_machine_provisioning():
    with Process("--provision-delay", "600") as process:
        api = Api(process.url)
        created = api.post(api.vms(), json={"name": "vm1", "power_on": True}).json()
        assert api.read(created["id"])["power_on"] is False


def test_seed_file_adds_an_account_the_default_user_cannot_see():
    with Process("--seed-file", str(SEED_FILE)) as process:
        api = Api(process.url)
        error_of(api.get(api.vm("secret-vm", account="foreign")), 404)
        bob = Api(process.url, auth=("bob", "bobs-password"))
        assert bob.get(bob.vm("secret-vm", account="foreign")).status_code == 200


def _fails(*flags: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", *flags],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 or "Usage" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--port", "99999"], "99999"),
        (["--provision-delay", "-1"], "-1"),
        (["--bogus"], "--bogus"),
        (["--address-pool", "not-a-cidr"], "not-a-cidr"),
        (["--db", "/nonexistent/dir/bigv.db"], "/nonexistent/dir/bigv.db"),
        (["--account", "Not Valid"], "Not Valid"),
    ],
)
def test_bad_flags_say_one_line_and_exit_2(flags, said):
    assert said in _fails(*flags)


def test_bad_seed_files_say_one_line_and_exit_2(tmp_path):
    cases = {
        "syntax.yaml": "accounts: [",
        "shape.yaml": "accounts: {name: x}",
        "vm.yaml": "accounts:\n  - name: other\n    groups:\n      - name: default\n"
        "        virtual_machines:\n          - {name: vm1, cores: many}\n",
        "privilege.yaml": "users:\n  - username: dave\n    password: x\n"
        "    privileges: [{account: nowhere}]\n",
        "user.yaml": "users:\n  - {username: newbie}\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        assert str(path) in _fails("--seed-file", str(path)) or name == "user.yaml"


def test_port_in_use_says_one_line_and_exits_2():
    with Process() as running:
        port = running.url.rsplit(":", 1)[1]
        assert "cannot listen" in _fails("--port", port)


def test_a_usage_error_of_python_m_emulator_is_one_line_and_exit_2():
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--port", "not-a-port"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--port" in result.stderr and "Traceback" not in result.stderr


def test_a_stop_signal_arriving_while_a_connection_is_handed_over_still_stops():
    """SIGTERM's handler raises in the serving thread wherever it is; the server swallows
    every Exception raised while it hands a new connection to a thread."""
    import socket
    import threading

    from emulator import cli
    from emulator.config import EmulatorConfig
    from emulator.server import create

    emulator = create(EmulatorConfig())

    def interrupted(request, address):  # the signal, arriving right then
        raise cli._Stop

    emulator.server.process_request = interrupted
    ended: list[BaseException] = []

    def serve() -> None:
        try:
            emulator.serve_forever()
        except BaseException as error:
            ended.append(error)

    serving = threading.Thread(target=serve, daemon=True)
    serving.start()
    host, port = emulator.server.server_address[:2]
    socket.create_connection((host, port), timeout=10).close()
    serving.join(timeout=30)
    if serving.is_alive():
        emulator.server.shutdown()
    emulator.store.close()
    assert ended and isinstance(ended[0], cli._Stop), "the stop was swallowed: still serving"


def test_tls_flags_serve_https(tmp_path):
    from tests.certificates import make_pki

    pki = make_pki(tmp_path)
    flags = ["--tls-cert", str(pki.server.cert), "--tls-key", str(pki.server.key)]
    with Process(*flags) as running:
        assert running.url.startswith("https://127.0.0.1:")
        answer = requests.get(f"{running.url}/definitions", verify=str(pki.ca.cert), timeout=30)
        assert answer.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{running.url}/definitions", verify=str(pki.other_ca.cert), timeout=30)
        # a client that failed its handshake does not stop the server
        answer = requests.get(f"{running.url}/definitions", verify=str(pki.ca.cert), timeout=30)
        assert answer.status_code == 200


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--tls-cert", "{cert}"], "give --tls-cert and --tls-key together"),
        (["--tls-cert", "{cert}", "--tls-key", "/nonexistent.key"], "cannot serve TLS"),
        (["--tls-cert", "{cert}", "--tls-key", "{other_key}"], "cannot serve TLS"),
        (["--tls-client-ca", "{cert}"], "--tls-client-ca needs --tls-cert"),
    ],
)
def test_bad_tls_flags_say_one_line_and_exit_2(tmp_path, flags, said):
    from tests.certificates import make_pki

    pki = make_pki(tmp_path)
    values = {"{cert}": str(pki.server.cert), "{other_key}": str(pki.client.key)}
    assert said in _fails(*[values.get(flag, flag) for flag in flags])
