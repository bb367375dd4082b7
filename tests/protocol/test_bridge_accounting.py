"""Per-chain accounting (AggLayer's pessimistic proof): a chain cannot exit more of a token
than came into it, cannot import an exit twice, and L1's root-only check agrees with the
hub's full ledger and with a plain balance model on random traffic."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.types import Address, Hash32
from interlace.protocol.bridge.accounting import (
    AccountingWitness,
    BalanceProof,
    Certificate,
    CertificateHeightMismatch,
    ChainLedger,
    ImportedBridgeExit,
    NetworkState,
    apply_certificate,
)
from interlace.protocol.bridge.claim import build_claim_proof
from interlace.protocol.bridge.errors import (
    BalanceUnderflow,
    DestinationNetworkInvalid,
    ImportedExitInvalid,
    InvalidBalancePath,
    InvalidNullifierPath,
    InvalidTokenInfo,
    LocalExitRootMismatch,
    MissingBalanceProof,
)
from interlace.protocol.bridge.format import (
    ETH_TOKEN,
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    global_exit_root,
)

USER = Address(b"\xaa" * 20)
TOKEN = TokenInfo(0, Address(b"\x70" * 20))
OWN_TOKEN = TokenInfo(1, Address(b"\x71" * 20))


class L1:
    """L1's exit tree of deposits and the global exit roots it recorded."""

    def __init__(self) -> None:
        self.tree = ExitTree()
        self.exits: list[BridgeExit] = []
        self.rollups = ExitTree()  # rollup exit tree, unused by mainnet claims
        self.known: set[Hash32] = set()

    def deposit(self, token: TokenInfo, amount: int, network: int = 1) -> ImportedBridgeExit:
        exit_ = BridgeExit(LeafType.ASSET, token, network, USER, amount)
        leaf = self.tree.append(exit_.leaf_hash())
        self.exits.append(exit_)
        self.known.add(global_exit_root(self.tree.root(), self.rollups.root()))
        proof = build_claim_proof(
            GlobalIndex.for_exit(0, leaf), self.tree, self.rollups, self.tree.root()
        )
        return ImportedBridgeExit(exit_, proof)

    def knows(self, root: Hash32) -> bool:
        return root in self.known


def out(token: TokenInfo, amount: int, network: int = 2) -> BridgeExit:
    return BridgeExit(LeafType.ASSET, token, network, USER, amount)


@pytest.fixture
def l1() -> L1:
    return L1()


def test_deposit_then_exits_within_the_balance(l1: L1) -> None:
    ledger = ChainLedger(1)
    certificate, _ = ledger.certify([], [l1.deposit(TOKEN, 500)], l1.knows)
    assert certificate.height == 0
    assert ledger.balance_of(TOKEN) == 500
    ledger.certify([out(TOKEN, 300)], [], l1.knows)
    assert ledger.balance_of(TOKEN) == 200
    assert ledger.state.local_exit_root == ledger.exits.root()
    assert ledger.state.height == 2


def test_a_drain_is_refused_and_changes_nothing(l1: L1) -> None:
    ledger = ChainLedger(1)
    ledger.certify([], [l1.deposit(TOKEN, 500)], l1.knows)
    before = (ledger.state, ledger.exits.root(), ledger.balances.root, ledger.nullifiers.root)
    with pytest.raises(BalanceUnderflow) as refused:
        ledger.certify([out(TOKEN, 300), out(TOKEN, 300)], [], l1.knows)
    message = str(refused.value)
    assert "network 1 exits 600 of token 0x7070" in message
    assert "holds 500" in message
    assert "100 more than it holds" in message
    after = (ledger.state, ledger.exits.root(), ledger.balances.root, ledger.nullifiers.root)
    assert after == before


def test_a_drain_with_a_forged_witness_is_refused(l1: L1) -> None:
    """The bridge-drain case: the certificate is otherwise valid, and the witness claims a
    balance the chain never had."""
    ledger = ChainLedger(1)
    ledger.certify([], [l1.deposit(TOKEN, 500)], l1.knows)
    exits = (out(TOKEN, 900),)
    tree = ExitTree.from_leaves([*(ledger.exits.leaf(i) for i in range(len(ledger.exits)))])
    tree.append(exits[0].leaf_hash())
    certificate = Certificate(1, 1, ledger.exits.root(), tree.root(), exits)
    path = ledger.balances.inclusion_proof(TOKEN.key_bits())
    forged = AccountingWitness((BalanceProof(TOKEN, 1000, path),))
    with pytest.raises(InvalidBalancePath, match="does not prove balance 1000"):
        apply_certificate(ledger.state, certificate, forged, l1.knows)
    honest = AccountingWitness((BalanceProof(TOKEN, 500, path),))
    with pytest.raises(BalanceUnderflow, match="400 more than it holds"):
        apply_certificate(ledger.state, certificate, honest, l1.knows)
    with pytest.raises(MissingBalanceProof, match="no balance proof for token 0x7070"):
        apply_certificate(ledger.state, certificate, AccountingWitness(), l1.knows)
    with pytest.raises(InvalidBalancePath, match="proven twice"):
        apply_certificate(
            ledger.state, certificate, AccountingWitness(honest.balances * 2), l1.knows
        )


def test_an_exit_imported_twice_is_refused(l1: L1) -> None:
    ledger = ChainLedger(1)
    deposit = l1.deposit(TOKEN, 500)
    ledger.certify([], [deposit], l1.knows)
    assert ledger.is_imported(0, 0)
    with pytest.raises(InvalidNullifierPath, match="exit 0 of network 0 is not shown unclaimed"):
        ledger.certify([], [deposit], l1.knows)
    with pytest.raises(InvalidNullifierPath):  # twice in one certificate
        ChainLedger(1).certify([], [deposit, deposit], l1.knows)
    assert ledger.balance_of(TOKEN) == 500


