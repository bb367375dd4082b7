"""The sequencer role: orders user transactions into signed rollup blocks.

Every ``block_time`` it builds a block on its head: the L1-attributes
deposit, the user deposits of a new L1Origin, then mempool transactions in
per-sender nonce order. The L1Origin trails the L1 head by
``confirmation_depth`` blocks, advances at most one L1 block per rollup
block, and once a block's timestamp runs ``max_drift`` seconds past its
origin's, the block carries no user transactions (OP's drift rule). Each
block is signed as an OP ``blocks/v3`` envelope and gossiped. A relayer
asking for a block's receipts also gets the sequencer's header signature
(``sign_block_header``), signed on demand, for peer-mode event proofs.

Durability: an accepted transaction is persisted before the acceptance is
returned; a block is persisted together with the deletion of the
transactions it includes, in one batch. A restart replays the stored blocks
and reloads the pending transactions, so nothing acknowledged is lost and
nothing runs twice. If an L1 reorg removes the origin of unsafe blocks, the
sequencer rewinds to the last block whose origin is still canonical and
returns the dropped user transactions to its mempool.

L1 bodies are released once the origin passed them and they are
``RETAIN_MARGIN`` blocks below L1 finality; what building on such a block
needs later (a hub rebuild can rewind far) is kept as ``OriginFacts``: its
``L1Origin`` and its deposits for this chain.

States are released below the lowest block a rewind can still reach
(``state_floor``): the last block whose origin is canonical in a finalized
L1 block (L1 never reorgs there), and, when it follows the hub, the last
block the hub reported cross-FINALIZED (the hub never invalidates those).
Without settlement the hub finalizes nothing, so a hub-following sequencer
keeps every state: a hub rebuild may rewind arbitrarily far. Signed
envelopes of blocks below the kept states go with them: they are a cache,
signed again when a peer asks (RFC 6979 signatures, so the same bytes).

A byzantine switch (``SetByzantine``) makes it sign a second, different
block at every height and gossip both: equivocation, for the fault
scenarios.
"""

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from interlace.primitives.envelope import decode_envelope, sign_block_header, sign_envelope
from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import encode_header
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import encode_receipt
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
    read_u256,
)
from interlace.primitives.tx import DepositTransaction, Transaction, decode_transaction
from interlace.primitives.types import ZERO_HASH, Address, Hash32
from interlace.protocol.chain.block import Block, BuiltBlock, block_env
from interlace.protocol.chain.mempool import Mempool
from interlace.protocol.hub.state import (
    SafetyLevel,
    decode_signed_hub_block,
    recover_hub_signer,
)
from interlace.protocol.interop.messenger import (
    Dependency,
    dependencies_of,
    forwarded_hub_blocks,
    read_hub_root,
    read_latest_hub,
    relay_claim,
)
from interlace.protocol.l1.view import L1View
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.declaration import read_origin
from interlace.protocol.rollup.derivation import L1Origin, deposits_in_l1_block, origin_of
from interlace.protocol.rollup.payload import payload_from_block
from interlace.roles.base import (
    Broadcast,
    Effect,
    Event,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.roles.hub_sync import HubFollower
from interlace.roles.l1_node import decode_stored_block, encode_stored_block
from interlace.roles.l1_sync import L1Sync
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    L1_BLOCKS_TOPIC,
    BlockGossip,
    BlocksRequest,
    BlocksResponse,
    HubBlockPublished,
    L1BlockPublished,
    NonceAnswer,
    NonceQuery,
    ReceiptsRequest,
    ReceiptsResponse,
    SetByzantine,
    StatusChange,
    SubmitTransaction,
    TransactionAccepted,
    TransactionRejected,
    follow_l1,
    rollup_blocks_topic,
)
from interlace.roles.names import L1_NODE
from interlace.roles.records import (
    SequencerBadStateRoot,
    SequencerBlock,
    SequencerByzantine,
    SequencerDrift,
    SequencerEquivocated,
    SequencerRebuild,
    SequencerTxRejected,
    SequencerUnsafeReorg,
    SequencerWaitingForL1,
)

