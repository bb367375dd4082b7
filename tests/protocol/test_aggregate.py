"""Hub aggregates and the L1 ``HubSettlement`` module (aggregated finalization).

The module is driven through the chain engine: an L1 genesis with the
module installed and configured, and real signed L1 transactions sealed
with ``build_block``, so storage, logs and receipts are the chain's own.
Every refusal is checked three ways: the pure function raises the typed
error, a direct module call reverts with it as the cause, and a transaction
gets a status-0 receipt while the module's storage root stays put.
"""

from collections.abc import Mapping, Sequence

import pytest
import rlp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed, recover_address
from interlace.primitives.receipt import Receipt
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, Hash32
from interlace.protocol.chain.block import ChainConfig, execute_block, genesis_header
from interlace.protocol.chain.block import build_block as seal_block
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.modules import CallContext, CallEnv, NativeModule, mapping_slot
from interlace.protocol.chain.state import WorldState
from interlace.protocol.interop.messenger import Dependency
from interlace.protocol.l1.genesis import L1_CHAIN_ID, build_l1_genesis, l1_modules
from interlace.protocol.settlement.aggregate import (
    SETTLEMENT_ABI,
    SETTLEMENT_ADDRESS,
    Aggregate,
    AggregateBlock,
    AggregateOutcome,
    AggregateRefused,
    AlreadySettled,
    ExclusionReason,
    HubSettlement,
    L1SettledView,
    MalformedAggregate,
    MemorySettledView,
    StaleAggregate,
    WrongAggregateSigner,
    aggregate_signing_hash,
    check_aggregate,
    configure,
    decode_aggregate,
    encode_aggregate,
    read_hub_address,
    read_hub_state_root,
    read_settled_hash,
    read_settled_head,
    sign_aggregate,
    verify_aggregate_signature,
)
from tests.protocol.support import ALICE, BOB, l1_genesis, transfer

HUB = private_key_from_seed(b"hub")
A, B, C, D = 901, 902, 903, 904
GENESIS = {c: keccak256(b"genesis %d" % c) for c in (A, B, C, D)}
HUB_ROOT = keccak256(b"hub state root")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def bh(chain: int, number: int, fork: bytes = b"") -> Hash32:
    """The test hash of rollup block ``number`` of ``chain`` (on ``fork``)."""
    if number == 0:
        return GENESIS[chain]
    return keccak256(b"%d/%d" % (chain, number) + fork)


def dep(chain: int, number: int, fork: bytes = b"") -> Dependency:
    return Dependency(chain, number, bh(chain, number, fork))


def blk(
    chain: int,
    number: int,
    *deps: Dependency,
    parent: Hash32 | None = None,
    fork: bytes = b"",
) -> AggregateBlock:
    return AggregateBlock(
        U64(chain),
        U64(number),
        bh(chain, number, fork),
        bh(chain, number - 1) if parent is None else parent,
        tuple(deps),
        b"validity-proof:" + bh(chain, number, fork)[:8],
    )


def agg(hub_number: int, *blocks: AggregateBlock) -> Aggregate:
    return Aggregate(U64(hub_number), HUB_ROOT, tuple(blocks))


def fresh_view() -> MemorySettledView:
    view = MemorySettledView()
    for chain, genesis in GENESIS.items():
        view.register(chain, genesis)
    return view


# ---- an L1 with HubSettlement ---------------------------------------------------------------


