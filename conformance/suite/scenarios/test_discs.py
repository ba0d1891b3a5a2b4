"""Discs as the documentation's clients add and remove them: every body of the spec's
createDisc examples, listed as added, and deleted with purge=true as the official client
deletes them."""

import spec
from conformance.judging.verdict import expect, note, step
from conformance.run.scenario import expect_status, scenario

API = spec.api()
_, _, CREATE_DISC = spec.operations(API)["createDisc"]
EXAMPLES = {
    name: spec.resolve(API, example)["value"]
    for name, example in CREATE_DISC["requestBody"]["content"]["application/json"][
        "examples"
    ].items()
}
DEVICE_LIKE = ("vd", "sd", "hd")  # DOC discs: labels like Unix devices may be refused


@scenario("b5c8e1f2-discs-as-clients-do", "discs", provisions=[{}])
def test_discs_added_and_removed_as_the_clients_do(bigv, machines):
    """
    1. Create a machine.
    2. Add a disc with each body of the spec's createDisc examples (the official client's,
       the Python library's, FOG's): 201; a label like a Unix device (FOG's `vda`) may be
       refused with 400 instead (DOC discs).
       Each reads by the id its answer gave.
    3. Every disc added is listed, with its label and its size in MiB.
    4. Delete one without purge: the spec refuses it (400); the real service fails (500).
    5. Delete each with purge=true, as the official client does: 204, then not found.
    """
    with step("1. create"):
        machine = machines.create()
    path = {"virtual_machine": machine["id"]}
    added = {}
    for name, body in EXAMPLES.items():
        with step(f"2. add the {name} disc {body}"):
            reply = bigv.api.call("createDisc", path=path, body=body)
            if body["label"].startswith(DEVICE_LIKE):
                if reply.status == 400:
                    continue  # DOC discs: a label like a Unix device is refused
                note(
                    "disc-device-labels",
                    f"A disc labelled {body['label']!r} is accepted",
                    f"POST {body} answered {reply.status}: this target takes FOG's and ICH's "
                    "examples as they are, where the reference emulator refuses the label "
                    "as DOC discs says.",
                    exchange=reply.exchange.as_dict(),
                )
            expect_status(reply, 201, "a disc as the documentation's clients add it", by="created")
            added[body["label"]] = body["size"]
            if isinstance(reply.json, dict) and "id" in reply.json:
                read = bigv.api.call("getDisc", path=path | {"disc": reply.json["id"]})
                expect_status(
                    read, 200, "a disc added reads by the id it was answered with", by="get-ok"
                )
    with step("3. listed"):
        listing = bigv.api.call("listDiscs", path=path)
        expect_status(listing, 200, "the discs of the machine", by="get-ok")
        listed = {disc.get("label"): disc.get("size") for disc in listing.json}
        missing = {label: size for label, size in added.items() if listed.get(label) != size}
        expect(
            not missing,
            "Discs not listed as added",
            f"Added {added}; listed {listed}.",
            exchange=listing.exchange.as_dict(),
        )
    labels = list(added)
    if not labels:
        return
    with step(f"4. delete {labels[0]!r} without purge"):
        reply = bigv.api.call("deleteDisc", path=path | {"disc": labels[0]})
        if reply.status != 400:
            note(
                "disc-delete-without-purge",
                f"DELETE of a disc without purge answered {reply.status}",
                f"{reply.describe()}; the spec refuses it with 400, the real service fails.",
                exchange=reply.exchange.as_dict(),
            )
    for label in labels:
        with step(f"5. delete {label!r} with purge=true"):
            reply = bigv.api.call("deleteDisc", path=path | {"disc": label}, query={"purge": True})
            expect_status(reply, (204, 404), "purge=true removes a disc")
            gone = bigv.api.call("getDisc", path=path | {"disc": label})
            expect_status(gone, 404, "a purged disc is not found")
