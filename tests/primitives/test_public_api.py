"""Pins the public surface of ``interlace.primitives``, as httpx pins its own.

The issue promised ``mpt.trie_root/make_proof/verify_proof``,
``exit_tree.ExitTree``/``verify_exit_proof``, ``tx.decode_transaction`` and
``envelope.sign_envelope/verify_envelope``. This file pins their names,
parameter names, kinds and defaults, every module's ``__all__`` (or, where a
module has none, the public names it defines), and runs each promised
function once end to end. A change here is an API change: update the pin on
purpose, never to make the test pass.
"""

import ast
import importlib
import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from eth_account import Account

from interlace.primitives import envelope, exit_tree, mpt, tx
from interlace.primitives.envelope import ExecutionPayload, SignedEnvelope, Withdrawal
from interlace.primitives.errors import InvalidProof
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.types import U64, U256, Address, Bytes256, Hash32

_POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
_EMPTY = inspect.Parameter.empty

# --- module surfaces ----------------------------------------------------------------------

EXPECTED_ALL: dict[str, list[str]] = {
    "interlace.primitives.abi": [
        "STATE_MUTABILITIES",
        "AbiEvent",
        "AbiFunction",
        "AbiModule",
        "AbiParam",
        "MalformedCalldata",
        "abi_decode",
        "abi_encode",
        "parse_event",
        "parse_function",
    ],
    "interlace.primitives.envelope": [
        "ENVELOPE_PREFIX_LENGTH",
        "MAX_TRANSACTIONS_PER_PAYLOAD",
        "MAX_WITHDRAWALS_PER_PAYLOAD",
        "PAYLOAD_FIXED_LENGTH",
        "SEQUENCER_HEADER_DOMAIN",
        "SIGNATURE_LENGTH",
        "ExecutionPayload",
        "InvalidBlockHash",
        "SignedEnvelope",
        "Withdrawal",
        "check_payload_block_hash",
        "compute_block_hash",
        "decode_envelope",
        "decode_payload",
        "decode_payload_reference",
        "encode_envelope",
        "encode_payload",
        "encode_payload_reference",
        "envelope_signing_hash",
        "header_from_payload",
        "header_signing_hash",
        "payload_hash",
        "recover_header_signer",
        "seal_payload",
        "sign_block_header",
        "sign_envelope",
        "verify_envelope",
        "withdrawals_root",
    ],
    "interlace.primitives.exit_tree": [
        "EMPTY_EXIT_ROOT",
        "EXIT_TREE_CAPACITY",
        "EXIT_TREE_DEPTH",
        "LEAF_TYPE_ASSET",
        "LEAF_TYPE_MESSAGE",
        "ZERO_HASHES",
        "ExitTree",
        "ExitTreeFull",
        "append_to_frontier",
        "compute_root_from_proof",
        "exit_leaf_hash",
        "frontier_root",
        "verify_exit_proof",
    ],
    "interlace.primitives.header": [
        "BLOOM_BYTES",
        "EMPTY_BLOOM",
        "EMPTY_OMMERS_HASH",
        "EMPTY_RECEIPTS_ROOT",
        "EMPTY_TRANSACTIONS_ROOT",
        "EMPTY_WITHDRAWALS_ROOT",
        "HEADER_FIELD_COUNT",
        "MAX_EXTRA_DATA_BYTES",
        "NONCE_BYTES",
        "ZERO_NONCE",
        "BlockHeader",
        "decode_header",
        "encode_header",
        "header_hash",
    ],
    "interlace.primitives.mpt": [
        "EMPTY_TRIE_ROOT",
        "MissingTrieNode",
        "PartialTrie",
        "Trie",
        "make_multiproof",
        "make_proof",
        "trie_root",
        "verify_proof",
    ],
    "interlace.primitives.record": ["OMIT", "Record", "record_fields"],
    "interlace.primitives.receipt": [
        "BLOOM_BYTES",
        "DEPOSIT_TX_TYPE",
        "LEGACY_TX_TYPE",
        "Log",
        "Receipt",
        "bloom_contains",
        "decode_log",
        "decode_receipt",
        "encode_log",
        "encode_receipt",
        "logs_bloom",
        "receipts_root",
        "transactions_root",
    ],
    "interlace.primitives.tx": [
        "ACCESS_LIST_TX_TYPE",
        "BLOB_TX_TYPE",
        "DEPOSIT_TX_TYPE",
        "DYNAMIC_FEE_TX_TYPE",
        "SET_CODE_TX_TYPE",
        "AccessListEntry",
        "AccessListTransaction",
        "DepositTransaction",
        "DynamicFeeTransaction",
        "LegacyTransaction",
        "SignedTransaction",
        "Transaction",
        "UnsignedAccessListTransaction",
        "UnsignedDynamicFeeTransaction",
        "UnsignedLegacyTransaction",
        "UnsignedTransaction",
        "decode_transaction",
        "encode_transaction",
        "l1_info_deposit_source_hash",
        "sign_dynamic_fee",
        "sign_transaction",
        "signing_hash",
        "upgrade_deposit_source_hash",
        "user_deposit_source_hash",
    ],
}

