"""Invariant checkers (DESIGN.md §5) that watch a simulated world from outside.

Each checker reads records and node state after every step and keeps the
first violation it sees, described in words; ``finish`` runs the end-of-run
checks of the liveness phase. Checkers implemented here: 5 (safety only
moves forward), 6 (equivocation becomes evidence and freezes the chain),
7 (safe blocks' L1Origins are canonical), 9 (crash-restart loses nothing
acknowledged and runs nothing twice). The hub and settlement issues add
the rest.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from interlace.roles.base import NodeId, RecordEvent, Timestamp, fields_dict

if TYPE_CHECKING:
    from interlace.roles.verifier import VerifierNode
    from interlace.runtime.sim.kernel import Simulator
    from interlace.runtime.sim.world import World


@dataclass(slots=True)
class Checker:
    """Base: a named invariant with the first violation found."""

    name: str
    """Short name, ``inv5_safety_monotonic`` style."""
    world: "World"
    """The world being checked."""
    violation: str | None = None
    """First violation, described; None while the invariant holds."""

    def fail(self, now: float, text: str) -> None:
        """Record the first violation."""
        if self.violation is None:
            self.violation = f"t={now:.2f}s: {text}"

    def on_record(self, now: Timestamp, node: NodeId, event: RecordEvent) -> None:
        """Observe one record."""

    def after_step(self, sim: "Simulator") -> None:
        """Observe the world after one step."""

    def finish(self) -> None:
        """End-of-run checks."""


@dataclass(slots=True)
class SafetyMonotonic(Checker):
    """Inv. 5: safe heads only grow, except on an L1 reorg; L1 finality never moves back."""

    safe: dict[NodeId, int] = field(default_factory=dict)
    reorgs_seen: int = 0
    reorgs_used: dict[NodeId, int] = field(default_factory=dict)
    finalized: int = 0

    def on_record(self, now: Timestamp, node: NodeId, event: RecordEvent) -> None:
        if event.kind == "l1.reorg":
            self.reorgs_seen += 1
        elif event.kind == "verifier.safe":
            number = int(fields_dict(event)["number"])  # type: ignore[call-overload]
            last = self.safe.get(node, 0)
            if number != last + 1:
                self.fail(now, f"{node} safe head jumped from {last} to {number}")
            self.safe[node] = number
        elif event.kind == "verifier.safe_reorg":
            if self.reorgs_seen == 0:
                self.fail(now, f"{node} moved its safe head back without an L1 reorg")
            self.safe[node] = int(fields_dict(event)["to"])  # type: ignore[call-overload]

    def after_step(self, sim: "Simulator") -> None:
        l1 = self.world.l1_node()
        if l1 is None:
            return
        if l1.finalized_number < self.finalized:
            self.fail(sim.now, f"L1 finalized head moved back to {l1.finalized_number}")
        self.finalized = max(self.finalized, l1.finalized_number)


@dataclass(slots=True)
class EquivocationEvidence(Checker):
    """Inv. 6: two signed blocks at one height become evidence and freeze the chain's client."""

    grace: float = 5.0
    equivocations: dict[int, float] = field(default_factory=dict)

    def on_record(self, now: Timestamp, node: NodeId, event: RecordEvent) -> None:
        if event.kind == "sequencer.equivocated":
            chain = int(fields_dict(event)["chain"])  # type: ignore[call-overload]
            self.equivocations.setdefault(chain, float(now))

    def after_step(self, sim: "Simulator") -> None:
        for chain, since in self.equivocations.items():
            if sim.now - since < self.grace or self.world.partitioned_or_down(chain):
                continue
            verifier = self.world.verifier(chain)
            if verifier is None:
                continue
            if not any(e.kind == "equivocation" for e in verifier.evidence):
                self.fail(sim.now, f"chain {chain} equivocated at t={since:.2f} with no evidence")
            elif not verifier.frozen:
                self.fail(sim.now, f"chain {chain} has evidence but its client is not frozen")


@dataclass(slots=True)
class OriginsCanonical(Checker):
    """Inv. 7: every L1Origin referenced by a safe block is canonical on L1."""

    grace: float = 2.0
    last_reorg: float = -1e9

    def on_record(self, now: Timestamp, node: NodeId, event: RecordEvent) -> None:
        if event.kind == "l1.reorg":
            self.last_reorg = float(now)

    def after_step(self, sim: "Simulator") -> None:
        if sim.now - self.last_reorg < self.grace:
            return
        node = sim.last_node
        verifier = self.world.verifier_by_node(node) if node else None
        if verifier is not None:
            self._check(sim.now, verifier)

    def _check(self, now: float, verifier: "VerifierNode") -> None:
        l1 = self.world.l1_node()
        if l1 is None:
            return
        chain = verifier.chain
        for number in range(chain.head.number, 0, -1):
            origin = chain.origin_at(number)
            if origin.number <= l1.finalized_number:
                break
            if not l1.is_canonical(origin.number, origin.hash):
                self.fail(
                    now,
                    f"safe block {number} of chain {verifier.chain_id} has a "
                    f"non-canonical origin {origin.number}",
                )
                return

    def finish(self) -> None:
        for verifier in self.world.verifiers():
            self._check(self.world.sim.now, verifier)


@dataclass(slots=True)
class CrashRecovery(Checker):
    """Inv. 9: a restarted node resumes from its store, loses no acked tx, runs none twice."""

    heads_at_crash: dict[NodeId, int] = field(default_factory=dict)

    def on_record(self, now: Timestamp, node: NodeId, event: RecordEvent) -> None:
        if event.kind == "sim.crash":
            target = NodeId(str(fields_dict(event)["node"]))
            sequencer = self.world.sequencer_by_node(target)
            if sequencer is not None:
                self.heads_at_crash[target] = sequencer.chain.head.number
        elif event.kind == "sim.restart":
            target = NodeId(str(fields_dict(event)["node"]))
            sequencer = self.world.sequencer_by_node(target)
            before = self.heads_at_crash.get(target)
            if (
                sequencer is not None
                and before is not None
                and sequencer.chain.head.number < before
            ):
                self.fail(
                    now,
                    f"{target} restarted at height {sequencer.chain.head.number}, "
                    f"below the {before} it had committed",
                )

    def finish(self) -> None:
        included: set[bytes] = set()
        for sequencer in self.world.sequencers():
            in_chain: set[bytes] = set()
            for block in sequencer.chain.blocks:
                for tx in block.transactions:
                    if tx.hash in in_chain:
                        self.fail(self.world.sim.now, f"transaction {tx.hash.hex()} ran twice")
                        return
                    in_chain.add(tx.hash)
            included |= in_chain
        pending: set[bytes] = set()
        for sequencer in self.world.sequencers():
            pending.update(sequencer.mempool.by_hash)
            for waiting in sequencer.mempool.future.values():
                pending.update(tx.hash for tx in waiting.values())
        client = self.world.client()
        for tx_hash in client.s.acked:
            if tx_hash not in included and tx_hash not in pending:
                self.fail(self.world.sim.now, f"acknowledged transaction {tx_hash.hex()} was lost")
                return


ALL_CHECKERS = (SafetyMonotonic, EquivocationEvidence, OriginsCanonical, CrashRecovery)
CHECKER_NAMES = {
    SafetyMonotonic: "inv5_safety_monotonic",
    EquivocationEvidence: "inv6_equivocation_evidence",
    OriginsCanonical: "inv7_origins_canonical",
    CrashRecovery: "inv9_crash_recovery",
}
