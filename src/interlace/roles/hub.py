"""The hub role: the Polymer-style sentry and light clients plus AggLayer-style safety.

It listens to every rollup's gossip and to L1, feeds ``HubTracker`` (light
clients, equivocation, dependencies, safety levels), and every
``block_time`` seals a hub block: the status changes go into the hub state
trie (``protocol.hub.state``), the header is signed with the hub key and
broadcast on ``hub/blocks`` with the changes, so rollups' hub clients and
sequencers can follow it. It answers ``HubProofRequest`` with a state proof
against its latest hub block (the prove API; the relayer completes the
event proof with the source block's receipts).

Settlement (when ``HubParams.settlement`` is set): the hub reads what L1
says about rollup blocks from *finalized* L1 blocks (accepted validity
proofs, resolved fault games, settled aggregates: ``protocol.hub.settling``)
and raises blocks to CONFIRMED and FINALIZED. Every
``aggregate_every`` seconds it posts the next aggregate of cross-confirmed
blocks, with its latest hub state root, to the L1 settlement module through
its ``L1Sender`` (one in flight at a time; one not on L1 after
``resend_after`` seconds, or taken out by an L1 reorg, is built again at the
same nonce).

Durability: every envelope that passes the signature check is persisted in
arrival order, and every hub block with its changes; a restart replays both
(the hub re-syncs L1 to finish the replay), so frozen chains, evidence and
the hub chain survive a crash.
"""

from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import InterlaceError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.mpt import Trie
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_list,
    read_u64,
)
from interlace.primitives.types import U64, ZERO_HASH, ChainId, Hash32
from interlace.protocol.hub.settling import (
    FactKind,
    FactReader,
    SettlementFact,
    SettlementFollower,
)
from interlace.protocol.hub.state import (
    HubHeader,
    decode_signed_hub_block,
    decode_status,
    encode_signed_hub_block,
    encode_status,
    hub_header_hash,
    sign_hub_header,
    state_key,
)
from interlace.protocol.hub.tracker import (
    HubTracker,
    OffBranch,
    Outcome,
    RollupLightClient,
    TrackedBlock,
)
from interlace.protocol.l1.modules import RollupKind, RollupRecord
from interlace.protocol.l1.view import L1View
from interlace.protocol.rollup.derivation import batches_in_l1_block, decode_batch
from interlace.protocol.settlement.aggregate import (
    SETTLEMENT_ABI,
    SETTLEMENT_ADDRESS,
    encode_aggregate,
    sign_aggregate,
)
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
from interlace.roles.l1_sender import L1Call, L1Sender, L1SenderParams
from interlace.roles.l1_sync import L1Sync
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    L1_BLOCKS_TOPIC,
    BlockGossip,
    BlocksRequest,
    BlocksResponse,
    HubBlockPublished,
    HubProofRequest,
    HubProofResponse,
    HubSyncRequest,
    L1BlockPublished,
    StatusChange,
    follow_l1,
    rollup_blocks_topic,
)
from interlace.roles.names import L1_NODE
from interlace.roles.records import (
    HubAggregate,
    HubBlock,
    HubOutputInvalid,
    HubOutputValid,
    HubPreconfirmed,
    HubProofSeen,
    HubRejected,
)


def _missing_from(client: RollupLightClient) -> int | None:
    """The lowest height a waiting envelope needs and the hub lacks, or None.

    A block waits on its parent when the hub holds none at that height (a gap above
    the head) or holds the version it invalidated while the rebuild has not arrived.
    Asking only above the head missed the second case: a lost rebuilt block left
    every later one waiting forever (explorer seed 7).
    """
    wanted: int | None = None
    for signed in client.pending.values():
        number = signed.payload.block_number
        parent = client.blocks.get(number - 1)
        if number == 1 or (parent is not None and parent.block_hash == signed.payload.parent_hash):
            continue
        need = client.head + 1 if parent is None and number - 1 > client.head else number - 1
        wanted = need if wanted is None else min(wanted, need)
    return wanted


