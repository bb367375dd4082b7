"""The exit-root settler: takes its rollup's local exit root into L1 after each aggregate.

One per rollup (node ``bridge-<chain>``), run when the plan's
``settlement.settle_exit_roots`` is on. It follows the rollup from L1 data alone (a
``RollupFollower``, as the proposer and the challenger do), so the exits and claims it
certifies are its own derivation, and reads from canonical L1 blocks what L1 holds:

- which blocks of its chain an aggregate settled (``BlockSettled``) and which of those L1
  knows the state root of (``BlockProven`` of the block, or ``GameResolved`` valid for an
  output at it), the same facts ``settled_state_root`` checks;
- its network's settled local exit roots (``LocalExitRootSettled``: the last settled
  block and how many certificates L1 took, the next height);
- every global exit root L1 recorded (``UpdateL1InfoTree``), which its certificate's
  imports prove against.

When the highest such block is above the last settled one and the blocks between hold a
bridge exit or claim, it builds the chain's certificate (``build_submission``: the trees
rebuilt from the chain's whole bridge history, the exits from ``BridgeEvent`` logs, the
imports from the claim transactions) with storage proofs of the bridge's
``lastLocalExitRoot`` and ``importedExitsHash`` against the block's state, and sends
``settleLocalExitRoot`` through its ``L1Sender`` (one in flight; one not landed after
``resubmit_after`` seconds of the L1's clock is sent again). A range that breaks the
accounting rule is not sent: ``settler.refused`` names the refusal L1 would give, once
per block. A transaction L1 reverts is recorded (``settler.reverted``) and that block is
not tried again; a later block is. One an L1 reorg removed is tried again.

Durability: none of its own. A restart re-derives the chain (the follower's store) and
re-reads L1; a transaction in flight when it stopped lands or is dropped, and the next
one takes its nonce from L1.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from interlace.primitives.errors import InterlaceError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import Receipt
from interlace.primitives.types import ChainId, Hash32, to_hex
from interlace.protocol.bridge.accounting import ImportedBridgeExit
from interlace.protocol.bridge.certificate import (
    IMPORTS_GENESIS,
    build_submission,
    certificate_gas,
    encode_submission,
    fold_imports,
)
from interlace.protocol.bridge.errors import BridgeRefused
from interlace.protocol.bridge.format import BridgeExit
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    decode_claim,
    global_exit_root_of_log,
    imported_exits_hash_slot,
    is_claim_event,
    local_exit_root_slot,
    read_bridge_event,
    read_imported_exits_hash,
    read_local_exit_root,
)
from interlace.protocol.chain.block import Block
from interlace.protocol.chain.state import WorldState
from interlace.protocol.hub.settling import FactKind, read_settled_fact
from interlace.protocol.l1.modules import RollupKind
from interlace.protocol.rollup.chain import StatePruned
from interlace.protocol.settlement.confirmation import settlement_readers
from interlace.roles.base import (
    Effect,
    Event,
    MessageReceived,
    NodeId,
    Role,
    Started,
    StoreView,
    Timestamp,
)
from interlace.roles.l1_sender import L1Call, L1Sender, L1SenderParams, l1_time
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    L1_BLOCKS_TOPIC,
    HubBlockPublished,
    L1BlockPublished,
)
from interlace.roles.names import L1_NODE
from interlace.roles.records import SettlerRefused, SettlerReverted, SettlerSubmitted
from interlace.roles.rollup_follower import RollupFollower, without_records
from interlace.roles.verifier import VerifierParams

__all__ = ["ExitRootSettler", "SettlerParams"]

_FACT_READERS: Final = (read_settled_fact, *settlement_readers())
_LER_SETTLED: Final = BRIDGE_ABI.event("LocalExitRootSettled")
_SETTLE: Final = BRIDGE_ABI.function("settleLocalExitRoot")
_GAS_MARGIN: Final = 400_000
"""Gas on top of intrinsic and the certificate check: proofs, reads, writes, logs."""


@dataclass(frozen=True, slots=True)
class SettlerParams:
    """A settler's parameters."""

    verifier: VerifierParams
    """The rollup it follows (genesis, batcher, L1 node, hub)."""
    kind: RollupKind
    network_id: int
    """The rollup's AggLayer network id."""
    l1_chain_id: ChainId
    key: PrivateKey
    """Its funded L1 key (gas)."""
    l1_node: NodeId = L1_NODE
    resubmit_after: float = 8.0
    """Seconds (of the L1's clock) before a transaction not on L1 is sent again."""


@dataclass(slots=True)
class _Facts:
    """What one canonical L1 block says that the settler needs."""

    block_hash: Hash32
    settled: list[tuple[int, Hash32]] = field(default_factory=list)
    known: list[tuple[int, Hash32]] = field(default_factory=list)
    """Blocks of the chain whose state root L1 learnt (proven, or an output resolved valid)."""
    exit_roots: list[int] = field(default_factory=list)
    """Blocks of the chain whose local exit root L1 took in."""
    global_roots: list[Hash32] = field(default_factory=list)


