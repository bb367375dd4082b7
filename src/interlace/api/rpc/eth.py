"""The ``eth_*``, ``net_*``, ``web3_*`` and ``debug_getRaw*`` methods of L1 and rollup nodes.

Reads come straight from the role's chain (``chain.ChainView``); the only
write, ``eth_sendRawTransaction``, goes through the host as the message a
peer would send (``SubmitTransaction`` to a sequencer, which answers
accepted or rejected; ``SubmitL1Transaction`` to the L1 node, which does not
answer, so the transaction is first checked against a copy of its mempool).
``eth_call`` and ``eth_estimateGas`` run a native module's ABI function on
the state of the named block inside a journal checkpoint that is always
reverted, as ``NativeModule.view`` does. What is simplified is listed in
docs/rpc.md.
"""

from collections.abc import Sequence
from typing import Final

from interlace import __version__
from interlace.api.rpc.chain import ChainView
from interlace.api.rpc.dispatch import ALL_NODES, CHAIN_NODES, Method, RpcContext
from interlace.api.rpc.encode import (
    Json,
    block_json,
    data,
    encode_block,
    log_json,
    quantity,
    receipt_json,
    transaction_json,
)
from interlace.api.rpc.errors import (
    ExecutionReverted,
    InvalidInput,
    LimitExceeded,
    MethodNotSupported,
    ResourceNotFound,
    ResourceUnavailable,
    TransactionRejected,
    UnknownBlock,
)
from interlace.api.rpc.params import (
    LATEST,
    BlockRef,
    CallRequest,
    LogFilter,
    Param,
    parse_address,
    parse_block_count,
    parse_block_number_or_tag,
    parse_block_ref,
    parse_bool,
    parse_call_request,
    parse_data,
    parse_hash,
    parse_log_filter,
    parse_reward_percentiles,
    parse_storage_key,
    parse_storage_keys,
    parse_u64,
)
from interlace.primitives.abi import MalformedCalldata, abi_encode
from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import encode_header
from interlace.primitives.receipt import Log, Receipt, bloom_contains, encode_receipt
from interlace.primitives.tx import DepositTransaction, Transaction, decode_transaction
from interlace.primitives.types import U256, ZERO_ADDRESS, Address, Hash32
from interlace.protocol.chain.block import Block, block_env, next_base_fee
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.execution import (
    G_ACCESS_LIST_ADDRESS,
    G_ACCESS_LIST_KEY,
    G_CALLDATA_NONZERO,
    G_CALLDATA_ZERO,
    G_TRANSACTION,
    effective_gas_price,
)
from interlace.protocol.chain.mempool import Mempool
from interlace.protocol.chain.modules import G_MODULE_CALL, MODULE_CODE_HASH, CallContext, CallEnv
from interlace.protocol.chain.state import WorldState
from interlace.roles.messages import (
    SubmitL1Transaction,
    SubmitTransaction,
    TransactionAccepted,
)
from interlace.roles.messages import TransactionRejected as RoleRejected
from interlace.roles.sequencer import Sequencer

CLIENT_VERSION: Final = f"interlace/v{__version__}/python"
MODULE_CODE: Final = b"interlace native module"
"""What ``eth_getCode`` returns for a native module: the preimage of its code hash."""
assert keccak256(MODULE_CODE) == MODULE_CODE_HASH
SUGGESTED_TIP: Final = 1_000_000
"""``eth_maxPriorityFeePerGas``: 0.001 gwei, the base-fee floor (nothing here competes on tips)."""
CALL_GAS: Final = 50_000_000
"""Gas an ``eth_call`` / ``eth_estimateGas`` may use when the request names none."""
MAX_LOG_RANGE: Final = 10_000
"""Most blocks one ``eth_getLogs`` may scan."""
MAX_LOGS: Final = 10_000
"""Most logs one ``eth_getLogs`` may return."""
SUBMIT_TIMEOUT: Final = 10.0
"""Seconds to wait for a sequencer's accept/reject."""
ERROR_SELECTOR: Final = keccak256(b"Error(string)")[:4]

