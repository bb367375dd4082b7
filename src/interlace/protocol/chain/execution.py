"""Transaction validation and execution: the state transition of one transaction.

The gas schedule is small and documented (docs/chain-engine.md):
intrinsic gas is Ethereum's (21,000 + 16 per non-zero and 4 per zero
calldata byte + EIP-2930 access-list costs); a call into a native module
adds ``G_MODULE_CALL`` and pays for its storage and logs as it goes.
Fees follow EIP-1559: the sender pays ``gas_used × effective_gas_price``;
the base-fee part is burned and the tip goes to the block's coinbase.
Deposits (0x7E) pay no fee: they mint on L2 what was escrowed on L1.

There is no EVM: a transaction either transfers value to an account or
calls a native module. Contract creation is refused with a typed error.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from interlace.primitives.abi import MalformedCalldata
from interlace.primitives.receipt import Log, Receipt, logs_bloom
from interlace.primitives.tx import (
    AccessListTransaction,
    DepositTransaction,
    DynamicFeeTransaction,
    LegacyTransaction,
    Transaction,
)
from interlace.primitives.types import U8, U64, U256, Address, ChainId
from interlace.protocol.chain.errors import (
    FeeTooLow,
    GasLimitExceeded,
    InsufficientFunds,
    IntrinsicGasTooLow,
    ModuleRevert,
    NonceTooHigh,
    NonceTooLow,
    UnsupportedTransaction,
    WrongChainTransaction,
)
from interlace.protocol.chain.modules import G_MODULE_CALL, CallContext, CallEnv, NativeModule
from interlace.protocol.chain.state import Account, WorldState

G_TRANSACTION: Final = 21_000
G_CALLDATA_ZERO: Final = 4
G_CALLDATA_NONZERO: Final = 16
G_ACCESS_LIST_ADDRESS: Final = 2_400
G_ACCESS_LIST_KEY: Final = 1_900
DEPOSIT_TX_TYPE: Final = 0x7E
_EMPTY_BLOOM: Final = logs_bloom(())


@dataclass(frozen=True, slots=True)
class BlockEnv:
    """The block a transaction executes in."""

    chain_id: ChainId
    """This chain's id (EIP-155)."""
    number: U64
    """Block number."""
    timestamp: U64
    """Block timestamp in seconds."""
    coinbase: Address
    """Receives priority fees."""
    base_fee: U256
    """EIP-1559 base fee per gas."""
    gas_limit: U64
    """Block gas limit."""

    def call_env(self) -> CallEnv:
        """The subset of facts a module call sees."""
        return CallEnv(self.chain_id, self.number, self.timestamp)


def intrinsic_gas(tx: Transaction) -> int:
    """Gas charged before execution: base + calldata + access list."""
    data = tx.data
    zeros = data.count(0)
    gas = G_TRANSACTION + zeros * G_CALLDATA_ZERO + (len(data) - zeros) * G_CALLDATA_NONZERO
    if isinstance(tx, AccessListTransaction | DynamicFeeTransaction):
        for entry in tx.access_list:
            gas += G_ACCESS_LIST_ADDRESS + G_ACCESS_LIST_KEY * len(entry.storage_keys)
    return gas


def fee_caps(tx: Transaction) -> tuple[int, int]:
    """(max fee per gas, max priority fee per gas) of a fee-paying transaction."""
    if isinstance(tx, DynamicFeeTransaction):
        return tx.max_fee_per_gas, tx.max_priority_fee_per_gas
    if isinstance(tx, LegacyTransaction | AccessListTransaction):
        return tx.gas_price, tx.gas_price
    return 0, 0


def effective_gas_price(tx: Transaction, base_fee: int) -> int:
    """What the sender pays per gas: min(maxFee, baseFee + maxPriority)."""
    max_fee, max_priority = fee_caps(tx)
    return min(max_fee, base_fee + max_priority)


def validate_transaction(state: WorldState, env: BlockEnv, tx: Transaction, gas_left: int) -> None:
    """Raise the matching ``InvalidTransaction`` if ``tx`` cannot run in this block now."""
    account = state.get_account(tx.sender)
    check_transaction(env, tx, gas_left, account.nonce, account.balance)


def check_transaction(
    env: BlockEnv, tx: Transaction, gas_left: int, nonce: int, balance: int
) -> None:
    """``validate_transaction`` against an explicit sender nonce and spendable balance."""
    if isinstance(tx, DepositTransaction):
        raise UnsupportedTransaction("deposit transactions are derived from L1, not submitted")
    if tx.chain_id is None:
        raise WrongChainTransaction("pre-EIP-155 transactions (no chain id) are not accepted")
    if tx.chain_id != env.chain_id:
        raise WrongChainTransaction(f"signed for chain {tx.chain_id}, this is {env.chain_id}")
    if tx.to is None:
        raise UnsupportedTransaction("contract creation is not supported (no EVM yet)")
    if tx.gas_limit > gas_left:
        raise GasLimitExceeded(f"gas limit {tx.gas_limit} exceeds the {gas_left} left in block")
    needed = intrinsic_gas(tx)
    if tx.gas_limit < needed:
        raise IntrinsicGasTooLow(f"gas limit {tx.gas_limit} below intrinsic gas {needed}")
    max_fee, max_priority = fee_caps(tx)
    if max_priority > max_fee:
        raise FeeTooLow("max priority fee exceeds max fee")
    if max_fee < env.base_fee:
        raise FeeTooLow(f"max fee {max_fee} below base fee {env.base_fee}")
    if tx.nonce < nonce:
        raise NonceTooLow(f"nonce {tx.nonce} already used (account nonce {nonce})")
    if tx.nonce > nonce:
        raise NonceTooHigh(f"nonce {tx.nonce} leaves a gap (account nonce {nonce})")
    cost = tx.gas_limit * max_fee + tx.value
    if balance < cost:
        raise InsufficientFunds(f"balance {balance} below value + max fee {cost}")


