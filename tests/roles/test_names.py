"""Node names are spelled in one place and read back by one parser."""

import pytest

from interlace.roles.names import (
    HUB_NODE,
    L1_NODE,
    NodeName,
    batcher_node,
    challenger_node,
    coordinator_node,
    parse_node,
    proposer_node,
    sequencer_node,
    verifier_node,
    worker_node,
)
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World


@pytest.mark.parametrize(
    ("node", "parsed"),
    [
        (sequencer_node(901), NodeName("seq", 901)),
        (batcher_node(902), NodeName("batcher", 902)),
        (verifier_node(903), NodeName("verifier", 903)),
        (coordinator_node(901), NodeName("prover", 901)),
        (worker_node(902, 3), NodeName("prover worker", 902, 3)),
        (proposer_node(901), NodeName("proposer", 901)),
        (challenger_node(901), NodeName("challenger", 901)),
        (L1_NODE, NodeName("l1")),
        (HUB_NODE, NodeName("hub")),
        ("stranger-901", NodeName("stranger-901")),
        ("seq-", NodeName("seq-")),
    ],
)
def test_every_name_reads_back(node: str, parsed: NodeName) -> None:
    assert parse_node(node) == parsed


def test_every_node_of_a_settled_world_has_a_name_the_parser_reads() -> None:
    world = World(load_scenario("settlement"), 1)
    chains = set(world.chain_ids)
    for node in world.sim.nodes:
        name = parse_node(node)
        assert name.chain_id is None or name.chain_id in chains, node
        assert name.role != node or node in {"l1", "hub", "relayer", "client"}, node
