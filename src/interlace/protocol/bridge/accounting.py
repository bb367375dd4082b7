"""Per-chain accounting: AggLayer's pessimistic proof, checked in plain code.

For every chain and every token that did not originate on it, the chain's balance is what
was bridged into it minus what left it, and it never goes below zero. Whatever a chain's
own validity proof or fault game says, a certificate that breaks this is refused, so a
chain whose prover or operator is compromised cannot take more than was deposited to it.

A chain's committed state (``NetworkState``, what L1 keeps per chain) is its local exit
tree's frontier, its local balance tree's root (depth 192, keyed by ``TokenInfo``, values
``uint256`` balances big-endian) and its nullifier tree's root (depth 64, keyed by (source
network, leaf index), value ``0x01 00…00`` once imported), as agglayer's ``NetworkState``.
A ``Certificate`` has the fields of agglayer's: ``network_id``, ``height``,
``prev_local_exit_root``, ``new_local_exit_root``, ``bridge_exits`` and
``imported_bridge_exits`` with their claim data. The witness (``AccountingWitness``) is
what the prover's ``MultiBatchHeader`` adds: one balance path per token the certificate
moves and one nullifier path per imported exit.

``apply_certificate`` is ``NetworkState::apply_batch_header``: it checks, in their order,

1. the height and the previous local exit root are the chain's;
2. each imported exit comes from another network, is destined to this one, proves against
   a global exit root L1 knows (``verify_claim``) and was not imported before (its
   nullifier path shows the key unset; the tree then sets it);
3. each bridge exit leaves for another network; it is appended to the exit tree; a message
   names its own network as origin, and ETH (address zero) only network 0;
4. the new local exit root is what the appends give;
5. per token not native to the chain: old balance + imported − exited is within
   0 … 2^256 − 1 (imports count before exits, as theirs), and the balance path proves the
   old balance under the root left by the tokens before it.

It changes nothing unless every check passes. The cost grows with the exits and tokens in
the certificate (one exit-tree append per exit, 64 hashes per import, 2 × 192 per token),
not with the chain's history.

``ChainLedger`` is the other side, the hub's: it keeps the full trees and builds the
witness, and it applies its own certificates through ``apply_certificate`` too, so the
rule exists once.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from interlace.primitives.exit_tree import (
    EXIT_TREE_DEPTH,
    ExitTree,
    append_to_frontier,
    frontier_root,
)
from interlace.primitives.types import ZERO_HASH, Hash32, to_hex
from interlace.protocol.bridge.claim import ClaimProof, verify_claim
from interlace.protocol.bridge.errors import (
    AccountingRefused,
    BalanceOverflow,
    BalanceUnderflow,
    BridgeRefused,
    DestinationNetworkInvalid,
    ImportedExitInvalid,
    InvalidBalancePath,
    InvalidNullifierPath,
    InvalidTokenInfo,
    LocalExitRootMismatch,
    MissingBalanceProof,
)
from interlace.protocol.bridge.format import (
    MAINNET_NETWORK_ID,
    BridgeExit,
    LeafType,
    TokenInfo,
    decode_global_index,
    nullifier_key_bits,
)
from interlace.protocol.bridge.smt import (
    EMPTY_SUBTREE,
    SparseMerkleTree,
    root_from_inclusion,
    root_from_non_inclusion,
)

__all__ = [
    "BALANCE_TREE_DEPTH",
    "NULLIFIED",
    "NULLIFIER_TREE_DEPTH",
    "AccountingWitness",
    "BalanceProof",
    "Certificate",
    "CertificateHeightMismatch",
    "ChainLedger",
    "ImportedBridgeExit",
    "NetworkState",
    "apply_certificate",
    "token_flows",
]

BALANCE_TREE_DEPTH = 192
"""32 bits of origin network and 160 of token address (``LOCAL_BALANCE_TREE_DEPTH``)."""

NULLIFIER_TREE_DEPTH = 64
"""32 bits of source network and 32 of leaf index (``NULLIFIER_TREE_DEPTH``)."""

NULLIFIED = Hash32(b"\x01" + b"\x00" * 31)
"""A set nullifier's value (agglayer's ``Digest::from_bool(true)``)."""

_U256_MAX = 2**256 - 1


class CertificateHeightMismatch(AccountingRefused):
    """The certificate's height is not the chain's next one."""


@dataclass(frozen=True, slots=True)
class ImportedBridgeExit:
    """An exit of another chain claimed on this one, with what proves it."""

    bridge_exit: BridgeExit
    claim: ClaimProof

    @property
    def global_index(self) -> int:
        """The exit's ``uint256`` global index."""
        return self.claim.global_index


