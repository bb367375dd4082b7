"""The simulator kernel: one event queue in virtual time that drives every role.

The kernel owns the clock, the network, each node's store and timers, and
the trace. It delivers one event at a time to one role, carries out the
role's effects (messages through the simulated network, atomic store
batches, timers), and folds everything observable into a running trace hash,
so two runs with one seed produce one hash. Faults (crash, restart,
partition) are methods a scenario calls at scheduled times. Checkers observe
from outside after every step.
"""

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from interlace.primitives.hashing import keccak256
from interlace.roles.base import (
    Broadcast,
    Effect,
    Event,
    Message,
    MessageReceived,
    NodeId,
    PersistBatch,
    RecordEvent,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
    record,
)
from interlace.runtime.sim.network import Network
from interlace.runtime.store import MemoryStore

RoleFactory = Callable[[StoreView], Role]
"""Builds a role from its committed store (empty on first start)."""


class Observer(Protocol):
    """Something that watches the run from outside: checkers and metrics."""

    def on_record(self, now: Timestamp, node: NodeId, event: RecordEvent) -> None:
        """Called for each ``RecordEvent`` a role emits."""
        ...

    def after_step(self, sim: "Simulator") -> None:
        """Called after every step (one event delivered and its effects applied)."""
        ...


@dataclass(slots=True)
class NodeSlot:
    """The kernel's bookkeeping for one node."""

    factory: RoleFactory
    """How to (re)build the role from its store."""
    store: MemoryStore
    """Committed state; survives crashes."""
    role: Role | None
    """The live role, or None while crashed."""
    epoch: int = 0
    """Incremented on every crash so stale timers and deliveries are ignored."""
    timers: dict[str, float] = field(default_factory=dict)
    """Tag → due time of the armed timers of the current epoch."""


@dataclass(order=True, slots=True)
class _Scheduled:
    at: float
    seq: int
    node: NodeId = field(compare=False)
    epoch: int = field(compare=False)
    event: Event | None = field(compare=False)
    action: Callable[[], None] | None = field(compare=False, default=None)


