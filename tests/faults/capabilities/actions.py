"""The faults that break the actions on a machine: signals, power, reimage (vm.signal,
vm.power, vm.reimage)."""

from __future__ import annotations

from tests.faults import faults as f
from tests.faults.entry import (
    POWER_PUT,
    REIMAGE_OFF,
    REIMAGE_RUNNING,
    SHUTDOWN,
    SIGNALS,
    Entry,
    scenario,
)

# A table written as code: one Entry a fault, alike by design (duplicates lists their shape).
ACTIONS: list[Entry] = [
    Entry(
        f.SwallowAction(
            "signal-does-nothing",
            "A signal the rules allow answers 200 (echoed) but is not sent.",
            "vm.signal, vm.power: powerdown with autoreboot off leaves the machine off",
            operation="signalVirtualMachine",
            schema="Signal",
            allowed=lambda machine, request: machine.get("power_on") is True,
            answer=f.echo,
        ),
        (scenario(SIGNALS), scenario(SHUTDOWN)),
    ),
    Entry(
        f.SwallowAction(
            "reimage-does-nothing",
            "Reimage of a stopped machine answers 200 (echoed) but nothing is reimaged.",
            "vm.reimage: afterwards the machine is on with autoreboot_on false",
            operation="reimageVirtualMachine",
            schema="Reimage",
            allowed=lambda machine, request: machine.get("power_on") is False,
            answer=f.echo,
        ),
        (scenario(REIMAGE_OFF),),
    ),
    Entry(
        f.StripFromRequest(
            "start-does-nothing",
            "PUT power_on=true answers 200 but the machine is not started.",
            "vm.power: PUT power_on true starts a stopped machine",
            operation="updateVirtualMachine",
            attributes=("power_on",),
            when=lambda request: (
                isinstance(request.json, dict) and request.json.get("power_on") is True
            ),
        ),
        (scenario(POWER_PUT),),
    ),
    Entry(
        f.StopThenReimage(
            "reimage-accepted-while-running",
            "Reimage of a running machine is not refused: it is stopped and reimaged.",
            "vm.reimage: reimage is refused (400) while the machine runs",
        ),
        (scenario(REIMAGE_RUNNING),),
    ),
    Entry(
        f.SwallowAction(
            "signal-accepted-while-off",
            "A signal to a stopped machine answers 200 (echoed) instead of being refused.",
            "vm.signal: signals are refused (400) while the machine is off",
            operation="signalVirtualMachine",
            schema="Signal",
            allowed=lambda machine, request: machine.get("power_on") is False,
            answer=f.echo,
        ),
        (scenario(SIGNALS),),
    ),
]
