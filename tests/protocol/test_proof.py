"""Event proofs: round trips in both modes, each forgery's typed error, hostile bytes.

The main world is a real rollup block from ``RollupChain.build_next`` (an
L1-attributes deposit, a user deposit and a signed call that each emit a
``Counter`` log, and a plain transfer) recorded in a hub state trie signed
by a hub key, next to another chain's entries, and attested by its
sequencer's header signature (peer mode). Forgeries are made by
rewriting one field of a valid proof's RLP, so each test reaches the check
it names rather than the first parse.
"""

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interlace.primitives.envelope import sign_block_header
from interlace.primitives.errors import (
    InterlaceError,
    InvalidProof,
    MalformedProof,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import (
    EMPTY_OMMERS_HASH,
    ZERO_NONCE,
    BlockHeader,
    encode_header,
    header_hash,
)
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.mpt import EMPTY_TRIE_ROOT, Trie, make_proof, verify_proof
from interlace.primitives.receipt import (
    Log,
    Receipt,
    encode_receipt,
    logs_bloom,
    receipts_root,
    transactions_root,
)
from interlace.primitives.rlp_codec import RLPItem, decode_rlp, encode_rlp, encode_uint
from interlace.primitives.tx import DepositTransaction, user_deposit_source_hash
from interlace.primitives.types import (
    U8,
    U64,
    U256,
    ZERO_HASH,
    Address,
    Bytes256,
    ChainId,
    Hash32,
)
from interlace.protocol.chain.block import Block, genesis_header
from interlace.protocol.chain.modules import install_module
from interlace.protocol.hub.state import (
    BlockStatus,
    HubHeader,
    SafetyLevel,
    encode_hub_header,
    encode_status,
    hub_header_hash,
    sign_hub_header,
    state_key,
)
from interlace.protocol.interop.proof import (
    PEER_PROOF_FIELDS,
    PROOF_VERSION,
    EventClaim,
    InvalidEventProof,
    MalformedEventProof,
    ProofMode,
    _included_value,
    build_hub_event_proof,
    build_peer_event_proof,
    index_block,
    verify_event_proof,
)
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin, attributes_deposit
from tests.protocol.support import (
    ALICE,
    BOB,
    COUNTER_ABI,
    COUNTER_ADDRESS,
    ETHER,
    ROLLUP_ID,
    SEQUENCER,
    Counter,
    call_tx,
    transfer,
)

HUB_KEY = private_key_from_seed(b"hub")
OTHER_CHAIN = ChainId(902)
GENESIS_ORIGIN = L1Origin(U64(7), Hash32(keccak256(b"l1 block 7")), U64(84), U256(1_000_000_007))
ORIGIN = L1Origin(U64(8), Hash32(keccak256(b"l1 block 8")), U64(96), U256(1_000_000_000))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---- the world -----------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    """A built source block, the hub state that records it, and a signed hub header."""

    block: Block
    receipts: tuple[Receipt, ...]
    hub_trie: Trie
    hub_header: HubHeader
    hub_signature: bytes
    status: BlockStatus
    header_signature: bytes


def _chain_with_counter() -> RollupChain:
    """A rollup whose genesis also installs the test ``Counter`` module (it emits logs)."""
    genesis = RollupGenesis(
        chain_id=ROLLUP_ID, l1_origin=GENESIS_ORIGIN, timestamp=100, alloc={ALICE.address: ETHER}
    )
    chain = RollupChain(genesis)
    counter = Counter()
    chain.modules[counter.address] = counter
    install_module(chain.states[0], counter)
    chain.blocks[0] = Block(genesis_header(chain.config, chain.states[0], 100), ())
    return chain


def _hub_header(state_root: Hash32, number: int = 5) -> tuple[HubHeader, bytes]:
    header = HubHeader(
        number=U64(number),
        timestamp=U64(1_000),
        parent_hash=Hash32(keccak256(b"hub parent")),
        state_root=state_root,
        l1_number=U64(9),
        l1_hash=Hash32(keccak256(b"l1 block 9")),
    )
    return header, sign_hub_header(header, HUB_KEY)


def _hub_trie(entries: dict[tuple[int, int], BlockStatus]) -> Trie:
    trie = Trie()
    for (chain_id, number), status in entries.items():
        trie.set(state_key(chain_id, number), encode_status(status))
    return trie


@cache
def world() -> World:
    """Block 1 of chain 901: attributes deposit, a logging deposit, a logging call, a transfer."""
    chain = _chain_with_counter()
    increment = COUNTER_ABI.function("increment")
    deposit = DepositTransaction(
        source_hash=user_deposit_source_hash(ORIGIN.hash, 0),
        sender=BOB.address,
        to=COUNTER_ADDRESS,
        mint=U256(0),
        value=U256(0),
        gas_limit=U64(200_000),
        is_system_transaction=False,
        data=increment.encode_call(5),
    )
    user_txs = [
        call_tx(ALICE, 0, COUNTER_ADDRESS, increment.encode_call(7)),
        transfer(ALICE, 1, BOB.address, 1_000),
    ]
    built = chain.build_next(ORIGIN, [deposit], user_txs, timestamp=102)
    assert not built.rejected
    assert [len(r.logs) for r in built.receipts] == [0, 1, 1, 0]
    block = built.block
    status = BlockStatus(block.hash, SafetyLevel.CONFIRMED, SafetyLevel.SAFE)
    other = BlockStatus(Hash32(keccak256(b"902/1")), SafetyLevel.FINALIZED, SafetyLevel.FINALIZED)
    trie = _hub_trie(
        {
            (ROLLUP_ID, 0): BlockStatus(
                chain.head.hash, SafetyLevel.FINALIZED, SafetyLevel.FINALIZED
            ),
            (ROLLUP_ID, 1): status,
            (OTHER_CHAIN, 1): other,
            (OTHER_CHAIN, 2): other,
        }
    )
    header, signature = _hub_header(trie.root())
    header_signature = sign_block_header(SEQUENCER, ROLLUP_ID, block.hash)
    return World(block, built.receipts, trie, header, signature, status, header_signature)


def hub_proof(w: World, receipt_index: int = 1, log_position: int = 0, **over: object) -> bytes:
    """A hub-mode proof in ``w``; keyword overrides replace builder arguments."""
    args: dict[str, Any] = {
        "chain_id": ROLLUP_ID,
        "hub_header": w.hub_header,
        "hub_signature": w.hub_signature,
        "hub_state_proof": w.hub_trie.proof(state_key(ROLLUP_ID, w.block.number)),
        "source_header": w.block.header,
        "receipts": w.receipts,
        "transactions": [tx.raw for tx in w.block.transactions],
        "receipt_index": receipt_index,
        "log_position": log_position,
    }
    args.update(over)
    return build_hub_event_proof(**args)


def peer_proof(w: World, receipt_index: int = 2, log_position: int = 0, **over: object) -> bytes:
    """A peer-mode proof in ``w``; keyword overrides replace builder arguments."""
    args: dict[str, Any] = {
        "chain_id": ROLLUP_ID,
        "source_header": w.block.header,
        "header_signature": w.header_signature,
        "receipts": w.receipts,
        "transactions": [tx.raw for tx in w.block.transactions],
        "receipt_index": receipt_index,
        "log_position": log_position,
    }
    args.update(over)
    return build_peer_event_proof(**args)


def fields_of(proof: bytes) -> list[RLPItem]:
    """The RLP list after the version byte."""
    item = decode_rlp(proof[1:])
    assert isinstance(item, list)
    return item


def rewrite(proof: bytes, index: int, value: bytes | Sequence[bytes]) -> bytes:
    """``proof`` with field ``index`` replaced (re-encoded canonically)."""
    fields: list[object] = list(fields_of(proof))
    fields[index] = value if isinstance(value, bytes) else list(value)
    return bytes((PROOF_VERSION,)) + encode_rlp(fields)


def nodes(proof: bytes, index: int) -> list[bytes]:
    """The trie nodes in list field ``index``."""
    item = fields_of(proof)[index]
    assert isinstance(item, list)
    return [bytes(n) for n in item if isinstance(n, bytes)]


# ---- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize("receipt_index", [1, 2])
def test_hub_proof_round_trip_on_a_built_block(receipt_index: int) -> None:
    w = world()
    claim = verify_event_proof(hub_proof(w, receipt_index))
    log = w.receipts[receipt_index].logs[0]
    assert claim == EventClaim(
        mode=ProofMode.HUB,
        chain_id=ROLLUP_ID,
        block_number=U64(1),
        block_hash=w.block.hash,
        block_timestamp=U64(102),
        receipt_index=U64(receipt_index),
        log_position=U64(0),
        log=log,
        l1_origin_number=ORIGIN.number,
        l1_origin_hash=ORIGIN.hash,
        hub_number=U64(5),
        hub_block_hash=hub_header_hash(w.hub_header),
        hub_state_root=w.hub_trie.root(),
        hub_signer=HUB_KEY.address,
        status=w.status,
        sequencer=None,
    )
    assert log.address == COUNTER_ADDRESS
    assert claim.message_hash == keccak256(b"".join(log.topics) + log.data)


@pytest.mark.parametrize("receipt_index", [1, 2])
def test_peer_proof_round_trip_on_a_built_block(receipt_index: int) -> None:
    w = world()
    claim = verify_event_proof(peer_proof(w, receipt_index))
    assert claim == EventClaim(
        mode=ProofMode.PEER,
        chain_id=ROLLUP_ID,
        block_number=U64(1),
        block_hash=w.block.hash,
        block_timestamp=U64(102),
        receipt_index=U64(receipt_index),
        log_position=U64(0),
        log=w.receipts[receipt_index].logs[0],
        l1_origin_number=ORIGIN.number,
        l1_origin_hash=ORIGIN.hash,
        sequencer=SEQUENCER.address,
    )
    assert (claim.hub_number, claim.hub_state_root, claim.hub_signer, claim.status) == (None,) * 4


def test_peer_proof_layout() -> None:
    """0x01 ‖ RLP[1, chainId, header, signature, txProof, receiptIndex, receiptProof, logPos]."""
    w = world()
    raws = [tx.raw for tx in w.block.transactions]
    proof = peer_proof(w, 2)
    fields = fields_of(proof)
    assert len(fields) == PEER_PROOF_FIELDS == 8
    assert fields[:4] == [
        encode_uint(ProofMode.PEER),
        encode_uint(ROLLUP_ID),
        encode_header(w.block.header),
        w.header_signature,
    ]
    assert nodes(proof, 4) == make_proof(
        [(encode_rlp(encode_uint(i)), tx) for i, tx in enumerate(raws)], b"\x80"
    )
    pairs = [(encode_rlp(encode_uint(i)), encode_receipt(r)) for i, r in enumerate(w.receipts)]
    assert fields[5] == encode_uint(2)
    assert nodes(proof, 6) == make_proof(pairs, encode_rlp(encode_uint(2)))
    assert fields[7] == encode_uint(0)
    # The tail is hub mode's, byte for byte; a kept index gives the same bytes.
    assert fields[4:] == fields_of(hub_proof(w, 2))[6:]
    assert peer_proof(w, 2, index=index_block(w.receipts, raws)) == proof
    # The signature is deterministic (RFC 6979): the same block always gives the same proof.
    assert sign_block_header(SEQUENCER, ROLLUP_ID, w.block.hash) == w.header_signature


def test_builder_proofs_are_the_ethereum_trie_proofs() -> None:
    w = world()
    raws = [tx.raw for tx in w.block.transactions]
    pairs = [(encode_rlp(encode_uint(i)), encode_receipt(r)) for i, r in enumerate(w.receipts)]
    index = index_block(w.receipts, raws)
    assert index.receipts_root == receipts_root(w.receipts) == w.block.header.receipts_root
    assert index.transactions_root == transactions_root(raws) == w.block.header.transactions_root
    proof = hub_proof(w, 2)
    assert nodes(proof, 8) == make_proof(pairs, encode_rlp(encode_uint(2)))
    assert nodes(proof, 6) == make_proof(
        [(encode_rlp(encode_uint(i)), tx) for i, tx in enumerate(raws)], b"\x80"
    )
    assert fields_of(proof)[5] == encode_header(w.block.header)
    # A prover that keeps the index produces the same bytes.
    assert hub_proof(w, 2, index=index) == proof


def test_builder_refuses_local_misuse() -> None:
    w = world()
    with pytest.raises(ValueError, match=r"log position 1 out of range \(receipt has 1 logs\)"):
        hub_proof(w, 1, 1)
    with pytest.raises(ValueError, match="receipt index 9 out of range"):
        hub_proof(w, 9)
    with pytest.raises(ValueError, match="receipts root"):
        hub_proof(w, receipts=(*w.receipts[:3], w.receipts[1], w.receipts[3]))
    with pytest.raises(ValueError, match="65 bytes"):
        hub_proof(w, hub_signature=b"\x01" * 64)
    with pytest.raises(ValueError, match="chain id"):
        hub_proof(w, chain_id=0)
    with pytest.raises(ValueError, match="65 bytes"):
        peer_proof(w, header_signature=w.header_signature[:64])
    with pytest.raises(ValueError, match="receipts root"):
        peer_proof(w, receipts=(*w.receipts[:3], w.receipts[1], w.receipts[3]))
    with pytest.raises(ValueError, match="transactions root"):
        peer_proof(w, transactions=[tx.raw for tx in w.block.transactions][:-1])
    with pytest.raises(ValueError, match="log position 1 out of range"):
        peer_proof(w, 1, 1)
    with pytest.raises(ValueError, match="chain id"):
        peer_proof(w, chain_id=0)


# ---- a hand-built block: several logs per receipt ------------------------------------------


def _log(i: int) -> Log:
    return Log(
        Address(bytes([i % 256]) * 20), (Hash32(keccak256(b"topic%d" % i)),), b"data" * (i % 5)
    )


def _receipt(logs: Sequence[Log], gas: int) -> Receipt:
    return Receipt(U8(2), True, U64(gas), logs_bloom(logs), tuple(logs))


@dataclass(frozen=True)
class HandBlock:
    header: BlockHeader
    receipts: tuple[Receipt, ...]
    transactions: tuple[bytes, ...]


def hand_block(tx0: bytes | None = None, receipt_count: int = 40) -> HandBlock:
    """A header over hand-made receipts (0 to 3 logs each) and an attributes deposit first."""
    receipts = tuple(
        _receipt([_log(i * 4 + j) for j in range(i % 4)], 21_000 * (i + 1))
        for i in range(receipt_count)
    )
    first = attributes_deposit(ORIGIN, 0).raw if tx0 is None else tx0
    txs = (first, *(b"\x02" + i.to_bytes(2, "big") * 15 for i in range(1, receipt_count)))
    header = BlockHeader(
        parent_hash=Hash32(keccak256(b"parent")),
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=Address(b"\xfe" * 20),
        state_root=Hash32(keccak256(b"state")),
        transactions_root=transactions_root(txs),
        receipts_root=receipts_root(receipts),
        logs_bloom=Bytes256(b"\x00" * 256),
        difficulty=U256(0),
        number=U64(12),
        gas_limit=U64(30_000_000),
        gas_used=U64(21_000 * receipt_count),
        timestamp=U64(1_234),
        extra_data=b"",
        prev_randao=ORIGIN.hash,
        nonce=ZERO_NONCE,
        base_fee_per_gas=U256(1_000_000),
        withdrawals_root=EMPTY_TRIE_ROOT,
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
        parent_beacon_block_root=ZERO_HASH,
    )
    return HandBlock(header, receipts, txs)


def hand_proof(
    b: HandBlock,
    receipt_index: int,
    log_position: int,
    status_hash: Hash32 | None = None,
    state_root: Hash32 | None = None,
) -> bytes:
    status = BlockStatus(
        header_hash(b.header) if status_hash is None else status_hash,
        SafetyLevel.PRECONFIRMED,
        SafetyLevel.PRECONFIRMED,
    )
    trie = _hub_trie({(ROLLUP_ID, b.header.number): status, (OTHER_CHAIN, 3): status})
    hub_header, signature = _hub_header(trie.root() if state_root is None else state_root)
    return build_hub_event_proof(
        chain_id=ROLLUP_ID,
        hub_header=hub_header,
        hub_signature=signature,
        hub_state_proof=trie.proof(state_key(ROLLUP_ID, b.header.number)),
        source_header=b.header,
        receipts=b.receipts,
        transactions=b.transactions,
        receipt_index=receipt_index,
        log_position=log_position,
    )


def hand_peer_proof(b: HandBlock, receipt_index: int, log_position: int) -> bytes:
    """A peer-mode proof of a hand-built block, signed by the sequencer."""
    return build_peer_event_proof(
        chain_id=ROLLUP_ID,
        source_header=b.header,
        header_signature=sign_block_header(SEQUENCER, ROLLUP_ID, header_hash(b.header)),
        receipts=b.receipts,
        transactions=b.transactions,
        receipt_index=receipt_index,
        log_position=log_position,
    )


def test_every_log_of_a_hand_built_block_verifies() -> None:
    b = hand_block()
    checked = 0
    for i, receipt in enumerate(b.receipts):
        for j, log in enumerate(receipt.logs):
            claim = verify_event_proof(hand_proof(b, i, j))
            assert (claim.receipt_index, claim.log_position, claim.log) == (i, j, log)
            assert (claim.block_number, claim.block_hash) == (12, header_hash(b.header))
            checked += 1
    assert checked == sum(i % 4 for i in range(40))


# ---- forgeries, each with its own error ------------------------------------------------------


def test_proof_against_an_all_zero_hub_root() -> None:
    b = hand_block()
    with pytest.raises(InvalidEventProof, match="hub state proof is against an all-zero root"):
        verify_event_proof(hand_proof(b, 1, 0, state_root=ZERO_HASH))


def test_proof_against_an_all_zero_receipts_root() -> None:
    b = hand_block()
    zero = HandBlock(dataclasses.replace(b.header, receipts_root=ZERO_HASH), (), b.transactions)
    # The builder refuses receipts that do not match, so graft a proof onto the zero-root header.
    proof = rewrite(hand_proof(b, 1, 0), 5, encode_header(zero.header))
    good = hand_proof(b, 1, 0)
    trie = _hub_trie(
        {(ROLLUP_ID, 12): BlockStatus(header_hash(zero.header), SafetyLevel.SAFE, SafetyLevel.SAFE)}
    )
    hub_header, signature = _hub_header(trie.root())
    proof = rewrite(proof, 2, encode_hub_header(hub_header))
    proof = rewrite(proof, 3, signature)
    proof = rewrite(proof, 4, trie.proof(state_key(ROLLUP_ID, 12)))
    assert proof != good
    with pytest.raises(InvalidEventProof, match="receipt proof is against an all-zero root"):
        verify_event_proof(proof)


def test_receipt_proof_with_an_extra_node() -> None:
    w = world()
    proof = hub_proof(w)
    extra = [*nodes(proof, 8), nodes(proof, 8)[-1]]
    with pytest.raises(
        InvalidEventProof, match=r"receipt proof does not match the receipts root: .*past the end"
    ):
        verify_event_proof(rewrite(proof, 8, extra))


def test_receipt_proof_with_a_missing_node() -> None:
    w = world()
    proof = hub_proof(w, 2)
    receipt_nodes = nodes(proof, 8)
    assert len(receipt_nodes) >= 2
    with pytest.raises(InvalidEventProof, match="receipt proof does not match the receipts root"):
        verify_event_proof(rewrite(proof, 8, receipt_nodes[:-1]))
    with pytest.raises(InvalidEventProof, match="receipt proof does not match the receipts root"):
        verify_event_proof(rewrite(proof, 8, receipt_nodes[1:]))
    with pytest.raises(InvalidEventProof, match="receipt proof does not match the receipts root"):
        verify_event_proof(rewrite(proof, 8, []))


def test_hub_state_proof_with_a_missing_node() -> None:
    w = world()
    proof = hub_proof(w)
    hub_nodes = nodes(proof, 4)
    with pytest.raises(InvalidEventProof, match="hub state proof does not match the hub state"):
        verify_event_proof(rewrite(proof, 4, hub_nodes[:-1]))


def test_tampered_receipt() -> None:
    w = world()
    proof = hub_proof(w)
    receipt_nodes = nodes(proof, 8)
    leaf = receipt_nodes[-1]
    log = w.receipts[1].logs[0]
    assert log.data in leaf
    forged_data = bytes(len(log.data) - 1) + b"\x63"
    receipt_nodes[-1] = leaf.replace(log.data, forged_data)
    with pytest.raises(InvalidEventProof, match="receipt proof does not match the receipts root"):
        verify_event_proof(rewrite(proof, 8, receipt_nodes))


def test_log_position_out_of_range() -> None:
    b = hand_block()
    proof = hand_proof(b, 2, 1)
    assert len(b.receipts[2].logs) == 2
    assert verify_event_proof(proof).log == b.receipts[2].logs[1]
    with pytest.raises(
        InvalidEventProof, match=r"log position 3 out of range \(receipt has 2 logs\)"
    ):
        verify_event_proof(rewrite(proof, 9, encode_uint(3)))


def test_receipt_index_relabelled() -> None:
    b = hand_block()
    proof = hand_proof(b, 2, 0)
    with pytest.raises(InvalidEventProof, match="receipt proof"):
        verify_event_proof(rewrite(proof, 7, encode_uint(3)))


def test_hub_status_for_another_block_hash() -> None:
    b = hand_block()
    other = Hash32(keccak256(b"the block the hub accepted"))
    with pytest.raises(
        InvalidEventProof,
        match=f"hub status for chain 901 block 12 is for block 0x{other.hex()}, not the source",
    ):
        verify_event_proof(hand_proof(b, 1, 0, status_hash=other))


def test_source_header_swapped_for_another() -> None:
    w = world()
    other = dataclasses.replace(w.block.header, timestamp=U64(103))
    with pytest.raises(InvalidEventProof, match="hub status for chain 901 block 1 is for block"):
        verify_event_proof(rewrite(hub_proof(w), 5, encode_header(other)))


def test_another_chain_ids_key() -> None:
    w = world()
    # The proof relabelled as chain 902: the 901 path is not 902's.
    relabelled = rewrite(hub_proof(w), 1, encode_uint(OTHER_CHAIN))
    with pytest.raises(InvalidEventProof, match="hub state proof"):
        verify_event_proof(relabelled)
    # An honest absence proof for chain 902 block 1's neighbour: not there.
    absent = hub_proof(
        w, chain_id=ChainId(903), hub_state_proof=w.hub_trie.proof(state_key(903, 1))
    )
    with pytest.raises(
        InvalidEventProof, match="hub state proof does not contain chain 903 block 1"
    ):
        verify_event_proof(absent)
    # Chain 902 block 1 is in the hub state, but for another block.
    other = hub_proof(
        w, chain_id=OTHER_CHAIN, hub_state_proof=w.hub_trie.proof(state_key(OTHER_CHAIN, 1))
    )
    with pytest.raises(InvalidEventProof, match="hub status for chain 902 block 1 is for block"):
        verify_event_proof(other)


def test_transaction_zero_must_be_the_attributes_deposit() -> None:
    not_deposit = hand_block(tx0=b"\x02" + b"\x11" * 30)
    with pytest.raises(InvalidEventProof, match="transaction 0 is not a deposit"):
        verify_event_proof(hand_proof(not_deposit, 1, 0))
    wrong_sender = dataclasses.replace(attributes_deposit(ORIGIN, 0), sender=BOB.address)
    with pytest.raises(InvalidEventProof, match="not from the L1-attributes depositor"):
        verify_event_proof(hand_proof(hand_block(tx0=wrong_sender.raw), 1, 0))
    wrong_call = dataclasses.replace(attributes_deposit(ORIGIN, 0), data=b"\x12\x34\x56\x78")
    with pytest.raises(InvalidEventProof, match="not an L1Block call"):
        verify_event_proof(hand_proof(hand_block(tx0=wrong_call.raw), 1, 0))
    wrong_source = dataclasses.replace(attributes_deposit(ORIGIN, 0), source_hash=ZERO_HASH)
    with pytest.raises(InvalidEventProof, match="source hash"):
        verify_event_proof(hand_proof(hand_block(tx0=wrong_source.raw), 1, 0))
    garbage = hand_block(tx0=b"\x7e\xc0")
    with pytest.raises(MalformedEventProof, match="transaction 0"):
        verify_event_proof(hand_proof(garbage, 1, 0))


def test_transaction_zero_proof_must_match() -> None:
    w = world()
    proof = hub_proof(w)
    tx_nodes = nodes(proof, 6)
    with pytest.raises(
        InvalidEventProof, match="transaction proof does not match the transactions root"
    ):
        verify_event_proof(rewrite(proof, 6, [*tx_nodes, tx_nodes[0]]))


def test_bad_hub_signature() -> None:
    w = world()
    proof = hub_proof(w)
    bad_v = w.hub_signature[:64] + b"\x05"
    with pytest.raises(InvalidEventProof, match="hub signature does not recover"):
        verify_event_proof(rewrite(proof, 3, bad_v))
    # Another valid-looking signature verifies, but recovers someone else: the caller's call.
    other = sign_hub_header(w.hub_header, private_key_from_seed(b"not the hub"))
    assert verify_event_proof(rewrite(proof, 3, other)).hub_signer != HUB_KEY.address


def test_peer_signature_for_another_chain_recovers_another_signer() -> None:
    # The chain id is in the signing hash: relabelled, the proof verifies for a stranger.
    w = world()
    claim = verify_event_proof(rewrite(peer_proof(w), 1, encode_uint(OTHER_CHAIN)))
    assert claim.chain_id == OTHER_CHAIN
    assert claim.sequencer is not None
    assert claim.sequencer != SEQUENCER.address
    signed_for_other = sign_block_header(SEQUENCER, OTHER_CHAIN, w.block.hash)
    claim = verify_event_proof(peer_proof(w, header_signature=signed_for_other))
    assert claim.chain_id == ROLLUP_ID
    assert claim.sequencer != SEQUENCER.address


def test_peer_signature_over_another_block_recovers_another_signer() -> None:
    w = world()
    other = Hash32(keccak256(b"another 901 block 1"))
    signed_other = sign_block_header(SEQUENCER, ROLLUP_ID, other)
    claim = verify_event_proof(peer_proof(w, header_signature=signed_other))
    assert claim.block_hash == w.block.hash
    assert claim.sequencer != SEQUENCER.address
    # The real signature under another header (same roots, so the trie proofs still hold).
    later = dataclasses.replace(w.block.header, timestamp=U64(103))
    claim = verify_event_proof(rewrite(peer_proof(w), 2, encode_header(later)))
    assert claim.block_hash == header_hash(later)
    assert claim.sequencer != SEQUENCER.address


def test_peer_signature_problems() -> None:
    w = world()
    proof = peer_proof(w)
    sig = w.header_signature
    with pytest.raises(MalformedEventProof, match="sequencer signature"):
        verify_event_proof(rewrite(proof, 3, sig[:64]))
    with pytest.raises(MalformedEventProof, match="sequencer signature"):
        verify_event_proof(rewrite(proof, 3, sig + b"\x00"))
    with pytest.raises(MalformedEventProof, match="sequencer signature"):
        verify_event_proof(rewrite(proof, 3, [sig]))
    with pytest.raises(InvalidEventProof, match="sequencer signature does not recover a signer"):
        verify_event_proof(rewrite(proof, 3, sig[:64] + b"\x07"))
    with pytest.raises(InvalidEventProof, match="sequencer signature does not recover a signer"):
        verify_event_proof(rewrite(proof, 3, bytes(32) + sig[32:]))


def test_peer_proof_tries_must_match_the_header() -> None:
    w = world()
    proof = peer_proof(w)
    receipt_nodes = nodes(proof, 6)
    with pytest.raises(InvalidEventProof, match="receipt proof does not match the receipts root"):
        verify_event_proof(rewrite(proof, 6, receipt_nodes[:-1]))
    tx_nodes = nodes(proof, 4)
    with pytest.raises(
        InvalidEventProof, match="transaction proof does not match the transactions root"
    ):
        verify_event_proof(rewrite(proof, 4, [*tx_nodes, tx_nodes[0]]))
    with pytest.raises(InvalidEventProof, match="receipt proof"):
        verify_event_proof(rewrite(proof, 5, encode_uint(1)))
    with pytest.raises(InvalidEventProof, match=r"log position 1 out of range"):
        verify_event_proof(rewrite(proof, 7, encode_uint(1)))
    # A header whose roots are not the proofs' (the receipts root of another block).
    other = dataclasses.replace(w.block.header, receipts_root=Hash32(keccak256(b"not it")))
    forged = peer_proof(w)
    forged = rewrite(forged, 2, encode_header(other))
    forged = rewrite(forged, 3, sign_block_header(SEQUENCER, ROLLUP_ID, header_hash(other)))
    with pytest.raises(InvalidEventProof, match="receipt proof does not match the receipts root"):
        verify_event_proof(forged)


def test_peer_proof_of_every_log_of_a_hand_built_block() -> None:
    b = hand_block()
    for i, receipt in enumerate(b.receipts):
        for j, log in enumerate(receipt.logs):
            claim = verify_event_proof(hand_peer_proof(b, i, j))
            assert (claim.receipt_index, claim.log_position, claim.log) == (i, j, log)
            assert claim.sequencer == SEQUENCER.address


def test_peer_transaction_zero_must_be_the_attributes_deposit() -> None:
    # Peer mode proves transaction 0 under the signed header, as hub mode does.
    not_deposit = hand_block(tx0=b"\x02" + b"\x11" * 30)
    with pytest.raises(InvalidEventProof, match="transaction 0 is not a deposit"):
        verify_event_proof(hand_peer_proof(not_deposit, 1, 0))
    wrong_source = dataclasses.replace(attributes_deposit(ORIGIN, 0), source_hash=ZERO_HASH)
    with pytest.raises(InvalidEventProof, match="source hash"):
        verify_event_proof(hand_peer_proof(hand_block(tx0=wrong_source.raw), 1, 0))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: rewrite(p, 0, encode_uint(0)), "hub event proof has 8 fields, expected 10"),
        (lambda p: p[:1] + encode_rlp([*fields_of(p), b""]), "peer event proof has 9 fields"),
        (lambda p: p[:1] + encode_rlp(fields_of(p)[:6]), "peer event proof has 6 fields"),
        (lambda p: rewrite(p, 1, b""), "chain id 0"),
        (lambda p: rewrite(p, 2, b"\xc1\x80"), "source header"),
        (lambda p: rewrite(p, 2, [b"x"]), "source header"),
        (lambda p: rewrite(p, 3, b"\x01" * 64), "sequencer signature"),
        (lambda p: rewrite(p, 4, b"not a list"), "transaction proof"),
        (lambda p: rewrite(p, 5, [b"x"]), "receipt index"),
        (lambda p: rewrite(p, 6, b"not a list"), "receipt proof"),
        (lambda p: rewrite(p, 7, b"\x01" * 9), "log position"),
    ],
)
def test_malformed_peer_proofs(mutate: Callable[[bytes], bytes], message: str) -> None:
    with pytest.raises(MalformedEventProof, match=message):
        verify_event_proof(mutate(peer_proof(world())))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda p: b"", "empty event proof"),
        (lambda p: b"\x02" + p[1:], "unknown event proof version 2"),
        (lambda p: p[:-1], "not RLP"),
        (lambda p: p[:1], "not RLP"),
        (lambda p: p + b"\x00", "not RLP"),
        (lambda p: b"\x01\x80", "expected a list"),
        (lambda p: b"\x01\xc0", "event proof list is empty"),
        (lambda p: rewrite(p, 0, encode_uint(7)), "unknown proof mode 7"),
        (lambda p: rewrite(p, 0, encode_uint(1)), "peer event proof has 10 fields, expected 8"),
        (lambda p: rewrite(p, 1, b""), "chain id 0"),
        (lambda p: rewrite(p, 1, b"\x00\x01"), "leading zero"),
        (lambda p: rewrite(p, 2, b"\xc0"), "hub header"),
        (lambda p: rewrite(p, 3, b"\x01" * 64), "hub signature"),
        (lambda p: rewrite(p, 4, b"not a list"), "hub state proof"),
        (lambda p: rewrite(p, 5, b"\xc1\x80"), "source header"),
        (lambda p: rewrite(p, 7, [b"x"]), "receipt index"),
        (lambda p: rewrite(p, 9, b"\x01" * 9), "log position"),
    ],
)
def test_malformed_proofs(mutate: Callable[[bytes], bytes], message: str) -> None:
    with pytest.raises(MalformedEventProof, match=message):
        verify_event_proof(mutate(hub_proof(world())))


