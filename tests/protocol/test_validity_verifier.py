"""The L1 ``ValidityVerifier``: witness proofs extend a chain's proven head one block at a time.

The rollup is a real ``RollupChain`` with a few blocks of transfers (and a
fork of block 1); its proofs are real witness proofs. The L1 runs the
module through the chain engine with signed transactions, so gas, logs and
receipts are the chain's own. Every refusal is checked three ways: a direct
module call reverts with the typed error as the cause, a transaction gets a
status-0 receipt, and the module's storage root and the proven head stay put.
"""

from dataclasses import replace
from typing import Final

import pytest
import rlp

from interlace.primitives.header import header_hash
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.receipt import Receipt
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp
from interlace.primitives.types import U64, U256, Address, ChainId, Hash32
from interlace.protocol.chain.block import (
    Block,
    ChainConfig,
    execute_block,
    genesis_header,
)
from interlace.protocol.chain.block import build_block as seal_block
from interlace.protocol.chain.errors import ModuleRevert, OutOfGas
from interlace.protocol.chain.history import (
    HISTORY_SERVE_WINDOW,
    HISTORY_STORAGE_ADDRESS,
    read_block_hash,
    store_parent_hash,
)
from interlace.protocol.chain.modules import CallContext, CallEnv, NativeModule
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.genesis import L1_CHAIN_ID, build_l1_genesis, l1_modules
from interlace.protocol.proofs import (
    BlockClaim,
    InvalidValidityProof,
    MalformedBlockClaim,
    MalformedValidityProof,
    decode_block_claim,
    encode_block_claim,
)
from interlace.protocol.proofs.verifier_module import (
    VALIDITY_VERIFIER_ABI,
    VALIDITY_VERIFIER_ADDRESS,
    AlreadyProven,
    NotNextBlock,
    OriginNotAncestor,
    ParentMismatch,
    ParentStateRootMismatch,
    UnknownValidityChain,
    ValidityVerifier,
    WrongClaimChain,
    configure_verifier,
    read_proven_block,
    read_proven_head,
    submit_proof_gas,
)
from interlace.protocol.proofs.witness import block_claim, make_witness_proof
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin
from tests.protocol.support import ALICE, BOB, ETHER, GWEI, l1_genesis, transfer

CHAIN: Final = ChainId(901)
OTHER_CHAIN: Final = ChainId(902)
PLACEHOLDER: Final = L1Origin(U64(0), Hash32(b"\x11" * 32), U64(0), U256(GWEI))
"""A rollup genesis's L1Origin, which its hash does not commit to."""
USERS: Final = tuple(private_key_from_seed(b"validity user %d" % i) for i in range(12))
SUBMITTER: Final = ALICE


# ---- the rollup and its proofs ---------------------------------------------------------------


def make_rollup(blocks: int = 4, chain_id: ChainId = CHAIN) -> RollupChain:
    """A rollup with ``blocks`` blocks of transfers among ``USERS``."""
    chain = RollupChain(RollupGenesis(chain_id, PLACEHOLDER, 0, {k.address: ETHER for k in USERS}))
    origin = L1(chain).origin  # blocks built on the L1 genesis, which L1 can check
    nonces = [0] * len(USERS)
    for number in range(1, blocks + 1):
        txs = []
        for i in range(number, number + 3):
            to = USERS[(i + number) % len(USERS)].address
            txs.append(transfer(USERS[i], nonces[i], to, 1000 + i, chain_id=chain_id))
            nonces[i] += 1
        built = chain.build_next(origin, (), txs, number * 2)
        assert not built.rejected
        chain.append(built, origin)
    return chain


def fork_block_1(chain: RollupChain) -> tuple[Block, bytes]:
    """Another valid block 1 on the same genesis (other transfers), and its proof."""
    other = RollupChain(chain.genesis)
    origin = chain.origin_at(1)
    built = other.build_next(origin, (), [transfer(USERS[0], 0, BOB.address, 7)], 2)
    other.append(built, origin)
    return built.block, proof_of(other, 1)