@dataclass(frozen=True, slots=True)
class Certificate:
    """What a chain exported and imported over a range of blocks (agglayer's
    ``Certificate`` without the signature and the aggchain data: here the hub's aggregate
    carries the authority)."""

    network_id: int
    height: int
    prev_local_exit_root: Hash32
    new_local_exit_root: Hash32
    bridge_exits: tuple[BridgeExit, ...] = ()
    imported_bridge_exits: tuple[ImportedBridgeExit, ...] = ()


@dataclass(frozen=True, slots=True)
class BalanceProof:
    """A token's balance before the certificate and its path in the local balance tree."""

    token: TokenInfo
    balance: int
    siblings: tuple[Hash32, ...]


@dataclass(frozen=True, slots=True)
class AccountingWitness:
    """The paths ``apply_certificate`` checks a certificate with."""

    balances: tuple[BalanceProof, ...] = ()
    """One per token the certificate moves, each against the root the ones before left."""
    nullifiers: tuple[tuple[Hash32, ...], ...] = ()
    """One non-inclusion path per imported exit, in order, each against the root the ones
    before left."""


@dataclass(frozen=True, slots=True)
class NetworkState:
    """A chain's committed bridge state, as L1 keeps it."""

    exit_count: int = 0
    exit_frontier: tuple[Hash32, ...] = (ZERO_HASH,) * EXIT_TREE_DEPTH
    """The exit tree's branch array (``_branch``); entry h is meaningful when bit h of
    ``exit_count`` is set."""
    balance_root: Hash32 = EMPTY_SUBTREE[BALANCE_TREE_DEPTH]
    nullifier_root: Hash32 = EMPTY_SUBTREE[NULLIFIER_TREE_DEPTH]
    height: int = 0
    """The next certificate's height."""

    @property
    def local_exit_root(self) -> Hash32:
        """The exit tree's root (``getRoot``)."""
        return frontier_root(self.exit_count, self.exit_frontier)


def _balance_value(balance: int) -> Hash32:
    return Hash32(balance.to_bytes(32, "big"))


def token_flows(network_id: int, certificate: Certificate) -> dict[TokenInfo, tuple[int, int]]:
    """Per token not native to ``network_id``: (imported, exited) in the certificate. ETH a
    message carries counts as ETH."""
    flows: dict[TokenInfo, tuple[int, int]] = {}
    for imported in certificate.imported_bridge_exits:
        token = imported.bridge_exit.amount_token
        if token.origin_network != network_id:
            inflow, outflow = flows.get(token, (0, 0))
            flows[token] = (inflow + imported.bridge_exit.amount, outflow)
    for exit_ in certificate.bridge_exits:
        token = exit_.amount_token
        if token.origin_network != network_id:
            inflow, outflow = flows.get(token, (0, 0))
            flows[token] = (inflow, outflow + exit_.amount)
    return flows


def _check_exit(network_id: int, exit_: BridgeExit) -> None:
    if exit_.destination_network == network_id:
        raise DestinationNetworkInvalid(f"network {network_id} cannot exit to itself")
    if exit_.leaf_type is LeafType.MESSAGE and exit_.token.origin_network != network_id:
        raise InvalidTokenInfo(
            f"a message exit of network {network_id} names origin network "
            f"{exit_.token.origin_network}"
        )
    if exit_.token.is_eth and exit_.token.origin_network != MAINNET_NETWORK_ID:
        raise InvalidTokenInfo(
            f"an exit of network {network_id} names ETH (address zero) with origin network "
            f"{exit_.token.origin_network}"
        )


