"""Transaction validation (one typed error per rule) and execution (fees, modules, deposits)."""

import pytest

from interlace.primitives.hashing import keccak256
from interlace.primitives.tx import DepositTransaction
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.chain.errors import (
    FeeTooLow,
    GasLimitExceeded,
    InsufficientFunds,
    IntrinsicGasTooLow,
    InvalidTransaction,
    NonceTooHigh,
    NonceTooLow,
    UnsupportedTransaction,
    WrongChainTransaction,
)
from interlace.protocol.chain.execution import (
    G_TRANSACTION,
    effective_gas_price,
    execute_transaction,
    intrinsic_gas,
    validate_transaction,
)
from interlace.protocol.chain.modules import (
    G_LOG,
    G_LOG_DATA_BYTE,
    G_LOG_TOPIC,
    G_MODULE_CALL,
    G_SLOAD,
    G_SSTORE_SET,
)
from interlace.protocol.chain.state import WorldState
from tests.protocol.support import (
    ALICE,
    BOB,
    COINBASE,
    COUNTER_ABI,
    COUNTER_ADDRESS,
    ETHER,
    GWEI,
    Counter,
    block_env,
    call_tx,
    counter_value,
    funded_state,
    legacy,
    total_supply,
    transfer,
)

BASE_FEE = GWEI
ENV = block_env(base_fee=BASE_FEE)
MODULES = {COUNTER_ADDRESS: Counter()}
DEPOSITOR = Address(b"\x11" * 20)


def _state() -> WorldState:
    return funded_state(modules=[Counter()])


def _deposit(
    calldata: bytes, *, mint: int = 0, value: int = 0, to: Address = COUNTER_ADDRESS
) -> DepositTransaction:
    return DepositTransaction(
        source_hash=Hash32(keccak256(calldata + mint.to_bytes(32, "big"))),
        sender=DEPOSITOR,
        to=to,
        mint=U256(mint),
        value=U256(value),
        gas_limit=U64(200_000),
        is_system_transaction=False,
        data=calldata,
    )


# ---- validation -----------------------------------------------------------------------


def test_a_good_transaction_validates() -> None:
    validate_transaction(_state(), ENV, transfer(ALICE, 0, BOB.address, ETHER), 30_000_000)


@pytest.mark.parametrize(
    ("make_tx", "error"),
    [
        (lambda: transfer(ALICE, 0, BOB.address, chain_id=902), WrongChainTransaction),
        (lambda: legacy(ALICE, 0, BOB.address, chain_id=None), WrongChainTransaction),
        (lambda: transfer(ALICE, 1, BOB.address), NonceTooHigh),
        (lambda: transfer(ALICE, 0, BOB.address, 10 * ETHER), InsufficientFunds),
        (lambda: transfer(ALICE, 0, BOB.address, gas_limit=20_999), IntrinsicGasTooLow),
        (
            lambda: transfer(ALICE, 0, BOB.address, gas_limit=21_000, data=b"\x01"),
            IntrinsicGasTooLow,
        ),
        (lambda: transfer(ALICE, 0, BOB.address, gas_limit=30_000_001), GasLimitExceeded),
        (lambda: transfer(ALICE, 0, BOB.address, max_fee=BASE_FEE - 1, tip=0), FeeTooLow),
        (lambda: transfer(ALICE, 0, BOB.address, max_fee=2 * GWEI, tip=3 * GWEI), FeeTooLow),
        (lambda: legacy(ALICE, 0, BOB.address, gas_price=BASE_FEE - 1), FeeTooLow),
        (lambda: legacy(ALICE, 0, None), UnsupportedTransaction),
        (lambda: _deposit(b""), UnsupportedTransaction),
    ],
    ids=[
        "other-chain",
        "pre-eip155",
        "nonce-gap",
        "value-over-balance",
        "gas-below-21000",
        "gas-below-calldata-cost",
        "over-block-gas",
        "max-fee-below-base-fee",
        "tip-above-max-fee",
        "legacy-price-below-base-fee",
        "contract-creation",
        "deposit",
    ],
)
def test_validation_raises_the_typed_error(make_tx, error: type[InvalidTransaction]) -> None:
    with pytest.raises(error):
        validate_transaction(_state(), ENV, make_tx(), 30_000_000)


def test_nonce_too_low() -> None:
    state = _state()
    state.bump_nonce(ALICE.address)
    with pytest.raises(NonceTooLow):
        validate_transaction(state, ENV, transfer(ALICE, 0, BOB.address), 30_000_000)