def test_error_types_are_the_primitives_families() -> None:
    assert issubclass(InvalidEventProof, InvalidProof)
    assert issubclass(MalformedEventProof, MalformedProof)
    assert not issubclass(InvalidEventProof, MalformedProof)


# ---- hostile bytes ---------------------------------------------------------------------------


def _true_claim(claim: EventClaim) -> None:
    """A proof that verified (maybe after mutation) must state facts about the world.

    Only the recovered signer may differ (a mutated signature recovers a
    stranger, whom no caller trusts); when it is the real signer, the
    whole claim must be true. A peer proof rests on its signer alone, so a
    mutated header verifies as a stranger's word about another block: such
    a claim says nothing about the world.
    """
    w = world()
    trusted = claim.hub_signer == HUB_KEY.address or claim.sequencer == SEQUENCER.address
    if claim.mode is ProofMode.PEER and not trusted:
        assert claim.sequencer is not None
        return
    assert claim.block_hash == w.block.hash
    assert claim.log == w.receipts[claim.receipt_index].logs[claim.log_position]
    assert (claim.l1_origin_number, claim.l1_origin_hash) == (ORIGIN.number, ORIGIN.hash)
    if claim.mode is ProofMode.HUB:
        assert claim.chain_id == ROLLUP_ID
        assert claim.status == w.status
    elif trusted:
        assert claim.chain_id == ROLLUP_ID