def apply_certificate(
    state: NetworkState,
    certificate: Certificate,
    witness: AccountingWitness,
    knows_root: Callable[[Hash32], bool],
) -> NetworkState:
    """The chain's state after ``certificate``, or a typed ``AccountingRefused`` (or another
    ``BridgeRefused``) naming what failed; ``state`` is a value and is never changed.

    ``knows_root`` answers whether L1 recorded a global exit root.
    """
    network = certificate.network_id
    if certificate.height != state.height:
        raise CertificateHeightMismatch(
            f"network {network}: certificate height {certificate.height}, expected {state.height}"
        )
    if certificate.prev_local_exit_root != state.local_exit_root:
        raise LocalExitRootMismatch(
            f"network {network}: previous local exit root "
            f"{to_hex(certificate.prev_local_exit_root)}, the chain's is "
            f"{to_hex(state.local_exit_root)}"
        )
    imports = certificate.imported_bridge_exits
    if len(witness.nullifiers) != len(imports):
        raise InvalidNullifierPath(
            f"network {network}: {len(imports)} imported exits, "
            f"{len(witness.nullifiers)} nullifier paths"
        )
    nullifier_root = state.nullifier_root
    for imported, path in zip(imports, witness.nullifiers, strict=True):
        nullifier_root = _import_exit(network, imported, path, nullifier_root, knows_root)

    count = state.exit_count
    frontier = list(state.exit_frontier)
    for exit_ in certificate.bridge_exits:
        _check_exit(network, exit_)
        count = append_to_frontier(count, frontier, exit_.leaf_hash())
    new_root = frontier_root(count, frontier)
    if certificate.new_local_exit_root != new_root:
        raise LocalExitRootMismatch(
            f"network {network}: new local exit root {to_hex(certificate.new_local_exit_root)}, "
            f"the exits give {to_hex(new_root)}"
        )

    balance_root = _apply_balances(network, token_flows(network, certificate), witness, state)
    return NetworkState(
        exit_count=count,
        exit_frontier=tuple(frontier),
        balance_root=balance_root,
        nullifier_root=nullifier_root,
        height=state.height + 1,
    )


def _import_exit(
    network: int,
    imported: ImportedBridgeExit,
    path: Sequence[Hash32],
    nullifier_root: Hash32,
    knows_root: Callable[[Hash32], bool],
) -> Hash32:
    index = decode_global_index(imported.global_index)
    if index.source_network == network:
        raise DestinationNetworkInvalid(f"network {network} cannot import its own exit")
    try:
        verify_claim(imported.bridge_exit, imported.claim, network, knows_root)
    except BridgeRefused as exc:
        raise ImportedExitInvalid(
            f"network {network}: imported exit {index.leaf_index} of network "
            f"{index.source_network}: {exc}"
        ) from exc
    bits = nullifier_key_bits(index.source_network, index.leaf_index)
    if root_from_non_inclusion(bits, path) != nullifier_root:
        raise InvalidNullifierPath(
            f"network {network}: exit {index.leaf_index} of network {index.source_network} "
            f"is not shown unclaimed under nullifier root {to_hex(nullifier_root)} "
            "(imported before, or a wrong path)"
        )
    after = root_from_non_inclusion(bits, path, NULLIFIED)
    assert after is not None  # the same path led to the root just above
    return after


def _apply_balances(
    network: int,
    flows: dict[TokenInfo, tuple[int, int]],
    witness: AccountingWitness,
    state: NetworkState,
) -> Hash32:
    proven = {proof.token for proof in witness.balances}
    if len(proven) != len(witness.balances):
        raise InvalidBalancePath(f"network {network}: a token's balance is proven twice")
    missing = [token for token in flows if token not in proven]
    if missing:
        raise MissingBalanceProof(f"network {network}: no balance proof for {missing[0]}")
    root = state.balance_root
    for proof in witness.balances:
        if not 0 <= proof.balance <= _U256_MAX:
            raise InvalidBalancePath(f"network {network}: balance {proof.balance} of {proof.token}")
        bits = proof.token.key_bits()
        if root_from_inclusion(bits, _balance_value(proof.balance), proof.siblings) != root:
            raise InvalidBalancePath(
                f"network {network}: the path for {proof.token} does not prove balance "
                f"{proof.balance} under balance root {to_hex(root)}"
            )
        inflow, outflow = flows.get(proof.token, (0, 0))
        balance = proof.balance + inflow - outflow
        if balance < 0:
            raise BalanceUnderflow(
                f"network {network} exits {outflow} of {proof.token} but holds "
                f"{proof.balance + inflow} ({proof.balance} before, {inflow} imported): "
                f"{-balance} more than it holds"
            )
        if balance > _U256_MAX:
            raise BalanceOverflow(f"network {network}: balance of {proof.token} passes 2^256-1")
        after = root_from_inclusion(bits, _balance_value(balance), proof.siblings)
        assert after is not None  # the same siblings led to the root just above
        root = after
    return root


