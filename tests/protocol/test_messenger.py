"""The messenger's relayMessage through real rollup chains: each bad relay's revert, trust modes.

A source rollup (901) builds one block whose user transactions send
messages: to 902 (the destination), to 903, to each system module, and one
from an impostor module that emits a ``SentMessage``-shaped log from another
address. A destination rollup (902) is built with a genesis
``MessengerConfig``; its block 1 forwards signed hub blocks through the hub
client (``hub_update_deposit``), so it holds hub state roots, and its block 2
carries a signed ``relayMessage`` transaction built as the relayer role
builds it. ``build_next`` adds the dependency declaration from the relay.

The receipt of a refused relay has status 0 and the destination's messenger
storage is exactly the parent's plus the dependency declaration: nothing
relayed, no nonce moved. A recording subclass of ``Messenger`` keeps each
revert reason, so every test names the check that refused it.
"""

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from interlace.primitives.envelope import sign_block_header, sign_envelope
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.mpt import Trie
from interlace.primitives.receipt import Receipt
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp
from interlace.primitives.tx import (
    SignedTransaction,
    Transaction,
    UnsignedDynamicFeeTransaction,
    sign_dynamic_fee,
    sign_transaction,
)
from interlace.primitives.types import U64, U256, ZERO_HASH, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block, BuiltBlock, genesis_header
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.modules import (
    CallContext,
    CallEnv,
    install_module,
    mapping_slot,
)
from interlace.protocol.chain.state import WorldState
from interlace.protocol.hub.state import (
    BlockStatus,
    HubHeader,
    SafetyLevel,
    encode_signed_hub_block,
    encode_status,
    sign_hub_header,
    state_key,
)
from interlace.protocol.interop.messenger import (
    _DECLARED,
    FORBIDDEN_TARGETS,
    HUB_CLIENT_ADDRESS,
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    Dependency,
    Messenger,
    MessengerConfig,
    TrustMode,
    dependencies_of,
    dependency_key,
    is_relayed,
    read_hub_root,
    read_latest_hub,
)
from interlace.protocol.interop.proof import (
    PROOF_VERSION,
    build_hub_event_proof,
    build_peer_event_proof,
)
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin
from interlace.protocol.rollup.payload import payload_from_block
from interlace.protocol.rollup.predeploys import L1_ATTRIBUTES_DEPOSITOR, L1_BLOCK_ADDRESS
from interlace.roles.relayer import MAX_FEE, RELAY_GAS
from tests.protocol.support import ALICE, ETHER, call_tx

SOURCE, DESTINATION, THIRD = ChainId(901), ChainId(902), ChainId(903)
HUB_KEY = private_key_from_seed(b"hub")
RELAYER = private_key_from_seed(b"relayer")
SOURCE_SEQUENCER = private_key_from_seed(b"sequencer-901")
INTRUDER = private_key_from_seed(b"intruder")
TARGET = Address(b"\x77" * 20)
IMPOSTOR_ADDRESS = Address(b"\x00" * 18 + b"\xba\xad")

GENESIS_ORIGIN = L1Origin(U64(7), Hash32(keccak256(b"l1 block 7")), U64(84), U256(10**9))
ORIGIN = L1Origin(U64(8), Hash32(keccak256(b"l1 block 8")), U64(96), U256(10**9))
FORK_ORIGIN = dataclasses.replace(ORIGIN, hash=Hash32(keccak256(b"l1 block 8, another fork")))
LATER_ORIGIN = L1Origin(U64(9), Hash32(keccak256(b"l1 block 9")), U64(108), U256(10**9))
SOURCE_TIME = 102

# Receipt indexes of the source block's sends (0 is the L1-attributes deposit).
TO_DESTINATION, TO_THIRD, FROM_IMPOSTOR = 1, 2, 3
TO_MODULE = {HUB_CLIENT_ADDRESS: 4, MESSENGER_ADDRESS: 5, L1_BLOCK_ADDRESS: 6}


class Impostor(Messenger):
    """The messenger's code at another address: its ``SentMessage`` logs are not the messenger's."""

    address = IMPOSTOR_ADDRESS


class RecordingMessenger(Messenger):
    """The real messenger, keeping every revert reason it raises."""

    def __init__(self) -> None:
        self.reverts: list[str] = []

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        try:
            return super().call(ctx, function, args)
        except ModuleRevert as exc:
            self.reverts.append(str(exc))
            raise


