"""The hub's side of settlement: what L1 says about rollup blocks, and the next aggregate.

``SettlementFollower`` reads canonical L1 blocks (as the hub's L1 view
announces them) and keeps two things apart:

- **Facts from finalized L1 blocks** (``scan_finalized``): a validity proof
  accepted, a fault game resolved, a block settled by an aggregate. Only
  finalized L1 blocks count, so nothing the hub raises a block to on their
  account can be taken back by an L1 reorg (invariant 5). The caller applies
  the returned ``SettlementFact``\\s to the ``HubTracker``.
- **Bookkeeping from every canonical L1 block** (``scan``): which blocks
  aggregates have settled so far (finalized or not), so the next aggregate
  starts after them. ``forget_from`` drops what an L1 reorg replaced; the
  hub then posts again. (The hub's own transactions and nonce are its
  ``L1Sender``'s.)

``build_aggregate`` gathers, per chain in ascending id order, the run of
blocks after the chain's settled head whose cross level is CONFIRMED or
more (the block and, transitively, everything it depends on are confirmed),
each with the confirmation L1 will check (docs/settlement.md §6).

Which logs mean what is not hard-wired here: ``FactReader``\\s turn one log of
a finalized L1 block into a fact (``protocol.settlement.confirmation`` holds
the readers of the dispute-game and validity-verifier modules).
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum

from interlace.primitives.receipt import Log, Receipt
from interlace.primitives.rlp_codec import encode_rlp, encode_uint
from interlace.primitives.tx import Transaction
from interlace.primitives.types import U64, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.hub.tracker import HubTracker
from interlace.protocol.l1.modules import RollupKind
from interlace.protocol.settlement.aggregate import (
    SETTLEMENT_ABI,
    SETTLEMENT_ADDRESS,
    Aggregate,
    AggregateBlock,
)


class FactKind(Enum):
    """What L1 established about a rollup block."""

    PROVEN = "proven"
    """A validity proof of the block was accepted."""
    OUTPUT_VALID = "output_valid"
    """An output at the block resolved valid (it confirms its ancestors too)."""
    OUTPUT_INVALID = "output_invalid"
    """An output at the block resolved invalid (the challenger won)."""
    SETTLED = "settled"
    """An aggregate settled the block."""


@dataclass(frozen=True, slots=True)
class SettlementFact:
    """One fact from a finalized L1 block."""

    kind: FactKind
    chain_id: int
    number: int
    block_hash: Hash32


FactReader = Callable[[Log, Transaction], SettlementFact | None]
"""Reads one log (with the transaction that emitted it) of a finalized L1 block."""


_SETTLED = SETTLEMENT_ABI.event("BlockSettled")


def read_settled_fact(log: Log, _tx: Transaction) -> SettlementFact | None:
    """``BlockSettled`` of the hub settlement module → a SETTLED fact."""
    if log.address != SETTLEMENT_ADDRESS or not log.topics or log.topics[0] != _SETTLED.topic0:
        return None
    chain_id, number, block_hash = _SETTLED.decode_log(log.topics, log.data)
    return SettlementFact(FactKind.SETTLED, int(chain_id), int(number), Hash32(block_hash))


@dataclass(slots=True)
class SettlementFollower:
    """See the module docstring."""

    kinds: Mapping[int, RollupKind]
    """How each registered chain settles."""
    genesis: Mapping[int, Hash32]
    """Each chain's genesis hash (its settled head before any aggregate)."""
    readers: Sequence[FactReader] = ()
    """Readers of confirmation logs, besides the settlement module's own."""
    settled_at: dict[int, list[tuple[int, int, Hash32]]] = field(default_factory=dict)
    """Canonical L1 block → (chain, number, hash) its aggregates settled."""
    finalized_through: int = -1
    """Highest L1 block whose facts were returned by ``scan_finalized``."""
    confirmed_by: dict[tuple[int, int], int] = field(default_factory=dict)
    """(chain, number) → the number of the valid output that confirmed it (optimistic)."""

    # ---- canonical L1 blocks -----------------------------------------------------

    def scan(self, number: int, block: Block, receipts: Sequence[Receipt]) -> None:
        """Account for one canonical L1 block (in order; again after a reorg)."""
        settled: list[tuple[int, int, Hash32]] = []
        for tx, receipt in zip(block.transactions, receipts, strict=True):
            for log in receipt.logs:
                fact = read_settled_fact(log, tx)
                if fact is not None:
                    settled.append((fact.chain_id, fact.number, fact.block_hash))
        self.settled_at[number] = settled

    def forget_from(self, number: int) -> None:
        """An L1 reorg replaced blocks ``number`` and up."""
        for stale in [n for n in self.settled_at if n >= number]:
            del self.settled_at[stale]

    def settled_heads(self) -> dict[int, tuple[int, Hash32]]:
        """Per chain, the settled head on the canonical L1 chain (genesis if none)."""
        heads = {chain: (0, genesis) for chain, genesis in self.genesis.items()}
        for number in sorted(self.settled_at):
            for chain, block_number, block_hash in self.settled_at[number]:
                if block_number > heads.get(chain, (0, Hash32(b"")))[0]:
                    heads[chain] = (block_number, block_hash)
        return heads

    # ---- finalized L1 blocks -------------------------------------------------------------

    def scan_finalized(
        self, number: int, block: Block, receipts: Sequence[Receipt]
    ) -> list[SettlementFact]:
        """The facts one finalized L1 block establishes (call in order, once per block)."""
        facts: list[SettlementFact] = []
        readers = (read_settled_fact, *self.readers)
        for tx, receipt in zip(block.transactions, receipts, strict=True):
            if not receipt.success:
                continue
            for log in receipt.logs:
                for reader in readers:
                    fact = reader(log, tx)
                    if fact is not None:
                        facts.append(fact)
                        break
        self.finalized_through = number
        return facts

    def note_confirmation(self, tracker: HubTracker, fact: SettlementFact) -> None:
        """Remember which output confirmed which blocks (for the aggregate's references)."""
        if fact.kind is not FactKind.OUTPUT_VALID:
            return
        client = tracker.clients.get(fact.chain_id)
        if client is None:
            return
        number, want = fact.number, fact.block_hash
        while number >= 1:
            block = client.blocks.get(number)
            if block is None or block.block_hash != want:
                break
            if (fact.chain_id, number) in self.confirmed_by:
                break
            self.confirmed_by[(fact.chain_id, number)] = fact.number
            want, number = block.parent_hash, number - 1

    # ---- the next aggregate --------------------------------------------------------------

    def build_aggregate(
        self, tracker: HubTracker, hub_number: int, hub_state_root: Hash32, *, limit: int = 256
    ) -> Aggregate | None:
        """The next aggregate, or None if no chain has a newly confirmed block."""
        heads = self.settled_heads()
        blocks: list[AggregateBlock] = []
        for chain_id in sorted(self.kinds):
            client = tracker.clients.get(chain_id)
            head = heads.get(chain_id)
            if client is None or head is None:
                continue
            number, parent_hash = head
            run: list[AggregateBlock] = []
            while len(run) < limit:
                block = client.blocks.get(number + 1)
                if (
                    block is None
                    or block.parent_hash != parent_hash
                    or block.level == SafetyLevel.INVALID
                    or block.cross_level < SafetyLevel.CONFIRMED
                ):
                    break
                reference = self._reference(chain_id, block.number)
                if reference is None:
                    break
                run.append(
                    AggregateBlock(
                        chain_id=U64(chain_id),
                        number=U64(block.number),
                        block_hash=block.block_hash,
                        parent_hash=block.parent_hash,
                        dependencies=block.deps,
                        confirmation=reference,
                    )
                )
                number, parent_hash = block.number, block.block_hash
            if self.kinds[chain_id] == RollupKind.OPTIMISTIC:
                # An output confirms its ancestors; L1 checks it against the output's block,
                # so the run must reach that block.
                while run and self.confirmed_by.get((chain_id, run[-1].number)) != run[-1].number:
                    run.pop()
            blocks.extend(run)
        if not blocks:
            return None
        return Aggregate(U64(hub_number), hub_state_root, tuple(blocks))

    def _reference(self, chain_id: int, number: int) -> bytes | None:
        if self.kinds[chain_id] == RollupKind.VALIDITY:
            return b""
        output = self.confirmed_by.get((chain_id, number))
        return None if output is None else encode_rlp(encode_uint(output))
