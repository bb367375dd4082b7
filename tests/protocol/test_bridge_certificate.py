"""Certificates at settlement: L1 takes a rollup's local exit root only with the chain's
certificate for the blocks since its last one, checked against the settled block's state
(storage proofs of ``lastLocalExitRoot`` and ``importedExitsHash``) and by the per-chain
accounting rule. The drain of a chain whose own proof was forged is refused with the
figures; every refusal writes nothing."""

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U256, Address, Hash32
from interlace.protocol.bridge.accounting import (
    AccountingWitness,
    BalanceProof,
    Certificate,
    ChainLedger,
    ImportedBridgeExit,
    NetworkState,
)
from interlace.protocol.bridge.certificate import (
    MalformedCertificate,
    Submission,
    build_submission,
    decode_submission,
    encode_submission,
    pessimistic_root,
)
from interlace.protocol.bridge.claim import build_claim_proof
from interlace.protocol.bridge.errors import BalanceUnderflow
from interlace.protocol.bridge.format import (
    ETH_TOKEN,
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    global_exit_root,
)
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    UnifiedBridge,
    bridged_balance_slot,
    configure_bridge,
    decode_claim,
    imported_exits_hash_slot,
    knows_global_exit_root,
    local_exit_root_slot,
    read_exit_roots,
    read_imported_exits_hash,
)
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.modules import CallContext
from tests.protocol.test_bridge_module import ALICE, BOB, ETH, Chain, bridge_asset, claim_call

CHAIN_ID = 901
NETWORK = 1
SUBMITTER = Address(b"\x5e" * 20)


@dataclass
class Net:
    """L1 and network 1, with L1's settled-state-root rule answering from ``settled``."""

    l1: Chain
    rollup: Chain
    settled: dict[int, Hash32]
    exits: list[BridgeExit]
    imports: list[ImportedBridgeExit]
    blocks: dict[int, tuple[int, int]]
    """Rollup block → (exits, imports) the chain held by then."""

    def bridge(self) -> UnifiedBridge:
        return UnifiedBridge(lambda _state, chain, number: self.settled.get(number))

    def mark(self) -> int:
        """Settle the rollup's current state as block ``number`` (as if an aggregate had)."""
        number = self.rollup.number
        self.settled[number] = self.rollup.state.state_root()
        self.blocks[number] = (len(self.exits), len(self.imports))
        self.rollup.number += 1
        return number

    def submission(self, number: int, since: int = 0, height: int = 0) -> Submission:
        exits, imports = self.blocks[number]
        before = self.blocks.get(since, (0, 0))
        return build_submission(
            NETWORK,
            (self.exits[: before[0]], self.imports[: before[1]]),
            (self.exits[before[0] : exits], self.imports[before[1] : imports]),
            height,
            lambda root: knows_global_exit_root(self.l1.state, root),
        )

    def settle(self, number: int, submission: Submission | bytes) -> None:
        """Call ``settleLocalExitRoot`` with proofs of the rollup's state now (``mark``
        settles the state as it is, so the proofs are of that block)."""
        state = self.rollup.state
        account = state.account_trie().proof(BRIDGE_ADDRESS)
        storage = state.storage_trie(BRIDGE_ADDRESS)
        raw = submission if isinstance(submission, bytes) else encode_submission(submission)
        ctx = CallContext(
            self.l1.state, self.l1.env().call_env(), BRIDGE_ADDRESS, SUBMITTER, U256(0), 10**8
        )
        args = (
            CHAIN_ID,
            number,
            list(account),
            list(storage.proof(local_exit_root_slot())),
            list(storage.proof(imported_exits_hash_slot())),
            raw,
        )
        self.bridge().call(ctx, "settleLocalExitRoot", args)

    def refusal(self, number: int, submission: Submission | bytes) -> str:
        before = (read_exit_roots(self.l1.state), self.network_state())
        mark = self.l1.state.checkpoint()
        with pytest.raises(ModuleRevert) as refused:
            self.settle(number, submission)
        self.l1.state.revert_to(mark)
        assert (read_exit_roots(self.l1.state), self.network_state()) == before
        return str(refused.value)

    def network_state(self) -> tuple[object, ...]:
        fn = BRIDGE_ABI.function("networkState")
        data = self.bridge().view(self.l1.state, self.l1.env().call_env(), fn.encode_call(1))
        return fn.decode_return(data)

    def claim_on_rollup(self, exit_: BridgeExit, proof_call: bytes) -> None:
        assert self.rollup.send(ALICE, proof_call).success
        imported = decode_claim(proof_call)
        assert imported is not None and imported.bridge_exit == exit_
        self.imports.append(imported)

    def exit_from_rollup(self, key_seed: bytes, amount: int) -> BridgeExit:
        key = private_key_from_seed(key_seed)
        self.rollup.state.add_balance(key.address, amount + ETH)  # the value and its gas
        out = BridgeExit(LeafType.ASSET, ETH_TOKEN, 0, key.address, amount)
        receipt = self.rollup.send(key, bridge_asset(0, key.address, amount), value=amount)
        assert receipt.success, receipt
        self.exits.append(out)
        return out


