"""In-memory state: accounts, groups, VMs, discs, NICs, users, sessions; one lock guards it."""

import heapq
import ipaddress
import threading
import time
from dataclasses import dataclass, field

UNDELETE_WINDOW = 21 * 86400
V4_BASE = ipaddress.IPv4Address("198.18.0.0")
V6_BASE = ipaddress.IPv6Address("2001:db8::")
MGMT_BASE = ipaddress.IPv4Address("100.64.0.0")


def as_id(ref: str) -> int | None:
    """A path segment as an integer id, if it is one (ASCII digits, at most 18)."""
    return int(ref) if ref.isascii() and ref.isdigit() and len(ref) <= 18 else None


@dataclass
class Account:
    """A customer account."""

    id: int
    name: str
    suspended: bool = False


@dataclass
class Group:
    """A group of VMs inside an account."""

    id: int
    account_id: int
    name: str


@dataclass
class VirtualMachine:
    """A virtual machine; `slot` numbers its addresses."""

    id: int
    group_id: int
    name: str
    slot: int
    cores: int = 1
    memory: int = 1024
    power_on: bool = False
    autoreboot_on: bool = True
    cdrom_url: str | None = None
    keymap: str | None = None
    hardware_profile: str = "virtio2013"
    hardware_profile_locked: bool = False
    zone_name: str = "york"
    deleted: bool = False
    deleted_at: float | None = None
    head: str | None = None
    last_imaged_with: str | None = None
    provisioning: bool = False
    pending_power: bool = False
    pending_image: str | None = None


@dataclass
class Disc:
    """A disc attached to a VM; size in MiB."""

    id: int
    vm_id: int
    label: str
    size: int
    storage_grade: str
    iops_limit: int | None = None
    backup_schedules: list = field(default_factory=list)


@dataclass
class Nic:
    """The network interface of a VM."""

    id: int
    vm_id: int


@dataclass
class User:
    """A user; `access` maps account id to "admin" or "read"."""

    username: str
    password: str
    access: dict[int, str] = field(default_factory=dict)


@dataclass
class Session:
    """A session token issued by POST /session."""

    token: str
    username: str
    expires: float
    factors: list = field(default_factory=lambda: ["password"])