_ENVELOPE_KEY: Final = b"hub/env/"
_BLOCK_KEY: Final = b"hub/block/"
_KEEP_SNAPSHOTS: Final = 512
ASK_SEQUENCER_EVERY: Final = 0.5
"""Seconds between two asks of a sequencer for the same gap. Asks are made when a block
above a gap arrives; at once a second, a block arriving a few milliseconds less than a
second after the last ask (one block time at 1 s blocks) was not allowed to ask again, so
each lost ask or answer cost two blocks (explorer seed 5982: the hub 6 blocks behind at
the end under 5% loss)."""
AGGREGATE_GAS_BASE: Final = 200_000
AGGREGATE_GAS_PER_BLOCK: Final = 60_000
EVIDENCE_RETELL_BLOCKS: Final = 32
"""Hub blocks after freezing a chain during which the hub gossips the pair again."""


@dataclass(frozen=True, slots=True)
class HubSettlementParams:
    """How the hub settles on L1."""

    l1_chain_id: int
    """Chain id of L1 (the aggregate transaction's)."""
    readers: tuple[FactReader, ...]
    """Readers of the confirmation logs (``protocol.settlement.confirmation``)."""
    aggregate_every: float = 4.0
    """Seconds between aggregates."""
    resend_after: float = 20.0
    """Seconds after which an aggregate not yet on L1 is built and posted again (same
    nonce)."""
    max_blocks_per_chain: int = 256
    """Cap on one chain's run in one aggregate."""


@dataclass(frozen=True, slots=True)
class HubParams:
    """Static configuration of the hub."""

    key: PrivateKey
    """Signs hub blocks; rollups' hub clients know its address."""
    rollups: tuple[tuple[RollupRecord, Hash32], ...]
    """Registered rollups with their genesis block hashes."""
    block_time: float = 0.5
    """Seconds between hub blocks."""
    l1_node: NodeId = L1_NODE
    """Where to re-sync L1 from."""
    sequencer_nodes: tuple[tuple[int, NodeId], ...] = ()
    """Each rollup's sequencer node, asked for blocks the hub missed (after a crash or a
    partition)."""
    settlement: HubSettlementParams | None = None
    """Settle on L1 (None: the hub stops at SAFE)."""


