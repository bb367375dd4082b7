"""One L1 account's transactions: nonces, signing, the ones in flight, resubmission, inclusion.

A role that sends L1 transactions (the batcher, the hub's aggregates, the
game players, the prover coordinator) owns one ``L1Sender``. The sender
holds the account key and signs every transaction (EIP-1559, EIP-155 for
the L1's chain id). It learns the account's confirmed nonce from the
canonical L1 blocks its owner shows it (``scan``, and ``forget_from`` after
an L1 reorg), so a restart needs nothing stored to get it right: the L1
re-sync brings it back. The next nonce is one above the highest tracked
transaction (pending, or included and not yet final), or the confirmed
nonce if that is higher: a nonce below a pending transaction is not taken
again while it waits (an owner that gives one up and wants its nonce back
gives up those above it too), and a nonce seen on L1 is never signed again,
even while the owner's view of L1 has a gap below it.

Each transaction is a ``SentTx`` in one of three states (``TxState``, its
moves in ``_NEXT``): ``PENDING`` (sent, in no canonical L1 block),
``LANDED`` or ``REVERTED`` (in a canonical L1 block that is not finalized
yet: a reorg can still take it out, and then it is ``PENDING`` again and
due at once, as the L1 node may have lost it with the replaced blocks; a
copy it still holds makes the resend a harmless duplicate). Once its
L1 block is finalized it is forgotten (``forget_final``). ``scan`` and
``forget_from`` report what changed as ``Included`` and ``Dropped`` values.

Time is one unit, the role framework's ``Timestamp`` (seconds): a pending
transaction is due ``resubmit_after`` seconds after it was sent, on the
clock its owner passes in. The hub passes its own ``now``; the roles that
act on L1 blocks pass the L1 head's timestamp (``l1_time``), since a
transaction can only land with a block and that block's time is when the
question is decided. The owner decides what a due transaction becomes:
the same bytes again (``resend``), another call at the same nonce
(``replace``), or nothing (``give_up``: it plans again). The sender arms no
timer of its own: every owner checks ``due`` when an L1 block (or its own
loop) wakes it, which is the only moment an answer can have changed.

With ``store_prefix`` set, the transactions in flight are persisted (key
``prefix + nonce``, RLP[tag, raw, sent_at]) and come back as ``PENDING``
on a restart, so the owner never signs a second transaction for work whose
first is still live; without it, a restarted owner plans again from L1.
"""

import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum
from typing import Final

from interlace.primitives.errors import MisuseError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import Receipt
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp, read_bytes, read_list
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import Address, ChainId
from interlace.protocol.chain.block import Block
from interlace.protocol.l1.view import L1View
from interlace.roles.base import (
    Effect,
    NodeId,
    PersistBatch,
    SendMessage,
    StoreView,
    Timestamp,
)
from interlace.roles.messages import SubmitL1Transaction
from interlace.roles.names import L1_NODE

MAX_FEE_PER_GAS: Final = 10**11
"""100 gwei: far above the L1's base fee (the default cap of every sender)."""
MAX_PRIORITY_FEE_PER_GAS: Final = 1


class NotInFlight(MisuseError, ValueError):
    """The owner named a nonce the sender holds no transaction for (local misuse)."""


@dataclass(frozen=True, slots=True)
class L1SenderParams:
    """One L1 account and how its transactions are sent."""

    key: PrivateKey
    """The account's key: signs every transaction and pays for it."""
    l1_chain_id: ChainId
    """The L1's chain id (transactions are EIP-155 signed for it)."""
    resubmit_after: float
    """Seconds a transaction may stay pending before it is due again."""
    l1_node: NodeId = L1_NODE
    """Where transactions are sent."""
    max_fee_per_gas: int = MAX_FEE_PER_GAS
    """The fee cap of every transaction."""
    max_priority_fee_per_gas: int = MAX_PRIORITY_FEE_PER_GAS
    """The tip of every transaction."""
    store_prefix: bytes | None = None
    """Persist the transactions in flight under this prefix (None: keep them in memory)."""