class L1:
    """An L1 chain with ``HubSettlement`` configured at genesis; submits by signed transaction."""

    def __init__(self, module: HubSettlement | None = None) -> None:
        genesis = l1_genesis()
        _, state = build_l1_genesis(genesis)
        configure(state, HUB.address, GENESIS)
        self.config: ChainConfig = genesis.config
        self.header = genesis_header(genesis.config, state, 0)
        self.state: WorldState = state
        self.module = module or HubSettlement()
        self.modules: dict[Address, NativeModule] = {
            **l1_modules(),
            SETTLEMENT_ADDRESS: self.module,
        }

    def submit(
        self,
        aggregate: Aggregate | None = None,
        *,
        raw: bytes | None = None,
        signature: bytes | None = None,
        key: PrivateKey = HUB,
        sender: PrivateKey = ALICE,
    ) -> Receipt:
        raw = encode_aggregate(aggregate) if raw is None and aggregate is not None else raw
        if signature is None:
            assert aggregate is not None
            signature = sign_aggregate(aggregate, key)
        assert raw is not None
        data = SETTLEMENT_ABI.function("submitAggregate").encode_call(raw, signature)
        nonce = self.state.get_account(sender.address).nonce
        tx = transfer(
            sender, nonce, SETTLEMENT_ADDRESS, chain_id=L1_CHAIN_ID, gas_limit=5_000_000, data=data
        )
        parent, parent_state = self.header, self.state
        built = seal_block(
            self.config,
            parent,
            parent_state,
            self.modules,
            [tx],
            timestamp=parent.timestamp + 12,
        )
        assert built.rejected == ()
        # The block re-executes to the same commitments (validators agree).
        state, receipts = execute_block(
            self.config, parent, parent_state, self.modules, built.block
        )
        assert state.state_root() == built.state.state_root()
        assert receipts == built.receipts
        self.header, self.state = built.block.header, built.state
        return built.receipts[0]

    def call(self, function: str, *args: object) -> tuple[object, ...]:
        fn = SETTLEMENT_ABI.function(function)
        env = CallEnv(L1_CHAIN_ID, self.header.number, self.header.timestamp)
        return fn.decode_return(self.module.view(self.state, env, fn.encode_call(*args)))

    def storage_root(self) -> Hash32:
        return self.state.storage_trie(SETTLEMENT_ADDRESS).root()

    def direct_submit(self, raw: bytes, signature: bytes) -> ModuleRevert:
        """Call the module without a transaction on a copy; it must revert, writing nothing."""
        state = self.state.copy()
        ctx = CallContext(
            state,
            CallEnv(L1_CHAIN_ID, self.header.number + 1, self.header.timestamp + 12),
            SETTLEMENT_ADDRESS,
            BOB.address,
            U256(0),
            10**8,
        )
        with pytest.raises(ModuleRevert) as info:
            self.module.call(ctx, "submitAggregate", (raw, signature))
        assert ctx.logs == []
        assert state.storage_trie(SETTLEMENT_ADDRESS).root() == self.storage_root()
        return info.value


def decode_logs(receipt: Receipt) -> list[tuple[str, tuple[object, ...]]]:
    events = {SETTLEMENT_ABI.event(n).topic0: n for n in ("AggregateSettled", "BlockSettled")}
    events[SETTLEMENT_ABI.event("BlockExcluded").topic0] = "BlockExcluded"
    out = []
    for log in receipt.logs:
        assert log.address == SETTLEMENT_ADDRESS
        name = events[log.topics[0]]
        out.append((name, SETTLEMENT_ABI.event(name).decode_log(log.topics, log.data)))
    return out


def assert_refused(
    l1: L1,
    error: type[Exception],
    aggregate: Aggregate | None = None,
    *,
    raw: bytes | None = None,
    signature: bytes | None = None,
    key: PrivateKey = HUB,
) -> None:
    """The aggregate is refused as a whole with ``error``, and no state changes."""
    raw = encode_aggregate(aggregate) if raw is None and aggregate is not None else raw
    assert raw is not None
    if signature is None:
        assert aggregate is not None
        signature = sign_aggregate(aggregate, key)
    revert = l1.direct_submit(raw, signature)
    assert isinstance(revert.__cause__, error)
    assert str(revert) == f"{error.__name__}: {revert.__cause__}"
    before_storage, before_latest = l1.storage_root(), l1.call("latestHub")
    receipt = l1.submit(raw=raw, signature=signature)
    assert not receipt.success
    assert receipt.logs == ()
    assert l1.storage_root() == before_storage
    assert l1.call("latestHub") == before_latest


def assert_settled(l1: L1, *blocks: AggregateBlock) -> None:
    for b in blocks:
        assert l1.call("isSettled", b.chain_id, b.number, b.block_hash) == (True,)
        assert read_settled_hash(l1.state, b.chain_id, b.number) == b.block_hash


def assert_not_settled(l1: L1, *blocks: AggregateBlock) -> None:
    for b in blocks:
        assert l1.call("isSettled", b.chain_id, b.number, b.block_hash) == (False,)
        assert read_settled_hash(l1.state, b.chain_id, b.number) is None


def head(l1: L1, chain: int) -> tuple[object, ...]:
    return l1.call("settledHead", chain)


# ---- format ---------------------------------------------------------------------------------


def sample() -> Aggregate:
    return agg(
        7,
        blk(A, 1, dep(B, 1)),
        blk(A, 2),
        blk(B, 1, dep(A, 1), dep(C, 0)),
    )