def _check(raw: bytes) -> None:
    try:
        claim = verify_event_proof(raw)
    except (InvalidEventProof, MalformedEventProof):
        return
    _true_claim(claim)


@FAST
@given(st.binary(max_size=600))
def test_random_bytes_raise_only_typed_errors(raw: bytes) -> None:
    _check(raw)
    _check(b"\x01" + raw)


def _mutate(data: bytes, kind: int, position: int, byte: int) -> bytes:
    if not data:
        return bytes((byte,))
    i = position % len(data)
    if kind == 0:
        return data[:i] + bytes((data[i] ^ (byte or 1),)) + data[i + 1 :]
    if kind == 1:
        return data[:i] + bytes((byte,)) + data[i:]
    if kind == 2:
        return data[:i] + data[i + 1 :]
    return data[:i]


mutations = st.tuples(st.integers(0, 3), st.integers(0, 2**16), st.integers(0, 255))


@FAST
@given(st.sampled_from(["hub", "peer"]), mutations)
def test_mutated_proofs_raise_only_typed_errors(mode: str, mutation: tuple[int, int, int]) -> None:
    w = world()
    proof = hub_proof(w) if mode == "hub" else peer_proof(w)
    _check(_mutate(proof, *mutation))


@FAST
@given(st.sampled_from(["hub", "peer"]), st.integers(0, 9), st.integers(0, 30), mutations)
def test_mutated_fields_raise_only_typed_errors(
    mode: str, field: int, node: int, mutation: tuple[int, int, int]
) -> None:
    """Mutate inside one field (or one trie node) so the deep checks are reached."""
    w = world()
    proof = hub_proof(w) if mode == "hub" else peer_proof(w)
    fields = fields_of(proof)
    item = fields[field % len(fields)]
    if isinstance(item, list):
        if item:
            k = node % len(item)
            target = item[k]
            assert isinstance(target, bytes)
            item[k] = _mutate(target, *mutation)
    else:
        fields[field % len(fields)] = _mutate(item, *mutation)
    _check(bytes((PROOF_VERSION,)) + encode_rlp(fields))