# ---- the source chain ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A source block with its receipts and its sequencer's header signature."""

    chain_id: ChainId
    block: Block
    receipts: tuple[Receipt, ...]
    header_signature: bytes

    def payload(self, receipt_index: int) -> bytes:
        """OP's ``sentMessage`` of the first log of a receipt: topics ‖ data."""
        log = self.receipts[receipt_index].logs[0]
        return b"".join(log.topics) + log.data

    def message_hash(self, receipt_index: int) -> Hash32:
        return keccak256(self.payload(receipt_index))

    def log_index(self, receipt_index: int) -> int:
        """Block-global log index, as the relayer counts it."""
        return sum(len(r.logs) for r in self.receipts[:receipt_index])


@cache
def source(
    origin: L1Origin = ORIGIN, chain_id: ChainId = SOURCE, timestamp: int = SOURCE_TIME
) -> Source:
    """Block 1 of the source chain, made at ``timestamp``: one send per receipt index above."""
    chain = RollupChain(RollupGenesis(chain_id, GENESIS_ORIGIN, 100, {ALICE.address: ETHER}, None))
    impostor = Impostor()
    chain.modules[impostor.address] = impostor
    install_module(chain.states[0], impostor)
    chain.blocks[0] = Block(genesis_header(chain.config, chain.states[0], 100), ())
    sends = [
        (DESTINATION, TARGET, b"hello 902", MESSENGER_ADDRESS),
        (THIRD, TARGET, b"hello 903", MESSENGER_ADDRESS),
        (DESTINATION, TARGET, b"not from the messenger", IMPOSTOR_ADDRESS),
        *(
            (DESTINATION, module, b"call a system module", MESSENGER_ADDRESS)
            for module in TO_MODULE
        ),
    ]
    txs = [
        call_tx(
            ALICE,
            nonce,
            at,
            MESSENGER_ABI.function("sendMessage").encode_call(dest, target, message),
            chain_id=chain_id,
        )
        for nonce, (dest, target, message, at) in enumerate(sends)
    ]
    built = chain.build_next(origin, [], txs, timestamp)
    assert not built.rejected
    for (destination, *_), receipt in zip(sends, built.receipts[1:], strict=True):
        # Every send lands, except one to the source chain itself (903 sending to 903).
        assert receipt.success == (destination != chain_id)
    signature = sign_block_header(SOURCE_SEQUENCER, chain_id, built.block.hash)
    return Source(chain_id, built.block, built.receipts, signature)


# ---- hub blocks and proofs -------------------------------------------------------------------


@dataclass(frozen=True)
class HubBlock:
    """A signed hub block whose state records the source block."""

    header: HubHeader
    signature: bytes
    trie: Trie

    @property
    def signed(self) -> bytes:
        return encode_signed_hub_block(self.header, self.signature)


def hub_block(
    src: Source,
    level: SafetyLevel = SafetyLevel.PRECONFIRMED,
    *,
    number: int = 1,
    key: PrivateKey = HUB_KEY,
    state_root: Hash32 | None = None,
) -> HubBlock:
    trie = Trie()
    trie.set(
        state_key(src.chain_id, src.block.number),
        encode_status(BlockStatus(src.block.hash, level, level)),
    )
    # Other chains' entries, so that the state proof has more than one node.
    for chain in (THIRD, 904, 905):
        other = BlockStatus(Hash32(keccak256(b"%d/1" % chain)), level, level)
        trie.set(state_key(chain, 1), encode_status(other))
    header = HubHeader(
        U64(number),
        U64(SOURCE_TIME + 1),
        ZERO_HASH,
        trie.root() if state_root is None else state_root,
        U64(8),
        ORIGIN.hash,
    )
    return HubBlock(header, sign_hub_header(header, key), trie)


def hub_proof(src: Source, hub: HubBlock, receipt_index: int = TO_DESTINATION) -> bytes:
    return build_hub_event_proof(
        chain_id=src.chain_id,
        hub_header=hub.header,
        hub_signature=hub.signature,
        hub_state_proof=hub.trie.proof(state_key(src.chain_id, src.block.number)),
        source_header=src.block.header,
        receipts=src.receipts,
        transactions=[tx.raw for tx in src.block.transactions],
        receipt_index=receipt_index,
        log_position=0,
    )


def peer_proof(
    src: Source, receipt_index: int = TO_DESTINATION, key: PrivateKey = SOURCE_SEQUENCER
) -> bytes:
    signature = src.header_signature
    if key is not SOURCE_SEQUENCER:
        signature = sign_block_header(key, src.chain_id, src.block.hash)
    return build_peer_event_proof(
        chain_id=src.chain_id,
        source_header=src.block.header,
        header_signature=signature,
        receipts=src.receipts,
        transactions=[tx.raw for tx in src.block.transactions],
        receipt_index=receipt_index,
        log_position=0,
    )


