"""Blocks: building them from transactions and validating them by re-execution.

A ``Block`` is an Ethereum header plus the transactions in their canonical
(typed envelope) encoding. ``build_block`` executes candidate transactions
in order, skipping the ones that no longer validate, and seals the header
with the resulting state, transactions and receipts roots;
``execute_block`` re-executes a block on its parent state and raises a
specific ``InvalidBlock`` for every commitment that does not match. Both are
deterministic: the same parent and transactions give the same roots.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from interlace.primitives.header import EMPTY_OMMERS_HASH, BlockHeader, header_hash
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.receipt import Receipt, receipts_root, transactions_root
from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, Bytes256, ChainId, Hash32
from interlace.protocol.chain.errors import InvalidBlock, InvalidTransaction
from interlace.protocol.chain.execution import BlockEnv, execute_transaction, validate_transaction
from interlace.protocol.chain.history import store_parent_hash
from interlace.protocol.chain.modules import NativeModule
from interlace.protocol.chain.state import WorldState

ELASTICITY: Final = 2
BASE_FEE_CHANGE_DENOMINATOR: Final = 8
MIN_BASE_FEE: Final = 1_000_000
"""Floor of the base fee (0.001 gwei) so quiet chains do not decay to zero."""


@dataclass(frozen=True, slots=True)
class Block:
    """A sealed block: header and transactions (decoded, each keeping its raw bytes)."""

    header: BlockHeader
    """The Ethereum header."""
    transactions: tuple[Transaction, ...]
    """Transactions in block order."""
    hash: Hash32 = field(init=False)
    """keccak(rlp(header))."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", header_hash(self.header))

    @property
    def number(self) -> int:
        """Block number."""
        return self.header.number


@dataclass(frozen=True, slots=True)
class ChainConfig:
    """Static parameters of one chain."""

    chain_id: ChainId
    """EIP-155 chain id."""
    gas_limit: U64 = U64(30_000_000)
    """Block gas limit."""
    coinbase: Address = Address(b"\x00" * 19 + b"\xfe")
    """Fee recipient of every block."""
    block_hash_history: bool = False
    """Write each block's parent hash to the EIP-2935 history contract before its
    transactions (``protocol.chain.history``): L1, whose modules read it."""


@dataclass(frozen=True, slots=True)
class BuiltBlock:
    """The outcome of ``build_block``."""

    block: Block
    """The sealed block."""
    state: WorldState
    """Post-state (flushed)."""
    receipts: tuple[Receipt, ...]
    """Receipts in transaction order."""
    rejected: tuple[tuple[Transaction, InvalidTransaction], ...]
    """Candidates left out, with the reason."""


