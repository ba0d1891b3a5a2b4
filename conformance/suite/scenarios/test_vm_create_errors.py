"""vm_create refused for one disc: the error hash names the disc's attribute in its place."""

from conformance.judging.verdict import expect, step
from conformance.run.provisioning import documented_attributes
from conformance.run.scenario import expect_status, scenario


@scenario("823f46ae-vm-create-disc-error-hash", "vm.create-spec")
def test_vm_create_error_names_the_attribute_of_the_disc_at_fault(bigv, machines):
    """
    1. vm_create with two discs, the second with a size that is not a number: 400.
    2. The error hash's `discs` is an array of per-disc hashes, one a disc sent, the second
       naming `size` (the form the official client's tests show:
       `{"discs": [{}, {}, {}, {}, {"size": [...]}]}`).
    3. No machine of that name exists.
    """
    name = machines.name()
    grade = (bigv.run.definitions.get("storage_grades") or ["sata"])[0]
    body = {
        "virtual_machine": {**documented_attributes(bigv.run.definitions), "name": name},
        "discs": [
            {"label": "disc-1", "storage_grade": grade, "size": 25600},
            {"label": "disc-2", "storage_grade": grade, "size": "big"},
        ],
    }
    with step("1. vm_create with a bad size on the second disc"):
        reply = bigv.api.call("createVirtualMachineSpec", body=body)
        if reply.status == 202:
            machines.track(machines.created_machine(reply))
        expect_status(reply, 400, "a disc size must be a number")
    with step("2. the error names discs[1].size"):
        errors = reply.json if isinstance(reply.json, dict) else {}
        discs = errors.get("discs")
        expect(
            isinstance(discs, list)
            and len(discs) == len(body["discs"])
            and isinstance(discs[1], dict)
            and "size" in discs[1],
            "400 does not name the disc's attribute in its place",
            f"The second disc's size was refused; the error hash must hold per-disc hashes "
            f"under 'discs', the second naming 'size'; got {errors}.",
            exchange=reply.exchange.as_dict(),
        )
    with step("3. nothing created"):
        listing = bigv.api.call("listVirtualMachines", query={"include_deleted": True})
        expect(
            name not in [item.get("name") for item in listing.json],
            "A refused vm_create made a machine",
            f"{name!r} is listed after a 400.",
        )