def test_encoding_is_the_documented_rlp() -> None:
    # pyrlp is the reference: RLP[hubNumber, hubStateRoot, [[chainId, number, blockHash,
    # parentHash, [[chainId, number, hash], ...], confirmation], ...]].
    aggregate = sample()
    expected = rlp.encode(
        [
            7,
            HUB_ROOT,
            [
                [
                    b.chain_id,
                    b.number,
                    b.block_hash,
                    b.parent_hash,
                    [[d.chain_id, d.number, d.block_hash] for d in b.dependencies],
                    b.confirmation,
                ]
                for b in aggregate.blocks
            ],
        ]
    )
    raw = encode_aggregate(aggregate)
    assert raw == expected
    assert decode_aggregate(raw) == aggregate


def test_documented_example_vector() -> None:
    # The byte-for-byte example of docs/settlement.md.
    def word(byte: int) -> Hash32:
        return Hash32(bytes([byte]) * 32)

    aggregate = Aggregate(
        U64(7),
        word(0xAA),
        (
            AggregateBlock(
                U64(901),
                U64(1),
                word(0x11),
                word(0x00),
                (Dependency(902, 1, word(0x22)),),
                b"\x01\x02",
            ),
        ),
    )
    raw = encode_aggregate(aggregate)
    assert raw.hex() == (
        "f89607a0"
        + "aa" * 32
        + "f872f87082038501a0"
        + "11" * 32
        + "a0"
        + "00" * 32
        + "e6e582038601a0"
        + "22" * 32
        + "820102"
    )
    assert len(raw) == 152
    assert keccak256(raw).hex() == (
        "3a786179c661932d39c73abe9eb7a0339b5008b5fe9ec907c672ef249b51db5c"
    )
    assert aggregate_signing_hash(aggregate).hex() == (
        "f6a9f814498fe95ef8b9285acbe620b444b343dbd2fde590d4a120fbf7561bdd"
    )


def test_empty_aggregate_round_trips() -> None:
    aggregate = agg(0)
    assert encode_aggregate(aggregate) == rlp.encode([0, HUB_ROOT, []])
    assert decode_aggregate(encode_aggregate(aggregate)) == aggregate


def test_signing_hash_is_domain_2_over_the_encoding_hash() -> None:
    aggregate = sample()
    inner = keccak256(encode_aggregate(aggregate))
    assert aggregate_signing_hash(aggregate) == keccak256((2).to_bytes(32, "big") + inner)
    signature = sign_aggregate(aggregate, HUB)
    assert len(signature) == 65
    assert recover_address(aggregate_signing_hash(aggregate), signature) == HUB.address
    verify_aggregate_signature(aggregate, signature, HUB.address)
    # A hub-header signature (domain 1) over the same bytes is not an aggregate signature.
    from interlace.primitives.keys import sign_hash

    header_style = sign_hash(HUB, keccak256((1).to_bytes(32, "big") + inner))
    with pytest.raises(WrongAggregateSigner):
        verify_aggregate_signature(aggregate, header_style, HUB.address)


def _raw_block(
    *,
    chain: object = A,
    number: object = 1,
    block_hash: object = None,
    parent: object = None,
    deps: Sequence[object] = (),
    confirmation: object = b"",
) -> list[object]:
    return [
        chain,
        number,
        bh(A, 1) if block_hash is None else block_hash,
        GENESIS[A] if parent is None else parent,
        list(deps),
        confirmation,
    ]


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"", "empty"),
        (b"\xc0", "empty list"),
        (rlp.encode([1, HUB_ROOT]), "two fields"),
        (rlp.encode([1, HUB_ROOT, [], b""]), "four fields"),
        (rlp.encode([1, HUB_ROOT[:31], []]), "short root"),
        (rlp.encode([2**64, HUB_ROOT, []]), "hub number past uint64"),
        (rlp.encode([b"\x00\x01", HUB_ROOT, []]), "leading zero"),
        (rlp.encode([1, HUB_ROOT, b"blocks"]), "blocks not a list"),
        (rlp.encode([1, HUB_ROOT, [_raw_block()[:5]]]), "block with five fields"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(chain=0)]]), "chain 0"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(number=0)]]), "block 0"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(block_hash=b"x" * 33)]]), "33-byte hash"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(confirmation=[b""])]]), "confirmation list"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(deps=[[B, 1]])]]), "short dependency"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(deps=[[B, 1, b"x" * 31]])]]), "dep hash"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(), _raw_block(number=3)]]), "gap in a run"),
        (rlp.encode([1, HUB_ROOT, [_raw_block(), _raw_block()]]), "repeated block"),
        (
            rlp.encode([1, HUB_ROOT, [_raw_block(chain=B), _raw_block(chain=A)]]),
            "chains out of order",
        ),
        (
            rlp.encode(
                [
                    1,
                    HUB_ROOT,
                    [_raw_block(chain=A), _raw_block(chain=B), _raw_block(chain=A, number=2)],
                ]
            ),
            "chain in two runs",
        ),
        (encode_aggregate(sample()) + b"\x00", "trailing byte"),
        (b"\xb8\x01\x00", "non-canonical length"),
    ],
)
def test_malformed_aggregates_are_refused(raw: bytes, why: str) -> None:
    with pytest.raises(MalformedAggregate):
        decode_aggregate(raw)