@pytest.fixture
def net() -> Net:
    """Alice deposits 3 ETH on L1 for Bob on network 1, who claims it there."""
    l1, rollup = Chain(0, 900), Chain(NETWORK, CHAIN_ID)
    configure_bridge(l1.state, 0, [CHAIN_ID])
    result = Net(l1, rollup, {}, [], [], {})
    l1.modules[BRIDGE_ADDRESS] = result.bridge()
    assert l1.send(ALICE, bridge_asset(NETWORK, BOB, 3 * ETH), value=3 * ETH).success
    deposit = BridgeExit(LeafType.ASSET, ETH_TOKEN, NETWORK, BOB, 3 * ETH)
    tree = ExitTree.from_leaves([deposit.leaf_hash()])
    mainnet, rollup_root = read_exit_roots(l1.state)
    rollup.insert_global_exit_root(global_exit_root(mainnet, rollup_root))
    proof = build_claim_proof(GlobalIndex.for_exit(0, 0), tree, ExitTree(), mainnet)
    result.claim_on_rollup(deposit, claim_call("claimAsset", deposit, proof))
    return result


def test_an_honest_range_settles_and_its_exit_is_claimed_on_l1(net: Net) -> None:
    out = net.exit_from_rollup(b"bob", ETH)
    number = net.mark()
    net.settle(number, net.submission(number))
    pp_root, height, imports = net.network_state()
    assert height == 1
    # L1 holds agglayer's pessimistic root of the chain's state: the claim imported, the
    # exit appended, 3 - 1 ETH left
    assert Hash32(bytes(pp_root)) == pessimistic_root(_ledger_after(net).state, NETWORK)
    assert Hash32(bytes(imports)) == read_imported_exits_hash(net.rollup.state)
    # the exit is in L1's global exit root now, and the claim on L1 pays out of escrow
    rollup_tree = ExitTree.from_leaves([out.leaf_hash()])
    rollups = ExitTree.from_leaves([rollup_tree.root()])
    mainnet, rollup_root = read_exit_roots(net.l1.state)
    assert rollup_root == rollups.root()
    proof = build_claim_proof(GlobalIndex.for_exit(NETWORK, 0), rollup_tree, rollups, mainnet)
    assert net.l1.send(ALICE, claim_call("claimAsset", out, proof)).success
    assert net.l1.state.balance_of(out.destination_address) == ETH


def _knows(net: Net) -> Callable[[Hash32], bool]:
    return lambda root: knows_global_exit_root(net.l1.state, root)


def _ledger_after(net: Net) -> ChainLedger:
    ledger = ChainLedger(NETWORK)
    ledger.certify(net.exits, net.imports, _knows(net))
    return ledger


def test_certificates_chain_from_one_settlement_to_the_next(net: Net) -> None:
    net.exit_from_rollup(b"bob", ETH)
    first = net.mark()
    net.settle(first, net.submission(first))
    net.exit_from_rollup(b"dan", ETH)
    second = net.mark()
    # the first certificate again: its previous state is no longer L1's
    assert "is not newer" in net.refusal(first, net.submission(first))
    stale = net.submission(second)  # the whole history as if nothing were settled
    assert "PessimisticRootMismatch" in net.refusal(second, stale)
    net.settle(second, net.submission(second, since=first, height=1))
    assert net.network_state()[1] == 2


