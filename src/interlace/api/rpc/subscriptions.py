"""WebSocket sessions and ``eth_subscribe`` (``newHeads``, ``logs``).

A ``Session`` is one WebSocket connection: everything it sends (answers
and notifications) goes through one bounded queue and one writer task, so
notifications arrive in order and a slow client cannot stall the node (a
full queue closes that connection). ``HeadWatcher`` polls the node's head
every ``POLL_INTERVAL`` seconds while anyone is subscribed, as geth's
filter system follows its chain: for every block that became canonical
since the last poll it sends a ``newHeads`` notification and the matching
logs; when a reorg or a rewind replaced blocks it had announced (it keeps
the last ``KEEP_ANNOUNCED``), their matching logs go out again with
``removed: true`` first.
"""

import asyncio
import contextlib
import json
import secrets
from dataclasses import dataclass
from typing import Final

from aiohttp import web

from interlace.api.rpc.chain import chain_view_of
from interlace.api.rpc.encode import header_json
from interlace.api.rpc.eth import block_logs
from interlace.api.rpc.params import LATEST, LogFilter, ParamError, parse_log_filter
from interlace.primitives.receipt import Receipt
from interlace.protocol.chain.block import Block
from interlace.runtime.live.host import NodeHostApi

POLL_INTERVAL: Final = 0.05
"""Seconds between head polls while subscriptions exist."""
KEEP_ANNOUNCED: Final = 128
"""Announced blocks remembered to detect reorgs and send removed logs."""
MAX_QUEUE: Final = 10_000
"""Messages waiting for one slow WebSocket client before it is disconnected."""
MAX_SUBSCRIPTIONS: Final = 100
"""Subscriptions per connection."""


class Session:
    """One WebSocket connection (see the module docstring)."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(MAX_QUEUE)
        self.subscriptions: set[str] = set()
        self.closed = False
        self._writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, message: object) -> None:
        """Queue one JSON message; a client too slow to drain its queue is disconnected."""
        if self.closed:
            return
        try:
            self.queue.put_nowait(json.dumps(message))
        except asyncio.QueueFull:
            self.closed = True
            asyncio.get_running_loop().create_task(
                self.ws.close(code=1008, message=b"client too slow: notification queue full")
            )

    async def _write(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None:
                return
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self.closed = True
                return

    async def close(self) -> None:
        """Stop the writer after what is queued has been written."""
        self.closed = True
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)
        try:
            await asyncio.wait_for(self._writer, timeout=1.0)
        except (TimeoutError, asyncio.CancelledError):
            self._writer.cancel()


@dataclass(slots=True)
class Subscription:
    """One ``eth_subscribe``."""

    id: str
    """``0x``-prefixed id returned to the client."""
    kind: str
    """``newHeads`` or ``logs``."""
    session: Session
    """Where notifications go."""
    log_filter: LogFilter | None = None
    """For ``logs``: address and topics."""

    def notify(self, result: object) -> None:
        """Send one ``eth_subscription`` notification."""
        self.session.send(
            {
                "jsonrpc": "2.0",
                "method": "eth_subscription",
                "params": {"subscription": self.id, "result": result},
            }
        )


class HeadWatcher:
    """Follows the node's head for subscribers (see the module docstring)."""

    def __init__(self, host: NodeHostApi, interval: float = POLL_INTERVAL) -> None:
        self.host = host
        self.interval = interval
        self.subscriptions: dict[str, Subscription] = {}
        self.announced: dict[int, tuple[Block, tuple[Receipt, ...]]] = {}
        self.head_hash: bytes | None = None
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, session: Session, kind: str, log_filter: LogFilter | None) -> str:
        """Register a subscription and start polling if needed; return its id."""
        sub_id = "0x" + secrets.token_hex(16)
        self.subscriptions[sub_id] = Subscription(sub_id, kind, session, log_filter)
        session.subscriptions.add(sub_id)
        if self._task is None or self._task.done():
            self._baseline()
            self._task = asyncio.get_running_loop().create_task(self._run())
        return sub_id

    def unsubscribe(self, session: Session, sub_id: str) -> bool:
        """Cancel one of ``session``'s subscriptions; False if it has no such id."""
        if sub_id not in session.subscriptions:
            return False
        session.subscriptions.discard(sub_id)
        self.subscriptions.pop(sub_id, None)
        return True

    def drop_session(self, session: Session) -> None:
        """Cancel every subscription of a closed connection."""
        for sub_id in list(session.subscriptions):
            self.unsubscribe(session, sub_id)

    async def stop(self) -> None:
        """Cancel the polling task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _baseline(self) -> None:
        """Start from the current head: only what happens after subscribing is sent."""
        view = chain_view_of(self.host.role)
        if view is None:
            return
        head = view.head()
        self.head_hash = head.hash
        self.announced = {head.number: (head, view.receipts(head.number) or ())}

    async def _run(self) -> None:
        while self.subscriptions:
            self.poll()
            await asyncio.sleep(self.interval)

    def poll(self) -> None:
        """Announce what changed since the last poll."""
        view = chain_view_of(self.host.role)
        if view is None:
            return
        head = view.head()
        if head.hash == self.head_hash:
            return
        fresh: list[Block] = []
        number = head.number
        while number >= 0 and len(fresh) < KEEP_ANNOUNCED:
            block = view.block(number)
            if block is None:
                break
            known = self.announced.get(number)
            if known is not None and known[0].hash == block.hash:
                break
            fresh.append(block)
            number -= 1
        fork = number  # highest block both histories share (or the scan's limit)
        for old in sorted((n for n in self.announced if n > fork), reverse=True):
            block, receipts = self.announced.pop(old)
            self._send_logs(block, receipts, removed=True)
        if not fresh:  # a rewind onto a block already announced: a new head, no new logs
            self._send_head(head)
        for block in reversed(fresh):
            receipts = view.receipts(block.number) or ()
            self.announced[block.number] = (block, receipts)
            self._send_head(block)
            self._send_logs(block, receipts, removed=False)
        for stale in [n for n in self.announced if n <= head.number - KEEP_ANNOUNCED]:
            del self.announced[stale]
        self.head_hash = head.hash

    def _send_head(self, block: Block) -> None:
        header = header_json(block.header, block.hash)
        for sub in list(self.subscriptions.values()):
            if sub.kind == "newHeads":
                sub.notify(header)

    def _send_logs(self, block: Block, receipts: tuple[Receipt, ...], *, removed: bool) -> None:
        for sub in list(self.subscriptions.values()):
            if sub.kind != "logs" or sub.log_filter is None:
                continue
            for log in block_logs(block, receipts, sub.log_filter, removed=removed):
                sub.notify(log)


def logs_filter_of(options: object) -> LogFilter:
    """A ``logs`` subscription filter (address and topics; block range is not allowed)."""
    if isinstance(options, dict) and {"fromBlock", "toBlock", "blockHash"} & set(options):
        raise ParamError("a logs subscription takes address and topics only")
    flt = parse_log_filter(options)
    return LogFilter(LATEST, LATEST, None, flt.addresses, flt.topics)
