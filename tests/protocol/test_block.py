"""Blocks (build, re-execute, tampered commitments), the EIP-1559 base fee, and the mempool."""

import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.hashing import keccak256
from interlace.primitives.header import BlockHeader
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.chain.block import (
    BASE_FEE_CHANGE_DENOMINATOR,
    ELASTICITY,
    MIN_BASE_FEE,
    Block,
    ChainConfig,
    build_block,
    execute_block,
    genesis_header,
    next_base_fee,
)
from interlace.protocol.chain.errors import (
    DuplicateTransaction,
    InsufficientFunds,
    InvalidBlock,
    NonceTooHigh,
    NonceTooLow,
    UnsupportedTransaction,
)
from interlace.protocol.chain.mempool import MAX_FUTURE_GAP, MAX_PENDING_PER_SENDER, Mempool
from interlace.protocol.chain.state import WorldState
from tests.protocol.support import (
    ALICE,
    BOB,
    CAROL,
    CHAIN_ID,
    COUNTER_ABI,
    COUNTER_ADDRESS,
    ETHER,
    GWEI,
    KEYS,
    Counter,
    block_env,
    call_tx,
    funded_state,
    transfer,
)

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CONFIG = ChainConfig(CHAIN_ID)
MODULES = {COUNTER_ADDRESS: Counter()}


def _genesis(config: ChainConfig = CONFIG) -> tuple[BlockHeader, WorldState]:
    state = funded_state(modules=[Counter()])
    return genesis_header(config, state, 0), state


def _some_txs() -> list[Transaction]:
    return [
        transfer(ALICE, 0, BOB.address, 5),
        call_tx(BOB, 0, COUNTER_ADDRESS, COUNTER_ABI.function("increment").encode_call(1)),
        call_tx(
            CAROL, 0, COUNTER_ADDRESS, COUNTER_ABI.function("incrementThenRevert").encode_call(1)
        ),
        transfer(ALICE, 1, CAROL.address, 7),
    ]


def _built() -> tuple[BlockHeader, WorldState, Block]:
    parent, state = _genesis()
    built = build_block(CONFIG, parent, state, MODULES, _some_txs(), timestamp=2)
    return parent, state, built.block


# ---- determinism -------------------------------------------------------------------------

transfer_sets = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, ETHER), st.booleans()),
    max_size=12,
)


def _transfers(spec: list[tuple[int, int, int, bool]]) -> list[Transaction]:
    nonces = [0, 0, 0]
    txs: list[Transaction] = []
    for sender, receiver, value, skip_nonce in spec:
        # skip_nonce makes a transaction the builder must reject (nonce gap)
        nonce = nonces[sender] + (5 if skip_nonce else 0)
        txs.append(transfer(KEYS[sender], nonce, KEYS[receiver].address, value))
        if not skip_nonce:
            nonces[sender] += 1
    return txs


@given(transfer_sets)
@FAST
def test_build_then_execute_reproduces_the_roots(spec: list[tuple[int, int, int, bool]]) -> None:
    parent, state = _genesis()
    txs = _transfers(spec)
    built = build_block(CONFIG, parent, state, MODULES, txs, timestamp=2)
    again = build_block(CONFIG, parent, state, MODULES, txs, timestamp=2)
    assert again.block.hash == built.block.hash

    post, receipts = execute_block(CONFIG, parent, state, MODULES, built.block)

    assert post.state_root() == built.block.header.state_root == built.state.state_root()
    assert receipts == built.receipts
    assert len(built.block.transactions) + len(built.rejected) == len(txs)
    assert all(isinstance(exc, NonceTooHigh) for _tx, exc in built.rejected)
    assert len(built.block.transactions) == sum(1 for *_x, skip in spec if not skip)
    assert state.state_root() == parent.state_root  # parent state untouched


def test_block_with_module_calls_replays() -> None:
    parent, state, block = _built()
    post, receipts = execute_block(CONFIG, parent, state, MODULES, block)
    assert post.state_root() == block.header.state_root
    assert [r.success for r in receipts] == [True, True, False, True]
    assert block.header.gas_used == receipts[-1].cumulative_gas_used


def test_chain_of_blocks_replays() -> None:
    parent, state = _genesis()
    built1 = build_block(CONFIG, parent, state, MODULES, _some_txs()[:2], timestamp=2)
    built2 = build_block(
        CONFIG, built1.block.header, built1.state, MODULES, _some_txs()[2:], timestamp=4
    )
    post1, _ = execute_block(CONFIG, parent, state, MODULES, built1.block)
    post2, _ = execute_block(CONFIG, built1.block.header, post1, MODULES, built2.block)
    assert post2.state_root() == built2.block.header.state_root


