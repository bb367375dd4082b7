"""The verifier node: derives a rollup from L1 data alone, giving its safe head, and checks
the sequencer's signed blocks against it.

The derivation is its ``RollupFollower`` (``rollup_follower.py``): every
canonical L1 block in order, the registered batcher's batches and the
portal's deposits, rebuilt with the sequencer's rules into the *safe*
chain, rewound on an L1 reorg (and, when it follows the hub, a block the
hub invalidated replaced by its rebuild). The node releases L1 bodies and
rollup states as soon as derivation is done with them (``state_floor``).

It also follows the sequencer's gossip (*unsafe* blocks, signature
checked) and reports conflicts as evidence, checked as the follower
derives and takes in the hub's verdicts (``FollowerChecks``):
- ``equivocation``: two validly signed envelopes at one height with
  different hashes; the chain's unsafe feed is then frozen. When it follows
  the hub, a second block may also be a rebuild the hub asked for, so the
  pair waits for the hub's judgement; a hub that keeps publishing without
  judging it missed the gossip (it was cut off or down), and the verifier
  gossips the pair again for it, backing off, until the hub has spoken;
- ``l1_conflict``: the block derived from L1 at a height differs from the
  one the sequencer signed.

Durability: the follower persists the derived chain and its cursor (see
there); evidence is persisted as it is found, and a restart reloads it.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Final

from interlace.primitives.envelope import decode_envelope, verify_envelope
from interlace.primitives.errors import InterlaceError, MalformedValue
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.types import Address, ChainId, Hash32
from interlace.protocol.hub.state import SafetyLevel
from interlace.protocol.l1.view import L1View
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.declaration import read_origin
from interlace.roles.base import (
    Broadcast,
    Effect,
    Event,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    Started,
    StoreView,
    Timestamp,
)
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    L1_BLOCKS_TOPIC,
    BlockGossip,
    HubBlockPublished,
    L1BlockPublished,
    rollup_blocks_topic,
)
from interlace.roles.records import (
    EvidenceKind,
    VerifierBadEnvelope,
    VerifierEvidence,
    VerifierEvidenceForwarded,
    VerifierRebuildSeen,
    VerifierWrongSigner,
)
from interlace.roles.rollup_follower import FollowerParams, RollupFollower

_EVIDENCE_KINDS: Final = frozenset(kind.value for kind in EvidenceKind)


class _Standing(Enum):
    """Whether a signed block at a judged height could stand."""

    CANONICAL = "canonical"
    """Its L1Origin is on this verifier's canonical L1, and no dependency is invalid."""
    STALE = "stale"
    """On a replaced L1 fork, depending on a block the hub invalidated, or unreadable."""
    UNKNOWN = "unknown"
    """Its L1Origin is above this verifier's L1 view: judged once the view reaches it."""


@dataclass(frozen=True, slots=True)
class VerifierParams:
    """Static parameters of a verifier node: what its ``RollupFollower`` needs (genesis,
    batcher, L1 node, drift, whether it follows the hub; with the hub, a second signed block
    at a height the hub invalidated is a dependency rebuild, not equivocation, and a
    conflict is judged once the hub has spoken) and the sequencer it checks."""

    follower: FollowerParams
    """What derivation needs."""
    sequencer_address: Address
    """Registered sequencer (signs the unsafe feed)."""

    @property
    def genesis(self) -> RollupGenesis:
        """The rollup's block 0."""
        return self.follower.genesis

    @property
    def follow_hub(self) -> bool:
        """Whether the verifier follows hub blocks."""
        return self.follower.follow_hub


