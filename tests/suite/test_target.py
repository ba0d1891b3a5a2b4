"""The target configuration: flags over environment over target file, and one-line errors."""

from pathlib import Path

import pytest

from conformance.target.configuration import EMULATOR_TARGET_FILE, ConfigError, Target, load_target

NO_FLAGS: dict = {}
REAL = {"url": "https://uk0.bigv.io", "account": "acme", "user": "u", "password": "p"}


def test_no_target_means_the_embedded_emulator_with_its_target_file():
    target = load_target(NO_FLAGS, environ={})
    assert target.embedded
    assert target.account == "conformance"
    assert target.cluster_domain == "uk0.bigv.io"
    assert target.user and target.password


def test_flags_win_over_environment_and_environment_over_the_file():
    environ = {"BIGV_ACCOUNT": "from-env", "BIGV_GROUP": "env-group"}
    target = load_target({"account": "from-flag"}, environ=environ)
    assert target.account == "from-flag"
    assert target.group == "env-group"


def test_a_real_targets_hostname_domain_is_learnt_unless_given():
    target = load_target(REAL, environ={})
    assert not target.embedded
    assert target.cluster_domain is None  # the URL's host, or noted (register cluster-domain)
    assert target.url == "https://uk0.bigv.io"
    given = load_target(REAL | {"cluster_domain": "uk0.bigv.io"}, environ={})
    assert given.cluster_domain == "uk0.bigv.io"


def test_a_url_alone_tries_the_emulators_user_and_leaves_the_account_to_learn():
    target = load_target({"url": "https://x"}, environ={})
    assert (target.user, target.password, target.default_credentials) == ("alice", "secret", True)
    assert target.account is None
    given = load_target({"url": "https://x", "token": "t"}, environ={})
    assert given.user is None and not given.default_credentials


def test_a_target_file_without_an_account_and_url_is_one_clear_line(tmp_path):
    path = tmp_path / "target.toml"
    path.write_text('cluster_domain = "uk0.bigv.io"\nuser = "u"\npassword = "p"\n')
    with pytest.raises(ConfigError, match="no account"):
        load_target({"target_file": str(path)}, environ={})


def test_environment_names_of_design_md_are_read():
    environ = {
        "BIGV_TARGET": "http://127.0.0.1:9/",
        "BIGV_USER": "u",
        "BIGV_PASSWORD": "p",
        "BIGV_ACCOUNT": "a",
        "BIGV_OTP": "c" * 44,
    }
    target = load_target(NO_FLAGS, environ=environ)
    assert (target.url, target.user, target.password, target.otp) == (
        "http://127.0.0.1:9",
        "u",
        "p",
        "c" * 44,
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"url": "ftp://x", "account": "a", "user": "u", "password": "p"}, "http:// or https://"),
        ({"url": "https://x", "account": "a", "user": "u"}, "without --password"),
        (REAL | {"max_examples": "many"}, "max-examples from --max-examples"),
        (REAL | {"workers": 0}, "workers"),
        (REAL | {"otp": "x", "otp_command": "y"}, "not both"),
        (REAL | {"expectations": "/nonexistent/file.toml"}, "expectations file not found"),
        (REAL | {"target_file": "/nonexistent/target.toml"}, "target file not found"),
        (REAL | {"min_coverage": "-1"}, "min-coverage from --min-coverage: bad value '-1'"),
    ],
)
def test_bad_settings_are_one_clear_line(flags, message):
    with pytest.raises(ConfigError) as raised:
        load_target(flags, environ={})
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_target_file_with_an_unknown_key_is_refused(tmp_path: Path):
    path = tmp_path / "t.toml"
    path.write_text('account = "a"\nuser = "u"\npassword = "p"\nsurprise = 1\n')
    with pytest.raises(ConfigError, match="unknown setting 'surprise'"):
        load_target({"target_file": str(path), "url": "https://x"}, environ={})


def test_a_broken_target_file_is_refused(tmp_path: Path):
    path = tmp_path / "t.toml"
    path.write_text("account = \n")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_target({"target_file": str(path)}, environ={})


def test_the_target_survives_the_trip_to_the_workers_and_hides_secrets_in_repr():
    target = load_target(REAL | {"seed": 7}, environ={})
    assert Target.from_json(target.to_json()) == target
    assert "password=" not in repr(target)
    assert "token=" not in repr(target)
    assert target.secrets() == ["p"]


