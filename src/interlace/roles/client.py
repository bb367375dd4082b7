"""The workload client role: a deterministic stream of user transfers and L1 deposits.

Per rollup it owns a few development accounts (keys derived from the
scenario seed), and every tick it signs EIP-1559 transfers between them and
submits them to the rollup's sequencer. Every ``deposit_every`` seconds it
deposits ETH from an L1 account through the portal. Choices that look
random come from keccak of the seed and a counter, so the role reads no
random source. It remembers which transactions the sequencer acknowledged,
which the crash-restart checker uses. It follows L1 heads to learn which of
its deposits landed, so a deposit lost in an L1 reorg does not leave a gap
in its L1 nonces: an unseen deposit older than ``DEPOSIT_TIMEOUT`` is given
up and its nonce reused.
"""

from dataclasses import dataclass, field

from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import ChainId
from interlace.protocol.interop.messenger import MESSENGER_ABI, MESSENGER_ADDRESS
from interlace.protocol.l1.modules import PORTAL_ABI, PORTAL_ADDRESS
from interlace.protocol.l1.view import L1View
from interlace.roles.base import (
    Effect,
    Event,
    MessageReceived,
    NodeId,
    Role,
    SendMessage,
    SetTimer,
    Started,
    StoreView,
    TimerFired,
    Timestamp,
)
from interlace.roles.messages import (
    L1_BLOCKS_TOPIC,
    L1BlockPublished,
    SubmitL1Transaction,
    SubmitTransaction,
    TransactionAccepted,
    TransactionRejected,
    follow_l1,
)
from interlace.roles.names import L1_NODE
from interlace.roles.records import (
    ClientAcked,
    ClientDeposit,
    ClientMessage,
    ClientRejected,
)

MAX_FEE: int = 10**11
DEPOSIT_TIMEOUT: float = 12.0


def dev_key(seed: int, label: str, index: int) -> PrivateKey:
    """Deterministic development key ``index`` of ``label`` under ``seed``."""
    return private_key_from_seed(f"interlace/{seed}/{label}/{index}".encode())


@dataclass(frozen=True, slots=True)
class ClientParams:
    """What the workload does."""

    seed: int
    """Scenario seed (keys and choices derive from it)."""
    rollups: tuple[tuple[ChainId, NodeId], ...]
    """(chain id, sequencer node) of each rollup."""
    l1_chain_id: ChainId
    """The L1's chain id."""
    accounts_per_chain: int = 4
    """Funded accounts per rollup."""
    interval: float = 1.0
    """Seconds between ticks."""
    transfers_per_tick: int = 2
    """Transfers per rollup per tick."""
    deposit_every: float = 0.0
    """Seconds between L1 deposits (0 disables)."""
    deposit_value: int = 10**15
    """Wei per deposit."""
    messages_per_tick: float = 0.0
    """Cross-rollup ``sendMessage`` calls per rollup per tick (fractions accumulate)."""
    stop_at: float = float("inf")
    """No new transactions after this time (the liveness phase drains)."""
    l1_node: NodeId = L1_NODE
    """Where deposits go."""


@dataclass(slots=True)
class ClientState:
    """Nonces and bookkeeping (in memory: the client is never crashed)."""

    nonces: dict[tuple[int, int], int] = field(default_factory=dict)
    l1_inflight: dict[bytes, float] = field(default_factory=dict)
    counter: int = 0
    acked: set[bytes] = field(default_factory=set)
    pending: dict[bytes, tuple[int, int, int]] = field(default_factory=dict)
    acked_nonces: dict[tuple[int, int], set[int]] = field(default_factory=dict)
    sent: int = 0
    rejected: int = 0
    deposits: int = 0
    messages: int = 0


