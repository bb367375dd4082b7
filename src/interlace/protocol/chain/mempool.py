"""A mempool with validation and per-sender nonce ordering (shared by L1 and sequencers).

``add`` validates a transaction against the pending state (head state plus
the sender's queued transactions), so a transaction that could never run is
refused at the door with a typed error and never reaches a block. A second
transaction with the same sender and nonce is refused as a double spend
(there is no replace-by-fee). A transaction whose nonce is a little ahead
of the sender's next one (at most ``MAX_FUTURE_GAP``) waits in a future
queue and is promoted when the gap fills, as geth's pool does, so two
transactions that the network delivers out of order both get in.
``candidates`` yields ready transactions in arrival order of senders and
nonce order within a sender.

The per-sender limits (``MAX_PENDING_PER_SENDER``, ``MAX_FUTURE_GAP``) and the
balance checks guard the door, against new transactions from outside. A
transaction the pool has accepted stays until a block uses its nonce: it is
promoted without being judged again, and ``readmit`` puts back transactions a
rewind took out of blocks (or a restart reloads) without the door's limits. A
rewind of many blocks returns more of one sender's transactions than a new
arrival may queue, and refusing the excess lost acknowledged transactions and
left a nonce gap no later transaction could fill (explorer seed 3129).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import Address, Hash32
from interlace.protocol.chain.errors import (
    DuplicateTransaction,
    InsufficientFunds,
    NonceTooHigh,
    NonceTooLow,
    UnsupportedTransaction,
)
from interlace.protocol.chain.execution import BlockEnv, check_transaction, fee_caps
from interlace.protocol.chain.state import WorldState

MAX_PENDING_PER_SENDER = 64
MAX_FUTURE_GAP = 16


@dataclass(slots=True)
class Mempool:
    """Pending transactions by sender, each sender's queue in nonce order."""

    by_hash: dict[Hash32, Transaction] = field(default_factory=dict)
    """Every pending transaction by hash."""
    queues: dict[Address, list[Transaction]] = field(default_factory=dict)
    """Per-sender queues, nonce-contiguous, in insertion order of senders."""
    future: dict[Address, dict[int, Transaction]] = field(default_factory=dict)
    """Per-sender transactions waiting for a nonce gap to fill."""

    def add(self, tx: Transaction, state: WorldState, env: BlockEnv) -> None:
        """Validate ``tx`` against head state plus the sender's queue; raise or enqueue."""
        if isinstance(tx, DepositTransaction):
            raise UnsupportedTransaction("deposit transactions cannot be submitted")
        if tx.hash in self.by_hash or tx.hash in self._future_hashes(tx.sender):
            raise DuplicateTransaction("transaction already pending")
        queue = self.queues.get(tx.sender, [])
        account = state.get_account(tx.sender)
        expected = account.nonce + len(queue)
        if tx.nonce < account.nonce:
            raise NonceTooLow(f"nonce {tx.nonce} already used (account nonce {account.nonce})")
        if tx.nonce < expected:
            raise DuplicateTransaction(f"nonce {tx.nonce} is already pending (double spend)")
        if tx.nonce > expected:
            waiting = self.future.setdefault(tx.sender, {})
            if tx.nonce > expected + MAX_FUTURE_GAP or len(waiting) >= MAX_FUTURE_GAP:
                raise NonceTooHigh(f"nonce {tx.nonce} leaves a gap (next is {expected})")
            if tx.nonce in waiting:
                raise DuplicateTransaction(f"nonce {tx.nonce} is already queued (double spend)")
            check_transaction(env, tx, env.gas_limit, tx.nonce, account.balance)
            waiting[tx.nonce] = tx
            return
        if len(queue) >= MAX_PENDING_PER_SENDER:
            raise NonceTooHigh("too many pending transactions for this sender")
        # Validate as if it were the sender's next transaction, with the queue's
        # worst-case spend reserved so queued transactions cannot overdraw.
        pending_cost = sum(fee_caps(q)[0] * q.gas_limit + q.value for q in queue)
        if account.balance < pending_cost:
            raise InsufficientFunds("queued transactions already spend the whole balance")
        check_transaction(env, tx, env.gas_limit, tx.nonce, account.balance - pending_cost)
        self.by_hash[tx.hash] = tx
        self.queues.setdefault(tx.sender, []).append(tx)
        self._promote(tx.sender, state)

    def _future_hashes(self, sender: Address) -> set[Hash32]:
        return {t.hash for t in self.future.get(sender, {}).values()}

    def _promote(self, sender: Address, state: WorldState) -> None:
        """Move queued future transactions that now follow on into the ready queue.

        They were judged when they arrived; judging them again here dropped the
        one refused (a full queue) from the pool, acknowledged and never run.
        """
        waiting = self.future.get(sender)
        if not waiting:
            return
        queue = self.queues.setdefault(sender, [])
        next_nonce = state.get_account(sender).nonce + len(queue)
        while next_nonce in waiting:
            following = waiting.pop(next_nonce)
            self.by_hash[following.hash] = following
            queue.append(following)
            next_nonce += 1
        if not queue:
            del self.queues[sender]
        if not waiting:
            del self.future[sender]

    def readmit(self, txs: Iterable[Transaction], state: WorldState) -> list[Transaction]:
        """Put back transactions this pool accepted before; return those it cannot keep.

        For a rewind's dropped blocks and a restart's stored pending
        transactions: they were acknowledged, so the door's limits do not apply.
        Each goes where its nonce puts it against ``state`` (ready if it follows
        on, else waiting). Returned, not kept: deposits, a nonce ``state`` has
        used, and a second transaction for a sender and nonce the pool holds.
        """
        refused: list[Transaction] = []
        for tx in txs:
            # The ready queue runs on from the state's nonce: below its end is used or held.
            ready_end = state.get_account(tx.sender).nonce + len(self.queues.get(tx.sender, []))
            if (
                isinstance(tx, DepositTransaction)
                or tx.nonce < ready_end
                or tx.nonce in self.future.get(tx.sender, {})
            ):
                refused.append(tx)
                continue
            self.future.setdefault(tx.sender, {})[tx.nonce] = tx
            self._promote(tx.sender, state)
        return refused

    def evict(self, tx: Transaction) -> None:
        """Remove a pending transaction; the sender's later ones wait in the future queue."""
        queue = self.queues.get(tx.sender)
        if queue is None or tx not in queue:
            return
        position = queue.index(tx)
        del self.by_hash[tx.hash]
        later = queue[position + 1 :]
        del queue[position:]
        for moved in later:
            del self.by_hash[moved.hash]
            self.future.setdefault(tx.sender, {})[moved.nonce] = moved
        if not queue:
            del self.queues[tx.sender]

    def candidates(self) -> list[Transaction]:
        """Pending transactions: senders in arrival order, each in nonce order."""
        return [tx for queue in self.queues.values() for tx in queue]

    def prune(self, state: WorldState) -> list[Transaction]:
        """Re-align every sender's queues with a new head state; return what was dropped.

        Transactions whose nonce the head has used are dropped. After a
        reorg lowers a sender's nonce, the ready queue may no longer start at
        it: its transactions go back to the future queue until the gap fills.
        """
        dropped: list[Transaction] = []
        # Ready senders first, in arrival order, then senders with only future
        # transactions: never a set, whose order would follow PYTHONHASHSEED.
        for sender in list(dict.fromkeys([*self.queues, *self.future])):
            nonce = state.get_account(sender).nonce
            ready = self.queues.pop(sender, [])
            waiting = self.future.pop(sender, {})
            merged = {tx.nonce: tx for tx in ready} | waiting
            for tx in ready:
                del self.by_hash[tx.hash]
            queue: list[Transaction] = []
            later: dict[int, Transaction] = {}
            for n in sorted(merged):
                tx = merged[n]
                if n < nonce:
                    dropped.append(tx)
                elif n == nonce + len(queue):
                    queue.append(tx)
                    self.by_hash[tx.hash] = tx
                else:
                    later[n] = tx
            if queue:
                self.queues[sender] = queue
            if later:
                self.future[sender] = later
        return dropped

    def __len__(self) -> int:
        return len(self.by_hash)

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self.by_hash