_BLOCK_KEY: Final = b"seq/block/"
_TX_KEY: Final = b"seq/tx/"


@dataclass(frozen=True, slots=True)
class RollupParams:
    """Static parameters of one rollup's sequencing."""

    genesis: RollupGenesis
    """Block 0."""
    sequencer_key: PrivateKey
    """Signs every envelope; its address is registered on L1."""
    l1_node: NodeId = L1_NODE
    """Where to ask for L1 re-syncs."""
    block_time: float = 1.0
    """Seconds between blocks."""
    confirmation_depth: int = 2
    """The L1Origin stays at least this many blocks behind the L1 head."""
    max_drift: int = 30
    """Seconds a block may run ahead of its origin before it drops user transactions."""
    max_block_transactions: int = 1_000
    """Most user transactions per block."""
    hub_signer: Address | None = None
    """The hub's key; when set, the sequencer follows hub blocks, forwards them to its hub
    client, and rebuilds when the hub invalidates a block its chain depends on."""
    max_hub_updates: int = 16
    """Most hub blocks forwarded in one rollup block."""


@dataclass(frozen=True, slots=True)
class OriginFacts:
    """What building a rollup block on an L1 block needs from it, kept after its body goes."""

    origin: L1Origin
    """The block as an origin."""
    deposits: tuple[DepositTransaction, ...]
    """Its user deposits for the rollup."""


def release_origin_bodies(
    view: L1View, kept: dict[int, OriginFacts], cursor: int, chain_id: int
) -> None:
    """Release the view's bodies below ``cursor`` (capped below finality), keeping their facts."""
    for block, receipts in view.release_below(cursor):
        deposits = tuple(deposits_in_l1_block(block, receipts, chain_id))
        kept[block.number] = OriginFacts(origin_of(block), deposits)


def origin_at(view: L1View, kept: dict[int, OriginFacts], number: int) -> L1Origin | None:
    """The canonical L1 block at ``number`` as an origin, if known (released or not)."""
    facts = kept.get(number)
    if facts is not None and view.is_canonical(number, facts.origin.hash):
        return facts.origin
    block = view.block(number)
    return None if block is None else origin_of(block)


def origin_deposits(
    view: L1View, kept: dict[int, OriginFacts], origin: L1Origin, chain_id: int
) -> list[DepositTransaction]:
    """User deposits for ``chain_id`` in the canonical L1 block ``origin``."""
    facts = kept.get(origin.number)
    if facts is not None and facts.origin.hash == origin.hash:
        return list(facts.deposits)
    block = view.block(origin.number)
    assert block is not None and block.hash == origin.hash
    return deposits_in_l1_block(block, view.receipts_at(origin.number), chain_id)


def hub_finalized_through(chain: RollupChain, changes: Iterable[StatusChange], known: int) -> int:
    """``known`` raised to the highest block of ``chain`` the changes mark cross-FINALIZED.

    Only a change about the block ``chain`` holds at that height counts. The
    hub never invalidates a finalized block (nor, through the cross level,
    its ancestors and dependencies), so no hub rebuild rewinds below it.
    """
    for change in changes:
        if change.chain_id != chain.genesis.chain_id or change.number <= known:
            continue
        held = chain.block_at(change.number)
        if change.cross_level == SafetyLevel.FINALIZED and held and held.hash == change.block_hash:
            known = change.number
    return known


def encode_origin(origin: L1Origin) -> list[bytes]:
    """RLP fields of an ``L1Origin``."""
    return [
        encode_uint(origin.number),
        origin.hash,
        encode_uint(origin.timestamp),
        encode_uint(origin.base_fee),
    ]


def decode_origin(item: object) -> L1Origin:
    """Inverse of ``encode_origin`` on a decoded RLP item."""
    number, block_hash, timestamp, base_fee = read_list(item, 4, "origin")  # type: ignore[arg-type]
    return L1Origin(
        read_u64(number), read_hash32(block_hash), read_u64(timestamp), read_u256(base_fee)
    )


