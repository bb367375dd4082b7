"""What a running live node offers the layers above it (JSON-RPC, dashboard).

``NodeHostApi`` is implemented by the live runtime's node host and consumed
by ``interlace.api.rpc``. The RPC layer reads the role's in-memory state
directly (it runs in the same process and the same event loop thread, so
reads between two awaits are consistent) and changes it only through
``request`` / ``deliver``, which feed the role an event exactly as a
network message would, so nothing in the roles changes for RPC.
"""

from collections.abc import Callable
from typing import Protocol

from interlace.primitives.record import Record
from interlace.roles.base import Message, NodeId, Role, Timestamp
from interlace.runtime.store import Store


class NodeHostApi(Protocol):
    """A running node as the RPC layer sees it."""

    @property
    def node_id(self) -> NodeId:
        """This node's name, e.g. ``"seq-901"``."""
        ...

    @property
    def role(self) -> Role:
        """The role instance (read its state; never mutate it directly)."""
        ...

    @property
    def store(self) -> Store:
        """The node's durable store (read only for the RPC layer)."""
        ...

    def now(self) -> Timestamp:
        """The runtime's current time, in the same clock the role sees."""
        ...

    async def request(self, message: Message, *, timeout: float = 10.0) -> Message | None:
        """Deliver ``message`` to the role as if sent by a fresh local peer; await its answer.

        The role sees ``MessageReceived(sender=<fresh id>, message)``. The first
        message the role sends back to that id is returned, and only after every
        ``PersistBatch`` effect of that step has been committed to the store (so
        an acknowledged transaction is durable). None if nothing answers within
        ``timeout`` seconds.
        """
        ...

    def deliver(self, message: Message) -> None:
        """Deliver ``message`` to the role (fire and forget); effects run as usual."""
        ...

    def subscribe_records(self, callback: Callable[[Record], None]) -> Callable[[], None]:
        """Call ``callback`` with every record the role emits; returns an unsubscribe."""
        ...
