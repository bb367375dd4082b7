"""The simulator's own observations: the faults it injects, one frozen record class each.

They go into the trace and the timeline as the roles' records do (``interlace.roles.records``)
and are noted by ``Simulator.note`` under the node name ``sim``.
"""

from dataclasses import dataclass, field
from typing import ClassVar

from interlace.primitives.record import OMIT, Record

__all__ = [
    "SimCrash",
    "SimHeal",
    "SimPartition",
    "SimProposerLie",
    "SimRecord",
    "SimRestart",
    "SimWithholdProofs",
]


@dataclass(frozen=True, slots=True)
class SimCrash(Record):
    """A node was crashed: its memory and timers are lost, its store is kept."""

    kind: ClassVar[str] = "sim.crash"
    node: str
    """The crashed node."""


@dataclass(frozen=True, slots=True)
class SimRestart(Record):
    """A crashed node was rebuilt from its store and started."""

    kind: ClassVar[str] = "sim.restart"
    node: str
    """The restarted node."""


@dataclass(frozen=True, slots=True)
class SimPartition(Record):
    """The network was cut between two sides."""

    kind: ClassVar[str] = "sim.partition"
    nodes: str
    """One side, comma-separated node names."""
    peers: str | None = field(default=None, metadata=OMIT)
    """The other side, comma-separated; unset when it is every other node."""


@dataclass(frozen=True, slots=True)
class SimHeal(Record):
    """A partition was healed."""

    kind: ClassVar[str] = "sim.heal"
    nodes: str | None = field(default=None, metadata=OMIT)
    """The side of the healed partition, comma-separated; unset when every link healed."""


@dataclass(frozen=True, slots=True)
class SimProposerLie(Record):
    """A chain's proposer was told to lie about an output."""

    kind: ClassVar[str] = "sim.proposer_lie"
    chain: int
    """The rollup."""
    lie_at: int
    """The first block whose output it lies about."""


@dataclass(frozen=True, slots=True)
class SimWithholdProofs(Record):
    """A chain's prover coordinator was told to withhold its proofs."""

    kind: ClassVar[str] = "sim.withhold_proofs"
    chain: int
    """The rollup."""
    from_number: int
    """The first block whose proof it withholds."""


SimRecord = SimCrash | SimRestart | SimPartition | SimHeal | SimProposerLie | SimWithholdProofs
"""Every record the simulator notes."""
