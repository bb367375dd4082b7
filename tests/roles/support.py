"""Helpers shared by the runtime tests."""

from types import ModuleType
from typing import TypeVar
from unittest.mock import patch

from interlace.roles.game_player import GamePlayer
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

T = TypeVar("T")


def held_by_roles(world: World, attribute: str, kind: type[T]) -> dict[str, T]:
    """Each node's ``attribute`` if it is a ``kind`` (a game player's from its follower)."""
    found: dict[str, T] = {}
    for node in world.sim.nodes:
        role = world.sim.role(node)
        holder = role.follower if isinstance(role, GamePlayer) else role
        value = getattr(holder, attribute, None)
        if isinstance(value, kind):
            found[node] = value
    return found


FAST_SCENARIOS = ("quickstart", "l1-reorg", "interop-l1-reorg")
"""Built-in scenarios quick enough for every test run (the rest are marked slow)."""


def trace_hash_with(name: str, module: ModuleType, constant: str, value: int) -> str:
    """Trace hash of built-in scenario ``name`` (seed 1) with ``module.constant`` = ``value``."""
    with patch.object(module, constant, value):
        return str(World(load_scenario(name), 1).run()["trace_hash"])
