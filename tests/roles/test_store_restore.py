"""A restart must never fail on the node's own store, and must give back the chain it held.

Worlds with crashes, L1 reorgs, equivocation and hub rebuilds run with an observer
that, after every step in which a node wrote its store, rebuilds that node from a copy
of the store and compares what it holds (its rollup or L1 chain, the hub's head) with the
running role. A path that replaces blocks and leaves the store describing another chain
(a stored block not rewritten, one above a rewound head left behind) fails at that step,
not only when a crash happens to land on it.
"""

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from interlace.primitives.types import Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.hub.state import hub_header_hash
from interlace.roles.base import NodeId, Role
from interlace.roles.game_player import GamePlayer
from interlace.roles.hub import Hub
from interlace.roles.l1_node import L1Node
from interlace.roles.prover import Coordinator
from interlace.roles.sequencer import Sequencer
from interlace.roles.verifier import VerifierNode
from interlace.runtime.sim.kernel import Simulator
from interlace.runtime.sim.scenario import Scenario, load_scenario, parse_scenario
from interlace.runtime.sim.world import World
from interlace.runtime.store import MemoryStore

REGRESSIONS = Path(__file__).parents[1] / "runtime" / "sim" / "regressions"

REBUILDS = """
name = "restore-after-rebuilds"
description = "902 equivocates: hub invalidates, sequencers rebuild, prover rewinds; L1 reorgs"
duration = 18.0
drain = 2.0
faults = [
    { kind = "equivocate", at = 8.0, duration = 3.0, chain = 1, delay_blocks = 2 },
    { kind = "l1_reorg", at = 15.0, depth = 2 },
]

[l1]
block_time = 1.0
finality_depth = 4

[rollups]
count = 2
confirmation_depth = 1
kinds = ["validity", "optimistic"]
trust_modes = ["preconfirmed", "preconfirmed"]

[workload]
transfers_per_block = 0
messages_per_block = 1.0

[hub]
enabled = true

[settlement]
enabled = true
aggregate_every = 3.0
"""


def _scenarios() -> list[tuple[str, Scenario, int]]:
    """(id, scenario, seed): the rebuild world above and the explorer's restart failures, their
    liveness phase cut short (the check is on every step, not on convergence)."""
    found = [("rebuilds", parse_scenario(REBUILDS), 1)]
    for name in ("verifier-restore-after-hub-rebuild", "sequencer-restart-after-bad-state-root"):
        scenario = load_scenario(str(REGRESSIONS / f"{name}.toml"))
        assert scenario.seed is not None
        found.append((name, replace(scenario, drain=2.0), scenario.seed))
    return found


SCENARIOS = _scenarios()


def held(role: Role) -> tuple[str, Sequence[Hash32]]:
    """What a restart must give back: the block hashes of the chain the role holds."""
    if isinstance(role, GamePlayer):
        return "GamePlayer", _hashes(role.follower.chain.blocks)
    if isinstance(role, Sequencer | VerifierNode | Coordinator):
        return type(role).__name__, _hashes(role.chain.blocks)
    if isinstance(role, L1Node):
        return "L1Node", _hashes(role.blocks)
    if isinstance(role, Hub):
        return "Hub", (hub_header_hash(role.head),) if role.head.number else ()
    return type(role).__name__, ()


def _hashes(blocks: Sequence[Block]) -> tuple[Hash32, ...]:
    return tuple(block.hash for block in blocks)


def _tip(hashes: Sequence[Hash32]) -> str:
    return f"{len(hashes)} blocks ending {hashes[-1].hex()[:16]}" if hashes else "nothing"


class RestoreChecker:
    """After each step, rebuild every node whose store was written and compare."""

    def __init__(self, sim: Simulator) -> None:
        self.checks = 0
        self.written: set[NodeId] = set()
        for node, slot in sim.nodes.items():
            slot.store = _Watched(node, self.written, slot.store)

    def on_record(self, *_args: object) -> None:
        """Records are not needed: the store writes say when to check."""

    def after_step(self, sim: Simulator) -> None:
        for node in sorted(self.written):
            slot = sim.nodes[node]
            if slot.role is None:
                continue
            snapshot = MemoryStore()
            snapshot.write_batch(list(slot.store.iterate_prefix(b"")))
            try:
                restored = slot.factory(snapshot)
            except Exception as exc:  # noqa: BLE001 - any error is a failed restart, as in the kernel
                pytest.fail(f"t={sim.now:.3f}: {node} cannot restart from its store: {exc!r}")
            running, again = held(slot.role), held(restored)
            assert again == running, (
                f"t={sim.now:.3f}: {node} restored from its store holds {_tip(again[1])}, "
                f"the running role {_tip(running[1])}"
            )
            self.checks += 1
        self.written.clear()


class _Watched(MemoryStore):
    """A node's store that notes the node when a batch is written."""

    def __init__(self, node: NodeId, written: set[NodeId], inner: MemoryStore) -> None:
        super().__init__()
        super().write_batch(list(inner.iterate_prefix(b"")))
        self._node = node
        self._written = written

    def write_batch(self, writes: Sequence[tuple[bytes, bytes | None]]) -> None:
        super().write_batch(writes)
        self._written.add(self._node)


@pytest.mark.parametrize(
    ("scenario", "seed"), [(s, seed) for _, s, seed in SCENARIOS], ids=[i for i, _, _ in SCENARIOS]
)
def test_every_node_restores_the_chain_it_holds(scenario: Scenario, seed: int) -> None:
    world = World(scenario, seed)
    checker = RestoreChecker(world.sim)
    world.sim.observers.append(checker)
    world.run()
    assert world.stopped is None, str(world.stopped)
    assert checker.checks > 0