def test_a_drain_with_a_forged_state_is_refused_with_the_figures(net: Net) -> None:
    """The bridge-drain case: the chain's state says its bridge holds 10 ETH bridged in (its
    prover or operator is compromised, so L1 settled the forged block), and it exits 5 ETH
    to L1. L1's accounting refuses the range whatever the chain's own proof said."""
    net.rollup.state.set_storage(BRIDGE_ADDRESS, bridged_balance_slot(ETH_TOKEN), 10 * ETH)
    net.exit_from_rollup(b"mallory", 5 * ETH)
    number = net.mark()
    with pytest.raises(BalanceUnderflow, match="exits 5000000000000000000 of token 0x"):
        net.submission(number)  # the submitter meets the refusal L1 would give
    # sent anyway, with a witness right in all but the balance (no witness can make it
    # enough): L1 refuses the range and writes nothing
    imports_only, witness = ChainLedger(NETWORK).certify([], net.imports, _knows(net))
    drained = replace(
        imports_only,
        new_local_exit_root=ExitTree.from_leaves([e.leaf_hash() for e in net.exits]).root(),
        bridge_exits=tuple(net.exits),
    )
    reason = net.refusal(number, Submission(drained, witness, NetworkState()))
    assert reason.startswith("BalanceUnderflow: network 1 exits 5000000000000000000 of token")
    assert "holds 3000000000000000000" in reason
    assert "2000000000000000000 more than it holds" in reason
    assert net.network_state()[1] == 0


def test_a_certificate_that_leaves_out_a_claim_is_refused(net: Net) -> None:
    net.exit_from_rollup(b"bob", ETH)
    number = net.mark()
    full = net.submission(number)
    without = replace(
        full,
        certificate=replace(full.certificate, imported_bridge_exits=()),
        witness=replace(full.witness, nullifiers=()),
    )
    assert "ImportsMismatch: the certificate's 0 imported exits" in net.refusal(number, without)


def test_bad_certificates_are_refused(net: Net) -> None:
    net.exit_from_rollup(b"bob", ETH)
    number = net.mark()
    good = net.submission(number)
    assert "MalformedCertificate" in net.refusal(number, b"\x01\x02")
    other = replace(good, certificate=replace(good.certificate, network_id=2))
    assert "WrongCertificateNetwork" in net.refusal(number, other)
    short = replace(good, certificate=replace(good.certificate, bridge_exits=()))
    assert "LocalExitRootMismatch" in net.refusal(number, short)
    fake_previous = replace(
        good, previous=replace(good.previous, balance_root=Hash32(b"\x07" * 32))
    )
    assert "PessimisticRootMismatch" in net.refusal(number, fake_previous)
    assert net.network_state()[1] == 0
    net.settle(number, good)


_ADDRESSES = st.binary(min_size=20, max_size=20).map(Address)
_HASHES = st.binary(min_size=32, max_size=32).map(Hash32)
_TOKENS = st.builds(TokenInfo, st.integers(0, 2**32 - 1), _ADDRESSES)
_EXITS = st.builds(
    BridgeExit,
    st.sampled_from(LeafType),
    _TOKENS,
    st.integers(0, 2**32 - 1),
    _ADDRESSES,
    st.integers(0, 2**256 - 1),
    _HASHES,
)
_BALANCES = st.builds(
    BalanceProof,
    _TOKENS,
    st.integers(0, 2**256 - 1),
    st.lists(_HASHES, min_size=192, max_size=192).map(tuple),
)


@given(
    exits=st.lists(_EXITS, max_size=4),
    height=st.integers(0, 2**64 - 1),
    roots=st.tuples(_HASHES, _HASHES, _HASHES, _HASHES),
    balances=st.lists(_BALANCES, max_size=2),
    paths=st.lists(st.lists(_HASHES, max_size=64).map(tuple), max_size=2),
    count=st.integers(0, 2**32 - 1),
)
@settings(max_examples=40, deadline=None)
def test_submissions_round_trip(
    *,
    exits: list[BridgeExit],
    height: int,
    roots: tuple[Hash32, Hash32, Hash32, Hash32],
    balances: list[BalanceProof],
    paths: list[tuple[Hash32, ...]],
    count: int,
) -> None:
    certificate = Certificate(3, height, roots[0], roots[1], tuple(exits))
    witness = AccountingWitness(tuple(balances), tuple(paths))
    previous = NetworkState(count, (roots[2],) * 32, roots[3], roots[0], height)
    submission = Submission(certificate, witness, previous)
    assert decode_submission(encode_submission(submission)) == submission


def test_truncated_submissions_are_malformed(net: Net) -> None:
    net.exit_from_rollup(b"bob", ETH)
    raw = encode_submission(net.submission(net.mark()))
    for cut in (0, 31, len(raw) // 2, len(raw) - 1):
        with pytest.raises(MalformedCertificate):
            decode_submission(raw[:cut])