def rewrite(proof: bytes, index: int, value: bytes | Sequence[bytes]) -> bytes:
    """``proof`` with RLP field ``index`` replaced."""
    fields = decode_rlp(proof[1:])
    assert isinstance(fields, list)
    fields[index] = value if isinstance(value, bytes) else list(value)
    return bytes((PROOF_VERSION,)) + encode_rlp(fields)


def proof_nodes(proof: bytes, index: int) -> list[bytes]:
    fields = decode_rlp(proof[1:])
    assert isinstance(fields, list)
    item = fields[index]
    assert isinstance(item, list)
    return [bytes(n) for n in item if isinstance(n, bytes)]


# ---- the destination chain -------------------------------------------------------------------


class Destination:
    """Rollup 902 with a recording messenger; block 1 forwards the given hub blocks."""

    def __init__(
        self,
        mode: TrustMode,
        hub_blocks: Sequence[HubBlock] = (),
        *,
        peers: tuple[tuple[int, Address], ...] = ((SOURCE, SOURCE_SEQUENCER.address),),
        expiry: int | None = None,
    ) -> None:
        config = MessengerConfig(mode, HUB_KEY.address, peers)
        if expiry is not None:
            config = dataclasses.replace(config, expiry=expiry)
        self.chain = RollupChain(
            RollupGenesis(DESTINATION, GENESIS_ORIGIN, 100, {RELAYER.address: 10**21}, config)
        )
        self.messenger = RecordingMessenger()
        self.chain.modules[MESSENGER_ADDRESS] = self.messenger
        built = self.chain.build_next(
            ORIGIN, [], [], SOURCE_TIME + 1, hub_updates=[h.signed for h in hub_blocks]
        )
        assert all(r.success for r in built.receipts)
        self.chain.append(built, ORIGIN)
        self.nonce = 0

    def relay_tx(
        self,
        src: Source,
        proof: bytes,
        receipt_index: int = TO_DESTINATION,
        *,
        sent_message: bytes | None = None,
        block_number: int | None = None,
    ) -> SignedTransaction:
        """A signed relayMessage, as ``Relayer._submit`` builds it."""
        identifier = (
            MESSENGER_ADDRESS,
            src.block.number if block_number is None else block_number,
            src.log_index(receipt_index),
            src.block.header.timestamp,
            src.chain_id,
        )
        calldata = MESSENGER_ABI.function("relayMessage").encode_call(
            identifier, src.payload(receipt_index) if sent_message is None else sent_message, proof
        )
        tx = sign_transaction(
            UnsignedDynamicFeeTransaction(
                chain_id=DESTINATION,
                nonce=U64(self.nonce),
                max_priority_fee_per_gas=U256(1_000),
                max_fee_per_gas=U256(MAX_FEE),
                gas_limit=U64(RELAY_GAS + 16 * len(calldata)),
                to=MESSENGER_ADDRESS,
                value=U256(0),
                data=calldata,
                access_list=(),
            ),
            RELAYER,
        )
        self.nonce += 1
        return tx

    def build(self, txs: Sequence[Transaction], timestamp: int | None = None) -> BuiltBlock:
        """Build (not append) the next block with these relays."""
        self.messenger.reverts.clear()
        built = self.chain.build_next(
            ORIGIN,
            [],
            list(txs),
            self.chain.head.header.timestamp + 1 if timestamp is None else timestamp,
        )
        assert not built.rejected
        return built

    def relay(
        self, src: Source, proof: bytes, receipt_index: int = TO_DESTINATION, **kw: Any
    ) -> BuiltBlock:
        return self.build([self.relay_tx(src, proof, receipt_index, **kw)])


def messenger_storage(state: WorldState) -> Hash32:
    return state.storage_trie(MESSENGER_ADDRESS).root()


def assert_refused(dest: Destination, built: BuiltBlock, reason: str) -> None:
    """The last relay reverted for ``reason`` and changed nothing but the declaration."""
    receipt = built.receipts[-1]
    assert not receipt.success
    assert receipt.logs == ()
    assert len(dest.messenger.reverts) == 1
    assert reason in dest.messenger.reverts[0], dest.messenger.reverts
    expected = dest.chain.head_state.copy()
    for dep in dependencies_of(built.block.transactions):
        slot = mapping_slot(_DECLARED, dependency_key(dep))
        expected.set_storage(MESSENGER_ADDRESS, slot, built.block.number)
    assert messenger_storage(built.state) == messenger_storage(expected)