def next_base_fee(parent: BlockHeader) -> U256:
    """EIP-1559 base fee of the child of ``parent`` (with a floor)."""
    base = parent.base_fee_per_gas
    target = parent.gas_limit // ELASTICITY
    used = parent.gas_used
    new: int
    if target in (0, used):
        new = base
    elif used > target:
        new = base + max(1, base * (used - target) // target // BASE_FEE_CHANGE_DENOMINATOR)
    else:
        new = base - base * (target - used) // target // BASE_FEE_CHANGE_DENOMINATOR
    return U256(max(new, MIN_BASE_FEE))


def genesis_header(config: ChainConfig, state: WorldState, timestamp: int) -> BlockHeader:
    """Header of block 0 over a prepared genesis state."""
    return _seal(
        config,
        parent_hash=ZERO_HASH,
        number=0,
        timestamp=timestamp,
        base_fee=MIN_BASE_FEE,
        state_root=state.state_root(),
        transactions=(),
        receipts=(),
        gas_used=0,
        extra_data=b"",
        prev_randao=ZERO_HASH,
        parent_beacon_block_root=ZERO_HASH,
    )


def build_block(
    config: ChainConfig,
    parent: BlockHeader,
    parent_state: WorldState,
    modules: Mapping[Address, NativeModule],
    candidates: Sequence[Transaction],
    *,
    timestamp: int,
    extra_data: bytes = b"",
    prev_randao: Hash32 = ZERO_HASH,
    parent_beacon_block_root: Hash32 = ZERO_HASH,
    parent_hash: Hash32 | None = None,
) -> BuiltBlock:
    """Execute ``candidates`` on a copy of ``parent_state`` and seal the block.

    Deposits are always included (they were validated by derivation); a
    fee-paying transaction that fails validation is skipped and reported.
    ``parent_hash`` saves re-hashing a parent whose hash the caller holds.
    """
    state = parent_state.copy()
    env = block_env(config, parent, timestamp)
    parent_hash = parent_hash or header_hash(parent)
    if config.block_hash_history:
        store_parent_hash(state, parent.number + 1, parent_hash)
    included: list[Transaction] = []
    receipts: list[Receipt] = []
    rejected: list[tuple[Transaction, InvalidTransaction]] = []
    gas_used = 0
    for tx in candidates:
        if not isinstance(tx, DepositTransaction):
            try:
                validate_transaction(state, env, tx, config.gas_limit - gas_used)
            except InvalidTransaction as exc:
                rejected.append((tx, exc))
                continue
        receipt, used = execute_transaction(state, env, tx, modules, gas_used)
        gas_used += used
        included.append(tx)
        receipts.append(receipt)
    header = _seal(
        config,
        parent_hash=parent_hash,
        number=parent.number + 1,
        timestamp=timestamp,
        base_fee=env.base_fee,
        state_root=state.state_root(),
        transactions=tuple(included),
        receipts=tuple(receipts),
        gas_used=gas_used,
        extra_data=extra_data,
        prev_randao=prev_randao,
        parent_beacon_block_root=parent_beacon_block_root,
    )
    return BuiltBlock(Block(header, tuple(included)), state, tuple(receipts), tuple(rejected))


def execute_block(
    config: ChainConfig,
    parent: BlockHeader,
    parent_state: WorldState,
    modules: Mapping[Address, NativeModule],
    block: Block,
    *,
    parent_hash: Hash32 | None = None,
    check_state_root: bool = True,
) -> tuple[WorldState, tuple[Receipt, ...]]:
    """Re-execute ``block`` on ``parent_state``; raise ``InvalidBlock`` on any mismatch.

    ``check_state_root=False`` skips only the state root: for a node replaying a block it
    signed itself with a root it knew to be wrong (the simulator's ``bad_state_root``
    fault), whose header its later blocks link to."""
    header = block.header
    parent_hash = parent_hash or header_hash(parent)
    if header.parent_hash != parent_hash:
        raise InvalidBlock("parent hash does not match the parent block")
    if header.number != parent.number + 1:
        raise InvalidBlock(f"block number {header.number} does not follow {parent.number}")
    if header.timestamp < parent.timestamp:
        raise InvalidBlock("timestamp goes backwards")
    if header.gas_limit != config.gas_limit:
        raise InvalidBlock("wrong gas limit")
    if header.coinbase != config.coinbase:
        raise InvalidBlock("wrong coinbase")
    if (
        header.ommers_hash != EMPTY_OMMERS_HASH
        or header.difficulty != 0
        or header.nonce != b"\x00" * 8
        or header.withdrawals_root != EMPTY_TRIE_ROOT
        or header.blob_gas_used != 0
        or header.excess_blob_gas != 0
    ):
        raise InvalidBlock("post-merge constant fields (ommers, difficulty, nonce, ...) are wrong")
    env = block_env(config, parent, header.timestamp)
    if header.base_fee_per_gas != env.base_fee:
        raise InvalidBlock(f"base fee {header.base_fee_per_gas} should be {env.base_fee}")
    if header.transactions_root != transactions_root([tx.raw for tx in block.transactions]):
        raise InvalidBlock("transactions root mismatch")
    state = parent_state.copy()
    if config.block_hash_history:
        store_parent_hash(state, header.number, parent_hash)
    receipts: list[Receipt] = []
    gas_used = 0
    for index, tx in enumerate(block.transactions):
        if not isinstance(tx, DepositTransaction):
            try:
                validate_transaction(state, env, tx, config.gas_limit - gas_used)
            except InvalidTransaction as exc:
                raise InvalidBlock(f"transaction {index} is invalid: {exc}") from exc
        receipt, used = execute_transaction(state, env, tx, modules, gas_used)
        gas_used += used
        receipts.append(receipt)
    if header.gas_used != gas_used:
        raise InvalidBlock(f"gas used {header.gas_used} should be {gas_used}")
    if header.receipts_root != receipts_root(receipts):
        raise InvalidBlock("receipts root mismatch")
    if header.logs_bloom != logs_bloom_union(receipts):
        raise InvalidBlock("logs bloom mismatch")
    if check_state_root and header.state_root != state.state_root():
        raise InvalidBlock("state root mismatch")
    return state, tuple(receipts)


def block_env(config: ChainConfig, parent: BlockHeader, timestamp: int) -> BlockEnv:
    """The execution environment of the child of ``parent``."""
    return BlockEnv(
        chain_id=config.chain_id,
        number=U64(parent.number + 1),
        timestamp=U64(timestamp),
        coinbase=config.coinbase,
        base_fee=next_base_fee(parent),
        gas_limit=config.gas_limit,
    )


def _seal(
    config: ChainConfig,
    *,
    parent_hash: Hash32,
    number: int,
    timestamp: int,
    base_fee: int,
    state_root: Hash32,
    transactions: tuple[Transaction, ...],
    receipts: tuple[Receipt, ...],
    gas_used: int,
    extra_data: bytes,
    prev_randao: Hash32,
    parent_beacon_block_root: Hash32,
) -> BlockHeader:
    return BlockHeader(
        parent_hash=parent_hash,
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=config.coinbase,
        state_root=state_root,
        transactions_root=transactions_root([tx.raw for tx in transactions]),
        receipts_root=receipts_root(receipts),
        logs_bloom=logs_bloom_union(receipts),
        difficulty=U256(0),
        number=U64(number),
        gas_limit=config.gas_limit,
        gas_used=U64(gas_used),
        timestamp=U64(timestamp),
        extra_data=extra_data,
        prev_randao=prev_randao,
        nonce=b"\x00" * 8,
        base_fee_per_gas=U256(base_fee),
        withdrawals_root=EMPTY_TRIE_ROOT,
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
        parent_beacon_block_root=parent_beacon_block_root,
    )


def logs_bloom_union(receipts: Sequence[Receipt]) -> Bytes256:
    """The block's logs bloom: the OR of its receipts' blooms."""
    acc = 0
    for receipt in receipts:
        acc |= int.from_bytes(receipt.logs_bloom, "big")
    return Bytes256(acc.to_bytes(256, "big"))