def execute_transaction(
    state: WorldState,
    env: BlockEnv,
    tx: Transaction,
    modules: Mapping[Address, NativeModule],
    cumulative_gas: int,
) -> tuple[Receipt, int]:
    """Apply ``tx`` to ``state``; return its receipt and the gas it used.

    The caller has validated fee-paying transactions with
    ``validate_transaction``. A failed module call still produces a receipt
    (status 0), charges its gas and bumps the nonce, as Ethereum does.
    """
    if isinstance(tx, DepositTransaction):
        return _execute_deposit(state, env, tx, modules, cumulative_gas)
    sender = tx.sender
    price = effective_gas_price(tx, env.base_fee)
    gas_used = intrinsic_gas(tx)
    if tx.to is not None and tx.to not in modules:
        return _execute_plain_transfer(
            state, env, tx, price=price, gas_used=gas_used, cumulative_gas=cumulative_gas
        )
    state.sub_balance(sender, tx.gas_limit * price)
    state.bump_nonce(sender)
    success, logs, gas_used = _run_call(
        state,
        env=env,
        tx=tx,
        modules=modules,
        sender=sender,
        gas_available=tx.gas_limit - gas_used,
        gas_used=gas_used,
        is_system=False,
    )
    state.add_balance(sender, (tx.gas_limit - gas_used) * price)
    tip = price - env.base_fee
    if tip:
        state.add_balance(env.coinbase, gas_used * tip)
    receipt = Receipt(
        tx_type=U8(tx.tx_type),
        success=success,
        cumulative_gas_used=U64(cumulative_gas + gas_used),
        logs_bloom=logs_bloom(logs),
        logs=tuple(logs),
    )
    return receipt, gas_used


def _execute_plain_transfer(
    state: WorldState,
    env: BlockEnv,
    tx: Transaction,
    *,
    price: int,
    gas_used: int,
    cumulative_gas: int,
) -> tuple[Receipt, int]:
    """A value transfer to an account without code: the same rules in one write per account.

    Validation guaranteed balance ≥ gas_limit × max_fee + value, so the
    debit cannot fail; this path exists because transfers are the bulk of
    traffic, and the tests run both paths against the same expectations.
    """
    assert tx.to is not None
    sender = tx.sender
    account = state.get_account(sender)
    state.set_account(
        sender,
        Account(
            U64(account.nonce + 1),
            U256(account.balance - gas_used * price - tx.value),
            account.storage_root,
            account.code_hash,
        ),
    )
    if tx.value:
        state.add_balance(tx.to, tx.value)
    tip = price - env.base_fee
    if tip:
        state.add_balance(env.coinbase, gas_used * tip)
    receipt = Receipt(
        tx_type=U8(tx.tx_type),
        success=True,
        cumulative_gas_used=U64(cumulative_gas + gas_used),
        logs_bloom=_EMPTY_BLOOM,
        logs=(),
    )
    return receipt, gas_used


def _execute_deposit(
    state: WorldState,
    env: BlockEnv,
    tx: DepositTransaction,
    modules: Mapping[Address, NativeModule],
    cumulative_gas: int,
) -> tuple[Receipt, int]:
    # OP rules: mint always sticks and the nonce always increments, even if
    # the call fails; deposits pay no fee. System deposits use no block gas.
    nonce = state.get_account(tx.sender).nonce
    if tx.mint:
        state.add_balance(tx.sender, tx.mint)
    state.bump_nonce(tx.sender)
    gas_used = 0 if tx.is_system_transaction else min(intrinsic_gas(tx), tx.gas_limit)
    success, logs, gas_used = _run_call(
        state,
        env=env,
        tx=tx,
        modules=modules,
        sender=tx.sender,
        gas_available=max(tx.gas_limit - gas_used, 0),
        gas_used=gas_used,
        is_system=tx.is_system_transaction,
    )
    if tx.is_system_transaction:
        gas_used = 0
    receipt = Receipt(
        tx_type=U8(DEPOSIT_TX_TYPE),
        success=success,
        cumulative_gas_used=U64(cumulative_gas + gas_used),
        logs_bloom=logs_bloom(logs),
        logs=tuple(logs),
        deposit_nonce=U64(nonce),
        deposit_receipt_version=U64(1),
    )
    return receipt, gas_used


def _run_call(
    state: WorldState,
    *,
    env: BlockEnv,
    tx: Transaction,
    modules: Mapping[Address, NativeModule],
    sender: Address,
    gas_available: int,
    gas_used: int,
    is_system: bool,
) -> tuple[bool, list[Log], int]:
    """Transfer value and run the module call, reverting both on failure."""
    assert tx.to is not None
    mark = state.checkpoint()
    module = modules.get(tx.to)
    try:
        if tx.value:
            if state.balance_of(sender) < tx.value:
                raise ModuleRevert("insufficient balance for value")
            state.sub_balance(sender, tx.value)
            state.add_balance(tx.to, tx.value)
        if module is None:
            return True, [], gas_used
        ctx = CallContext(
            state,
            env.call_env(),
            module.address,
            sender,
            U256(tx.value),
            gas_available,
            is_system=is_system,
        )
        ctx.charge(G_MODULE_CALL)
        function, args = module.abi.decode_call(tx.data)
        module.call(ctx, function, args)
    except (ModuleRevert, MalformedCalldata):
        state.revert_to(mark)
        return False, [], gas_used + gas_available
    return True, ctx.logs, gas_used + gas_available - ctx.gas_left