def assert_relayed(dest: Destination, built: BuiltBlock, message_hash: Hash32) -> None:
    receipt = built.receipts[-1]
    assert dest.messenger.reverts == []
    assert receipt.success
    relayed = MESSENGER_ABI.event("RelayedMessage")
    assert [log.topics[0] for log in receipt.logs] == [relayed.topic0]
    assert receipt.logs[0].topics[3] == message_hash
    assert is_relayed(built.state, SOURCE, message_hash)


# ---- the happy paths the refusals are measured against ---------------------------------------


def test_destination_holds_the_forwarded_hub_root() -> None:
    hub = hub_block(source())
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    assert read_hub_root(dest.chain.head_state, 1) == hub.header.state_root
    assert read_latest_hub(dest.chain.head_state) == 1


def test_preconfirmed_relay_with_a_hub_proof_executes_once() -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    built = dest.relay(src, hub_proof(src, hub))
    assert_relayed(dest, built, src.message_hash(TO_DESTINATION))
    dep = Dependency(SOURCE, 1, src.block.hash)
    assert dependencies_of(built.block.transactions) == (dep,)


def test_p2p_relay_with_the_peer_sequencers_header_signature_executes() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    built = dest.relay(src, peer_proof(src))
    assert_relayed(dest, built, src.message_hash(TO_DESTINATION))


# ---- proof size under two-way traffic ---------------------------------------------------------

PEER_PROOF_BOUND = 2_048
"""Bytes: one header, a signature and two trie proofs of a four-transaction block."""


def _two_way_relays(rounds: int) -> list[tuple[int, int]]:
    """901 and 902, each peer-to-peer with the other, relay each other's latest message.

    Each round builds the next block of one chain with the relay of the other
    chain's previous send (its peer proof in the calldata, as ``Relayer._submit``
    puts it) and a new send, and proves that send. Returns, per round, the size
    of that proof and of the block's ``blocks/v3`` envelope (what the earlier
    peer-proof form carried whole).
    """
    keys = {SOURCE: SOURCE_SEQUENCER, DESTINATION: private_key_from_seed(b"sequencer-902")}
    chains = {
        me: RollupChain(
            RollupGenesis(
                me,
                GENESIS_ORIGIN,
                100,
                {ALICE.address: ETHER, RELAYER.address: 10**21},
                MessengerConfig(TrustMode.P2P, HUB_KEY.address, ((other, keys[other].address),)),
            )
        )
        for me, other in ((SOURCE, DESTINATION), (DESTINATION, SOURCE))
    }
    relay_fn = MESSENGER_ABI.function("relayMessage")
    send_fn = MESSENGER_ABI.function("sendMessage")
    relays = dict.fromkeys(chains, 0)
    sizes: list[tuple[int, int]] = []
    previous: tuple[ChainId, Block, tuple[Receipt, ...], bytes] | None = None
    for round_ in range(rounds):
        me, other = (SOURCE, DESTINATION) if round_ % 2 == 0 else (DESTINATION, SOURCE)
        chain = chains[me]
        txs: list[Transaction] = []
        if previous is not None:
            src_chain, src_block, src_receipts, proof = previous
            log = src_receipts[-1].logs[0]
            log_index = sum(len(r.logs) for r in src_receipts[:-1])
            identifier = (
                MESSENGER_ADDRESS,
                src_block.number,
                log_index,
                src_block.header.timestamp,
                src_chain,
            )
            calldata = relay_fn.encode_call(identifier, b"".join(log.topics) + log.data, proof)
            txs.append(
                sign_dynamic_fee(
                    RELAYER,
                    chain_id=me,
                    nonce=relays[me],
                    to=MESSENGER_ADDRESS,
                    gas_limit=RELAY_GAS + 16 * len(calldata),
                    max_priority_fee_per_gas=1_000,
                    max_fee_per_gas=MAX_FEE,
                    data=calldata,
                )
            )
        send = send_fn.encode_call(other, TARGET, b"round %d" % round_)
        txs.append(call_tx(ALICE, chain.head.number, MESSENGER_ADDRESS, send, chain_id=me))
        built = chain.build_next(ORIGIN, [], txs, SOURCE_TIME + round_)
        assert not built.rejected
        assert all(r.success for r in built.receipts), "a relay or a send reverted"
        if previous is not None:
            relays[me] += 1
            relayed = MESSENGER_ABI.event("RelayedMessage").topic0
            assert built.receipts[-2].logs[0].topics[0] == relayed
        chain.append(built, ORIGIN)
        block, receipts = built.block, built.receipts
        proof = build_peer_event_proof(
            chain_id=me,
            source_header=block.header,
            header_signature=sign_block_header(keys[me], me, block.hash),
            receipts=receipts,
            transactions=[tx.raw for tx in block.transactions],
            receipt_index=len(receipts) - 1,
            log_position=0,
        )
        envelope = sign_envelope(payload_from_block(block), ZERO_HASH, me, keys[me])
        sizes.append((len(proof), len(envelope)))
        previous = (me, block, receipts, proof)
    return sizes


