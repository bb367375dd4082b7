"""The proposer role: posts output roots of SAFE blocks as dispute games, and defends them.

It is a ``GamePlayer`` (``game_player.py``): its ``RollupFollower`` gives
it the SAFE chain (derived from L1 alone), and it rebuilds the games of its
chain from L1 logs. Every ``interval`` blocks it proposes the output of the
block (``createGame`` with the bond) once that block is SAFE, above the
chain's anchor and within the game's range (2^split_depth blocks past the
anchor). It plays the games it created with OP's honest-actor rules
(defending its claims when attacked) and resolves them when the clocks
allow. ``SetProposerFault(lie_at)`` makes it propose block ``lie_at`` with a
wrong state root and play that game with the matching dishonest trace
(honest intermediate roots, wrong final output); the fault is persisted, so
a restarted byzantine proposer keeps lying in the game it is playing.
"""

from dataclasses import dataclass, replace
from typing import Final

from interlace.primitives.hashing import keccak256
from interlace.protocol.settlement.dispute import GameStatus, GameView
from interlace.protocol.settlement.outputs import Output
from interlace.protocol.settlement.trace import BlockTrace
from interlace.roles.base import Effect, NodeId, PersistBatch, StoreView
from interlace.roles.game_player import ChainSource, GamePlayer, PlayerParams
from interlace.roles.records import (
    ProposerFault,
    ProposerOutput,
)
from interlace.roles.settlement_messages import SetProposerFault

_LIE_KEY: Final = b"prop/lie_at"


@dataclass(frozen=True, slots=True)
class ProposerParams(PlayerParams):
    """A proposer's parameters."""

    interval: int = 10
    """Propose the output of every ``interval``-th block."""


class LyingSource(ChainSource):
    """The honest chain, except block ``lie_at``'s output (a wrong state root)."""

    def __init__(self, honest: ChainSource, lie_at: int) -> None:
        super().__init__(honest.follower)
        self.honest = honest
        self.lie_at = lie_at

    def output(self, number: int) -> Output | None:
        output = self.honest.output(number)
        if output is None or number != self.lie_at:
            return output
        return replace(output, state_root=keccak256(b"lie" + output.state_root))

    def block_trace(self, number: int) -> BlockTrace | None:
        trace = self.honest.block_trace(number)
        if trace is None or number != self.lie_at:
            return trace
        lie = self.output(number)
        assert lie is not None
        return replace(trace, output=lie)


class Proposer(GamePlayer):
    """See the module docstring."""

    role_name = "proposer"

    def __init__(self, node_id: NodeId, params: ProposerParams, store: StoreView) -> None:
        super().__init__(node_id, params, store)
        self.interval = params.interval
        raw = store.get(_LIE_KEY)
        self.lie_at: int | None = int.from_bytes(raw, "big") if raw else None
        """The block the proposer lies about (byzantine switch), if any."""

    def on_message(self, message: object) -> list[Effect]:
        if isinstance(message, SetProposerFault):
            self.lie_at = message.lie_at
            value = None if message.lie_at is None else message.lie_at.to_bytes(8, "big")
            return [
                PersistBatch(((_LIE_KEY, value),)),
                ProposerFault(chain=self.chain_id, lie_at=message.lie_at or 0),
            ]
        return []

    def source_for(self, game: GameView) -> ChainSource:
        if self.lie_at is not None and game.creator == self.me:
            return LyingSource(self.honest, self.lie_at)
        return self.honest

    def plays(self, game: GameView) -> bool:
        return game.creator == self.me or self.participates(game)

    def more_actions(self) -> list[Effect]:
        anchor = self.anchor
        if anchor is None:
            return []
        safe = self.follower.safe_head
        limit = min(safe, anchor.number + (1 << self.params.game.split_depth))
        targets = [n for n in range(anchor.number + 1, limit + 1) if n % self.interval == 0]
        if self.lie_at is not None and anchor.number < self.lie_at <= limit:
            targets.append(self.lie_at)
        effects: list[Effect] = []
        for number in sorted(set(targets)):
            lying = number == self.lie_at
            source = LyingSource(self.honest, number) if lying else self.honest
            output = source.output(number)
            if output is None or self._proposed(number, output):
                continue
            sent = self.send(
                f"propose:{number}:{output.root.hex()}",
                "createGame",
                self.chain_id,
                number,
                output.state_root,
                output.message_passer_root,
                output.block_hash,
                value=self.params.game.bond,
            )
            if sent:
                effects.extend(sent)
                effects.append(
                    ProposerOutput(
                        chain=self.chain_id,
                        number=number,
                        root=output.root.hex()[:16],
                        lie=lying,
                    )
                )
        return effects

    def _proposed(self, number: int, output: Output) -> bool:
        """A game for this output exists, or one of ours for this block is not lost."""
        for game in self.games.values():
            if game.l2_block_number != number:
                continue
            if game.root_claim == output.root:
                return True
            if game.creator == self.me and game.status != GameStatus.CHALLENGER_WINS:
                return True
        return False
