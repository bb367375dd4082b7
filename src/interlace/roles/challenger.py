"""The challenger role: a ``GamePlayer`` (``game_player.py``) that disputes outputs.

The ``Challenger`` plays every game of its chain whose root claim it
disagrees with (and any game it already has claims in); it never attacks an
output its derivation agrees with. That rule (``plays``) and its name are all
it adds to the player.
"""

from dataclasses import dataclass

from interlace.protocol.settlement.dispute import GameView, honest_value
from interlace.roles.base import NodeId, StoreView
from interlace.roles.game_player import GamePlayer, PlayerParams


@dataclass(frozen=True, slots=True)
class ChallengerParams(PlayerParams):
    """A challenger's parameters (those of every player)."""


class Challenger(GamePlayer):
    """Disputes every output of its chain that its own derivation disagrees with."""

    role_name = "challenger"

    def __init__(self, node_id: NodeId, params: ChallengerParams, store: StoreView) -> None:
        super().__init__(node_id, params, store)

    def plays(self, game: GameView) -> bool:
        """A game it has claims in, or one whose root claim its own derivation disputes."""
        if self.participates(game):
            return True
        value = honest_value(
            game, game.claims, None, 1, config=self.params.game, source=self.source_for(game)
        )
        return value is not None and value != game.root_claim