# Modules without ``__all__``: the public names they define themselves (imports excluded).
EXPECTED_DEFINED: dict[str, set[str]] = {
    "interlace.primitives": set(),
    "interlace.primitives.errors": {
        "InputError",
        "InterlaceError",
        "InvalidProof",
        "InvalidSignature",
        "MalformedEnvelope",
        "MalformedHeader",
        "MalformedInput",
        "MalformedProof",
        "MalformedRLP",
        "MalformedReceipt",
        "MalformedTransaction",
        "MalformedValue",
        "MisuseError",
        "WrongChainId",
    },
    "interlace.primitives.hashing": {"EMPTY_KECCAK", "keccak256"},
    "interlace.primitives.keys": {
        "PrivateKey",
        "SECP256K1_HALF_N",
        "SECP256K1_N",
        "SIGNATURE_LENGTH",
        "address_from_public_key",
        "private_key_from_seed",
        "recover_address",
        "sign_hash",
    },
    "interlace.primitives.rlp_codec": {
        "MAX_RLP_DEPTH",
        "RLPItem",
        "decode_rlp",
        "encode_list",
        "encode_rlp",
        "encode_uint",
        "read_address",
        "read_bytes",
        "read_fixed",
        "read_hash32",
        "read_list",
        "read_optional_address",
        "read_u256",
        "read_u64",
        "read_uint",
    },
    "interlace.primitives.types": {
        "U8",
        "U64",
        "U256",
        "ChainId",
        "Hash32",
        "Address",
        "Bytes256",
        "U64_MAX",
        "U256_MAX",
        "ZERO_HASH",
        "ZERO_ADDRESS",
        "to_u64",
        "to_u256",
        "to_chain_id",
        "to_hash32",
        "to_address",
        "parse_hex",
        "address_from_hex",
        "hash32_from_hex",
        "to_hex",
    },
}