_GETH_PHRASES: Final = {
    "NonceTooLow": "nonce too low",
    "NonceTooHigh": "nonce too high",
    "InsufficientFunds": "insufficient funds for gas * price + value",
    "FeeTooLow": "max fee per gas less than block base fee",
    "IntrinsicGasTooLow": "intrinsic gas too low",
    "GasLimitExceeded": "exceeds block gas limit",
    "DuplicateTransaction": "already known",
    "WrongChainTransaction": "invalid chain id",
    "WrongChainId": "invalid chain id",
    "InvalidSignature": "invalid sender",
    "MalformedTransaction": "invalid transaction",
    "UnsupportedTransaction": "transaction type not supported",
}
"""geth's wording for each refusal, so tools that match on it keep working."""


# ---- blocks and states -------------------------------------------------------------


def resolve_number(ctx: RpcContext, view: ChainView, ref: BlockRef) -> int | None:
    """The block number ``ref`` names (None for an unknown hash or a future number)."""
    head = view.head().number
    if ref.block_hash is not None:
        return ctx.index.block_number(view, ref.block_hash)
    if ref.number is not None:
        return ref.number if ref.number <= head else None
    tag = ref.tag
    if tag in ("latest", "pending"):
        return head
    if tag == "earliest":
        return 0
    found = view.safe_number() if tag == "safe" else view.finalized_number()
    if found is None:
        raise UnknownBlock(
            f"{tag} block not found: a {view.kind} node does not track its {tag} head; ask "
            "the chain's verifier node, or the hub (interlace_blockSafety)"
        )
    return found


def resolve_block(ctx: RpcContext, view: ChainView, ref: BlockRef) -> Block:
    """The block ``ref`` names, or ``ResourceNotFound``."""
    number = resolve_number(ctx, view, ref)
    block = view.block(number) if number is not None else None
    if block is None:
        raise ResourceNotFound(f"header not found ({_describe(ref)}; head is {view.head().number})")
    return block


def resolve_state(ctx: RpcContext, view: ChainView, ref: BlockRef) -> tuple[Block, WorldState]:
    """The block ``ref`` names and its post-state."""
    block = resolve_block(ctx, view, ref)
    state = view.state(block.number)
    if state is None:
        raise ResourceNotFound(
            f"missing trie node: state of block {block.number} is pruned, no longer kept "
            f"by this node ({view.kept_states()}; head is {view.head().number})"
        )
    return block, state


def _describe(ref: BlockRef) -> str:
    if ref.block_hash is not None:
        return f"block hash {data(ref.block_hash)}"
    if ref.number is not None:
        return f"block {ref.number}"
    return f"block tag {ref.tag}"


# ---- simple reads -----------------------------------------------------------------------


def chain_id(ctx: RpcContext) -> str:
    """eth_chainId."""
    return quantity(ctx.view().chain_id)


def net_version(ctx: RpcContext) -> str:
    """net_version: the chain id in decimal."""
    return str(ctx.view().chain_id)


def client_version(_ctx: RpcContext) -> str:
    """web3_clientVersion."""
    return CLIENT_VERSION


def web3_sha3(_ctx: RpcContext, payload: bytes) -> str:
    """web3_sha3: keccak256 of the data."""
    return data(keccak256(payload))


def net_listening(_ctx: RpcContext) -> bool:
    """net_listening."""
    return True


def syncing(_ctx: RpcContext) -> bool:
    """eth_syncing: the node serves what it holds; there is no separate sync phase."""
    return False


def accounts(_ctx: RpcContext) -> list[str]:
    """eth_accounts: a node holds no user keys."""
    return []


def block_number(ctx: RpcContext) -> str:
    """eth_blockNumber."""
    return quantity(ctx.view().head().number)


def get_balance(ctx: RpcContext, address: Address, ref: BlockRef) -> str:
    """eth_getBalance."""
    _block, state = resolve_state(ctx, ctx.view(), ref)
    return quantity(state.get_account(address).balance)


