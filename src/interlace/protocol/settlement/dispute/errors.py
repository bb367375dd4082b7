"""Refusals of the dispute game module: each a typed ``DisputeRefused``, raised before the
first write."""

from interlace.primitives.errors import InputError

# --- errors ----------------------------------------------------------------------------------


class DisputeRefused(InputError):
    """A game call refused as a whole; nothing of it is written."""


class NotConfigured(DisputeRefused):
    """``configure_games`` never ran on this L1."""


class UnknownGameChain(DisputeRefused):
    """The chain has no anchor (no genesis output configured)."""


class GameBelowAnchor(DisputeRefused):
    """The proposed block is at or below the chain's anchor."""


class RangeTooLong(DisputeRefused):
    """The disputed range (anchor, N] has more than 2^split_depth blocks."""


class WrongBond(DisputeRefused):
    """The call's value is not the required bond (or a step/resolve carries value)."""


class GameExists(DisputeRefused):
    """A game with the same chain, block number and root claim already exists."""


class UnknownGame(DisputeRefused):
    """No game has this id."""


class GameNotInProgress(DisputeRefused):
    """The game already resolved."""


class UnknownClaim(DisputeRefused):
    """No claim of this game has this index."""


class CannotDefend(DisputeRefused):
    """Defending the root claim, or an execution subgame's root, is not a move."""


class MaxDepthReached(DisputeRefused):
    """The claim is at the maximum depth: counter it with ``step``."""


class OutOfTurn(DisputeRefused):
    """The sender plays the side of the claim it tries to counter."""


class ClockExpired(DisputeRefused):
    """The moving side's chess clock on this path has run out."""


class UnexpectedExecRoot(DisputeRefused):
    """An execution subgame's root claim contradicts the output move it makes."""


class ClaimExists(DisputeRefused):
    """The same claim at the same position under the same parent already exists."""


class NotALeaf(DisputeRefused):
    """``step`` against a claim above the maximum depth."""


class AlreadyCountered(DisputeRefused):
    """A step already countered this claim."""


class ValidStep(DisputeRefused):
    """The one-step proof does not counter the claim (the re-execution agrees with it)."""


class ClockNotExpired(DisputeRefused):
    """Some claim can still be countered: the game cannot resolve yet."""


class BadTraceAncestor(DisputeRefused):
    """The claims the move or step needs are missing from its path (a malformed tree)."""