def proof_of(chain: RollupChain, number: int) -> bytes:
    return make_witness_proof(
        chain.states[number - 1],
        chain.blocks[number - 1].header,
        chain.blocks[number],
        chain.modules,
        chain.config,
    )


def claim_of(chain: RollupChain, number: int) -> BlockClaim:
    return block_claim(chain.config.chain_id, chain.blocks[number - 1].header, chain.blocks[number])


# ---- an L1 with the verifier ---------------------------------------------------------------------


class L1:
    """An L1 with ``ValidityVerifier`` configured for ``rollup`` at genesis."""

    def __init__(self, rollup: RollupChain) -> None:
        genesis = l1_genesis()
        _, state = build_l1_genesis(genesis)
        gen = rollup.blocks[0]
        configure_verifier(state, {rollup.config.chain_id: (gen.hash, gen.header.state_root)})
        self.config: ChainConfig = genesis.config
        self.header = genesis_header(genesis.config, state, 0)
        self.state: WorldState = state
        self.origin = L1Origin(
            U64(0), header_hash(self.header), U64(self.header.timestamp), U256(GWEI)
        )
        """L1 block 0 as a rollup block's L1Origin."""
        self.module = ValidityVerifier()
        self.modules: dict[Address, NativeModule] = {
            **l1_modules(),
            VALIDITY_VERIFIER_ADDRESS: self.module,
        }

    def submit(
        self,
        claim: bytes,
        proof: bytes,
        *,
        chain_id: int = CHAIN,
        sender: PrivateKey = SUBMITTER,
        gas_limit: int | None = None,
    ) -> Receipt:
        data = VALIDITY_VERIFIER_ABI.function("submitProof").encode_call(chain_id, claim, proof)
        nonce = self.state.get_account(sender.address).nonce
        tx = transfer(
            sender,
            nonce,
            VALIDITY_VERIFIER_ADDRESS,
            chain_id=L1_CHAIN_ID,
            gas_limit=gas_limit or submit_proof_gas(data, len(proof)),
            max_fee=100 * GWEI,
            data=data,
        )
        parent, parent_state = self.header, self.state
        built = seal_block(
            self.config, parent, parent_state, self.modules, [tx], timestamp=parent.timestamp + 12
        )
        assert built.rejected == ()
        # Validators re-executing the L1 block agree with the builder.
        state, receipts = execute_block(
            self.config, parent, parent_state, self.modules, built.block
        )
        assert state.state_root() == built.state.state_root()
        assert receipts == built.receipts
        self.header, self.state = built.block.header, built.state
        return built.receipts[0]

    def call(self, function: str, *args: object) -> tuple[object, ...]:
        fn = VALIDITY_VERIFIER_ABI.function(function)
        env = CallEnv(L1_CHAIN_ID, self.header.number, self.header.timestamp)
        return fn.decode_return(self.module.view(self.state, env, fn.encode_call(*args)))

    def storage_root(self) -> Hash32:
        return self.state.storage_trie(VALIDITY_VERIFIER_ADDRESS).root()

    def direct_submit(self, chain_id: int, claim: bytes, proof: bytes) -> ModuleRevert:
        """Call the module without a transaction on a copy; it must revert, writing nothing."""
        state = self.state.copy()
        # What the next block writes before its transactions (its parent's hash).
        store_parent_hash(state, self.header.number + 1, header_hash(self.header))
        ctx = CallContext(
            state,
            CallEnv(L1_CHAIN_ID, self.header.number + 1, self.header.timestamp + 12),
            VALIDITY_VERIFIER_ADDRESS,
            BOB.address,
            U256(0),
            10**9,
        )
        with pytest.raises(ModuleRevert) as info:
            self.module.call(ctx, "submitProof", (chain_id, claim, proof))
        assert ctx.logs == []
        assert state.storage_trie(VALIDITY_VERIFIER_ADDRESS).root() == self.storage_root()
        return info.value


