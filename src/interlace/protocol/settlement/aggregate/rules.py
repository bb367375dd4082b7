"""The settlement rules as pure functions: which blocks of an aggregate settle on top of what
is already settled, which are left out and why (``check_aggregate``)."""

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from interlace.primitives.types import U64, Hash32
from interlace.protocol.interop.messenger import Dependency
from interlace.protocol.settlement.aggregate.errors import AlreadySettled
from interlace.protocol.settlement.aggregate.format import Aggregate, AggregateBlock, block_ref


class SettledView(Protocol):
    """What the rules read of what is already settled."""

    def settled_head(self, chain_id: int) -> tuple[U64, Hash32] | None:
        """The chain's last settled block (its genesis at first), or None for an unknown chain."""
        ...

    def settled_hash(self, chain_id: int, number: int) -> Hash32 | None:
        """The hash of settled block ``number`` of the chain, or None if not settled."""
        ...


ConfirmationRule = Callable[[AggregateBlock], bool]
"""Whether a block's ``confirmation`` shows it confirmed; an unconfirmed block is left out."""


class ExclusionReason(IntEnum):
    """Why a block of an aggregate was left out (the ``reason`` of ``BlockExcluded``)."""

    UNKNOWN_CHAIN = 1
    """The chain has no registered genesis."""
    GAP = 2
    """The chain's first block in the aggregate is not its settled head + 1."""
    PARENT_MISMATCH = 3
    """The parent hash is not the settled head's (or the previous block's) hash."""
    NOT_CONFIRMED = 4
    """The confirmation rule does not accept the block's confirmation reference."""
    DEPENDENCY_NOT_SETTLED = 5
    """A dependency is neither settled nor in the aggregate."""
    DEPENDENCY_HASH_MISMATCH = 6
    """A dependency names a hash other than the settled (or aggregated) block's."""
    PARENT_EXCLUDED = 7
    """An earlier block of the same chain was left out."""
    DEPENDENCY_EXCLUDED = 8
    """A dependency is a block of this aggregate that was left out."""


@dataclass(frozen=True, slots=True)
class Exclusion:
    """A block left out of settlement, and why."""

    block: AggregateBlock
    """The block."""
    reason: ExclusionReason
    """The first rule it broke."""
    cause: Dependency | None
    """The dependency or parent at fault (None when the fault is the block's own)."""


@dataclass(frozen=True, slots=True)
class AggregateOutcome:
    """What settling an aggregate does: every block is either settled or excluded."""

    settled: tuple[AggregateBlock, ...]
    """Blocks that settle, in aggregate order."""
    excluded: tuple[Exclusion, ...]
    """Blocks left out, in aggregate order."""

    def new_heads(self) -> dict[int, tuple[U64, Hash32]]:
        """Per chain with a settled block: its new settled head (number, hash)."""
        return {b.chain_id: (b.number, b.block_hash) for b in self.settled}


def accept_all(_block: AggregateBlock) -> bool:
    """The default confirmation rule: every block counts as confirmed (the hub vouches)."""
    return True


