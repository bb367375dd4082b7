"""L1 settlement modules (registry, inbox, portal), deposit derivation, and the L1 node role.

The role is driven directly, sans-IO: events in, effects out, and the test
applies ``PersistBatch`` effects to a ``MemoryStore`` itself, as a runtime would.
"""

from collections.abc import Sequence
from typing import TypeVar

from interlace.primitives.hashing import keccak256
from interlace.primitives.receipt import Receipt
from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import U64, Address, ChainId
from interlace.protocol.chain.block import Block, build_block
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.genesis import L1_CHAIN_ID, build_l1_genesis, l1_modules
from interlace.protocol.l1.modules import (
    INBOX_ABI,
    INBOX_ADDRESS,
    PORTAL_ABI,
    PORTAL_ADDRESS,
    REGISTRY_ABI,
    REGISTRY_ADDRESS,
    RollupKind,
    RollupRecord,
    escrowed_on_l1,
    read_rollup,
)
from interlace.protocol.rollup.derivation import deposits_in_l1_block
from interlace.roles.base import (
    Broadcast,
    Effect,
    MessageReceived,
    NodeId,
    PersistBatch,
    SetTimer,
    Started,
    TimerFired,
    Timestamp,
)
from interlace.roles.l1_node import L1Node, L1Params
from interlace.roles.messages import InjectReorg, L1BlockPublished, SubmitL1Transaction
from interlace.roles.records import L1ReorgRefused, L1TxRejected, Record
from interlace.runtime.store import MemoryStore
from tests.protocol.support import (
    ADMIN,
    ALICE,
    BATCHER,
    BOB,
    ETHER,
    ROLLUP_ID,
    SEQUENCER,
    l1_genesis,
    rollup_record,
    source_hash,
    transfer,
)

MODULES = l1_modules()
GAS = 400_000


def _l1_call(key, nonce: int, to: Address, data: bytes, value: int = 0) -> Transaction:
    return transfer(key, nonce, to, value, chain_id=L1_CHAIN_ID, gas_limit=GAS, data=data)


def _register(key, nonce: int, chain_id: int, kind: int = 1) -> Transaction:
    data = REGISTRY_ABI.function("registerRollup").encode_call(
        chain_id, kind, SEQUENCER.address, BATCHER.address, 600
    )
    return _l1_call(key, nonce, REGISTRY_ADDRESS, data)


def _post_batch(
    key, nonce: int, chain_id: int = ROLLUP_ID, payload: bytes = b"batch"
) -> Transaction:
    data = INBOX_ABI.function("postBatch").encode_call(chain_id, payload)
    return _l1_call(key, nonce, INBOX_ADDRESS, data)


def _deposit(
    key, nonce: int, amount: int, chain_id: int = ROLLUP_ID, l2_value: int = 0
) -> Transaction:
    data = PORTAL_ABI.function("depositTransaction").encode_call(
        chain_id, BOB.address, l2_value, 100_000, b"hello"
    )
    return _l1_call(key, nonce, PORTAL_ADDRESS, data, value=amount)


def _run(
    txs: Sequence[Transaction], state: WorldState | None = None
) -> tuple[Block, WorldState, tuple[Receipt, ...]]:
    """One L1 block over the genesis (or ``state``) with ``txs``, all of which must be included."""
    genesis = l1_genesis()
    header, genesis_state = build_l1_genesis(genesis)
    built = build_block(
        genesis.config, header, state or genesis_state, MODULES, list(txs), timestamp=12
    )
    assert built.rejected == ()
    return built.block, built.state, built.receipts


# ---- genesis and registry --------------------------------------------------------------


def test_genesis_registers_rollups() -> None:
    state = build_l1_genesis(l1_genesis())[1]
    assert read_rollup(state, ROLLUP_ID) == rollup_record()
    assert read_rollup(state, 999) is None


def test_genesis_with_several_rollups() -> None:
    second = RollupRecord(
        ChainId(902), RollupKind.VALIDITY, BOB.address, ALICE.address, U64(0), ADMIN.address
    )
    state = build_l1_genesis(l1_genesis([rollup_record(), second]))[1]
    assert read_rollup(state, 902) == second
    assert read_rollup(state, ROLLUP_ID) == rollup_record()