def test_local_misuse_of_the_dataclass_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="consecutive"):
        agg(1, blk(A, 1), blk(A, 3))
    with pytest.raises(ValueError, match="ascending"):
        agg(1, blk(B, 1), blk(A, 1))
    with pytest.raises(ValueError, match="genesis"):
        agg(1, blk(A, 0, parent=ZERO_HASH))


@FAST
@given(st.binary(max_size=300))
def test_decode_raises_only_malformed_aggregate(raw: bytes) -> None:
    try:
        aggregate = decode_aggregate(raw)
    except MalformedAggregate:
        return
    assert encode_aggregate(aggregate) == raw  # only canonical encodings decode


@FAST
@given(st.data())
def test_mutated_encodings_raise_only_malformed_aggregate(data: st.DataObject) -> None:
    raw = bytearray(encode_aggregate(sample()))
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    try:
        aggregate = decode_aggregate(bytes(raw[:cut]))
    except MalformedAggregate:
        return
    assert encode_aggregate(aggregate) == bytes(raw[:cut])


# ---- happy paths on L1 ----------------------------------------------------------------------


def test_configure_writes_the_hub_and_the_genesis_heads() -> None:
    l1 = L1()
    assert read_hub_address(l1.state) == HUB.address
    assert l1.call("hub") == (HUB.address,)
    for chain, genesis in GENESIS.items():
        assert head(l1, chain) == (0, genesis)
        assert l1.call("isSettled", chain, 0, genesis) == (True,)
    assert head(l1, 999) == (0, ZERO_HASH)
    assert read_settled_head(l1.state, 999) is None
    assert l1.call("latestHub") == (0, 0)
    with pytest.raises(ValueError, match="already configured"):
        configure(l1.state, HUB.address, {})


def test_two_chains_with_mutual_dependencies_settle_together() -> None:
    l1 = L1()
    a1, b1 = blk(A, 1, dep(B, 1)), blk(B, 1, dep(A, 1))
    aggregate = agg(3, a1, b1)
    receipt = l1.submit(aggregate)
    assert receipt.success
    assert decode_logs(receipt) == [
        ("BlockSettled", (A, 1, a1.block_hash)),
        ("BlockSettled", (B, 1, b1.block_hash)),
        ("AggregateSettled", (3, HUB_ROOT, 2, 0)),
    ]
    assert_settled(l1, a1, b1)
    assert head(l1, A) == (1, a1.block_hash)
    assert head(l1, B) == (1, b1.block_hash)
    assert l1.call("hubStateRoot", 3) == (HUB_ROOT,)
    assert read_hub_state_root(l1.state, 3) == HUB_ROOT
    assert l1.call("latestHub") == (3, 1)
    # The pure rules agree with what the module stored.
    assert check_aggregate(fresh_view(), aggregate) == AggregateOutcome((a1, b1), ())


def test_a_second_aggregate_extends_the_first() -> None:
    l1 = L1()
    a1, b1 = blk(A, 1), blk(B, 1, dep(A, 1))
    assert l1.submit(agg(1, a1, b1)).success
    a2, a3 = blk(A, 2, dep(B, 1)), blk(A, 3, dep(C, 1))
    b2, c1 = blk(B, 2, dep(A, 3)), blk(C, 1, dep(A, 0), dep(B, 2))
    receipt = l1.submit(agg(2, a2, a3, b2, c1))
    assert receipt.success
    assert [e for e, _ in decode_logs(receipt)] == ["BlockSettled"] * 4 + ["AggregateSettled"]
    assert_settled(l1, a1, b1, a2, a3, b2, c1)
    assert head(l1, A) == (3, a3.block_hash)
    assert head(l1, B) == (2, b2.block_hash)
    assert head(l1, C) == (1, c1.block_hash)
    assert head(l1, D) == (0, GENESIS[D])
    assert l1.call("latestHub") == (2, 2)
    assert l1.call("hubStateRoot", 1) == (HUB_ROOT,)