class Simulator:
    """Drives roles in virtual time from one seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.network = Network(random.Random(self.rng.getrandbits(64)))
        self.now = Timestamp(0.0)
        self.nodes: dict[NodeId, NodeSlot] = {}
        self.topics: dict[str, list[NodeId]] = {}
        self.observers: list[Observer] = []
        self.steps = 0
        self.last_node: NodeId | None = None
        """The node that handled the latest step (None for scheduled actions)."""
        self._queue: list[_Scheduled] = []
        self._seq = 0
        self._trace = keccak256(seed.to_bytes(8, "big"))
        self._pending_trace: list[bytes] = []

    # ---- topology -----------------------------------------------------------

    def add_node(self, node_id: NodeId, factory: RoleFactory) -> Role:
        """Create a node and start it at the current time."""
        slot = NodeSlot(factory=factory, store=MemoryStore(), role=None)
        self.nodes[node_id] = slot
        self._boot(node_id, slot)
        role = slot.role
        assert role is not None
        return role

    def role(self, node_id: NodeId) -> Role | None:
        """The live role of a node, or None while it is crashed."""
        return self.nodes[node_id].role

    def _boot(self, node_id: NodeId, slot: NodeSlot) -> None:
        role = slot.factory(slot.store)
        slot.role = role
        for topic in role.subscriptions():
            subscribers = self.topics.setdefault(topic, [])
            if node_id not in subscribers:
                subscribers.append(node_id)
        self._push(self.now, node_id, slot.epoch, Started())

    # ---- faults -------------------------------------------------------------

    def crash(self, node_id: NodeId) -> None:
        """Kill a node: its memory and timers are lost, its store is kept."""
        slot = self.nodes[node_id]
        slot.role = None
        slot.epoch += 1
        slot.timers.clear()
        self._fold(b"crash|" + node_id.encode())

    def restart(self, node_id: NodeId) -> None:
        """Rebuild a crashed node from its store and start it."""
        slot = self.nodes[node_id]
        if slot.role is None:
            self._boot(node_id, slot)
            self._fold(b"restart|" + node_id.encode())

    def note(self, kind: str, **fields: object) -> None:
        """Record a simulator-level event (a fault) in the trace and for observers."""
        self._record(NodeId("sim"), record(kind, **fields))

    def inject(self, node_id: NodeId, message: Message) -> None:
        """Deliver a control message (a fault switch) to a node now, from ``sim``."""
        slot = self.nodes[node_id]
        self._fold(f"inject|{node_id}|{type(message).__name__}".encode())
        self._push(self.now, node_id, slot.epoch, MessageReceived(NodeId("sim"), message))

    def schedule(self, at: float, action: Callable[[], None], label: str) -> None:
        """Run ``action`` (a fault or a workload step) at virtual time ``at``."""
        self._seq += 1
        heapq.heappush(
            self._queue,
            _Scheduled(at, self._seq, NodeId(label), 0, None, action),
        )

    # ---- running ------------------------------------------------------------

    def run_until(self, end: float, progress: Callable[[float], None] | None = None) -> None:
        """Process every event due up to ``end`` in virtual time."""
        queue = self._queue
        while queue and queue[0].at <= end:
            item = heapq.heappop(queue)
            self.now = Timestamp(item.at)
            self.last_node = None if item.action is not None else item.node
            if item.action is not None:
                self._fold(f"action|{item.node}|{item.at:.6f}".encode())
                item.action()
            else:
                self._deliver(item)
            self.steps += 1
            for observer in self.observers:
                observer.after_step(self)
            if progress is not None and self.steps % 1000 == 0:
                progress(self.now)
        self.now = Timestamp(max(self.now, end))

    def _deliver(self, item: _Scheduled) -> None:
        slot = self.nodes[item.node]
        if slot.role is None or slot.epoch != item.epoch or item.event is None:
            return
        event = item.event
        if isinstance(event, TimerFired):
            if slot.timers.get(event.tag) != item.at:
                return  # superseded by a later SetTimer with the same tag
            del slot.timers[event.tag]
        effects = slot.role.handle(event, self.now)
        self._apply(item.node, slot, effects)

    def _apply(self, node_id: NodeId, slot: NodeSlot, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, SendMessage):
                self._send(node_id, effect.to, effect)
            elif isinstance(effect, Broadcast):
                for subscriber in self.topics.get(effect.topic, ()):
                    if subscriber != node_id:
                        self._send(node_id, subscriber, effect)
            elif isinstance(effect, PersistBatch):
                slot.store.write_batch(effect.writes)
            elif isinstance(effect, SetTimer):
                at = max(float(effect.at), float(self.now))
                slot.timers[effect.tag] = at
                self._push(at, node_id, slot.epoch, TimerFired(effect.tag))
            else:
                self._record(node_id, effect)

    def _send(self, sender: NodeId, receiver: NodeId, effect: SendMessage | Broadcast) -> None:
        target = self.nodes.get(receiver)
        if target is None:
            return
        for delay in self.network.delays(sender, receiver):
            self._push(
                self.now + delay, receiver, target.epoch, MessageReceived(sender, effect.message)
            )

    def _record(self, node_id: NodeId, event: RecordEvent) -> None:
        self._fold(f"{self.now:.6f}|{node_id}|{event.kind}|{event.fields!r}".encode())
        for observer in self.observers:
            observer.on_record(self.now, node_id, event)

    def _push(self, at: float, node: NodeId, epoch: int, event: Event) -> None:
        self._seq += 1
        heapq.heappush(self._queue, _Scheduled(at, self._seq, node, epoch, event))

    def _fold(self, line: bytes) -> None:
        self._pending_trace.append(line)
        if len(self._pending_trace) >= 256:
            self._flush_trace()

    def _flush_trace(self) -> None:
        if self._pending_trace:
            self._trace = keccak256(self._trace + b"\n".join(self._pending_trace))
            self._pending_trace.clear()

    def trace_hash(self) -> str:
        """Hash of everything observable so far (records, faults, actions)."""
        self._flush_trace()
        return "0x" + self._trace.hex()
