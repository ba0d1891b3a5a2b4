"""The results model: problems grouped by rule, summary.json against its schema, junit.xml."""

import json
from pathlib import Path
from xml.etree import ElementTree

import jsonschema

from conformance.results import expectations
from conformance.results.junit import write_junit
from conformance.results.observations import Observation, scrub
from conformance.results.summary import write_summary
from tests.report import factory

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "conformance/report/summary.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def assert_valid(data: dict) -> None:
    errors = sorted(validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors[:5])


def test_failures_are_grouped_by_the_rule_they_break():
    problems = factory.summary().problems()
    keys = [(p.key, p.level) for p in problems]
    assert keys == [
        ((factory.GET_VM, "vm_hostname_derivation"), "required"),
        (("0a6d5e31-power-table-put", "scenario"), "required"),
        ((factory.LIST_VMS, "response_schema_conformance"), "required"),
        (("GET /accounts", "response_schema_conformance"), "advisory"),
    ]
    hostname = problems[0]
    assert hostname.tests == ["property", "c4d1a8e2-hostname-derived"]
    assert [o.test_id for o in hostname.stopped] == ["c4d1a8e2-hostname-derived"]


def test_a_scenario_is_linked_to_the_check_it_stopped_at_only_by_its_own_exchange():
    found = factory.observations()
    stopped = next(o for o in found if o.test_id == "c4d1a8e2-hostname-derived")
    own = next(o for o in found if o.test_id.startswith("0a6d5e31"))
    factory.summary(found)
    assert stopped.stopped_at == {"operation": factory.GET_VM, "check": "vm_hostname_derivation"}
    assert own.stopped_at is None


def test_summary_json_matches_its_schema_in_every_state(tmp_path):
    plain = factory.summary()
    write_summary(plain, tmp_path / "plain.json")
    data = json.loads((tmp_path / "plain.json").read_text())
    assert_valid(data)
    assert data["verdict"] == "NOT CONFORMANT" and data["conformant"] is False
    assert data["format"] == 1

    with_deviations = factory.summary()
    path = tmp_path / "e.toml"
    path.write_text(
        '[[deviation]]\noperation = "GET /accounts/{account}/groups/{group}/virtual_machines/'
        '{virtual_machine}"\ncheck = "vm_hostname_derivation"\nreason = "OPS-1"\n'
        '[[deviation]]\noperation = "GET /accounts/{account}"\ncheck = "scenario"\n'
        'reason = "stale"\n'
    )
    expectations.apply(with_deviations, expectations.load(path))
    write_summary(with_deviations, tmp_path / "deviations.json")
    data = json.loads((tmp_path / "deviations.json").read_text())
    assert_valid(data)
    assert {d["check"] for d in data["deviations"]} == {"vm_hostname_derivation", "scenario"}
    assert all(d["reason"] for d in data["deviations"])
    assert data["stale_deviations"][0]["status"] == "not run"
    assert data["expectations"]["entries"] == 2

    empty = factory.summary([factory.observation()])
    write_summary(empty, tmp_path / "empty.json")
    data = json.loads((tmp_path / "empty.json").read_text())
    assert_valid(data)
    assert data["verdict"] == "CONFORMANT" and data["problems"] == []


def test_the_schema_refuses_what_summary_json_must_not_be(tmp_path):
    write_summary(factory.summary(), tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    for broken in (
        {**data, "verdict": "MOSTLY"},
        {**data, "unexpected": 1},
        {k: v for k, v in data.items() if k != "failures"},
        {**data, "failures": [{**data["failures"][0], "level": "optional"}]},
    ):
        assert list(validator().iter_errors(broken))


def test_failures_in_summary_json_name_the_operation_the_check_and_a_curl_line(tmp_path):
    write_summary(factory.summary(), tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    schema = next(f for f in data["failures"] if f["check"] == "response_schema_conformance")
    assert schema["operation"] == factory.LIST_VMS
    assert schema["operation_id"] == "listVirtualMachines"
    assert schema["curl"].startswith("curl ") and "$BIGV_PASSWORD" in schema["curl"]
    assert schema["status"] == 200
    scenario = next(f for f in data["failures"] if f["test_id"].startswith("0a6d5e31"))
    assert scenario["step"].startswith("2-3.")
    assert data["operations"][factory.LIST_VMS]["checks"]["response_schema_conformance"] == {
        "failed": 1
    }


def test_junit_has_a_case_per_observation_failures_with_curl_and_stale_entries(tmp_path):
    summary = factory.summary()
    path = tmp_path / "e.toml"
    path.write_text(
        '[[deviation]]\noperation = "GET /accounts"\ncheck = "scenario"\nreason = "r"\n'
    )
    expectations.apply(summary, expectations.load(path))
    write_junit(summary, tmp_path / "junit.xml")
    root = ElementTree.parse(tmp_path / "junit.xml").getroot()
    cases = root.findall(".//testcase")
    assert len(cases) == len(summary.observations) + 1
    failures = root.findall(".//failure")
    assert len(failures) == len(summary.failures())
    assert all("Reproduce:\ncurl " in f.text for f in failures)
    stale = root.find("testsuite[@name='expectations (stale deviations)']")
    assert stale is not None
    assert "stale deviation" in stale.find(".//skipped").get("message")


def test_credentials_that_slipped_into_a_message_are_scrubbed_in_every_writer(tmp_path):
    leaky = factory.observation(
        check="status_code_conformance",
        outcome="failed",
        title="Bad status",
        message='sent {"Authorization": "Basic YWxpY2U6aHVudGVyMg=="} and {"password": "hunter2"}',
        exchange=factory.exchange("GET", "http://x/accounts", 500, {}),
    )
    summary = factory.summary([leaky])
    write_summary(summary, tmp_path / "summary.json")
    write_junit(summary, tmp_path / "junit.xml")
    for name in ("summary.json", "junit.xml"):
        text = (tmp_path / name).read_text()
        assert "YWxpY2U6aHVudGVyMg" not in text and "hunter2" not in text, name


def test_observations_of_older_payloads_still_load():
    data = factory.observation().to_dict()
    data.pop("stopped_at")
    assert Observation.from_dict(data).stopped_at is None


def test_scrubbing_keeps_the_credential_placeholders_of_curl_lines():
    curl = (
        "curl -sS -X PUT 'http://x/vm' -u \"$BIGV_USER:$BIGV_PASSWORD\" "
        '-H "X-Yubikey-Otp: $BIGV_OTP" -H "Authorization: Bearer $BIGV_TOKEN" '
        '--data-binary \'{"root_password": "hunter2"}\''
    )
    scrubbed = scrub(curl)
    assert '-H "X-Yubikey-Otp: $BIGV_OTP"' in scrubbed
    assert '-H "Authorization: Bearer $BIGV_TOKEN"' in scrubbed
    assert '-u "$BIGV_USER:$BIGV_PASSWORD"' in scrubbed
    assert "hunter2" not in scrubbed
    assert scrub('-H "X-Yubikey-Otp: cccccbcdef"') == '-H "X-Yubikey-Otp: [REDACTED]"'