def test_storage_follows_the_documented_solidity_layout() -> None:
    l1 = L1()
    a1 = blk(A, 1)
    assert l1.submit(agg(9, a1)).success
    get = l1.state.get_storage
    assert get(SETTLEMENT_ADDRESS, (0).to_bytes(32, "big")) == int.from_bytes(HUB.address, "big")
    assert get(SETTLEMENT_ADDRESS, (1).to_bytes(32, "big")) == 1  # aggregates settled
    assert get(SETTLEMENT_ADDRESS, (2).to_bytes(32, "big")) == 9  # latest hub number
    base = int.from_bytes(mapping_slot(3, A), "big")
    assert get(SETTLEMENT_ADDRESS, base.to_bytes(32, "big")) == 1  # heads[A].number
    assert get(SETTLEMENT_ADDRESS, (base + 1).to_bytes(32, "big")) == int.from_bytes(
        a1.block_hash, "big"
    )
    assert get(SETTLEMENT_ADDRESS, mapping_slot(4, A, 1)) == int.from_bytes(a1.block_hash, "big")
    assert get(SETTLEMENT_ADDRESS, mapping_slot(4, A, 0)) == int.from_bytes(GENESIS[A], "big")
    assert get(SETTLEMENT_ADDRESS, mapping_slot(5, 9)) == int.from_bytes(HUB_ROOT, "big")


def test_anyone_may_post_an_aggregate_the_hub_signed() -> None:
    l1 = L1()
    assert l1.submit(agg(1, blk(A, 1)), sender=BOB).success
    assert l1.submit(agg(2, blk(A, 2)), sender=ALICE).success
    assert_settled(l1, blk(A, 1), blk(A, 2))


# ---- blocks left out ------------------------------------------------------------------------


def test_dependency_on_an_unsettled_block_is_left_out_with_its_descendants() -> None:
    l1 = L1()
    a1, a2 = blk(A, 1, dep(B, 1)), blk(A, 2)
    c1 = blk(C, 1)
    outcome = check_aggregate(L1SettledView(l1.state), agg(1, a1, a2, c1))
    assert [(x.block, x.reason, x.cause) for x in outcome.excluded] == [
        (a1, ExclusionReason.DEPENDENCY_NOT_SETTLED, dep(B, 1)),
        (a2, ExclusionReason.PARENT_EXCLUDED, dep(A, 1)),
    ]
    assert outcome.settled == (c1,)
    receipt = l1.submit(agg(1, a1, a2, c1))
    assert receipt.success
    assert decode_logs(receipt) == [
        ("BlockSettled", (C, 1, c1.block_hash)),
        ("BlockExcluded", (A, 1, a1.block_hash, ExclusionReason.DEPENDENCY_NOT_SETTLED)),
        ("BlockExcluded", (A, 2, a2.block_hash, ExclusionReason.PARENT_EXCLUDED)),
        ("AggregateSettled", (1, HUB_ROOT, 1, 2)),
    ]
    assert_not_settled(l1, a1, a2)
    assert head(l1, A) == (0, GENESIS[A])
    # Later, once B1 settles, A1 can settle.
    assert l1.submit(agg(2, blk(B, 1))).success
    assert l1.submit(agg(3, a1, a2)).success
    assert_settled(l1, a1, a2)


def test_dependency_on_a_different_hash_than_settled_is_left_out() -> None:
    l1 = L1()
    b1 = blk(B, 1)
    assert l1.submit(agg(1, b1)).success
    a1 = blk(A, 1, dep(B, 1, fork=b"equivocated"))
    outcome = check_aggregate(L1SettledView(l1.state), agg(2, a1))
    assert [(x.reason, x.cause) for x in outcome.excluded] == [
        (ExclusionReason.DEPENDENCY_HASH_MISMATCH, dep(B, 1, fork=b"equivocated"))
    ]
    storage = l1.storage_root()
    receipt = l1.submit(agg(2, a1))
    assert receipt.success
    assert decode_logs(receipt)[0] == (
        "BlockExcluded",
        (A, 1, a1.block_hash, ExclusionReason.DEPENDENCY_HASH_MISMATCH),
    )
    assert_not_settled(l1, a1)
    assert head(l1, A) == (0, GENESIS[A])
    assert head(l1, B) == (1, b1.block_hash)
    # Only the aggregate bookkeeping changed (hub root, latest hub, count).
    assert l1.storage_root() != storage
    assert l1.call("latestHub") == (2, 2)


