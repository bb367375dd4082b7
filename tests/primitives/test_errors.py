"""The error tree: every exception class Interlace defines sits under exactly one of its
two roots, misuse by the calling code (``MisuseError``) or bad input from outside
(``InputError``), as h11 keeps its local and remote errors apart."""

import importlib
import inspect
import pkgutil

import interlace
from interlace.api.rpc.errors import RpcError
from interlace.primitives.errors import InputError, InterlaceError, MisuseError

ROOTS = (MisuseError, InputError)


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined in a module of the package (imported ones once)."""
    found: dict[type[BaseException], None] = {}
    for info in pkgutil.walk_packages(interlace.__path__, "interlace."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__.startswith("interlace.")
            ):
                found[value] = None
    return list(found)


def test_the_walk_finds_the_whole_package() -> None:
    names = {c.__name__ for c in _exception_classes()}
    # One from each layer, so an import failure cannot make the next test pass on nothing.
    assert {
        "MalformedRLP",
        "InvalidBlock",
        "Rejected",
        "InvalidDeclaration",
        "BadRelayTransition",
        "PlanError",
        "PortInUse",
        "UsageError",
        "ClientError",
    } <= names


def test_every_error_sits_under_exactly_one_root() -> None:
    misplaced = []
    for cls in _exception_classes():
        if cls in (InterlaceError, *ROOTS):
            continue
        if issubclass(cls, RpcError):
            # JSON-RPC answers built from the errors below (api/rpc/errors.py maps them);
            # the dispatcher raises them to the wire, never to a library caller.
            continue
        roots = [root.__name__ for root in ROOTS if issubclass(cls, root)]
        if len(roots) != 1:
            misplaced.append(f"{cls.__module__}.{cls.__qualname__}: {roots or 'no root'}")
    assert misplaced == []


def test_the_roots_are_interlace_errors_and_disjoint() -> None:
    assert all(issubclass(root, InterlaceError) for root in ROOTS)
    assert not issubclass(MisuseError, InputError)
    assert not issubclass(InputError, MisuseError)


def test_no_two_error_classes_share_a_name() -> None:
    """Two ``UnknownChain`` classes once meant an ``except`` could catch the wrong one."""
    seen: dict[str, str] = {}
    clashes = []
    for cls in _exception_classes():
        where = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__name__ in seen:
            clashes.append((seen[cls.__name__], where))
        seen[cls.__name__] = where
    assert clashes == []


def test_caught_families_keep_their_place() -> None:
    """A few placements callers rely on, spelled out (the rest follow from the walk)."""
    from interlace.api.rpc.params import ParamError
    from interlace.protocol.chain.errors import InvalidBlock, InvalidTransaction
    from interlace.protocol.hub.tracker import Rejected
    from interlace.protocol.l1.view import ReleasedBlock
    from interlace.protocol.rollup.chain import StatePruned
    from interlace.protocol.rollup.declaration import MalformedDeclaration
    from interlace.roles.relayer import BadRelayTransition
    from interlace.runtime.live.codec import UnsupportedField

    for remote in (InvalidBlock, InvalidTransaction, Rejected, MalformedDeclaration, ParamError):
        assert issubclass(remote, InputError)
    for local in (ReleasedBlock, StatePruned, BadRelayTransition, UnsupportedField):
        assert issubclass(local, MisuseError)
    # Still what callers catch them as before the tree had roots.
    assert issubclass(ParamError, ValueError)
    assert issubclass(UnsupportedField, TypeError)