def test_peer_proof_size_is_bounded_under_two_way_relays() -> None:
    """Explorer seed 263: relays carried envelopes that carried relays, growing every block."""
    sizes = _two_way_relays(10)
    proofs = [proof for proof, _ in sizes]
    assert max(proofs) <= PEER_PROOF_BOUND, proofs
    # From the first block that holds a relay on, the proof does not grow: nesting adds
    # nothing but the relay's trie nodes, once.
    assert max(proofs[1:]) - proofs[1] <= 8, proofs
    assert proofs[1] - proofs[0] <= 200, proofs
    # The envelope of each block holds the previous proof whole: the earlier peer form,
    # which carried the envelope, grew by one proof (and its envelope) per round.
    for (proof, _), (_, envelope) in itertools.pairwise(sizes):
        assert envelope > proof


# ---- 5 and 6: proofs that do not verify ------------------------------------------------------


def test_proof_against_an_all_zero_hub_root_reverts() -> None:
    src = source()
    zero = hub_block(src, state_root=ZERO_HASH)
    dest = Destination(TrustMode.PRECONFIRMED, [hub_block(src)])
    built = dest.relay(src, hub_proof(src, zero))
    assert_refused(dest, built, "invalid proof: hub state proof is against an all-zero root")
    assert not is_relayed(built.state, SOURCE, src.message_hash(TO_DESTINATION))


@pytest.mark.parametrize("field", [4, 8], ids=["hub-state-proof", "receipt-proof"])
def test_proof_with_an_extra_node_reverts(field: int) -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    proof = hub_proof(src, hub)
    nodes = proof_nodes(proof, field)
    built = dest.relay(src, rewrite(proof, field, [*nodes, nodes[-1]]))
    assert_refused(dest, built, "invalid proof: ")
    assert "does not match" in dest.messenger.reverts[0]
    assert not is_relayed(built.state, SOURCE, src.message_hash(TO_DESTINATION))


@pytest.mark.parametrize("field", [4, 6, 8], ids=["hub-state-proof", "tx0-proof", "receipt-proof"])
def test_proof_with_a_missing_node_reverts(field: int) -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    proof = hub_proof(src, hub)
    nodes = proof_nodes(proof, field)
    assert len(nodes) >= 2
    built = dest.relay(src, rewrite(proof, field, nodes[:-1]))
    assert_refused(dest, built, "invalid proof: ")
    assert not is_relayed(built.state, SOURCE, src.message_hash(TO_DESTINATION))


def test_peer_proof_with_a_missing_receipt_node_reverts() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    proof = peer_proof(src)
    built = dest.relay(src, rewrite(proof, 6, proof_nodes(proof, 6)[:-1]))
    assert_refused(dest, built, "invalid proof: receipt proof does not match the receipts root")


def test_garbage_proof_reverts() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    built = dest.relay(src, b"\x01\xc0")
    assert_refused(dest, built, "invalid proof: ")


# ---- 7. the proven log is not a message for this chain ---------------------------------------


@pytest.mark.parametrize("mode", [TrustMode.P2P, TrustMode.PRECONFIRMED])
def test_log_from_another_contract_reverts(mode: TrustMode) -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(mode, [hub])
    log = src.receipts[FROM_IMPOSTOR].logs[0]
    assert log.address == IMPOSTOR_ADDRESS
    assert log.topics[0] == MESSENGER_ABI.event("SentMessage").topic0  # same shape, wrong emitter
    proof = (
        peer_proof(src, FROM_IMPOSTOR)
        if mode is TrustMode.P2P
        else hub_proof(src, hub, FROM_IMPOSTOR)
    )
    built = dest.relay(src, proof, FROM_IMPOSTOR)
    assert_refused(dest, built, "log was not emitted by the source messenger")
    assert not is_relayed(built.state, SOURCE, src.message_hash(FROM_IMPOSTOR))


def test_message_for_another_destination_reverts() -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    built = dest.relay(src, hub_proof(src, hub, TO_THIRD), TO_THIRD)
    assert_refused(dest, built, "message is for another destination chain")
    assert not is_relayed(built.state, SOURCE, src.message_hash(TO_THIRD))