def test_dependency_on_a_different_hash_than_aggregated_is_left_out() -> None:
    a1, b1 = blk(A, 1, dep(B, 1, fork=b"other")), blk(B, 1)
    outcome = check_aggregate(fresh_view(), agg(1, a1, b1))
    assert outcome.settled == (b1,)
    assert outcome.excluded[0].reason is ExclusionReason.DEPENDENCY_HASH_MISMATCH


def test_dependency_on_a_genesis_with_another_hash_is_left_out() -> None:
    a1 = blk(A, 1, Dependency(B, 0, keccak256(b"not B's genesis")))
    outcome = check_aggregate(fresh_view(), agg(1, a1))
    assert outcome.excluded[0].reason is ExclusionReason.DEPENDENCY_HASH_MISMATCH


def test_exclusion_cascades_across_chains_transitively() -> None:
    l1 = L1()
    a1 = blk(A, 1, parent=keccak256(b"not A's genesis"))  # breaks the link to A's genesis
    a2 = blk(A, 2)
    b1 = blk(B, 1)
    b2 = blk(B, 2, dep(A, 2))  # depends on a descendant of the bad block
    c1 = blk(C, 1, dep(B, 2))  # depends on a dependent
    c2 = blk(C, 2)
    d1 = blk(D, 1, dep(B, 1))  # depends only on good blocks
    d2 = blk(D, 2, dep(C, 2), dep(B, 1))  # depends on a descendant of a dependent
    aggregate = agg(1, a1, a2, b1, b2, c1, c2, d1, d2)
    outcome = check_aggregate(L1SettledView(l1.state), aggregate)
    assert [(x.block, x.reason, x.cause) for x in outcome.excluded] == [
        (a1, ExclusionReason.PARENT_MISMATCH, Dependency(A, 0, GENESIS[A])),
        (a2, ExclusionReason.PARENT_EXCLUDED, dep(A, 1)),
        (b2, ExclusionReason.DEPENDENCY_EXCLUDED, dep(A, 2)),
        (c1, ExclusionReason.DEPENDENCY_EXCLUDED, dep(B, 2)),
        (c2, ExclusionReason.PARENT_EXCLUDED, dep(C, 1)),
        (d2, ExclusionReason.DEPENDENCY_EXCLUDED, dep(C, 2)),
    ]
    assert outcome.settled == (b1, d1)
    receipt = l1.submit(aggregate)
    assert receipt.success
    logs = decode_logs(receipt)
    assert logs[-1] == ("AggregateSettled", (1, HUB_ROOT, 2, 6))
    assert [args[:2] for name, args in logs if name == "BlockSettled"] == [(B, 1), (D, 1)]
    assert_settled(l1, b1, d1)
    assert_not_settled(l1, a1, a2, b2, c1, c2, d2)
    assert head(l1, A) == (0, GENESIS[A])
    assert head(l1, B) == (1, b1.block_hash)
    assert head(l1, C) == (0, GENESIS[C])
    assert head(l1, D) == (1, d1.block_hash)


def test_a_cycle_containing_a_bad_block_falls_together() -> None:
    a1 = blk(A, 1, dep(B, 1))
    b1 = blk(B, 1, dep(C, 1))
    c1 = blk(C, 1, dep(A, 1), dep(D, 1))  # D1 is not in the aggregate
    outcome = check_aggregate(fresh_view(), agg(1, a1, b1, c1))
    assert outcome.settled == ()
    assert [(x.block, x.reason) for x in outcome.excluded] == [
        (a1, ExclusionReason.DEPENDENCY_EXCLUDED),
        (b1, ExclusionReason.DEPENDENCY_EXCLUDED),
        (c1, ExclusionReason.DEPENDENCY_NOT_SETTLED),
    ]