def pending_nonce(mempool: Mempool | None, state: WorldState, address: Address) -> int:
    """Next nonce counting the sender's ready queue in the mempool."""
    nonce = state.get_account(address).nonce
    if mempool is None:
        return nonce
    return nonce + len(mempool.queues.get(address, ()))


def get_transaction_count(ctx: RpcContext, address: Address, ref: BlockRef) -> str:
    """eth_getTransactionCount; ``pending`` adds the sender's queued transactions."""
    view = ctx.view()
    _block, state = resolve_state(ctx, view, ref)
    if ref.tag == "pending":
        return quantity(pending_nonce(view.mempool(), state, address))
    return quantity(state.get_account(address).nonce)


def get_code(ctx: RpcContext, address: Address, ref: BlockRef) -> str:
    """eth_getCode: modules return the preimage of their code hash; accounts return 0x."""
    _block, state = resolve_state(ctx, ctx.view(), ref)
    # There is no EVM: every account other than a module has empty code.
    if state.get_account(address).code_hash == MODULE_CODE_HASH:
        return data(MODULE_CODE)
    return "0x"


def get_storage_at(ctx: RpcContext, address: Address, slot: bytes, ref: BlockRef) -> str:
    """eth_getStorageAt: the 32-byte word."""
    _block, state = resolve_state(ctx, ctx.view(), ref)
    return data(state.get_storage(address, slot).to_bytes(32, "big"))


def get_block_by_number(ctx: RpcContext, ref: BlockRef, full: bool) -> Json | None:
    """eth_getBlockByNumber (null beyond the head)."""
    view = ctx.view()
    number = resolve_number(ctx, view, ref)
    block = view.block(number) if number is not None else None
    if block is None:
        return None
    return block_json(block, view.receipts(block.number), full_transactions=full)


def get_block_by_hash(ctx: RpcContext, block_hash: Hash32, full: bool) -> Json | None:
    """eth_getBlockByHash (null if not canonical here)."""
    return get_block_by_number(ctx, BlockRef(block_hash=block_hash), full)


def _block_or_none(ctx: RpcContext, ref: BlockRef) -> Block | None:
    view = ctx.view()
    number = resolve_number(ctx, view, ref)
    return view.block(number) if number is not None else None


def transaction_count_by_number(ctx: RpcContext, ref: BlockRef) -> str | None:
    """eth_getBlockTransactionCountByNumber."""
    block = _block_or_none(ctx, ref)
    return quantity(len(block.transactions)) if block is not None else None


def transaction_count_by_hash(ctx: RpcContext, block_hash: Hash32) -> str | None:
    """eth_getBlockTransactionCountByHash."""
    return transaction_count_by_number(ctx, BlockRef(block_hash=block_hash))


def transaction_by_number_and_index(ctx: RpcContext, ref: BlockRef, index: int) -> Json | None:
    """eth_getTransactionByBlockNumberAndIndex."""
    view = ctx.view()
    block = _block_or_none(ctx, ref)
    if block is None or index >= len(block.transactions):
        return None
    receipts = view.receipts(block.number)
    receipt = receipts[index] if receipts is not None else None
    return transaction_json(block.transactions[index], block=block, index=index, receipt=receipt)


def transaction_by_hash_and_index(ctx: RpcContext, block_hash: Hash32, index: int) -> Json | None:
    """eth_getTransactionByBlockHashAndIndex."""
    return transaction_by_number_and_index(ctx, BlockRef(block_hash=block_hash), index)


def get_transaction_by_hash(ctx: RpcContext, tx_hash: Hash32) -> Json | None:
    """eth_getTransactionByHash: mined, else pending in the mempool, else null."""
    view = ctx.view()
    found = ctx.index.locate(view, tx_hash)
    if found is not None:
        receipts = view.receipts(found.block.number)
        receipt = receipts[found.index] if receipts is not None else None
        return transaction_json(
            found.transaction, block=found.block, index=found.index, receipt=receipt
        )
    pending = _pending_transaction(view.mempool(), tx_hash)
    return transaction_json(pending) if pending is not None else None