def _public_names_defined_in(module: ModuleType) -> set[str]:
    """Top-level names a module binds itself (def, class, assignment), not via import."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {name for name in names if not name.startswith("_")}


def test_every_primitives_module_is_pinned() -> None:
    package = Path(importlib.import_module("interlace.primitives").__file__ or "").parent
    found = {
        "interlace.primitives" if p.stem == "__init__" else f"interlace.primitives.{p.stem}"
        for p in package.glob("*.py")
    }
    assert found == set(EXPECTED_ALL) | set(EXPECTED_DEFINED)


@pytest.mark.parametrize("name", sorted(EXPECTED_ALL))
def test_module_all_is_pinned(name: str) -> None:
    module = importlib.import_module(name)
    assert list(module.__all__) == EXPECTED_ALL[name]
    for exported in module.__all__:
        assert hasattr(module, exported), f"{name}.__all__ names missing {exported}"


@pytest.mark.parametrize("name", sorted(EXPECTED_DEFINED))
def test_module_without_all_public_names_are_pinned(name: str) -> None:
    module = importlib.import_module(name)
    assert not hasattr(module, "__all__")
    assert _public_names_defined_in(module) == EXPECTED_DEFINED[name]


# --- signatures of the promised functions ---------------------------------------------------

Params = list[tuple[str, inspect._ParameterKind, object]]

EXPECTED_SIGNATURES: list[tuple[str, Callable[..., Any], Params]] = [
    (
        "mpt.trie_root",
        mpt.trie_root,
        [("pairs", _POS, _EMPTY), ("secure", _POS, False)],
    ),
    (
        "mpt.make_proof",
        mpt.make_proof,
        [("pairs", _POS, _EMPTY), ("key", _POS, _EMPTY), ("secure", _POS, False)],
    ),
    (
        "mpt.verify_proof",
        mpt.verify_proof,
        [
            ("root", _POS, _EMPTY),
            ("key", _POS, _EMPTY),
            ("proof", _POS, _EMPTY),
            ("secure", _POS, False),
        ],
    ),
    ("exit_tree.ExitTree", exit_tree.ExitTree, []),
    (
        "exit_tree.ExitTree.append",
        exit_tree.ExitTree.append,
        [("self", _POS, _EMPTY), ("leaf", _POS, _EMPTY)],
    ),
    ("exit_tree.ExitTree.root", exit_tree.ExitTree.root, [("self", _POS, _EMPTY)]),
    (
        "exit_tree.ExitTree.proof",
        exit_tree.ExitTree.proof,
        [("self", _POS, _EMPTY), ("index", _POS, _EMPTY)],
    ),
    (
        "exit_tree.verify_exit_proof",
        exit_tree.verify_exit_proof,
        [
            ("leaf", _POS, _EMPTY),
            ("index", _POS, _EMPTY),
            ("proof", _POS, _EMPTY),
            ("root", _POS, _EMPTY),
        ],
    ),
    (
        "tx.decode_transaction",
        tx.decode_transaction,
        [("raw", _POS, _EMPTY), ("expected_chain_id", _POS, None)],
    ),
    (
        "envelope.sign_envelope",
        envelope.sign_envelope,
        [
            ("payload", _POS, _EMPTY),
            ("parent_beacon_block_root", _POS, _EMPTY),
            ("chain_id", _POS, _EMPTY),
            ("key", _POS, _EMPTY),
        ],
    ),
    (
        "envelope.verify_envelope",
        envelope.verify_envelope,
        [("raw", _POS, _EMPTY), ("chain_id", _POS, _EMPTY)],
    ),
]


@pytest.mark.parametrize(
    ("label", "function", "expected"), EXPECTED_SIGNATURES, ids=[s[0] for s in EXPECTED_SIGNATURES]
)
def test_promised_signatures(label: str, function: Callable[..., Any], expected: Params) -> None:
    params = inspect.signature(function).parameters.values()
    assert [(p.name, p.kind, p.default) for p in params] == expected, label


def test_promised_result_attributes() -> None:
    # decode_transaction may return any transaction kind; each answers sender, chain_id, nonce.
    for cls in (
        tx.LegacyTransaction,
        tx.AccessListTransaction,
        tx.DynamicFeeTransaction,
        tx.DepositTransaction,
    ):
        for attribute in ("sender", "chain_id", "nonce"):
            assert hasattr(cls, attribute), f"{cls.__name__} lacks {attribute}"
    fields = set(SignedEnvelope.__dataclass_fields__)
    assert {"payload", "signer"} <= fields


# --- each promised function once, end to end ---------------------------------------------------


def test_trie_root_proof_verify_end_to_end() -> None:
    pairs = {b"do": b"verb", b"dog": b"puppy", b"doge": b"coin" * 10, b"horse": b"stallion"}
    for secure in (False, True):
        root = mpt.trie_root(pairs, secure=secure)
        assert root != mpt.EMPTY_TRIE_ROOT
        for key, value in pairs.items():
            proof = mpt.make_proof(pairs, key, secure=secure)
            assert mpt.verify_proof(root, key, proof, secure=secure) == value
        absent = mpt.make_proof(pairs, b"cat", secure=secure)
        assert mpt.verify_proof(root, b"cat", absent, secure=secure) is None
    # The Yellow Paper's "do/dog/doge/horse" example root with doge → coin.
    classic = {b"do": b"verb", b"dog": b"puppy", b"doge": b"coin", b"horse": b"stallion"}
    assert mpt.trie_root(classic).hex() == (
        "5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84"
    )
    assert mpt.trie_root({}) == mpt.EMPTY_TRIE_ROOT
    assert mpt.verify_proof(mpt.EMPTY_TRIE_ROOT, b"any", []) is None


def test_exit_tree_append_proof_verify_end_to_end() -> None:
    tree = exit_tree.ExitTree()
    assert tree.root() == exit_tree.EMPTY_EXIT_ROOT
    assert tree.root().hex() == "27ae5ba08d7291c96c8cbddcc148bf48a6d68c7974b94356f53754ef6171d757"
    leaves = [keccak256(bytes([i])) for i in range(5)]
    assert [tree.append(leaf) for leaf in leaves] == list(range(5))
    root = tree.root()
    for index, leaf in enumerate(leaves):
        proof = tree.proof(index)
        assert len(proof) == exit_tree.EXIT_TREE_DEPTH
        assert exit_tree.verify_exit_proof(leaf, index, proof, root) is None
    with pytest.raises(InvalidProof):
        exit_tree.verify_exit_proof(leaves[0], 1, tree.proof(0), root)


def test_decode_transaction_of_eth_account_transaction() -> None:
    account = Account.from_key(b"\x11" * 32)
    for fields in (
        {"type": 2, "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**9},
        {"gasPrice": 10**9},
    ):
        signed = Account.sign_transaction(
            {
                "chainId": 901,
                "nonce": 7,
                "gas": 21_000,
                "to": "0x" + "42" * 20,
                "value": 1,
                "data": b"",
                **fields,
            },
            account.key,
        )
        decoded = tx.decode_transaction(bytes(signed.raw_transaction))
        assert decoded.sender == bytes.fromhex(account.address[2:])
        assert decoded.chain_id == 901
        assert decoded.nonce == 7
        assert decoded.hash == bytes(signed.hash)
        again = tx.decode_transaction(bytes(signed.raw_transaction), expected_chain_id=901)
        assert again.sender == decoded.sender


def test_sign_envelope_verify_envelope_end_to_end() -> None:
    # Built as tests/primitives/test_envelope.py builds its small payload.
    key = private_key_from_seed(b"interlace test sequencer")
    beacon_root = Hash32(b"\x06" * 32)
    payload = envelope.seal_payload(
        ExecutionPayload(
            parent_hash=Hash32(b"\x01" * 32),
            fee_recipient=Address(bytes.fromhex("4200000000000000000000000000000000000011")),
            state_root=Hash32(b"\x02" * 32),
            receipts_root=Hash32(b"\x03" * 32),
            logs_bloom=Bytes256(b"\x00" * 256),
            prev_randao=Hash32(b"\x04" * 32),
            block_number=U64(7),
            gas_limit=U64(30_000_000),
            gas_used=U64(42_000),
            timestamp=U64(1_700_000_000),
            extra_data=b"interlace",
            base_fee_per_gas=U256(1_000_000_007),
            block_hash=Hash32(b"\x00" * 32),
            transactions=(b"\x7e" + b"\xaa" * 40, b"\x02" + b"\xbb" * 60),
            withdrawals=(Withdrawal(U64(1), U64(2), Address(b"\x05" * 20), U64(3)),),
            blob_gas_used=U64(0),
            excess_blob_gas=U64(0),
        ),
        beacon_root,
    )
    raw = envelope.sign_envelope(payload, beacon_root, 901, key)
    verified = envelope.verify_envelope(raw, 901)
    assert verified.payload == payload
    assert verified.signer == key.address
    assert verified.parent_beacon_block_root == beacon_root
    assert verified.payload_hash == keccak256(raw[envelope.SIGNATURE_LENGTH :])
    envelope.check_payload_block_hash(verified.payload, verified.parent_beacon_block_root)
    # Another chain id recovers another (wrong) signer rather than failing.
    assert envelope.verify_envelope(raw, 902).signer != key.address
