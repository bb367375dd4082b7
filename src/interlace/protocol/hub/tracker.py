"""The hub's view of every rollup: light clients, dependency graph and safety levels.

``HubTracker`` is pure state and rules; the hub role feeds it envelopes,
L1 blocks and time, and turns what it returns into hub blocks.

- **Light client per rollup** (``ingest_envelope``): the sequencer's
  signature (the registered sequencer), the parent link, the height,
  timestamp bounds, and the L1Origin consistency check: an origin the hub's
  L1 view has not reached waits, an origin on another fork is refused.
  Pre-confirmation trusts the signed ``blockHash`` as the sequencer's word;
  before a block becomes SAFE the hub checks that the hash really is the
  header of the payload's content (else the block is INVALID: the sequencer
  signed something no one can derive). This keeps header hashing off the
  pre-confirmation path.
- **Equivocation**: a second validly signed block at a height where the
  accepted block is still valid is kept as evidence with the first; the
  chain's client is frozen and the accepted block, its descendants and
  everything depending on them become INVALID. A block at a height whose
  accepted block is already INVALID (a dependency was invalidated) is the
  sequencer's rebuild, not an equivocation, and replaces it; a late copy of
  the block it replaced, or of one built on it (a verifier gossiping a
  suspect pair again), is a replay.
- **Dependencies** are read from the payload's declaration (no execution).
  A block whose dependency is unknown waits; one whose dependency is invalid
  or differs from the block the hub accepted is INVALID.
- **Levels**: PRECONFIRMED on acceptance; SAFE when a canonical L1 batch of
  the chain's registered batcher carries the block's exact content
  (timestamp, origin, user transactions, forwarded hub blocks) — the hub
  checks data availability without re-executing; CONFIRMED when L1 shows
  the block valid (``confirm``: a verified validity proof, or an output that
  resolved valid, which confirms its ancestors too) and the block is SAFE;
  FINALIZED when an aggregate holding it settled in a finalized L1 block
  (``finalize``). A fault game the challenger won says the *proposal* was
  false, not the block (a proposer can lie, or lose on time), so it never
  invalidates a block. ``cross_level`` is the minimum over
  the block, its parent and its dependencies, transitively. INVALID spreads
  to every descendant and dependent.
- **L1 reorgs**: blocks made SAFE by a replaced L1 block fall back to
  PRECONFIRMED; blocks whose L1Origin was replaced become INVALID.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from interlace.primitives.envelope import (
    ExecutionPayload,
    SignedEnvelope,
    compute_block_hash,
    decode_envelope,
    verify_envelope,
)
from interlace.primitives.errors import InputError, InterlaceError
from interlace.primitives.types import Address, ChainId, Hash32
from interlace.protocol.hub.records import (
    HubConfirmed,
    HubEvidenceKept,
    HubFinalized,
    HubInvalid,
    HubRebuilt,
    HubRejected,
    HubSafe,
    HubTrackerRecord,
)
from interlace.protocol.hub.state import BlockStatus, SafetyLevel
from interlace.protocol.interop.predeploys import Dependency
from interlace.protocol.rollup.declaration import (
    InvalidDeclaration,
    read_batch_content,
    read_dependencies,
    read_origin,
)
from interlace.protocol.rollup.derivation import BatchBlock

TIMESTAMP_TOLERANCE: Final = 5
"""Seconds a block's timestamp may be ahead of the hub's clock."""
MAX_PENDING: Final = 256
"""Envelopes waiting per chain (for a parent, an origin or a dependency)."""
MAX_EARLY_BATCHES: Final = 1024
"""Batch entries kept per chain for blocks the hub does not hold yet."""


class Rejected(InputError):
    """An envelope the light client refuses; the message says which check failed."""


class WrongSigner(Rejected):
    """Signed by a key other than the chain's registered sequencer."""


class OffBranch(Rejected):
    """A block that does not sit on the hub's branch of the chain at its height."""

    def __init__(self, message: str, number: int) -> None:
        super().__init__(message)
        self.number = number
        """The refused block's height (the hub's branch and the block's part below it)."""


class WrongParent(OffBranch):
    """The parent link does not match the block the hub holds at height − 1."""


