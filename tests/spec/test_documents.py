"""The spec documents are valid OpenAPI and agree with the original documentation: the
documentation examples validate, the single-VM schema takes what the page shows and refuses
what it does not, the virtual machine's attributes are the page's, and every `bigv-*` format
names a section of the definitions table.

The original documentation page is read from `../shared/docs/virtual_machines.md` (beside the
project) when it is there.
"""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate as validate_openapi

from tests.spec.documents import (
    API,
    DOCUMENTED_ATTRIBUTES,
    DOCUMENTS,
    ORIGINAL_PAGE,
    READ_ONLY_ATTRIBUTES,
    VM_PATH,
    VM_POINTER,
    documentation_examples,
    documented_vm,
    escape,
    needs_original_page,
    page_attributes,
    schema_errors,
    vm_property,
    walk,
)

# --- the documents are valid OpenAPI ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_openapi(name):
    validate_openapi(DOCUMENTS[name])


# --- documentation examples ---------------------------------------------------------------


def test_schema_helper_rejects_an_invalid_instance():
    assert schema_errors(API, VM_POINTER, {})


def test_vm_list_example_validates():
    pointer = f"/paths/{escape(VM_PATH)}/get/responses/200/content/application~1json/schema"
    value = API["components"]["examples"]["VirtualMachineList"]["value"]
    assert schema_errors(API, pointer, value) == []


def test_single_vm_example_validates():
    assert schema_errors(API, VM_POINTER, documented_vm()) == []


def test_definitions_example_validates():
    value = API["components"]["examples"]["Definitions"]["value"]
    assert schema_errors(API, "/components/schemas/Definitions", value) == []


EXAMPLES = documentation_examples()


@pytest.mark.parametrize(
    ("label", "document", "pointer", "value"), EXAMPLES, ids=[example[0] for example in EXAMPLES]
)
def test_path_example_validates(label, document, pointer, value):
    assert schema_errors(document, pointer, value) == [], label


# --- the single-VM schema -----------------------------------------------------------------


def test_vm_rejects_cores_as_a_string():
    assert schema_errors(API, VM_POINTER, {**documented_vm(), "cores": "1"})


def test_vm_rejects_a_missing_hostname():
    vm = documented_vm()
    del vm["hostname"]
    assert schema_errors(API, VM_POINTER, vm)


def test_vm_rejects_a_null_name():
    assert schema_errors(API, VM_POINTER, {**documented_vm(), "name": None})


def test_vm_rejects_the_original_pages_single_vm_array():
    assert schema_errors(API, VM_POINTER, [documented_vm()])


def test_vm_accepts_an_unknown_attribute():
    assert schema_errors(API, VM_POINTER, {**documented_vm(), "appliance": {"x": 1}}) == []


def test_vm_accepts_the_later_optional_attributes():
    vm = {
        **documented_vm(),
        "zone_name": "york",
        "last_imaged_with": "wheezy",
        "type": "application/vnd.bigv.virtual-machine",
        "discs": [
            {
                "id": 1,
                "label": "disc-1",
                "size": 25600,
                "storage_grade": "sata",
                "storage_pool": "tail1-sata1",
                "type": "application/vnd.bigv.disc",
                "virtual_machine_id": 1234,
            }
        ],
        "network_interfaces": [
            {
                "extra_ips": {"192.168.99.2": "192.168.99.1"},
                "id": 99996,
                "ips": ["192.168.99.1", "fe80::9999"],
                "label": None,
                "mac": "ff:ff:ff:ff:ff:fe",
                "type": "application/vnd.bigv.network-interface",
                "virtual_machine_id": 1234,
                "vlan_num": 999,
            }
        ],
    }
    assert schema_errors(API, VM_POINTER, vm) == []


# --- the virtual machine's attributes -----------------------------------------------------


@pytest.fixture
def documented_attributes() -> list[str]:
    return page_attributes() if ORIGINAL_PAGE.exists() else DOCUMENTED_ATTRIBUTES


@needs_original_page
def test_attribute_list_in_this_file_is_the_pages():
    assert page_attributes() == DOCUMENTED_ATTRIBUTES


def test_vm_requires_exactly_the_documented_attributes(documented_attributes):
    assert len(documented_attributes) == 15
    required = API["components"]["schemas"]["VirtualMachine"]["required"]
    assert sorted(required) == sorted(documented_attributes)


@pytest.mark.parametrize("attribute", sorted(READ_ONLY_ATTRIBUTES))
def test_read_only_attribute_is_marked_read_only(attribute):
    assert vm_property(attribute).get("readOnly") is True


@pytest.mark.parametrize("attribute", sorted(set(DOCUMENTED_ATTRIBUTES) - READ_ONLY_ATTRIBUTES))
def test_writable_attribute_is_not_read_only(attribute):
    assert not vm_property(attribute).get("readOnly", False)


# --- bigv-* formats and the definitions table ---------------------------------------------


def used_bigv_formats() -> set[str]:
    return {
        node["format"]
        for document in DOCUMENTS.values()
        for node in walk(document)
        if isinstance(node.get("format"), str) and node["format"].startswith("bigv-")
    }


def test_some_bigv_formats_are_used():
    assert used_bigv_formats()


def test_every_bigv_format_is_declared():
    assert used_bigv_formats() <= set(API["x-definition-formats"])


def test_every_declared_format_names_a_definitions_section():
    sections = {entry["id"] for entry in API["components"]["examples"]["Definitions"]["value"]}
    assert set(API["x-definition-formats"].values()) <= sections
