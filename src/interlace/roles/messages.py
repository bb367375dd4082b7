"""Messages that roles exchange (gossip topics and point-to-point).

In the simulator they travel by reference; the live runtime serialises
them. Every field is immutable.
"""

from dataclasses import dataclass

from interlace.primitives.receipt import Receipt
from interlace.protocol.chain.block import Block
from interlace.protocol.l1.view import L1View
from interlace.roles.base import Message

L1_BLOCKS_TOPIC = "l1/blocks"


def rollup_blocks_topic(chain_id: int) -> str:
    """Gossip topic of a rollup's signed block envelopes."""
    return f"blocks/{chain_id}"


@dataclass(frozen=True, slots=True)
class L1BlockPublished(Message):
    """The L1 node's new head (or a new head after a reorg), with its receipts."""

    block: Block
    """The new head block."""
    receipts: tuple[Receipt, ...]
    """Its receipts (derivation reads deposits and batches from them)."""
    safe_number: int
    """Highest block the L1 considers safe."""
    finalized_number: int
    """Highest finalized block; never moves back."""
    reorged_from: int | None = None
    """If set, blocks from this number on replace the ones announced before."""


def follow_l1(view: L1View, message: L1BlockPublished) -> int | None:
    """Apply an L1 announcement to a node's view; the first replaced number on a reorg."""
    return view.apply(
        message.block,
        message.receipts,
        message.safe_number,
        message.finalized_number,
        message.reorged_from,
    )


@dataclass(frozen=True, slots=True)
class SubmitL1Transaction(Message):
    """Ask the L1 node to include a signed transaction."""

    raw: bytes
    """The transaction in its network encoding."""


@dataclass(frozen=True, slots=True)
class SubmitTransaction(Message):
    """A user transaction for a rollup sequencer (the simulator's RPC)."""

    raw: bytes
    """The transaction in its network encoding."""


@dataclass(frozen=True, slots=True)
class TransactionAccepted(Message):
    """The sequencer durably accepted a transaction (the RPC's returned hash)."""

    tx_hash: bytes
    """Hash of the accepted transaction."""


@dataclass(frozen=True, slots=True)
class TransactionRejected(Message):
    """The sequencer refused a transaction, with the typed error's name and text."""

    tx_hash: bytes
    """Hash of the refused transaction (empty if it did not decode)."""
    error: str
    """Error class name."""
    reason: str
    """Human-readable reason."""


@dataclass(frozen=True, slots=True)
class BlockGossip(Message):
    """A sequencer's signed block envelope (OP ``blocks/v3`` bytes)."""

    chain_id: int
    """The rollup the envelope claims to belong to."""
    envelope: bytes
    """signature ‖ parentBeaconBlockRoot ‖ SSZ(ExecutionPayload)."""


@dataclass(frozen=True, slots=True)
class InjectReorg(Message):
    """Fault control: make the L1 node replace its last ``depth`` blocks."""

    depth: int
    """How many blocks to replace."""
    drop_transactions: bool = False
    """If True the replaced blocks' transactions are lost (the winning fork never saw
    them and the mempool forgot them); otherwise they return to the mempool, as geth does."""


@dataclass(frozen=True, slots=True)
class SetByzantine(Message):
    """Fault control: switch a sequencer's equivocation on or off."""

    equivocate: bool
    """When on, the sequencer signs two different blocks per height."""
    delay_blocks: int = 0
    """Gossip the second block this many blocks later (after others consumed the first)."""
    bad_state_root: bool = False
    """Instead: sign the next block with a wrong state root (an invalid block whose content
    is fine, so it is batched and derivable; only execution shows it wrong)."""


@dataclass(frozen=True, slots=True)
class SetOutage(Message):
    """Fault control: pause or resume a batcher."""

    paused: bool
    """True to stop posting batches."""


@dataclass(frozen=True, slots=True)
class L1SyncRequest(Message):
    """Ask the L1 node to re-send its canonical blocks from ``from_number`` on."""

    from_number: int
    """First block wanted."""


@dataclass(frozen=True, slots=True)
class BlocksResponse(Message):
    """A sequencer's answer to ``BlocksRequest``: its own canonical chain, in order."""

    chain_id: int
    """The rollup."""
    envelopes: tuple[bytes, ...]
    """Signed envelopes of consecutive blocks from the requested number on."""


@dataclass(frozen=True, slots=True)
class BlocksRequest(Message):
    """Ask a sequencer for its signed envelopes from ``from_number`` on."""

    from_number: int
    """First block wanted."""
    limit: int = 256
    """At most this many."""


HUB_BLOCKS_TOPIC = "hub/blocks"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One rollup block's new status in a hub block."""

    chain_id: int
    """The rollup."""
    number: int
    """Block height."""
    block_hash: bytes
    """The block the status is about."""
    level: int
    """Own safety level (``SafetyLevel``)."""
    cross_level: int
    """Cross level (``SafetyLevel``)."""


@dataclass(frozen=True, slots=True)
class HubBlockPublished(Message):
    """A signed hub block and the status changes it commits to."""

    signed_block: bytes
    """``RLP[hubHeaderRLP, signature]`` (what rollups' hub clients store)."""
    changes: tuple[StatusChange, ...]
    """Every status change the block's state root includes."""
    frozen: tuple[int, ...] = ()
    """Chains whose client the hub froze after equivocation."""


@dataclass(frozen=True, slots=True)
class HubSyncRequest(Message):
    """Ask the hub to re-send its blocks, with their changes, from ``from_number`` on."""

    from_number: int
    """First hub block wanted."""


@dataclass(frozen=True, slots=True)
class HubProofRequest(Message):
    """Ask the hub for a state proof of one rollup block."""

    chain_id: int
    """The rollup."""
    number: int
    """Block height."""
    request_id: int = 0
    """Echoed in the response."""


@dataclass(frozen=True, slots=True)
class HubProofResponse(Message):
    """The hub's answer: the latest signed hub block and the state proof against it."""

    request_id: int
    """From the request."""
    chain_id: int
    """The rollup."""
    number: int
    """Block height."""
    signed_block: bytes
    """The hub block the proof is against."""
    proof: tuple[bytes, ...]
    """EIP-1186-style MPT proof of ``state_key(chain_id, number)``."""


@dataclass(frozen=True, slots=True)
class ReceiptsRequest(Message):
    """Ask a sequencer for one block's receipts (a relayer building a proof)."""

    number: int
    """Block height."""
    request_id: int = 0
    """Echoed in the response."""


@dataclass(frozen=True, slots=True)
class ReceiptsResponse(Message):
    """A sequencer's block with its receipts and its signature of the header."""

    request_id: int
    """From the request."""
    chain_id: int
    """The rollup."""
    number: int
    """Block height."""
    block_hash: bytes
    """Hash of the block the receipts belong to."""
    header_rlp: bytes
    """The block's header."""
    transactions: tuple[bytes, ...]
    """The block's transactions."""
    receipts: tuple[bytes, ...]
    """Encoded receipts."""
    header_signature: bytes
    """The sequencer's ``sign_block_header`` of ``block_hash`` (for peer-to-peer proofs)."""


@dataclass(frozen=True, slots=True)
class NonceQuery(Message):
    """``eth_getTransactionCount``: the next nonce of an account at the sequencer's head."""

    address: bytes
    """The account."""


@dataclass(frozen=True, slots=True)
class NonceAnswer(Message):
    """The sequencer's answer to ``NonceQuery``."""

    chain_id: int
    """The rollup."""
    address: bytes
    """The account."""
    nonce: int
    """Its nonce at the head (transactions already included)."""
