"""Following a rollup from L1 data alone: the safe chain, derived as the sequencer built it.

``RollupFollower`` is a component, not a role: a role that needs the rollup's
safe chain (the verifier node, the proposer and the challenger) owns one and
feeds it the L1 and hub blocks it hears. It reads every canonical L1 block
in order, takes the batches the rollup's registered batcher posted to the
inbox and the deposits the portal announced, and rebuilds each block with
the same rules the sequencer uses. A block derived this way is *safe*. A
batch entry that breaks the rules (wrong number, an origin that is not
canonical or skips ahead, a drifted block with user transactions, an
invalid transaction) is dropped, as OP drops invalid batches. On an L1
reorg it rewinds the safe chain to the blocks whose batches are still
canonical and derives again. When it follows the hub, a block the hub
published INVALID (or one that declares such a block as a dependency) is
replaced by its rebuild, held aside until the hub's verdict arrives.

It releases nothing by itself: its owner releases L1 bodies
(``release_l1``) and rollup states (``chain.release_states_below``) once
it has read what it needs, no lower than ``state_floor``: the last block
whose batch is in a finalized L1 block and, when it follows the hub, the
last block the hub reported cross-FINALIZED (only a block the hub
invalidated is ever replaced).

An owner that checks the chain as it grows (the verifier's evidence) passes
``FollowerChecks``; they run where derivation and the hub's verdicts change
what the follower knows, and their effects come in order with its own.

Durability: every derived block is persisted with the L1 block (number and
hash) that carried its batch, together with the derivation cursor, under
the verifier's keys (``ver/``) in the owner's store. The stored blocks are
always exactly the chain in memory: each L1 block derived, and each L1
reorg rewind, ends in one batch that rewrites every height a rewind
replaced (a hub rebuild re-derives a height in the same L1 block) and
deletes those above the head. A restart replays the stored blocks, re-syncs
L1, and rewinds whatever was derived from L1 blocks that are no longer
canonical.
"""

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.tx import (
    DepositTransaction,
    Transaction,
    decode_transaction,
)
from interlace.primitives.types import Address, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.l1.view import L1View
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.declaration import (
    InvalidDeclaration,
    read_batch_content,
    read_dependencies,
)
from interlace.protocol.rollup.derivation import (
    BatchBlock,
    L1Origin,
    batches_in_l1_block,
    decode_batch,
    deposits_in_l1_block,
)
from interlace.roles.base import (
    Effect,
    NodeId,
    PersistBatch,
    StoreView,
    Timestamp,
)
from interlace.roles.hub_sync import HubFollower
from interlace.roles.l1_node import decode_stored_block, encode_stored_block
from interlace.roles.l1_sync import L1Sync
from interlace.roles.messages import (
    HubBlockPublished,
    L1BlockPublished,
    follow_l1,
)
from interlace.roles.names import L1_NODE
from interlace.roles.records import (
    Record,
    SafeReorgCause,
    VerifierBadBatch,
    VerifierHeldAside,
    VerifierSafe,
    VerifierSafeReorg,
)
from interlace.roles.sequencer import (
    OriginFacts,
    decode_origin,
    encode_origin,
    hub_finalized_through,
    origin_at,
    release_origin_bodies,
)


@dataclass(frozen=True, slots=True)
class FollowerParams:
    """What following a rollup needs."""

    genesis: RollupGenesis
    """The rollup's block 0."""
    batcher_address: Address
    """Registered batcher (only its batches count)."""
    l1_node: NodeId = L1_NODE
    """Where to re-sync L1 from."""
    max_drift: int = 30
    """Same drift rule as the sequencer's."""
    follow_hub: bool = False
    """Follow hub blocks: a block the hub invalidated is replaced by its rebuild."""


class FollowerChecks(Protocol):
    """What an owner checks as the follower goes (``VerifierNode``: its evidence)."""

    def on_derived(self, number: int) -> list[Effect]:
        """Block ``number`` was just derived from L1."""

    def on_l1_derived(self) -> list[Effect]:
        """An L1 block's batches were derived (before the follower re-syncs L1)."""

    def on_hub_block(self, message: HubBlockPublished) -> list[Effect]:
        """The follower took in the verdicts of one hub block."""

    def on_hub_delivery(self) -> list[Effect]:
        """A hub delivery let blocks through (before held-aside entries are applied)."""