def _pending_transaction(mempool: Mempool | None, tx_hash: Hash32) -> Transaction | None:
    if mempool is None:
        return None
    tx = mempool.by_hash.get(tx_hash)
    if tx is not None:
        return tx
    for waiting in mempool.future.values():
        for queued in waiting.values():
            if queued.hash == tx_hash:
                return queued
    return None


def get_transaction_receipt(ctx: RpcContext, tx_hash: Hash32) -> Json | None:
    """eth_getTransactionReceipt (null until mined)."""
    view = ctx.view()
    found = ctx.index.locate(view, tx_hash)
    if found is None:
        return None
    receipts = view.receipts(found.block.number)
    if receipts is None:
        return None
    return receipt_json(found.block, receipts, found.index)


def get_block_receipts(ctx: RpcContext, ref: BlockRef) -> list[Json] | None:
    """eth_getBlockReceipts."""
    view = ctx.view()
    block = _block_or_none(ctx, ref)
    receipts = view.receipts(block.number) if block is not None else None
    if block is None or receipts is None:
        return None
    return [receipt_json(block, receipts, i) for i in range(len(block.transactions))]


# ---- logs -------------------------------------------------------------------------------


def log_matches(log: Log, flt: LogFilter) -> bool:
    """Does ``log`` pass the address and topic parts of ``flt``?"""
    if flt.addresses and log.address not in flt.addresses:
        return False
    if len(flt.topics) > len(log.topics):
        return False
    return all(wanted is None or log.topics[i] in wanted for i, wanted in enumerate(flt.topics))


def _bloom_may_match(bloom: bytes, flt: LogFilter) -> bool:
    if flt.addresses and not any(bloom_contains(bloom, a) for a in flt.addresses):
        return False
    return all(
        wanted is None or any(bloom_contains(bloom, t) for t in wanted) for wanted in flt.topics
    )


def block_logs(
    block: Block, receipts: Sequence[Receipt], flt: LogFilter, *, removed: bool = False
) -> list[Json]:
    """The logs of one block that pass ``flt``, in block order."""
    if not _bloom_may_match(block.header.logs_bloom, flt):
        return []
    found: list[Json] = []
    log_index = 0
    for tx_index, receipt in enumerate(receipts):
        tx_hash = block.transactions[tx_index].hash
        for log in receipt.logs:
            if log_matches(log, flt):
                found.append(
                    log_json(
                        log,
                        block=block,
                        tx_hash=tx_hash,
                        tx_index=tx_index,
                        log_index=log_index,
                        removed=removed,
                    )
                )
            log_index += 1
    return found


def get_logs(ctx: RpcContext, flt: LogFilter) -> list[Json]:
    """eth_getLogs."""
    view = ctx.view()
    if flt.block_hash is not None:
        number = ctx.index.block_number(view, flt.block_hash)
        if number is None:
            raise ResourceNotFound(f"unknown block {data(flt.block_hash)}")
        first = last = number
    else:
        head = view.head().number
        low = resolve_number(ctx, view, flt.from_block)
        high = resolve_number(ctx, view, flt.to_block)
        first = head + 1 if low is None else low
        last = head if high is None else high
        if first > last:
            return []
        if last - first + 1 > MAX_LOG_RANGE:
            raise LimitExceeded(
                f"eth_getLogs range of {last - first + 1} blocks exceeds the limit of "
                f"{MAX_LOG_RANGE}; split the query"
            )
    found: list[Json] = []
    for number in range(first, last + 1):
        block = view.block(number)
        receipts = view.receipts(number)
        if block is None or receipts is None:
            break
        found.extend(block_logs(block, receipts, flt))
        if len(found) > MAX_LOGS:
            raise LimitExceeded(
                f"eth_getLogs would return more than {MAX_LOGS} logs; narrow the filter"
            )
    return found