@dataclass(frozen=True, slots=True)
class L1Call:
    """What one transaction does: a call to an L1 module."""

    to: Address
    """The module called."""
    data: bytes
    """ABI calldata."""
    gas_limit: int
    """Gas for the whole transaction."""
    value: int = 0
    """Wei sent with it (a bond)."""


class TxState(Enum):
    """Where one of the account's transactions is."""

    PENDING = "pending"
    """Sent (or dropped by a reorg) and in no canonical L1 block."""
    LANDED = "landed"
    """In a canonical, not yet finalized L1 block, and it succeeded."""
    REVERTED = "reverted"
    """In a canonical, not yet finalized L1 block, and it reverted (its nonce is spent)."""


class _Step(Enum):
    SEND = "send"
    LAND = "land"
    REVERT = "revert"
    REORG = "reorg"


_NEXT: Final[dict[tuple[TxState, _Step], TxState]] = {
    (TxState.PENDING, _Step.SEND): TxState.PENDING,
    (TxState.PENDING, _Step.LAND): TxState.LANDED,
    (TxState.PENDING, _Step.REVERT): TxState.REVERTED,
    # Seen again at another height (a re-sync after a reorg its owner did not report).
    (TxState.LANDED, _Step.LAND): TxState.LANDED,
    (TxState.LANDED, _Step.REVERT): TxState.REVERTED,
    (TxState.REVERTED, _Step.LAND): TxState.LANDED,
    (TxState.REVERTED, _Step.REVERT): TxState.REVERTED,
    (TxState.LANDED, _Step.REORG): TxState.PENDING,
    (TxState.REVERTED, _Step.REORG): TxState.PENDING,
}
"""(state, step) → the next state. A missing pair is misuse: an included transaction is
not resent, a pending one is not reorged. Leaving the table (finalized, given up) is
forgetting the transaction."""


@dataclass(frozen=True, slots=True)
class SentTx:
    """One transaction of the account, as the sender tracks it."""

    nonce: int
    """Its nonce."""
    tag: str
    """The owner's name for what it does (e.g. ``"batch"``, ``"7:attack:2"``)."""
    raw: bytes
    """The signed transaction, as sent."""
    sent_at: Timestamp | None
    """When it was last sent, on the owner's clock; None: due at once (a reorg dropped it)."""
    state: TxState = TxState.PENDING
    """Where it is."""
    l1_number: int | None = None
    """The canonical L1 block holding it (LANDED or REVERTED)."""


@dataclass(frozen=True, slots=True)
class Sent:
    """A transaction the sender signed and sent, with the effects that send it."""

    tx: SentTx
    """The transaction as now tracked."""
    effects: tuple[Effect, ...]
    """Its store write (if persisted) and the message to the L1 node, in that order."""


@dataclass(frozen=True, slots=True)
class Included:
    """One of the account's transactions is in a canonical L1 block (reported once per block)."""

    tx: SentTx
    """The transaction (LANDED or REVERTED, with its block)."""

    @property
    def success(self) -> bool:
        """Whether it succeeded."""
        return self.tx.state is TxState.LANDED


@dataclass(frozen=True, slots=True)
class Dropped:
    """An L1 reorg took one of the account's transactions out of the canonical chain."""

    tx: SentTx
    """The transaction, PENDING again and due at once."""
    was_in: int
    """The replaced L1 block that held it."""


def l1_time(view: L1View) -> Timestamp:
    """The timestamp of the L1 head a view holds (0 before any block): the clock of the
    senders whose owners act on L1 blocks."""
    head = view.block(view.head_number) if view.head_number >= 0 else None  # never released
    return Timestamp(0.0 if head is None else float(head.header.timestamp))