class Sequencer(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: RollupParams, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.chain_id = params.genesis.chain_id
        self.chain = RollupChain(params.genesis)
        self.l1 = L1View()
        self.l1_sync = L1Sync(self.params.l1_node)
        self.released_origins: dict[int, OriginFacts] = {}
        """Facts of the L1 blocks whose bodies ``l1`` released."""
        self.mempool = Mempool()
        self.equivocate = False
        self.withheld: list[tuple[int, bytes]] = []
        self.equivocation_delay = 0
        """Byzantine mode: second signed blocks not yet gossiped, by height."""
        self.envelopes: dict[int, bytes] = {}
        """Signed envelopes by block number, from the lowest kept state (a cache)."""
        self.hub_inbox: dict[int, bytes] = {}
        """Signed hub blocks received and not yet forwarded, by hub number."""
        self.hub = HubFollower()
        self.invalid: set[tuple[int, int, bytes]] = set()
        """(chain, number, hash) of blocks the hub declared invalid."""
        self.hub_versions: dict[tuple[int, int], Hash32] = {}
        """(chain, height) → the block the hub last reported there at a valid level."""
        self.frozen_sources: set[int] = set()
        self.evicted: list[bytes] = []
        """Hashes of relays evicted since the last block (their store keys go with it)."""
        """Chains the hub froze: their messages are no longer accepted here."""
        self.deps: dict[int, tuple[Dependency, ...]] = {}
        """Dependencies of our own blocks, by number."""
        self.rebuilds = 0
        self.hub_finalized = 0
        """Highest own block the hub reported cross-FINALIZED."""
        self.corrupt_next = False
        """Byzantine mode: sign the next block with a wrong state root."""
        self._restore(store)

    def subscriptions(self) -> tuple[str, ...]:
        if self.params.hub_signer is None:
            return (L1_BLOCKS_TOPIC,)
        return (L1_BLOCKS_TOPIC, HUB_BLOCKS_TOPIC)

    # ---- events --------------------------------------------------------------

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [
                *self.l1_sync.request(0, now),
                self._arm(now),
            ]
        if isinstance(event, TimerFired) and event.tag == "block":
            return [*self._produce(now), self._arm(now)]
        if not isinstance(event, MessageReceived):
            return []
        message = event.message
        if isinstance(message, L1BlockPublished):
            effects = self._on_l1(message, now)
            self._release()
            return effects
        if isinstance(message, SubmitTransaction):
            return self._accept(event.sender, message.raw, now)
        if isinstance(message, BlocksRequest):
            return self._serve(event.sender, message)
        if isinstance(message, HubBlockPublished):
            effects = self._on_hub_block(event.sender, message, now)
            self._release()
            return effects
        if isinstance(message, ReceiptsRequest):
            return self._serve_receipts(event.sender, message)
        if isinstance(message, NonceQuery):
            nonce = self.chain.head_state.get_account(Address(message.address)).nonce
            return [SendMessage(event.sender, NonceAnswer(self.chain_id, message.address, nonce))]
        if isinstance(message, SetByzantine) and message.bad_state_root:
            self.corrupt_next = True
            return [SequencerByzantine(chain=self.chain_id, bad_state_root=True)]
        if isinstance(message, SetByzantine):
            self.equivocate = message.equivocate
            self.equivocation_delay = message.delay_blocks
            return [SequencerByzantine(chain=self.chain_id, on=message.equivocate)]
        return []

    def loops(self) -> tuple[str, ...]:
        return ("block",)

    def _arm(self, now: Timestamp) -> SetTimer:
        interval = self.params.block_time
        return SetTimer("block", Timestamp((int(now / interval + 1e-9) + 1) * interval))

    # ---- transactions ------------------------------------------------------------

    def _accept(self, client: NodeId, raw: bytes, now: Timestamp) -> list[Effect]:
        tx_hash = b""
        try:
            tx = decode_transaction(raw, expected_chain_id=self.chain_id)
            tx_hash = tx.hash
            env = block_env(self.chain.config, self.chain.head.header, int(now))
            self.mempool.add(tx, self.chain.head_state, env)
        except InterlaceError as exc:
            return [
                SendMessage(client, TransactionRejected(tx_hash, type(exc).__name__, str(exc))),
                SequencerTxRejected(chain=self.chain_id, error=type(exc).__name__),
            ]
        return [
            PersistBatch(((_TX_KEY + tx.hash, raw),)),
            SendMessage(client, TransactionAccepted(tx.hash)),
        ]

    # ---- L1 ------------------------------------------------------------------------

    def _on_l1(self, message: L1BlockPublished, now: Timestamp) -> list[Effect]:
        replaced = follow_l1(self.l1, message)
        effects: list[Effect] = []
        if replaced is not None:
            effects.extend(self._rewind_to_canonical_origin(replaced))
        gap = self.l1.missing_below(message.block.number)
        if gap is not None:
            effects.extend(self.l1_sync.request(gap, now))
        # Blocks below the current origin were origins already; their facts stay.
        release_origin_bodies(
            self.l1, self.released_origins, self.chain.origins[-1].number, self.chain_id
        )
        return effects

    def _rewind_to_canonical_origin(self, replaced: int) -> list[Effect]:
        """Drop the blocks whose L1Origin an L1 reorg from ``replaced`` up took away.

        An origin at or above ``replaced`` is stale unless the new fork holds it, and
        one above the new (shorter) head is stale too: it was on the old fork. Keeping
        those (a reorg to a shorter fork, with origins at the L1 head) left the
        sequencer's head on a replaced origin it could never build past.
        """
        chain = self.chain
        keep = chain.head.number
        while keep > 0:
            origin = chain.origin_at(keep)
            if origin.number < replaced or (
                origin.number <= self.l1.head_number
                and self.l1.is_canonical(origin.number, origin.hash)
            ):
                break
            keep -= 1
        if keep == chain.head.number:
            return []
        writes, dropped = self._rewind(keep)
        return [
            PersistBatch(tuple(writes)),
            SequencerUnsafeReorg(chain=self.chain_id, to=keep, dropped=dropped),
        ]

    def _release(self) -> None:
        """Release states below ``state_floor`` and the envelopes of blocks below them."""
        kept = self.chain.release_states_below(self.state_floor())
        for number in [n for n in self.envelopes if n < kept]:
            del self.envelopes[number]

    def state_floor(self) -> int:
        """Lowest block a rewind can still reach (see the module docstring)."""
        chain, l1 = self.chain, self.l1
        last = bisect_right(chain.origins, l1.settled_through, key=lambda origin: origin.number) - 1
        origin = chain.origins[last] if last >= 0 else None
        floor = last if origin and l1.is_canonical(origin.number, origin.hash) else 0
        if self.params.hub_signer is not None:
            floor = min(floor, self.hub_finalized)
        return floor

    def _rewind(self, keep: int) -> tuple[list[tuple[bytes, bytes | None]], int]:
        """Drop blocks above ``keep``; return their user transactions to the pool.

        Relays whose source block the hub declared invalid are not returned:
        rebuilding without them is the point (DESIGN.md §4).
        """
        chain = self.chain
        dropped = chain.rewind(keep)
        writes: list[tuple[bytes, bytes | None]] = []
        # The rewind lowered senders' nonces: re-align the pool first, then give the
        # dropped user transactions back so they fill the gaps. They were acknowledged:
        # the pool takes them back past the limits it puts on new arrivals.
        self.mempool.prune(chain.head_state)
        returned = [
            tx
            for block in dropped
            for tx in block.transactions
            if not isinstance(tx, DepositTransaction) and not self._relays_invalid(tx)
        ]
        for block in dropped:
            writes.append((_block_key(block.number), None))
            self.envelopes.pop(block.number, None)
            self.deps.pop(block.number, None)
            # Hub blocks forwarded in dropped blocks are forwarded again, or the hub
            # client would miss their roots.
            for number, signed in forwarded_hub_blocks(block.transactions):
                self.hub_inbox.setdefault(number, signed)
        returned.sort(key=lambda tx: tx.nonce)  # the order the pool took them in before
        refused = {tx.hash for tx in self.mempool.readmit(returned, chain.head_state)}
        writes.extend((_TX_KEY + tx.hash, tx.raw) for tx in returned if tx.hash not in refused)
        return writes, len(dropped)

    def _relays_invalid(self, tx: Transaction) -> bool:
        claim = relay_claim(tx)
        return claim is not None and (
            (claim.chain_id, claim.block_number, claim.block_hash) in self.invalid
        )

    # ---- hub -------------------------------------------------------------------------

    def _on_hub_block(
        self, sender: NodeId, message: HubBlockPublished, now: Timestamp
    ) -> list[Effect]:
        try:
            header, signature = decode_signed_hub_block(message.signed_block)
            if recover_hub_signer(header, signature) != self.params.hub_signer:
                return []
        except InterlaceError:
            return []
        steps = self.hub.accept(sender, message, now)
        effects = list(steps.effects)
        for block in steps.ready:
            effects.extend(self._apply_hub_block(block))
        return effects

    def _apply_hub_block(self, message: HubBlockPublished) -> list[Effect]:
        header, _signature = decode_signed_hub_block(message.signed_block)
        if header.number > read_latest_hub(self.chain.head_state):
            self.hub_inbox[header.number] = message.signed_block
        self.frozen_sources = set(message.frozen)
        self.hub_finalized = hub_finalized_through(self.chain, message.changes, self.hub_finalized)
        for change in message.changes:
            if change.level != SafetyLevel.INVALID:
                self.hub_versions[(change.chain_id, change.number)] = Hash32(change.block_hash)
        newly_invalid = {
            (c.chain_id, c.number, c.block_hash)
            for c in message.changes
            if c.level == SafetyLevel.INVALID
        }
        if not newly_invalid:
            return []
        self.invalid |= newly_invalid
        return self._rebuild_if_needed()

    def _rebuild_if_needed(self) -> list[Effect]:
        """Rewind to before the lowest own block that is, or depends on, an invalid block."""
        chain = self.chain
        first_bad: int | None = None
        for number in range(1, chain.head.number + 1):
            block = chain.blocks[number]
            if (self.chain_id, number, block.hash) in self.invalid or any(
                (d.chain_id, d.number, d.block_hash) in self.invalid
                for d in self.deps.get(number, ())
            ):
                first_bad = number
                break
        if first_bad is None:
            return []
        writes, dropped = self._rewind(first_bad - 1)
        self.rebuilds += 1
        return [
            PersistBatch(tuple(writes)),
            SequencerRebuild(
                chain=self.chain_id,
                from_block=first_bad,
                dropped=dropped,
            ),
        ]

    def _ready(self, candidates: list[Transaction], forwarding: set[int]) -> list[Transaction]:
        """Candidates that can run now.

        A relay proven against a hub block this chain has not forwarded yet
        waits, with its sender's later transactions. A relay from a block the
        hub invalidated, from a chain it froze, or from a version of a block the
        hub holds another version of (a rebuild replaced it: the hub never
        publishes the old one as invalid when it held only the new) is evicted
        from the pool: it must never run here, and the relayer fills its nonce.
        Keeping that last kind made every rebuild depend on it again, and the
        sequencer rebuilt one height forever (explorer seed 224).
        """
        ready: list[Transaction] = []
        blocked: set[bytes] = set()
        for tx in candidates:
            if tx.sender in blocked:
                continue
            claim = relay_claim(tx)
            if claim is not None:
                source = (claim.chain_id, claim.block_number, claim.block_hash)
                held = self.hub_versions.get((claim.chain_id, claim.block_number))
                replaced = held is not None and held != claim.block_hash
                if claim.chain_id in self.frozen_sources or source in self.invalid or replaced:
                    self.mempool.evict(tx)
                    self.evicted.append(tx.hash)
                    blocked.add(tx.sender)
                    continue
                if claim.hub_number is not None and not (
                    claim.hub_number in forwarding
                    or read_hub_root(self.chain.head_state, claim.hub_number) is not None
                ):
                    blocked.add(tx.sender)  # its hub root has not reached our hub client yet
                    continue
            ready.append(tx)
        return ready

    # ---- blocks ----------------------------------------------------------------------

    def _choose_origin(self, timestamp: int) -> L1Origin | None:
        current = self.chain.origins[-1]
        if not self.l1.is_canonical(current.number, current.hash):
            return None
        limit = self.l1.head_number - self.params.confirmation_depth
        candidate = origin_at(self.l1, self.released_origins, current.number + 1)
        if (
            current.number + 1 <= limit
            and candidate is not None
            and candidate.timestamp <= timestamp
        ):
            return candidate
        return current

    def _produce(self, now: Timestamp) -> list[Effect]:
        chain = self.chain
        timestamp = max(int(now), chain.head.header.timestamp)
        origin = self._choose_origin(timestamp)
        if origin is None:
            return [SequencerWaitingForL1(chain=self.chain_id)]
        deposits: list[Transaction] = []
        if origin.hash != chain.origins[-1].hash:
            deposits.extend(origin_deposits(self.l1, self.released_origins, origin, self.chain_id))
        drifted = timestamp > origin.timestamp + self.params.max_drift
        latest_hub = read_latest_hub(chain.head_state)
        for stale in [n for n in self.hub_inbox if n <= latest_hub]:
            del self.hub_inbox[stale]
        forward = [self.hub_inbox[n] for n in sorted(self.hub_inbox)][: self.params.max_hub_updates]
        forwarding = set(sorted(self.hub_inbox)[: len(forward)])
        user_txs = (
            []
            if drifted
            else self._ready(self.mempool.candidates(), forwarding)[
                : self.params.max_block_transactions
            ]
        )
        parent_number = chain.head.number
        built = chain.build_next(origin, deposits, user_txs, timestamp, hub_updates=forward)
        alternative: BuiltBlock | None = None
        if self.equivocate:
            alternative = chain.build_next(
                origin, deposits, (), timestamp, extra_data=b"equivocation"
            )
        corrupted = self.corrupt_next
        if corrupted:
            self.corrupt_next = False
            header = built.block.header
            wrong = replace(header, state_root=Hash32(keccak256(b"wrong" + header.state_root)))
            built = replace(built, block=replace(built.block, header=wrong))
        chain.append(built, origin)
        superseded = self.mempool.prune(built.state)
        block = built.block
        self.deps[block.number] = dependencies_of(list(block.transactions))
        envelope = self._sign(block)
        self.envelopes[block.number] = envelope
        writes: list[tuple[bytes, bytes | None]] = [
            (_block_key(block.number), _encode_entry(block, origin, corrupted=corrupted))
        ]
        writes.extend((_TX_KEY + tx.hash, None) for tx in block.transactions[1:])
        writes.extend((_TX_KEY + tx.hash, None) for tx in superseded)
        writes.extend((_TX_KEY + h, None) for h in self.evicted)
        self.evicted.clear()
        effects: list[Effect] = [
            PersistBatch(tuple(writes)),
            Broadcast(rollup_blocks_topic(self.chain_id), BlockGossip(self.chain_id, envelope)),
            SequencerBlock(
                chain=self.chain_id,
                number=block.number,
                hash=block.hash.hex()[:16],
                txs=len(block.transactions),
                origin=origin.number,
                parent=parent_number,
            ),
        ]
        if drifted:
            effects.append(SequencerDrift(chain=self.chain_id, number=block.number))
        if corrupted:
            effects.append(SequencerBadStateRoot(chain=self.chain_id, number=block.number))
        if alternative is not None:
            self.withheld.append((block.number, self._sign(alternative.block)))
        # The second signature of a height goes out ``equivocation_delay`` blocks later,
        # after others may have consumed the first: the attack the hub must catch.
        while self.withheld and (
            self.withheld[0][0] <= block.number - self.equivocation_delay
            or (not self.equivocate and self.withheld)
        ):
            number, envelope = self.withheld.pop(0)
            effects.append(
                Broadcast(rollup_blocks_topic(self.chain_id), BlockGossip(self.chain_id, envelope))
            )
            twin = read_origin(decode_envelope(envelope)[2].transactions).origin
            effects.append(
                SequencerEquivocated(
                    chain=self.chain_id,
                    number=number,
                    origin=twin.number,
                    origin_hash=twin.hash.hex(),
                )
            )
        return effects

    def _sign(self, block: Block) -> bytes:
        return sign_envelope(
            payload_from_block(block), ZERO_HASH, self.chain_id, self.params.sequencer_key
        )

    def sign_header(self, block: Block) -> bytes:
        """This sequencer's header signature of ``block`` (RFC 6979: always the same bytes)."""
        return sign_block_header(self.params.sequencer_key, self.chain_id, block.hash)

    def _serve_receipts(self, requester: NodeId, request: ReceiptsRequest) -> list[Effect]:
        block = self.chain.block_at(request.number)
        if block is None or request.number == 0:
            return []
        return [
            SendMessage(
                requester,
                ReceiptsResponse(
                    request.request_id,
                    self.chain_id,
                    block.number,
                    block.hash,
                    encode_header(block.header),
                    tuple(tx.raw for tx in block.transactions),
                    tuple(encode_receipt(r) for r in self.chain.receipts[block.number]),
                    self.sign_header(block),
                ),
            )
        ]

    def _serve(self, requester: NodeId, request: BlocksRequest) -> list[Effect]:
        envelopes: list[bytes] = []
        last = min(self.chain.head.number, request.from_number + request.limit - 1)
        for number in range(max(request.from_number, 1), last + 1):
            envelope = self.envelopes.get(number)
            if envelope is None:
                block = self.chain.block_at(number)
                assert block is not None
                envelope = self.envelopes[number] = self._sign(block)
            envelopes.append(envelope)
        return [SendMessage(requester, BlocksResponse(self.chain_id, tuple(envelopes)))]

    # ---- restart --------------------------------------------------------------------

    def _restore(self, store: StoreView) -> None:
        for _key, raw in store.iterate_prefix(_BLOCK_KEY):
            block, origin, corrupted = _decode_entry(raw)
            # A block signed with a wrong state root on purpose replays without that check:
            # a restart must never fail on the node's own store.
            self.chain.replay(block, origin, check_state_root=not corrupted)
            self.deps[block.number] = dependencies_of(list(block.transactions))
        # Stored pending transactions were acknowledged: all come back, past the pool's
        # limits on new arrivals (a rewind can have left more per sender than those allow).
        pending = [decode_transaction(raw) for _key, raw in store.iterate_prefix(_TX_KEY)]
        pending.sort(key=lambda tx: tx.nonce)
        self.mempool.readmit(pending, self.chain.head_state)


def _block_key(number: int) -> bytes:
    return _BLOCK_KEY + number.to_bytes(8, "big")


def _encode_entry(block: Block, origin: L1Origin, *, corrupted: bool = False) -> bytes:
    """A stored block: [block, origin], and a third item ``0x01`` if it was signed with a
    wrong state root on purpose (the ``bad_state_root`` fault)."""
    items: list[object] = [encode_stored_block(block), encode_origin(origin)]
    if corrupted:
        items.append(b"\x01")
    return encode_rlp(items)


def _decode_entry(raw: bytes) -> tuple[Block, L1Origin, bool]:
    item = decode_rlp(raw)
    corrupted = isinstance(item, list) and len(item) == 3 and item[2] == b"\x01"
    block_raw, origin_item = read_list(item[:2] if corrupted else item, 2, "sequencer block")
    return decode_stored_block(read_bytes(block_raw)), decode_origin(origin_item), corrupted