def test_anyone_may_register_a_rollup() -> None:
    _block, state, receipts = _run([_register(ALICE, 0, 902)])
    assert receipts[0].success
    record = read_rollup(state, 902)
    assert record is not None
    assert record.admin == ALICE.address
    assert record.kind == RollupKind.VALIDITY
    assert record.batcher == BATCHER.address
    assert record.challenge_window == 600
    (log,) = receipts[0].logs
    assert log.topics[0] == keccak256(b"RollupRegistered(uint256,uint8,address,address)")


def test_duplicate_registration_is_refused() -> None:
    _block, state, receipts = _run([_register(ALICE, 0, 902), _register(BOB, 0, 902, kind=0)])
    assert [r.success for r in receipts] == [True, False]
    record = read_rollup(state, 902)
    assert record is not None and record.admin == ALICE.address
    _block, state, receipts = _run([_register(BOB, 0, ROLLUP_ID)])
    assert not receipts[0].success
    assert read_rollup(state, ROLLUP_ID) == rollup_record()


def test_registration_checks_its_arguments() -> None:
    _block, _state, receipts = _run([_register(ALICE, 0, 0), _register(ALICE, 1, 903, kind=7)])
    assert [r.success for r in receipts] == [False, False]


def test_only_the_admin_may_set_the_sequencer() -> None:
    new = Address(b"\x77" * 20)
    data = REGISTRY_ABI.function("setSequencer").encode_call(ROLLUP_ID, new)
    _block, state, receipts = _run([_l1_call(ALICE, 0, REGISTRY_ADDRESS, data)])
    assert not receipts[0].success
    assert read_rollup(state, ROLLUP_ID) == rollup_record()
    _block, state, receipts = _run([_l1_call(ADMIN, 0, REGISTRY_ADDRESS, data)])
    assert receipts[0].success
    record = read_rollup(state, ROLLUP_ID)
    assert record is not None and record.sequencer == new


def test_get_rollup_view() -> None:
    state = build_l1_genesis(l1_genesis())[1]
    registry = MODULES[REGISTRY_ADDRESS]
    from interlace.protocol.chain.modules import CallEnv

    out = registry.view(
        state,
        CallEnv(L1_CHAIN_ID, 0, 0),
        REGISTRY_ABI.function("getRollup").encode_call(ROLLUP_ID),
    )
    kind, sequencer, batcher, window, admin, registered = REGISTRY_ABI.function(
        "getRollup"
    ).decode_return(out)
    assert (kind, window, registered) == (0, 3_600, True)
    assert sequencer == SEQUENCER.address
    assert batcher == BATCHER.address
    assert admin == ADMIN.address


# ---- inbox ------------------------------------------------------------------------------


def test_only_the_batcher_may_post_batches() -> None:
    _block, _state, receipts = _run(
        [_post_batch(BATCHER, 0), _post_batch(ALICE, 0), _post_batch(BATCHER, 1, chain_id=999)]
    )
    assert [r.success for r in receipts] == [True, False, False]
    (log,) = receipts[0].logs
    assert log.address == INBOX_ADDRESS
    assert log.topics[1] == ROLLUP_ID.to_bytes(32, "big")
    assert log.topics[2] == keccak256(b"batch")


# ---- portal and deposit derivation -----------------------------------------------------


def test_portal_escrows_per_chain() -> None:
    second = _register(ALICE, 0, 902)
    _block, state, receipts = _run(
        [second, _deposit(BOB, 0, ETHER), _deposit(BOB, 1, 3 * ETHER, chain_id=902)]
    )
    assert all(r.success for r in receipts)
    assert escrowed_on_l1(state, ROLLUP_ID) == ETHER
    assert escrowed_on_l1(state, 902) == 3 * ETHER
    assert state.balance_of(PORTAL_ADDRESS) == 4 * ETHER
    (log,) = receipts[1].logs
    event = PORTAL_ABI.event("TransactionDeposited")
    assert log.topics[0] == event.topic0
    chain, sender, to, mint, value, gas_limit, data = event.decode_log(log.topics, log.data)
    assert (chain, mint, value, gas_limit, data) == (ROLLUP_ID, ETHER, 0, 100_000, b"hello")
    assert sender == BOB.address
    assert to == BOB.address


def test_portal_refuses_unknown_chains_and_bad_gas() -> None:
    bad_gas = PORTAL_ABI.function("depositTransaction").encode_call(
        ROLLUP_ID, BOB.address, 0, 20_000, b""
    )
    _block, state, receipts = _run(
        [_deposit(ALICE, 0, ETHER, chain_id=999), _l1_call(ALICE, 1, PORTAL_ADDRESS, bad_gas, 5)]
    )
    assert [r.success for r in receipts] == [False, False]
    assert state.balance_of(PORTAL_ADDRESS) == 0
    assert escrowed_on_l1(state, 999) == 0