class Hub(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: HubParams, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.tracker = HubTracker()
        self.records = {record.chain_id: record for record, _ in params.rollups}
        for rollup, genesis_hash in params.rollups:
            self.tracker.register(rollup.chain_id, rollup.sequencer, rollup.batcher, genesis_hash)
        self.l1 = L1View()
        self.l1_sync = L1Sync(self.params.l1_node)
        self.processed_l1 = -1
        self.trie = Trie()
        self.head = HubHeader(U64(0), U64(0), ZERO_HASH, self.trie.root(), U64(0), ZERO_HASH)
        self.signed_head = b""
        self.snapshots: dict[int, tuple[bytes, Trie]] = {}
        self.published: dict[int, HubBlockPublished] = {}
        """Every hub block with its changes, re-sent to a follower that missed some."""
        self._envelope_seq = 0
        self._sync_asked: dict[int, tuple[float, int]] = {}
        """Chain → (when, from which height) the hub last asked its sequencer for blocks."""
        self._evidence_told: dict[int, int] = {}
        """Index in ``tracker.evidence`` → the hub block that first gossiped the pair."""
        self.follower: SettlementFollower | None = None
        self.sender: L1Sender | None = None
        """The hub's L1 account: its aggregates, their nonces and resubmission."""
        if params.settlement is not None:
            self.follower = SettlementFollower(
                kinds={r.chain_id: r.kind for r, _ in params.rollups},
                genesis={r.chain_id: genesis for r, genesis in params.rollups},
                readers=params.settlement.readers,
            )
            self.sender = L1Sender(
                L1SenderParams(
                    key=params.key,
                    l1_chain_id=ChainId(params.settlement.l1_chain_id),
                    resubmit_after=params.settlement.resend_after,
                    l1_node=params.l1_node,
                )
            )
        self.aggregates_posted = 0
        self._restore(store)

    def subscriptions(self) -> tuple[str, ...]:
        return (L1_BLOCKS_TOPIC, *(rollup_blocks_topic(c) for c in self.records))

    # ---- events -----------------------------------------------------------------

    def loops(self) -> tuple[str, ...]:
        return ("hub_block", "aggregate") if self.params.settlement is not None else ("hub_block",)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            settlement = self.params.settlement
            return [
                *(
                    [SetTimer("aggregate", Timestamp(now + settlement.aggregate_every))]
                    if settlement is not None
                    else []
                ),
                *self.l1_sync.request(0, now),
                SetTimer("hub_block", Timestamp(now + self.params.block_time)),
                *(
                    SendMessage(node, BlocksRequest(self.tracker.clients[chain].head + 1))
                    for chain, node in self.params.sequencer_nodes
                    if chain in self.tracker.clients
                ),
            ]
        if isinstance(event, TimerFired) and event.tag == "hub_block":
            return [
                *self._seal(now),
                *self._ask_l1_again(now),
                SetTimer("hub_block", Timestamp(now + self.params.block_time)),
            ]
        if isinstance(event, TimerFired) and event.tag == "aggregate":
            assert self.params.settlement is not None
            return [
                *self._aggregate(now),
                SetTimer("aggregate", Timestamp(now + self.params.settlement.aggregate_every)),
            ]
        if not isinstance(event, MessageReceived):
            return []
        message = event.message
        if isinstance(message, BlockGossip):
            return [*self._on_envelope(message, now), *self._sync(message.chain_id, now)]
        if isinstance(message, BlocksResponse):
            effects: list[Effect] = []
            for envelope in message.envelopes:
                effects.extend(self._on_envelope(BlockGossip(message.chain_id, envelope), now))
            return effects
        if isinstance(message, L1BlockPublished):
            return self._on_l1(message, now)
        if isinstance(message, HubProofRequest):
            return self._prove(event.sender, message)
        if isinstance(message, HubSyncRequest):
            return self._resend(event.sender, message.from_number)
        return []

    def _on_envelope(self, message: BlockGossip, now: Timestamp) -> list[Effect]:
        effects: list[Effect] = []
        try:
            ingested = self.tracker.ingest_envelope(message.chain_id, message.envelope, now)
        except InterlaceError as exc:
            effects.append(HubRejected(chain=message.chain_id, error=type(exc).__name__))
            if isinstance(exc, OffBranch) and exc.number > 1:
                # The sequencer signed a block on a parent the hub does not hold: ask for
                # its blocks from the height below, which shows the fork (or, on a deeper
                # one, another branch one height lower again). Explorer seed 1854: the
                # hub missed one block of an equivocating pair and, asking only above
                # its head, never saw the fork.
                effects.extend(self._ask_sequencer(message.chain_id, exc.number - 1, now))
            effects.extend(self._notes())
            return effects
        accepted = list(ingested.accepted)
        if ingested.outcome is Outcome.EQUIVOCATION:
            # The envelope that completes the pair is refused (its chain is frozen now);
            # the timeline has always recorded it so, and ``hub.evidence`` follows.
            effects.append(HubRejected(chain=message.chain_id, error="ChainFrozen"))
        if ingested.outcome is not Outcome.KNOWN:
            # Kept for a restart: a block, one waiting, or the second half of the evidence.
            effects.append(self._persist_envelope(message))
        if accepted:
            # Blocks waiting for these as dependencies can go in now, not at the next L1 block.
            accepted += self.tracker.retry_pending(now)
        effects.extend(self._accepted(accepted))
        effects.extend(self._notes())
        return effects

    def _sync(self, chain_id: int, now: Timestamp) -> list[Effect]:
        """Ask a sequencer for the blocks between our head and what its gossip shows."""
        client = self.tracker.clients.get(chain_id)
        if client is None:
            return []
        start = _missing_from(client)
        return [] if start is None else self._ask_sequencer(chain_id, start, now)

    def _ask_sequencer(self, chain_id: int, start: int, now: Timestamp) -> list[Effect]:
        """Ask a chain's sequencer for its blocks from ``start``: at most once every
        ``ASK_SEQUENCER_EVERY`` seconds, unless from lower than the last ask (whose answer
        will not hold that height).

        The ask from below a block on a parent the hub lacks comes when the answer to
        the ask from above the head arrives, always within that second; one rate limit
        for both left it refused for good once its first copy was lost (explorer seed
        6575: the hub held one block of an equivocating pair and never saw the other).
        """
        client = self.tracker.clients.get(chain_id)
        node = dict(self.params.sequencer_nodes).get(chain_id)
        if client is None or node is None or client.frozen:
            return []
        asked_at, asked_from = self._sync_asked.get(chain_id, (-1e9, 0))
        if now - asked_at < ASK_SEQUENCER_EVERY and start >= asked_from:
            return []
        self._sync_asked[chain_id] = (float(now), start)
        return [SendMessage(node, BlocksRequest(start))]

    def _frozen(self) -> set[int]:
        return {c for c, client in self.tracker.clients.items() if client.frozen}

    def _persist_envelope(self, message: BlockGossip) -> PersistBatch:
        self._envelope_seq += 1
        key = _ENVELOPE_KEY + self._envelope_seq.to_bytes(8, "big")
        return PersistBatch(((key, encode_rlp([encode_uint(message.chain_id), message.envelope])),))

    def _accepted(self, blocks: list[TrackedBlock]) -> list[Effect]:
        return [
            HubPreconfirmed(
                chain=b.chain_id,
                number=b.number,
                hash=b.block_hash.hex()[:16],
                deps=len(b.deps),
            )
            for b in blocks
        ]

    def _notes(self) -> list[Effect]:
        notes: list[Effect] = list(self.tracker.notes)
        self.tracker.notes.clear()
        return notes

    def _on_l1(self, message: L1BlockPublished, now: Timestamp) -> list[Effect]:
        replaced = follow_l1(self.l1, message)
        effects: list[Effect] = []
        if replaced is not None:
            self.processed_l1 = min(self.processed_l1, replaced - 1)
            self.tracker.set_l1_block(replaced, ZERO_HASH)  # forget the replaced range
            if self.follower is not None:
                self.follower.forget_from(replaced)
            if self.sender is not None:
                self.sender.forget_from(replaced)
        while self.processed_l1 + 1 <= self.l1.complete_through:
            number = self.processed_l1 + 1
            block = self.l1.block(number)
            assert block is not None  # up to complete_through, above the release cursor
            receipts = self.l1.receipts_at(number)
            self.tracker.set_l1_block(number, block.hash)
            for chain_id, rollup in self.records.items():
                for data in batches_in_l1_block(block, receipts, chain_id, rollup.batcher):
                    try:
                        batch = decode_batch(data)
                    except InterlaceError:
                        continue
                    self.tracker.apply_batch(chain_id, batch.blocks, (number, block.hash))
            if self.follower is not None:
                self.follower.scan(number, block, receipts)
            if self.sender is not None:
                self.sender.scan(number, block, receipts)
            self.processed_l1 = number
        if self.sender is not None:
            self.sender.forget_final(self.l1.finalized_number)
        effects.extend(self._settlement_facts())
        if self.processed_l1 < self.l1.head_number:
            effects.extend(self.l1_sync.request(self.processed_l1 + 1, now))
        # Both scans only move forward past finality; a reorg (above finality) rewinds
        # ``processed_l1`` to the replaced blocks, which come back with their bodies.
        cursor = self.processed_l1 + 1
        if self.follower is not None:
            cursor = min(cursor, self.follower.finalized_through + 1)
        self.l1.release_below(cursor)
        effects.extend(self._accepted(self.tracker.retry_pending(now)))
        effects.extend(self._notes())
        return effects

    def _ask_l1_again(self, now: Timestamp) -> list[Effect]:
        """Ask the L1 node again for an L1 block still missing, on the hub's own clock.

        Every envelope waits until its L1Origin is processed, and L1 is processed in
        order, so one L1 block lost on the way holds back every chain's pre-confirmations.
        Asking again only when the next L1 block arrives left a lost ask unrepeated for
        two L1 blocks whenever that block came a little before ``retry_after`` had passed
        (explorer seeds 2111 and 4212: the hub 6 blocks behind every sequencer at the end).
        """
        if self.processed_l1 >= self.l1.head_number:
            return []
        return self.l1_sync.request(self.processed_l1 + 1, now)

    # ---- settlement -----------------------------------------------------------------

    def _settlement_facts(self) -> list[Effect]:
        """Apply what newly finalized L1 blocks establish about rollup blocks."""
        follower = self.follower
        if follower is None:
            return []
        effects: list[Effect] = []
        last = min(self.l1.finalized_number, self.processed_l1)
        while follower.finalized_through < last:
            number = follower.finalized_through + 1
            block = self.l1.block(number)
            assert block is not None  # at most processed_l1, above the release cursor
            for fact in follower.scan_finalized(number, block, self.l1.receipts_at(number)):
                effects.extend(self._apply_fact(fact))
        return effects

    def _apply_fact(self, fact: SettlementFact) -> list[Effect]:
        tracker = self.tracker
        assert self.follower is not None
        if fact.kind is FactKind.PROVEN:
            tracker.confirm(fact.chain_id, fact.number, fact.block_hash, ancestors=False)
            return [HubProofSeen(chain=fact.chain_id, number=fact.number), *self._notes()]
        if fact.kind is FactKind.OUTPUT_VALID:
            self.follower.note_confirmation(tracker, fact)
            tracker.confirm(fact.chain_id, fact.number, fact.block_hash, ancestors=True)
            return [HubOutputValid(chain=fact.chain_id, number=fact.number), *self._notes()]
        if fact.kind is FactKind.OUTPUT_INVALID:
            # The proposal was false (or lost on time); the block itself may be valid and
            # stays unconfirmed until a proposal for it, or a later block, wins.
            return [HubOutputInvalid(chain=fact.chain_id, number=fact.number)]
        tracker.finalize(fact.chain_id, fact.number, fact.block_hash)
        return self._notes()

    def _aggregate(self, now: Timestamp) -> list[Effect]:
        follower, settlement, sender = self.follower, self.params.settlement, self.sender
        if follower is None or settlement is None or sender is None or not self.head.number:
            return []
        waiting = sender.pending()
        if any(not sender.is_due(tx, now) for tx in waiting):
            return []  # the last one is still on its way
        # Due (or dropped by a reorg): build the aggregate again, from what L1 holds now.
        for tx in waiting:
            sender.give_up(tx.nonce)
        aggregate = follower.build_aggregate(
            self.tracker,
            self.head.number,
            self.head.state_root,
            limit=settlement.max_blocks_per_chain,
        )
        if aggregate is None:
            return []
        raw = encode_aggregate(aggregate)
        calldata = SETTLEMENT_ABI.function("submitAggregate").encode_call(
            raw, sign_aggregate(aggregate, self.params.key)
        )
        gas = AGGREGATE_GAS_BASE + AGGREGATE_GAS_PER_BLOCK * len(aggregate.blocks)
        sent = sender.submit(
            "aggregate", L1Call(SETTLEMENT_ADDRESS, calldata, gas + 16 * len(calldata)), now
        )
        self.aggregates_posted += 1
        return [
            *sent.effects,
            HubAggregate(
                hub_number=aggregate.hub_number,
                blocks=len(aggregate.blocks),
                chains=len({b.chain_id for b in aggregate.blocks}),
                nonce=sent.tx.nonce,
            ),
        ]

    # ---- hub blocks ----------------------------------------------------------------

    def _seal(self, now: Timestamp) -> list[Effect]:
        changes = self.tracker.take_changes()
        ordered = sorted(changes.items())
        for (chain_id, number), status in ordered:
            self.trie.set(state_key(chain_id, number), encode_status(status))
        l1_number = max(self.processed_l1, 0)
        l1_hash = self.l1.hash_at(l1_number)
        header = HubHeader(
            number=U64(self.head.number + 1),
            timestamp=U64(int(now)),
            parent_hash=hub_header_hash(self.head) if self.head.number else ZERO_HASH,
            state_root=self.trie.root(),
            l1_number=U64(l1_number),
            l1_hash=ZERO_HASH if l1_hash is None else l1_hash,
        )
        signed = encode_signed_hub_block(header, sign_hub_header(header, self.params.key))
        self.head = header
        self.signed_head = signed
        self._snapshot(header.number, signed)
        change_list = tuple(
            StatusChange(chain, number, s.block_hash, int(s.level), int(s.cross_level))
            for (chain, number), s in ordered
        )
        frozen = tuple(sorted(self._frozen()))
        stored = encode_rlp(
            [
                signed,
                [
                    [encode_uint(chain), encode_uint(number), encode_status(status)]
                    for (chain, number), status in ordered
                ],
                [encode_uint(chain) for chain in frozen],
            ]
        )
        published = HubBlockPublished(signed, change_list, frozen)
        self.published[header.number] = published
        return [
            PersistBatch(((_BLOCK_KEY + header.number.to_bytes(8, "big"), stored),)),
            Broadcast(HUB_BLOCKS_TOPIC, published),
            HubBlock(number=header.number, changes=len(change_list)),
            *self._tell_evidence(header.number),
        ]

    def _tell_evidence(self, hub_number: int) -> list[Effect]:
        """Gossip each equivocating pair on its chain's topic, with the hub block that
        freezes the chain and the 1st, 2nd, 4th, … 32nd after it.

        A verifier that lost one block of the pair holds no evidence and would follow a
        frozen chain's client on the hub's word alone (explorer seed 1354, 1% loss); with
        the pair it judges and freezes itself. Sent a few times, as any gossip can be lost.
        """
        effects: list[Effect] = []
        for index, evidence in enumerate(self.tracker.evidence):
            age = hub_number - self._evidence_told.setdefault(index, hub_number)
            if age > EVIDENCE_RETELL_BLOCKS or age & (age - 1):
                continue
            topic = rollup_blocks_topic(evidence.chain_id)
            effects.extend(
                Broadcast(topic, BlockGossip(evidence.chain_id, envelope))
                for envelope in evidence.envelopes
            )
        return effects

    def _resend(self, to: NodeId, from_number: int) -> list[Effect]:
        """Each hub block from ``from_number`` to the head, to a follower that missed some."""
        first = max(from_number, 1)
        return [SendMessage(to, self.published[n]) for n in range(first, self.head.number + 1)]

    def kind_of(self, chain_id: int) -> RollupKind | None:
        """How a registered chain settles."""
        rollup = self.records.get(ChainId(chain_id))
        return None if rollup is None else rollup.kind

    def _snapshot(self, number: int, signed: bytes) -> None:
        self.snapshots[number] = (signed, self.trie.copy())
        self.snapshots.pop(number - _KEEP_SNAPSHOTS, None)

    def _prove(self, requester: NodeId, request: HubProofRequest) -> list[Effect]:
        if not self.signed_head or not (
            0 < request.chain_id < 2**64 and 0 <= request.number < 2**64
        ):
            return []  # nothing to prove (a peer's out-of-range request gets no answer)
        key = state_key(request.chain_id, request.number)
        return [
            SendMessage(
                requester,
                HubProofResponse(
                    request.request_id,
                    request.chain_id,
                    request.number,
                    self.signed_head,
                    tuple(self.trie.proof(key)),
                ),
            )
        ]

    def proof_at(self, hub_number: int, chain_id: int, number: int) -> tuple[bytes, list[bytes]]:
        """A state proof of one rollup block against an older hub block (RPC use)."""
        signed, trie = self.snapshots[hub_number]
        return signed, trie.proof(state_key(chain_id, number))

    # ---- restart ------------------------------------------------------------------------

    def _restore(self, store: StoreView) -> None:
        for _key, raw in store.iterate_prefix(_BLOCK_KEY):
            signed_raw, changes, frozen = read_list(decode_rlp(raw), 3, "hub block")
            signed = read_bytes(signed_raw)
            change_list: list[StatusChange] = []
            for item in read_list(changes):
                chain, number, status_raw = read_list(item, 3, "hub change")
                chain_id, block_number = read_u64(chain), read_u64(number)
                self.trie.set(state_key(chain_id, block_number), read_bytes(status_raw))
                status = decode_status(read_bytes(status_raw))
                change_list.append(
                    StatusChange(
                        chain_id,
                        block_number,
                        status.block_hash,
                        int(status.level),
                        int(status.cross_level),
                    )
                )
            header, _sig = decode_signed_hub_block(signed)
            self.head = header
            self.signed_head = signed
            self._snapshot(header.number, signed)
            self.published[header.number] = HubBlockPublished(
                signed, tuple(change_list), tuple(read_u64(c) for c in read_list(frozen))
            )
        for _key, raw in store.iterate_prefix(_ENVELOPE_KEY):
            chain, envelope = read_list(decode_rlp(raw), 2, "hub envelope")
            self._envelope_seq += 1
            try:
                self.tracker.ingest_envelope(
                    ChainId(read_u64(chain)), read_bytes(envelope), float("inf"), restoring=True
                )
            except InterlaceError:
                continue
        self.tracker.notes.clear()
        # The replay rebuilt levels only up to PRECONFIRMED; the hub state already holds
        # what they were, and the L1 re-sync raises them again. Publishing the replayed
        # levels would move safety back in the hub state.
        self.tracker.take_changes()