class State:
    """All server data. Callers hold `lock` around reads and writes."""

    def __init__(self, cluster_domain: str = "uk0.bigv.io", provision_delay: float = 1.0):
        self.lock = threading.RLock()
        self.cluster_domain = cluster_domain
        self.provision_delay = provision_delay
        self.accounts: dict[int, Account] = {}
        self.groups: dict[int, Group] = {}
        self.vms: dict[int, VirtualMachine] = {}
        self.discs: dict[int, Disc] = {}
        self.nics: dict[int, Nic] = {}
        self.users: dict[str, User] = {}
        self.sessions: dict[str, Session] = {}
        self.api_keys: dict[str, str] = {}
        self._counters: dict[str, int] = {}
        self._free_slots: list[int] = []
        self._next_slot = 10

    # ids and addresses
    def new_id(self, kind: str) -> int:
        """Next integer id for a kind of object."""
        self._counters[kind] = self._counters.get(kind, 0) + 1
        return self._counters[kind]

    def _take_slot(self) -> int:
        if self._free_slots:
            return heapq.heappop(self._free_slots)
        self._next_slot += 1
        return self._next_slot - 1

    @staticmethod
    def ipv4(vm: VirtualMachine) -> str:
        """Primary IPv4 of a VM."""
        return str(V4_BASE + vm.slot)

    @staticmethod
    def ipv6(vm: VirtualMachine) -> str:
        """Primary IPv6 of a VM."""
        return str(V6_BASE + vm.slot)

    @staticmethod
    def management_address(vm: VirtualMachine) -> str:
        """Management (console) address of a VM."""
        return str(MGMT_BASE + vm.slot)

    @staticmethod
    def mac(vm: VirtualMachine) -> str:
        """MAC address of a VM's NIC."""
        low = vm.slot.to_bytes(3, "big")
        return "fe:ff:00:" + ":".join(f"{b:02x}" for b in low)

    # access
    def access(self, user: User, account_id: int) -> str | None:
        """Access level of a user on an account: "admin", "read" or None."""
        return user.access.get(account_id)

    # lookups by reference (id or name)
    def account_by_ref(self, user: User, ref: str) -> Account | None:
        """Account visible to the user, by id or name."""
        if as_id(ref) is not None:
            # lookups by id or name, alike by design (the record addresses both ways)
            acc = self.accounts.get(as_id(ref))
        else:
            acc = next((a for a in self.accounts.values() if a.name == ref), None)
        if acc is None or self.access(user, acc.id) is None:
            return None
        return acc

    def group_by_ref(self, account: Account, ref: str) -> Group | None:
        """Group of an account, by id or name."""
        for g in self.groups.values():
            if g.account_id != account.id:
                continue
            if g.id == as_id(ref) or g.name == ref:
                return g
        return None

    def vm_by_ref(self, group: Group, ref: str) -> VirtualMachine | None:
        """VM of a group (deleted or not), by id or name."""
        for vm in self.vms.values():
            if vm.group_id != group.id:
                continue
            if vm.id == as_id(ref) or vm.name == ref:
                return vm
        return None

    def disc_by_ref(self, vm: VirtualMachine, ref: str) -> Disc | None:
        """Disc of a VM, by id or label."""
        for d in self.discs.values():
            if d.vm_id != vm.id:
                continue
            if d.id == as_id(ref) or d.label == ref:
                return d
        return None

    def accounts_of(self, user: User) -> list[Account]:
        """Accounts the user may see, by id."""
        return [a for _, a in sorted(self.accounts.items()) if self.access(user, a.id)]

    def groups_of(self, account_id: int) -> list[Group]:
        """Groups of an account, by id."""
        return [g for _, g in sorted(self.groups.items()) if g.account_id == account_id]

    def vms_of(self, group_id: int, include_deleted: bool = False) -> list[VirtualMachine]:
        """VMs of a group, by id; deleted ones only when asked."""
        return [
            v
            for _, v in sorted(self.vms.items())
            if v.group_id == group_id and (include_deleted or not v.deleted)
        ]

    def discs_of(self, vm_id: int) -> list[Disc]:
        """Discs of a VM, by id."""
        return [d for _, d in sorted(self.discs.items()) if d.vm_id == vm_id]

    def nics_of(self, vm_id: int) -> list[Nic]:
        """NICs of a VM, by id."""
        return [n for _, n in sorted(self.nics.items()) if n.vm_id == vm_id]

    def hostname(self, vm: VirtualMachine) -> str:
        """name.group.account.cluster-domain."""
        group = self.groups[vm.group_id]
        account = self.accounts[group.account_id]
        return f"{vm.name}.{group.name}.{account.name}.{self.cluster_domain}"

    # mutations
    def add_account(self, name: str) -> Account:
        """Create an account with its default group."""
        acc = Account(self.new_id("account"), name)
        self.accounts[acc.id] = acc
        self.add_group(acc, "default")
        return acc

    def add_group(self, account: Account, name: str) -> Group:
        """Create a group in an account."""
        grp = Group(self.new_id("group"), account.id, name)
        self.groups[grp.id] = grp
        return grp

    def add_vm(self, group: Group, name: str, **attrs) -> VirtualMachine:
        """Create a VM (powered off) with its NIC."""
        vm = VirtualMachine(self.new_id("vm"), group.id, name, self._take_slot(), **attrs)
        self.vms[vm.id] = vm
        nic = Nic(self.new_id("nic"), vm.id)
        self.nics[nic.id] = nic
        return vm

    def add_disc(self, vm: VirtualMachine, label: str, size: int, grade: str, **attrs) -> Disc:
        """Attach a new disc to a VM."""
        disc = Disc(self.new_id("disc"), vm.id, label, size, grade, **attrs)
        self.discs[disc.id] = disc
        return disc

    def power_on(self, vm: VirtualMachine) -> None:
        """Start a VM on a head."""
        vm.power_on = True
        vm.head = f"head{100 + vm.id % 24}"

    def power_off(self, vm: VirtualMachine) -> None:
        """Stop a VM."""
        vm.power_on = False
        vm.head = None

    def soft_delete(self, vm: VirtualMachine) -> None:
        """Mark a VM deleted and take it down."""
        if vm.deleted:
            return
        self.power_off(vm)
        vm.pending_power = False
        vm.deleted = True
        vm.deleted_at = time.time()

    def purge(self, vm: VirtualMachine) -> None:
        """Remove a VM, its discs and NICs; free its name and addresses."""
        for d in self.discs_of(vm.id):
            del self.discs[d.id]
        for n in self.nics_of(vm.id):
            del self.nics[n.id]
        del self.vms[vm.id]
        heapq.heappush(self._free_slots, vm.slot)

    def finish_provisioning(self, vm_id: int) -> None:
        """Background end of a create: image, then power on if asked."""
        with self.lock:
            vm = self.vms.get(vm_id)
            if vm is None or not vm.provisioning:
                return
            vm.provisioning = False
            if vm.pending_image:
                vm.last_imaged_with = vm.pending_image
                vm.pending_image = None
            if vm.pending_power and not vm.deleted:
                self.power_on(vm)
            vm.pending_power = False

    def sweep(self, now: float | None = None) -> None:
        """Purge VMs deleted longer ago than the undelete window; drop expired sessions."""
        now = time.time() if now is None else now
        for vm in list(self.vms.values()):
            if vm.deleted and vm.deleted_at is not None and now - vm.deleted_at > UNDELETE_WINDOW:
                self.purge(vm)
        for token, s in list(self.sessions.items()):
            if s.expires < now:
                del self.sessions[token]
