"""The dispute game players' observations (the proposer and the challenger share them)."""

from dataclasses import dataclass
from typing import ClassVar

from interlace.primitives.record import Record

__all__ = ["GameCreated", "GameMove", "GameResolved", "GameStep", "GameStepUnavailable"]


@dataclass(frozen=True, slots=True)
class GameCreated(Record):
    """A dispute game was created (reported by each player that plays it)."""

    kind: ClassVar[str] = "game.created"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player (``proposer``, ``challenger``)."""
    mine: bool
    """Whether the reporting player made this move."""


@dataclass(frozen=True, slots=True)
class GameMove(Record):
    """A claim was added to a dispute game."""

    kind: ClassVar[str] = "game.move"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player."""
    mine: bool
    """Whether the reporting player made this move."""
    claim: int
    """The new claim's index."""
    parent: int
    """The claim it answers."""
    depth: int
    """Its depth."""


@dataclass(frozen=True, slots=True)
class GameStep(Record):
    """A leaf claim was countered by a one-step proof."""

    kind: ClassVar[str] = "game.step"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player."""
    mine: bool
    """Whether the reporting player made this move."""
    claim: int
    """The countered claim."""
    attack: bool
    """Whether the step attacked it."""


@dataclass(frozen=True, slots=True)
class GameResolved(Record):
    """A dispute game was resolved."""

    kind: ClassVar[str] = "game.resolved"
    chain: int
    """The rollup."""
    number: int
    """The L2 block of the disputed output."""
    game: int
    """The game id."""
    role: str
    """The reporting player."""
    mine: bool
    """Whether the reporting player resolved it."""
    status: str
    """The outcome's name (``DEFENDER_WINS``, ``CHALLENGER_WINS``)."""


@dataclass(frozen=True, slots=True)
class GameStepUnavailable(Record):
    """A player could not build the one-step proof a claim needs."""

    kind: ClassVar[str] = "game.step_unavailable"
    chain: int
    """The rollup."""
    game: int
    """The game id."""
    claim: int
    """The claim."""
