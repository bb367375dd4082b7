"""The simulator kernel: one event queue in virtual time that drives every role.

The kernel owns the clock, the network, each node's store and timers, and
the trace. It delivers one event at a time to one role, carries out the
role's effects (messages through the simulated network, atomic store
batches, timers), and folds everything observable into a running trace hash,
so two runs with one seed produce one hash. Faults (crash, restart,
partition) are methods a scenario calls at scheduled times. Checkers observe
from outside after every step, and those that ask (``SendObserver``) see each
message sent with how many copies the network lets through.

Every run ends. The kernel watches its own progress: a run that handles more
than ``same_instant`` events at one virtual instant, or more than
``per_virtual_second`` in one virtual second (both scaled by the number of
nodes, ``ProgressLimits``), is spinning, not working; the kernel samples what
it is doing and raises ``Livelock`` naming the node, the event and the timer
or message. A role that raises while handling an event (or while rebuilding
from its store on restart) stops the run with ``NodeFailed`` naming the node
and the event, instead of a bare traceback from deep inside the loop.
"""

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol, runtime_checkable

from interlace.primitives.errors import MisuseError
from interlace.primitives.hashing import keccak256
from interlace.primitives.record import Record, record_fields
from interlace.roles.base import (
    Broadcast,
    Effect,
    Event,
    Message,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.runtime.sim.network import Network
from interlace.runtime.sim.records import SimRecord
from interlace.runtime.store import MemoryStore

RoleFactory = Callable[[StoreView], Role]
"""Builds a role from its committed store (empty on first start)."""

DIAGNOSE_STEPS = 2_000
"""Steps sampled after a livelock trips, to name what the run is spinning on."""


class Livelock(MisuseError):
    """The run stopped making progress in virtual time (a liveness bug in a role)."""

    def __init__(self, reason: str, at: float, node: NodeId, activity: str, share: float) -> None:
        self.reason = reason
        """Which limit tripped, with the numbers."""
        self.at = at
        """Virtual time it tripped."""
        self.node = node
        """The node that handled most of the sampled steps."""
        self.activity = activity
        """What that node kept handling: ``timer <tag>``, ``message <Type> from <node>``."""
        self.share = share
        """Fraction of the sampled steps that were this activity."""
        super().__init__(
            f"livelock at t={at:.3f}s: {reason}; {node} handled {activity} in "
            f"{share:.0%} of the last {DIAGNOSE_STEPS} steps"
        )


class NodeFailed(MisuseError):
    """A role raised while handling an event or while restoring from its store."""

    def __init__(self, node: NodeId, at: float, activity: str, error: BaseException) -> None:
        self.node = node
        self.at = at
        self.activity = activity
        """What it was doing: ``timer <tag>``, ``message <Type> from <node>``, ``restart``."""
        self.error = error
        """The exception the role raised."""
        super().__init__(
            f"{node} failed at t={at:.3f}s handling {activity}: {type(error).__name__}: {error}"
        )


@dataclass(frozen=True, slots=True)
class ProgressLimits:
    """When a run counts as stuck: events per virtual instant and per virtual second.

    Each limit is ``base + per_node × nodes``. The built-in scenarios peak at
    about one event per node at one instant (the start) and at about 60 events
    per node in one virtual second (a restart replaying its store), so the
    defaults leave a wide margin while catching a spin within a fraction of a
    wall-clock second.
    """

    same_instant_base: int = 2_000
    same_instant_per_node: int = 50
    per_second_base: int = 20_000
    per_second_per_node: int = 1_000

    def same_instant(self, nodes: int) -> int:
        """Most events allowed at one virtual instant."""
        return self.same_instant_base + self.same_instant_per_node * nodes

    def per_virtual_second(self, nodes: int) -> int:
        """Most events allowed within one virtual second."""
        return self.per_second_base + self.per_second_per_node * nodes


DEFAULT_LIMITS: Final = ProgressLimits()


class Observer(Protocol):
    """Something that watches the run from outside: checkers and metrics."""

    def on_record(self, now: Timestamp, node: NodeId, event: Record) -> None:
        """Called for each record a role (or the simulator) emits."""
        ...

    def after_step(self, sim: "Simulator") -> None:
        """Called after every step (one event delivered and its effects applied)."""
        ...


@runtime_checkable
class SendObserver(Protocol):
    """Something that also watches the network: which messages it lets through."""

    def on_send(self, sender: NodeId, receiver: NodeId, message: Message, copies: int) -> None:
        """Called for each message sent to a node, with how many copies will arrive (0 when
        the network loses it or a partition blocks it)."""
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
    last_handled: float = 0.0
    """Virtual time the role last handled an event."""


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

    def __init__(self, seed: int, limits: ProgressLimits | None = DEFAULT_LIMITS) -> None:
        self.seed = seed
        self.limits = limits
        """Progress limits (None: no livelock detection, for measuring its cost)."""
        self.rng = random.Random(seed)
        self.network = Network(random.Random(self.rng.getrandbits(64)))
        self.now = Timestamp(0.0)
        self.nodes: dict[NodeId, NodeSlot] = {}
        self.topics: dict[str, list[NodeId]] = {}
        self.observers: list[Observer] = []
        self.send_observers: list[SendObserver] = []
        """Observers told of every message sent (few: it is the kernel's busiest path)."""
        self.steps = 0
        self.last_node: NodeId | None = None
        """The node that handled the latest step (None for scheduled actions)."""
        self._queue: list[_Scheduled] = []
        self._seq = 0
        self._trace = keccak256(seed.to_bytes(8, "big"))
        self._pending_trace: list[bytes] = []
        self._instant = -1.0
        self._same_instant = 0
        self._window_start = 0.0
        self._window_steps = 0

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
        try:
            role = slot.factory(slot.store)
        except Exception as exc:
            raise NodeFailed(node_id, self.now, "restart from its store", exc) from exc
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

    def note(self, event: SimRecord) -> None:
        """Record a simulator-level event (a fault) in the trace and for observers."""
        self._record(NodeId("sim"), event)

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
        """Process every event due up to ``end`` in virtual time.

        Raises ``Livelock`` if the run stops making progress and ``NodeFailed``
        if a role raises; the world is not usable afterwards.
        """
        queue = self._queue
        limits = self.limits
        same_limit = limits.same_instant(len(self.nodes)) if limits else 0
        window_limit = limits.per_virtual_second(len(self.nodes)) if limits else 0
        while queue and queue[0].at <= end:
            item = heapq.heappop(queue)
            if limits is not None:
                if item.at == self._instant:
                    self._same_instant += 1
                    if self._same_instant > same_limit:
                        self._diagnose(item, f"{self._same_instant} events at one instant")
                else:
                    self._instant = item.at
                    self._same_instant = 0
                    if item.at >= self._window_start + 1.0:
                        self._window_start = item.at
                        self._window_steps = 0
                self._window_steps += 1
                if self._window_steps > window_limit:
                    self._diagnose(item, f"{self._window_steps} events in one virtual second")
            self._step(item)
            for observer in self.observers:
                observer.after_step(self)
            if progress is not None and self.steps % 1000 == 0:
                progress(self.now)
        self.now = Timestamp(max(self.now, end))

    def _step(self, item: _Scheduled) -> None:
        self.now = Timestamp(item.at)
        self.last_node = None if item.action is not None else item.node
        if item.action is not None:
            self._fold(f"action|{item.node}|{item.at:.6f}".encode())
            item.action()
        else:
            self._deliver(item)
        self.steps += 1

    def _diagnose(self, tripped: _Scheduled, reason: str) -> None:
        """Sample what the spinning run does for a while, then raise ``Livelock``."""
        counts: dict[tuple[NodeId, str], int] = {}
        item: _Scheduled | None = tripped
        sampled = 0
        while item is not None and sampled < DIAGNOSE_STEPS:
            key = (item.node, _activity(item))
            counts[key] = counts.get(key, 0) + 1
            self._step(item)
            sampled += 1
            item = heapq.heappop(self._queue) if self._queue else None
        (node, activity), count = max(counts.items(), key=lambda kv: kv[1])
        raise Livelock(reason, float(tripped.at), node, activity, count / max(sampled, 1))

    def _deliver(self, item: _Scheduled) -> None:
        slot = self.nodes[item.node]
        if slot.role is None or slot.epoch != item.epoch or item.event is None:
            return
        event = item.event
        if isinstance(event, TimerFired):
            if slot.timers.get(event.tag) != item.at:
                return  # superseded by a later SetTimer with the same tag
            del slot.timers[event.tag]
        try:
            effects = slot.role.handle(event, self.now)
        except Exception as exc:
            raise NodeFailed(item.node, self.now, _activity(item), exc) from exc
        slot.last_handled = self.now
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
        delays = self.network.delays(sender, receiver)
        for observer in self.send_observers:
            observer.on_send(sender, receiver, effect.message, len(delays))
        for delay in delays:
            self._push(
                self.now + delay, receiver, target.epoch, MessageReceived(sender, effect.message)
            )

    def _record(self, node_id: NodeId, event: Record) -> None:
        # The line a record folds into the trace: its kind and its sorted (name, value) pairs.
        self._fold(f"{self.now:.6f}|{node_id}|{event.kind}|{record_fields(event)!r}".encode())
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


def _activity(item: _Scheduled) -> str:
    """What a scheduled item is, in words: ``timer ask``, ``message Ping from l1``."""
    event = item.event
    if item.action is not None or event is None:
        return f"scheduled {item.node}"
    if isinstance(event, TimerFired):
        return f"timer {event.tag}"
    if isinstance(event, MessageReceived):
        return f"message {type(event.message).__name__} from {event.sender}"
    return type(event).__name__
