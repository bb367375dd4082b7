"""Output roots: the OP Stack commitment to one L2 block that proposers post on L1.

An output root (OP output version 0) is::

    keccak256(bytes32(0) ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash)

OP takes the message-passer root from the ``L2ToL1MessagePasser`` predeploy
(0x4200…0016). Interlace has no such contract: its outgoing messages are
recorded by the messenger predeploy (``MESSENGER_ADDRESS``, 0x4200…0023), so
the message-passer root here is the storage root of the messenger's account
in the block's post-state. A withdrawal or message proof against an output
then goes output root → messenger storage root → slot, as on OP.
"""

from dataclasses import dataclass
from typing import Final

from interlace.primitives.hashing import keccak256
from interlace.primitives.types import U64, ZERO_HASH, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.chain.state import WorldState
from interlace.protocol.interop.messenger import MESSENGER_ADDRESS

__all__ = [
    "MESSAGE_PASSER_ADDRESS",
    "OUTPUT_VERSION_V0",
    "Output",
    "compute_output",
    "message_passer_root",
    "output_root",
]

OUTPUT_VERSION_V0: Final = ZERO_HASH
"""The version word of OP's output root format 0."""
MESSAGE_PASSER_ADDRESS: Final = MESSENGER_ADDRESS
"""The account whose storage root an output commits to (Interlace's messenger predeploy)."""


def output_root(state_root: Hash32, message_passer_root: Hash32, block_hash: Hash32) -> Hash32:
    """OP output root v0 of a block: keccak256(bytes32(0) ‖ stateRoot ‖ mpRoot ‖ blockHash)."""
    for value, what in (
        (state_root, "state root"),
        (message_passer_root, "message-passer root"),
        (block_hash, "block hash"),
    ):
        if not isinstance(value, bytes) or len(value) != 32:
            raise ValueError(f"{what} is not 32 bytes")
    return keccak256(OUTPUT_VERSION_V0 + state_root + message_passer_root + block_hash)


@dataclass(frozen=True, slots=True)
class Output:
    """One L2 block's output: the preimage of its output root, and its number."""

    number: U64
    """The L2 block number."""
    state_root: Hash32
    """The block's post-state root (its header's ``stateRoot``)."""
    message_passer_root: Hash32
    """Storage root of the messenger predeploy in that state."""
    block_hash: Hash32
    """The block's hash."""

    @property
    def root(self) -> Hash32:
        """The output root committing to this output."""
        return output_root(self.state_root, self.message_passer_root, self.block_hash)


def message_passer_root(state: WorldState) -> Hash32:
    """The messenger predeploy's storage root in ``state`` (flushing pending writes)."""
    state.state_root()
    return state.get_account(MESSAGE_PASSER_ADDRESS).storage_root


def compute_output(state: WorldState, block: Block) -> Output:
    """The output of ``block`` whose post-state is ``state``; the state must match the header."""
    root = state.state_root()
    if root != block.header.state_root:
        raise ValueError(f"state root 0x{root.hex()} is not block {block.number}'s post-state")
    return Output(U64(block.number), root, message_passer_root(state), block.hash)