class RollupFollower:
    """See the module docstring."""

    def __init__(
        self, params: FollowerParams, store: StoreView, checks: FollowerChecks | None = None
    ) -> None:
        self.params = params
        self.checks = checks
        self.chain_id = params.genesis.chain_id
        self.chain = RollupChain(params.genesis)
        self.l1 = L1View()
        self.l1_sync = L1Sync(self.params.l1_node)
        self.released_origins: dict[int, OriginFacts] = {}
        """Facts of the L1 blocks whose bodies ``l1`` released (a rebuild may build on them)."""
        self.hub_finalized = 0
        """Highest derived block the hub reported cross-FINALIZED."""
        self.derived_l1 = -1
        """Highest L1 block whose batches have been derived."""
        self.included_in: dict[int, tuple[int, Hash32]] = {}
        """Rollup block number → (L1 number, L1 hash) of the block that carried its batch."""
        self.invalid_batches = 0
        self.held_aside: list[tuple[BatchBlock, int]] = []
        """A batch entry at a derived height that differs from the derived block, and the
        entries after it that failed on top of the derived chain, each with the L1 block
        that carried it (``_hold_aside``)."""
        self.hub_invalid: set[tuple[int, Hash32]] = set()
        self.hub_replaced: set[tuple[int, Hash32]] = set()
        """(height, hash) of this chain's blocks the hub published INVALID in a hub block
        that does not freeze the chain: for an L1 reorg or a dependency, never for
        equivocation (the hub freezes the chain as it invalidates the pair's height), so
        their sequencer re-signs those heights and a block at one is its rebuild, also
        once the hub froze the chain for an equivocation elsewhere."""
        self.invalid_contents: set[tuple[int, Hash32]] = set()
        """(height, digest of the user transactions) of signed blocks the hub invalidated."""
        self.invalid_sources: set[tuple[int, int, Hash32]] = set()
        """(chain, height, hash) of every block the hub published INVALID (any chain)."""
        self.hub_frozen: set[int] = set()
        self.hub = HubFollower()
        self._stored_through = 0
        """Highest height whose stored block is the one in memory (``_persist`` writes above)."""
        self._stored_head = 0
        """Highest height with a stored block."""
        self._restore(store)

    @property
    def safe_head(self) -> int:
        """Number of the highest block derived from L1."""
        return self.chain.head.number

    def carried_through(self, l1_number: int) -> int:
        """Highest derived block whose batch is in L1 block ``l1_number`` or below (0 if none).

        Batches are derived in L1 order, so the carrying L1 numbers never go down.
        """
        head = self.chain.head.number
        return bisect_right(range(1, head + 1), l1_number, key=lambda n: self.included_in[n][0])

    def state_floor(self) -> int:
        """Lowest block a rewind can still reach (see the module docstring)."""
        floor = self.carried_through(self.l1.settled_through)
        if self.params.follow_hub:
            floor = min(floor, self.hub_finalized)
        return floor

    def start(self, now: Timestamp) -> list[Effect]:
        """Sync L1 from genesis (the owner started)."""
        return self.l1_sync.request(0, now)

    # ---- hub verdicts --------------------------------------------------------------

    def on_hub(self, sender: NodeId, message: HubBlockPublished, now: Timestamp) -> list[Effect]:
        """Take in a hub delivery: the verdicts of each hub block it lets through, then the
        held-aside entries they let replace the derived chain."""
        checks = self.checks
        steps = self.hub.accept(sender, message, now)
        effects = list(steps.effects)
        for block in steps.ready:
            self._on_hub_block(block)
            if checks is not None:
                effects.extend(checks.on_hub_block(block))
        if steps.ready:  # once per delivery, however many blocks it let through
            if checks is not None:
                effects.extend(checks.on_hub_delivery())
            effects.extend(self._apply_held_aside())
        return effects

    def _on_hub_block(self, message: HubBlockPublished) -> None:
        for change in message.changes:
            if change.level != SafetyLevel.INVALID:
                continue
            self.invalid_sources.add((change.chain_id, change.number, Hash32(change.block_hash)))
            if change.chain_id == self.chain_id:
                self.hub_invalid.add((change.number, Hash32(change.block_hash)))
                if self.chain_id not in message.frozen:
                    self.hub_replaced.add((change.number, Hash32(change.block_hash)))
        self.hub_frozen = set(message.frozen)
        self.hub_finalized = hub_finalized_through(self.chain, message.changes, self.hub_finalized)

    def note_invalid_contents(self, number: int, transactions: tuple[bytes, ...]) -> None:
        """Remember the user transactions of a signed block the hub invalidated at
        ``number``: a derived block there with the same ones is invalid too
        (``VerifierNode._note_invalid_contents`` says why)."""
        self.invalid_contents.add((number, _contents_digest(transactions)))

    def _hub_invalidated(self, block: Block) -> bool:
        """Whether the hub invalidated ``block``, a signed block at its height with the
        same user transactions (``_note_invalid_contents``), or a block ``block`` declares
        as a dependency.

        The last is the hub's cascade rule (and the sequencer's rebuild rule), applied
        here because the hub can only publish a block INVALID that it has heard: when
        the gossip of a dependent block was lost, the hub never names it, the sequencer
        still rebuilds it, and the rebuild's batch was held aside for a verdict that
        never came (explorer seed 9248).
        """
        if (block.number, block.hash) in self.hub_invalid:
            return True
        raw = tuple(tx.raw for tx in block.transactions)
        if self.depends_on_invalid(raw):
            return True
        if not self.invalid_contents:
            return False
        return (block.number, _contents_digest(raw)) in self.invalid_contents

    def depends_on_invalid(self, transactions: tuple[bytes, ...]) -> bool:
        """Whether a block with these transactions declares a dependency the hub published
        INVALID (the hub cascades such a block to INVALID, and its sequencer rebuilds it)."""
        try:
            deps = read_dependencies(transactions)
        except InvalidDeclaration:
            return False  # a declaration that does not decode names no invalid block
        return any((d.chain_id, d.number, d.block_hash) in self.invalid_sources for d in deps)

    # ---- derivation ----------------------------------------------------------------

    def on_l1(self, message: L1BlockPublished, now: Timestamp) -> list[Effect]:
        """Follow one L1 block: rewind what a reorg replaced, derive what is complete, and
        ask for the L1 blocks the view lacks."""
        replaced = follow_l1(self.l1, message)
        effects: list[Effect] = []
        stale = self._first_stale_inclusion()
        if stale is not None:
            replaced = stale if replaced is None else min(replaced, stale)
        if replaced is not None and replaced <= self.derived_l1:
            effects.extend(self._rewind(replaced))
        effects.extend(self._derive_ready())
        if self.checks is not None:
            effects.extend(self.checks.on_l1_derived())
        if self.derived_l1 < self.l1.head_number:
            # From the first block the view lacks: after a restart the view is empty below
            # the restored cursor, and a view with a hole never completes (explorer seed 40).
            first = min(self.derived_l1 + 1, self.l1.complete_through + 1)
            effects.extend(self.l1_sync.request(first, now))
        return effects

    def _derive_ready(self) -> list[Effect]:
        """Derive the complete L1 blocks not yet derived, in order, each persisted with the
        cursor."""
        effects: list[Effect] = []
        while self.derived_l1 + 1 <= self.l1.complete_through:
            effects.extend(self._derive_from(self.derived_l1 + 1))
            self.derived_l1 += 1
            effects.append(self._persist())
        return effects

    def release_l1(self, cursor: int) -> None:
        """Release L1 bodies below ``cursor`` and below what derivation still reads."""
        release_origin_bodies(
            self.l1, self.released_origins, min(cursor, self.derived_l1 + 1), self.chain_id
        )

    def _first_stale_inclusion(self) -> int | None:
        """Lowest L1 number carrying one of our batches whose block is no longer canonical."""
        stale = [
            number
            for number, block_hash in set(self.included_in.values())
            if self.l1.hash_at(number) not in (None, block_hash)
        ]
        return min(stale, default=None)

    def _rewind(self, replaced: int) -> list[Effect]:
        keep = self.chain.head.number
        while keep > 0 and self.included_in.get(keep, (-1, b""))[0] >= replaced:
            keep -= 1
        dropped = self._drop_above(keep)
        self.derived_l1 = min(self.derived_l1, replaced - 1)
        kept = [i for i, (_entry, l1_number) in enumerate(self.held_aside) if l1_number >= replaced]
        if kept:
            del self.held_aside[kept[0] :]  # what the reorg took is derived again, if still there
        return [
            self._persist(),
            VerifierSafeReorg(chain=self.chain_id, to=keep, dropped=len(dropped)),
        ]

    def _rewind_invalid(self, number: int) -> list[Effect]:
        """Drop the blocks from ``number`` up; the caller derives their replacement and persists
        the result with the L1 block that carried it (``_persist``)."""
        dropped = self._drop_above(number - 1)
        return [
            VerifierSafeReorg(
                chain=self.chain_id,
                to=number - 1,
                dropped=len(dropped),
                cause=SafeReorgCause.HUB_INVALID,
            ),
        ]

    def _drop_above(self, keep: int) -> list[Block]:
        """Rewind the safe chain to ``keep``; the one way blocks leave it (see ``_persist``)."""
        dropped = self.chain.rewind(keep)
        for block in dropped:
            self.included_in.pop(block.number, None)
        self._stored_through = min(self._stored_through, keep)
        return dropped

    def _persist(self) -> PersistBatch:
        """Write the store to exactly the chain in memory, with the derivation cursor.

        The blocks above ``_stored_through`` are rewritten (a rewind may have replaced them
        with others at the same heights) and stored ones above the head are deleted, so a
        restart replays a chain whose every parent is the block stored below it.
        """
        head = self.chain.head.number
        writes: list[tuple[bytes, bytes | None]] = [
            (_CURSOR_KEY, self.derived_l1.to_bytes(8, "big", signed=True))
        ]
        for number in range(self._stored_through + 1, head + 1):
            l1_number, l1_hash = self.included_in[number]
            stored = [
                encode_stored_block(self.chain.blocks[number]),
                encode_origin(self.chain.origin_at(number)),
                encode_uint(l1_number),
                l1_hash,
            ]
            writes.append((_block_key(number), encode_rlp(stored)))
        writes.extend((_block_key(n), None) for n in range(head + 1, self._stored_head + 1))
        self._stored_through = self._stored_head = head
        return PersistBatch(tuple(writes))

    def _derive_from(self, l1_number: int) -> list[Effect]:
        """Derive the batches of one L1 block."""
        l1_block = self.l1.block(l1_number)
        assert l1_block is not None  # derivation runs only up to complete_through
        receipts = self.l1.receipts_at(l1_number)
        effects: list[Effect] = []
        for data in batches_in_l1_block(
            l1_block, receipts, self.chain_id, self.params.batcher_address
        ):
            try:
                batch = decode_batch(data)
            except InterlaceError as exc:
                self.invalid_batches += 1
                effects.append(VerifierBadBatch(chain=self.chain_id, reason=str(exc)))
                continue
            for entry in batch.blocks:
                if entry.number <= self.chain.head.number:
                    derived = self.chain.blocks[entry.number]
                    if entry.number == 0:
                        continue
                    if not self._hub_invalidated(derived):
                        effects.extend(self._hold_aside(entry, derived, l1_number))
                        continue  # already derived (a resubmitted batch), or held aside
                    # A replacement for a block the hub proved invalid (its dependency was):
                    # the one case where the safe head may move back (DESIGN.md §5, inv. 5).
                    effects.extend(self._rewind_invalid(entry.number))
                problem = self._apply_entry(entry, l1_number)
                if problem is not None and self._continues_held_aside(entry):
                    self.held_aside.append((entry, l1_number))
                    continue  # built on the held-aside block, not on ours
                if problem is None and self.held_aside:
                    self.held_aside = []  # our chain went on: what was held aside was stale
                effects.append(self._outcome(entry, l1_number, problem))
                if problem is not None:
                    break
                if self.checks is not None:
                    effects.extend(self.checks.on_derived(entry.number))
        return effects

    def _outcome(self, entry: BatchBlock, l1_number: int, problem: str | None) -> Effect:
        """The record of one applied (or refused) batch entry."""
        if problem is not None:
            self.invalid_batches += 1
            return VerifierBadBatch(chain=self.chain_id, number=entry.number, reason=problem)
        return VerifierSafe(
            chain=self.chain_id,
            number=entry.number,
            hash=self.chain.head.hash.hex()[:16],
            l1=l1_number,
        )

    def _hold_aside(self, entry: BatchBlock, derived: Block, l1_number: int) -> list[Effect]:
        """Keep a batch entry at a derived height that is another block than the derived one,
        in case the hub invalidates the derived block.

        A sequencer rebuilds a block only after the hub published it INVALID, and
        the rebuilt batch can reach L1 before that hub block reaches this verifier
        (it was cut off, or down). Dropping the entry as already derived lost the
        rebuild for good: every later batch builds on it and failed (explorer seed
        247). So the entry, and the entries after it that fail on the derived chain,
        are held aside and applied when the hub's verdict arrives
        (``_apply_held_aside``). Most such entries are stale copies (a batch re-sent
        around an L1 reorg): the derived chain then goes on and they are dropped, as
        OP drops a batch for a past height. Without the hub nothing is held.
        """
        if not self.params.follow_hub or self.chain_id in self.hub_frozen:
            return []
        if entry.number <= self.hub_finalized:
            return []
        if self._continues_held_aside(entry):
            # The next block of the held-aside chain, at a height derived too: a rebuild
            # re-signs the blocks above on the new parent, and an entry does not name its
            # parent, so it may even equal the derived one. Dropped, the held chain
            # stopped below it for good (explorer seed 9248 with the verifier cut off
            # from the hub: the safe head stayed one above the rebuild).
            self.held_aside.append((entry, l1_number))
            return []
        if _entry_describes(entry, derived, self.chain.origin_at(entry.number)):
            return []
        if self.held_aside and self.held_aside[0][0].number < entry.number:
            return []  # a differing copy above the held ones, not next to them
        self.held_aside = [(entry, l1_number)]
        return [VerifierHeldAside(chain=self.chain_id, number=entry.number, l1=l1_number)]

    def _continues_held_aside(self, entry: BatchBlock) -> bool:
        return (
            bool(self.held_aside)
            and entry.number == self.held_aside[-1][0].number + 1
            and len(self.held_aside) < MAX_HELD_ASIDE
        )

    def _apply_held_aside(self) -> list[Effect]:
        """Replace the derived chain with the held-aside entries once the hub has
        invalidated the derived block they replace."""
        if not self.held_aside:
            return []
        first = self.held_aside[0][0].number
        derived = self.chain.block_at(first)
        if derived is None or not self._hub_invalidated(derived):
            return []
        held, self.held_aside = self.held_aside, []
        effects = self._rewind_invalid(first)
        for entry, l1_number in held:
            problem = self._apply_entry(entry, l1_number)
            effects.append(self._outcome(entry, l1_number, problem))
            if problem is not None:
                break
        effects.append(self._persist())
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
        origin = origin_at(self.l1, self.released_origins, entry.origin_number)
        if origin is None or origin.hash != entry.origin_hash:
            return "origin is not canonical"
        if entry.timestamp < chain.head.header.timestamp:
            return "timestamp goes backwards"
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
            deposits = self._deposits_of(origin)
        built = chain.build_next(
            origin, deposits, txs, entry.timestamp, hub_updates=entry.hub_updates
        )
        if built.rejected:
            return f"invalid transaction: {built.rejected[0][1]}"
        chain.append(built, origin)
        l1_hash = self.l1.hash_at(l1_number)
        assert l1_hash is not None
        self.included_in[entry.number] = (l1_number, l1_hash)
        return None

    def _deposits_of(self, origin: L1Origin) -> list[DepositTransaction]:
        facts = self.released_origins.get(origin.number)
        if facts is not None and facts.origin.hash == origin.hash:
            return list(facts.deposits)
        block = self.l1.block(origin.number)
        assert block is not None and block.hash == origin.hash
        return deposits_in_l1_block(block, self.l1.receipts_at(origin.number), self.chain_id)

    # ---- restart ---------------------------------------------------------------------

    def _restore(self, store: StoreView) -> None:
        for _key, raw in store.iterate_prefix(_BLOCK_KEY):
            block_raw, origin_item, l1_number, l1_hash = read_list(
                decode_rlp(raw), 4, "verifier block"
            )
            block = decode_stored_block(read_bytes(block_raw))
            self.chain.replay(block, decode_origin(origin_item))
            self.included_in[block.number] = (
                read_u64(l1_number),
                read_hash32(l1_hash),
            )
        self._stored_through = self._stored_head = self.chain.head.number
        cursor = store.get(_CURSOR_KEY)
        if cursor is not None:
            self.derived_l1 = int.from_bytes(cursor, "big", signed=True)