@dataclass(frozen=True, slots=True)
class Evidence:
    """A provable conflict in a rollup's signed output."""

    kind: "EvidenceKind"
    """What the conflict is."""
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
        self.node_id = node_id
        self.params = params
        self.chain_id = params.genesis.chain_id
        self.follower = RollupFollower(params.follower, store, checks=self)
        """The safe chain, derived from L1 (and the hub's verdicts)."""
        self.unsafe: dict[int, dict[Hash32, bytes]] = {}
        self.evidence: list[Evidence] = []
        self.frozen = False
        self.suspects: dict[int, int] = {}
        """Heights with two signed blocks, waiting for the hub to say which case it is, with
        the hub deliveries heard since (see ``_forward_suspects``)."""
        self._restore(store)

    def subscriptions(self) -> tuple[str, ...]:
        topics = (L1_BLOCKS_TOPIC, rollup_blocks_topic(self.chain_id))
        return (*topics, HUB_BLOCKS_TOPIC) if self.params.follow_hub else topics

    @property
    def chain(self) -> RollupChain:
        """The safe chain."""
        return self.follower.chain

    @property
    def l1(self) -> L1View:
        """Its view of L1."""
        return self.follower.l1

    @property
    def safe_head(self) -> int:
        """Number of the highest block derived from L1."""
        return self.follower.safe_head

    @property
    def invalid_batches(self) -> int:
        """Batch entries dropped, and batches that did not decode."""
        return self.follower.invalid_batches

    def carried_through(self, l1_number: int) -> int:
        """See ``RollupFollower.carried_through``."""
        return self.follower.carried_through(l1_number)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        follower = self.follower
        if isinstance(event, Started):
            return follower.start(now)
        if not isinstance(event, MessageReceived):
            return []
        message = event.message
        if isinstance(message, BlockGossip):
            return self._on_gossip(message)
        if isinstance(message, L1BlockPublished):
            effects = follower.on_l1(message, now)
            follower.release_l1(follower.derived_l1 + 1)
        elif isinstance(message, HubBlockPublished):
            effects = follower.on_hub(event.sender, message, now)
        else:
            return []
        follower.chain.release_states_below(follower.state_floor())
        return effects

    # ---- checks as the follower goes (``FollowerChecks``) --------------------------

    def on_derived(self, number: int) -> list[Effect]:
        """Compare the derived block with the signed ones heard at its height."""
        return self._compare(number)

    def on_l1_derived(self) -> list[Effect]:
        """Judge again the pairs that waited for L1 to reach an origin."""
        return self._judge_suspects() if self.suspects else []

    def on_hub_block(self, message: HubBlockPublished) -> list[Effect]:
        """Note what the hub invalidated among the blocks heard, and judge waiting pairs."""
        for change in message.changes:
            if change.level == SafetyLevel.INVALID and change.chain_id == self.chain_id:
                self._note_invalid_contents(change.number, Hash32(change.block_hash))
        return self._judge_suspects()

    def on_hub_delivery(self) -> list[Effect]:
        """Gossip again a pair the hub has not judged."""
        return self._forward_suspects()

    # ---- unsafe gossip -----------------------------------------------------------

    def _on_gossip(self, message: BlockGossip) -> list[Effect]:
        if self.frozen or message.chain_id != self.chain_id:
            return []
        try:
            signed = verify_envelope(message.envelope, self.chain_id)
        except InterlaceError:
            return [VerifierBadEnvelope(chain=self.chain_id)]
        if signed.signer != self.params.sequencer_address:
            return [VerifierWrongSigner(chain=self.chain_id)]
        payload = signed.payload
        seen = self.unsafe.setdefault(payload.block_number, {})
        if payload.block_hash in seen:
            return []
        seen[payload.block_hash] = message.envelope
        effects: list[Effect] = []
        if len(seen) > 1:
            effects.extend(self._judge(payload.block_number))
        effects.extend(self._compare(payload.block_number))
        return effects

    def _judge(self, number: int) -> list[Effect]:
        """Two signed blocks at ``number``: a rebuild the hub asked for, or equivocation.

        Only blocks that could both stand are a pair: one on L1 history a reorg replaced,
        or on a block the hub invalidated (``_standing``), is a version the sequencer
        re-signed, on the new fork (an unsafe reorg) or without the invalid dependency.
        It is left out before the rest is judged, so it neither makes a pair nor counts
        against a rebuild (explorer seed 2674: after an L1 reorg the height had the old
        block, its re-sign on the new fork and that one's rebuild; the old block kept
        the rebuild waiting for a verdict the hub had given, and a later freeze of the
        chain for a real equivocation turned the rebuild into evidence).
        """
        seen = self.unsafe[number]
        standing = {h: self._standing(envelope) for h, envelope in seen.items()}
        pair = _fork_in(e for h, e in seen.items() if standing[h] is not _Standing.STALE)
        fork = {h: e for h, e in seen.items() if e in pair}
        if not fork:
            # At most one block that could stand, or blocks on different parents: an old
            # branch a rebuild replaced, or blocks above a fork that is judged at its own
            # height (the hub's rule too; explorer seed 1299 froze an honest chain on
            # such a pair).
            self.suspects.pop(number, None)
            return []
        if any(standing[h] is _Standing.UNKNOWN for h in fork):
            self.suspects.setdefault(number, 0)
            return []  # judged once this verifier's L1 view reaches both origins
        replaced = [h for h in fork if (number, h) in self.follower.hub_replaced]
        if replaced and len(fork) - len(replaced) <= 1:
            for h in replaced:  # the sequencer rebuilt what the hub invalidated
                del seen[h]
            self.suspects.pop(number, None)
            return [VerifierRebuildSeen(chain=self.chain_id, number=number)]
        if self.params.follow_hub and self.chain_id not in self.follower.hub_frozen:
            self.suspects.setdefault(number, 0)
            return []  # wait for the hub's judgement
        self.frozen = True
        self.suspects.clear()
        return [
            self._keep(
                Evidence(
                    EvidenceKind.EQUIVOCATION,
                    self.chain_id,
                    number,
                    tuple(fork),
                    tuple(fork.values()),
                )
            ),
            VerifierEvidence(
                chain=self.chain_id, evidence=EvidenceKind.EQUIVOCATION, number=number
            ),
        ]

    def _standing(self, envelope: bytes) -> "_Standing":
        """Whether a signed block could stand (the hub's rules for a pair too,
        ``HubTracker._judgeable_conflict``)."""
        try:
            transactions = decode_envelope(envelope)[2].transactions
            origin = read_origin(transactions).origin
        except InterlaceError:
            return _Standing.STALE  # not a block anyone can accept
        if self.follower.depends_on_invalid(transactions):
            return _Standing.STALE
        if origin.number > self.l1.head_number:
            return _Standing.UNKNOWN
        known = self.l1.hash_at(origin.number)
        if known is None:
            return _Standing.UNKNOWN
        return _Standing.CANONICAL if known == origin.hash else _Standing.STALE

    def _judge_suspects(self) -> list[Effect]:
        """Judge again each pair that waited (for the hub's word, or for L1 to reach an
        origin)."""
        effects: list[Effect] = []
        for number in sorted(self.suspects):
            if not self.frozen and number in self.unsafe and len(self.unsafe[number]) > 1:
                effects.extend(self._judge(number))
        return effects

    def _note_invalid_contents(self, number: int, signed_hash: Hash32) -> None:
        """Remember the transactions of a signed block the hub invalidated, if it was heard.

        After a sequencer signed a wrong state root, every later signed block differs
        from the derived one in its header alone (``l1_conflict``), so the hub's verdict
        names a hash this verifier never derives. The dependency that made the signed
        block invalid comes from its user transactions (the relays), so a derived block
        at that height with the same ones is invalid too, and its rebuild must replace it
        (explorer seed 601: the verifier waited for a verdict on its own hash that never
        came).
        """
        envelope = self.unsafe.get(number, {}).get(signed_hash)
        if envelope is None:
            return
        try:
            payload = decode_envelope(envelope)[2]
        except InterlaceError:
            return
        self.follower.note_invalid_contents(number, payload.transactions)

    def _replaced_by_rebuild(self, number: int, block_hash: Hash32, envelope: bytes) -> bool:
        """Whether a signed block is one the hub invalidated, or one that declares a block
        the hub invalidated as a dependency (the sequencer rebuilds both)."""
        if (number, block_hash) in self.follower.hub_invalid:
            return True
        try:
            transactions = decode_envelope(envelope)[2].transactions
        except InterlaceError:
            return False
        return self.follower.depends_on_invalid(transactions)

    def _forward_suspects(self) -> list[Effect]:
        """Gossip again the lowest fork the hub has not judged after a whole hub block.

        The first hub delivery after a conflict may have been sealed before
        the hub heard the second block itself; a later one that still does
        not judge it means the hub missed that gossip (cut off or down when
        it went out, and a sequencer serves only its own chain on a re-sync),
        so without this the equivocation would never be judged. A suspect is
        due at the 2nd, 4th, 8th, … delivery since it was seen (one the hub
        will not act on costs little), and only the lowest due fork goes, so
        the hub invalidates from the first equivocated height (forks sent
        together may arrive in any order). A fork is two blocks on one
        parent: blocks at one height on different parents are an old branch
        a rebuild replaced, or sit above a fork that is caught at its own
        height.
        """
        for number in self.suspects:
            self.suspects[number] += 1
        for number in sorted(self.suspects):
            heard = self.suspects[number]
            if heard < 2 or heard & (heard - 1):
                continue
            fork = _fork_in(self.unsafe[number].values())
            if not fork:
                continue
            topic = rollup_blocks_topic(self.chain_id)
            return [
                *(Broadcast(topic, BlockGossip(self.chain_id, envelope)) for envelope in fork),
                VerifierEvidenceForwarded(chain=self.chain_id, number=number),
            ]
        return []

    def _compare(self, number: int) -> list[Effect]:
        derived = self.chain.block_at(number)
        signed = self.unsafe.get(number)
        if derived is None or not signed or derived.hash in signed or number == 0:
            return []
        if (number, derived.hash) in self.follower.hub_invalid or self.follower.depends_on_invalid(
            tuple(tx.raw for tx in derived.transactions)
        ):
            return []  # L1 still carries a version the hub invalidated; its rebuild follows
        if all(self._replaced_by_rebuild(number, h, e) for h, e in signed.items()):
            return []  # the signed versions heard were rebuilt; L1 carries the rebuild
        if any(e.kind == "l1_conflict" and e.number == number for e in self.evidence):
            return []
        evidence = Evidence(
            EvidenceKind.L1_CONFLICT, self.chain_id, number, (derived.hash, *signed)
        )
        return [
            self._keep(evidence),
            VerifierEvidence(chain=self.chain_id, evidence=EvidenceKind.L1_CONFLICT, number=number),
        ]

    def _keep(self, evidence: Evidence) -> PersistBatch:
        """Remember evidence and persist it."""
        self.evidence.append(evidence)
        key = _EVIDENCE_KEY + len(self.evidence).to_bytes(4, "big")
        return PersistBatch(((key, _encode_evidence(evidence)),))

    # ---- restart ---------------------------------------------------------------------

    def _restore(self, store: StoreView) -> None:
        for _key, raw in store.iterate_prefix(_EVIDENCE_KEY):
            self.evidence.append(_decode_evidence(self.chain_id, raw))
        self.frozen = any(e.kind == "equivocation" for e in self.evidence)