def assert_refused(
    l1: L1, error: type[Exception], claim: bytes, proof: bytes, chain_id: int = CHAIN
) -> ModuleRevert:
    """The submission is refused with ``error``, and nothing changes; returns the revert."""
    revert = l1.direct_submit(chain_id, claim, proof)
    assert isinstance(revert.__cause__, error)
    assert str(revert).startswith(f"{error.__name__}: ")
    before_storage, before_head = l1.storage_root(), read_proven_head(l1.state, CHAIN)
    receipt = l1.submit(claim, proof, chain_id=chain_id)
    assert not receipt.success
    assert receipt.logs == ()
    assert l1.storage_root() == before_storage
    assert read_proven_head(l1.state, CHAIN) == before_head
    return revert


def prove(l1: L1, rollup: RollupChain, number: int) -> Receipt:
    receipt = l1.submit(encode_block_claim(claim_of(rollup, number)), proof_of(rollup, number))
    assert receipt.success
    return receipt


@pytest.fixture(scope="module")
def rollup() -> RollupChain:
    return make_rollup()


# ---- the claim's encoding ------------------------------------------------------------------------


def test_claim_encoding_is_the_documented_rlp(rollup: RollupChain) -> None:
    claim = claim_of(rollup, 2)
    raw = encode_block_claim(claim)
    # pyrlp is the reference: the fields in declaration order, integers minimal.
    assert raw == rlp.encode(
        [
            claim.chain_id,
            claim.number,
            claim.parent_hash,
            claim.parent_state_root,
            claim.state_root,
            claim.receipts_root,
            claim.transactions_root,
            claim.block_hash,
            claim.dependencies_hash,
            claim.l1_origin_number,
            claim.l1_origin_hash,
        ]
    )
    assert decode_block_claim(raw) == claim
    assert (claim.l1_origin_number, claim.l1_origin_hash) == (0, rollup.origin_at(2).hash)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda items: items[:-1],  # too short
        lambda items: [*items, b""],  # too long
        lambda items: [b"\x00\x01", *items[1:]],  # non-canonical integer
        lambda items: [items[0], items[1], items[2][:31], *items[3:]],  # short hash
        lambda items: [items[0], [items[1]], *items[2:]],  # list for an integer
    ],
)
def test_malformed_claims_are_refused(rollup: RollupChain, mutate: object) -> None:
    items = decode_rlp(encode_block_claim(claim_of(rollup, 1)))
    assert isinstance(items, list)
    assert callable(mutate)
    with pytest.raises(MalformedBlockClaim):
        decode_block_claim(encode_rlp(mutate(items)))
    with pytest.raises(MalformedBlockClaim):
        decode_block_claim(encode_block_claim(claim_of(rollup, 1)) + b"\x00")


# ---- accepted proofs -----------------------------------------------------------------------------


