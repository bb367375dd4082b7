"""What the invariant checkers may read of a simulated world: a small ``WorldView``.

The checkers watch from outside (FoundationDB and TigerBeetle style): the records every
role emits, handed to them one by one, and, through this view, the scenario, the clock
and the live roles. ``World`` implements it; the checkers import only this, so
``checkers`` and ``world`` no longer import each other, and a test can check a checker
against a small fake world.
"""

from collections.abc import Iterator, Sequence
from typing import Protocol

from interlace.primitives.types import ChainId
from interlace.roles.base import NodeId
from interlace.roles.client import WorkloadClient
from interlace.roles.hub import Hub
from interlace.roles.l1_node import L1Node
from interlace.roles.sequencer import Sequencer
from interlace.roles.verifier import VerifierNode
from interlace.runtime.sim.kernel import Simulator
from interlace.runtime.sim.scenario import Scenario

__all__ = ["WorldView"]


class WorldView(Protocol):
    """The world as the checkers see it."""

    @property
    def scenario(self) -> Scenario:
        """What is being run: topology, faults, durations."""
        ...

    @property
    def sim(self) -> Simulator:
        """The kernel: its clock (``now``) and its node slots."""
        ...

    @property
    def chain_ids(self) -> Sequence[ChainId]:
        """The rollups, in plan order."""
        ...

    @property
    def batcher_resubmit_after(self) -> int:
        """L1 blocks a batcher waits before it resubmits a batch."""
        ...

    def l1_node(self) -> L1Node | None:
        """The live L1 node."""
        ...

    def hub(self) -> Hub | None:
        """The live hub, if the scenario runs one."""
        ...

    def client(self) -> WorkloadClient:
        """The workload client."""
        ...

    def verifier(self, chain: int) -> VerifierNode | None:
        """The live verifier of ``chain``."""
        ...

    def verifier_by_node(self, node: NodeId) -> VerifierNode | None:
        """The live verifier at ``node`` (None if it is not a verifier)."""
        ...

    def sequencer_by_node(self, node: NodeId) -> Sequencer | None:
        """The live sequencer at ``node``."""
        ...

    def verifiers(self) -> Iterator[VerifierNode]:
        """Every live verifier."""
        ...

    def sequencers(self) -> Iterator[Sequencer]:
        """Every live sequencer."""
        ...

    def faulty_chains(self) -> set[int]:
        """Chains a fault targets (equivocation, or their nodes crashed or cut off)."""
        ...

    def hub_cut_off(self, chain: int) -> bool:
        """True while the hub cannot hear the chain's sequencer (or is down)."""
        ...

    def partitioned_or_down(self, chain: int) -> bool:
        """True while the chain's verifier cannot hear its sequencer."""
        ...
