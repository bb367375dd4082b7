"""Proposer and challenger roles in a tiny simulated world (L1, sequencer, batcher, both players).

The L1 node here is the stock ``L1Node`` with ``DisputeGameFactory``
configured on top of its genesis (the simulator's world does that wiring
itself). Games use split depth 3 and maximum depth 6 (even, so a lying
proposer's game ends in the challenger's one-step proof) and a 60-second
clock per side at one-second L1 blocks.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, TypeVar

import pytest

from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.types import U64, U256, ZERO_HASH, ChainId
from interlace.protocol.chain.block import Block, genesis_header
from interlace.protocol.l1.genesis import L1_CHAIN_ID, L1_CONFIG, L1Genesis, build_l1_genesis
from interlace.protocol.l1.modules import RollupKind, RollupRecord
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin, origin_of
from interlace.protocol.settlement.dispute import (
    DISPUTE_GAME_ADDRESS,
    DisputeGameFactory,
    GameConfig,
    GameStatus,
    configure_games,
    read_anchor,
    read_game,
    read_game_count,
    read_resolved_output,
)
from interlace.protocol.settlement.outputs import compute_output
from interlace.roles.base import NodeId, Role, StoreView, Timestamp
from interlace.roles.batcher import Batcher, BatcherParams
from interlace.roles.challenger import Challenger, ChallengerParams
from interlace.roles.l1_node import L1Node, L1Params
from interlace.roles.proposer import Proposer, ProposerParams
from interlace.roles.records import (
    GameCreated,
    GameMove,
    GameResolved,
    GameStep,
    Record,
)
from interlace.roles.rollup_follower import FollowerParams
from interlace.roles.sequencer import RollupParams, Sequencer
from interlace.roles.settlement_messages import SetProposerFault
from interlace.roles.verifier import VerifierParams
from interlace.runtime.sim.kernel import Simulator

CHAIN: Final = ChainId(901)
ETHER: Final = 10**18
WINDOW: Final = 60
GAMES: Final = GameConfig(bond=ETHER // 100, split_depth=3, max_depth=6, max_clock=WINDOW)
SEQUENCER: Final = private_key_from_seed(b"roles-sequencer")
BATCHER: Final = private_key_from_seed(b"roles-batcher")
PROPOSER: Final = private_key_from_seed(b"roles-proposer")
CHALLENGER: Final = private_key_from_seed(b"roles-challenger")
ADMIN: Final = private_key_from_seed(b"roles-admin")
L1: Final = NodeId("l1")


def l1_genesis() -> L1Genesis:
    record = RollupRecord(
        CHAIN, RollupKind.OPTIMISTIC, SEQUENCER.address, BATCHER.address, U64(WINDOW), ADMIN.address
    )
    alloc = {k.address: 100 * ETHER for k in (BATCHER, PROPOSER, CHALLENGER, ADMIN)}
    return L1Genesis(L1_CONFIG, alloc, [record])


def rollup_genesis() -> RollupGenesis:
    header, _state = build_games_genesis()
    return RollupGenesis(CHAIN, origin_of(Block(header, ())), 0, {})


def build_games_genesis() -> tuple[object, object]:
    """The L1 genesis with dispute games configured (the rollup anchor needs no L1Origin)."""
    genesis = l1_genesis()
    _header, state = build_l1_genesis(genesis)
    placeholder = RollupChain(
        RollupGenesis(CHAIN, L1Origin(U64(0), ZERO_HASH, U64(0), U256(0)), 0, {})
    )
    anchor = compute_output(placeholder.states[0], placeholder.blocks[0])
    configure_games(
        state,
        {CHAIN: anchor},
        bond=GAMES.bond,
        split_depth=GAMES.split_depth,
        max_depth=GAMES.max_depth,
        max_clock=GAMES.max_clock,
    )
    return genesis_header(genesis.config, state, genesis.timestamp), state


class GameL1Node(L1Node):
    """``L1Node`` whose genesis also holds the configured ``DisputeGameFactory``."""

    def __init__(self, node_id: NodeId, params: L1Params, store: StoreView) -> None:
        super().__init__(node_id, params, _EmptyStore())
        header, state = build_games_genesis()
        assert isinstance(state, type(self.states[0]))
        self.blocks = [Block(header, ())]  # type: ignore[arg-type]
        self.states = {0: state}
        self.modules = {**self.modules, DISPUTE_GAME_ADDRESS: DisputeGameFactory()}
        self._restore(store)


class _EmptyStore:
    def get(self, key: bytes) -> bytes | None:
        del key
        return None

    def iterate_prefix(self, prefix: bytes):  # type: ignore[no-untyped-def]
        del prefix
        return iter(())


R = TypeVar("R", bound=Record)


@dataclass
class Timeline:
    """Record events of every node."""

    events: list[tuple[float, NodeId, Record]] = field(default_factory=list)

    def on_record(self, now: Timestamp, node: NodeId, event: Record) -> None:
        self.events.append((now, node, event))

    def after_step(self, sim: Simulator) -> None:
        del sim

    def kinds(self, kind: type[R]) -> list[R]:
        return [e for _t, _n, e in self.events if isinstance(e, kind)]


def player_params(key: PrivateKey) -> dict[str, object]:
    return {
        "verifier": VerifierParams(
            FollowerParams(rollup_genesis(), BATCHER.address), SEQUENCER.address
        ),
        "l1_chain_id": L1_CHAIN_ID,
        "key": key,
        "game": GAMES,
        "max_clock": WINDOW,
    }


def world(seed: int = 1) -> tuple[Simulator, Timeline]:
    sim = Simulator(seed)
    timeline = Timeline()
    sim.observers.append(timeline)
    genesis = rollup_genesis()

    def add(node: str, make: Callable[[NodeId, StoreView], Role]) -> None:
        sim.add_node(NodeId(node), lambda store: make(NodeId(node), store))

    add("l1", lambda n, s: GameL1Node(n, L1Params(l1_genesis(), block_time=1.0), s))
    add("seq", lambda n, s: Sequencer(n, RollupParams(genesis, SEQUENCER, block_time=1.0), s))
    batcher = BatcherParams(CHAIN, L1_CHAIN_ID, BATCHER, SEQUENCER.address, NodeId("seq"))
    add("batcher", lambda n, s: Batcher(n, batcher, s))
    proposer = ProposerParams(**player_params(PROPOSER), interval=4)  # type: ignore[arg-type]
    add("proposer", lambda n, s: Proposer(n, proposer, s))
    challenger = ChallengerParams(**player_params(CHALLENGER))  # type: ignore[arg-type]
    add("challenger", lambda n, s: Challenger(n, challenger, s))
    return sim, timeline


def l1_state(sim: Simulator):  # type: ignore[no-untyped-def]
    node = sim.role(L1)
    assert isinstance(node, L1Node)
    return node.head_state


def test_honest_outputs_resolve_defender_wins_and_the_challenger_stays_out() -> None:
    sim, timeline = world()
    sim.run_until(160.0)
    state = l1_state(sim)
    assert read_game_count(state) >= 2
    games = [read_game(state, i) for i in range(read_game_count(state))]
    assert all(g is not None and len(g.claims) == 1 for g in games)  # nobody attacked
    resolved = read_resolved_output(state, CHAIN, 4)
    assert resolved is not None and resolved.status == GameStatus.DEFENDER_WINS
    anchor = read_anchor(state, CHAIN)
    assert anchor is not None and anchor.output.number >= 4
    assert timeline.kinds(GameMove) == []
    assert any(e.number == 4 for e in timeline.kinds(GameCreated))
    assert any(e.status == "DEFENDER_WINS" for e in timeline.kinds(GameResolved))


@pytest.mark.parametrize("restart", [False, True])
def test_a_lying_proposer_loses_by_a_one_step_proof(restart: bool) -> None:
    sim, timeline = world()
    sim.schedule(1.0, lambda: sim.inject(NodeId("proposer"), SetProposerFault(lie_at=3)), "fault")
    if restart:  # both players crash mid-bisection (moves run from 6 s to 12 s) and come back
        for node in ("proposer", "challenger"):
            sim.schedule(8.5, lambda node=node: sim.crash(NodeId(node)), "crash")
            sim.schedule(10.5, lambda node=node: sim.restart(NodeId(node)), "restart")
    sim.run_until(240.0)
    state = l1_state(sim)
    resolved = read_resolved_output(state, CHAIN, 3)
    assert resolved is not None and resolved.status == GameStatus.CHALLENGER_WINS
    game = read_game(state, resolved.game_id)
    assert game is not None
    assert any(c.countered_by == CHALLENGER.address for c in game.claims)
    assert len(game.claims) == GAMES.max_depth + 1  # bisected to a leaf
    steps = timeline.kinds(GameStep)
    assert any(e.game == resolved.game_id and e.role == "challenger" for e in steps)
    # The honest chain keeps being proposed past the lie and confirmed.
    honest = read_resolved_output(state, CHAIN, 8)
    assert honest is not None and honest.status == GameStatus.DEFENDER_WINS
    # Bonds: the challenger gained what the liar lost in that game.
    liar_claims = sum(c.bond for c in game.claims if c.claimant == PROPOSER.address)
    assert liar_claims >= 2 * GAMES.bond