# ---- calls and gas ----------------------------------------------------------------------


def revert_data(reason: str) -> str:
    """ABI ``Error(string)`` return data, as Solidity's ``revert(reason)`` produces."""
    return data(ERROR_SELECTOR + abi_encode(["string"], [reason]))


def intrinsic_call_gas(request: CallRequest) -> int:
    """Intrinsic gas of a transaction with this data and access list."""
    zeros = request.data.count(0)
    gas = G_TRANSACTION + zeros * G_CALLDATA_ZERO + (len(request.data) - zeros) * G_CALLDATA_NONZERO
    for _address, keys in request.access_list:
        gas += G_ACCESS_LIST_ADDRESS + G_ACCESS_LIST_KEY * len(keys)
    return gas


def run_call(
    view: ChainView, block: Block, state: WorldState, request: CallRequest
) -> tuple[bytes, int]:
    """Run ``request`` on ``state`` and undo it; return (return data, gas used).

    Raises ``ExecutionReverted`` with the module's reason (and ABI
    ``Error(string)`` data) when the module reverts or the calldata does not
    decode for its ABI.
    """
    if request.to is None:
        raise InvalidInput("contract creation is not supported (no EVM yet): give a 'to' address")
    sender = request.sender or ZERO_ADDRESS
    intrinsic = intrinsic_call_gas(request)
    if request.gas is not None and request.gas < intrinsic:
        raise InvalidInput(f"intrinsic gas too low: gas {request.gas} < {intrinsic}")
    module = view.modules.get(request.to)
    mark = state.checkpoint()
    try:
        if request.value:
            if state.balance_of(sender) < request.value:
                raise InvalidInput("insufficient funds for transfer")
            state.sub_balance(sender, request.value)
            state.add_balance(request.to, request.value)
        if module is None:
            return b"", intrinsic  # a transfer to an account: no code runs
        available = (request.gas if request.gas is not None else CALL_GAS) - intrinsic
        env = CallEnv(view.config.chain_id, block.number, block.header.timestamp)
        call = CallContext(state, env, module.address, sender, U256(request.value), available)
        try:
            call.charge(G_MODULE_CALL)
            function, args = module.abi.decode_call(request.data)
            output = module.call(call, function, args)
        except (ModuleRevert, MalformedCalldata) as exc:
            reason = str(exc)
            raise ExecutionReverted(f"execution reverted: {reason}", revert_data(reason)) from None
        return output, intrinsic + available - call.gas_left
    finally:
        state.revert_to(mark)


def eth_call(ctx: RpcContext, request: CallRequest, ref: BlockRef) -> str:
    """eth_call."""
    view = ctx.view()
    block, state = resolve_state(ctx, view, ref)
    output, _gas = run_call(view, block, state, request)
    return data(output)


def estimate_gas(ctx: RpcContext, request: CallRequest, ref: BlockRef) -> str:
    """eth_estimateGas: the gas the call uses, exactly (metering is deterministic)."""
    view = ctx.view()
    block, state = resolve_state(ctx, view, ref)
    _output, gas = run_call(view, block, state, request)
    if gas > view.config.gas_limit:
        raise InvalidInput(
            f"gas required {gas} exceeds the block gas limit {view.config.gas_limit}"
        )
    return quantity(gas)


def gas_price(ctx: RpcContext) -> str:
    """eth_gasPrice: the next block's base fee plus the suggested tip."""
    return quantity(next_base_fee(ctx.view().head().header) + SUGGESTED_TIP)


def max_priority_fee(_ctx: RpcContext) -> str:
    """eth_maxPriorityFeePerGas."""
    return quantity(SUGGESTED_TIP)