def test_sent_message_that_is_not_the_proven_log_reverts() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    forged = src.payload(TO_DESTINATION)[:-1] + b"!"
    built = dest.relay(src, peer_proof(src), sent_message=forged)
    assert_refused(dest, built, "sentMessage does not match the proven log")
    assert not is_relayed(built.state, SOURCE, keccak256(forged))


def test_identifier_naming_another_block_reverts() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    built = dest.relay(src, peer_proof(src), block_number=2)
    assert_refused(dest, built, "proof is for another block than the identifier names")


# ---- 8. replay -------------------------------------------------------------------------------


def test_relay_of_an_already_relayed_message_reverts() -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    first = dest.relay(src, hub_proof(src, hub))
    assert_relayed(dest, first, src.message_hash(TO_DESTINATION))
    dest.chain.append(first, ORIGIN)
    again = dest.relay(src, hub_proof(src, hub))
    assert_refused(dest, again, "message already relayed")
    assert is_relayed(again.state, SOURCE, src.message_hash(TO_DESTINATION))


def test_second_relay_in_the_same_block_reverts() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    built = dest.build([dest.relay_tx(src, peer_proof(src)), dest.relay_tx(src, peer_proof(src))])
    first, second = built.receipts[-2:]
    assert first.success
    assert not second.success
    assert dest.messenger.reverts == ["message already relayed"]


def test_identical_messages_from_two_source_chains_both_execute() -> None:
    ours, theirs = source(), source(chain_id=THIRD)
    assert ours.payload(TO_DESTINATION) == theirs.payload(TO_DESTINATION)
    dest = Destination(
        TrustMode.P2P,
        peers=((SOURCE, SOURCE_SEQUENCER.address), (THIRD, SOURCE_SEQUENCER.address)),
    )
    built = dest.build(
        [dest.relay_tx(ours, peer_proof(ours)), dest.relay_tx(theirs, peer_proof(theirs))]
    )
    assert [r.success for r in built.receipts[-2:]] == [True, True], dest.messenger.reverts


# ---- 9. system-module targets ----------------------------------------------------------------


@pytest.mark.parametrize("module", sorted(FORBIDDEN_TARGETS), ids=lambda a: "0x" + a.hex()[-4:])
def test_message_targeting_a_system_module_reverts(module: Address) -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    index = TO_MODULE[module]
    assert src.receipts[index].logs[0].topics[2][12:] == module
    built = dest.relay(src, hub_proof(src, hub, index), index)
    assert_refused(dest, built, "messages may not target system modules")
    assert not is_relayed(built.state, SOURCE, src.message_hash(index))


# ---- 10. expiry ------------------------------------------------------------------------------


@pytest.mark.parametrize(("after", "ok"), [(10, True), (11, False), (1_000, False)])
def test_message_expires_after_the_configured_lifetime(after: int, ok: bool) -> None:
    src = source()
    dest = Destination(TrustMode.P2P, expiry=10)
    built = dest.build([dest.relay_tx(src, peer_proof(src))], timestamp=SOURCE_TIME + after)
    if ok:
        assert_relayed(dest, built, src.message_hash(TO_DESTINATION))
    else:
        assert_refused(dest, built, "message expired")


# ---- 11. initiation before execution (OP's timestamp invariant) ------------------------------

LATER_SOURCE_TIME = SOURCE_TIME + 10
"""A source block made after the destination's block 1 (at ``SOURCE_TIME + 1``)."""


@pytest.mark.parametrize("mode", [TrustMode.P2P, TrustMode.PRECONFIRMED])
@pytest.mark.parametrize(("executed_at", "ok"), [(-1, False), (0, True), (1, True)])
def test_message_initiated_after_the_executing_block_is_refused(
    mode: TrustMode, executed_at: int, ok: bool
) -> None:
    # OP interop, "Timestamp Invariant": the identifier's timestamp MUST be at most
    # the timestamp of the block that includes the executing message; equal is fine.
    src = source(timestamp=LATER_SOURCE_TIME)
    hub = hub_block(src)
    dest = Destination(mode, [hub])
    proof = peer_proof(src) if mode is TrustMode.P2P else hub_proof(src, hub)
    built = dest.build([dest.relay_tx(src, proof)], timestamp=LATER_SOURCE_TIME + executed_at)
    if ok:
        assert_relayed(dest, built, src.message_hash(TO_DESTINATION))
    else:
        assert_refused(
            dest,
            built,
            f"message initiated after the executing block (source timestamp "
            f"{LATER_SOURCE_TIME} > {LATER_SOURCE_TIME - 1})",
        )
        assert not is_relayed(built.state, SOURCE, src.message_hash(TO_DESTINATION))


# ---- trust modes -----------------------------------------------------------------------------


