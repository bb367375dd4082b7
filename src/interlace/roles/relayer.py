"""The relayer role: finds cross-rollup messages and relays them with proofs.

It follows every rollup's gossip; a block that calls the messenger's
``sendMessage`` makes it fetch that block's receipts from the source
sequencer, and every ``SentMessage`` log becomes a pending message for its
destination. When the destination's trust mode allows (peer-to-peer: at
once, with the signed header; pre-confirmed/confirmed/finalized: once the
hub's status of the source block has reached that cross level), it asks
the hub for a state proof, builds the event proof and submits
``relayMessage`` to the destination sequencer. A source block the hub marks
INVALID is never relayed.

It watches destination blocks for its own transactions: a relay that does
not appear within ``retry_after`` seconds, or that reverted, is sent again
with a fresh proof (or, when its source became invalid, its nonce is filled
with a zero-value self-transfer so later relays are not stuck behind the
gap). Relaying can be switched off per scenario.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from interlace.primitives.envelope import recover_header_signer, verify_envelope
from interlace.primitives.errors import InterlaceError, MisuseError
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import BlockHeader, decode_header, header_hash
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import (
    Receipt,
    decode_receipt,
    receipts_root,
    transactions_root,
)
from interlace.primitives.tx import (
    decode_transaction,
    sign_dynamic_fee,
)
from interlace.primitives.types import ChainId, Hash32
from interlace.protocol.hub.state import SafetyLevel, decode_signed_hub_block
from interlace.protocol.interop.messenger import (
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    REQUIRED_LEVEL,
    TrustMode,
    message_payload,
    relay_key,
)
from interlace.protocol.interop.proof import (
    BlockIndex,
    build_hub_event_proof,
    build_peer_event_proof,
    index_block,
)
from interlace.roles.base import (
    Effect,
    Event,
    NodeId,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.roles.hub_sync import HubFollower
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    BlockGossip,
    HubBlockPublished,
    HubProofRequest,
    HubProofResponse,
    NonceAnswer,
    NonceQuery,
    ReceiptsRequest,
    ReceiptsResponse,
    SubmitTransaction,
    TransactionAccepted,
    TransactionRejected,
    rollup_blocks_topic,
)
from interlace.roles.names import HUB_NODE
from interlace.roles.records import (
    RelayerBadReceipts,
    RelayerCancel,
    RelayerDelivered,
    RelayerDropped,
    RelayerMessageSeen,
    RelayerRelay,
    RelayerUndone,
)

RELAY_GAS: Final = 2_000_000
FORGET_AFTER: Final = 120.0
"""Seconds a delivered or dropped message is remembered (to re-relay after a rollback)."""
MAX_FEE: Final = 10**11
SEND_SELECTOR: Final = MESSENGER_ABI.function("sendMessage").selector
RELAY_SELECTOR: Final = MESSENGER_ABI.function("relayMessage").selector


@dataclass(frozen=True, slots=True)
class RelayerParams:
    """Static configuration of the relayer."""

    key: PrivateKey
    """Pays for relays on every rollup."""
    chains: tuple[tuple[ChainId, NodeId, TrustMode], ...]
    """(chain id, sequencer node, trust mode) of every rollup."""
    hub_node: NodeId = HUB_NODE
    """Where to ask for hub state proofs."""
    retry_after: float = 4.0
    """Seconds before a relay that did not land is sent again."""
    enabled: bool = True
    """When False the relayer only watches."""


@dataclass(slots=True)
class SourceBlock:
    """What a proof of one source block needs, fetched once."""

    chain_id: int
    number: int
    block_hash: Hash32
    header: BlockHeader
    """The signed header, decoded once when the receipts arrive."""
    transactions: tuple[bytes, ...]
    receipts: tuple[Receipt, ...]
    header_signature: bytes
    index: BlockIndex


class RelayState(Enum):
    """Where one message is on its way to its destination."""

    WAITING = "waiting"
    """Not sent: waiting for its source to reach the destination's trust level, or to be
    sent again."""
    PROVING = "proving"
    """Asked the hub for the state proof the event proof needs."""
    SUBMITTED = "submitted"
    """The relay transaction went to the destination's sequencer."""
    DONE = "done"
    """Executed on the destination."""
    DROPPED = "dropped"
    """Never to be relayed: the destination opted out, or the source block is invalid."""