class OtherBranch(OffBranch):
    """A second block at a held height, built on another parent than the held one: a
    branch the sequencer left, or one whose fork lies lower (judged where they part)."""


class OriginNotCanonical(Rejected):
    """The block's L1Origin is on another fork of the hub's L1 view."""


class ChainFrozen(Rejected):
    """The chain equivocated; its client accepts nothing more."""


class UnknownChain(Rejected):
    """No rollup with this chain id is registered."""


@dataclass(slots=True)
class TrackedBlock:
    """A rollup block the hub accepted."""

    chain_id: ChainId
    number: int
    block_hash: Hash32
    parent_hash: Hash32
    timestamp: int
    origin_number: int
    origin_hash: Hash32
    deps: tuple[Dependency, ...]
    content: tuple[tuple[bytes, ...], tuple[bytes, ...]]
    """(user transactions, forwarded hub blocks): what a batch entry must carry."""
    envelope: bytes
    level: SafetyLevel = SafetyLevel.PRECONFIRMED
    cross_level: SafetyLevel = SafetyLevel.PRECONFIRMED
    safe_in: tuple[int, Hash32] | None = None
    """The L1 block (number, hash) whose batch made it SAFE."""
    dependents: set[tuple[int, int]] = field(default_factory=set)
    """(chain, number) of accepted blocks that declare this one as a dependency."""


@dataclass(frozen=True, slots=True)
class HubEvidence:
    """Two validly signed blocks at one height."""

    chain_id: ChainId
    number: int
    envelopes: tuple[bytes, bytes]


class Outcome(Enum):
    """What ``HubTracker.ingest_envelope`` did with an envelope that passed its checks."""

    ACCEPTED = "accepted"
    """The block went in (with any waiting blocks it let through)."""
    WAITING = "waiting"
    """Kept until its L1Origin, parent or dependency arrives, or its conflict with the
    held block at its height can be judged (its L1Origin is beyond the hub's L1 view)."""
    KNOWN = "known"
    """A copy of a block the hub holds or waits on, or of history a rebuild replaced."""
    EQUIVOCATION = "equivocation"
    """A second block at a held height on the same parent: the pair is kept as
    evidence, the chain's client frozen and the held block invalidated onward."""


@dataclass(frozen=True, slots=True)
class Ingested:
    """The value ``ingest_envelope`` returns (a refused envelope raises instead)."""

    outcome: Outcome
    accepted: tuple["TrackedBlock", ...] = ()
    """Blocks accepted, in the order they went in: this one (``ACCEPTED``) and any waiting
    blocks that could go in on the same pass, whatever the outcome."""
    evidence: "HubEvidence | None" = None
    """The pair, with ``Outcome.EQUIVOCATION``."""


class _Verdict(Enum):
    """What ``_try_accept`` decided for a waiting envelope it did not accept."""

    WAIT = "wait"
    DROP = "drop"


class _Dependencies(Enum):
    """What the hub holds of a block's declared dependencies (``_dependency_standing``)."""

    HELD = "held"
    """Every one is a block the hub accepted and does not hold invalid."""
    WAIT = "wait"
    """One has not arrived yet (nor its rebuild, when the hub invalidated the source)."""
    INVALID = "invalid"
    """One is on no registered chain, invalid, or a version the hub did not accept."""


@dataclass(slots=True)
class RollupLightClient:
    """The light client of one rollup."""

    chain_id: ChainId
    sequencer: Address
    batcher: Address
    genesis_hash: Hash32
    blocks: dict[int, TrackedBlock] = field(default_factory=dict)
    pending: dict[Hash32, SignedEnvelope] = field(default_factory=dict)
    raw_pending: dict[Hash32, bytes] = field(default_factory=dict)
    frozen: bool = False
    head: int = 0
    superseded: set[Hash32] = field(default_factory=set)
    """Hashes of INVALID blocks a rebuild replaced and of blocks seen on them: a copy
    arriving later is no evidence."""
    early_batches: dict[int, tuple[BatchBlock, tuple[int, Hash32]]] = field(default_factory=dict)
    """Batch entries L1 carried before the hub held the block (or its rebuilt version): number
    → (entry, the L1 block (number, hash) that carried it), applied when the block arrives."""