_EVIDENCE_KEY: Final = b"ver/evidence/"


def _fork_in(envelopes: Iterable[bytes]) -> tuple[bytes, ...]:
    """The envelopes of one height that share a parent with another (empty if none do)."""
    by_parent: dict[Hash32, list[bytes]] = {}
    for envelope in envelopes:
        by_parent.setdefault(decode_envelope(envelope)[2].parent_hash, []).append(envelope)
    return next((tuple(group) for group in by_parent.values() if len(group) > 1), ())


def _encode_evidence(evidence: Evidence) -> bytes:
    return encode_rlp(
        [
            evidence.kind.value.encode(),
            encode_uint(evidence.number),
            list(evidence.hashes),
            list(evidence.envelopes),
        ]
    )


def _decode_evidence(chain_id: ChainId, raw: bytes) -> Evidence:
    kind, number, hashes, envelopes = read_list(decode_rlp(raw), 4, "evidence")
    text = read_bytes(kind).decode(errors="replace")
    if text not in _EVIDENCE_KINDS:
        raise MalformedValue(f"stored evidence of chain {chain_id} has unknown kind {text!r}")
    return Evidence(
        EvidenceKind(text),
        chain_id,
        read_u64(number),
        tuple(read_hash32(h) for h in read_list(hashes)),
        tuple(read_bytes(e) for e in read_list(envelopes)),
    )