RELAY_TRANSITIONS: Final[Mapping[RelayState, frozenset[RelayState]]] = {
    # Sent at once in peer mode (the proof needs no hub state), else after a hub proof.
    RelayState.WAITING: frozenset(
        {RelayState.PROVING, RelayState.SUBMITTED, RelayState.DONE, RelayState.DROPPED}
    ),
    RelayState.PROVING: frozenset(
        {RelayState.WAITING, RelayState.SUBMITTED, RelayState.DONE, RelayState.DROPPED}
    ),
    # Sent again (the same nonce, or a fresh one if that nonce was used up), executed, or
    # cancelled once its source turned invalid.
    RelayState.SUBMITTED: frozenset({RelayState.WAITING, RelayState.DONE, RelayState.DROPPED}),
    # The destination block that executed it was replaced: relay it again.
    RelayState.DONE: frozenset({RelayState.WAITING}),
    # Its source block was rebuilt (relay the new one), or a relay sent earlier executed.
    RelayState.DROPPED: frozenset({RelayState.WAITING, RelayState.DONE}),
}
"""Every move a message's state may make; staying put is always allowed."""

SETTLED: Final = frozenset({RelayState.DONE, RelayState.DROPPED})
"""States a message rests in (forgotten after ``FORGET_AFTER``); leaving one reopens it."""


class BadRelayTransition(MisuseError):
    """A bug: a relay state moved where ``RELAY_TRANSITIONS`` does not allow."""


@dataclass(slots=True)
class PendingMessage:
    """A ``SentMessage`` on its way."""

    message_hash: Hash32
    """The relay key: keccak(source chain ‖ message hash), unique across sources."""
    source: SourceBlock
    receipt_index: int
    log_position: int
    log_index: int
    destination: int
    sent_message: bytes
    state: RelayState = RelayState.WAITING
    tx_hash: bytes = b""
    nonce: int | None = None
    """The destination nonce its relay transaction holds (None: not sent, or a fresh
    attempt is due)."""
    submitted_at: float = 0.0
    attempts: int = 0
    settled_at: float | None = None
    """When it was first seen done or dropped (None while open); old settled ones are
    forgotten."""

    def move(self, to: RelayState) -> None:
        """Change state as ``RELAY_TRANSITIONS`` allows; leaving done or dropped reopens it."""
        if to is self.state:
            return
        if to not in RELAY_TRANSITIONS[self.state]:
            raise BadRelayTransition(f"relay {self.state.value} → {to.value} is not allowed")
        self.state = to
        if to not in SETTLED:
            self.settled_at = None


@dataclass(slots=True)
class DestinationAccount:
    """The relayer's account on one destination chain."""

    next_nonce: int = 0
    acked: set[int] = field(default_factory=set)
    included: set[int] = field(default_factory=set)
    asked_at: float = -1e9