@dataclass
class ChainLedger:
    """One chain's bridge state in full (the hub's copy): its exit tree, balance tree and
    nullifier tree, from which it certifies ranges of exits and imports."""

    network_id: int
    exits: ExitTree = field(default_factory=ExitTree)
    balances: SparseMerkleTree = field(default_factory=lambda: SparseMerkleTree(BALANCE_TREE_DEPTH))
    nullifiers: SparseMerkleTree = field(
        default_factory=lambda: SparseMerkleTree(NULLIFIER_TREE_DEPTH)
    )
    state: NetworkState = field(default_factory=NetworkState)

    def balance_of(self, token: TokenInfo) -> int:
        """The chain's balance of ``token`` as certified so far."""
        return int.from_bytes(self.balances.get(token.key_bits()), "big")

    def is_imported(self, source_network: int, leaf_index: int) -> bool:
        """Whether the exit at (source network, leaf index) was imported here."""
        return self.nullifiers.get(nullifier_key_bits(source_network, leaf_index)) == NULLIFIED

    def certify(
        self,
        bridge_exits: Sequence[BridgeExit],
        imported: Sequence[ImportedBridgeExit],
        knows_root: Callable[[Hash32], bool],
    ) -> tuple[Certificate, AccountingWitness]:
        """Certify the next range and apply it to the ledger; a refusal (the same one L1
        would give) leaves the ledger as it was."""
        draft = Certificate(
            network_id=self.network_id,
            height=self.state.height,
            prev_local_exit_root=self.exits.root(),
            new_local_exit_root=self._root_after(bridge_exits),
            bridge_exits=tuple(bridge_exits),
            imported_bridge_exits=tuple(imported),
        )
        nullifiers = self.nullifiers.copy()
        paths: list[tuple[Hash32, ...]] = []
        for item in imported:
            index = decode_global_index(item.global_index)
            bits = nullifier_key_bits(index.source_network, index.leaf_index)
            if nullifiers.get(bits) == NULLIFIED:
                paths.append(())  # apply_certificate names the refusal
                continue
            paths.append(nullifiers.non_inclusion_proof(bits))
            nullifiers.set(bits, NULLIFIED)
        balances = self.balances.copy()
        proofs: list[BalanceProof] = []
        for token, (inflow, outflow) in sorted(
            token_flows(self.network_id, draft).items(),
            key=lambda item: (item[0].origin_network, item[0].origin_address),
        ):
            bits = token.key_bits()
            balance = int.from_bytes(balances.get(bits), "big")
            proofs.append(BalanceProof(token, balance, balances.inclusion_proof(bits)))
            after = balance + inflow - outflow
            if 0 <= after <= _U256_MAX:
                balances.set(bits, _balance_value(after))
        witness = AccountingWitness(tuple(proofs), tuple(paths))
        self.state = apply_certificate(self.state, draft, witness, knows_root)
        for exit_ in bridge_exits:
            self.exits.append(exit_.leaf_hash())
        self.nullifiers, self.balances = nullifiers, balances
        return draft, witness

    def _root_after(self, bridge_exits: Sequence[BridgeExit]) -> Hash32:
        count = len(self.exits)
        frontier = list(self.exits.frontier())
        for exit_ in bridge_exits:
            count = append_to_frontier(count, frontier, exit_.leaf_hash())
        return frontier_root(count, frontier)
