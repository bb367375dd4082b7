"""The rollup follower: one derivation of the safe chain, owned by the verifier node and by
each game player, none of them embedding another role."""

from dataclasses import replace

import pytest

from interlace.roles.base import Role
from interlace.roles.game_player import GamePlayer
from interlace.roles.rollup_follower import RollupFollower
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World


@pytest.fixture(scope="module")
def world() -> World:
    """The settlement scenario, cut short: two optimistic chains, each with its players."""
    world = World(replace(load_scenario("settlement"), duration=40, drain=10), 1)
    world.run()
    return world


def test_game_players_and_the_verifier_derive_the_same_safe_chain(world: World) -> None:
    roles = [world.sim.role(node) for node in world.sim.nodes]
    players = [role for role in roles if isinstance(role, GamePlayer)]
    assert {player.role_name for player in players} == {"proposer", "challenger"}
    for player in players:
        verifier = world.verifier(player.chain_id)
        assert verifier is not None
        ours, theirs = player.follower.chain, verifier.chain
        assert ours.head.number > 10, player.node_id
        assert [b.hash for b in ours.blocks] == [b.hash for b in theirs.blocks], player.node_id
        # The verifier checks evidence as its follower goes; a player has nothing to check.
        assert verifier.follower.checks is verifier
        assert player.follower.checks is None


def test_no_role_holds_another_role(world: World) -> None:
    for node in world.sim.nodes:
        role = world.sim.role(node)
        held = [name for name, value in vars(role).items() if isinstance(value, Role)]
        assert not held, (node, held)
        followers = [v for v in vars(role).values() if isinstance(v, RollupFollower)]
        assert len(followers) <= 1, node
