"""A chain's certificate as L1 takes it: its encoding in ``settleLocalExitRoot``, the
pessimistic root L1 keeps per chain, and the running commitment of a chain's imports that
ties a certificate to the chain's own state.

``settleLocalExitRoot`` carries one ``Submission``: the ``Certificate`` (agglayer's fields),
its ``AccountingWitness`` and the chain's previous ``NetworkState`` in full (the exit tree's
frontier and the two tree roots), ABI-encoded as ``SUBMISSION_TYPES``. L1 keeps only a
commitment of that state per chain, agglayer's pessimistic root (v3)::

    keccak256(balance_root ‖ nullifier_root ‖ u32le(exit_count) ‖ u64le(height)
              ‖ u32le(network_id))

and the chain's settled local exit root; the previous state must match both (an unused
frontier entry is never read before it is overwritten, so the frontier is fixed by the root
and the count).

The exits of a certificate are tied to the chain by its new local exit root: it must be the
``lastLocalExitRoot`` a storage proof shows in the settled block. The imports are tied by
``importedExitsHash``, a hash chain the rollup bridge extends with every claim::

    importedExitsHash' = keccak256(importedExitsHash ‖ uint256(globalIndex) ‖ leafHash)

from zero at genesis. The certificate's imported exits, folded from the value L1 holds for
the chain, must give the value a storage proof shows in the settled block, so nobody
(neither a careless submitter nor a griefer) can leave out a claim and let the exit be
claimed twice. The hash chain is Interlace's: agglayer's trusted aggregator takes the
imports from the chain's own aggsender.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from interlace.primitives.abi import MalformedCalldata, abi_decode, abi_encode
from interlace.primitives.exit_tree import EXIT_TREE_DEPTH
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import ZERO_HASH, Address, Hash32
from interlace.protocol.bridge.accounting import (
    AccountingWitness,
    BalanceProof,
    Certificate,
    ChainLedger,
    ImportedBridgeExit,
    NetworkState,
)
from interlace.protocol.bridge.claim import ClaimProof
from interlace.protocol.bridge.errors import BridgeRefused
from interlace.protocol.bridge.format import BridgeExit, TokenInfo

__all__ = [
    "G_CERTIFICATE_HASH",
    "IMPORTS_GENESIS",
    "SUBMISSION_TYPES",
    "MalformedCertificate",
    "Submission",
    "build_submission",
    "certificate_gas",
    "decode_submission",
    "encode_submission",
    "fold_imports",
    "pessimistic_root",
]

_EXIT: Final = "(uint8,uint32,address,uint32,address,uint256,bytes32)"
_IMPORT: Final = f"({_EXIT},bytes32[32],bytes32[32],uint256,bytes32,bytes32)"
CERTIFICATE_TYPE: Final = f"(uint32,uint64,bytes32,bytes32,{_EXIT}[],{_IMPORT}[])"
"""(networkId, height, prevLocalExitRoot, newLocalExitRoot, bridgeExits,
importedBridgeExits); an exit is (leafType, originNetwork, originTokenAddress,
destinationNetwork, destinationAddress, amount, metadataHash), an import is (exit,
smtProofLocalExitRoot, smtProofRollupExitRoot, globalIndex, mainnetExitRoot,
rollupExitRoot)."""
STATE_TYPE: Final = "(uint32,bytes32[32],bytes32,bytes32,uint64)"
"""(exitCount, exitFrontier, balanceRoot, nullifierRoot, height)."""
WITNESS_TYPE: Final = "((uint32,address,uint256,bytes32[])[],bytes32[][])"
"""(balances: (originNetwork, originTokenAddress, balance, siblings)[], nullifierPaths)."""
SUBMISSION_TYPES: Final = (CERTIFICATE_TYPE, WITNESS_TYPE, STATE_TYPE)

IMPORTS_GENESIS: Final = ZERO_HASH
"""``importedExitsHash`` of a chain that claimed nothing."""


G_CERTIFICATE_HASH: Final = 42
"""Gas per keccak256 of 64 bytes L1 runs to check a certificate (``KECCAK256``: 30 + 6 per
word)."""


class MalformedCertificate(BridgeRefused):
    """The certificate bytes do not decode as ``SUBMISSION_TYPES``, or a field is out of
    range."""


@dataclass(frozen=True, slots=True)
class Submission:
    """What ``settleLocalExitRoot`` takes besides the storage proofs."""

    certificate: Certificate
    witness: AccountingWitness
    previous: NetworkState


def pessimistic_root(state: NetworkState, network_id: int) -> Hash32:
    """Agglayer's pessimistic root (v3) of a chain's state (``compute_pp_root``)."""
    return keccak256(
        state.balance_root
        + state.nullifier_root
        + state.exit_count.to_bytes(4, "little")
        + state.height.to_bytes(8, "little")
        + network_id.to_bytes(4, "little")
    )


def certificate_gas(submission: Submission) -> int:
    """Gas of L1's check of ``submission``, charged before it runs: a bound on its hashes.
    The exit tree's roots before and after (32 each) and up to 32 per appended exit; per
    import the claim's two 32-sibling proofs, the nullifier path before and after (64 each)
    and the hash chain; per token the balance path before and after (192 each); the two
    pessimistic roots. It grows with the certificate, never with the chain's history."""
    exits = len(submission.certificate.bridge_exits)
    imports = len(submission.certificate.imported_bridge_exits)
    tokens = len(submission.witness.balances)
    hashes = 64 + 32 * exits + (64 + 128 + 1) * imports + 384 * tokens + 2
    return G_CERTIFICATE_HASH * hashes