def test_gas_left_in_the_block_bounds_the_gas_limit() -> None:
    tx = transfer(ALICE, 0, BOB.address)
    validate_transaction(_state(), ENV, tx, 21_000)
    with pytest.raises(GasLimitExceeded):
        validate_transaction(_state(), ENV, tx, 20_999)


def test_insufficient_funds_counts_the_maximum_fee() -> None:
    """value + gas_limit × max_fee must be covered, not just the value."""
    state = funded_state({ALICE.address: ETHER})
    max_fee = 2 * GWEI
    just_enough = transfer(ALICE, 0, BOB.address, ETHER - 21_000 * max_fee, max_fee=max_fee)
    validate_transaction(state, ENV, just_enough, 30_000_000)
    one_too_many = transfer(ALICE, 0, BOB.address, ETHER - 21_000 * max_fee + 1, max_fee=max_fee)
    with pytest.raises(InsufficientFunds):
        validate_transaction(state, ENV, one_too_many, 30_000_000)


def test_intrinsic_gas_counts_calldata_bytes() -> None:
    tx = transfer(ALICE, 0, BOB.address, gas_limit=100_000, data=b"\x00\x01\x00\x02\x03")
    assert intrinsic_gas(tx) == G_TRANSACTION + 2 * 4 + 3 * 16


# ---- fees ------------------------------------------------------------------------------


def test_transfer_fee_accounting() -> None:
    state = _state()
    alice, bob = ALICE.address, BOB.address
    supply = total_supply(state)
    before_alice, before_bob = state.balance_of(alice), state.balance_of(bob)
    tx = transfer(ALICE, 0, bob, ETHER, max_fee=3 * GWEI, tip=GWEI, gas_limit=50_000)
    price = effective_gas_price(tx, BASE_FEE)
    assert price == 2 * GWEI

    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)

    assert receipt.success
    assert gas_used == 21_000 == receipt.cumulative_gas_used
    assert state.balance_of(alice) == before_alice - ETHER - gas_used * price
    assert state.balance_of(bob) == before_bob + ETHER
    assert state.balance_of(COINBASE) == gas_used * (price - BASE_FEE)
    assert state.get_account(alice).nonce == 1
    assert total_supply(state) == supply - BASE_FEE * gas_used


def test_effective_price_is_capped_by_max_fee() -> None:
    tx = transfer(ALICE, 0, BOB.address, max_fee=GWEI + 5, tip=GWEI)
    assert effective_gas_price(tx, BASE_FEE) == GWEI + 5
    state = _state()
    execute_transaction(state, ENV, tx, MODULES, 0)
    assert state.balance_of(COINBASE) == 21_000 * 5


def test_legacy_transaction_pays_its_gas_price() -> None:
    state = _state()
    supply = total_supply(state)
    tx = legacy(ALICE, 0, BOB.address, 5, gas_price=3 * GWEI)
    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)
    assert receipt.success
    assert receipt.tx_type == 0
    assert state.balance_of(COINBASE) == gas_used * 2 * GWEI
    assert total_supply(state) == supply - BASE_FEE * gas_used


def test_cumulative_gas_adds_to_the_previous_receipts() -> None:
    state = _state()
    receipt, used = execute_transaction(state, ENV, transfer(ALICE, 0, BOB.address), MODULES, 1234)
    assert receipt.cumulative_gas_used == 1234 + used


# ---- module calls ----------------------------------------------------------------------


def test_module_call_succeeds_and_emits_logs() -> None:
    state = _state()
    data = COUNTER_ABI.function("increment").encode_call(5)
    tx = call_tx(ALICE, 0, COUNTER_ADDRESS, data)

    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)

    assert receipt.success
    assert counter_value(state) == 5
    (log,) = receipt.logs
    assert log.address == COUNTER_ADDRESS
    assert log.topics[0] == keccak256(b"Incremented(address,uint256)")
    assert log.topics[1] == ALICE.address.rjust(32, b"\x00")
    assert int.from_bytes(log.data, "big") == 5
    assert receipt.logs_bloom != b"\x00" * 256
    log_gas = G_LOG + 2 * G_LOG_TOPIC + 32 * G_LOG_DATA_BYTE
    assert gas_used == intrinsic_gas(tx) + G_MODULE_CALL + G_SLOAD + G_SSTORE_SET + log_gas


