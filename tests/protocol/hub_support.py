"""Helpers shared by the hub tracker tests: real rollup blocks signed as the sequencer
signs them, a tracker over canonical L1 blocks, and the batch entry an honest batcher posts."""

import dataclasses
from collections.abc import Sequence
from typing import Any

from interlace.primitives.envelope import sign_envelope
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block, BuiltBlock, build_block
from interlace.protocol.hub.state import (
    SafetyLevel,
)
from interlace.protocol.hub.tracker import (
    HubTracker,
    Ingested,
    Outcome,
)
from interlace.protocol.interop.messenger import (
    Dependency,
    MessengerConfig,
    TrustMode,
    dependency_deposit,
    hub_update_deposit,
)
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import BatchBlock, L1Origin, attributes_deposit
from interlace.protocol.rollup.payload import payload_from_block
from tests.protocol.support import ALICE, BOB, ETHER, transfer

A, B, C = ChainId(901), ChainId(902), ChainId(903)
HUB_KEY = private_key_from_seed(b"hub")
NOW = 1_000_000.0
"""Hub clock far past every block timestamp (only the timestamp test uses another)."""


def l1_hash(number: int, fork: bytes = b"") -> Hash32:
    """Hash of L1 block ``number`` on the canonical history (or on ``fork``)."""
    return Hash32(keccak256(b"l1 block %d" % number + fork))


def l1_origin(number: int, fork: bytes = b"") -> L1Origin:
    return L1Origin(U64(number), l1_hash(number, fork), U64(number), U256(1_000_000_000))


def sequencer_key(chain_id: int) -> PrivateKey:
    return private_key_from_seed(b"sequencer-%d" % chain_id)


def batcher_address(chain_id: int) -> Address:
    return private_key_from_seed(b"batcher-%d" % chain_id).address


class Rollup:
    """One rollup's chain, extended block by block; each block comes back signed."""

    def __init__(self, chain_id: ChainId, genesis_timestamp: int = 0) -> None:
        self.chain_id = chain_id
        self.key = sequencer_key(chain_id)
        self.chain = RollupChain(
            RollupGenesis(
                chain_id,
                l1_origin(0),
                genesis_timestamp,
                {ALICE.address: ETHER},
                MessengerConfig(TrustMode.PRECONFIRMED, HUB_KEY.address),
            )
        )
        self.user_nonce = 0
        self.hub_updates: dict[int, tuple[bytes, ...]] = {}
        """Signed hub blocks forwarded in each appended block (what its batch entry carries)."""
        self._last: tuple[L1Origin, tuple[bytes, ...]] = (l1_origin(0), ())

    @property
    def genesis_hash(self) -> Hash32:
        return self.chain.blocks[0].hash

    def build(
        self,
        origin: L1Origin | int = 1,
        *,
        deps: Sequence[Dependency] = (),
        users: int = 0,
        hub_updates: Sequence[bytes] = (),
        extra: bytes = b"",
        timestamp: int | None = None,
    ) -> BuiltBlock:
        """The next block, not appended: ``build_next``'s order with an explicit declaration."""
        chain = self.chain
        origin = l1_origin(origin) if isinstance(origin, int) else origin
        candidates: list[Transaction] = [attributes_deposit(origin, chain.sequence_number(origin))]
        if deps:
            candidates.append(dependency_deposit(chain.head.hash, tuple(deps)))
        candidates.extend(hub_update_deposit(h) for h in hub_updates)
        candidates.extend(
            transfer(ALICE, self.user_nonce + i, BOB.address, 1, chain_id=self.chain_id)
            for i in range(users)
        )
        built = build_block(
            chain.config,
            chain.head.header,
            chain.head_state,
            chain.modules,
            candidates,
            timestamp=chain.head.header.timestamp + 1 if timestamp is None else timestamp,
            extra_data=extra,
            prev_randao=origin.hash,
            parent_hash=chain.head.hash,
        )
        assert not built.rejected
        self._last = (origin, tuple(hub_updates))
        return built

    def append(self, built: BuiltBlock) -> bytes:
        """Make ``built`` the head; return its envelope."""
        origin, hub_updates = self._last
        self.chain.append(built, origin)
        self.hub_updates[built.block.number] = hub_updates
        self.user_nonce = self.chain.head_state.get_account(ALICE.address).nonce
        return self.sign(built.block)

    def add(self, origin: L1Origin | int = 1, **kwargs: Any) -> bytes:
        """Build, append and sign the next block."""
        return self.append(self.build(origin, **kwargs))

    def sign(
        self, block: Block, key: PrivateKey | None = None, chain_id: int | None = None
    ) -> bytes:
        """The ``blocks/v3`` envelope, as ``Sequencer._sign`` makes it."""
        return sign_envelope(
            payload_from_block(block),
            ZERO_HASH,
            self.chain_id if chain_id is None else chain_id,
            key or self.key,
        )

    def dep(self, number: int) -> Dependency:
        """A dependency on this chain's block ``number``."""
        return Dependency(self.chain_id, number, self.chain.blocks[number].hash)


def tracker_for(*rollups: Rollup, l1_through: int = 5) -> HubTracker:
    """A tracker with every rollup registered and canonical L1 blocks 0..``l1_through``."""
    tracker = HubTracker()
    for rollup in rollups:
        tracker.register(
            rollup.chain_id,
            rollup.key.address,
            batcher_address(rollup.chain_id),
            rollup.genesis_hash,
        )
    for number in range(l1_through + 1):
        tracker.set_l1_block(number, l1_hash(number))
    return tracker


def snapshot(tracker: HubTracker) -> object:
    """Everything an envelope may change, in comparable form."""
    return (
        {
            chain: (
                {n: dataclasses.astuple(b) for n, b in client.blocks.items()},
                sorted(client.pending),
                sorted(client.raw_pending),
                client.frozen,
                client.head,
            )
            for chain, client in tracker.clients.items()
        },
        list(tracker.evidence),
        dict(tracker.changed),
        tracker.invalidated,
    )


def level(tracker: HubTracker, chain_id: int, number: int) -> tuple[SafetyLevel, SafetyLevel]:
    status = tracker.status(chain_id, number)
    assert status is not None
    return status.level, status.cross_level


PRE = (SafetyLevel.PRECONFIRMED, SafetyLevel.PRECONFIRMED)
WAITING = Ingested(Outcome.WAITING)
KNOWN = Ingested(Outcome.KNOWN)
INVALID = (SafetyLevel.INVALID, SafetyLevel.INVALID)


def ingest_all(tracker: HubTracker, chain_id: int, envelopes: Sequence[bytes]) -> None:
    for envelope in envelopes:
        ingested = tracker.ingest_envelope(chain_id, envelope, NOW)
        assert ingested.outcome is Outcome.ACCEPTED and len(ingested.accepted) == 1


def batch_entry(rollup: Rollup, number: int, **over: Any) -> BatchBlock:
    """The batch entry an honest batcher posts for block ``number``."""
    block = rollup.chain.blocks[number]
    origin = rollup.chain.origin_at(number)
    entry = BatchBlock(
        U64(number),
        U64(block.header.timestamp),
        origin.number,
        origin.hash,
        tuple(tx.raw for tx in block.transactions if not isinstance(tx, DepositTransaction)),
        rollup.hub_updates[number],
    )
    return dataclasses.replace(entry, **over)
