"""Refusals of the unified bridge: each a typed ``BridgeRefused`` naming what failed, raised
before the first write.

The names follow the AggLayer bridge's custom errors where one exists
(``InvalidGlobalIndex``, ``GlobalExitRootInvalid``, ``InvalidSmtProof``,
``AlreadyClaimed``, ``DestinationNetworkInvalid``) and the pessimistic proof's
``ProofError`` variants for the per-chain accounting (``BalanceUnderflowInBridgeExit``,
``CannotExitToSameNetwork``, ...); unlike theirs, each carries the values that failed.
"""

from interlace.primitives.errors import InputError


class BridgeRefused(InputError):
    """A bridge call, claim or certificate refused as a whole; nothing of it is written
    (input from outside: a user's claim, a chain's certificate)."""


class InvalidGlobalIndex(BridgeRefused):
    """A global index with a non-zero unused bit, or one naming no network."""


class GlobalExitRootInvalid(BridgeRefused):
    """``keccak256(mainnetExitRoot ‖ rollupExitRoot)`` is not a global exit root this chain
    recorded, or one of them is zero."""


class InvalidSmtProof(BridgeRefused):
    """A 32-sibling proof does not lead from the leaf (or local exit root) to its root."""


class AlreadyClaimed(BridgeRefused):
    """The exit's nullifier (source network, leaf index) is already set."""


class DestinationNetworkInvalid(BridgeRefused):
    """An exit to the chain it leaves, or a claim on a network other than its destination."""


class MalformedBridgeValue(BridgeRefused):
    """A field out of its Solidity range: an amount over 2^256 - 1, a network over 2^32 - 1,
    an address that is not 20 bytes."""


class AccountingRefused(BridgeRefused):
    """A certificate fails the per-chain accounting check (AggLayer's pessimistic proof)."""


class LocalExitRootMismatch(AccountingRefused):
    """The certificate's previous or new local exit root is not what the exits give."""


class BalanceUnderflow(AccountingRefused):
    """A chain's exits take more of a token than was bridged into it."""


class BalanceOverflow(AccountingRefused):
    """A chain's balance of a token would pass 2^256 - 1."""


class InvalidBalancePath(AccountingRefused):
    """A balance proof does not lead to the chain's balance root, or a token is proven twice."""


class MissingBalanceProof(AccountingRefused):
    """A token moves in the certificate without a proof of its balance."""


class InvalidNullifierPath(AccountingRefused):
    """A nullifier proof does not show the imported exit unclaimed under the nullifier root."""


class ImportedExitInvalid(AccountingRefused):
    """An imported exit does not prove against a global exit root L1 knows, or names
    another destination."""


class InvalidTokenInfo(AccountingRefused):
    """An exit names ETH (the zero token address) with an origin other than L1, or a message
    exit names an origin network other than its own."""