class Relayer(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: RelayerParams, store: StoreView) -> None:
        del store  # everything is re-learned from gossip
        self.node_id = node_id
        self.params = params
        self.sequencers: dict[int, NodeId] = {chain: node for chain, node, _ in params.chains}
        self.modes: dict[int, TrustMode] = {chain: mode for chain, _, mode in params.chains}
        self.fetching: set[tuple[int, int, bytes]] = set()
        self.messages: dict[Hash32, PendingMessage] = {}
        self.status: dict[tuple[int, int], tuple[bytes, int, int]] = {}
        self.frozen: set[int] = set()
        self.hub = HubFollower()
        self.accounts: dict[int, DestinationAccount] = {c: DestinationAccount() for c in self.modes}
        self.by_tx: dict[bytes, Hash32] = {}
        self.delivered = 0
        self._request_id = 0
        self._proof_waits: dict[int, Hash32] = {}
        self.fetched_destination: set[tuple[int, int, bytes]] = set()
        self.executed_at: dict[tuple[int, int], tuple[bytes, list[Hash32]]] = {}
        """(destination, number) → (block hash, message keys) of the relays it executed."""

    def subscriptions(self) -> tuple[str, ...]:
        return (HUB_BLOCKS_TOPIC, *(rollup_blocks_topic(c) for c in self.modes))

    def loops(self) -> tuple[str, ...]:
        return ("retry",)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [SetTimer("retry", Timestamp(now + 1.0))]
        if isinstance(event, TimerFired):
            return [*self._retry(now), SetTimer("retry", Timestamp(now + 1.0))]
        message = event.message
        if isinstance(message, BlockGossip):
            return self._on_block(message, now)
        if isinstance(message, ReceiptsResponse):
            return self._on_receipts(message, now)
        if isinstance(message, HubBlockPublished):
            steps = self.hub.accept(event.sender, message, now)
            effects = list(steps.effects)
            for block in steps.ready:
                effects.extend(self._on_hub(block, now))
            return effects
        if isinstance(message, HubProofResponse):
            return self._on_hub_proof(message, now)
        if isinstance(message, TransactionAccepted | TransactionRejected):
            return self._on_ack(message, now)
        if isinstance(message, NonceAnswer):
            return self._fill_gap(message, now)
        return []

    # ---- discovery ------------------------------------------------------------------

    def _on_block(self, message: BlockGossip, now: Timestamp) -> list[Effect]:
        try:
            payload = verify_envelope(message.envelope, message.chain_id).payload
        except InterlaceError:
            return []
        effects: list[Effect] = []
        sends = any(raw[:1] != b"\x7e" and SEND_SELECTOR in raw for raw in payload.transactions)
        key = (message.chain_id, payload.block_number, payload.block_hash)
        if sends and key not in self.fetching and message.chain_id in self.sequencers:
            self.fetching.add(key)
            self._request_id += 1
            effects.append(
                SendMessage(
                    self.sequencers[message.chain_id],
                    ReceiptsRequest(payload.block_number, self._request_id),
                )
            )
        effects.extend(self._replaced(message.chain_id, payload.block_number, payload.block_hash))
        effects.extend(
            self._watch_destination(
                message.chain_id, payload.block_number, payload.block_hash, payload.transactions
            )
        )
        return effects

    def _on_receipts(self, message: ReceiptsResponse, now: Timestamp) -> list[Effect]:
        if message.chain_id not in self.modes:
            return []
        try:
            receipts = tuple(decode_receipt(r) for r in message.receipts)
            header = decode_header(message.header_rlp)
            signed_hash = header_hash(header)
            recover_header_signer(message.chain_id, signed_hash, message.header_signature)
        except InterlaceError:
            return []
        # A sequencer's answer is checked before it is believed: the receipts and
        # transactions must be the header's, the header the signed one.
        if (
            signed_hash != message.block_hash
            or receipts_root(receipts) != header.receipts_root
            or transactions_root(list(message.transactions)) != header.transactions_root
        ):
            return [RelayerBadReceipts(chain=message.chain_id, number=message.number)]
        source = SourceBlock(
            message.chain_id,
            message.number,
            Hash32(message.block_hash),
            header,
            message.transactions,
            receipts,
            message.header_signature,
            index_block(receipts, message.transactions),
        )
        effects: list[Effect] = []
        sent = MESSENGER_ABI.event("SentMessage")
        relayed = MESSENGER_ABI.event("RelayedMessage")
        log_index = 0
        for receipt_index, receipt in enumerate(receipts):
            for position, log in enumerate(receipt.logs):
                if len(log.topics) != 4 or log.address != MESSENGER_ADDRESS:
                    log_index += 1
                    continue
                if log.topics[0] == relayed.topic0:
                    key = relay_key(int.from_bytes(log.topics[1], "big"), log.topics[3])
                    effects.extend(self._on_relayed(key, message, now))
                if log.topics[0] == sent.topic0:
                    payload = message_payload(log.topics, log.data)
                    message_hash = relay_key(message.chain_id, keccak256(payload))
                    destination = int.from_bytes(log.topics[1], "big")
                    known = self.messages.get(message_hash)
                    if known is None and destination in self.modes:
                        self.messages[message_hash] = PendingMessage(
                            message_hash,
                            source,
                            receipt_index,
                            position,
                            log_index,
                            destination,
                            payload,
                        )
                        effects.append(
                            RelayerMessageSeen(
                                source=message.chain_id,
                                number=message.number,
                                destination=destination,
                                message=message_hash.hex()[:16],
                            )
                        )
                    elif known is not None and known.source.block_hash != source.block_hash:
                        # The source chain rebuilt the block that sends it: relay the new one.
                        known.source = source
                        known.receipt_index, known.log_position = receipt_index, position
                        known.log_index = log_index
                        if known.state is RelayState.DROPPED:
                            known.move(RelayState.WAITING)
                            known.nonce = None
                log_index += 1
        effects.extend(self._advance(now))
        return effects

    # ---- hub ---------------------------------------------------------------------------

    def _on_hub(self, message: HubBlockPublished, now: Timestamp) -> list[Effect]:
        self.frozen = set(message.frozen)
        for change in message.changes:
            self.status[(change.chain_id, change.number)] = (
                change.block_hash,
                change.level,
                change.cross_level,
            )
        return self._advance(now)

    def _hub_cross_level(self, pending: PendingMessage) -> int | None:
        if pending.source.chain_id in self.frozen:
            return SafetyLevel.INVALID  # the hub froze the source chain
        held = self.status.get((pending.source.chain_id, pending.source.number))
        if held is None or held[0] != pending.source.block_hash:
            return None
        return held[2]

    def _advance(self, now: Timestamp) -> list[Effect]:
        if not self.params.enabled:
            return []
        effects: list[Effect] = []
        for pending in self.messages.values():
            if pending.state is not RelayState.WAITING:
                continue
            mode = self.modes[pending.destination]
            if mode is TrustMode.OPT_OUT:
                pending.move(RelayState.DROPPED)
                continue
            cross = self._hub_cross_level(pending)
            if cross == SafetyLevel.INVALID:
                pending.move(RelayState.DROPPED)
                effects.append(RelayerDropped(message=pending.message_hash.hex()[:16]))
                continue
            if mode is TrustMode.P2P:
                try:
                    proof = build_peer_event_proof(
                        chain_id=pending.source.chain_id,
                        source_header=pending.source.header,
                        header_signature=pending.source.header_signature,
                        receipts=pending.source.receipts,
                        transactions=pending.source.transactions,
                        receipt_index=pending.receipt_index,
                        log_position=pending.log_position,
                        index=pending.source.index,
                    )
                except (InterlaceError, ValueError):
                    pending.move(RelayState.DROPPED)  # nothing provable: never retried in a loop
                    continue
                effects.extend(self._submit(pending, proof, now))
                continue
            if cross is None or cross < REQUIRED_LEVEL[mode]:
                continue
            pending.move(RelayState.PROVING)
            pending.submitted_at = float(now)
            self._request_id += 1
            self._proof_waits[self._request_id] = pending.message_hash
            effects.append(
                SendMessage(
                    self.params.hub_node,
                    HubProofRequest(
                        pending.source.chain_id, pending.source.number, self._request_id
                    ),
                )
            )
        return effects

    def _on_hub_proof(self, message: HubProofResponse, now: Timestamp) -> list[Effect]:
        message_hash = self._proof_waits.pop(message.request_id, None)
        pending = self.messages.get(message_hash) if message_hash else None
        if pending is None or pending.state is not RelayState.PROVING:
            return []
        try:
            header, signature = decode_signed_hub_block(message.signed_block)
            proof = build_hub_event_proof(
                chain_id=pending.source.chain_id,
                hub_header=header,
                hub_signature=signature,
                hub_state_proof=list(message.proof),
                source_header=pending.source.header,
                receipts=pending.source.receipts,
                transactions=pending.source.transactions,
                receipt_index=pending.receipt_index,
                log_position=pending.log_position,
                index=pending.source.index,
            )
        except (InterlaceError, ValueError):
            pending.move(RelayState.WAITING)
            return []
        return self._submit(pending, proof, now)

    # ---- submission ------------------------------------------------------------------------

    def _submit(self, pending: PendingMessage, proof: bytes, now: Timestamp) -> list[Effect]:
        source = pending.source
        block_timestamp = source.header.timestamp
        identifier = (
            MESSENGER_ADDRESS,
            source.number,
            pending.log_index,
            block_timestamp,
            source.chain_id,
        )
        calldata = MESSENGER_ABI.function("relayMessage").encode_call(
            identifier, pending.sent_message, proof
        )
        account = self.accounts[pending.destination]
        nonce = account.next_nonce if pending.nonce is None else pending.nonce
        if pending.nonce is None:
            account.next_nonce += 1
        tx = sign_dynamic_fee(
            self.params.key,
            chain_id=pending.destination,
            nonce=nonce,
            to=MESSENGER_ADDRESS,
            gas_limit=RELAY_GAS + 16 * len(calldata),
            max_priority_fee_per_gas=1_000,
            max_fee_per_gas=MAX_FEE,
            data=calldata,
        )
        pending.move(RelayState.SUBMITTED)
        pending.nonce = nonce
        pending.tx_hash = tx.hash
        pending.submitted_at = float(now)
        pending.attempts += 1
        self.by_tx[tx.hash] = pending.message_hash
        return [
            SendMessage(self.sequencers[pending.destination], SubmitTransaction(tx.raw)),
            RelayerRelay(
                source=source.chain_id,
                destination=pending.destination,
                message=pending.message_hash.hex()[:16],
                attempt=pending.attempts,
            ),
        ]

    def _on_ack(
        self, message: TransactionAccepted | TransactionRejected, now: Timestamp
    ) -> list[Effect]:
        message_hash = self.by_tx.get(message.tx_hash)
        pending = self.messages.get(message_hash) if message_hash else None
        if pending is None:
            return []
        account = self.accounts[pending.destination]
        if isinstance(message, TransactionAccepted):
            if pending.nonce is not None:
                account.acked.add(pending.nonce)
            return []
        if message.error != "NonceTooHigh" or now - account.asked_at < 1.0:
            return []
        # A gap below this nonce (a relay the destination dropped in a rebuild, say):
        # ask where the account stands, then fill the gap.
        account.asked_at = float(now)
        return [
            SendMessage(self.sequencers[pending.destination], NonceQuery(self.params.key.address))
        ]

    def _fill_gap(self, answer: NonceAnswer, now: Timestamp) -> list[Effect]:
        """Re-send the message holding the account's next nonce, or cancel that nonce."""
        account = self.accounts.get(answer.chain_id)
        if account is None:
            return []
        account.next_nonce = max(account.next_nonce, answer.nonce)
        holder = next(
            (
                p
                for p in self.messages.values()
                if p.destination == answer.chain_id
                and p.nonce == answer.nonce
                and p.state in (RelayState.SUBMITTED, RelayState.PROVING, RelayState.WAITING)
            ),
            None,
        )
        if holder is not None and self._hub_cross_level(holder) != SafetyLevel.INVALID:
            holder.move(RelayState.WAITING)
            return self._advance(now)
        return self._cancel_nonce(answer.chain_id, answer.nonce)

    # ---- outcomes -------------------------------------------------------------------------

    def _replaced(self, chain_id: int, number: int, block_hash: bytes) -> list[Effect]:
        """A destination block that executed relays was replaced (rebuild or reorg):
        those messages are not executed any more, relay them again."""
        held = self.executed_at.get((chain_id, number))
        if held is None or held[0] == block_hash:
            return []
        del self.executed_at[(chain_id, number)]
        for key in held[1]:
            pending = self.messages.get(key)
            if pending is not None and pending.state is RelayState.DONE:
                pending.move(RelayState.WAITING)
                pending.nonce = None
                self.delivered -= 1
        return [RelayerUndone(destination=chain_id, number=number, messages=len(held[1]))]

    def _watch_destination(
        self, chain_id: int, number: int, block_hash: bytes, transactions: tuple[bytes, ...]
    ) -> list[Effect]:
        effects: list[Effect] = []
        mine = [raw for raw in transactions if raw[:1] != b"\x7e" and RELAY_SELECTOR in raw]
        if not mine or chain_id not in self.accounts:
            return effects
        ours = False
        for raw in mine:
            try:
                tx = decode_transaction(raw)
            except InterlaceError:
                continue
            if tx.sender == self.params.key.address:
                self.accounts[chain_id].included.add(tx.nonce)
                ours = True
        if ours and (chain_id, number, block_hash) not in self.fetched_destination:
            # Our relay landed: read the receipts to see whether it executed or reverted.
            self.fetched_destination.add((chain_id, number, block_hash))
            self._request_id += 1
            effects.append(
                SendMessage(self.sequencers[chain_id], ReceiptsRequest(number, self._request_id))
            )
        return effects

    def _on_relayed(
        self, message_hash: Hash32, message: ReceiptsResponse, now: Timestamp
    ) -> list[Effect]:
        pending = self.messages.get(message_hash)
        if pending is None or pending.state is RelayState.DONE:
            return []
        pending.move(RelayState.DONE)
        self.delivered += 1
        at = self.executed_at.setdefault(
            (message.chain_id, message.number), (message.block_hash, [])
        )
        at[1].append(message_hash)
        return [
            RelayerDelivered(
                source=pending.source.chain_id,
                source_number=pending.source.number,
                destination=message.chain_id,
                number=message.number,
                message=message_hash.hex()[:16],
            )
        ]

    def _forget(self, now: Timestamp) -> None:
        """Bound memory: forget messages settled ``FORGET_AFTER`` seconds ago, and what
        only they referenced. (A destination rollback older than that is not re-relayed.)"""
        for key, pending in list(self.messages.items()):
            if pending.state in SETTLED and pending.settled_at is None:
                pending.settled_at = float(now)
            elif pending.settled_at is not None and pending.settled_at < now - FORGET_AFTER:
                del self.messages[key]
        live = set(self.messages)
        self.by_tx = {tx: key for tx, key in self.by_tx.items() if key in live}
        self.executed_at = {
            at: (block_hash, [k for k in keys if k in live])
            for at, (block_hash, keys) in self.executed_at.items()
            if any(k in live for k in keys)
        }

    def _retry(self, now: Timestamp) -> list[Effect]:
        effects: list[Effect] = []
        self._forget(now)
        for pending in self.messages.values():
            if pending.state not in (RelayState.PROVING, RelayState.SUBMITTED):
                continue
            if now - pending.submitted_at <= self.params.retry_after:
                continue
            if pending.state is RelayState.PROVING:
                pending.move(RelayState.WAITING)
                continue
            account = self.accounts[pending.destination]
            if pending.nonce in account.included:
                pending.nonce = None  # it landed but did not execute: a fresh attempt
                pending.move(RelayState.WAITING)
            elif self._hub_cross_level(pending) == SafetyLevel.INVALID:
                effects.extend(self._cancel(pending, now))
            else:
                pending.move(RelayState.WAITING)  # re-sent with the same nonce
        effects.extend(self._advance(now))
        return effects

    def _cancel(self, pending: PendingMessage, now: Timestamp) -> list[Effect]:
        """Fill a dropped relay's nonce with a zero-value self-transfer."""
        pending.move(RelayState.DROPPED)
        if pending.nonce is None:
            return []
        return self._cancel_nonce(pending.destination, pending.nonce)

    def _cancel_nonce(self, destination: int, nonce: int) -> list[Effect]:
        tx = sign_dynamic_fee(
            self.params.key,
            chain_id=destination,
            nonce=nonce,
            to=self.params.key.address,
            gas_limit=21_000,
            max_priority_fee_per_gas=1_000,
            max_fee_per_gas=MAX_FEE,
        )
        return [
            SendMessage(self.sequencers[destination], SubmitTransaction(tx.raw)),
            RelayerCancel(destination=destination, nonce=nonce),
        ]