def fold_imports(start: Hash32, imports: Sequence[ImportedBridgeExit]) -> Hash32:
    """``importedExitsHash`` after ``imports``, from ``start`` (see the module docstring)."""
    value = start
    for item in imports:
        value = keccak256(
            value + item.global_index.to_bytes(32, "big") + item.bridge_exit.leaf_hash()
        )
    return value


def build_submission(
    network_id: int,
    settled: tuple[Sequence[BridgeExit], Sequence[ImportedBridgeExit]],
    new: tuple[Sequence[BridgeExit], Sequence[ImportedBridgeExit]],
    height: int,
    knows_root: Callable[[Hash32], bool],
) -> Submission:
    """The submission of a chain's next certificate: ``settled`` holds the exits and imports
    of every block L1 settled for it so far (over ``height`` certificates), ``new`` those of
    the blocks since. The trees are rebuilt from the chain's history, so the submitter keeps
    nothing between submissions (its work grows with the history; L1's does not). Raises
    the refusal L1 would give, naming it, if ``new`` breaks the accounting rule."""
    ledger = ChainLedger(network_id)
    ledger.certify(*settled, knows_root)
    ledger.state = replace(ledger.state, height=height)
    previous = ledger.state
    certificate, witness = ledger.certify(*new, knows_root)
    return Submission(certificate, witness, previous)


def _exit_value(exit_: BridgeExit) -> tuple[Any, ...]:
    return (*exit_.leaf_fields(), exit_.metadata_hash)


def encode_submission(submission: Submission) -> bytes:
    """The ``certificate`` argument of ``settleLocalExitRoot``."""
    cert, witness, state = submission.certificate, submission.witness, submission.previous
    imports = [
        (
            _exit_value(item.bridge_exit),
            list(item.claim.smt_proof_local_exit_root),
            list(item.claim.smt_proof_rollup_exit_root),
            item.claim.global_index,
            item.claim.mainnet_exit_root,
            item.claim.rollup_exit_root,
        )
        for item in cert.imported_bridge_exits
    ]
    return abi_encode(
        SUBMISSION_TYPES,
        [
            (
                cert.network_id,
                cert.height,
                cert.prev_local_exit_root,
                cert.new_local_exit_root,
                [_exit_value(e) for e in cert.bridge_exits],
                imports,
            ),
            (
                [
                    (p.token.origin_network, p.token.origin_address, p.balance, list(p.siblings))
                    for p in witness.balances
                ],
                [list(path) for path in witness.nullifiers],
            ),
            (
                state.exit_count,
                list(state.exit_frontier),
                state.balance_root,
                state.nullifier_root,
                state.height,
            ),
        ],
    )


def _hashes(values: Sequence[bytes]) -> tuple[Hash32, ...]:
    return tuple(Hash32(bytes(v)) for v in values)


def _exit_of(value: Sequence[Any]) -> BridgeExit:
    return BridgeExit.from_leaf_fields(value[:6], value[6])


def decode_submission(data: bytes) -> Submission:
    """The ``Submission`` in ``data``, or ``MalformedCertificate`` naming what is wrong."""
    try:
        raw_cert, raw_witness, raw_state = abi_decode(SUBMISSION_TYPES, data)
    except MalformedCalldata as exc:
        raise MalformedCertificate(f"the certificate does not decode: {exc}") from exc
    try:
        network, height, prev_root, new_root, exits, imports = raw_cert
        certificate = Certificate(
            network_id=int(network),
            height=int(height),
            prev_local_exit_root=Hash32(bytes(prev_root)),
            new_local_exit_root=Hash32(bytes(new_root)),
            bridge_exits=tuple(_exit_of(e) for e in exits),
            imported_bridge_exits=tuple(
                ImportedBridgeExit(
                    _exit_of(exit_value),
                    ClaimProof(
                        _hashes(local),
                        _hashes(rollup),
                        int(index),
                        Hash32(bytes(mainnet)),
                        Hash32(bytes(rollup_root)),
                    ),
                )
                for exit_value, local, rollup, index, mainnet, rollup_root in imports
            ),
        )
        balances, nullifiers = raw_witness
        witness = AccountingWitness(
            balances=tuple(
                BalanceProof(
                    TokenInfo(int(origin), Address(bytes(token))),
                    int(balance),
                    _hashes(siblings),
                )
                for origin, token, balance, siblings in balances
            ),
            nullifiers=tuple(_hashes(path) for path in nullifiers),
        )
        count, frontier, balance_root, nullifier_root, state_height = raw_state
        previous = NetworkState(
            exit_count=int(count),
            exit_frontier=_hashes(frontier),
            balance_root=Hash32(bytes(balance_root)),
            nullifier_root=Hash32(bytes(nullifier_root)),
            height=int(state_height),
        )
    except (ValueError, BridgeRefused) as exc:
        raise MalformedCertificate(f"a certificate field is out of range: {exc}") from exc
    if len(previous.exit_frontier) != EXIT_TREE_DEPTH:
        raise MalformedCertificate("the exit frontier must have 32 entries")
    return Submission(certificate, witness, previous)