def test_imports_must_prove_against_a_known_root(l1: L1) -> None:
    deposit = l1.deposit(TOKEN, 500)
    forged = dataclasses.replace(
        deposit, bridge_exit=dataclasses.replace(deposit.bridge_exit, amount=10**9)
    )
    with pytest.raises(ImportedExitInvalid, match="imported exit 0 of network 0"):
        ChainLedger(1).certify([], [forged], l1.knows)
    elsewhere = l1.deposit(TOKEN, 5, network=3)
    with pytest.raises(ImportedExitInvalid, match="destination is network 3"):
        ChainLedger(1).certify([], [elsewhere], l1.knows)
    with pytest.raises(ImportedExitInvalid, match="never recorded"):
        ChainLedger(1).certify([], [deposit], lambda root: False)


def test_native_tokens_are_not_accounted(l1: L1) -> None:
    ledger = ChainLedger(1)
    ledger.certify([out(OWN_TOKEN, 10**40)], [], l1.knows)
    assert ledger.balance_of(OWN_TOKEN) == 0


def test_messages_carry_eth(l1: L1) -> None:
    ledger = ChainLedger(1)
    ledger.certify([], [l1.deposit(ETH_TOKEN, 50)], l1.knows)
    message = BridgeExit(LeafType.MESSAGE, TokenInfo(1, USER), 2, USER, 30)
    ledger.certify([message], [], l1.knows)
    assert ledger.balance_of(ETH_TOKEN) == 20
    with pytest.raises(BalanceUnderflow, match="exits 30 of token 0x0000"):
        ledger.certify([message], [], l1.knows)


@pytest.mark.parametrize(
    ("exit_", "error", "match"),
    [
        (out(TOKEN, 1, network=1), DestinationNetworkInvalid, "cannot exit to itself"),
        (
            BridgeExit(LeafType.ASSET, TokenInfo(2, Address(bytes(20))), 2, USER, 1),
            InvalidTokenInfo,
            "names ETH",
        ),
        (
            BridgeExit(LeafType.MESSAGE, TokenInfo(3, USER), 2, USER, 0),
            InvalidTokenInfo,
            "message exit of network 1 names origin network 3",
        ),
    ],
)
def test_exits_that_are_not_well_formed(
    l1: L1, exit_: BridgeExit, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        ChainLedger(1).certify([exit_], [], l1.knows)


def test_roots_and_height_must_chain(l1: L1) -> None:
    ledger = ChainLedger(1)
    certificate, witness = ledger.certify([out(OWN_TOKEN, 1)], [], l1.knows)
    state = NetworkState()
    with pytest.raises(CertificateHeightMismatch, match="height 1, expected 0"):
        apply_certificate(state, dataclasses.replace(certificate, height=1), witness, l1.knows)
    wrong = Hash32(b"\x05" * 32)
    with pytest.raises(LocalExitRootMismatch, match="previous local exit root"):
        apply_certificate(
            state, dataclasses.replace(certificate, prev_local_exit_root=wrong), witness, l1.knows
        )
    with pytest.raises(LocalExitRootMismatch, match="new local exit root"):
        apply_certificate(
            state, dataclasses.replace(certificate, new_local_exit_root=wrong), witness, l1.knows
        )
    assert apply_certificate(state, certificate, witness, l1.knows) == ledger.state


def test_import_from_itself_is_refused(l1: L1) -> None:
    deposit = l1.deposit(TOKEN, 5)
    with pytest.raises(DestinationNetworkInvalid, match="its own exit"):
        ChainLedger(0).certify([], [deposit], l1.knows)


amounts = st.integers(0, 2**20)
tokens = st.sampled_from([TOKEN, ETH_TOKEN, TokenInfo(0, Address(b"\x72" * 20)), OWN_TOKEN])
steps = st.lists(
    st.tuples(st.booleans(), tokens, amounts, st.integers(1, 3)), min_size=1, max_size=6
)


@settings(max_examples=30, deadline=None)
@given(st.lists(steps, min_size=1, max_size=5))
def test_ledger_agrees_with_a_balance_model(
    ranges: list[list[tuple[bool, TokenInfo, int, int]]],
) -> None:
    l1 = L1()
    ledger = ChainLedger(1)
    l1_state = NetworkState()  # what L1 keeps, advanced from certificates alone
    model: dict[TokenInfo, int] = {}
    for steps_in_range in ranges:
        exits: list[BridgeExit] = []
        imports: list[ImportedBridgeExit] = []
        delta: dict[TokenInfo, int] = {}
        for is_deposit, token, amount, destination in steps_in_range:
            if is_deposit and token != OWN_TOKEN:
                imports.append(l1.deposit(token, amount))
                delta[token] = delta.get(token, 0) + amount
            elif not is_deposit:
                exits.append(out(token, amount, network=destination + 1))
                if token != OWN_TOKEN:
                    delta[token] = delta.get(token, 0) - amount
        drains = any(model.get(t, 0) + d < 0 for t, d in delta.items())
        if drains:
            with pytest.raises(BalanceUnderflow):
                ledger.certify(exits, imports, l1.knows)
            continue
        certificate, witness = ledger.certify(exits, imports, l1.knows)
        l1_state = apply_certificate(l1_state, certificate, witness, l1.knows)
        for token, d in delta.items():
            model[token] = model.get(token, 0) + d
        assert l1_state == ledger.state
    for token in (TOKEN, ETH_TOKEN, OWN_TOKEN):
        assert ledger.balance_of(token) == (model.get(token, 0) if token != OWN_TOKEN else 0)