# ---- tampered blocks --------------------------------------------------------------------


def _tampered(block: Block, **changes: object) -> Block:
    return Block(dataclasses.replace(block.header, **changes), block.transactions)


JUNK = Hash32(keccak256(b"junk"))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"state_root": JUNK}, "state root"),
        ({"receipts_root": JUNK}, "receipts root"),
        ({"transactions_root": JUNK}, "transactions root"),
        ({"gas_used": U64(1)}, "gas used"),
        ({"base_fee_per_gas": U256(MIN_BASE_FEE + 1)}, "base fee"),
        ({"parent_hash": JUNK}, "parent hash"),
        ({"number": U64(2)}, "number"),
        ({"gas_limit": U64(29_000_000)}, "gas limit"),
        ({"logs_bloom": b"\xff" * 256}, "bloom"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else v,
)
def test_tampered_header_is_rejected(changes: dict[str, object], match: str) -> None:
    parent, state, block = _built()
    with pytest.raises(InvalidBlock, match=match):
        execute_block(CONFIG, parent, state, MODULES, _tampered(block, **changes))


def test_timestamp_before_parent_is_rejected() -> None:
    parent, state = _genesis()
    parent = dataclasses.replace(parent, timestamp=U64(10))
    built = build_block(CONFIG, parent, state, MODULES, [], timestamp=10)
    with pytest.raises(InvalidBlock, match="timestamp"):
        execute_block(CONFIG, parent, state, MODULES, _tampered(built.block, timestamp=U64(9)))


def test_dropped_or_reordered_transactions_are_rejected() -> None:
    parent, state, block = _built()
    dropped = Block(block.header, block.transactions[1:])
    with pytest.raises(InvalidBlock, match="transactions root"):
        execute_block(CONFIG, parent, state, MODULES, dropped)
    swapped = Block(block.header, (block.transactions[3], *block.transactions[:3]))
    with pytest.raises(InvalidBlock):
        execute_block(CONFIG, parent, state, MODULES, swapped)


def test_invalid_transaction_in_a_block_is_rejected() -> None:
    """A block that carries a transaction the builder would have refused."""
    parent, state = _genesis()
    bad = transfer(ALICE, 3, BOB.address)
    built = build_block(CONFIG, parent, state, MODULES, [], timestamp=2)
    from interlace.primitives.receipt import transactions_root

    header = dataclasses.replace(built.block.header, transactions_root=transactions_root([bad.raw]))
    with pytest.raises(InvalidBlock, match="transaction 0 is invalid"):
        execute_block(CONFIG, parent, state, MODULES, Block(header, (bad,)))


# ---- EIP-1559 base fee -----------------------------------------------------------------------


def _parent(base_fee: int, gas_used: int, gas_limit: int = 30_000_000) -> BlockHeader:
    header, _ = _genesis()
    return dataclasses.replace(
        header, base_fee_per_gas=U256(base_fee), gas_used=U64(gas_used), gas_limit=U64(gas_limit)
    )


