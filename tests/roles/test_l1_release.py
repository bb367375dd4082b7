"""Roles release L1 bodies: memory stays bounded and nothing observable changes."""

import pytest

import interlace.protocol.l1.view as view_module
from interlace.protocol.l1.view import RETAIN_MARGIN, L1View
from interlace.runtime.sim.scenario import builtin_scenarios, parse_scenario
from interlace.runtime.sim.world import World
from tests.roles.support import FAST_SCENARIOS, held_by_roles, trace_hash_with

LONG = """
name = "long"
description = "every L1-following role over a few hundred L1 blocks"
duration = 260
drain = 20

[l1]
block_time = 1.0
finality_depth = 4

[rollups]
count = 2
block_time = 1.0
kinds = ["optimistic", "validity"]

[hub]
enabled = true

[settlement]
enabled = true

[workload]
transfers_per_block = 1
messages_per_block = 0.3
deposit_every = 5.0
"""

LAG: int = 16
"""Slack for the cursors that trail the L1 head (derivation, scans, origins)."""


@pytest.mark.slow
def test_long_running_roles_hold_bounded_l1_bodies() -> None:
    scenario = parse_scenario(LONG)
    world = World(scenario, 1)
    world.run()
    views = held_by_roles(world, "l1", L1View)
    kinds = {node.split("-")[0] for node in views}
    assert {"seq", "verifier", "batcher", "hub"} <= kinds, kinds
    for node, view in views.items():
        assert view.head_number > 200, node
        assert len(view.hashes) > 200 > len(view.bodies), node  # released, hashes kept
        assert len(view.bodies) <= scenario.l1.finality_depth + RETAIN_MARGIN + LAG, (
            node,
            len(view.bodies),
        )


def trace_hash(name: str, margin: int) -> str:
    return trace_hash_with(name, view_module, "RETAIN_MARGIN", margin)


@pytest.mark.parametrize("name", FAST_SCENARIOS)
def test_releasing_everything_possible_changes_no_trace(name: str) -> None:
    # Margin 0 releases right below finality; a huge margin never releases.
    assert trace_hash(name, 0) == trace_hash(name, 10**9)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(builtin_scenarios()) - set(FAST_SCENARIOS)))
def test_releasing_changes_no_builtin_trace(name: str) -> None:
    assert trace_hash(name, 0) == trace_hash(name, 10**9)
