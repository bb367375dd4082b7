"""Typed values the SDK returns (frozen dataclasses built from JSON-RPC answers)."""

from dataclasses import dataclass, field
from typing import Any

from interlace.primitives.types import Address, Hash32
from interlace.protocol.hub.state import SafetyLevel


def hex_bytes(text: object) -> bytes:
    """Bytes of a 0x-prefixed hex string from a node's answer."""
    if not isinstance(text, str) or not text.startswith("0x"):
        msg = f"expected 0x-prefixed hex, got {text!r:.60}"
        raise ValueError(msg)
    return bytes.fromhex(text[2:])


def hex_int(text: object) -> int:
    """An integer from a hex quantity (or a JSON integer)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if not isinstance(text, str) or not text.startswith("0x"):
        msg = f"expected a hex quantity, got {text!r:.60}"
        raise ValueError(msg)
    return int(text, 16)


def level_of(name: str | None) -> SafetyLevel:
    """``SafetyLevel`` from its lower-case RPC name."""
    if name is None:
        return SafetyLevel.UNKNOWN
    try:
        return SafetyLevel[name.upper()]
    except KeyError:
        return SafetyLevel.UNKNOWN


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A log as a receipt shows it."""

    address: Address
    topics: tuple[Hash32, ...]
    data: bytes
    log_index: int
    """Block-global index."""
    transaction_index: int


@dataclass(frozen=True, slots=True)
class TxReceipt:
    """A mined transaction's receipt."""

    chain_id: int
    tx_hash: Hash32
    block_number: int
    block_hash: Hash32
    transaction_index: int
    status: int
    gas_used: int
    effective_gas_price: int
    logs: tuple[LogEntry, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)
    """The receipt JSON as the node sent it."""

    @property
    def success(self) -> bool:
        """True for status 1."""
        return self.status == 1


@dataclass(frozen=True, slots=True)
class ChainSafety:
    """One chain in the hub's status."""

    chain_id: int
    head: int
    """Highest block the hub accepted."""
    preconfirmed: int
    """Highest block whose cross level is at least pre-confirmed (0: none)."""
    safe: int
    confirmed: int
    finalized: int
    frozen: bool
    """The hub froze the chain after equivocation."""
    evidence: int
    """Pieces of equivocation evidence held."""
    invalid_blocks: int


@dataclass(frozen=True, slots=True)
class HubStatus:
    """``interlace_status``."""

    hub_number: int
    hub_hash: Hash32 | None
    l1_processed: int
    l1_head: int
    l1_safe: int
    l1_finalized: int
    chains: tuple[ChainSafety, ...]
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class BlockSafety:
    """``interlace_blockSafety``: the hub's view of one rollup block."""

    chain_id: int
    number: int
    block_hash: Hash32
    level: SafetyLevel
    cross_level: SafetyLevel
    frozen: bool
    l1_origin_number: int
    l1_origin_hash: Hash32
    hub_number: int
    raw: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A ``SentMessage`` log: everything needed to prove and relay it."""

    source_chain: int
    destination: int
    target: Address
    sender: Address
    nonce: int
    """The source messenger's per-chain message nonce."""
    message: bytes
    """The application payload."""
    sent_message: bytes
    """OP's ``sentMessage``: the log's topics ‖ data (what ``relayMessage`` takes)."""
    message_hash: Hash32
    """keccak256(sentMessage)."""
    relay_key: Hash32
    """keccak256(uint256(source) ‖ messageHash): the replay-protection key."""
    tx_hash: Hash32
    block_number: int
    block_hash: Hash32
    block_timestamp: int
    receipt_index: int
    log_position: int
    """Index of the log in its receipt."""
    log_index: int
    """Block-global log index (the identifier's ``logIndex``)."""


@dataclass(frozen=True, slots=True)
class MessageStatus:
    """Where a message stands, gathered from the source node, the hub, the relayer and the
    destination (docs/sdk.md explains each stage)."""

    message: SentMessage
    stage: str
    """``reorged``, ``sent``, ``preconfirmed``, ``safe``, ``confirmed``, ``finalized``,
    ``invalid``, ``relayed`` or ``executed``."""
    on_source: bool
    """The sending transaction is still in the source chain, in the same block."""
    level: SafetyLevel
    """The hub's own level of the source block (UNKNOWN if it holds another block there)."""
    cross_level: SafetyLevel
    """The hub's cross level of the source block."""
    relayer_state: str | None
    """The relayer's state (``waiting``, ``proving``, ``submitted``, ``done``, ``dropped``), or
    None if it does not know the message or cannot be reached."""
    relay_tx: Hash32 | None
    """The relayer's relay transaction, if any."""
    executed: bool
    """The destination messenger records the message as relayed."""