def test_mutating_every_byte_of_a_short_field_is_caught() -> None:
    """Exhaustive single-bit flips of the receipt proof's leaf: each one is rejected."""
    w = world()
    proof = hub_proof(w)
    leaf_nodes = nodes(proof, 8)
    leaf = leaf_nodes[-1]
    for i in range(len(leaf)):
        forged = [*leaf_nodes[:-1], leaf[:i] + bytes((leaf[i] ^ 1,)) + leaf[i + 1 :]]
        with pytest.raises((InvalidEventProof, MalformedEventProof)):
            verify_event_proof(rewrite(proof, 8, forged))


def test_no_interlace_error_escapes_untyped() -> None:
    """The two event-proof errors are the only ``InterlaceError`` kinds callers see."""
    w = world()
    for raw in (b"\x01\xc2\x80\x80", rewrite(hub_proof(w), 6, [b"\x00" * 40])):
        with pytest.raises(InterlaceError) as info:
            verify_event_proof(raw)
        assert isinstance(info.value, InvalidEventProof | MalformedEventProof)


# ---- the optimised inclusion walk agrees with mpt.verify_proof ------------------------------


def _reference(root: bytes, key: bytes, proof: list[bytes]) -> bytes | str | None:
    try:
        return verify_proof(root, key, proof)
    except (InvalidProof, MalformedProof) as exc:
        return type(exc).__name__