def _rewards(block: Block, receipts: Sequence[Receipt], percentiles: Sequence[float]) -> list[str]:
    """Tips at the given percentiles of the block's gas, geth's way (weighted by gas used)."""
    tips: list[tuple[int, int]] = []
    previous = 0
    base_fee = block.header.base_fee_per_gas
    for tx, receipt in zip(block.transactions, receipts, strict=True):
        used = receipt.cumulative_gas_used - previous
        previous = receipt.cumulative_gas_used
        if isinstance(tx, DepositTransaction):
            continue
        tips.append((effective_gas_price(tx, base_fee) - base_fee, used))
    if not tips:
        return ["0x0"] * len(percentiles)
    tips.sort()
    total = sum(used for _tip, used in tips)
    out: list[str] = []
    for p in percentiles:
        threshold = total * p / 100
        running = 0
        chosen = tips[-1][0]
        for tip, used in tips:
            running += used
            if running >= threshold:
                chosen = tip
                break
        out.append(quantity(chosen))
    return out


def fee_history(
    ctx: RpcContext, count: int, newest: BlockRef, percentiles: tuple[float, ...] | None
) -> Json:
    """eth_feeHistory."""
    view = ctx.view()
    last = resolve_block(ctx, view, newest).number
    oldest = max(0, last - count + 1)
    base_fees: list[str] = []
    ratios: list[float] = []
    rewards: list[list[str]] = []
    header = None
    for number in range(oldest, last + 1):
        block = view.block(number)
        assert block is not None
        header = block.header
        base_fees.append(quantity(header.base_fee_per_gas))
        ratios.append(header.gas_used / header.gas_limit if header.gas_limit else 0.0)
        if percentiles:
            rewards.append(_rewards(block, view.receipts(number) or (), percentiles))
    assert header is not None
    base_fees.append(quantity(next_base_fee(header)))
    result: Json = {
        "oldestBlock": quantity(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": ratios,
    }
    if percentiles:
        result["reward"] = rewards
    return result


# ---- proofs -----------------------------------------------------------------------------


def get_proof(ctx: RpcContext, address: Address, keys: tuple[bytes, ...], ref: BlockRef) -> Json:
    """eth_getProof (EIP-1186): account proof against the block's state root, storage proofs."""
    _block, state = resolve_state(ctx, ctx.view(), ref)
    account = state.get_account(address)
    account_proof = state.account_trie().proof(address)
    storage = state.storage_trie(address)
    return {
        "address": data(address),
        "accountProof": [data(node) for node in account_proof],
        "balance": quantity(account.balance),
        "codeHash": data(account.code_hash),
        "nonce": quantity(account.nonce),
        "storageHash": data(account.storage_root),
        "storageProof": [
            {
                "key": data(key),
                "value": quantity(state.get_storage(address, key)),
                "proof": [data(node) for node in storage.proof(key)],
            }
            for key in keys
        ],
    }


# ---- transactions -------------------------------------------------------------------------


def _rejection(error: str, reason: str) -> TransactionRejected:
    phrase = _GETH_PHRASES.get(error, "transaction rejected")
    return TransactionRejected(f"{phrase}: {reason}", {"error": error, "reason": reason})


def _decode_submitted(view: ChainView, raw: bytes) -> Transaction:
    try:
        tx = decode_transaction(raw, expected_chain_id=view.chain_id)
    except InterlaceError as exc:
        raise _rejection(type(exc).__name__, str(exc)) from None
    if isinstance(tx, DepositTransaction):
        raise _rejection(
            "UnsupportedTransaction",
            "deposit transactions (type 0x7e) are derived from L1 and cannot be submitted",
        )
    return tx


async def send_raw_transaction(ctx: RpcContext, raw: bytes) -> str:
    """eth_sendRawTransaction."""
    view = ctx.view()
    tx = _decode_submitted(view, raw)
    if isinstance(ctx.role, Sequencer):
        answer = await ctx.host.request(SubmitTransaction(raw), timeout=SUBMIT_TIMEOUT)
        if isinstance(answer, TransactionAccepted):
            return data(answer.tx_hash)
        if isinstance(answer, RoleRejected):
            raise _rejection(answer.error, answer.reason)
        raise ResourceUnavailable(
            f"the sequencer did not answer within {SUBMIT_TIMEOUT:.0f} s; "
            "check the transaction with eth_getTransactionByHash before re-sending"
        )
    mempool = view.mempool()
    if mempool is None:
        raise MethodNotSupported(
            f"a {view.kind} node does not accept transactions; send them to the sequencer"
        )
    # The L1 node does not answer submissions: check against a copy of its pool first.
    trial = Mempool(
        dict(mempool.by_hash),
        {sender: list(queue) for sender, queue in mempool.queues.items()},
        {sender: dict(waiting) for sender, waiting in mempool.future.items()},
    )
    head = view.head()
    env = block_env(view.config, head.header, max(int(ctx.host.now()), head.header.timestamp))
    state = view.state(head.number)
    assert state is not None
    try:
        trial.add(tx, state, env)
    except InterlaceError as exc:
        raise _rejection(type(exc).__name__, str(exc)) from None
    ctx.host.deliver(SubmitL1Transaction(raw))
    return data(tx.hash)


# ---- raw data (geth's debug namespace) ------------------------------------------------


def raw_header(ctx: RpcContext, ref: BlockRef) -> str:
    """debug_getRawHeader: the header RLP."""
    return data(encode_header(resolve_block(ctx, ctx.view(), ref).header))


def raw_block(ctx: RpcContext, ref: BlockRef) -> str:
    """debug_getRawBlock: the block RLP."""
    return data(encode_block(resolve_block(ctx, ctx.view(), ref)))


def raw_receipts(ctx: RpcContext, ref: BlockRef) -> list[str]:
    """debug_getRawReceipts: the block's receipts in their consensus (EIP-2718) encoding."""
    view = ctx.view()
    block = resolve_block(ctx, view, ref)
    receipts = view.receipts(block.number) or ()
    return [data(encode_receipt(r)) for r in receipts]


def raw_transaction(ctx: RpcContext, tx_hash: Hash32) -> str:
    """debug_getRawTransaction: the transaction's network encoding ("0x" if unknown)."""
    view = ctx.view()
    found = ctx.index.locate(view, tx_hash)
    if found is not None:
        return data(found.transaction.raw)
    pending = _pending_transaction(view.mempool(), tx_hash)
    return data(pending.raw) if pending is not None else "0x"


# ---- the table ------------------------------------------------------------------------------

_ADDRESS = Param("address", parse_address)
_BLOCK = Param("block", parse_block_ref, required=False, default=LATEST)
_BLOCK_REQUIRED = Param("block", parse_block_ref)
_BLOCK_NUMBER = Param("block", parse_block_number_or_tag)
_FULL = Param("fullTransactions", parse_bool, required=False, default=False)
_TX_HASH = Param("transactionHash", parse_hash)
_BLOCK_HASH = Param("blockHash", parse_hash)
_INDEX = Param("index", parse_u64)
_CALL = Param("transaction", parse_call_request)

ETH_METHODS: Final = (
    Method("eth_chainId", (), chain_id, CHAIN_NODES, "the chain id"),
    Method("net_version", (), net_version, CHAIN_NODES, "the chain id in decimal"),
    Method("net_listening", (), net_listening, ALL_NODES, "always true"),
    Method("web3_clientVersion", (), client_version, ALL_NODES, "interlace/vX/python"),
    Method("web3_sha3", (Param("data", parse_data),), web3_sha3, ALL_NODES, "keccak256"),
    Method("eth_syncing", (), syncing, CHAIN_NODES, "always false"),
    Method("eth_accounts", (), accounts, CHAIN_NODES, "always []"),
    Method("eth_blockNumber", (), block_number, CHAIN_NODES, "head number"),
    Method("eth_getBalance", (_ADDRESS, _BLOCK), get_balance, CHAIN_NODES, "balance"),
    Method(
        "eth_getTransactionCount",
        (_ADDRESS, _BLOCK),
        get_transaction_count,
        CHAIN_NODES,
        "nonce (pending counts the mempool)",
    ),
    Method("eth_getCode", (_ADDRESS, _BLOCK), get_code, CHAIN_NODES, "code"),
    Method(
        "eth_getStorageAt",
        (_ADDRESS, Param("slot", parse_storage_key), _BLOCK),
        get_storage_at,
        CHAIN_NODES,
        "storage word",
    ),
    Method(
        "eth_getBlockByNumber",
        (_BLOCK_NUMBER, _FULL),
        get_block_by_number,
        CHAIN_NODES,
        "block by number or tag",
    ),
    Method(
        "eth_getBlockByHash", (_BLOCK_HASH, _FULL), get_block_by_hash, CHAIN_NODES, "block by hash"
    ),
    Method(
        "eth_getBlockTransactionCountByNumber",
        (_BLOCK_NUMBER,),
        transaction_count_by_number,
        CHAIN_NODES,
        "transaction count",
    ),
    Method(
        "eth_getBlockTransactionCountByHash",
        (_BLOCK_HASH,),
        transaction_count_by_hash,
        CHAIN_NODES,
        "transaction count",
    ),
    Method(
        "eth_getTransactionByBlockNumberAndIndex",
        (_BLOCK_NUMBER, _INDEX),
        transaction_by_number_and_index,
        CHAIN_NODES,
        "transaction",
    ),
    Method(
        "eth_getTransactionByBlockHashAndIndex",
        (_BLOCK_HASH, _INDEX),
        transaction_by_hash_and_index,
        CHAIN_NODES,
        "transaction",
    ),
    Method(
        "eth_getTransactionByHash",
        (_TX_HASH,),
        get_transaction_by_hash,
        CHAIN_NODES,
        "transaction (mined or pending)",
    ),
    Method(
        "eth_getTransactionReceipt",
        (_TX_HASH,),
        get_transaction_receipt,
        CHAIN_NODES,
        "receipt",
    ),
    Method("eth_getBlockReceipts", (_BLOCK_REQUIRED,), get_block_receipts, CHAIN_NODES, "receipts"),
    Method("eth_getLogs", (Param("filter", parse_log_filter),), get_logs, CHAIN_NODES, "logs"),
    Method("eth_call", (_CALL, _BLOCK), eth_call, CHAIN_NODES, "call a native module"),
    Method("eth_estimateGas", (_CALL, _BLOCK), estimate_gas, CHAIN_NODES, "gas estimate"),
    Method("eth_gasPrice", (), gas_price, CHAIN_NODES, "legacy gas price"),
    Method("eth_maxPriorityFeePerGas", (), max_priority_fee, CHAIN_NODES, "suggested tip"),
    Method(
        "eth_feeHistory",
        (
            Param("blockCount", parse_block_count),
            Param("newestBlock", parse_block_number_or_tag),
            Param("rewardPercentiles", parse_reward_percentiles, required=False),
        ),
        fee_history,
        CHAIN_NODES,
        "fee history",
    ),
    Method(
        "eth_getProof",
        (_ADDRESS, Param("storageKeys", parse_storage_keys), _BLOCK_REQUIRED),
        get_proof,
        CHAIN_NODES,
        "EIP-1186 proof",
    ),
    Method(
        "eth_sendRawTransaction",
        (Param("transaction", parse_data),),
        send_raw_transaction,
        frozenset({"l1", "sequencer"}),
        "submit a signed transaction",
    ),
    Method("debug_getRawHeader", (_BLOCK_REQUIRED,), raw_header, CHAIN_NODES, "header RLP"),
    Method("debug_getRawBlock", (_BLOCK_REQUIRED,), raw_block, CHAIN_NODES, "block RLP"),
    Method("debug_getRawReceipts", (_BLOCK_REQUIRED,), raw_receipts, CHAIN_NODES, "receipts"),
    Method(
        "debug_getRawTransaction", (_TX_HASH,), raw_transaction, CHAIN_NODES, "transaction bytes"
    ),
)

__all__ = ["ETH_METHODS", "block_logs", "log_matches", "resolve_number", "run_call"]
