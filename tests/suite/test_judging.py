"""Judging by what the documentation says: each failure's basis (stated, inferred, silent),
the findings of scenario expectations, and how the recorder weighs them."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import schemathesis
from schemathesis.core import NOT_SET

import spec
from conformance.judging import checks, verdict
from conformance.judging.classify import classify

API = spec.api()
SCHEMA = schemathesis.openapi.from_dict(API)
# The original page's example machine, as the spec keeps it
MACHINE = spec.resolve(API, API["components"]["examples"]["VirtualMachine"])["value"]
VM_PATH = {"account": "myaccount", "group": "default", "virtual_machine": "1234"}


def case(operation_id, path=None, query=None, body=NOT_SET, media_type="application/json"):
    operation = SCHEMA.find_operation_by_id(operation_id)
    return operation.Case(
        path_parameters=path or {},
        query=query,
        body=body,
        media_type=media_type if body is not NOT_SET else None,
    )


def response(status, body=None, content_type="application/json", method=None, case_=None):
    content = b"" if body is None else json.dumps(body).encode()
    sent = method or (case_.operation.method.upper() if case_ is not None else "GET")
    return SimpleNamespace(
        status_code=status,
        headers={"Content-Type": [content_type]} if content_type else {},
        content=content,
        json=lambda: json.loads(content),
        request=SimpleNamespace(method=sent),
    )


def basis_of(check, operation_id, status, answered=None, failure=None, **kwargs):
    """The basis of `check` failing on an answer (`status`, the JSON `answered`) to a request
    of `operation_id` (made of `kwargs`: path, query, body, ...)."""
    content_type = kwargs.pop("content_type", "application/json")
    method = kwargs.pop("method", None)
    sent = case(operation_id, **kwargs)
    answer = response(status, answered, content_type, method, sent)
    found = classify(check, sent, answer, failure)
    return found.basis, found.entries


def test_an_answer_in_a_vendor_json_type_is_noted_and_text_plain_is_a_failure():
    vendor = "application/vnd.bigv.virtual-machine+json"
    assert basis_of(
        "content_type_conformance", "getVirtualMachine", 200, MACHINE, content_type=vendor
    ) == ("silent", ("vendor-media-types",))
    assert basis_of(
        "content_type_conformance", "getVirtualMachine", 200, MACHINE, content_type="text/plain"
    ) == ("stated", ())


def test_an_answer_in_a_vendor_type_is_judged_by_the_json_schema():
    sent = case("getVirtualMachine", path=VM_PATH)
    for machine, expected in ((MACHINE | {"cores": "1"}, "stated"), (MACHINE, None)):
        answer = schemathesis.Response.from_any(_requests_response(machine, VENDOR))
        answer.headers = {"content-type": [VENDOR]}
        try:
            checks.vendor_type_schema_conformance(None, answer, sent)
        except Exception as error:  # a FailureGroup of the schema's failures
            failures = getattr(error, "exceptions", [error])
            found = classify("vendor_type_schema_conformance", sent, answer, failures[0])
            assert found.basis == expected
        else:
            assert expected is None


def _requests_response(body, content_type):
    import requests

    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    response._content = json.dumps(body).encode()
    response.request = requests.Request("GET", "http://127.0.0.1:9/x").prepare()
    response.url = response.request.url
    return response


VENDOR = "application/vnd.bigv.virtual-machine+json"


def test_501_to_a_method_the_path_does_not_document_is_noted_but_not_to_a_documented_one():
    for check in ("not_a_server_error", "status_code_conformance", "unsupported_method"):
        assert basis_of(check, "getVirtualMachine", 501, method="QUERY", path=VM_PATH) == (
            "silent",
            ("unknown-methods",),
        )
    assert basis_of("not_a_server_error", "getVirtualMachine", 500, path=VM_PATH)[0] == "stated"


def test_a_refusal_by_state_with_409_is_noted_only_where_the_rules_refuse():
    assert basis_of("status_code_conformance", "signalVirtualMachine", 409, path=VM_PATH) == (
        "silent",
        ("refusal-status",),
    )
    # nothing states that an operation's statuses are a closed list: advisory elsewhere
    assert basis_of("status_code_conformance", "getVirtualMachine", 409, path=VM_PATH) == (
        "inferred",
        (),
    )


def test_a_success_with_another_status_than_the_documented_one_is_required_by_its_quote():
    sent = case("getVirtualMachine", path=VM_PATH)
    found = classify("status_code_conformance", sent, response(201, MACHINE, case_=sent), None)
    assert (found.basis, found.statement) == ("stated", "get-ok")
    put = case("updateVirtualMachine", path=VM_PATH, body={"cores": 2})
    found = classify("status_code_conformance", put, response(201, MACHINE, case_=put), None)
    assert (found.basis, found.statement) == ("stated", "put-ok")


def test_a_disc_delete_without_purge_may_fail_as_the_real_service_does():
    path = {**VM_PATH, "disc": "1"}
    assert basis_of("not_a_server_error", "deleteDisc", 500, path=path) == (
        "silent",
        ("disc-delete-without-purge",),
    )
    # no statement speaks for a disc's delete failing otherwise: advisory
    assert basis_of(
        "not_a_server_error", "deleteDisc", 500, path=path, query={"purge": "true"}
    ) == ("inferred", ())
    sent = case("deleteVirtualMachine", path=VM_PATH)
    found = classify("not_a_server_error", sent, response(500, case_=sent), None)
    assert (found.basis, found.statement) == ("stated", "delete-ok")


def test_an_answer_breaking_an_inferred_constraint_is_advisory_and_a_stated_one_required():
    assert basis_of(
        "response_schema_conformance", "getVirtualMachine", 200, MACHINE | {"name": "WWW1"}
    ) == ("inferred", ("names-dns-labels",))
    assert basis_of(
        "response_schema_conformance", "getVirtualMachine", 200, MACHINE | {"cores": "1"}
    ) == ("stated", ())


def test_fewer_fields_are_noted_only_in_overview_answers():
    group = {"id": 1, "name": "default", "virtual_machines": [{"id": 1, "name": "www1"}]}
    overview = basis_of(
        "response_schema_conformance", "getGroup", 200, group, query={"view": "overview"}
    )
    assert overview == ("silent", ("overview-fewer-fields",))
    assert basis_of("response_schema_conformance", "getGroup", 200, group)[0] == "stated"


def test_accepting_a_request_that_breaks_only_an_inference_is_advisory():
    accepted = ("negative_data_rejection", "createVirtualMachine", 202, MACHINE)
    upper = basis_of(*accepted, body={"name": "WWW1"})
    assert upper == ("inferred", ("names-dns-labels",))
    assert basis_of(*accepted, body={"name": "www1", "cores": "x"}) == ("stated", ())
    no_body = basis_of("negative_data_rejection", "updateVirtualMachine", 200, path=VM_PATH)
    assert no_body == ("silent", ("put-without-body",))


def test_refusing_valid_values_is_noted_for_bodies_but_not_for_reads():
    assert basis_of(
        "positive_data_acceptance", "createVirtualMachine", 422, body={"name": "www1"}
    ) == ("silent", ("valid-values-accepted",))
    assert basis_of("positive_data_acceptance", "getVirtualMachine", 422, path=VM_PATH)[0] == (
        "stated"
    )


@pytest.fixture(autouse=True)
def _keep_the_run_context():
    """The checks read the process's run context: these tests set their own and put the
    one before back."""
    from conformance.target import context as run_context

    before = list(run_context._CURRENT)
    yield
    run_context._CURRENT[:] = before


def failure_of(check, body, sent_body=NOT_SET, operation_id="getVirtualMachine"):
    sent = case(operation_id, path=VM_PATH, body=sent_body)
    answer = response(200, body, case_=sent)
    context.set_run("myaccount", "default", 1, None, "http://127.0.0.1:9")
    try:
        check(None, answer, sent)
    except checks.RuleViolation as failure:
        return classify(check.__name__, sent, answer, failure)
    return None


class context:
    """A run context for the checks that read one (hostname derivation)."""

    @staticmethod
    def set_run(account, group, group_id, cluster_domain, url):
        from conformance.target import context as run_context
        from conformance.target.configuration import Target

        target = Target(url=url, account=account, group=group, cluster_domain=cluster_domain)
        run_context.set_current(
            run_context.RunContext(
                target=target,
                credentials=None,
                session=None,
                account_name=account,
                group_name=group,
                group_id=group_id,
            )
        )


def test_hostnames_in_another_domain_are_noted_and_a_wrong_prefix_is_a_failure():
    domain = failure_of(checks.vm_hostname_derivation, MACHINE)
    assert (domain.basis, domain.entries) == ("silent", ("cluster-domain",))
    swapped = MACHINE | {"hostname": "www1.myaccount.default.uk0.bigv.io"}
    assert failure_of(checks.vm_hostname_derivation, swapped).basis == "stated"


def test_hostnames_in_the_given_cluster_domain_pass_and_others_fail():
    context.set_run("myaccount", "default", 1, "uk0.bigv.io", "http://127.0.0.1:9")
    assert checks.hostname_problem(MACHINE, "default", "myaccount", "uk0.bigv.io", None) is None
    problem = checks.hostname_problem(MACHINE, "default", "myaccount", "other.example", None)
    assert problem is not None and problem[0] == "prefix"


def test_an_update_of_keymap_not_applied_is_advisory_one_of_cores_required():
    sent = {"keymap": "de"}
    keymap = failure_of(
        checks.vm_update_applied, MACHINE, sent_body=sent, operation_id="updateVirtualMachine"
    )
    assert (keymap.basis, keymap.entries) == ("inferred", ("keymap-writable",))
    cores = failure_of(
        checks.vm_update_applied,
        MACHINE,
        sent_body={"keymap": "de", "cores": 4},
        operation_id="updateVirtualMachine",
    )
    assert cores.basis == "stated"


def test_head_following_power_is_an_inference():
    stopped_with_head = MACHINE | {"power_on": False}
    found = failure_of(checks.vm_head_follows_power, stopped_with_head)
    assert (found.basis, found.entries) == ("inferred", ("head-follows-power",))


# -- scenario expectations ------------------------------------------------------------------


def test_an_expectation_of_the_documentation_fails_the_scenario_with_its_statement():
    verdict.FINDINGS.clear()
    with pytest.raises(verdict.ConformanceFailure) as failed:
        verdict.expect(False, "Lost", "the update was lost", by="partial-update")
    assert failed.value.statement == "partial-update"
    assert not verdict.FINDINGS


def test_an_expectation_no_statement_speaks_for_is_an_advisory_finding():
    verdict.FINDINGS.clear()
    with pytest.raises(verdict.PointTaken):
        verdict.expect(False, "Lost", "the update was lost")
    assert [(f.entry, f.basis) for f in verdict.FINDINGS] == [(None, "inferred")]
    verdict.FINDINGS.clear()
    with pytest.raises(KeyError, match="no-such-statement"):
        verdict.expect(False, "x", "y", by="no-such-statement")


def test_an_expectation_resting_on_a_silent_point_is_a_finding_and_ends_the_scenario():
    verdict.FINDINGS.clear()
    with pytest.raises(verdict.PointTaken):
        verdict.expect(False, "409", "refused with 409", rests_on="refusal-status")
    assert [(f.entry, f.basis) for f in verdict.FINDINGS] == [("refusal-status", "silent")]


def test_an_expectation_that_need_not_stop_records_and_goes_on():
    verdict.FINDINGS.clear()
    assert verdict.expect(True, "x", "y", rests_on="keymap-writable")
    assert not verdict.expect(False, "x", "y", rests_on="keymap-writable", stop=False)
    assert [(f.entry, f.basis) for f in verdict.FINDINGS] == [("keymap-writable", "inferred")]


def test_a_point_the_register_does_not_know_is_a_bug_of_the_suite():
    with pytest.raises(KeyError, match="no-such-point"):
        verdict.expect(False, "x", "y", rests_on="no-such-point")


# -- required only by quotation: the false alarms of issue 18 ---------------------------------


def statement_of(check, operation_id, status, answered=None, **kwargs):
    """(basis, statement) of `check` failing on an answer to a request of `operation_id`."""
    content_type = kwargs.pop("content_type", "application/json")
    sent = case(operation_id, **kwargs)
    found = classify(check, sent, response(status, answered, content_type, None, sent), None)
    return found.basis, found.statement


@pytest.mark.parametrize(
    ("content_type", "judged"),
    [
        ("text/plain", ("silent", None)),  # register refusal-media-type
        ("text/html", ("inferred", None)),  # no statement, and not a point the register lists
    ],
)
def test_a_refusal_by_state_need_not_be_json(content_type, judged):
    reimage = {"distribution": "wheezy", "root_password": "pw"}
    assert (
        statement_of(
            "content_type_conformance",
            "reimageVirtualMachine",
            400,
            path=VM_PATH,
            body=reimage,
            content_type=content_type,
        )
        == judged
    )


def test_a_validation_error_must_be_json():
    assert statement_of(
        "content_type_conformance",
        "updateVirtualMachine",
        400,
        path=VM_PATH,
        body={"cores": "two"},
        content_type="text/plain",
    ) == ("stated", "validation-hash")


def test_a_400_for_a_query_value_the_target_does_not_understand_is_never_required():
    assert statement_of(
        "status_code_conformance",
        "listVirtualMachines",
        400,
        {"include_deleted": ["is not a boolean"]},
        path={"account": "myaccount", "group": "default"},
        query={"include_deleted": "maybe"},
    ) == ("silent", None)  # register bad-query-values


def test_only_bad_values_the_documentation_states_must_be_refused():
    # the register lists it: the record leaves a PUT of deleted true open (put-deleted-true)
    assert statement_of(
        "negative_data_rejection", "updateVirtualMachine", 200, MACHINE, path=VM_PATH,
        body={"deleted": True},
    ) == ("silent", None)  # fmt: skip
    assert statement_of(
        "negative_data_rejection", "updateVirtualMachine", 200, MACHINE, path=VM_PATH,
        body={"cores": "two"},
    ) == ("stated", "validation-hash")  # fmt: skip


def test_a_schema_failure_names_the_statement_of_the_keyword_it_breaks():
    missing = {key: value for key, value in MACHINE.items() if key != "head"}
    assert statement_of(
        "response_schema_conformance", "getVirtualMachine", 200, missing, path=VM_PATH
    ) == ("stated", "vm-attributes")
    assert statement_of(
        "response_schema_conformance", "getVirtualMachine", 200, MACHINE | {"memory": "1024"},
        path=VM_PATH,
    ) == ("stated", "vm-attribute-types")  # fmt: skip
    # an attribute the spec adds in another form: no statement, advisory; or a point the
    # register lists (last_imaged_with null: unimaged-last-imaged-with), noted
    assert statement_of(
        "response_schema_conformance", "getVirtualMachine", 200,
        MACHINE | {"zone_name": 7}, path=VM_PATH,
    ) == ("inferred", None)  # fmt: skip
    assert statement_of(
        "response_schema_conformance", "getVirtualMachine", 200,
        MACHINE | {"last_imaged_with": None}, path=VM_PATH,
    ) == ("silent", None)  # fmt: skip
    # a validation error's body is stated only as the answer to a bad value
    hashless = ["is not valid"]
    assert statement_of(
        "response_schema_conformance", "updateVirtualMachine", 400, hashless, path=VM_PATH,
        body={"cores": "two"},
    ) == ("stated", "validation-hash")  # fmt: skip
    assert statement_of(
        "response_schema_conformance", "updateVirtualMachine", 400, hashless, path=VM_PATH,
        body={"cores": 2},
    ) == ("inferred", None)  # fmt: skip


def test_a_text_plain_refusal_and_a_400_for_a_query_value_are_noted_where_listed():
    assert basis_of(
        "content_type_conformance", "signalVirtualMachine", 409, path=VM_PATH,
        body={"signal": "reset"}, content_type="text/plain",
    ) == ("silent", ("refusal-media-type",))  # fmt: skip
    assert basis_of(
        "status_code_conformance", "listVirtualMachines", 400,
        path={"account": "a", "group": "default"}, query={"include_deleted": "maybe"},
    ) == ("silent", ("bad-query-values",))  # fmt: skip


def test_a_server_error_for_any_bad_request_breaks_what_validation_answers():
    assert statement_of(
        "not_a_server_error", "updateVirtualMachine", 500, path=VM_PATH, body=["not", "a", "hash"]
    ) == ("stated", "validation-400")
    # the record names a 500 for a cdrom_url the service cannot fetch
    assert (
        statement_of(
            "not_a_server_error", "updateVirtualMachine", 500, path=VM_PATH, body={"cdrom_url": 5}
        )[0]
        == "inferred"
    )