def _agree(root: bytes, key: bytes, proof: list[bytes]) -> bytes | None:
    fast = _included_value(root, key, proof)
    if fast is not None:
        assert _reference(root, key, proof) == fast
    return fast


trie_pairs = st.dictionaries(
    st.binary(min_size=1, max_size=4), st.binary(min_size=1, max_size=40), max_size=40
)


@FAST
@given(trie_pairs, st.binary(min_size=1, max_size=4))
def test_fast_walk_agrees_on_small_tries(pairs: dict[bytes, bytes], other: bytes) -> None:
    """Short keys and values: branch values and inline nodes, where the fast walk defers."""
    trie = Trie(pairs)
    root = trie.root()
    for key in [*pairs, other]:
        proof = trie.proof(key)
        _agree(root, key, proof)
        if len(proof) > 1:
            _agree(root, key, proof[:-1])
            _agree(root, key, [*proof, proof[-1]])


def test_fast_walk_answers_ordinary_inclusion_proofs() -> None:
    b = hand_block(receipt_count=300)
    index = index_block(b.receipts, b.transactions)
    for i in range(300):
        key = encode_rlp(encode_uint(i))
        proof = index.receipts_trie.proof(key)
        assert _agree(index.receipts_root, key, proof) == encode_receipt(b.receipts[i])
    w = world()
    key = state_key(ROLLUP_ID, 1)
    assert _agree(w.hub_trie.root(), key, w.hub_trie.proof(key)) == encode_status(w.status)


node_items = st.lists(
    st.one_of(st.binary(max_size=40), st.just(b""), st.binary(min_size=32, max_size=32)),
    min_size=1,
    max_size=18,
)


@FAST
@given(node_items, st.binary(min_size=1, max_size=3), st.booleans(), st.integers(0, 17))
def test_fast_walk_agrees_on_hash_matching_odd_nodes(
    items: list[bytes], key: bytes, nest: bool, slot: int
) -> None:
    """Nodes whose hash matches but whose shape is odd: the fast walk never disagrees."""
    raw_items: list[object] = list(items)
    if nest:
        raw_items[slot % len(raw_items)] = [items[0], items[-1]]
    node = encode_rlp(raw_items)
    _agree(keccak256(node), key, [node])
    # Hex-prefix leaves for the key itself, with each flag.
    for flag in (b"\x20", b"\x00", b"\x10", b"\x30", b"\x40"):
        leaf = encode_rlp([flag + key, items[0]])
        _agree(keccak256(leaf), key, [leaf])
