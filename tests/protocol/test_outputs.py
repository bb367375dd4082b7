"""Output roots (OP output version 0) and their Interlace message-passer root."""

import pytest
from Crypto.Hash import keccak
from eth_abi.packed import encode_packed

from interlace.primitives.types import U64, U256, Hash32
from interlace.protocol.interop.messenger import MESSENGER_ADDRESS
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin
from interlace.protocol.settlement.outputs import (
    MESSAGE_PASSER_ADDRESS,
    Output,
    compute_output,
    message_passer_root,
    output_root,
)
from tests.protocol.support import CHAIN_ID, ETHER, KEYS

STATE = Hash32(bytes.fromhex("aa" * 32))
PASSER = Hash32(bytes.fromhex("bb" * 32))
BLOCK = Hash32(bytes.fromhex("cc" * 32))


def reference_root(state: bytes, passer: bytes, block: bytes) -> bytes:
    """Solidity's ``keccak256(abi.encode(bytes32(0), stateRoot, passerRoot, blockHash))``."""
    packed = encode_packed(
        ["bytes32", "bytes32", "bytes32", "bytes32"], [b"\x00" * 32, state, passer, block]
    )
    return keccak.new(digest_bits=256, data=packed).digest()


def test_output_root_is_keccak_of_version_zero_and_the_three_roots() -> None:
    assert output_root(STATE, PASSER, BLOCK) == reference_root(STATE, PASSER, BLOCK)
    assert len(bytes(32) + STATE + PASSER + BLOCK) == 128


def test_each_field_changes_the_root() -> None:
    base = output_root(STATE, PASSER, BLOCK)
    assert output_root(PASSER, STATE, BLOCK) != base  # order matters
    assert output_root(STATE, PASSER, STATE) != base
    assert Output(U64(1), STATE, PASSER, BLOCK).root == base


def test_malformed_fields_are_local_misuse() -> None:
    with pytest.raises(ValueError, match="state root"):
        output_root(Hash32(b"\x00" * 31), PASSER, BLOCK)


def test_the_message_passer_is_the_messenger_predeploy() -> None:
    assert MESSAGE_PASSER_ADDRESS == MESSENGER_ADDRESS


def test_compute_output_of_a_rollup_block() -> None:
    origin = L1Origin(U64(0), Hash32(b"\x01" * 32), U64(0), U256(10**9))
    chain = RollupChain(RollupGenesis(CHAIN_ID, origin, 0, {k.address: ETHER for k in KEYS}))
    state, block = chain.states[0], chain.blocks[0]
    output = compute_output(state, block)
    assert output.number == 0
    assert output.state_root == block.header.state_root
    assert output.block_hash == block.hash
    passer = state.get_account(MESSENGER_ADDRESS).storage_root
    assert output.message_passer_root == passer == message_passer_root(state)
    assert output.root == reference_root(block.header.state_root, passer, block.hash)
    other = state.copy()
    other.add_balance(KEYS[0].address, 1)
    with pytest.raises(ValueError, match="post-state"):
        compute_output(other, block)