class ExitRootSettler(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: SettlerParams, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.chain_id = params.verifier.genesis.chain_id
        self.follower = RollupFollower(params.verifier.follower, store)
        self.sender = L1Sender(
            L1SenderParams(
                key=params.key,
                l1_chain_id=params.l1_chain_id,
                resubmit_after=params.resubmit_after,
                l1_node=params.l1_node,
            )
        )
        self._facts: dict[int, _Facts] = {}
        self.settled_at = 0
        """The chain's block whose local exit root L1 took in last."""
        self.height = 0
        """Certificates L1 took for the chain."""
        self.global_roots: set[Hash32] = set()
        self.candidates: dict[int, Hash32] = {}
        """Blocks settled with a state root L1 knows, by number."""
        self.tried: set[int] = set()
        """Blocks sent or refused once (not tried again)."""

    def subscriptions(self) -> tuple[str, ...]:
        follow_hub = self.follower.params.follow_hub
        return (L1_BLOCKS_TOPIC, HUB_BLOCKS_TOPIC) if follow_hub else (L1_BLOCKS_TOPIC,)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        follower = self.follower
        if isinstance(event, Started):
            return follower.start(now)
        if not isinstance(event, MessageReceived):
            return []
        message = event.message
        if isinstance(message, HubBlockPublished):
            return without_records(follower.on_hub(event.sender, message, now))
        if not isinstance(message, L1BlockPublished):
            return []
        effects = without_records(follower.on_l1(message, now))
        effects.extend(self._refresh())
        follower.release_l1(follower.l1.complete_through + 1)
        follower.chain.release_states_below(min(follower.state_floor(), self.settled_at))
        l1 = follower.l1
        if l1.head_number >= 0 and l1.complete_through == l1.head_number:
            effects.extend(self._act())
        return effects

    # ---- what L1 holds ------------------------------------------------------------------

    def _refresh(self) -> list[Effect]:
        l1 = self.follower.l1
        effects: list[Effect] = []
        stale = [n for n, f in self._facts.items() if l1.hash_at(n) != f.block_hash]
        for number in stale:
            del self._facts[number]
        if stale:
            # An L1 reorg: what it took out is forgotten, and a block whose transaction it
            # removed may be tried again (the facts say whether it is still the one to send).
            for dropped in self.sender.forget_from(min(stale)):
                effects.extend(self.sender.give_up(dropped.tx.nonce))
                self.tried.discard(int(dropped.tx.tag))
        for number in range(l1.complete_through + 1):
            if number in self._facts:
                continue
            block = l1.block(number)
            assert block is not None  # unscanned blocks are above the release cursor
            receipts = l1.receipts_at(number)
            effects.extend(
                SettlerReverted(chain=self.chain_id, number=int(included.tx.tag))
                for included in self.sender.scan(number, block, receipts)
                if not included.success
            )
            self._facts[number] = self._read(block, receipts)
        self._summarize()
        return effects

    def _read(self, block: Block, receipts: Iterable[Receipt]) -> _Facts:
        facts = _Facts(block.hash)
        chain, network = self.chain_id, self.params.network_id
        known = (
            FactKind.PROVEN if self.params.kind == RollupKind.VALIDITY else FactKind.OUTPUT_VALID
        )
        for tx, receipt in zip(block.transactions, receipts, strict=True):
            for log in receipt.logs:
                try:
                    if log.address == BRIDGE_ADDRESS and log.topics[:1] == (_LER_SETTLED.topic0,):
                        of_network, _chain, number, _root, _rer = _LER_SETTLED.decode_log(
                            log.topics, log.data
                        )
                        if of_network == network:
                            facts.exit_roots.append(int(number))
                        continue
                    if (root := global_exit_root_of_log(log)) is not None:
                        facts.global_roots.append(root)
                        continue
                    # The same readers the hub applies (``settlement_readers``, and the
                    # settlement module's own ``BlockSettled``).
                    fact = next(
                        (f for read in _FACT_READERS if (f := read(log, tx)) is not None), None
                    )
                except InterlaceError:
                    continue
                if fact is None or fact.chain_id != chain:
                    continue
                if fact.kind == FactKind.SETTLED:
                    facts.settled.append((fact.number, fact.block_hash))
                elif fact.kind == known:
                    facts.known.append((fact.number, fact.block_hash))
        return facts

    def _summarize(self) -> None:
        settled: dict[int, Hash32] = {}
        known: set[tuple[int, Hash32]] = set()
        self.settled_at, self.height, self.global_roots = 0, 0, set()
        for number in sorted(self._facts):
            facts = self._facts[number]
            settled.update(facts.settled)
            known.update(facts.known)
            self.global_roots.update(facts.global_roots)
            for block in facts.exit_roots:
                self.settled_at = max(self.settled_at, block)
                self.height += 1
        self.candidates = {n: h for n, h in settled.items() if (n, h) in known}

    # ---- sending ------------------------------------------------------------------------

    def _act(self) -> list[Effect]:
        now = l1_time(self.follower.l1)
        effects: list[Effect] = []
        pending = self.sender.pending()
        if pending:
            for tx in pending:
                if self.sender.is_due(tx, now):
                    effects.extend(self.sender.resend(tx.nonce, now).effects)
            return effects
        chain = self.follower.chain
        for number in sorted(self.candidates, reverse=True):
            if number <= self.settled_at:
                break
            block = chain.block_at(number)
            if number in self.tried or block is None or block.hash != self.candidates[number]:
                continue
            return self._send(number, now)
        return effects

    def _send(self, number: int, now: Timestamp) -> list[Effect]:
        chain = self.follower.chain
        try:
            settled_exits, settled_imports = self._bridge_history(1, self.settled_at)
            exits, imports = self._bridge_history(self.settled_at + 1, number)
        except InterlaceError as exc:
            self.tried.add(number)
            return [SettlerRefused(chain=self.chain_id, number=number, reason=str(exc))]
        if not exits and not imports:
            return []  # nothing new to take in
        self.tried.add(number)
        try:
            state = chain.state_at(number)
            _check_own_imports(state, settled_imports + imports)
            submission = build_submission(
                self.params.network_id,
                (settled_exits, settled_imports),
                (exits, imports),
                self.height,
                self.global_roots.__contains__,
            )
            _check_own_exit_root(state, submission.certificate.new_local_exit_root)
        except StatePruned:
            return []
        except BridgeRefused as exc:
            return [
                SettlerRefused(
                    chain=self.chain_id, number=number, reason=f"{type(exc).__name__}: {exc}"
                )
            ]
        storage = state.storage_trie(BRIDGE_ADDRESS)
        raw = encode_submission(submission)
        calldata = _SETTLE.encode_call(
            self.chain_id,
            number,
            list(state.account_trie().proof(BRIDGE_ADDRESS)),
            list(storage.proof(local_exit_root_slot())),
            list(storage.proof(imported_exits_hash_slot())),
            raw,
        )
        gas = 21_000 + 16 * len(calldata) + certificate_gas(submission) + _GAS_MARGIN
        sent = self.sender.submit(str(number), L1Call(BRIDGE_ADDRESS, calldata, gas), now)
        return [
            *sent.effects,
            SettlerSubmitted(
                chain=self.chain_id,
                number=number,
                exits=len(exits),
                imports=len(imports),
                nonce=sent.tx.nonce,
            ),
        ]

    def _bridge_history(
        self, first: int, last: int
    ) -> tuple[list[BridgeExit], list[ImportedBridgeExit]]:
        """The exits and claims of the chain's blocks ``first..last``, in order."""
        chain = self.follower.chain
        exits: list[BridgeExit] = []
        imports: list[ImportedBridgeExit] = []
        for number in range(max(first, 1), last + 1):
            block = chain.block_at(number)
            if block is None:
                raise BridgeRefused(f"block {number} is not derived yet")
            receipts = chain.receipts[number]
            for tx, receipt in zip(block.transactions, receipts, strict=True):
                for log in receipt.logs:
                    event = read_bridge_event(log)
                    if event is not None:
                        exits.append(event[0])
                    elif is_claim_event(log):
                        # only a claim call emits a ClaimEvent (there is no EVM to call
                        # the bridge from code): its calldata is the import
                        imported = decode_claim(tx.data)
                        if imported is None:
                            raise BridgeRefused(
                                f"block {number}: a ClaimEvent in a transaction that is no claim"
                            )
                        imports.append(imported)
        return exits, imports


def _check_own_exit_root(state: WorldState, root: Hash32) -> None:
    """Raise ``BridgeRefused`` unless the chain's bridge holds the local exit root its
    history gives (the certificate's new root): L1 would refuse the certificate otherwise,
    so it is not sent."""
    if root != read_local_exit_root(state):
        raise BridgeRefused(
            f"the chain's exits give local exit root {to_hex(root)}, its bridge holds "
            f"{to_hex(read_local_exit_root(state))}"
        )


def _check_own_imports(state: WorldState, imports: list[ImportedBridgeExit]) -> None:
    """Raise ``BridgeRefused`` unless the chain's bridge holds the claims' hash chain its
    history gives (as ``_check_own_exit_root``)."""
    folded = fold_imports(IMPORTS_GENESIS, imports)
    if folded != read_imported_exits_hash(state):
        raise BridgeRefused(
            f"the chain's {len(imports)} claims give importedExitsHash {to_hex(folded)}, its "
            f"bridge holds {to_hex(read_imported_exits_hash(state))}"
        )
