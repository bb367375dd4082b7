"""A rollup's local exit root enters L1 only with evidence tied to a block L1 settled:
``settleLocalExitRoot`` takes the block's state root as L1 knows it (a validity proof, or an
output resolved valid) and an EIP-1186 proof of the bridge's ``lastLocalExitRoot`` slot
against it. Run on the L1 state of a simulated world with settlement, against blocks that
world really settled; every bad submission is refused with its reason and writes nothing."""

from dataclasses import dataclass
from functools import cache

import pytest

from interlace.primitives.exit_tree import EMPTY_EXIT_ROOT, ExitTree
from interlace.primitives.types import U256, Address, Hash32
from interlace.protocol.bridge.certificate import build_submission, encode_submission
from interlace.protocol.bridge.format import global_exit_root
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    imported_exits_hash_slot,
    knows_global_exit_root,
    local_exit_root_slot,
    read_exit_roots,
)
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.modules import CallContext, CallEnv
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.genesis import l1_modules
from interlace.protocol.l1.modules import RollupKind
from interlace.protocol.settlement.confirmation import settled_state_root
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

SENDER = Address(b"\x5e" * 20)


@dataclass(frozen=True)
class Settled:
    """One settled block with a known state root, and the proofs of its bridge slot."""

    chain_id: int
    number: int
    state_root: Hash32
    account_proof: tuple[bytes, ...]
    storage_proof: tuple[bytes, ...]
    imports_proof: tuple[bytes, ...]


@cache
def settled_world() -> tuple[WorldState, dict[RollupKind, Settled], dict[int, int]]:
    """The settlement scenario run to its end: L1's head state and, per rollup kind, the
    highest block of one chain L1 knows the state root of."""
    world = World(load_scenario("settlement"), 1)
    world.run()
    l1 = world.l1_node()
    assert l1 is not None
    state = l1.head_state
    found: dict[RollupKind, Settled] = {}
    kinds: dict[int, int] = {}
    for index, sequencer in enumerate(world.sequencers()):
        chain = sequencer.chain
        kind = world.scenario.kind_of(index)
        kinds[int(chain.genesis.chain_id)] = index + 1
        if kind in found:
            continue
        for number in range(chain.head.number, 0, -1):
            root = settled_state_root(state, int(chain.genesis.chain_id), number)
            if root is None:
                continue
            rollup_state = chain.state_at(number)
            assert rollup_state.state_root() == root
            found[kind] = Settled(
                int(chain.genesis.chain_id),
                number,
                root,
                tuple(rollup_state.account_trie().proof(BRIDGE_ADDRESS)),
                tuple(rollup_state.storage_trie(BRIDGE_ADDRESS).proof(local_exit_root_slot())),
                tuple(rollup_state.storage_trie(BRIDGE_ADDRESS).proof(imported_exits_hash_slot())),
            )
            break
    return state, found, kinds


def settle(state: WorldState, item: Settled, **change: object) -> tuple[WorldState, list[object]]:
    """Run settleLocalExitRoot on a copy-on-checkpoint of ``state``; (state, logs)."""
    args = {
        "chain_id": item.chain_id,
        "number": item.number,
        "account": list(item.account_proof),
        "storage": list(item.storage_proof),
        "imports": list(item.imports_proof),
        # no bridge traffic in the settlement scenario: the chain's first certificate is empty
        "certificate": encode_submission(
            build_submission(
                settled_world()[2][item.chain_id], ([], []), ([], []), 0, lambda _root: False
            )
        ),
    }
    args.update(change)
    module = l1_modules()[BRIDGE_ADDRESS]
    ctx = CallContext(state, CallEnv(900, 10_000, 10_000), BRIDGE_ADDRESS, SENDER, U256(0), 10**9)
    module.call(
        ctx,
        "settleLocalExitRoot",
        (
            args["chain_id"],
            args["number"],
            args["account"],
            args["storage"],
            args["imports"],
            args["certificate"],
        ),
    )
    return state, list(ctx.logs)


@pytest.fixture
def world_state() -> WorldState:
    state, _found, _kinds = settled_world()
    mark = state.checkpoint()
    yield state
    state.revert_to(mark)


@pytest.mark.parametrize("kind", [RollupKind.VALIDITY, RollupKind.OPTIMISTIC])
def test_a_settled_blocks_exit_root_enters_the_rollup_exit_tree(
    world_state: WorldState, kind: RollupKind
) -> None:
    _state, found, networks = settled_world()
    assert kind in found, f"the settlement scenario settled no {kind.name} block with a root"
    item = found[kind]
    _, logs = settle(world_state, item)
    network = networks[item.chain_id]
    view = BRIDGE_ABI.function("rollupLocalExitRoot")
    data = l1_modules()[BRIDGE_ADDRESS].view(
        world_state, CallEnv(900, 1, 1), view.encode_call(network)
    )
    root, number = view.decode_return(data)
    assert (Hash32(root), number) == (EMPTY_EXIT_ROOT, item.number)  # no bridge exits there
    # the rollup exit tree's leaf network-1 is that root; the others are still zero
    leaves = [Hash32(b"\x00" * 32)] * len(networks)
    leaves[network - 1] = EMPTY_EXIT_ROOT
    mainnet, rollup = read_exit_roots(world_state)
    assert rollup == ExitTree.from_leaves(leaves).root()
    assert knows_global_exit_root(world_state, global_exit_root(mainnet, rollup))
    assert len(logs) == 2  # LocalExitRootSettled and the manager's UpdateL1InfoTree


def _refusal(state: WorldState, item: Settled, **change: object) -> str:
    before = read_exit_roots(state)
    with pytest.raises(ModuleRevert) as refused:
        settle(state, item, **change)
    state_after = read_exit_roots(state)
    assert state_after == before
    return str(refused.value)


def test_bad_evidence_is_refused(world_state: WorldState) -> None:
    _state, found, _ = settled_world()
    item = found[RollupKind.VALIDITY]
    tampered = list(item.storage_proof)
    tampered[-1] = tampered[-1][:-1] + bytes([tampered[-1][-1] ^ 1])
    assert "InvalidStorageProof" in _refusal(world_state, item, storage=tampered)
    assert "InvalidStorageProof" in _refusal(
        world_state, item, account=list(item.account_proof[1:])
    )
    assert "not settled on L1" in _refusal(world_state, item, number=item.number + 10_000)
    assert "no network id" in _refusal(world_state, item, chain_id=4242)
    # a proof of another chain's state under this chain's root fails
    other = found[RollupKind.OPTIMISTIC]
    assert "InvalidStorageProof" in _refusal(world_state, item, account=list(other.account_proof))


def test_an_older_block_cannot_replace_a_newer_root(world_state: WorldState) -> None:
    _state, found, _ = settled_world()
    item = found[RollupKind.VALIDITY]
    settle(world_state, item)
    assert "is not newer" in _refusal(world_state, item)
