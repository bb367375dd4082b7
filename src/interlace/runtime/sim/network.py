"""The simulated network: per-link latency, loss, duplication and partitions.

All randomness comes from the simulator's seeded PRNG, so a seed fixes
every delivery time, every lost packet and every duplicate.
"""

import random
from dataclasses import dataclass, field

from interlace.roles.base import NodeId


@dataclass(frozen=True, slots=True)
class LinkProfile:
    """How one directed link behaves."""

    latency_s: float = 0.02
    """Base one-way delay in seconds."""
    jitter_s: float = 0.01
    """Uniform extra delay in [0, jitter_s)."""
    loss: float = 0.0
    """Probability that a message is dropped."""
    duplicate: float = 0.0
    """Probability that a delivered message is delivered a second time."""


@dataclass(slots=True)
class Network:
    """Delivery decisions for every message; partitions block links both ways."""

    rng: random.Random
    """The simulator's PRNG (shared, so one seed drives everything)."""
    default: LinkProfile = field(default_factory=LinkProfile)
    """Profile of links without an override."""
    overrides: dict[tuple[NodeId, NodeId], LinkProfile] = field(default_factory=dict)
    """Per directed link (sender, receiver) profiles."""
    _blocked: set[frozenset[NodeId]] = field(default_factory=set)

    def partition(self, side_a: set[NodeId], side_b: set[NodeId]) -> None:
        """Block every link between the two sides, both directions."""
        for a in side_a:
            for b in side_b:
                self._blocked.add(frozenset((a, b)))

    def heal(self) -> None:
        """Remove every partition."""
        self._blocked.clear()

    def heal_between(self, side_a: set[NodeId], side_b: set[NodeId]) -> None:
        """Remove one partition's blocked links, leaving any other partition in place."""
        for a in side_a:
            for b in side_b:
                self._blocked.discard(frozenset((a, b)))

    def is_blocked(self, sender: NodeId, receiver: NodeId) -> bool:
        """True if a partition separates the two nodes."""
        return frozenset((sender, receiver)) in self._blocked

    def delays(self, sender: NodeId, receiver: NodeId) -> list[float]:
        """Delays at which copies of one message arrive: empty if lost, two if duplicated."""
        if sender == receiver:
            return [0.0]
        if self.is_blocked(sender, receiver):
            return []
        profile = self.overrides.get((sender, receiver), self.default)
        rng = self.rng
        if profile.loss and rng.random() < profile.loss:
            return []
        first = profile.latency_s + rng.random() * profile.jitter_s
        if profile.duplicate and rng.random() < profile.duplicate:
            return [first, first + profile.latency_s + rng.random() * profile.jitter_s]
        return [first]