def test_deposits_become_op_deposit_transactions() -> None:
    # A batch log first, so the deposit's log index in the block is not 0.
    block, _state, receipts = _run(
        [_post_batch(BATCHER, 0), _deposit(ALICE, 0, ETHER, l2_value=ETHER // 2)]
    )
    deposits = deposits_in_l1_block(block, receipts, ROLLUP_ID)
    assert deposits == [
        DepositTransaction(
            source_hash=source_hash(0, block.hash, 1),
            sender=ALICE.address,
            to=BOB.address,
            mint=ETHER,
            value=ETHER // 2,
            gas_limit=U64(100_000),
            is_system_transaction=False,
            data=b"hello",
        )
    ]
    assert deposits_in_l1_block(block, receipts, 902) == []


def test_deposit_log_indexes_count_every_log_in_the_block() -> None:
    block, _state, receipts = _run(
        [_deposit(ALICE, 0, 1), _post_batch(BATCHER, 0), _deposit(BOB, 0, 2)]
    )
    deposits = deposits_in_l1_block(block, receipts, ROLLUP_ID)
    assert [d.source_hash for d in deposits] == [
        source_hash(0, block.hash, 0),
        source_hash(0, block.hash, 2),
    ]
    assert [d.mint for d in deposits] == [1, 2]


def test_failed_deposit_yields_no_deposit() -> None:
    block, _state, receipts = _run([_deposit(ALICE, 0, ETHER, chain_id=999)])
    assert deposits_in_l1_block(block, receipts, 999) == []


# ---- the L1 node role --------------------------------------------------------------------

BLOCK_TIME = 2.0
FINALITY = 3


def _params(finality_depth: int = FINALITY) -> L1Params:
    return L1Params(
        l1_genesis(), block_time=BLOCK_TIME, safe_depth=1, finality_depth=finality_depth
    )


class Harness:
    """Drives an ``L1Node`` and carries out its persistence effects."""

    def __init__(self, store: MemoryStore | None = None, finality_depth: int = FINALITY) -> None:
        self.store = store or MemoryStore()
        self.node = L1Node(NodeId("l1"), _params(finality_depth), self.store)
        self.now = self.node.head.header.timestamp + 0.5

    def handle(self, event: object) -> list[Effect]:
        effects = self.node.handle(event, Timestamp(self.now))  # type: ignore[arg-type]
        for effect in effects:
            if isinstance(effect, PersistBatch):
                self.store.write_batch(effect.writes)
        return effects

    def produce(self, count: int = 1) -> list[Effect]:
        effects: list[Effect] = []
        for _ in range(count):
            self.now += BLOCK_TIME
            effects += self.handle(TimerFired("block"))
        return effects

    def submit(self, tx: Transaction) -> list[Effect]:
        return self.handle(MessageReceived(NodeId("x"), SubmitL1Transaction(tx.raw)))


def _published(effects: list[Effect]) -> list[L1BlockPublished]:
    return [
        e.message
        for e in effects
        if isinstance(e, Broadcast) and isinstance(e.message, L1BlockPublished)
    ]


R = TypeVar("R", bound=Record)


def _records(effects: list[Effect], kind: type[R]) -> list[R]:
    return [e for e in effects if isinstance(e, kind)]


def test_started_arms_the_block_timer() -> None:
    harness = Harness()
    (timer,) = harness.node.handle(Started(), Timestamp(3.0))
    assert timer == SetTimer("block", Timestamp(4.0))


def test_node_produces_blocks_with_submitted_transactions() -> None:
    harness = Harness()
    assert harness.submit(transfer(ALICE, 0, BOB.address, 1, chain_id=L1_CHAIN_ID)) == []
    effects = harness.produce()
    (published,) = _published(effects)
    assert published.block.number == 1
    assert len(published.block.transactions) == 1
    assert published.receipts[0].success
    assert any(isinstance(e, SetTimer) for e in effects)
    assert harness.node.head.hash == published.block.hash
    assert len(harness.node.mempool) == 0
    assert harness.node.head_state.get_account(ALICE.address).nonce == 1


def test_node_records_rejected_transactions() -> None:
    harness = Harness()
    effects = harness.submit(transfer(ALICE, 0, BOB.address, 1, chain_id=12345))
    (rejected,) = _records(effects, L1TxRejected)
    assert rejected.error == "WrongChainTransaction"
    assert len(harness.node.mempool) == 0


def test_finality_advances_with_the_head() -> None:
    harness = Harness()
    finalized = []
    for _ in range(6):
        (published,) = _published(harness.produce())
        finalized.append(published.finalized_number)
    assert finalized == [0, 0, 0, 1, 2, 3]
    assert harness.node.finalized_number == 3
    assert harness.node.safe_number == 5


def test_reorg_replaces_blocks_and_drops_their_transactions() -> None:
    harness = Harness()
    harness.produce(4)
    tx = transfer(ALICE, 0, BOB.address, 1, chain_id=L1_CHAIN_ID)
    harness.submit(tx)
    harness.produce(2)  # tx in block 5
    old = [harness.node.block_by_number(n) for n in range(7)]
    assert len(old[5].transactions) == 1

    effects = harness.handle(
        MessageReceived(NodeId("fault"), InjectReorg(2, drop_transactions=True))
    )

    new = [harness.node.block_by_number(n) for n in range(7)]
    assert harness.node.head.number == 6
    assert [b.hash for b in new[:5]] == [b.hash for b in old[:5]]
    assert all(new[n].hash != old[n].hash for n in (5, 6))
    assert all(new[n].transactions == () for n in (5, 6))
    assert new[5].header.parent_hash == old[4].hash
    assert new[6].header.parent_hash == new[5].hash
    assert harness.node.head_state.get_account(ALICE.address).nonce == 0
    assert len(harness.node.mempool) == 0
    published = _published(effects)
    assert [p.block.number for p in published] == [5, 6]
    assert published[0].reorged_from == 5
    assert harness.node.is_canonical(5, new[5].hash)
    assert not harness.node.is_canonical(5, old[5].hash)


def test_reorged_transactions_return_to_the_mempool_by_default() -> None:
    harness = Harness()
    harness.produce(4)
    tx = transfer(ALICE, 0, BOB.address, 1, chain_id=L1_CHAIN_ID)
    harness.submit(tx)
    harness.produce(1)
    harness.handle(MessageReceived(NodeId("fault"), InjectReorg(1)))
    assert harness.node.head.transactions == ()
    assert tx.hash in harness.node.mempool
    (published,) = _published(harness.produce())
    assert published.block.transactions == (tx,)


def test_reorg_never_reaches_below_finalized() -> None:
    harness = Harness()
    harness.produce(8)
    finalized = harness.node.finalized_number
    assert finalized == 8 - FINALITY
    old = [harness.node.block_by_number(n).hash for n in range(9)]
    harness.handle(MessageReceived(NodeId("fault"), InjectReorg(100)))
    new = [harness.node.block_by_number(n).hash for n in range(9)]
    assert new[: finalized + 1] == old[: finalized + 1]
    assert all(new[n] != old[n] for n in range(finalized + 1, 9))
    assert harness.node.finalized_number == finalized


def test_reorg_is_refused_when_everything_is_final() -> None:
    harness = Harness(finality_depth=0)
    harness.produce(3)
    head = harness.node.head.hash
    effects = harness.handle(MessageReceived(NodeId("fault"), InjectReorg(2)))
    assert _records(effects, L1ReorgRefused)
    assert _published(effects) == []
    assert harness.node.head.hash == head


def test_restart_restores_the_same_head() -> None:
    harness = Harness()
    harness.submit(transfer(ALICE, 0, BOB.address, 1, chain_id=L1_CHAIN_ID))
    harness.produce(5)
    harness.handle(MessageReceived(NodeId("fault"), InjectReorg(2)))
    harness.produce(1)
    restarted = L1Node(NodeId("l1"), _params(), harness.store)
    assert restarted.head.hash == harness.node.head.hash
    assert restarted.finalized_number == harness.node.finalized_number
    assert restarted.head_state.state_root() == harness.node.head_state.state_root()
    assert [restarted.block_by_number(n).hash for n in range(7)] == [
        harness.node.block_by_number(n).hash for n in range(7)
    ]


def test_reorg_after_restart_still_replaces_blocks() -> None:
    harness = Harness()
    harness.produce(6)
    harness.handle(MessageReceived(NodeId("fault"), InjectReorg(2)))
    before = harness.node.block_by_number(5).hash
    restarted = Harness(harness.store)
    restarted.now = harness.now
    effects = restarted.handle(MessageReceived(NodeId("fault"), InjectReorg(2)))
    assert _published(effects)[0].reorged_from == 5
    assert restarted.node.block_by_number(5).hash != before