class L1Sender:
    """See the module docstring."""

    def __init__(self, params: L1SenderParams, store: StoreView | None = None) -> None:
        self.params = params
        self.address = params.key.address
        self._txs: dict[int, SentTx] = {}
        self._own_at: dict[int, tuple[int, ...]] = {}
        """Canonical L1 block → nonces of the account's transactions it holds."""
        self._confirmed = 0
        if store is not None and params.store_prefix is not None:
            self._restore(store, params.store_prefix)

    # ---- reading ---------------------------------------------------------------------

    @property
    def confirmed_nonce(self) -> int:
        """Transactions of the account in the canonical L1 blocks shown so far."""
        return self._confirmed

    def next_nonce(self) -> int:
        """The confirmed nonce, or one above the highest tracked transaction if higher."""
        return max([self._confirmed, *(nonce + 1 for nonce in self._txs)])

    def transactions(self) -> tuple[SentTx, ...]:
        """Every tracked transaction, by nonce."""
        return tuple(self._txs[n] for n in sorted(self._txs))

    def pending(self) -> tuple[SentTx, ...]:
        """The transactions in no canonical L1 block, by nonce."""
        return tuple(tx for tx in self.transactions() if tx.state is TxState.PENDING)

    def get(self, nonce: int) -> SentTx | None:
        """The transaction at ``nonce``, if tracked."""
        return self._txs.get(nonce)

    def is_due(self, tx: SentTx, now: Timestamp) -> bool:
        """Whether a pending ``tx`` has waited ``resubmit_after`` seconds by ``now``."""
        return tx.state is TxState.PENDING and (
            tx.sent_at is None or now - tx.sent_at >= self.params.resubmit_after
        )

    def due(self, now: Timestamp) -> tuple[SentTx, ...]:
        """The pending transactions that are due at ``now``, by nonce."""
        return tuple(tx for tx in self.pending() if self.is_due(tx, now))

    # ---- sending ---------------------------------------------------------------------

    def submit(self, tag: str, call: L1Call, now: Timestamp) -> Sent:
        """Sign ``call`` at the next nonce and send it."""
        nonce = self.next_nonce()
        return self._send(SentTx(nonce, tag, self._sign(nonce, call), now))

    def resend(self, nonce: int, now: Timestamp) -> Sent:
        """Send a pending transaction again, the same bytes (so it can land only once)."""
        return self._send(replace(self._pending_at(nonce), sent_at=now))

    def replace(self, nonce: int, tag: str, call: L1Call, now: Timestamp) -> Sent:
        """Send another call at a pending transaction's nonce (whichever lands first counts)."""
        self._pending_at(nonce)
        return self._send(SentTx(nonce, tag, self._sign(nonce, call), now))

    def give_up(self, nonce: int) -> tuple[Effect, ...]:
        """Forget a pending transaction: its nonce is free for the next ``submit`` once no
        pending one is above it. (The L1 node may still hold it, so the next transaction at
        that nonce may lose to it.)"""
        self._pending_at(nonce)
        del self._txs[nonce]
        return self._delete((nonce,))

    def _pending_at(self, nonce: int) -> SentTx:
        tx = self._txs.get(nonce)
        if tx is None or tx.state is not TxState.PENDING:
            raise NotInFlight(f"no pending L1 transaction at nonce {nonce}")
        return tx

    def _sign(self, nonce: int, call: L1Call) -> bytes:
        return sign_dynamic_fee(
            self.params.key,
            chain_id=self.params.l1_chain_id,
            nonce=nonce,
            to=call.to,
            gas_limit=call.gas_limit,
            max_priority_fee_per_gas=self.params.max_priority_fee_per_gas,
            max_fee_per_gas=self.params.max_fee_per_gas,
            data=call.data,
            value=call.value,
        ).raw

    def _send(self, tx: SentTx) -> Sent:
        tx = self._move(tx, _Step.SEND)
        effects: list[Effect] = []
        prefix = self.params.store_prefix
        if prefix is not None:
            effects.append(PersistBatch(((_key(prefix, tx.nonce), _encode(tx)),)))
        effects.append(SendMessage(self.params.l1_node, SubmitL1Transaction(tx.raw)))
        return Sent(tx, tuple(effects))

    def _move(self, tx: SentTx, step: _Step) -> SentTx:
        """Track ``tx`` after ``step`` (its state follows ``_NEXT``)."""
        old = self._txs.get(tx.nonce)
        state = TxState.PENDING if old is None else _NEXT.get((old.state, step))
        if old is not None and state is None:
            raise NotInFlight(f"L1 transaction {tx.nonce} is {old.state.value}: no {step.value}")
        assert state is not None
        moved = replace(tx, state=state)
        self._txs[tx.nonce] = moved
        return moved

    # ---- following L1 ----------------------------------------------------------------

    def scan(self, number: int, block: Block, receipts: Sequence[Receipt]) -> tuple[Included, ...]:
        """Account for one canonical L1 block (again after a reorg or a re-sync)."""
        nonces: list[int] = []
        included: list[Included] = []
        for tx, receipt in zip(block.transactions, receipts, strict=True):
            if tx.sender != self.address:
                continue
            nonces.append(tx.nonce)
            ours = self._txs.get(tx.nonce)
            if ours is None or (ours.state is not TxState.PENDING and ours.l1_number == number):
                continue
            step = _Step.LAND if receipt.success else _Step.REVERT
            included.append(Included(self._move(replace(ours, l1_number=number), step)))
        self._confirmed -= len(self._own_at.pop(number, ()))
        if nonces:
            self._own_at[number] = tuple(nonces)
            self._confirmed += len(nonces)
        return tuple(included)

    def forget_from(self, number: int) -> tuple[Dropped, ...]:
        """An L1 reorg replaced blocks ``number`` and up: what they held is pending again."""
        for stale in [n for n in self._own_at if n >= number]:
            self._confirmed -= len(self._own_at.pop(stale))
        dropped: list[Dropped] = []
        for nonce in sorted(self._txs):
            tx = self._txs[nonce]
            if tx.l1_number is not None and tx.l1_number >= number:
                again = self._move(replace(tx, l1_number=None, sent_at=None), _Step.REORG)
                dropped.append(Dropped(again, tx.l1_number))
        return tuple(dropped)

    def forget_final(self, finalized_number: int) -> tuple[Effect, ...]:
        """Forget the transactions in finalized L1 blocks (no reorg takes them out)."""
        done = [
            nonce
            for nonce, tx in self._txs.items()
            if tx.l1_number is not None and tx.l1_number <= finalized_number
        ]
        for nonce in done:
            del self._txs[nonce]
        return self._delete(done)

    # ---- persistence -----------------------------------------------------------------

    def _delete(self, nonces: Sequence[int]) -> tuple[Effect, ...]:
        prefix = self.params.store_prefix
        if prefix is None or not nonces:
            return ()
        return (PersistBatch(tuple((_key(prefix, n), None) for n in nonces)),)

    def _restore(self, store: StoreView, prefix: bytes) -> None:
        for key, raw in store.iterate_prefix(prefix):
            nonce = int.from_bytes(key[len(prefix) :], "big")
            tag, tx_raw, sent_at = read_list(decode_rlp(raw), 3, "L1 transaction")
            at = read_bytes(sent_at)
            self._txs[nonce] = SentTx(
                nonce,
                read_bytes(tag).decode(),
                read_bytes(tx_raw),
                Timestamp(struct.unpack(">d", at)[0]) if at else None,
            )


def _key(prefix: bytes, nonce: int) -> bytes:
    return prefix + nonce.to_bytes(8, "big")


def _encode(tx: SentTx) -> bytes:
    sent_at = b"" if tx.sent_at is None else struct.pack(">d", tx.sent_at)
    return encode_rlp([tx.tag.encode(), tx.raw, sent_at])
