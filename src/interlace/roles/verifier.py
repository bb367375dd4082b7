"""The verifier node: derives a rollup from L1 data alone, giving its safe head.

It reads every canonical L1 block in order, takes the batches the rollup's
registered batcher posted to the inbox and the deposits the portal
announced, and rebuilds each block with the same rules the sequencer uses.
A block derived this way is *safe*. A batch entry that breaks the rules
(wrong number, an origin that is not canonical or skips ahead, a drifted
block with user transactions, an invalid transaction) is dropped, as OP
drops invalid batches.

It also follows the sequencer's gossip (*unsafe* blocks, signature
checked) and reports conflicts as evidence:
- ``equivocation``: two validly signed envelopes at one height with
  different hashes; the chain's unsafe feed is then frozen;
- ``l1_conflict``: the block derived from L1 at a height differs from the
  one the sequencer signed.
On an L1 reorg it rewinds the safe chain to the blocks whose batches are
still canonical and derives again.
"""

from dataclasses import dataclass, field

from interlace.primitives.envelope import verify_envelope
from interlace.primitives.errors import InterlaceError
from interlace.primitives.tx import Transaction, decode_transaction
from interlace.primitives.types import Address, ChainId, Hash32
from interlace.protocol.l1.view import L1View
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import (
    BatchBlock,
    batches_in_l1_block,
    decode_batch,
    deposits_in_l1_block,
    origin_of,
)
from interlace.roles.base import (
    Effect,
    Event,
    MessageReceived,
    NodeId,
    Role,
    SendMessage,
    Started,
    StoreView,
    Timestamp,
    record,
)
from interlace.roles.messages import (
    L1_BLOCKS_TOPIC,
    BlockGossip,
    L1BlockPublished,
    L1SyncRequest,
    rollup_blocks_topic,
)


@dataclass(frozen=True, slots=True)
class VerifierParams:
    """Static parameters of a verifier node."""

    genesis: RollupGenesis
    """The rollup's block 0."""
    sequencer_address: Address
    """Registered sequencer (signs the unsafe feed)."""
    batcher_address: Address
    """Registered batcher (only its batches count)."""
    l1_node: NodeId = NodeId("l1")
    """Where to re-sync L1 from."""
    max_drift: int = 30
    """Same drift rule as the sequencer's."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """A provable conflict in a rollup's signed output."""

    kind: str
    """``equivocation`` or ``l1_conflict``."""
    chain_id: ChainId
    """The offending rollup."""
    number: int
    """Height of the conflict."""
    hashes: tuple[Hash32, ...]
    """The conflicting block hashes."""
    envelopes: tuple[bytes, ...] = field(default=())
    """The signed envelopes that prove it (for equivocation)."""


