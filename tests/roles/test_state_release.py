"""Roles release rollup states: memory stays bounded and nothing observable changes."""

from unittest.mock import patch

import pytest

import interlace.protocol.rollup.chain as chain_module
from interlace.primitives.envelope import verify_envelope
from interlace.protocol.chain.state import WorldState
from interlace.protocol.rollup.chain import RollupChain
from interlace.roles.base import MessageReceived, NodeId, SendMessage, Timestamp
from interlace.roles.messages import BlocksRequest, BlocksResponse
from interlace.runtime.sim.scenario import builtin_scenarios, load_scenario
from interlace.runtime.sim.world import World
from tests.roles.support import FAST_SCENARIOS, held_by_roles, trace_hash_with

WINDOW: int = 8
"""A window far below the run's length, so the floors decide what stays."""
LAG: int = 48
"""Slack for the floors behind the head in the settlement scenario: hub finalization
(challenge window 15 s, aggregates every 3 s, L1 finality twice) for sequencers and
verifiers, the dispute anchor (output interval 4 + challenge window) for players,
the proven head in finalized L1 blocks for provers."""


@pytest.mark.slow
def test_every_role_holds_the_window_plus_its_lag_in_states() -> None:
    with patch.object(chain_module, "KEEP_STATES", WINDOW):
        world = World(load_scenario("settlement"), 1)
        world.run()
    chains = held_by_roles(world, "chain", RollupChain)
    kinds = {node.split("-")[0] for node in chains}
    assert kinds == {"seq", "verifier", "proposer", "challenger", "prover"}, kinds
    for node, chain in chains.items():
        head = chain.head.number
        assert head > 100, node
        assert sorted(chain.states) == list(range(chain.states_from, head + 1)), node
        assert 0 < len(chain.states) <= WINDOW + LAG, (node, len(chain.states))


def test_kept_states_below_the_head_hold_no_read_cache() -> None:
    # Each used to hold a copy of its head's (thousands of storage words on a devnet,
    # ~50 KB a block over 256 kept states); now only what was read at it since.
    world = World(load_scenario("quickstart"), 1)
    world.run()
    held: dict[str, dict[int, WorldState]] = {
        node: chain.states for node, chain in held_by_roles(world, "chain", RollupChain).items()
    }
    held.update(held_by_roles(world, "states", dict))  # the L1 node's
    assert {node.split("-")[0] for node in held} == {"seq", "verifier", "l1"}, held
    for node, states in held.items():
        head = max(states)
        assert len(states) > 30 and states[head].cached_reads > 20, node
        below = [state.cached_reads for number, state in states.items() if number != head]
        assert max(below) <= 8, (node, below)


def test_a_sequencer_keeps_the_envelopes_of_its_kept_states_and_signs_older_ones_again() -> None:
    with patch.object(chain_module, "KEEP_STATES", WINDOW):
        world = World(load_scenario("quickstart"), 1)
        world.run()
    for sequencer in world.sequencers():
        chain = sequencer.chain
        assert chain.states_from > 10, chain.states_from
        kept = list(range(chain.states_from, chain.head.number + 1))
        assert sorted(sequencer.envelopes) == kept
        request = MessageReceived(NodeId("verifier"), BlocksRequest(1, 3))
        [answer] = sequencer.handle(request, Timestamp(world.sim.now))
        assert isinstance(answer, SendMessage) and isinstance(answer.message, BlocksResponse)
        signed = [verify_envelope(e, chain.genesis.chain_id) for e in answer.message.envelopes]
        assert [s.payload.block_hash for s in signed] == [chain.blocks[n].hash for n in (1, 2, 3)]
        assert {s.signer for s in signed} == {sequencer.params.sequencer_key.address}


def trace_hash(name: str, window: int) -> str:
    return trace_hash_with(name, chain_module, "KEEP_STATES", window)


@pytest.mark.parametrize("name", FAST_SCENARIOS)
def test_releasing_everything_possible_changes_no_trace(name: str) -> None:
    # Window 0 releases everything below each role's floor; a huge window releases nothing.
    assert trace_hash(name, 0) == trace_hash(name, 10**9)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(builtin_scenarios()) - set(FAST_SCENARIOS)))
def test_releasing_changes_no_builtin_trace(name: str) -> None:
    assert trace_hash(name, 0) == trace_hash(name, 10**9)