def test_gap_unknown_chain_and_broken_run_are_left_out() -> None:
    view = fresh_view()
    gap = blk(A, 2)
    unknown, unknown2 = blk(950, 1, parent=keccak256(b"?")), blk(950, 2)
    b1, b2 = blk(B, 1), blk(B, 2, parent=keccak256(b"not B1"))
    outcome = check_aggregate(view, agg(1, gap, b1, b2, unknown, unknown2))
    assert outcome.settled == (b1,)
    assert [(x.block, x.reason) for x in outcome.excluded] == [
        (gap, ExclusionReason.GAP),
        (b2, ExclusionReason.PARENT_MISMATCH),
        (unknown, ExclusionReason.UNKNOWN_CHAIN),
        (unknown2, ExclusionReason.PARENT_EXCLUDED),
    ]
    # A dependency on a chain the settlement module does not know is not settled.
    a1 = blk(A, 1, Dependency(950, 0, keccak256(b"?")))
    assert check_aggregate(view, agg(2, a1)).excluded[0].reason is (
        ExclusionReason.DEPENDENCY_NOT_SETTLED
    )


def test_unconfirmed_blocks_are_left_out_with_their_dependents() -> None:
    # A confirmation rule reading L1 (here: a stand-in refusing B's proof references).
    def rule(
        state: WorldState, block: AggregateBlock, blocks: Mapping[tuple[int, int], AggregateBlock]
    ) -> bool:
        assert isinstance(state, WorldState)
        assert blocks[(block.chain_id, block.number)] == block
        return block.chain_id != B

    l1 = L1(HubSettlement(rule))
    a1, b1, c1 = blk(A, 1), blk(B, 1), blk(C, 1, dep(B, 1))
    receipt = l1.submit(agg(1, a1, b1, c1))
    assert receipt.success
    assert [(n, a[:2]) for n, a in decode_logs(receipt) if n == "BlockExcluded"] == [
        ("BlockExcluded", (B, 1)),
        ("BlockExcluded", (C, 1)),
    ]
    assert decode_logs(receipt)[1][1][3] == ExclusionReason.NOT_CONFIRMED
    assert_settled(l1, a1)
    assert_not_settled(l1, b1, c1)


# ---- whole-aggregate refusals ---------------------------------------------------------------


def test_an_aggregate_repeating_a_settled_block_is_refused() -> None:
    l1 = L1()
    a1, b1 = blk(A, 1), blk(B, 1)
    assert l1.submit(agg(1, a1, b1)).success
    repeat = agg(2, a1, blk(A, 2), blk(C, 1))
    with pytest.raises(AlreadySettled, match="repeats"):
        check_aggregate(L1SettledView(l1.state), repeat)
    assert_refused(l1, AlreadySettled, repeat)
    # A different block at a settled height is refused the same way.
    conflict = agg(2, blk(B, 1, fork=b"rewrite"))
    with pytest.raises(AlreadySettled, match="contradicts"):
        check_aggregate(L1SettledView(l1.state), conflict)
    assert_refused(l1, AlreadySettled, conflict)
    # Nothing of the refused aggregates settled, the next good one does.
    assert_not_settled(l1, blk(A, 2), blk(C, 1))
    assert l1.submit(agg(2, blk(A, 2), blk(C, 1))).success


def test_an_aggregate_signed_by_another_key_is_refused() -> None:
    l1 = L1()
    aggregate = agg(1, blk(A, 1))
    forged = sign_aggregate(aggregate, BOB)
    with pytest.raises(WrongAggregateSigner, match="the hub is"):
        verify_aggregate_signature(aggregate, forged, HUB.address)
    assert_refused(l1, WrongAggregateSigner, aggregate, key=BOB)
    # A hub signature over another aggregate does not carry over.
    other = sign_aggregate(agg(2, blk(A, 1)), HUB)
    assert_refused(l1, WrongAggregateSigner, aggregate, signature=other)
    # Signatures that do not recover at all.
    assert_refused(l1, WrongAggregateSigner, aggregate, signature=b"\x00" * 65)
    assert_refused(l1, WrongAggregateSigner, aggregate, signature=b"short")
    assert_not_settled(l1, blk(A, 1))
    assert head(l1, A) == (0, GENESIS[A])


def test_malformed_bytes_are_refused_on_l1() -> None:
    l1 = L1()
    good = encode_aggregate(agg(1, blk(A, 1)))
    signature = sign_aggregate(agg(1, blk(A, 1)), HUB)
    for raw in (b"", b"\x01\x02", good + b"\x00", good[:-1]):
        assert_refused(l1, MalformedAggregate, raw=raw, signature=signature)


def test_an_aggregate_not_above_the_last_hub_number_is_refused() -> None:
    l1 = L1()
    assert l1.submit(agg(5, blk(A, 1))).success
    assert_refused(l1, StaleAggregate, agg(5, blk(B, 1)))
    assert_refused(l1, StaleAggregate, agg(4, blk(B, 1)))
    assert l1.submit(agg(6, blk(B, 1))).success