class VerifierNode(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: VerifierParams, store: StoreView) -> None:
        del store  # derived state is rebuilt from L1 on restart
        self.node_id = node_id
        self.params = params
        self.chain_id = params.genesis.chain_id
        self.chain = RollupChain(params.genesis)
        self.l1 = L1View()
        self.derived_l1 = -1
        """Highest L1 block whose batches have been derived."""
        self.included_in: dict[int, int] = {}
        self.unsafe: dict[int, dict[Hash32, bytes]] = {}
        self.evidence: list[Evidence] = []
        self.frozen = False
        self.invalid_batches = 0

    def subscriptions(self) -> tuple[str, ...]:
        return (L1_BLOCKS_TOPIC, rollup_blocks_topic(self.chain_id))

    @property
    def safe_head(self) -> int:
        """Number of the highest block derived from L1."""
        return self.chain.head.number

    def unsafe_head(self) -> int:
        """Highest height seen on the sequencer's gossip."""
        return max(self.unsafe, default=0)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [SendMessage(self.params.l1_node, L1SyncRequest(0))]
        if not isinstance(event, MessageReceived):
            return []
        message = event.message
        if isinstance(message, BlockGossip):
            return self._on_gossip(message)
        if isinstance(message, L1BlockPublished):
            return self._on_l1(message)
        return []

    # ---- unsafe gossip -----------------------------------------------------------

    def _on_gossip(self, message: BlockGossip) -> list[Effect]:
        if self.frozen or message.chain_id != self.chain_id:
            return []
        try:
            signed = verify_envelope(message.envelope, self.chain_id)
        except InterlaceError:
            return [record("verifier.bad_envelope", chain=self.chain_id)]
        if signed.signer != self.params.sequencer_address:
            return [record("verifier.wrong_signer", chain=self.chain_id)]
        payload = signed.payload
        seen = self.unsafe.setdefault(payload.block_number, {})
        if payload.block_hash in seen:
            return []
        seen[payload.block_hash] = message.envelope
        effects: list[Effect] = []
        if len(seen) > 1:
            self.frozen = True
            self.evidence.append(
                Evidence(
                    "equivocation",
                    self.chain_id,
                    payload.block_number,
                    tuple(seen),
                    tuple(seen.values()),
                )
            )
            effects.append(
                record(
                    "verifier.evidence",
                    chain=self.chain_id,
                    evidence="equivocation",
                    number=payload.block_number,
                )
            )
        effects.extend(self._compare(payload.block_number))
        return effects

    def _compare(self, number: int) -> list[Effect]:
        derived = self.chain.block_at(number)
        signed = self.unsafe.get(number)
        if derived is None or not signed or derived.hash in signed or number == 0:
            return []
        if any(e.kind == "l1_conflict" and e.number == number for e in self.evidence):
            return []
        self.evidence.append(
            Evidence("l1_conflict", self.chain_id, number, (derived.hash, *signed))
        )
        return [
            record("verifier.evidence", chain=self.chain_id, evidence="l1_conflict", number=number)
        ]

    # ---- derivation ----------------------------------------------------------------

    def _on_l1(self, message: L1BlockPublished) -> list[Effect]:
        replaced = self.l1.apply(
            message.block,
            message.receipts,
            message.safe_number,
            message.finalized_number,
            message.reorged_from,
        )
        effects: list[Effect] = []
        if replaced is not None and replaced <= self.derived_l1:
            effects.extend(self._rewind(replaced))
        while self.derived_l1 + 1 in self.l1.blocks:
            effects.extend(self._derive_from(self.derived_l1 + 1))
            self.derived_l1 += 1
        if self.derived_l1 < self.l1.head_number:
            effects.append(SendMessage(self.params.l1_node, L1SyncRequest(self.derived_l1 + 1)))
        return effects

    def _rewind(self, replaced: int) -> list[Effect]:
        keep = self.chain.head.number
        while keep > 0 and self.included_in.get(keep, -1) >= replaced:
            del self.included_in[keep]
            keep -= 1
        dropped = self.chain.rewind(keep)
        self.derived_l1 = replaced - 1
        return [record("verifier.safe_reorg", chain=self.chain_id, to=keep, dropped=len(dropped))]

    def _derive_from(self, l1_number: int) -> list[Effect]:
        l1_block = self.l1.blocks[l1_number]
        receipts = self.l1.receipts[l1_number]
        effects: list[Effect] = []
        for data in batches_in_l1_block(
            l1_block, receipts, self.chain_id, self.params.batcher_address
        ):
            try:
                batch = decode_batch(data)
            except InterlaceError as exc:
                self.invalid_batches += 1
                effects.append(record("verifier.bad_batch", chain=self.chain_id, reason=str(exc)))
                continue
            for entry in batch.blocks:
                if entry.number <= self.chain.head.number:
                    continue  # already derived (a resubmitted batch)
                problem = self._apply_entry(entry, l1_number)
                if problem is not None:
                    self.invalid_batches += 1
                    effects.append(
                        record(
                            "verifier.bad_batch",
                            chain=self.chain_id,
                            number=entry.number,
                            reason=problem,
                        )
                    )
                    break
                effects.append(
                    record(
                        "verifier.safe",
                        chain=self.chain_id,
                        number=entry.number,
                        hash=self.chain.head.hash.hex()[:16],
                        l1=l1_number,
                    )
                )
                effects.extend(self._compare(entry.number))
        return effects

    def _apply_entry(self, entry: BatchBlock, l1_number: int) -> str | None:
        chain = self.chain
        if entry.number != chain.head.number + 1:
            return f"expected block {chain.head.number + 1}, batch has {entry.number}"
        parent_origin = chain.origins[-1]
        if entry.origin_number not in (parent_origin.number, parent_origin.number + 1):
            return "origin skips L1 blocks"
        if entry.origin_number > l1_number:
            return "origin is newer than the L1 block carrying the batch"
        origin_block = self.l1.block(entry.origin_number)
        if origin_block is None or origin_block.hash != entry.origin_hash:
            return "origin is not canonical"
        if entry.timestamp < chain.head.header.timestamp:
            return "timestamp goes backwards"
        origin = origin_of(origin_block)
        if entry.timestamp < origin.timestamp:
            return "block is older than its origin"
        if entry.transactions and entry.timestamp > origin.timestamp + self.params.max_drift:
            return "drifted block carries user transactions"
        txs: list[Transaction] = []
        try:
            txs.extend(decode_transaction(raw, self.chain_id) for raw in entry.transactions)
        except InterlaceError as exc:
            return f"undecodable transaction: {exc}"
        deposits = []
        if origin.hash != parent_origin.hash:
            deposits = deposits_in_l1_block(
                origin_block, self.l1.receipts[origin.number], self.chain_id
            )
        built = chain.build_next(origin, deposits, txs, entry.timestamp)
        if built.rejected:
            return f"invalid transaction: {built.rejected[0][1]}"
        chain.append(built, origin)
        self.included_in[entry.number] = l1_number
        return None
