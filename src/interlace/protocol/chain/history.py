"""Historical block hashes in state (EIP-2935), which L1 modules read.

Before a block's transactions run, the hash of its parent is written to the
storage of the history contract at ``HISTORY_STORAGE_ADDRESS``, slot
``(number − 1) mod HISTORY_SERVE_WINDOW`` (a ring buffer of 8,191 words), as
the system call of EIP-2935 does on Ethereum since Prague. A module that must
know whether an L1 block is an ancestor of the block it runs in (the
``ValidityVerifier`` checking a proven rollup block's L1Origin) reads it there:
state is per fork, so the answer is always that of the fork being executed.

Only the storage layout is EIP-2935's: there is no EVM here, so the contract
has no code and no ``get`` entry point; its account holds nonce 1 (as the
EIP's deployment leaves it) so that it is never an empty account. A chain
keeps this history when its ``ChainConfig.block_hash_history`` is set (L1).
"""

from typing import Final

from interlace.primitives.types import U64, Hash32, address_from_hex
from interlace.protocol.chain.state import Account, WorldState

HISTORY_STORAGE_ADDRESS: Final = address_from_hex("0x0000F90827F1C53a10cb7A02335B175320002935")
HISTORY_SERVE_WINDOW: Final = 8191
"""Blocks of history kept: a block can read the hashes of the 8,191 blocks before it."""


def install_history(state: WorldState) -> None:
    """Give the history contract its account at genesis (nonce 1, as deployed)."""
    account = state.get_account(HISTORY_STORAGE_ADDRESS)
    if account.nonce == 0:
        state.set_account(
            HISTORY_STORAGE_ADDRESS,
            Account(U64(1), account.balance, account.storage_root, account.code_hash),
        )


def _slot(number: int) -> bytes:
    return (number % HISTORY_SERVE_WINDOW).to_bytes(32, "big")


def store_parent_hash(state: WorldState, number: int, parent_hash: Hash32) -> None:
    """The system write before block ``number``'s transactions: its parent's hash."""
    if number >= 1:
        state.set_storage(HISTORY_STORAGE_ADDRESS, _slot(number - 1), int.from_bytes(parent_hash))


def read_block_hash(state: WorldState, number: int, current: int) -> Hash32 | None:
    """The hash of block ``number`` as seen from block ``current``, or None outside the
    window (``number`` ≥ ``current``, or more than 8,191 blocks back)."""
    if not current - HISTORY_SERVE_WINDOW <= number < current:
        return None
    word = state.get_storage(HISTORY_STORAGE_ADDRESS, _slot(number))
    return Hash32(word.to_bytes(32, "big")) if word else None