class HubTracker:
    """See the module docstring."""

    def __init__(self) -> None:
        self.clients: dict[int, RollupLightClient] = {}
        self.l1_hashes: dict[int, Hash32] = {}
        self.l1_head = -1
        self.evidence: list[HubEvidence] = []
        self.changed: dict[tuple[int, int], BlockStatus] = {}
        """Status changes since the last hub block, by (chain, number)."""
        self.notes: list[HubTrackerRecord] = []
        """Observations for the timeline, drained by the role."""
        self.invalidated = 0
        self.confirmations: dict[int, dict[int, Hash32]] = {}
        """Per chain: block number → the hash L1 showed valid (applied once the block is SAFE)."""
        self.settlements: dict[int, dict[int, Hash32]] = {}
        """Per chain: block number → the hash an aggregate in a finalized L1 block settled
        (applied when the block is accepted, if the hub does not hold it yet)."""

    # ---- registry and L1 ------------------------------------------------------------

    def register(
        self,
        chain_id: ChainId,
        sequencer: Address,
        batcher: Address,
        genesis_hash: Hash32,
    ) -> None:
        """Start a light client for a registered rollup."""
        self.clients.setdefault(
            chain_id, RollupLightClient(chain_id, sequencer, batcher, genesis_hash)
        )

    def set_l1_block(self, number: int, block_hash: Hash32) -> None:
        """Record a canonical L1 block (re-sync or new head), handling replacements."""
        old = self.l1_hashes.get(number)
        if old is not None and old != block_hash:
            self._l1_replaced(number)
        self.l1_hashes[number] = block_hash
        self.l1_head = max(self.l1_head, number)

    def _l1_replaced(self, number: int) -> None:
        for stale in [n for n in self.l1_hashes if n >= number]:
            del self.l1_hashes[stale]
        self.l1_head = number - 1
        for client in self.clients.values():
            for early in [n for n, (_e, l1) in client.early_batches.items() if l1[0] >= number]:
                del client.early_batches[early]
            for block in sorted(client.blocks.values(), key=lambda b: b.number):
                if block.level == SafetyLevel.INVALID:
                    continue
                if block.origin_number >= number:
                    self._invalidate(block, "L1Origin reorged away")
                elif block.safe_in is not None and block.safe_in[0] >= number:
                    block.safe_in = None
                    if block.level == SafetyLevel.SAFE:
                        # Above SAFE, L1 has shown the block valid (from finalized L1
                        # blocks); only the batch must come again.
                        self._set_level(block, SafetyLevel.PRECONFIRMED)

    # ---- envelopes -----------------------------------------------------------------

    def ingest_envelope(
        self, chain_id: int, raw: bytes, now: float, *, restoring: bool = False
    ) -> Ingested:
        """Validate one signed envelope and say what became of it (``Ingested``).

        Raises a ``Rejected`` subclass (or a primitives decoding error) for an
        envelope that fails a check, changing nothing; an envelope that must wait
        is kept (``Outcome.WAITING``).
        """
        client = self.clients.get(chain_id)
        if client is None:
            raise UnknownChain(f"chain {chain_id} is not registered")
        signed = verify_envelope(raw, chain_id)
        if signed.signer != client.sequencer:
            raise WrongSigner(f"chain {chain_id} block signed by 0x{signed.signer.hex()}")
        payload = signed.payload
        number = payload.block_number
        existing = client.blocks.get(number)
        if existing is not None and existing.block_hash == payload.block_hash:
            return Ingested(Outcome.KNOWN)  # a replay of a block we hold
        if self._on_replaced_branch(client, payload):
            return Ingested(Outcome.KNOWN)  # a late copy of history a rebuild replaced
        if client.frozen:
            raise ChainFrozen(f"chain {chain_id} is frozen after equivocation")
        if existing is not None and existing.level != SafetyLevel.INVALID:
            if not self._judgeable_conflict(client, existing, payload):
                client.pending[payload.block_hash] = signed  # judged once L1 gets there
                client.raw_pending[payload.block_hash] = raw
                return Ingested(Outcome.WAITING)
            return Ingested(
                Outcome.EQUIVOCATION, evidence=self._equivocation(client, existing, raw)
            )
        if payload.timestamp > now + TIMESTAMP_TOLERANCE:
            raise Rejected(f"timestamp {payload.timestamp} is ahead of the hub clock")
        if len(client.pending) >= MAX_PENDING and not restoring:
            raise Rejected(f"chain {chain_id} has too many blocks waiting")
        client.pending[payload.block_hash] = signed
        client.raw_pending[payload.block_hash] = raw
        rejected: dict[Hash32, Rejected] = {}
        accepted = self._drain(client, now, rejected)
        own = rejected.get(payload.block_hash)
        if own is not None:
            raise own  # this envelope failed a check: the caller gets the typed error
        if payload.block_hash in client.pending:
            # It waits, but blocks that waited before it may have gone in on this drain.
            return Ingested(Outcome.WAITING, tuple(accepted))
        if any(block.block_hash == payload.block_hash for block in accepted):
            return Ingested(Outcome.ACCEPTED, tuple(accepted))
        # Draining judged it against a block at its height after all (or a frozen
        # chain dropped it): what it found is in the tracker's evidence.
        found = next(
            (e for e in self.evidence if e.chain_id == chain_id and raw in e.envelopes), None
        )
        if found is not None:
            return Ingested(Outcome.EQUIVOCATION, tuple(accepted), found)
        return Ingested(Outcome.KNOWN, tuple(accepted))

    def retry_pending(self, now: float) -> list[TrackedBlock]:
        """Re-check every waiting envelope (after new L1 blocks or accepted dependencies)."""
        accepted: list[TrackedBlock] = []
        for client in self.clients.values():
            accepted.extend(self._drain(client, now))
        return accepted

    def _drain(
        self, client: RollupLightClient, now: float, rejected: dict[Hash32, Rejected] | None = None
    ) -> list[TrackedBlock]:
        accepted: list[TrackedBlock] = []
        progress = True
        while progress:
            progress = False
            for block_hash, signed in sorted(
                client.pending.items(), key=lambda kv: kv[1].payload.block_number
            ):
                try:
                    verdict = self._try_accept(client, signed, client.raw_pending[block_hash])
                except Rejected as exc:
                    if rejected is not None:
                        rejected[block_hash] = exc
                    self.notes.append(HubRejected(chain=client.chain_id, reason=str(exc)))
                    verdict = _Verdict.DROP
                if verdict is _Verdict.WAIT:
                    continue
                client.pending.pop(block_hash, None)
                client.raw_pending.pop(block_hash, None)
                if isinstance(verdict, TrackedBlock):
                    accepted.append(verdict)
                progress = True
                break
        return accepted

    def _try_accept(
        self, client: RollupLightClient, signed: SignedEnvelope, raw: bytes
    ) -> TrackedBlock | _Verdict:
        payload = signed.payload
        number = payload.block_number
        if client.frozen:
            return _Verdict.DROP
        existing = client.blocks.get(number)
        if self._on_replaced_branch(client, payload):
            return _Verdict.DROP
        if existing is not None and existing.level != SafetyLevel.INVALID:
            if existing.block_hash != payload.block_hash:
                if not self._judgeable_conflict(client, existing, payload):
                    return _Verdict.WAIT
                self._equivocation(client, existing, raw)
            return _Verdict.DROP
        if number == 1:
            parent_hash, parent_ts, parent_origin = client.genesis_hash, 0, 0
        else:
            parent = client.blocks.get(number - 1)
            if parent is None:
                return _Verdict.WAIT
            if parent.block_hash != payload.parent_hash:
                if parent.level == SafetyLevel.INVALID:
                    return _Verdict.WAIT  # the rebuilt parent has not arrived yet
                raise WrongParent(
                    f"chain {client.chain_id} block {number} has the wrong parent", number
                )
            if parent.level == SafetyLevel.INVALID:
                return _Verdict.WAIT
            parent_hash, parent_ts, parent_origin = (
                parent.block_hash,
                parent.timestamp,
                parent.origin_number,
            )
        if payload.parent_hash != parent_hash:
            raise WrongParent(
                f"chain {client.chain_id} block {number} has the wrong parent", number
            )
        if payload.timestamp < parent_ts:
            raise Rejected("timestamp goes backwards")
        origin_number, origin_hash = _declared_origin(payload.transactions)
        if origin_number < parent_origin:
            raise Rejected("L1Origin goes backwards")
        if origin_number > self.l1_head:
            return _Verdict.WAIT
        if self.l1_hashes.get(origin_number) != origin_hash:
            raise OriginNotCanonical(
                f"chain {client.chain_id} block {number}: "
                f"L1Origin {origin_number} is on another fork"
            )
        try:
            deps = read_dependencies(payload.transactions)
        except InvalidDeclaration as exc:
            raise Rejected(f"malformed dependency declaration: {exc}") from exc
        standing = self._dependency_standing(deps)
        if standing is _Dependencies.WAIT:
            return _Verdict.WAIT
        invalid_dep = standing is _Dependencies.INVALID
        block = TrackedBlock(
            chain_id=client.chain_id,
            number=number,
            block_hash=payload.block_hash,
            parent_hash=payload.parent_hash,
            timestamp=payload.timestamp,
            origin_number=origin_number,
            origin_hash=origin_hash,
            deps=deps,
            content=read_batch_content(payload.transactions),
            envelope=raw,
        )
        replaced = client.blocks.get(number)
        client.blocks[number] = block
        client.head = max(client.head, number)
        for dep in deps:
            other = self.clients.get(dep.chain_id)
            held = other.blocks.get(dep.number) if other else None
            if held is not None and held.block_hash == dep.block_hash:
                held.dependents.add((client.chain_id, number))
        if replaced is not None:
            client.superseded.add(replaced.block_hash)
            self.notes.append(HubRebuilt(chain=client.chain_id, number=number))
        self._record(block)
        if invalid_dep:
            self._invalidate(block, "depends on an invalid block")
        else:
            self._refresh_cross(block)
            early = client.early_batches.pop(number, None)
            if early is not None and self.l1_hashes.get(early[1][0]) == early[1][1]:
                self._apply_entry(client, block, early[0], early[1])
        if self.settlements.get(client.chain_id, {}).get(number) == block.block_hash:
            self.finalize(client.chain_id, number, block.block_hash)
        return block

    # ---- equivocation and invalidity --------------------------------------------------

    def _judgeable_conflict(
        self, client: RollupLightClient, existing: TrackedBlock, payload: ExecutionPayload
    ) -> bool:
        """Whether a second block at a held height is equivocation the hub can judge now;
        False while its L1Origin is beyond the hub's L1 view. Raises ``Rejected`` (no
        evidence) for a block that could never be accepted, which an honest sequencer
        signs and replaces in the normal course:

        - one on L1 history a reorg replaced (``OriginNotCanonical``): a sequencer
          re-signs the heights whose origin a reorg removed (OP's unsafe reorg; explorer
          seed 757 froze an honest chain this way);
        - one built on another parent: a branch the sequencer left, whose conflict, if
          it is one, is judged where the branches part (two blocks on one parent);
        - one that depends on a block the hub holds invalid, or invalidated and saw
          replaced: the sequencer rebuilt it when it heard of that block, as the hub
          asks (explorer seed 7: the hub never
          held the first version, a verifier forwarded the pair, and an honest chain
          was frozen), or one the hub would hold INVALID for a dependency
          (``_dependency_standing``).

        While a dependency has not arrived the conflict waits too: the block may be
        the one its sequencer rebuilt once that dependency turned out invalid, which
        the hub learns only when it arrives (explorer seed 6446: a restarted hub
        replays its chains one after another, held a block's rebuild before the
        source chain that made the first version invalid, and froze an honest chain).
        """
        number = payload.block_number
        if payload.parent_hash != existing.parent_hash:
            raise OtherBranch(
                f"chain {client.chain_id} block {number} is on another branch than the "
                "hub's (a conflict counts where the branches part)",
                number,
            )
        origin_number, origin_hash = _declared_origin(payload.transactions)
        if origin_number > self.l1_head:
            return False
        if self.l1_hashes.get(origin_number) != origin_hash:
            raise OriginNotCanonical(
                f"chain {client.chain_id} block {number}: "
                f"L1Origin {origin_number} is on another fork"
            )
        try:
            deps = read_dependencies(payload.transactions)
        except InvalidDeclaration:
            deps = ()  # still two signed blocks at one height, whatever it declares
        for dep in deps:
            other = self.clients.get(dep.chain_id)
            if other is not None and dep.block_hash in other.superseded:
                raise Rejected(
                    f"chain {client.chain_id} block {number} depends on an invalid block "
                    f"(chain {dep.chain_id} block {dep.number}): its rebuild replaced it"
                )
        standing = self._dependency_standing(deps)
        if standing is _Dependencies.INVALID:
            raise Rejected(
                f"chain {client.chain_id} block {number} depends on an invalid block or on "
                "a version the hub did not accept: its sequencer rebuilds it"
            )
        return standing is _Dependencies.HELD

    def _dependency_standing(self, deps: Iterable[Dependency]) -> _Dependencies:
        """Whether the hub holds every dependency valid, waits on one, or holds one invalid
        (or another version of it, or has no such chain)."""
        invalid = False
        for dep in deps:
            other = self.clients.get(dep.chain_id)
            held = other.blocks.get(dep.number) if other else None
            if other is None:
                invalid = True  # no such chain
            elif held is None or (
                held.block_hash != dep.block_hash
                and held.level == SafetyLevel.INVALID
                and not other.frozen
            ):
                if not other.frozen:
                    return _Dependencies.WAIT  # the source (or its rebuild) has not arrived yet
                invalid = True
            elif held.block_hash != dep.block_hash or held.cross_level == SafetyLevel.INVALID:
                invalid = True  # a version the hub did not accept, or an invalid block
        return _Dependencies.INVALID if invalid else _Dependencies.HELD

    @staticmethod
    def _on_replaced_branch(client: RollupLightClient, payload: ExecutionPayload) -> bool:
        """Is the block one a rebuild replaced, or built on one?

        A rebuild re-signs every height from the invalid block up, so the old
        blocks above it sit on a superseded parent; a copy arriving late (a
        verifier gossiping a suspect pair again) is not a second version of
        its height. Such a block joins ``superseded``, for its own children.
        """
        if payload.block_hash in client.superseded:
            return True
        if payload.parent_hash in client.superseded:
            client.superseded.add(payload.block_hash)
            return True
        return False

    def _equivocation(
        self, client: RollupLightClient, existing: TrackedBlock, raw: bytes
    ) -> HubEvidence:
        client.frozen = True
        evidence = HubEvidence(client.chain_id, existing.number, (existing.envelope, raw))
        self.evidence.append(evidence)
        self.notes.append(HubEvidenceKept(chain=client.chain_id, number=existing.number))
        for number in sorted(n for n in client.blocks if n >= existing.number):
            self._invalidate(client.blocks[number], "equivocation")
        client.pending.clear()
        client.raw_pending.clear()
        return evidence

    def _invalidate(self, block: TrackedBlock, reason: str) -> None:
        work = [block]
        first = True
        while work:
            current = work.pop()
            if current.level in (SafetyLevel.INVALID, SafetyLevel.FINALIZED):
                continue  # finalized never moves back (settlement excluded anything unsound)
            current.level = SafetyLevel.INVALID
            current.cross_level = SafetyLevel.INVALID
            self.invalidated += 1
            self._record(current)
            self.notes.append(
                HubInvalid(
                    chain=current.chain_id,
                    number=current.number,
                    reason=reason if first else "cascade",
                )
            )
            first = False
            client = self.clients[current.chain_id]
            child = client.blocks.get(current.number + 1)
            if child is not None and child.parent_hash == current.block_hash:
                work.append(child)
            work.extend(self._dependents(current))

    def _dependents(self, block: TrackedBlock) -> list[TrackedBlock]:
        """Held blocks that declare ``block`` (exactly this version) as a dependency.

        ``dependents`` may name a height whose block was since rebuilt without
        the dependency; the rebuilt block must not inherit the old one's fate.
        """
        found: list[TrackedBlock] = []
        for chain, number in block.dependents:
            dependent = self.clients[chain].blocks.get(number)
            if dependent is not None and any(
                d.chain_id == block.chain_id
                and d.number == block.number
                and d.block_hash == block.block_hash
                for d in dependent.deps
            ):
                found.append(dependent)
        return found

    # ---- levels ----------------------------------------------------------------------

    def _set_level(self, block: TrackedBlock, level: SafetyLevel) -> None:
        if block.level == SafetyLevel.INVALID:
            return
        block.level = level
        self._record(block)
        self._refresh_cross(block)

    def _refresh_cross(self, start: TrackedBlock) -> None:
        """Recompute cross levels from ``start`` through descendants and dependents."""
        work = [start]
        while work:
            block = work.pop()
            if block.level == SafetyLevel.INVALID:
                continue
            cross: int = block.level
            client = self.clients[block.chain_id]
            parent = client.blocks.get(block.number - 1)
            if block.number > 1 and parent is not None:
                cross = min(cross, parent.cross_level)
            for dep in block.deps:
                other = self.clients.get(dep.chain_id)
                held = other.blocks.get(dep.number) if other else None
                if held is None or held.block_hash != dep.block_hash:
                    cross = SafetyLevel.UNKNOWN
                else:
                    cross = min(cross, held.cross_level)
            if cross == block.cross_level and block is not start:
                continue
            block.cross_level = SafetyLevel(cross)
            self._record(block)
            child = client.blocks.get(block.number + 1)
            if child is not None and child.parent_hash == block.block_hash:
                work.append(child)
            work.extend(self._dependents(block))

    def apply_batch(
        self, chain_id: int, entries: Iterable[BatchBlock], l1: tuple[int, Hash32]
    ) -> None:
        """Mark blocks SAFE whose exact content a canonical L1 batch carries."""
        client = self.clients.get(chain_id)
        if client is None:
            return
        for entry in entries:
            block = client.blocks.get(entry.number)
            if block is None or block.level == SafetyLevel.INVALID:
                # The batch can land before the block's gossip is accepted (it waited on a
                # dependency, or it is the rebuilt version): keep the entry for its arrival.
                if len(client.early_batches) < MAX_EARLY_BATCHES:
                    client.early_batches[entry.number] = (entry, l1)
                continue
            self._apply_entry(client, block, entry, l1)

    def _apply_entry(
        self,
        client: RollupLightClient,
        block: TrackedBlock,
        entry: BatchBlock,
        l1: tuple[int, Hash32],
    ) -> None:
        """Mark ``block`` SAFE if the canonical batch entry carries exactly its content."""
        matches = (
            block.timestamp == entry.timestamp
            and block.origin_number == entry.origin_number
            and block.origin_hash == entry.origin_hash
            and block.content == (entry.transactions, entry.hub_updates)
        )
        if not matches:
            return
        if block.level < SafetyLevel.SAFE and not _hash_matches_content(block):
            # Pre-confirmation trusted the sequencer's signed block hash; SAFE needs
            # the hash to be the header of this content, or it could never be derived.
            self._invalidate(block, "signed block hash does not match its payload")
            return
        if block.level < SafetyLevel.SAFE:
            block.safe_in = l1
            self._set_level(block, SafetyLevel.SAFE)
            self.notes.append(HubSafe(chain=client.chain_id, number=entry.number))
            self._promote(block)

    # ---- settlement: confirmed, finalized, proven invalid ---------------------------------

    def confirm(self, chain_id: int, number: int, block_hash: Hash32, *, ancestors: bool) -> int:
        """L1 showed block ``number`` with ``block_hash`` valid; returns how many blocks rose.

        ``ancestors`` (an optimistic output that resolved valid) confirms every
        held ancestor too, following parent links back to the last confirmed
        block whose parent is confirmed as well (an earlier walk may have stopped
        at a block the hub did not hold yet: explorer seed 8649); a validity
        proof confirms one block (L1 accepts them in order). A block that is not
        SAFE yet rises when its batch is seen.
        """
        client = self.clients.get(chain_id)
        if client is None:
            return 0
        known = self.confirmations.setdefault(chain_id, {})
        raised = 0
        want: Hash32 | None = block_hash
        while number >= 1 and want is not None:
            if known.get(number) == want and not (ancestors and self._walk_stopped(client, number)):
                break
            known[number] = want
            block = client.blocks.get(number)
            if block is None or block.block_hash != want:
                break
            raised += self._promote(block)
            if not ancestors:
                break
            want, number = block.parent_hash, number - 1
        return raised

    def _walk_stopped(self, client: RollupLightClient, number: int) -> bool:
        """Whether a confirmation walk ended at ``number`` before reaching its parent: the
        block is held now, above the genesis, and its parent's confirmation is unknown."""
        block = client.blocks.get(number)
        known = self.confirmations.get(client.chain_id, {})
        return block is not None and number > 1 and known.get(number - 1) != block.parent_hash

    def _promote(self, block: TrackedBlock) -> int:
        confirmed = self.confirmations.get(block.chain_id, {}).get(block.number)
        if block.level != SafetyLevel.SAFE or confirmed != block.block_hash:
            return 0
        self._set_level(block, SafetyLevel.CONFIRMED)
        self.notes.append(HubConfirmed(chain=block.chain_id, number=block.number))
        return 1

    def finalize(self, chain_id: int, number: int, block_hash: Hash32) -> bool:
        """An aggregate holding the block settled in a finalized L1 block: FINALIZED.

        A block the hub does not hold yet (its envelope waits, as after a restart whose
        L1 re-sync runs ahead of the replayed envelopes) is finalized when it is accepted.
        L1 settles each chain's blocks in order, and the hub accepts them in order, so a
        block is never finalized above an unfinalized parent.
        """
        self.settlements.setdefault(chain_id, {})[number] = block_hash
        client = self.clients.get(chain_id)
        block = client.blocks.get(number) if client else None
        if block is None or block.block_hash != block_hash:
            return False
        if block.level in (SafetyLevel.FINALIZED, SafetyLevel.INVALID):
            return False
        self._set_level(block, SafetyLevel.FINALIZED)
        self.notes.append(HubFinalized(chain=chain_id, number=number))
        return True

    def set_level(self, chain_id: int, number: int, block_hash: Hash32, level: SafetyLevel) -> None:
        """Raise a block's own level (settlement uses this for CONFIRMED and FINALIZED)."""
        client = self.clients.get(chain_id)
        block = client.blocks.get(number) if client else None
        if block is not None and block.block_hash == block_hash and level > block.level:
            self._set_level(block, level)

    # ---- queries ---------------------------------------------------------------------------

    def status(self, chain_id: int, number: int) -> BlockStatus | None:
        """The hub's status of a block, or None if it holds none at that height."""
        client = self.clients.get(chain_id)
        block = client.blocks.get(number) if client else None
        if block is None:
            return None
        return BlockStatus(block.block_hash, block.level, block.cross_level)

    def take_changes(self) -> dict[tuple[int, int], BlockStatus]:
        """Status changes since the last call (for the next hub block)."""
        changed, self.changed = self.changed, {}
        return changed

    def _record(self, block: TrackedBlock) -> None:
        self.changed[(block.chain_id, block.number)] = BlockStatus(
            block.block_hash, block.level, block.cross_level
        )


def _hash_matches_content(block: TrackedBlock) -> bool:
    """Does the signed payload's ``blockHash`` hash its own reconstructed header?"""
    try:
        _signature, parent_beacon_block_root, payload = decode_envelope(block.envelope)
    except InterlaceError:
        return False
    return compute_block_hash(payload, parent_beacon_block_root) == payload.block_hash


def _declared_origin(transactions: tuple[bytes, ...]) -> tuple[int, Hash32]:
    """L1Origin (number, hash) the payload declares; ``Rejected`` if it declares none."""
    try:
        origin = read_origin(transactions).origin
    except InvalidDeclaration as exc:
        raise Rejected(str(exc)) from exc
    return origin.number, origin.hash
