"""Messages of the settlement roles (proposer, challenger) that other roles do not use."""

from dataclasses import dataclass

from interlace.roles.base import Message


@dataclass(frozen=True, slots=True)
class SetProposerFault(Message):
    """Fault control: make a proposer lie about one block's output, or stop lying.

    With ``lie_at`` set, the proposer proposes block ``lie_at`` (even if it
    is not on its interval) with a wrong state root, and plays that game
    with the matching dishonest trace: the intermediate state roots of the
    block are honest, its final output is not, so the game ends in a
    one-step proof of the block's last transition.
    """

    lie_at: int | None
    """The block to lie about; None to turn the fault off."""