def test_refusals_are_aggregate_refused_and_malformed_is_malformed_input() -> None:
    from interlace.primitives.errors import MalformedInput

    for error in (WrongAggregateSigner, AlreadySettled, StaleAggregate):
        assert issubclass(error, AggregateRefused)
    assert issubclass(MalformedAggregate, MalformedInput)


def test_an_unconfigured_module_refuses_every_aggregate() -> None:
    aggregate = agg(1, blk(A, 1))
    with pytest.raises(WrongAggregateSigner, match="no hub"):
        verify_aggregate_signature(aggregate, sign_aggregate(aggregate, HUB), Address(b"\0" * 20))


# ---- the rules as a property ----------------------------------------------------------------

CHAINS = (A, B, C)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[MemorySettledView, Aggregate]:
    """A settled view (heads 0..2 per chain) and an aggregate with random faults."""
    view = fresh_view()
    heads = {c: draw(st.integers(0, 2)) for c in CHAINS}
    for chain, number in heads.items():
        for n in range(1, number + 1):
            view.hashes[(chain, n)] = bh(chain, n)
        view.heads[chain] = (U64(number), bh(chain, number))
    blocks: list[AggregateBlock] = []
    for chain in CHAINS:
        length = draw(st.integers(0, 3))
        start = heads[chain] + 1 + draw(st.sampled_from([0, 0, 0, 1]))  # sometimes a gap
        for number in range(start, start + length):
            deps = []
            for _ in range(draw(st.integers(0, 2))):
                dc = draw(st.sampled_from(CHAINS))
                dn = draw(st.integers(0, heads[dc] + 3))
                fork = draw(st.sampled_from([b"", b"", b"", b"bad"]))
                deps.append(dep(dc, dn, fork) if dn else Dependency(dc, 0, GENESIS[dc]))
            parent = draw(st.sampled_from([None, None, None, keccak256(b"wrong parent")]))
            blocks.append(blk(chain, number, *deps, parent=parent))
    return view, agg(1, *blocks)


@FAST
@given(scenarios())
def test_settled_blocks_are_closed_and_exclusions_are_justified(
    scenario: tuple[MemorySettledView, Aggregate],
) -> None:
    view, aggregate = scenario
    outcome = check_aggregate(view, aggregate)
    assert len(outcome.settled) + len(outcome.excluded) == len(aggregate.blocks)
    settled = {(b.chain_id, b.number): b.block_hash for b in outcome.settled}
    excluded = {(x.block.chain_id, x.block.number) for x in outcome.excluded}
    assert not settled.keys() & excluded

    def holds(chain: int, number: int, block_hash: Hash32) -> bool:
        return view.settled_hash(chain, number) == block_hash or (
            settled.get((chain, number)) == block_hash
        )

    # Soundness (invariant 1 at settlement): every settled block extends a settled
    # parent and every dependency is settled with the same hash.
    for b in outcome.settled:
        assert holds(b.chain_id, b.number - 1, b.parent_hash)
        for d in b.dependencies:
            assert holds(d.chain_id, d.number, d.block_hash)
    # Maximality: a block left out through another names an excluded cause.
    for x in outcome.excluded:
        if x.reason in (ExclusionReason.PARENT_EXCLUDED, ExclusionReason.DEPENDENCY_EXCLUDED):
            assert x.cause is not None
            assert (x.cause.chain_id, x.cause.number) in excluded
    # Settling the same thing again is refused as a whole, and a MemorySettledView
    # advanced by the outcome agrees with the new heads.
    view.apply(outcome)
    for chain, (number, block_hash) in outcome.new_heads().items():
        assert view.settled_head(chain) == (number, block_hash)
    if outcome.settled:
        with pytest.raises(AlreadySettled):
            check_aggregate(view, Aggregate(U64(2), HUB_ROOT, outcome.settled))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_module_stores_exactly_what_the_rules_settle(
    scenario: tuple[MemorySettledView, Aggregate],
) -> None:
    # On a fresh L1 every chain is at genesis; runs starting above 1 are gaps.
    _, aggregate = scenario
    l1 = L1()
    outcome = check_aggregate(L1SettledView(l1.state), aggregate)
    receipt = l1.submit(aggregate)
    assert receipt.success
    assert_settled(l1, *outcome.settled)
    assert_not_settled(l1, *(x.block for x in outcome.excluded))
    for chain in CHAINS:
        expected = outcome.new_heads().get(chain, (0, GENESIS[chain]))
        assert head(l1, chain) == expected
