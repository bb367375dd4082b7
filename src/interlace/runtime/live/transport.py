"""How encoded messages leave a node: one WebSocket per peer, or an in-process network for tests.

``HttpTransport`` keeps one outgoing WebSocket (``GET /p2p/ws``) per peer,
fed by a bounded queue, so messages to one peer stay in order and a send
never blocks the role. A peer that is down is retried with exponential
backoff; while it is unreachable its queue keeps the newest
``outbox_limit`` messages and drops the oldest (the roles tolerate loss and
re-sync on their own, as they do in the simulator's lossy network).

``LocalNetwork`` connects hosts of one event loop directly (the mock
transport of the tests: no sockets, same codec).
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

import aiohttp

from interlace.roles.base import NodeId

SENDER_PARAM: Final = "sender"
"""Query parameter (WebSocket) and header suffix (POST) naming the sending node."""
SENDER_HEADER: Final = "X-Interlace-Sender"
BACKOFF_START: Final = 0.05
BACKOFF_MAX: Final = 2.0

log = logging.getLogger(__name__)


class Transport(Protocol):
    """Carries encoded messages to peers; ``send`` never blocks and never raises on a dead peer."""

    def send(self, to: NodeId, payload: bytes) -> None:
        """Queue ``payload`` for ``to``."""
        ...

    async def close(self) -> None:
        """Stop sending and release connections."""
        ...


@dataclass(slots=True)
class LinkStats:
    """Per-peer counters, reported on ``/health``."""

    sent: int = 0
    dropped: int = 0
    connects: int = 0
    failures: int = 0


class _PeerLink:
    """One peer: a bounded queue and a task that drains it into a WebSocket."""

    def __init__(
        self, me: NodeId, url: str, limit: int, session: Callable[[], aiohttp.ClientSession]
    ) -> None:
        self.me = me
        self.url = url.rstrip("/") + "/p2p/ws"
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=limit)
        self.stats = LinkStats()
        self._session = session
        self._task: asyncio.Task[None] | None = None

    def push(self, payload: bytes) -> None:
        if self.queue.full():
            self.queue.get_nowait()  # the oldest goes: newer state supersedes it
            self.stats.dropped += 1
        self.queue.put_nowait(payload)
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        backoff = BACKOFF_START
        pending: bytes | None = None
        while True:
            try:
                async with self._session().ws_connect(
                    self.url, params={SENDER_PARAM: self.me}, heartbeat=10.0, max_msg_size=0
                ) as ws:
                    self.stats.connects += 1
                    backoff = BACKOFF_START
                    while True:
                        if pending is None:
                            pending = await self.queue.get()
                        await ws.send_bytes(pending)
                        self.stats.sent += 1
                        pending = None
                        if ws.closed:
                            break
            except asyncio.CancelledError:
                raise
            except (aiohttp.ClientError, OSError, RuntimeError, TimeoutError) as exc:
                self.stats.failures += 1
                log.debug("peer %s unreachable: %s", self.url, exc)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


class HttpTransport:
    """See the module docstring."""

    def __init__(self, me: NodeId, peers: Mapping[NodeId, str], outbox_limit: int = 1024) -> None:
        self.me = me
        self.peers = dict(peers)
        self.outbox_limit = outbox_limit
        self.links: dict[NodeId, _PeerLink] = {}
        self._session: aiohttp.ClientSession | None = None
        self.unknown_peer_drops = 0

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, connect=2.0)
            )
        return self._session

    def send(self, to: NodeId, payload: bytes) -> None:
        link = self.links.get(to)
        if link is None:
            url = self.peers.get(to)
            if url is None:
                self.unknown_peer_drops += 1
                return
            link = self.links[to] = _PeerLink(self.me, url, self.outbox_limit, self._get_session)
        link.push(payload)

    def stats(self) -> dict[str, dict[str, int]]:
        """Counters per peer (sent, dropped, connects, failures, queued)."""
        return {
            str(peer): {
                "sent": link.stats.sent,
                "dropped": link.stats.dropped,
                "connects": link.stats.connects,
                "failures": link.stats.failures,
                "queued": link.queue.qsize(),
            }
            for peer, link in sorted(self.links.items())
        }

    async def close(self) -> None:
        for link in self.links.values():
            await link.close()
        if self._session is not None:
            await self._session.close()


class Inbox(Protocol):
    """What a transport delivers into: a node host."""

    def receive_payload(self, sender: NodeId, payload: bytes) -> None:
        """Decode and queue one message (raises ``MalformedMessage`` on foreign bytes)."""
        ...


class LocalNetwork:
    """Hosts of one event loop wired directly together (tests)."""

    def __init__(self) -> None:
        self.inboxes: dict[NodeId, Inbox] = {}
        self.down: set[NodeId] = set()
        self.delivered = 0

    def attach(self, node: NodeId, inbox: Inbox) -> "LocalTransport":
        """Register ``inbox`` as ``node`` and return the transport it sends with."""
        self.inboxes[node] = inbox
        return LocalTransport(self, node)


class LocalTransport:
    """A node's side of a ``LocalNetwork``."""

    def __init__(self, network: LocalNetwork, me: NodeId) -> None:
        self.network = network
        self.me = me

    def send(self, to: NodeId, payload: bytes) -> None:
        target = self.network.inboxes.get(to)
        if target is None or to in self.network.down or self.me in self.network.down:
            return
        self.network.delivered += 1
        asyncio.get_running_loop().call_soon(target.receive_payload, self.me, payload)

    async def close(self) -> None:
        self.network.inboxes.pop(self.me, None)
