"""ERC-20 tokens through real transactions: a token made with L1's factory, moved with the
standard ERC-20 calls, bridged to a rollup (escrowed on L1, minted there as the wrapped
token at its deterministic address), on to another rollup with no hop through L1 (burnt on
one, minted on the other: one identity everywhere) and back to L1 out of escrow; and every
bad call refused with its reason and no state change."""

from dataclasses import dataclass

import pytest

from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.receipt import Receipt
from interlace.primitives.types import U256, ZERO_ADDRESS, Address
from interlace.protocol.bridge.claim import build_claim_proof
from interlace.protocol.bridge.format import (
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    TokenMetadata,
    encode_token_metadata,
    global_exit_root,
)
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    read_bridged_balance,
    read_exit_roots,
    record_rollup_exit_root,
)
from interlace.protocol.bridge.token import (
    ERC20_ABI,
    TOKEN_FACTORY_ABI,
    TOKEN_FACTORY_ADDRESS,
    TokenFactory,
    factory_token_address,
    read_token_balance,
    read_token_metadata,
    token_family,
    wrapped_token_address,
)
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.modules import CallContext, ModuleMap, install_module
from tests.protocol.test_bridge_module import ALICE, BOB, ETH, GAS, Chain, claim_call

CAROL = private_key_from_seed(b"carol")
METADATA = TokenMetadata("Interlace Gold", "IGLD", 6)
SUPPLY = 10**12


class TokenChain(Chain):
    """A chain of ``test_bridge_module`` with the token family (and on L1 the factory)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        fixed = dict(self.modules)
        if self.network == 0:
            fixed[TOKEN_FACTORY_ADDRESS] = TokenFactory()
            install_module(self.state, fixed[TOKEN_FACTORY_ADDRESS])
        self.modules = ModuleMap(fixed, [token_family(BRIDGE_ADDRESS)])  # type: ignore[assignment]
        self.state.add_balance(CAROL.address, 10 * ETH)
        self.state.add_balance(Address(BOB), 0)

    def call_to(self, key: PrivateKey, to: Address, data: bytes) -> Receipt:
        return self.send(key, data, to=to)

    def view(self, to: Address, function: str, *args: object) -> tuple[object, ...]:
        abi = ERC20_ABI if to != BRIDGE_ADDRESS else BRIDGE_ABI
        fn = abi.function(function)
        data = self.modules[to].view(self.state, self.env().call_env(), fn.encode_call(*args))
        return fn.decode_return(data)

    def refusal(
        self, sender: Address, data: bytes, value: int = 0, to: Address = BRIDGE_ADDRESS
    ) -> str:
        mark = self.state.checkpoint()
        try:
            module = self.modules[to]
            ctx = CallContext(
                self.state, self.env().call_env(), module.address, sender, U256(value), GAS
            )
            function, args = module.abi.decode_call(data)
            module.call(ctx, function, args)
        except ModuleRevert as exc:
            return str(exc)
        finally:
            self.state.revert_to(mark)
        return ""


@dataclass
class Tokens:
    l1: TokenChain
    a: TokenChain
    b: TokenChain
    token: Address


def erc20(function: str, *args: object) -> bytes:
    return ERC20_ABI.function(function).encode_call(*args)


def bridge_token(destination: int, to: Address, amount: int, token: Address) -> bytes:
    return BRIDGE_ABI.function("bridgeAsset").encode_call(destination, to, amount, token, True, b"")


@pytest.fixture
def tokens() -> Tokens:
    l1, a, b = TokenChain(0, 900), TokenChain(1, 901), TokenChain(2, 902)
    create = TOKEN_FACTORY_ABI.function("createToken").encode_call(
        METADATA.name, METADATA.symbol, METADATA.decimals, SUPPLY
    )
    receipt = l1.call_to(ALICE, TOKEN_FACTORY_ADDRESS, create)
    assert receipt.success
    token = factory_token_address(ALICE.address, 0)
    return Tokens(l1, a, b, token)


def test_the_factory_makes_a_standard_token(tokens: Tokens) -> None:
    l1, token = tokens.l1, tokens.token
    assert token.hex().startswith("70707070")
    assert l1.view(token, "name") == (METADATA.name,)
    assert l1.view(token, "symbol") == (METADATA.symbol,)
    assert l1.view(token, "decimals") == (6,)
    assert l1.view(token, "totalSupply") == (SUPPLY,)
    assert l1.view(token, "balanceOf", ALICE.address) == (SUPPLY,)
    # a token made with the factory names no other origin: it is its own (no impersonation)
    assert l1.view(token, "originToken") == (0, ZERO_ADDRESS)
    assert l1.view(BRIDGE_ADDRESS, "wrappedTokenToTokenInfo", token) == (0, ZERO_ADDRESS)
    # a second token of the same creator lives elsewhere, even with the same metadata
    again = TOKEN_FACTORY_ABI.function("createToken").encode_call("Interlace Gold", "IGLD", 6, 1)
    assert l1.call_to(ALICE, TOKEN_FACTORY_ADDRESS, again).success
    assert factory_token_address(ALICE.address, 1) != token
    assert read_token_balance(l1.state, factory_token_address(ALICE.address, 1), ALICE.address) == 1


def test_erc20_transfer_approve_transfer_from(tokens: Tokens) -> None:
    l1, token = tokens.l1, tokens.token
    receipt = l1.call_to(ALICE, token, erc20("transfer", CAROL.address, 500))
    assert receipt.success
    (log,) = receipt.logs
    assert log.address == token
    transfer = ERC20_ABI.event("Transfer")
    assert transfer.decode_log(log.topics, log.data) == (ALICE.address, CAROL.address, 500)
    assert l1.call_to(CAROL, token, erc20("approve", ALICE.address, 200)).success
    assert l1.view(token, "allowance", CAROL.address, ALICE.address) == (200,)
    assert l1.call_to(ALICE, token, erc20("transferFrom", CAROL.address, BOB, 150)).success
    assert l1.view(token, "balanceOf", BOB) == (150,)
    assert l1.view(token, "allowance", CAROL.address, ALICE.address) == (50,)
    # refusals: each names what failed and changes nothing
    reason = l1.refusal(ALICE.address, erc20("transferFrom", CAROL.address, BOB, 51), to=token)
    assert reason.startswith("ERC20InsufficientAllowance")
    reason = l1.refusal(CAROL.address, erc20("transfer", BOB, 351), to=token)
    assert "ERC20InsufficientBalance" in reason and "holds 350" in reason
    assert "ERC20InvalidReceiver" in l1.refusal(
        CAROL.address, erc20("transfer", ZERO_ADDRESS, 1), to=token
    )
    assert "OnlyBridge" in l1.refusal(ALICE.address, erc20("mint", ALICE.address, 1), to=token)
    # the zero address is no account: a call "from" it (an eth_call's default) mints nothing
    reason = l1.refusal(ZERO_ADDRESS, erc20("transfer", BOB, 10**30), to=token)
    assert reason.startswith("ERC20InvalidSender")
    missing = Address(bytes.fromhex("70707070") + b"\x01" * 16)
    assert "no token at" in l1.refusal(ALICE.address, erc20("balanceOf", ALICE.address), to=missing)
    assert not l1.call_to(ALICE, missing, erc20("transfer", BOB, 1)).success


def _claim_on(chain: TokenChain, exit_: BridgeExit, tree: ExitTree, metadata: bytes) -> Receipt:
    """Claim an exit of L1 (leaf ``len(tree) - 1``) after the chain records L1's root."""
    mainnet = tree.root()
    chain.insert_global_exit_root(global_exit_root(mainnet, read_exit_roots(chain.state)[1]))
    proof = build_claim_proof(GlobalIndex.for_exit(0, len(tree) - 1), tree, ExitTree(), mainnet)
    return chain.send(ALICE, claim_call("claimAsset", exit_, proof, metadata))


