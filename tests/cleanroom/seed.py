"""Seed data: carol administers `clean`, reads `lookonly`, cannot see `other`."""

from .store import State, User

USERNAME = "carol"
PASSWORD = "clean-secret"
API_KEY = "carol-key"


def _running_vm(state: State, account_name: str, vm_name: str) -> None:
    account = next(a for a in state.accounts.values() if a.name == account_name)
    group = state.group_by_ref(account, "default")
    vm = state.add_vm(group, vm_name, last_imaged_with="stretch")
    state.add_disc(vm, "disc-1", 25600, "sata")
    state.power_on(vm)


def seed(state: State) -> State:
    """Fill a fresh state with the seeded accounts, user and API key."""
    with state.lock:
        clean = state.add_account("clean")
        other = state.add_account("other")
        lookonly = state.add_account("lookonly")
        _running_vm(state, "other", "hidden-vm")
        _running_vm(state, "lookonly", "seen-vm")
        access = {clean.id: "admin", lookonly.id: "read"}
        state.users[USERNAME] = User(USERNAME, PASSWORD, access)
        state.api_keys[API_KEY] = USERNAME
        assert other.id not in access
    return state
