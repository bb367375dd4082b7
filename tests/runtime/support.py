"""Helpers shared by the runtime tests."""

from typing import TypeVar

from interlace.roles.challenger import GamePlayer
from interlace.runtime.sim.world import World

T = TypeVar("T")


def held_by_roles(world: World, attribute: str, kind: type[T]) -> dict[str, T]:
    """Each node's ``attribute`` if it is a ``kind`` (a game player's from its verifier)."""
    found: dict[str, T] = {}
    for node in world.sim.nodes:
        role = world.sim.role(node)
        holder = role.verifier if isinstance(role, GamePlayer) else role
        value = getattr(holder, attribute, None)
        if isinstance(value, kind):
            found[node] = value
    return found
