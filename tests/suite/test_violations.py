"""Invalid values are derived from the spec's constraints, one per constraint."""

import spec
from conformance.judging import violations

API = spec.api()
SCHEMAS = API["components"]["schemas"]


def test_every_constraint_of_the_update_schema_gives_a_violation():
    found = {
        (v.field, v.constraint.split()[0])
        for v in violations.for_schema(API, SCHEMAS["VirtualMachineUpdate"])
    }
    assert ("cores", "type") in found and ("cores", "minimum") in found
    assert ("name", "pattern") in found and ("name", "maxLength") in found
    assert ("deleted", "const") in found
    assert ("hardware_profile", "one") in found  # one of /definitions hardware_profiles
    assert ("cdrom_url", "type") in found


def test_violations_really_break_the_schema():
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    resource = Resource.from_contents(API, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:api", resource)
    for name in ("VirtualMachineUpdate", "VirtualMachineCreate", "Signal", "Reimage"):
        validator = Draft202012Validator(
            {"$ref": f"urn:api#/components/schemas/{name}"}, registry=registry
        )
        for violation in violations.for_schema(API, SCHEMAS[name]):
            if violation.constraint.startswith("one of"):
                continue  # definitions values are checked by the target, not by the schema
            body = {} if violation.constraint == "required" else {violation.field: violation.value}
            assert not validator.is_valid(body), (name, violation)


def test_required_properties_are_listed():
    found = violations.for_schema(API, SCHEMAS["Reimage"])
    assert {v.field for v in found if v.constraint == "required"} == {
        "distribution",
        "root_password",
    }
