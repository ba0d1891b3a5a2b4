"""What the report quotes from the documentation is found for every operation and check."""

import spec
from conformance.judging import checks
from conformance.report import documentation
from conformance.report.views import CHECK_ORDER, CHECK_SHORT


def test_every_operation_has_its_summary_responses_and_sources_section():
    for document in (spec.api(), spec.auth()):
        for operation_id, (method, path, _) in spec.operations(document).items():
            found = documentation.operation(f"{method} {path}")
            assert found is not None and found.operation_id == operation_id
            assert found.summary and found.responses, operation_id
            assert found.sources_heading.split(" ", 1)[1].startswith(f"`{operation_id}`")
            assert found.sources.strip(), operation_id


def test_every_capability_has_a_description_and_a_sources_row():
    for document in (spec.api(), spec.auth()):
        for name in document["x-capabilities"]:
            found = documentation.capability(name)
            assert found["level"] in ("required", "advisory") and found["description"], name
            assert f"`{name}`" in found["sources"], name


def test_every_check_is_described_and_has_a_column_name():
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    for name in {*CHECKS.get_all_names(), *checks.CAPABILITIES, "scenario", "execution"}:
        assert documentation.check(name) != name, name
        if name != "scenario":  # scenarios are rows of their own table, not a matrix column
            assert name in CHECK_ORDER and name in CHECK_SHORT, name


def test_a_schema_failure_leads_to_the_schema_and_the_fields_sources():
    from tests.report.factory import LIST_VMS, SCHEMA_MESSAGE

    assert documentation.failing_field(SCHEMA_MESSAGE) == ("VirtualMachine", "cores")
    row = documentation.schema_field_sources("VirtualMachine", "cores")
    assert "| `cores` | integer |" in row
    found = documentation.response_schema(LIST_VMS, 200)
    assert found["reference"] == "#/components/schemas/VirtualMachine"
    assert "cores" in found["schema"]["items"]["properties"]


def test_every_scenario_of_the_suite_has_its_story():
    stories = documentation._scenarios()
    assert len(stories) >= 20
    for found in stories.values():
        assert found.story.startswith("1."), found.test_id
        assert found.capability
    assert documentation.scenario("6b1f0d47-signals[reset]").function == "test_signal"