def test_a_token_goes_l1_to_a_rollup_to_another_and_back(tokens: Tokens) -> None:
    l1, a, b, token = tokens.l1, tokens.a, tokens.b, tokens.token
    origin = TokenInfo(0, token)
    metadata = encode_token_metadata(METADATA)
    # L1 -> 901: approve, bridgeAsset escrows; the claim makes the wrapped token and mints
    assert l1.call_to(ALICE, token, erc20("approve", BRIDGE_ADDRESS, 1000)).success
    receipt = l1.send(ALICE, bridge_token(1, CAROL.address, 1000, token))
    assert receipt.success
    assert read_token_balance(l1.state, token, BRIDGE_ADDRESS) == 1000
    event = BRIDGE_ABI.event("BridgeEvent")
    fields = event.decode_log(receipt.logs[-2].topics, receipt.logs[-2].data)
    assert fields == (0, 0, token, 1, CAROL.address, 1000, metadata, 0)
    deposit = BridgeExit(LeafType.ASSET, origin, 1, CAROL.address, 1000, keccak256(metadata))
    tree = ExitTree.from_leaves([deposit.leaf_hash()])
    assert _claim_on(a, deposit, tree, metadata).success
    wrapped = wrapped_token_address(origin)
    assert a.view(BRIDGE_ADDRESS, "getTokenWrappedAddress", 0, token) == (wrapped,)
    assert b.view(BRIDGE_ADDRESS, "getTokenWrappedAddress", 0, token) == (ZERO_ADDRESS,)
    assert b.view(
        BRIDGE_ADDRESS, "precalculatedWrapperAddress", 0, token, "Interlace Gold", "IGLD", 6
    ) == (wrapped,)
    assert a.view(BRIDGE_ADDRESS, "wrappedTokenToTokenInfo", wrapped) == (0, token)
    assert read_token_metadata(a.state, wrapped) == METADATA
    assert a.view(wrapped, "balanceOf", CAROL.address) == (1000,)
    assert a.view(wrapped, "originToken") == (0, token)
    assert read_bridged_balance(a.state, origin) == 1000
    # 901 -> 902: burnt on 901, minted on 902 at the same address
    receipt = a.send(CAROL, bridge_token(2, CAROL.address, 300, wrapped))
    assert receipt.success, receipt
    assert a.view(wrapped, "totalSupply") == (700,)
    out = BridgeExit(LeafType.ASSET, origin, 2, CAROL.address, 300, keccak256(metadata))
    a_tree = ExitTree.from_leaves([out.leaf_hash()])
    rollups = ExitTree.from_leaves([a_tree.root()])
    record_rollup_exit_root(l1.state, rollups.root(), l1.number)
    mainnet, rollup_root = read_exit_roots(l1.state)
    b.insert_global_exit_root(global_exit_root(mainnet, rollup_root))
    proof = build_claim_proof(GlobalIndex.for_exit(1, 0), a_tree, rollups, mainnet)
    assert b.send(ALICE, claim_call("claimAsset", out, proof, metadata)).success
    assert b.view(wrapped, "balanceOf", CAROL.address) == (300,)
    # 901 cannot send more than came in through the bridge, whatever its balances say
    reason = a.refusal(CAROL.address, bridge_token(0, CAROL.address, 701, wrapped))
    assert "InsufficientBridgedBalance" in reason or "ERC20InsufficientBalance" in reason
    # 902 -> L1: out of escrow on L1
    receipt = b.send(CAROL, bridge_token(0, CAROL.address, 100, wrapped))
    assert receipt.success
    back = BridgeExit(LeafType.ASSET, origin, 0, CAROL.address, 100, keccak256(metadata))
    b_tree = ExitTree.from_leaves([back.leaf_hash()])
    rollups = ExitTree.from_leaves([a_tree.root(), b_tree.root()])
    record_rollup_exit_root(l1.state, rollups.root(), l1.number)
    mainnet, _ = read_exit_roots(l1.state)
    proof = build_claim_proof(GlobalIndex.for_exit(2, 0), b_tree, rollups, mainnet)
    assert l1.send(ALICE, claim_call("claimAsset", back, proof, metadata)).success
    assert read_token_balance(l1.state, token, CAROL.address) == 100
    assert read_token_balance(l1.state, token, BRIDGE_ADDRESS) == 900


