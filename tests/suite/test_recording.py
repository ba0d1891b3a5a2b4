"""The recorder weighs each failure it records: stated, inferred or silent."""

from __future__ import annotations

from types import SimpleNamespace

from conformance.judging.classify import classify
from conformance.results.recording import ItemRecorder
from conformance.target import client
from tests.suite.test_judging import VM_PATH, case  # the judging tests' case maker


def _exchange():
    return client.Exchange(
        auth_scheme="",
        method="GET",
        url="http://127.0.0.1:9/x",
        request_headers={},
        request_body=None,
        status=200,
        response_headers={},
        response_body="{}",
        elapsed=0.0,
    )


def test_a_silent_failure_is_a_pass_and_a_note_an_inferred_one_advisory():
    from conformance.judging.tiers import Basis

    recorder = ItemRecorder()
    recorder.reset("property:x", "property", "x")
    failure = SimpleNamespace(title="Undocumented Content-Type", message="vnd")
    label = "GET /accounts/{account}/groups/{group}/virtual_machines/{virtual_machine}"
    silent = Basis("silent", ("vendor-media-types",))
    recorder.check(label, "content_type_conformance", failure, _exchange(), [], silent)
    inferred = Basis("inferred", ("names-dns-labels",))
    recorder.check(label, "response_schema_conformance", failure, _exchange(), [], inferred)
    found = {
        (o["check"], o["outcome"]): o for o in recorder.observations(None, lambda c: "required")
    }
    assert found[("content_type_conformance", "passed")]["level"] == "required"
    noted = found[("content_type_conformance", "noted")]
    assert (noted["basis"], noted["register"]) == ("silent", "vendor-media-types")
    advisory = found[("response_schema_conformance", "failed")]
    assert (advisory["level"], advisory["register"]) == ("advisory", "names-dns-labels")


def test_a_stated_failure_and_an_inferred_one_of_a_check_are_told_apart():
    from conformance.judging.tiers import Basis

    recorder = ItemRecorder()
    recorder.reset("property:x", "property", "x")
    failure = SimpleNamespace(title="t", message="m")
    label = "GET /definitions"
    check = "response_schema_conformance"
    inferred = Basis("inferred", ("names-dns-labels",))
    recorder.check(label, check, failure, _exchange(), [], inferred)
    recorder.check(label, check, failure, _exchange(), [], Basis("stated", statement="get-ok"))
    recorder.check(label, check, failure, _exchange(), [], inferred)
    found = recorder.observations(None, lambda c: "required")
    assert [(o["outcome"], o["basis"], o["level"], o["statement"]) for o in found] == [
        ("failed", "stated", "required", "get-ok"),
        ("failed", "inferred", "advisory", None),
    ]


def test_a_failure_called_stated_without_a_statement_is_only_advisory():
    from conformance.judging.tiers import STATED

    recorder = ItemRecorder()
    recorder.reset("property:x", "property", "x")
    failure = SimpleNamespace(title="t", message="m")
    recorder.check("GET /definitions", "status_code_conformance", failure, _exchange(), [], STATED)
    (found,) = recorder.observations(None, lambda c: "required")
    assert (found["outcome"], found["basis"], found["level"]) == ("failed", "inferred", "advisory")


def test_a_failure_that_cannot_be_weighed_is_kept_as_advisory():
    sent = case("getVirtualMachine", path=VM_PATH)
    odd = SimpleNamespace(status_code=200, headers=5, content=b"{", request=None)  # unreadable
    assert classify("response_schema_conformance", sent, odd, None).basis == "inferred"