def test_p2p_refuses_a_block_signed_by_another_key() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    built = dest.relay(src, peer_proof(src, key=INTRUDER))
    assert_refused(dest, built, "block is not signed by the source chain's sequencer")


def test_p2p_refuses_a_chain_with_no_configured_peer() -> None:
    src = source()
    dest = Destination(TrustMode.P2P, peers=((THIRD, SOURCE_SEQUENCER.address),))
    built = dest.relay(src, peer_proof(src))
    assert_refused(dest, built, "block is not signed by the source chain's sequencer")


def test_p2p_refuses_a_hub_proof() -> None:
    src = source()
    hub = hub_block(src)
    dest = Destination(TrustMode.P2P, [hub])
    built = dest.relay(src, hub_proof(src, hub))
    assert_refused(dest, built, "peer-to-peer mode takes the source sequencer's signed block")


@pytest.mark.parametrize("mode", [TrustMode.PRECONFIRMED, TrustMode.CONFIRMED, TrustMode.FINALIZED])
def test_hub_modes_refuse_a_peer_proof(mode: TrustMode) -> None:
    src = source()
    dest = Destination(mode, [hub_block(src, SafetyLevel.FINALIZED)])
    built = dest.relay(src, peer_proof(src))
    assert_refused(dest, built, "this trust mode takes a hub state proof")


def test_preconfirmed_refuses_a_hub_root_the_hub_client_does_not_hold() -> None:
    src = source()
    held, later = hub_block(src, number=1), hub_block(src, SafetyLevel.SAFE, number=2)
    dest = Destination(TrustMode.PRECONFIRMED, [held])
    built = dest.relay(src, hub_proof(src, later))
    assert_refused(dest, built, "hub state root is not one this chain's hub client holds")


def test_preconfirmed_refuses_a_hub_block_signed_by_another_key() -> None:
    src = source()
    held = hub_block(src, number=1)
    forged = hub_block(src, SafetyLevel.FINALIZED, number=1, key=INTRUDER)
    assert forged.header.state_root != held.header.state_root
    dest = Destination(TrustMode.PRECONFIRMED, [held])
    built = dest.relay(src, hub_proof(src, forged))
    assert_refused(dest, built, "hub state root is not one this chain's hub client holds")


def test_hub_client_refuses_a_hub_block_signed_by_another_key() -> None:
    forged = hub_block(source(), key=INTRUDER)
    dest = Destination(TrustMode.PRECONFIRMED)
    built = dest.chain.build_next(ORIGIN, [], [], SOURCE_TIME + 2, hub_updates=[forged.signed])
    assert not built.receipts[-1].success
    assert read_hub_root(built.state, 1) is None


def test_hub_modes_refuse_a_source_the_hub_marks_invalid() -> None:
    src = source()
    hub = hub_block(src, SafetyLevel.INVALID)
    dest = Destination(TrustMode.PRECONFIRMED, [hub])
    built = dest.relay(src, hub_proof(src, hub))
    assert_refused(dest, built, "the hub marks the source block invalid")


def test_proof_against_an_older_root_still_executes_while_newer_roots_keep_the_block_valid() -> (
    None
):
    src = source()
    older, newer = hub_block(src, number=1), hub_block(src, SafetyLevel.SAFE, number=2)
    dest = Destination(TrustMode.PRECONFIRMED, [older, newer])
    assert read_latest_hub(dest.chain.head_state) == 2
    built = dest.relay(src, hub_proof(src, older))
    assert_relayed(dest, built, src.message_hash(TO_DESTINATION))


@pytest.mark.xfail(
    strict=True,
    reason=(
        "not enforceable yet: the hub client holds only hub state roots, so the messenger "
        "cannot read what a newer root says about the source block without a proof against it"
    ),
)
def test_proof_against_an_older_root_is_refused_once_a_newer_root_marks_the_block_invalid() -> None:
    src = source()
    older, newer = hub_block(src, number=1), hub_block(src, SafetyLevel.INVALID, number=2)
    dest = Destination(TrustMode.PRECONFIRMED, [older, newer])
    built = dest.relay(src, hub_proof(src, older))
    assert_refused(dest, built, "a newer hub root (2) marks the source block invalid")