def check_aggregate(
    view: SettledView, aggregate: Aggregate, is_confirmed: ConfirmationRule = accept_all
) -> AggregateOutcome:
    """Decide which blocks of ``aggregate`` settle on top of ``view``; pure.

    Raises ``AlreadySettled`` if any chain's run starts at or below its
    settled head. Otherwise a block settles unless it breaks a rule itself
    (``UNKNOWN_CHAIN``, ``GAP``, ``PARENT_MISMATCH``, ``NOT_CONFIRMED``, a
    dependency neither settled nor in the aggregate, or with another hash),
    or an earlier block of its chain or a dependency in the aggregate is left
    out, transitively across chains. Mutual dependencies inside one aggregate
    settle together. The settled set is the largest one closed under these
    rules, so nothing settles that depends on anything that does not.
    """
    blocks = aggregate.blocks
    by_key: dict[tuple[int, int], AggregateBlock] = {(b.chain_id, b.number): b for b in blocks}
    heads: dict[int, tuple[U64, Hash32] | None] = {}

    def head_of(chain_id: int) -> tuple[U64, Hash32] | None:
        if chain_id not in heads:
            heads[chain_id] = view.settled_head(chain_id)
        return heads[chain_id]

    for index, block in enumerate(blocks):
        if index and blocks[index - 1].chain_id == block.chain_id:
            continue
        head = head_of(block.chain_id)
        if head is not None and block.number <= head[0]:
            held = view.settled_hash(block.chain_id, block.number)
            what = "repeats" if held == block.block_hash else "contradicts"
            raise AlreadySettled(
                f"chain {block.chain_id} block {block.number} {what} a settled block"
                f" (settled head {head[0]})"
            )

    excluded: dict[tuple[int, int], Exclusion] = {}
    for index, block in enumerate(blocks):
        previous = blocks[index - 1] if index else None
        fault = _own_fault(
            view, head_of, by_key, previous=previous, block=block, is_confirmed=is_confirmed
        )
        if fault is not None:
            excluded[(block.chain_id, block.number)] = Exclusion(block, *fault)

    # Blocks of the aggregate that fall with each block: its child, then its dependents.
    fallout: dict[tuple[int, int], list[tuple[tuple[int, int], ExclusionReason]]] = {}
    for block in blocks:
        key: tuple[int, int] = (block.chain_id, block.number)
        if (block.chain_id, block.number - 1) in by_key:
            fallout.setdefault((block.chain_id, block.number - 1), []).append(
                (key, ExclusionReason.PARENT_EXCLUDED)
            )
        for dep in block.dependencies:
            if (dep.chain_id, dep.number) in by_key:
                fallout.setdefault((dep.chain_id, dep.number), []).append(
                    (key, ExclusionReason.DEPENDENCY_EXCLUDED)
                )
    queue = deque(excluded)
    while queue:
        fallen = queue.popleft()
        for key, reason in fallout.get(fallen, ()):
            if key not in excluded:
                excluded[key] = Exclusion(by_key[key], reason, block_ref(by_key[fallen]))
                queue.append(key)

    return AggregateOutcome(
        settled=tuple(b for b in blocks if (b.chain_id, b.number) not in excluded),
        excluded=tuple(
            excluded[(b.chain_id, b.number)] for b in blocks if (b.chain_id, b.number) in excluded
        ),
    )


def _own_fault(
    view: SettledView,
    head_of: Callable[[int], tuple[U64, Hash32] | None],
    by_key: Mapping[tuple[int, int], AggregateBlock],
    *,
    previous: AggregateBlock | None,
    block: AggregateBlock,
    is_confirmed: ConfirmationRule,
) -> tuple[ExclusionReason, Dependency | None] | None:
    """The first rule ``block`` breaks by itself (not through another block), if any."""
    if previous is not None and previous.chain_id == block.chain_id:
        if block.parent_hash != previous.block_hash:
            return ExclusionReason.PARENT_MISMATCH, block_ref(previous)
    else:
        head = head_of(block.chain_id)
        if head is None:
            return ExclusionReason.UNKNOWN_CHAIN, None
        parent = Dependency(block.chain_id, head[0], head[1])
        if block.number != head[0] + 1:
            return ExclusionReason.GAP, parent
        if block.parent_hash != head[1]:
            return ExclusionReason.PARENT_MISMATCH, parent
    if not is_confirmed(block):
        return ExclusionReason.NOT_CONFIRMED, None
    for dep in block.dependencies:
        dep_head = head_of(dep.chain_id)
        if dep_head is not None and dep.number <= dep_head[0]:
            held = view.settled_hash(dep.chain_id, dep.number)
        elif (dep.chain_id, dep.number) in by_key:
            held = by_key[(dep.chain_id, dep.number)].block_hash
        else:
            return ExclusionReason.DEPENDENCY_NOT_SETTLED, dep
        if held is None:
            return ExclusionReason.DEPENDENCY_NOT_SETTLED, dep
        if held != dep.block_hash:
            return ExclusionReason.DEPENDENCY_HASH_MISMATCH, dep
    return None


@dataclass(slots=True)
class MemorySettledView:
    """A ``SettledView`` held in memory: what the hub predicts L1 holds."""

    heads: dict[int, tuple[U64, Hash32]] = field(default_factory=dict)
    """Per chain, the settled head (number, hash)."""
    hashes: dict[tuple[int, int], Hash32] = field(default_factory=dict)
    """Per (chain, number), the settled block's hash."""

    def register(self, chain_id: int, genesis_hash: Hash32) -> None:
        """Register a chain with its genesis (block 0) as settled head."""
        self.heads[chain_id] = (U64(0), genesis_hash)
        self.hashes[(chain_id, 0)] = genesis_hash

    def apply(self, outcome: AggregateOutcome) -> None:
        """Record ``outcome``'s settled blocks."""
        for block in outcome.settled:
            self.hashes[(block.chain_id, block.number)] = block.block_hash
        self.heads.update(outcome.new_heads())

    def settled_head(self, chain_id: int) -> tuple[U64, Hash32] | None:
        """See ``SettledView``."""
        return self.heads.get(chain_id)

    def settled_hash(self, chain_id: int, number: int) -> Hash32 | None:
        """See ``SettledView``."""
        return self.hashes.get((chain_id, number))