def test_genesis_is_the_proven_head(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    genesis = rollup.blocks[0]
    assert read_proven_head(l1.state, CHAIN) == (0, genesis.hash, genesis.header.state_root)
    assert read_proven_block(l1.state, CHAIN, 0, genesis.hash) == genesis.header.state_root
    assert read_proven_block(l1.state, CHAIN, 1, rollup.blocks[1].hash) is None
    assert read_proven_head(l1.state, OTHER_CHAIN) is None
    assert l1.call("provenHead", CHAIN) == (0, genesis.hash, genesis.header.state_root)


def test_a_chain_of_proofs_moves_the_head(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    event = VALIDITY_VERIFIER_ABI.event("BlockProven")
    for number in range(1, 5):
        block = rollup.blocks[number]
        receipt = prove(l1, rollup, number)
        (log,) = receipt.logs
        assert log.address == VALIDITY_VERIFIER_ADDRESS
        assert log.topics[0] == event.topic0
        assert event.decode_log(log.topics, log.data) == (
            CHAIN,
            number,
            block.hash,
            block.header.state_root,
        )
        assert read_proven_head(l1.state, CHAIN) == (number, block.hash, block.header.state_root)
        assert read_proven_block(l1.state, CHAIN, number, block.hash) == block.header.state_root
        assert l1.call("isProven", CHAIN, number, block.hash) == (True,)
        assert l1.call("provenStateRoot", CHAIN, number, block.hash) == (block.header.state_root,)
    # Earlier blocks stay proven; a block never proven is not, nor a hash at another height.
    block_2 = rollup.blocks[2]
    assert read_proven_block(l1.state, CHAIN, 2, block_2.hash) == block_2.header.state_root
    assert read_proven_block(l1.state, CHAIN, 3, block_2.hash) is None
    assert l1.call("isProven", CHAIN, 5, rollup.blocks[4].hash) == (False,)
    assert l1.call("provenStateRoot", CHAIN, 5, rollup.blocks[4].hash) == (b"\x00" * 32,)


def test_a_proof_once_accepted_is_not_accepted_again(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    prove(l1, rollup, 1)
    assert_refused(l1, AlreadyProven, encode_block_claim(claim_of(rollup, 1)), proof_of(rollup, 1))


def test_a_1000_transfer_block_fits_the_l1_block_gas_limit() -> None:
    keys = [private_key_from_seed(b"big %d" % i) for i in range(300)]
    chain = RollupChain(RollupGenesis(CHAIN, PLACEHOLDER, 0, {k.address: ETHER for k in keys}))
    origin = L1(chain).origin
    nonces = [0] * len(keys)
    txs = []
    for i in range(1000):
        sender = (i * 7) % len(keys)
        txs.append(transfer(keys[sender], nonces[sender], keys[(i * 13) % len(keys)].address, 1))
        nonces[sender] += 1
    built = chain.build_next(origin, (), txs, 2)
    assert not built.rejected
    chain.append(built, origin)
    l1 = L1(chain)
    claim, proof = encode_block_claim(claim_of(chain, 1)), proof_of(chain, 1)
    data = VALIDITY_VERIFIER_ABI.function("submitProof").encode_call(CHAIN, claim, proof)
    limit = submit_proof_gas(data, len(proof))
    assert limit < l1.config.gas_limit
    receipt = l1.submit(claim, proof)
    assert receipt.success
    assert read_proven_head(l1.state, CHAIN) == (1, built.block.hash, built.block.header.state_root)


# ---- refusals: each changes nothing ----------------------------------------------------------


def test_a_valid_proof_of_another_block_is_refused(rollup: RollupChain) -> None:
    # The claim names block 1 (the right successor); the proof proves block 2.
    l1 = L1(rollup)
    assert_refused(
        l1, InvalidValidityProof, encode_block_claim(claim_of(rollup, 1)), proof_of(rollup, 2)
    )


def test_a_valid_proof_of_a_fork_block_is_refused_for_the_canonical_claim(
    rollup: RollupChain,
) -> None:
    fork, fork_proof = fork_block_1(rollup)
    assert fork.hash != rollup.blocks[1].hash
    l1 = L1(rollup)
    assert_refused(l1, InvalidValidityProof, encode_block_claim(claim_of(rollup, 1)), fork_proof)
    # The fork's own claim with its own proof is a different, valid child of genesis.
    fork_claim = block_claim(CHAIN, rollup.blocks[0].header, fork)
    assert l1.submit(encode_block_claim(fork_claim), fork_proof).success
    assert read_proven_head(l1.state, CHAIN) == (1, fork.hash, fork.header.state_root)
    # The canonical block 2 does not extend a proven block yet.
    assert_refused(l1, ParentMismatch, encode_block_claim(claim_of(rollup, 2)), proof_of(rollup, 2))


def test_two_versions_of_a_block_can_both_be_proven_and_each_grows(rollup: RollupChain) -> None:
    # Explorer seed 2009: a version proven first (its dependency was later invalidated by
    # the hub) must not stop the rebuilt version from being proven; the proven blocks are
    # a tree and the hub's aggregate says which version counts.
    fork, fork_proof = fork_block_1(rollup)
    l1 = L1(rollup)
    fork_claim = block_claim(CHAIN, rollup.blocks[0].header, fork)
    assert l1.submit(encode_block_claim(fork_claim), fork_proof).success
    assert_refused(l1, AlreadyProven, encode_block_claim(fork_claim), fork_proof)
    for number in (1, 2, 3):
        prove(l1, rollup, number)
    canonical = rollup.blocks[1]
    assert read_proven_block(l1.state, CHAIN, 1, fork.hash) == fork.header.state_root
    assert read_proven_block(l1.state, CHAIN, 1, canonical.hash) == canonical.header.state_root
    # The head is the first block proven at the greatest height: the canonical 3.
    head = rollup.blocks[3]
    assert read_proven_head(l1.state, CHAIN) == (3, head.hash, head.header.state_root)


def test_a_claim_with_another_hash_is_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim = replace(claim_of(rollup, 1), block_hash=Hash32(b"\x42" * 32))
    assert_refused(l1, InvalidValidityProof, encode_block_claim(claim), proof_of(rollup, 1))
    claim = replace(claim_of(rollup, 1), state_root=Hash32(b"\x42" * 32))
    assert_refused(l1, InvalidValidityProof, encode_block_claim(claim), proof_of(rollup, 1))


def test_a_claim_that_skips_a_block_is_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    assert_refused(l1, NotNextBlock, encode_block_claim(claim_of(rollup, 2)), proof_of(rollup, 2))
    prove(l1, rollup, 1)
    assert_refused(l1, NotNextBlock, encode_block_claim(claim_of(rollup, 3)), proof_of(rollup, 3))


def test_a_wrong_parent_hash_is_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim = replace(claim_of(rollup, 1), parent_hash=Hash32(b"\x13" * 32))
    assert_refused(l1, ParentMismatch, encode_block_claim(claim), proof_of(rollup, 1))


def test_a_wrong_parent_state_root_is_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim = replace(claim_of(rollup, 1), parent_state_root=Hash32(b"\x13" * 32))
    assert_refused(l1, ParentStateRootMismatch, encode_block_claim(claim), proof_of(rollup, 1))


def test_malformed_proof_bytes_are_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim = encode_block_claim(claim_of(rollup, 1))
    proof = proof_of(rollup, 1)
    for bad in (b"", b"\x02" + proof[1:], proof[:-5], b"\x01\xc0"):
        assert_refused(l1, MalformedValidityProof, claim, bad)


def test_malformed_claim_bytes_are_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    assert_refused(l1, MalformedBlockClaim, b"\xc0", proof_of(rollup, 1))
    assert_refused(l1, MalformedBlockClaim, encode_block_claim(claim_of(rollup, 1)) + b"\x00", b"")


def test_a_tampered_witness_node_is_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim = encode_block_claim(claim_of(rollup, 1))
    proof = proof_of(rollup, 1)
    version, body = proof[:1], decode_rlp(proof[1:])
    assert isinstance(body, list) and isinstance(body[3], list)
    nodes = list(body[3])
    node = nodes[-1]
    assert isinstance(node, bytes)
    tampered = node[:-1] + bytes([node[-1] ^ 1])
    body[3] = [*nodes[:-1], tampered]
    assert_refused(l1, InvalidValidityProof, claim, version + encode_rlp(body))
    body[3] = nodes[:-1]  # a node missing
    assert_refused(l1, InvalidValidityProof, claim, version + encode_rlp(body))


def test_a_proof_for_another_chain_is_refused(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim = encode_block_claim(claim_of(rollup, 1))
    proof = proof_of(rollup, 1)
    assert_refused(l1, UnknownValidityChain, claim, proof, chain_id=OTHER_CHAIN)
    other = make_rollup(1, OTHER_CHAIN)
    assert_refused(l1, WrongClaimChain, encode_block_claim(claim_of(other, 1)), proof_of(other, 1))


def test_too_little_gas_changes_nothing(rollup: RollupChain) -> None:
    l1 = L1(rollup)
    claim, proof = encode_block_claim(claim_of(rollup, 1)), proof_of(rollup, 1)
    data = VALIDITY_VERIFIER_ABI.function("submitProof").encode_call(CHAIN, claim, proof)
    before = l1.storage_root()
    receipt = l1.submit(claim, proof, gas_limit=submit_proof_gas(data, len(proof)) - 200_000)
    assert not receipt.success
    assert l1.storage_root() == before
    state = l1.state.copy()
    ctx = CallContext(
        state, CallEnv(L1_CHAIN_ID, 1, 1), VALIDITY_VERIFIER_ADDRESS, BOB.address, U256(0), 60_000
    )
    with pytest.raises(OutOfGas):
        l1.module.call(ctx, "submitProof", (CHAIN, claim, proof))
    assert state.storage_trie(VALIDITY_VERIFIER_ADDRESS).root() == before


def test_configure_refuses_misuse(rollup: RollupChain) -> None:
    state = WorldState()
    genesis = rollup.blocks[0]
    pair = (genesis.hash, genesis.header.state_root)
    with pytest.raises(ValueError, match="out of range"):
        configure_verifier(state, {0: pair})
    with pytest.raises(ValueError, match="non-zero"):
        configure_verifier(state, {CHAIN: (Hash32(b"\x00" * 32), genesis.header.state_root)})
    configure_verifier(state, {CHAIN: pair})
    with pytest.raises(ValueError, match="already registered"):
        configure_verifier(state, {CHAIN: pair})


def test_a_proof_of_a_block_on_an_l1_origin_this_l1_does_not_hold_is_refused() -> None:
    """Seed 631: a proof sent before an L1 reorg and re-included after it proved a block
    whose L1Origin the reorg had removed; derivation no longer produces that block, so
    L1 must refuse it (and keep the height free for the rebuilt block)."""
    chain = RollupChain(RollupGenesis(CHAIN, PLACEHOLDER, 0, {k.address: ETHER for k in USERS}))
    gone = L1Origin(U64(0), Hash32(b"\x22" * 32), U64(0), U256(GWEI))  # another fork's block 0
    built = chain.build_next(gone, (), [transfer(USERS[1], 0, BOB.address, 5)], 2)
    chain.append(built, gone)
    l1 = L1(chain)
    claim = claim_of(chain, 1)
    assert (claim.l1_origin_number, claim.l1_origin_hash) == (0, gone.hash)
    error = assert_refused(l1, OriginNotAncestor, encode_block_claim(claim), proof_of(chain, 1))
    assert "L1Origin 0 0x2222222222222222 is 0x" in str(error)
    # The same block on the L1 block this chain holds is accepted.
    rebuilt = RollupChain(chain.genesis)
    again = rebuilt.build_next(l1.origin, (), [transfer(USERS[1], 0, BOB.address, 5)], 2)
    rebuilt.append(again, l1.origin)
    assert l1.submit(encode_block_claim(claim_of(rebuilt, 1)), proof_of(rebuilt, 1)).success


def test_block_hash_history_is_eip_2935_storage_with_its_window() -> None:
    state = WorldState()
    hashes = {n: Hash32(n.to_bytes(32, "big")) for n in range(HISTORY_SERVE_WINDOW + 3)}
    for number in range(1, HISTORY_SERVE_WINDOW + 3):
        store_parent_hash(state, number, hashes[number - 1])
    current = HISTORY_SERVE_WINDOW + 2  # the block executing now
    assert state.get_storage(
        HISTORY_STORAGE_ADDRESS, ((current - 1) % HISTORY_SERVE_WINDOW).to_bytes(32, "big")
    ) == int.from_bytes(hashes[current - 1])
    assert read_block_hash(state, current - 1, current) == hashes[current - 1]
    assert read_block_hash(state, current - HISTORY_SERVE_WINDOW, current) == hashes[2]
    assert read_block_hash(state, current - HISTORY_SERVE_WINDOW - 1, current) is None
    assert read_block_hash(state, current, current) is None