def _eip1559(base: int, used: int, limit: int) -> int:
    """The EIP-1559 rule as the EIP writes it (plus our floor)."""
    target = limit // ELASTICITY
    if used == target:
        new = base
    elif used > target:
        delta = max(base * (used - target) // target // BASE_FEE_CHANGE_DENOMINATOR, 1)
        new = base + delta
    else:
        new = base - base * (target - used) // target // BASE_FEE_CHANGE_DENOMINATOR
    return max(new, MIN_BASE_FEE)


def test_base_fee_full_empty_and_target_blocks() -> None:
    base = 8 * GWEI
    assert next_base_fee(_parent(base, 30_000_000)) == 9 * GWEI  # +12.5 %
    assert next_base_fee(_parent(base, 0)) == 7 * GWEI  # -12.5 %
    assert next_base_fee(_parent(base, 15_000_000)) == base
    assert next_base_fee(_parent(MIN_BASE_FEE, 0)) == MIN_BASE_FEE  # floor


def test_base_fee_rises_by_at_least_one_wei() -> None:
    base = 10**7
    assert next_base_fee(_parent(base, 15_000_001)) == base + 1


@given(st.integers(MIN_BASE_FEE, 10**15), st.integers(0, 30_000_000))
@FAST
def test_base_fee_follows_eip1559(base: int, used: int) -> None:
    assert next_base_fee(_parent(base, used)) == _eip1559(base, used, 30_000_000)


def test_built_blocks_carry_the_next_base_fee() -> None:
    """A small gas limit so four transfers fill a block."""
    config = ChainConfig(CHAIN_ID, gas_limit=U64(84_000))
    parent, state = _genesis(config)
    parent = dataclasses.replace(parent, base_fee_per_gas=U256(GWEI), gas_used=U64(42_000))
    full = build_block(
        config,
        parent,
        state,
        MODULES,
        [transfer(k, 0, BOB.address, 1) for k in KEYS] + [transfer(ALICE, 1, BOB.address, 1)],
        timestamp=2,
    )
    assert full.block.header.gas_used == 84_000
    assert full.block.header.base_fee_per_gas == GWEI
    empty = build_block(config, full.block.header, full.state, MODULES, [], timestamp=4)
    assert empty.block.header.base_fee_per_gas == GWEI * 9 // 8
    after = build_block(config, empty.block.header, empty.state, MODULES, [], timestamp=6)
    assert after.block.header.base_fee_per_gas == (GWEI * 9 // 8) * 7 // 8


# ---- mempool ------------------------------------------------------------------------------


def _pool() -> tuple[Mempool, WorldState]:
    return Mempool(), funded_state()


ENV = block_env()


def test_mempool_orders_each_sender_by_nonce() -> None:
    pool, state = _pool()
    a0, a1, a2 = (transfer(ALICE, n, CAROL.address, n) for n in range(3))
    b0 = transfer(BOB, 0, CAROL.address)
    for tx in (a0, b0, a1, a2):
        pool.add(tx, state, ENV)
    assert pool.candidates() == [a0, a1, a2, b0]
    assert len(pool) == 4
    assert a1.hash in pool


def test_mempool_refuses_double_spends() -> None:
    pool, state = _pool()
    first = transfer(ALICE, 0, BOB.address, 1)
    pool.add(first, state, ENV)
    with pytest.raises(DuplicateTransaction):
        pool.add(first, state, ENV)
    with pytest.raises(DuplicateTransaction):
        pool.add(transfer(ALICE, 0, CAROL.address, 2), state, ENV)
    assert pool.candidates() == [first]


def test_mempool_refuses_double_spends_in_the_future_queue() -> None:
    pool, state = _pool()
    pool.add(transfer(ALICE, 2, BOB.address, 1), state, ENV)
    with pytest.raises(DuplicateTransaction):
        pool.add(transfer(ALICE, 2, BOB.address, 1), state, ENV)
    with pytest.raises(DuplicateTransaction):
        pool.add(transfer(ALICE, 2, BOB.address, 2), state, ENV)


def test_mempool_promotes_out_of_order_arrivals() -> None:
    pool, state = _pool()
    t0, t1, t2 = (transfer(ALICE, n, BOB.address, n) for n in range(3))
    pool.add(t2, state, ENV)
    pool.add(t1, state, ENV)
    assert pool.candidates() == []
    pool.add(t0, state, ENV)
    assert pool.candidates() == [t0, t1, t2]
    assert len(pool) == 3


def test_mempool_refuses_nonces_beyond_the_future_window() -> None:
    pool, state = _pool()
    with pytest.raises(NonceTooHigh):
        pool.add(transfer(ALICE, MAX_FUTURE_GAP + 1, BOB.address), state, ENV)


def test_mempool_refuses_used_nonces() -> None:
    pool, state = _pool()
    state.bump_nonce(ALICE.address)
    with pytest.raises(NonceTooLow):
        pool.add(transfer(ALICE, 0, BOB.address), state, ENV)


def test_mempool_reserves_the_queue_spend() -> None:
    pool, _ = _pool()
    state = funded_state({ALICE.address: ETHER})
    pool.add(transfer(ALICE, 0, BOB.address, ETHER // 2), state, ENV)
    with pytest.raises(InsufficientFunds):
        pool.add(transfer(ALICE, 1, BOB.address, ETHER // 2), state, ENV)


def test_mempool_refuses_deposits() -> None:
    pool, state = _pool()
    deposit = DepositTransaction(
        source_hash=JUNK,
        sender=Address(b"\x11" * 20),
        to=BOB.address,
        mint=U256(1),
        value=U256(1),
        gas_limit=U64(100_000),
        is_system_transaction=False,
        data=b"",
    )
    with pytest.raises(UnsupportedTransaction):
        pool.add(deposit, state, ENV)


def test_mempool_prunes_after_a_block() -> None:
    pool, _ = _pool()
    parent, state = _genesis()
    env = block_env(base_fee=next_base_fee(parent))
    included = [transfer(ALICE, 0, BOB.address), transfer(BOB, 0, ALICE.address)]
    for tx in included:
        pool.add(tx, state, env)
    built = build_block(CONFIG, parent, state, MODULES, pool.candidates(), timestamp=2)
    pool.prune(built.state)
    assert len(pool) == 0
    assert pool.candidates() == []
    late = transfer(ALICE, 1, BOB.address)  # arrives after the block
    pool.add(late, built.state, env)
    assert pool.candidates() == [late]


def test_mempool_prune_keeps_what_the_block_left_out() -> None:
    pool, _ = _pool()
    parent, state = _genesis()
    env = block_env(base_fee=next_base_fee(parent))
    a0, a1 = transfer(ALICE, 0, BOB.address), transfer(ALICE, 1, BOB.address)
    pool.add(a0, state, env)
    pool.add(a1, state, env)
    built = build_block(CONFIG, parent, state, MODULES, [a0], timestamp=2)
    pool.prune(built.state)
    assert pool.candidates() == [a1]
    assert a0.hash not in pool


def test_prune_keeps_a_future_transaction_that_becomes_next() -> None:
    pool, _ = _pool()
    parent, state = _genesis()
    env = block_env(base_fee=next_base_fee(parent))
    a0, a1 = transfer(ALICE, 0, BOB.address), transfer(ALICE, 1, BOB.address)
    pool.add(a1, state, env)  # waits for nonce 0
    built = build_block(CONFIG, parent, state, MODULES, [a0], timestamp=2)  # a0 came another way
    pool.prune(built.state)
    assert a1 in pool.candidates()


def test_prune_keeps_senders_in_arrival_order() -> None:
    """Block contents must not depend on PYTHONHASHSEED: prune never reorders senders."""
    keys = [private_key_from_seed(f"sender-{i}".encode()) for i in range(24)]
    state = funded_state({key.address: ETHER for key in keys})
    pool = Mempool()
    ready = [transfer(key, 0, BOB.address) for key in keys[:16]]
    waiting = [transfer(key, 1, BOB.address) for key in keys[16:]]  # nonce 0 comes another way
    for tx in [*ready, *waiting]:
        pool.add(tx, state, ENV)
    for key in keys[16:]:
        state.bump_nonce(key.address)
    pool.prune(state)
    assert pool.candidates() == [*ready, *waiting]


def test_readmit_takes_back_more_than_a_sender_may_queue() -> None:
    """A rewind of many blocks returns more of a sender's transactions than the door lets
    in; each was acknowledged, so all come back (explorer seed 3129 lost the excess)."""
    pool, state = _pool()
    count = MAX_PENDING_PER_SENDER + MAX_FUTURE_GAP + 8
    returned = [transfer(ALICE, n, BOB.address, n + 1) for n in range(count)]
    arrived = transfer(ALICE, count, BOB.address)  # came after the rewound blocks
    pool.add(transfer(BOB, 0, ALICE.address), state, ENV)
    pool.future[ALICE.address] = {count: arrived}  # where the rewind's prune put it
    assert pool.readmit(reversed(returned), state) == []
    assert pool.candidates()[1:] == [*returned, arrived]
    assert len(pool) == count + 2


def test_readmit_returns_what_it_cannot_keep() -> None:
    pool, state = _pool()
    state.bump_nonce(ALICE.address)
    held, waiting = transfer(ALICE, 1, BOB.address, 1), transfer(ALICE, 3, BOB.address, 1)
    pool.add(held, state, ENV)
    pool.add(waiting, state, ENV)
    used, rival, rival_waiting = (transfer(ALICE, n, CAROL.address, 2) for n in (0, 1, 3))
    kept = transfer(ALICE, 2, BOB.address, 1)
    assert pool.readmit([used, rival, rival_waiting, kept], state) == [used, rival, rival_waiting]
    assert pool.candidates() == [held, kept, waiting]


def test_promotion_never_drops_an_accepted_transaction() -> None:
    """A future transaction whose gap fills while the ready queue is full is moved, not
    judged again at the door (which refused it and dropped it from the pool)."""
    pool, state = _pool()
    ready = [transfer(ALICE, n, BOB.address) for n in range(MAX_PENDING_PER_SENDER - 1)]
    for tx in ready:
        pool.add(tx, state, ENV)
    later = transfer(ALICE, MAX_PENDING_PER_SENDER, BOB.address)
    pool.add(later, state, ENV)  # waits for the last free slot's nonce
    last = transfer(ALICE, MAX_PENDING_PER_SENDER - 1, BOB.address)
    pool.add(last, state, ENV)
    assert pool.candidates() == [*ready, last, later]


@pytest.mark.parametrize(
    "changes",
    [
        {"coinbase": Address(b"\x42" * 20)},
        {"withdrawals_root": JUNK},
        {"ommers_hash": JUNK},
        {"difficulty": U256(1)},
    ],
    ids=lambda v: next(iter(v)),
)
def test_unchecked_header_fields_are_rejected(changes: dict[str, object]) -> None:
    parent, state, block = _built()
    with pytest.raises(InvalidBlock):
        execute_block(CONFIG, parent, state, MODULES, _tampered(block, **changes))