def test_module_revert_charges_gas_bumps_nonce_and_undoes_writes() -> None:
    state = _state()
    alice = ALICE.address
    execute_transaction(
        state,
        ENV,
        call_tx(ALICE, 0, COUNTER_ADDRESS, COUNTER_ABI.function("increment").encode_call(3)),
        MODULES,
        0,
    )
    state.state_root()
    root_storage = state.get_account(COUNTER_ADDRESS).storage_root
    before = state.balance_of(alice)
    module_balance = state.balance_of(COUNTER_ADDRESS)
    data = COUNTER_ABI.function("incrementThenRevert").encode_call(4)
    tx = call_tx(ALICE, 1, COUNTER_ADDRESS, data, value=1000)
    price = effective_gas_price(tx, BASE_FEE)

    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)

    assert not receipt.success
    assert receipt.status == 0
    assert receipt.logs == ()
    assert intrinsic_gas(tx) < gas_used <= tx.gas_limit
    assert receipt.cumulative_gas_used == gas_used
    assert state.get_account(alice).nonce == 2
    assert state.balance_of(alice) == before - gas_used * price  # the value came back
    assert state.balance_of(COUNTER_ADDRESS) == module_balance
    assert counter_value(state) == 3
    state.state_root()
    assert state.get_account(COUNTER_ADDRESS).storage_root == root_storage


def test_module_call_with_garbage_calldata_fails_cleanly() -> None:
    state = _state()
    tx = call_tx(ALICE, 0, COUNTER_ADDRESS, b"\xde\xad\xbe\xef\x00")
    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)
    assert not receipt.success
    assert gas_used > 0
    assert state.get_account(ALICE.address).nonce == 1


def test_module_out_of_gas_reverts() -> None:
    state = _state()
    data = COUNTER_ABI.function("increment").encode_call(1)
    tx = call_tx(ALICE, 0, COUNTER_ADDRESS, data, gas_limit=30_000)
    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)
    assert not receipt.success
    assert gas_used == 30_000
    assert counter_value(state) == 0


def test_value_transfer_to_a_module() -> None:
    state = _state()
    data = COUNTER_ABI.function("increment").encode_call(1)
    receipt, _ = execute_transaction(
        state, ENV, call_tx(ALICE, 0, COUNTER_ADDRESS, data, value=777), MODULES, 0
    )
    assert receipt.success
    assert state.balance_of(COUNTER_ADDRESS) == 777


# ---- deposits ----------------------------------------------------------------------------


def test_deposit_mints_and_calls() -> None:
    state = _state()
    supply = total_supply(state)
    data = COUNTER_ABI.function("increment").encode_call(2)
    receipt, gas_used = execute_transaction(state, ENV, _deposit(data, mint=ETHER), MODULES, 0)
    assert receipt.success
    assert receipt.tx_type == 0x7E
    assert receipt.deposit_nonce == 0
    assert state.balance_of(DEPOSITOR) == ETHER
    assert state.get_account(DEPOSITOR).nonce == 1
    assert counter_value(state) == 2
    assert gas_used > 0
    assert total_supply(state) == supply + ETHER  # deposits pay no fee


def test_deposit_mint_and_nonce_stick_when_the_call_fails() -> None:
    state = _state()
    state.bump_nonce(DEPOSITOR)
    data = COUNTER_ABI.function("incrementThenRevert").encode_call(2)
    tx = _deposit(data, mint=ETHER, value=ETHER // 2)

    receipt, gas_used = execute_transaction(state, ENV, tx, MODULES, 0)

    assert not receipt.success
    assert receipt.deposit_nonce == 1
    assert state.get_account(DEPOSITOR).nonce == 2
    assert state.balance_of(DEPOSITOR) == ETHER  # minted, value returned, no fee
    assert state.balance_of(COUNTER_ADDRESS) == 0
    assert counter_value(state) == 0
    assert gas_used == tx.gas_limit


def test_deposit_with_value_above_balance_fails_but_keeps_the_mint() -> None:
    state = _state()
    tx = _deposit(b"", mint=10, value=11, to=BOB.address)
    before_bob = state.balance_of(BOB.address)
    receipt, _ = execute_transaction(state, ENV, tx, MODULES, 0)
    assert not receipt.success
    assert state.balance_of(DEPOSITOR) == 10
    assert state.balance_of(BOB.address) == before_bob
    assert state.get_account(DEPOSITOR).nonce == 1


def test_deposit_plain_transfer() -> None:
    state = _state()
    tx = _deposit(b"", mint=10, value=10, to=BOB.address)
    before_bob = state.balance_of(BOB.address)
    receipt, _ = execute_transaction(state, ENV, tx, MODULES, 0)
    assert receipt.success
    assert state.balance_of(BOB.address) == before_bob + 10
    assert state.balance_of(DEPOSITOR) == 0