class WorkloadClient(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: ClientParams, store: StoreView) -> None:
        del store
        self.node_id = node_id
        self.params = params
        self.s = ClientState()
        self.keys = {
            chain_id: [
                dev_key(params.seed, f"rollup-{chain_id}", i)
                for i in range(params.accounts_per_chain)
            ]
            for chain_id, _node in params.rollups
        }
        self.l1_key = dev_key(params.seed, "l1", 0)
        self._last_deposit = 0.0
        self._message_credit = 0.0
        self.l1 = L1View()

    def subscriptions(self) -> tuple[str, ...]:
        return (L1_BLOCKS_TOPIC,)

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        if isinstance(event, Started):
            return [SetTimer("tick", Timestamp(now + self.params.interval))]
        if isinstance(event, TimerFired) and event.tag == "tick":
            if now > self.params.stop_at:
                return []
            return [*self._tick(now), SetTimer("tick", Timestamp(now + self.params.interval))]
        if isinstance(event, MessageReceived):
            message = event.message
            if isinstance(message, L1BlockPublished):
                follow_l1(self.l1, message)
                self.l1.release_below(self.l1.head_number + 1)  # only counts are read
                for tx in message.block.transactions:
                    self.s.l1_inflight.pop(tx.hash, None)
                return []
            if isinstance(message, TransactionAccepted):
                self.s.acked.add(message.tx_hash)
                sent = self.s.pending.pop(message.tx_hash, None)
                if sent is not None:
                    chain_id, index, nonce = sent
                    self.s.acked_nonces.setdefault((chain_id, index), set()).add(nonce)
                return [ClientAcked(tx=message.tx_hash.hex()[:16])]
            if isinstance(message, TransactionRejected):
                self.s.rejected += 1
                sent = self.s.pending.pop(message.tx_hash, None)
                if sent is not None:
                    # Resynchronise: resend from the lowest nonce the sequencer never
                    # acknowledged (a lost message leaves such a gap).
                    chain_id, index, _nonce = sent
                    acked = self.s.acked_nonces.get((chain_id, index), set())
                    gap = 0
                    while gap in acked:
                        gap += 1
                    self.s.nonces[(chain_id, index)] = gap
                return [ClientRejected(error=message.error)]
        return []

    def _pick(self, modulus: int) -> int:
        self.s.counter += 1
        digest = keccak256(f"{self.params.seed}/{self.s.counter}".encode())
        return int.from_bytes(digest[:8], "big") % modulus

    def _tick(self, now: Timestamp) -> list[Effect]:
        effects: list[Effect] = []
        for chain_id, sequencer in self.params.rollups:
            keys = self.keys[chain_id]
            for _ in range(self.params.transfers_per_tick):
                i = self._pick(len(keys))
                j = (i + 1 + self._pick(len(keys) - 1)) % len(keys) if len(keys) > 1 else i
                nonce = self.s.nonces.get((chain_id, i), 0)
                self.s.nonces[(chain_id, i)] = nonce + 1
                tx = sign_dynamic_fee(
                    keys[i],
                    chain_id=chain_id,
                    nonce=nonce,
                    to=keys[j].address,
                    gas_limit=21_000,
                    max_priority_fee_per_gas=1_000,
                    max_fee_per_gas=MAX_FEE,
                    value=1_000 + self._pick(1_000),
                )
                self.s.sent += 1
                self.s.pending[tx.hash] = (chain_id, i, nonce)
                effects.append(SendMessage(sequencer, SubmitTransaction(tx.raw)))
        self._message_credit += self.params.messages_per_tick
        while self._message_credit >= 1.0 and len(self.params.rollups) > 1:
            self._message_credit -= 1.0
            for chain_id, sequencer in self.params.rollups:
                effects.extend(self._send_message(chain_id, sequencer))
        every = self.params.deposit_every
        if every and now - self._last_deposit >= every:
            self._last_deposit = float(now)
            effects.extend(self._deposit(now))
        return effects

    def _send_message(self, chain_id: ChainId, sequencer: NodeId) -> list[Effect]:
        """A ``sendMessage`` from one of ``chain_id``'s accounts to another rollup."""
        others = [c for c, _node in self.params.rollups if c != chain_id]
        destination = others[self._pick(len(others))]
        keys = self.keys[chain_id]
        i = self._pick(len(keys))
        nonce = self.s.nonces.get((chain_id, i), 0)
        self.s.nonces[(chain_id, i)] = nonce + 1
        target = self.keys[destination][0].address
        body = keccak256(f"{self.params.seed}/message/{self.s.counter}".encode())
        calldata = MESSENGER_ABI.function("sendMessage").encode_call(destination, target, body)
        tx = sign_dynamic_fee(
            keys[i],
            chain_id=chain_id,
            nonce=nonce,
            to=MESSENGER_ADDRESS,
            gas_limit=200_000,
            max_priority_fee_per_gas=1_000,
            max_fee_per_gas=MAX_FEE,
            data=calldata,
        )
        self.s.sent += 1
        self.s.messages += 1
        self.s.pending[tx.hash] = (chain_id, i, nonce)
        return [
            SendMessage(sequencer, SubmitTransaction(tx.raw)),
            ClientMessage(source=chain_id, destination=destination),
        ]

    def _l1_nonce(self, now: Timestamp) -> int:
        """Own transactions in canonical L1 blocks, plus deposits still plausibly in flight."""
        landed = self.l1.sent_count(self.l1_key.address)
        self.s.l1_inflight = {
            h: t for h, t in self.s.l1_inflight.items() if now - t < DEPOSIT_TIMEOUT
        }
        return landed + len(self.s.l1_inflight)

    def _deposit(self, now: Timestamp) -> list[Effect]:
        chain_id, _node = self.params.rollups[self._pick(len(self.params.rollups))]
        recipient = self.keys[chain_id][0].address
        calldata = PORTAL_ABI.function("depositTransaction").encode_call(
            chain_id, recipient, 0, 100_000, b""
        )
        tx = sign_dynamic_fee(
            self.l1_key,
            chain_id=self.params.l1_chain_id,
            nonce=self._l1_nonce(now),
            to=PORTAL_ADDRESS,
            gas_limit=200_000,
            max_priority_fee_per_gas=1_000,
            max_fee_per_gas=MAX_FEE,
            data=calldata,
            value=self.params.deposit_value,
        )
        self.s.l1_inflight[tx.hash] = float(now)
        self.s.deposits += 1
        return [
            SendMessage(self.params.l1_node, SubmitL1Transaction(tx.raw)),
            ClientDeposit(chain=chain_id, value=self.params.deposit_value),
        ]