def test_bad_token_bridging_is_refused(tokens: Tokens) -> None:
    l1, a, token = tokens.l1, tokens.a, tokens.token
    call = bridge_token(1, CAROL.address, 10, token)
    # escrow is transferFrom: without an approval of the bridge nothing moves
    assert "ERC20InsufficientAllowance" in l1.refusal(ALICE.address, call)
    assert l1.call_to(CAROL, token, erc20("approve", BRIDGE_ADDRESS, 10)).success
    assert "ERC20InsufficientBalance" in l1.refusal(CAROL.address, call)  # no tokens
    assert "MsgValueNotZero" in l1.refusal(ALICE.address, call, value=1)
    missing = Address(bytes.fromhex("70707070") + b"\x02" * 16)
    assert "no token at" in l1.refusal(ALICE.address, bridge_token(1, BOB, 1, missing))
    # a claim whose metadata differs from what was bridged is another leaf: refused
    origin = TokenInfo(0, token)
    metadata = encode_token_metadata(METADATA)
    deposit = BridgeExit(LeafType.ASSET, origin, 1, CAROL.address, 5, keccak256(metadata))
    tree = ExitTree.from_leaves([deposit.leaf_hash()])
    forged = encode_token_metadata(TokenMetadata("Other", "OTH", 18))
    mainnet = tree.root()
    a.insert_global_exit_root(global_exit_root(mainnet, read_exit_roots(a.state)[1]))
    proof = build_claim_proof(GlobalIndex.for_exit(0, 0), tree, ExitTree(), mainnet)
    reason = a.refusal(ALICE.address, claim_call("claimAsset", deposit, proof, forged))
    assert "InvalidSmtProof" in reason
    # only the bridge mints or burns a wrapped token
    assert a.send(ALICE, claim_call("claimAsset", deposit, proof, metadata)).success
    wrapped = wrapped_token_address(origin)
    assert "OnlyBridge" in a.refusal(ALICE.address, erc20("mint", ALICE.address, 1), to=wrapped)
    assert "OnlyBridge" in a.refusal(CAROL.address, erc20("burn", CAROL.address, 1), to=wrapped)
