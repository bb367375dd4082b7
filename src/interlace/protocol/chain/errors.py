"""Typed errors of the chain engine: why a transaction or a block is refused.

``InvalidTransaction`` and its subclasses are raised before a transaction
touches state (the mempool and block validation use the same checks);
``InvalidBlock`` and its subclasses when a block's commitments do not match
what re-execution produces. ``ModuleRevert`` is not an error of the chain:
it is a module call that failed, which still produces a receipt with status 0.
"""

from interlace.primitives.errors import InputError


class InvalidTransaction(InputError):
    """A transaction cannot be included in a block."""


class WrongChainTransaction(InvalidTransaction):
    """The transaction is signed for another chain."""


class NonceTooLow(InvalidTransaction):
    """The nonce was already used (a replay or a double spend)."""


class NonceTooHigh(InvalidTransaction):
    """The nonce leaves a gap after the sender's current nonce."""


class InsufficientFunds(InvalidTransaction):
    """The sender cannot pay value plus the maximum fee."""


class IntrinsicGasTooLow(InvalidTransaction):
    """The gas limit is below the transaction's intrinsic gas."""


class GasLimitExceeded(InvalidTransaction):
    """The transaction does not fit in the block's remaining gas."""


class FeeTooLow(InvalidTransaction):
    """The fee cap is below the block's base fee, or the tip exceeds the cap."""


class UnsupportedTransaction(InvalidTransaction):
    """A transaction kind this chain does not run (contract creation, user deposits)."""


class DuplicateTransaction(InvalidTransaction):
    """The same transaction hash is already pending or included."""


class InvalidBlock(InputError):
    """A block does not follow the rules or its commitments are wrong."""


class ModuleRevert(InputError):
    """A native module call reverted; the call's state changes are undone."""


class OutOfGas(ModuleRevert):
    """A module call ran out of gas."""