MAX_HELD_ASIDE: Final = 4096
"""Most batch entries a follower holds aside for a replacement the hub has not judged."""
_BLOCK_KEY: Final = b"ver/block/"
_CURSOR_KEY: Final = b"ver/cursor"


def _entry_describes(entry: BatchBlock, block: Block, origin: L1Origin) -> bool:
    """Whether a batch entry is the one ``block`` was derived from (a resubmitted batch):
    the hub's content match (``read_batch_content``), with the timestamp and the origin."""
    if entry.timestamp != block.header.timestamp or entry.origin_hash != origin.hash:
        return False
    content = read_batch_content(tuple(tx.raw for tx in block.transactions))
    return content == (entry.transactions, entry.hub_updates)


def _contents_digest(transactions: tuple[bytes, ...]) -> Hash32:
    """keccak256 of the RLP list of a block's user transactions (what its dependencies come
    from; the deposits differ with the header chain: the dependency declaration's source
    hash covers the parent hash)."""
    return keccak256(encode_rlp(list(read_batch_content(transactions)[0])))


def _block_key(number: int) -> bytes:
    return _BLOCK_KEY + number.to_bytes(8, "big")


def without_records(effects: Iterable[Effect]) -> list[Effect]:
    """A follower's effects for an owner that is not a verifier node: its store writes and
    L1 syncs, not its timeline (the verifier node records what derivation does)."""
    return [e for e in effects if not isinstance(e, Record)]