def test_the_emulator_target_file_is_shipped():
    assert EMULATOR_TARGET_FILE.is_file()


def test_min_coverage_and_the_read_only_account_come_from_flags_environment_or_file(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        'account = "a"\nuser = "u"\npassword = "p"\nmin_coverage = 80\n'
        'readonly_account = "ro"\n[coverage.unreachable]\n"getVirtualMachine 202" = "why"\n'
    )
    flags = {"target_file": str(path), "url": "https://x"}
    target = load_target(flags, environ={})
    assert (target.min_coverage, target.readonly_account) == (80.0, "ro")
    assert target.unreachable == {"getVirtualMachine 202": "why"}
    environ = {"BIGV_MIN_COVERAGE": "75.5", "BIGV_READONLY_ACCOUNT": "other"}
    target = load_target(flags, environ=environ)
    assert (target.min_coverage, target.readonly_account) == (75.5, "other")
    assert load_target(flags | {"min_coverage": "90"}, environ=environ).min_coverage == 90.0
    with pytest.raises(ConfigError, match="min-coverage from BIGV_MIN_COVERAGE: bad value 'x'"):
        load_target(flags, environ={"BIGV_MIN_COVERAGE": "x"})
    path.write_text('account = "a"\nuser = "u"\npassword = "p"\nmin_coverage = 120\n')
    with pytest.raises(ConfigError, match="min-coverage from target file"):
        load_target(flags, environ={})


def _pem(tmp_path: Path, name: str) -> str:
    """The path of a certificate of a private PKI made by openssl in `tmp_path`."""
    from tests.certificates import make_pki

    pki = make_pki(tmp_path)
    return str(getattr(pki, name).cert)


def test_tls_settings_come_from_flags_environment_file_and_requests_variables(tmp_path):
    ca = _pem(tmp_path, "ca")
    other = str(tmp_path / "other-ca.pem")
    path = tmp_path / "target.toml"
    path.write_text('url = "https://x"\naccount = "a"\nca_bundle = "private-ca.pem"\n')
    from_file = load_target({"target_file": str(path)}, environ={})
    assert from_file.ca_bundle == ca and from_file.verify == ca
    assert from_file.ca_bundle_origin == f"target file {path}"
    environ = {"BIGV_CA_BUNDLE": other, "REQUESTS_CA_BUNDLE": ca}
    assert load_target({"target_file": str(path)}, environ=environ).ca_bundle == other
    flags = {"target_file": str(path), "ca_bundle": ca}
    assert load_target(flags, environ=environ).ca_bundle_origin == "--ca-bundle"
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        target = load_target(REAL, environ={variable: other})
        assert (target.verify, target.ca_bundle_origin) == (other, variable)
    assert load_target(REAL, environ={}).verify is True
    insecure = load_target(REAL, environ={"BIGV_INSECURE": "1", "REQUESTS_CA_BUNDLE": ca})
    assert insecure.verify is False and insecure.insecure
    assert Target.from_json(insecure.to_json()) == insecure


def test_a_client_certificate_and_its_key(tmp_path):
    cert = _pem(tmp_path, "client")
    key = str(tmp_path / "client.key")
    target = load_target(REAL, environ={"BIGV_CLIENT_CERT": cert, "BIGV_CLIENT_KEY": key})
    assert target.cert == (cert, key)
    with pytest.raises(ConfigError, match="needs --client-key"):
        load_target(REAL | {"client_cert": cert}, environ={})
    with pytest.raises(ConfigError, match="client key from --client-key not found"):
        load_target(REAL | {"client_cert": cert, "client_key": str(tmp_path / "no.key")}, {})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"ca_bundle": "/nonexistent.pem"}, "CA bundle from --ca-bundle not found"),
        ({"ca_bundle": "{ca}", "insecure": True}, "give --ca-bundle or --insecure"),
        ({"insecure": "maybe"}, "insecure from --insecure: bad value"),
        ({"client_key": "{ca}"}, "--client-key given without --client-cert"),
    ],
)
def test_bad_tls_settings_are_one_clear_line(tmp_path, settings, message):
    ca = _pem(tmp_path, "ca")
    flags = REAL | {key: ca if value == "{ca}" else value for key, value in settings.items()}
    with pytest.raises(ConfigError, match=message):
        load_target(flags, environ={})
