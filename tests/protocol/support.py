"""Small worlds for the protocol unit tests: keys, signed transactions, a test module, an L1.

Everything is deterministic: keys come from fixed seeds and transactions are
signed with RFC 6979 nonces, so a failing example replays exactly. Random
world states for the state tests are hypothesis strategies, with a reference
root computed by the ``trie`` package.
"""

from collections.abc import Sequence
from typing import Final

import rlp
from hypothesis import strategies as st
from trie import HexaryTrie

from interlace.primitives.abi import AbiModule
from interlace.primitives.hashing import EMPTY_KECCAK, keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.tx import (
    DynamicFeeTransaction,
    LegacyTransaction,
    SignedTransaction,
    UnsignedDynamicFeeTransaction,
    UnsignedLegacyTransaction,
    sign_transaction,
)
from interlace.primitives.types import U64, U256, Address, ChainId, Hash32, address_from_hex
from interlace.protocol.chain.block import MIN_BASE_FEE
from interlace.protocol.chain.execution import BlockEnv
from interlace.protocol.chain.modules import (
    MODULE_CODE_HASH,
    CallContext,
    NativeModule,
    install_module,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import Account, WorldState
from interlace.protocol.l1.genesis import L1_CONFIG, L1Genesis, build_l1_genesis
from interlace.protocol.l1.modules import RollupKind, RollupRecord

CHAIN_ID: Final = ChainId(901)
ETHER: Final = 10**18
GWEI: Final = 10**9
COINBASE: Final = Address(b"\x00" * 19 + b"\xfe")

ALICE: Final = private_key_from_seed(b"alice")
BOB: Final = private_key_from_seed(b"bob")
CAROL: Final = private_key_from_seed(b"carol")
KEYS: Final = (ALICE, BOB, CAROL)

ROLLUP_ID: Final = ChainId(901)
SEQUENCER: Final = private_key_from_seed(b"sequencer-901")
BATCHER: Final = private_key_from_seed(b"batcher-901")
ADMIN: Final = private_key_from_seed(b"admin-901")


def transfer(
    key: PrivateKey,
    nonce: int,
    to: Address,
    value: int = 0,
    *,
    chain_id: int = CHAIN_ID,
    gas_limit: int = 21_000,
    max_fee: int = 2 * GWEI,
    tip: int = GWEI,
    data: bytes = b"",
) -> DynamicFeeTransaction:
    """A signed EIP-1559 transaction."""
    tx = sign_transaction(
        UnsignedDynamicFeeTransaction(
            chain_id=ChainId(chain_id),
            nonce=U64(nonce),
            max_priority_fee_per_gas=U256(tip),
            max_fee_per_gas=U256(max_fee),
            gas_limit=U64(gas_limit),
            to=to,
            value=U256(value),
            data=data,
            access_list=(),
        ),
        key,
    )
    assert isinstance(tx, DynamicFeeTransaction)
    return tx


def legacy(
    key: PrivateKey,
    nonce: int,
    to: Address | None,
    value: int = 0,
    *,
    chain_id: int | None = CHAIN_ID,
    gas_limit: int = 21_000,
    gas_price: int = 2 * GWEI,
) -> LegacyTransaction:
    """A signed legacy transaction (pre-EIP-155 when ``chain_id`` is None)."""
    tx = sign_transaction(
        UnsignedLegacyTransaction(
            chain_id=None if chain_id is None else ChainId(chain_id),
            nonce=U64(nonce),
            gas_price=U256(gas_price),
            gas_limit=U64(gas_limit),
            to=to,
            value=U256(value),
            data=b"",
        ),
        key,
    )
    assert isinstance(tx, LegacyTransaction)
    return tx


def call_tx(
    key: PrivateKey,
    nonce: int,
    module: Address,
    calldata: bytes,
    *,
    value: int = 0,
    chain_id: int = CHAIN_ID,
    gas_limit: int = 200_000,
) -> SignedTransaction:
    """A signed EIP-1559 call into a native module."""
    return transfer(
        key, nonce, module, value, chain_id=chain_id, gas_limit=gas_limit, data=calldata
    )


def block_env(base_fee: int = MIN_BASE_FEE, gas_limit: int = 30_000_000) -> BlockEnv:
    """A block environment on ``CHAIN_ID``."""
    return BlockEnv(
        chain_id=CHAIN_ID,
        number=U64(1),
        timestamp=U64(12),
        coinbase=COINBASE,
        base_fee=U256(base_fee),
        gas_limit=U64(gas_limit),
    )


def funded_state(
    balances: dict[Address, int] | None = None, modules: Sequence[NativeModule] = ()
) -> WorldState:
    """A flushed state with prefunded accounts and installed modules."""
    state = WorldState()
    for module in modules:
        install_module(state, module)
    for address, amount in (balances or {k.address: 10 * ETHER for k in KEYS}).items():
        state.add_balance(address, amount)
    state.state_root()
    return state


def total_supply(state: WorldState) -> int:
    """Sum of every balance in the (flushed) account trie."""
    from interlace.protocol.chain.state import decode_account

    return sum(decode_account(raw).balance for _key, raw in state.account_trie().items())


# ---- a small native module for execution tests ------------------------------------

COUNTER_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000c0de1")
COUNTER_ABI: Final = AbiModule.declare(
    "Counter",
    functions=[
        "increment(uint256 amount)",
        "incrementThenRevert(uint256 amount)",
        "get() view returns (uint256)",
    ],
    events=["Incremented(address indexed by, uint256 total)"],
)


class Counter(NativeModule):
    """Slot 0 holds a counter; ``incrementThenRevert`` writes, logs, then reverts."""

    address = COUNTER_ADDRESS
    abi = COUNTER_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function in ("increment", "incrementThenRevert"):
            (amount,) = args
            assert isinstance(amount, int)
            total = ctx.sload(word_slot(0)) + amount
            ctx.sstore(word_slot(0), total)
            topics, data = self.abi.event("Incremented").encode_log(ctx.sender, total)
            ctx.emit(topics, data)
            if function == "incrementThenRevert":
                raise revert("asked to revert")
            return b""
        if function == "get":
            return self.abi.function("get").encode_return(ctx.sload(word_slot(0)))
        raise revert(f"unknown function {function}")


def counter_value(state: WorldState) -> int:
    """The counter as stored."""
    return state.get_storage(COUNTER_ADDRESS, word_slot(0))


# ---- an L1 with one registered rollup ----------------------------------------------


def rollup_record(chain_id: int = ROLLUP_ID) -> RollupRecord:
    """The genesis registry entry of the test rollup."""
    return RollupRecord(
        chain_id=ChainId(chain_id),
        kind=RollupKind.OPTIMISTIC,
        sequencer=SEQUENCER.address,
        batcher=BATCHER.address,
        challenge_window=U64(3_600),
        admin=ADMIN.address,
    )


def l1_genesis(rollups: Sequence[RollupRecord] | None = None) -> L1Genesis:
    """L1 genesis: every test key funded, one optimistic rollup registered."""
    alloc = {k.address: 100 * ETHER for k in (*KEYS, SEQUENCER, BATCHER, ADMIN)}
    return L1Genesis(
        config=L1_CONFIG,
        alloc=alloc,
        rollups=[rollup_record()] if rollups is None else list(rollups),
    )


def l1_genesis_state() -> WorldState:
    """The L1 genesis state of ``l1_genesis()``."""
    return build_l1_genesis(l1_genesis())[1]


def source_hash(domain: int, block_hash: Hash32, index: int) -> Hash32:
    """OP's deposit source hash, written out independently of ``interlace.primitives.tx``."""
    inner = keccak256(bytes(block_hash) + index.to_bytes(32, "big"))
    return keccak256(domain.to_bytes(32, "big") + inner)


# ---- random world states ---------------------------------------------------------

addresses = st.binary(min_size=20, max_size=20).map(Address)
slots = st.binary(min_size=32, max_size=32) | st.integers(0, 3).map(lambda i: i.to_bytes(32, "big"))
words = st.integers(0, 2**256 - 1) | st.integers(0, 3)
accounts = st.builds(
    lambda n, b, c: (n, b, c),
    st.integers(0, 2**64 - 1) | st.integers(0, 2),
    st.integers(0, 2**256 - 1) | st.integers(0, 2),
    st.sampled_from([EMPTY_KECCAK, MODULE_CODE_HASH]),
)
# address → ((nonce, balance, codeHash), {slot: value})
worlds = st.dictionaries(
    addresses, st.tuples(accounts, st.dictionaries(slots, words, max_size=6)), max_size=8
)


def apply_world(
    state: WorldState, world: dict[Address, tuple[tuple[int, int, bytes], dict]]
) -> None:
    """Write ``world`` (address → ((nonce, balance, codeHash), {slot: value})) into ``state``."""
    for address, ((nonce, balance, code_hash), storage) in world.items():
        old = state.get_account(address)
        state.set_account(
            address, Account(U64(nonce), U256(balance), old.storage_root, Hash32(code_hash))
        )
        for slot, value in storage.items():
            state.set_storage(address, slot, value)


def reference_state_root(world: dict[Address, tuple[tuple[int, int, bytes], dict]]) -> bytes:
    """The state root of ``world`` computed with ``trie.HexaryTrie`` and pyrlp alone."""
    accounts_trie = HexaryTrie({})
    for address, ((nonce, balance, code_hash), storage) in world.items():
        storage_trie = HexaryTrie({})
        for slot, value in storage.items():
            if value:
                storage_trie[keccak256(slot)] = rlp.encode(value)
        storage_root = storage_trie.root_hash
        empty = nonce == 0 and balance == 0 and code_hash == EMPTY_KECCAK
        if empty and storage_root == EMPTY_TRIE_ROOT:
            continue
        accounts_trie[keccak256(address)] = rlp.encode([nonce, balance, storage_root, code_hash])
    return accounts_trie.root_hash


def merge_worlds(base: dict, update: dict) -> dict:
    """``update`` written over ``base``: accounts replaced, storage slots merged."""
    merged = {a: (acc, dict(storage)) for a, (acc, storage) in base.items()}
    for address, (acc, storage) in update.items():
        old_storage = merged.get(address, (None, {}))[1]
        merged[address] = (acc, {**old_storage, **storage})
    return merged