@pytest.mark.parametrize(
    ("mode", "status", "ok"),
    [
        (TrustMode.PRECONFIRMED, SafetyLevel.PRECONFIRMED, True),
        (TrustMode.CONFIRMED, SafetyLevel.PRECONFIRMED, False),
        (TrustMode.CONFIRMED, SafetyLevel.SAFE, False),
        (TrustMode.CONFIRMED, SafetyLevel.CONFIRMED, True),
        (TrustMode.FINALIZED, SafetyLevel.CONFIRMED, False),
        (TrustMode.FINALIZED, SafetyLevel.FINALIZED, True),
    ],
)
def test_hub_modes_require_their_cross_level(
    mode: TrustMode, status: SafetyLevel, ok: bool
) -> None:
    src = source()
    hub = hub_block(src, status)
    dest = Destination(mode, [hub])
    built = dest.relay(src, hub_proof(src, hub))
    if ok:
        assert_relayed(dest, built, src.message_hash(TO_DESTINATION))
    else:
        needed = {TrustMode.CONFIRMED: "confirmed", TrustMode.FINALIZED: "finalized"}[mode]
        assert_refused(dest, built, f"source block is not yet {needed}")


@pytest.mark.parametrize("proof_kind", ["peer", "hub"])
def test_opt_out_refuses_everything(proof_kind: str) -> None:
    src = source()
    hub = hub_block(src, SafetyLevel.FINALIZED)
    dest = Destination(TrustMode.OPT_OUT, [hub])
    proof = peer_proof(src) if proof_kind == "peer" else hub_proof(src, hub)
    built = dest.relay(src, proof)
    assert_refused(dest, built, "opt-out: this chain takes no fast messages")


@pytest.mark.parametrize("mode", [TrustMode.P2P, TrustMode.PRECONFIRMED])
def test_source_on_another_l1_fork_is_refused(mode: TrustMode) -> None:
    src = source(FORK_ORIGIN)
    hub = hub_block(src)
    dest = Destination(mode, [hub])
    proof = peer_proof(src) if mode is TrustMode.P2P else hub_proof(src, hub)
    built = dest.relay(src, proof)
    assert_refused(dest, built, "source block's L1Origin is not on this chain's L1 history")


def test_source_ahead_of_the_destinations_l1_view_is_refused_for_now() -> None:
    src = source(LATER_ORIGIN)
    dest = Destination(TrustMode.P2P)
    built = dest.relay(src, peer_proof(src))
    assert_refused(dest, built, "ahead of this chain's L1 view; retry later")


# ---- undeclared dependencies (the module called directly) ------------------------------------


def _relay_args(dest: Destination, src: Source) -> tuple[object, ...]:
    tx = dest.relay_tx(src, peer_proof(src))
    function, args = MESSENGER_ABI.decode_call(tx.data)
    assert function == "relayMessage"
    return args


def _call(
    state: WorldState, number: int, function: str, args: Sequence[object], sender: Address
) -> bytes:
    ctx = CallContext(
        state,
        CallEnv(DESTINATION, number, SOURCE_TIME + 2),
        MESSENGER_ADDRESS,
        sender,
        U256(0),
        10**7,
    )
    return Messenger().call(ctx, function, tuple(args))


def test_relay_without_the_dependency_declaration_is_refused() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    args = _relay_args(dest, src)
    state = dest.chain.head_state.copy()
    before = messenger_storage(state)
    with pytest.raises(ModuleRevert, match="source block was not declared as a dependency"):
        _call(state, 2, "relayMessage", args, RELAYER.address)
    assert messenger_storage(state) == before

    # Declared in an earlier block only: still refused in this one.
    declare = [(SOURCE, 1, src.block.hash)]
    _call(state, 1, "declareDependencies", [declare], L1_ATTRIBUTES_DEPOSITOR)
    with pytest.raises(ModuleRevert, match="not declared as a dependency of this block"):
        _call(state, 2, "relayMessage", args, RELAYER.address)

    # Declared for another version of the source block: refused.
    other = [(SOURCE, 1, keccak256(b"another 901 block 1"))]
    _call(state, 2, "declareDependencies", [other], L1_ATTRIBUTES_DEPOSITOR)
    with pytest.raises(ModuleRevert, match="not declared as a dependency"):
        _call(state, 2, "relayMessage", args, RELAYER.address)
    assert not is_relayed(state, SOURCE, src.message_hash(TO_DESTINATION))

    # Declared in this block: accepted.
    _call(state, 2, "declareDependencies", [declare], L1_ATTRIBUTES_DEPOSITOR)
    _call(state, 2, "relayMessage", args, RELAYER.address)
    assert is_relayed(state, SOURCE, src.message_hash(TO_DESTINATION))


def test_only_the_depositor_may_declare_dependencies() -> None:
    src = source()
    dest = Destination(TrustMode.P2P)
    state = dest.chain.head_state.copy()
    declare = [(SOURCE, 1, src.block.hash)]
    with pytest.raises(ModuleRevert, match="only the depositor account"):
        _call(state, 2, "declareDependencies", [declare], RELAYER.address)
