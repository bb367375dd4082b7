"""The bridge module through real transactions on an L1 state and a rollup state: ETH
deposited on L1, claimed on the rollup against a global exit root it recorded, sent back
and claimed on L1 out of escrow; and every bad call refused with its reason and no state
change."""

import dataclasses
from dataclasses import dataclass, field

import pytest

from interlace.primitives.exit_tree import EMPTY_EXIT_ROOT, ExitTree
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey, private_key_from_seed
from interlace.primitives.receipt import Receipt
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import U64, U256, ZERO_ADDRESS, Address, ChainId, Hash32
from interlace.protocol.bridge.accounting import ImportedBridgeExit
from interlace.protocol.bridge.certificate import IMPORTS_GENESIS, fold_imports
from interlace.protocol.bridge.claim import ClaimProof, build_claim_proof
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
    L1_EXIT_ROOT_MANAGER_ADDRESS,
    L2_EXIT_ROOT_MANAGER_ADDRESS,
    ExitRootManager,
    UnifiedBridge,
    configure_bridge,
    decode_claim,
    encode_claim,
    global_exit_root_deposit,
    is_claimed,
    knows_global_exit_root,
    read_exit_roots,
    read_imported_exits_hash,
    read_local_exit_root,
    record_rollup_exit_root,
)
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.execution import BlockEnv, execute_transaction
from interlace.protocol.chain.modules import CallContext, NativeModule, install_module
from interlace.protocol.chain.state import WorldState
from interlace.protocol.rollup.predeploys import L1_ATTRIBUTES_DEPOSITOR

ALICE = private_key_from_seed(b"alice")
BOB = Address(b"\xb0" * 20)
ETH = 10**18
GAS = 2_000_000


@dataclass
class Chain:
    """One chain's state with the bridge and its exit root manager, and a block counter."""

    network: int
    chain_id: int
    state: WorldState = field(default_factory=WorldState)
    number: int = 1
    nonces: dict[bytes, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        manager = (
            L1_EXIT_ROOT_MANAGER_ADDRESS if self.network == 0 else L2_EXIT_ROOT_MANAGER_ADDRESS
        )
        self.modules: dict[Address, NativeModule] = {
            BRIDGE_ADDRESS: UnifiedBridge(),
            manager: ExitRootManager(manager),
        }
        for module in self.modules.values():
            install_module(self.state, module)
        configure_bridge(self.state, self.network)
        self.state.add_balance(ALICE.address, 100 * ETH)

    def env(self) -> BlockEnv:
        return BlockEnv(
            ChainId(self.chain_id),
            U64(self.number),
            U64(1000 + self.number),
            BOB,
            U256(1),
            U64(30_000_000),
        )

    def send(
        self, key: PrivateKey, data: bytes, value: int = 0, to: Address = BRIDGE_ADDRESS
    ) -> Receipt:
        nonce = self.nonces.get(key.address, 0)
        self.nonces[key.address] = nonce + 1
        tx = sign_dynamic_fee(
            key,
            chain_id=self.chain_id,
            nonce=nonce,
            to=to,
            gas_limit=GAS,
            max_priority_fee_per_gas=0,
            max_fee_per_gas=1,
            data=data,
            value=value,
        )
        receipt, _ = execute_transaction(self.state, self.env(), tx, self.modules, 0)
        self.number += 1
        return receipt

    def refusal(self, sender: Address, data: bytes, value: int = 0) -> str:
        """The revert reason of a call, run on a checkpoint that is then undone."""
        mark = self.state.checkpoint()
        try:
            self.state.sub_balance(sender, value)
            self.state.add_balance(BRIDGE_ADDRESS, value)
            ctx = CallContext(
                self.state, self.env().call_env(), BRIDGE_ADDRESS, sender, U256(value), GAS
            )
            function, args = BRIDGE_ABI.decode_call(data)
            UnifiedBridge().call(ctx, function, args)
        except ModuleRevert as exc:
            return str(exc)
        finally:
            self.state.revert_to(mark)
        return ""

    def insert_global_exit_root(self, root: Hash32) -> None:
        tx = global_exit_root_deposit(root, keccak256(root))
        receipt, _ = execute_transaction(self.state, self.env(), tx, self.modules, 0)
        assert receipt.success


def bridge_asset(destination: int, to: Address, amount: int, *, force: bool = True) -> bytes:
    return BRIDGE_ABI.function("bridgeAsset").encode_call(
        destination, to, amount, ZERO_ADDRESS, force, b""
    )


def claim_call(function: str, exit_: BridgeExit, proof: ClaimProof, metadata: bytes = b"") -> bytes:
    """``claimAsset``/``claimMessage`` calldata; ``function`` may name the other one, to
    claim an exit as what it is not."""
    if function == ("claimAsset" if exit_.leaf_type is LeafType.ASSET else "claimMessage"):
        return encode_claim(exit_, proof, metadata)
    other = dataclasses.replace(
        exit_, leaf_type=LeafType.ASSET if function == "claimAsset" else LeafType.MESSAGE
    )
    return encode_claim(other, proof, metadata)


def storage_snapshot(chain: Chain) -> tuple[Hash32, int, int]:
    """The bridge's storage root and balance, and Bob's balance."""
    chain.state.state_root()  # commits storage, so the account's storage root is current
    bridge = chain.state.get_account(BRIDGE_ADDRESS)
    return bridge.storage_root, bridge.balance, chain.state.balance_of(BOB)


@dataclass
class World:
    l1: Chain
    rollup: Chain
    deposit: BridgeExit
    proof: ClaimProof


@pytest.fixture
def world() -> World:
    """Alice deposits 3 ETH on L1 for Bob on network 1; the rollup learns the root."""
    l1, rollup = Chain(0, 900), Chain(1, 901)
    receipt = l1.send(ALICE, bridge_asset(1, BOB, 3 * ETH), value=3 * ETH)
    assert receipt.success
    deposit = BridgeExit(LeafType.ASSET, ETH_TOKEN, 1, BOB, 3 * ETH)
    tree = ExitTree.from_leaves([deposit.leaf_hash()])
    mainnet, rollup_root = read_exit_roots(l1.state)
    assert mainnet == tree.root()
    rollup.insert_global_exit_root(global_exit_root(mainnet, rollup_root))
    proof = build_claim_proof(GlobalIndex.for_exit(0, 0), tree, ExitTree(), mainnet)
    return World(l1, rollup, deposit, proof)


def test_deposit_escrows_and_emits_agglayers_event(world: World) -> None:
    l1 = world.l1
    assert l1.state.balance_of(BRIDGE_ADDRESS) == 3 * ETH
    assert (
        read_local_exit_root(l1.state) == ExitTree.from_leaves([world.deposit.leaf_hash()]).root()
    )
    view = UnifiedBridge().view(
        l1.state, l1.env().call_env(), BRIDGE_ABI.function("depositCount").encode_call()
    )
    assert int.from_bytes(view, "big") == 1
    # the receipt's log is AggLayer's BridgeEvent, fields in order, depositCount 0
    l1_again = Chain(0, 900)
    receipt = l1_again.send(ALICE, bridge_asset(1, BOB, 5, force=False), value=5)
    (log,) = receipt.logs
    assert log.address == BRIDGE_ADDRESS
    event = BRIDGE_ABI.event("BridgeEvent")
    assert log.topics == (event.topic0,)
    fields = event.decode_log(log.topics, log.data)
    assert fields == (0, 0, ZERO_ADDRESS, 1, BOB, 5, b"", 0)
    # without forceUpdateGlobalExitRoot, L1's mainnet exit root is not updated
    assert read_exit_roots(l1_again.state)[0] == EMPTY_EXIT_ROOT


def test_claim_on_the_rollup_mints_once(world: World) -> None:
    rollup = world.rollup
    receipt = rollup.send(ALICE, claim_call("claimAsset", world.deposit, world.proof))
    assert receipt.success
    assert rollup.state.balance_of(BOB) == 3 * ETH
    assert is_claimed(rollup.state, 0, 0)
    (log,) = receipt.logs
    event = BRIDGE_ABI.event("ClaimEvent")
    assert event.decode_log(log.topics, log.data) == (
        world.proof.global_index,
        0,
        ZERO_ADDRESS,
        BOB,
        3 * ETH,
    )
    before = storage_snapshot(rollup)
    again = claim_call("claimAsset", world.deposit, world.proof)
    assert "AlreadyClaimed: exit 0 of network 0" in rollup.refusal(ALICE.address, again)
    assert not rollup.send(ALICE, again).success
    assert storage_snapshot(rollup) == before


def test_round_trip_back_to_l1(world: World) -> None:
    rollup, l1 = world.rollup, world.l1
    assert rollup.send(ALICE, claim_call("claimAsset", world.deposit, world.proof)).success
    bob = private_key_from_seed(b"bob")
    rollup.state.add_balance(bob.address, 2 * ETH)  # the value and its gas
    out = BridgeExit(LeafType.ASSET, ETH_TOKEN, 0, bob.address, ETH)
    assert rollup.send(bob, bridge_asset(0, bob.address, ETH), value=ETH).success
    assert rollup.state.balance_of(BRIDGE_ADDRESS) == 0  # burnt, not held
    rollup_tree = ExitTree.from_leaves([out.leaf_hash()])
    assert read_local_exit_root(rollup.state) == rollup_tree.root()
    # L1 settles network 1's local exit root into the rollup exit tree
    rollups = ExitTree.from_leaves([rollup_tree.root()])
    record_rollup_exit_root(l1.state, rollups.root(), l1.number)
    mainnet, rollup_root = read_exit_roots(l1.state)
    assert knows_global_exit_root(l1.state, global_exit_root(mainnet, rollup_root))
    proof = build_claim_proof(GlobalIndex.for_exit(1, 0), rollup_tree, rollups, mainnet)
    escrow = l1.state.balance_of(BRIDGE_ADDRESS)
    assert l1.send(ALICE, claim_call("claimAsset", out, proof)).success
    assert l1.state.balance_of(bob.address) == ETH
    assert l1.state.balance_of(BRIDGE_ADDRESS) == escrow - ETH


def test_message_carries_its_value(world: World) -> None:
    l1 = world.l1
    data = BRIDGE_ABI.function("bridgeMessage").encode_call(1, BOB, True, b"hello")
    receipt = l1.send(ALICE, data, value=7)
    assert receipt.success
    message = BridgeExit(
        LeafType.MESSAGE, TokenInfo(0, ALICE.address), 1, BOB, 7, keccak256(b"hello")
    )
    tree = ExitTree.from_leaves([world.deposit.leaf_hash(), message.leaf_hash()])
    mainnet, rollup_root = read_exit_roots(l1.state)
    assert mainnet == tree.root()
    world.rollup.insert_global_exit_root(global_exit_root(mainnet, rollup_root))
    proof = build_claim_proof(GlobalIndex.for_exit(0, 1), tree, ExitTree(), mainnet)
    claim = claim_call("claimMessage", message, proof, b"hello")
    assert world.rollup.send(ALICE, claim).success
    assert world.rollup.state.balance_of(BOB) == 7
    # the same leaf claimed as an asset is another leaf: it proves nothing
    as_asset = claim_call("claimAsset", message, proof, b"hello")
    assert "InvalidSmtProof" in world.rollup.refusal(ALICE.address, as_asset)


@pytest.mark.parametrize(
    ("call", "value", "reason"),
    [
        (
            bridge_asset(0, BOB, 5),
            5,
            "DestinationNetworkInvalid: network 0 cannot bridge to itself",
        ),
        (bridge_asset(1, ZERO_ADDRESS, 5), 5, "destination address is zero"),
        (bridge_asset(1, BOB, 0), 0, "the amount is zero"),
        (bridge_asset(1, BOB, 5), 4, "AmountDoesNotMatchMsgValue: amount 5, value 4"),
        (
            BRIDGE_ABI.function("bridgeAsset").encode_call(1, BOB, 5, b"\x01" * 20, False, b""),
            0,
            "no token at 0x0101",
        ),
        (
            BRIDGE_ABI.function("bridgeAsset").encode_call(1, BOB, 5, ZERO_ADDRESS, False, b"\x01"),
            5,
            "permitData is not supported",
        ),
    ],
)
def test_bad_exits_are_refused(call: bytes, value: int, reason: str) -> None:
    l1 = Chain(0, 900)
    assert reason in l1.refusal(ALICE.address, call, value)
    before = l1.state.balance_of(BRIDGE_ADDRESS)
    assert not l1.send(ALICE, call, value).success
    assert l1.state.balance_of(BRIDGE_ADDRESS) == before
    assert read_local_exit_root(l1.state) == EMPTY_EXIT_ROOT


def test_bad_claims_are_refused(world: World) -> None:
    rollup = world.rollup
    cases = {
        "claim for another network": (
            BridgeExit(LeafType.ASSET, ETH_TOKEN, 2, BOB, 3 * ETH),
            world.proof,
            "DestinationNetworkInvalid",
        ),
        "altered amount": (
            BridgeExit(LeafType.ASSET, ETH_TOKEN, 1, BOB, 4 * ETH),
            world.proof,
            "InvalidSmtProof",
        ),
        "unknown root": (
            world.deposit,
            ClaimProof(
                world.proof.smt_proof_local_exit_root,
                world.proof.smt_proof_rollup_exit_root,
                world.proof.global_index,
                Hash32(b"\x09" * 32),
                world.proof.rollup_exit_root,
            ),
            "GlobalExitRootInvalid",
        ),
        "ETH from another origin": (
            BridgeExit(LeafType.ASSET, TokenInfo(5, ZERO_ADDRESS), 1, BOB, 3 * ETH),
            world.proof,
            "InvalidSmtProof",
        ),
    }
    for name, (exit_, proof, reason) in cases.items():
        call = claim_call("claimAsset", exit_, proof)
        assert reason in rollup.refusal(ALICE.address, call), name
        assert not rollup.send(ALICE, call).success, name
    assert rollup.state.balance_of(BOB) == 0
    assert not is_claimed(rollup.state, 0, 0)


def test_only_the_depositor_inserts_global_exit_roots() -> None:
    rollup = Chain(1, 901)
    ctx = CallContext(
        rollup.state,
        rollup.env().call_env(),
        L2_EXIT_ROOT_MANAGER_ADDRESS,
        ALICE.address,
        U256(0),
        GAS,
    )
    with pytest.raises(ModuleRevert, match="only the depositor"):
        ExitRootManager(L2_EXIT_ROOT_MANAGER_ADDRESS).call(
            ctx, "insertGlobalExitRoot", (b"\x01" * 32,)
        )
    l1 = Chain(0, 900)
    ctx = CallContext(
        l1.state,
        l1.env().call_env(),
        L1_EXIT_ROOT_MANAGER_ADDRESS,
        L1_ATTRIBUTES_DEPOSITOR,
        U256(0),
        GAS,
    )
    with pytest.raises(ModuleRevert, match="L1 records"):
        ExitRootManager(L1_EXIT_ROOT_MANAGER_ADDRESS).call(
            ctx, "insertGlobalExitRoot", (b"\x01" * 32,)
        )


def test_a_rollup_exits_only_what_came_in_through_the_bridge(world: World) -> None:
    """Network 1 got 3 ETH through the bridge: ETH it got otherwise (genesis, a portal
    deposit) cannot leave by the bridge, so an honest chain's certificate never fails L1's
    accounting; the refusal gives the figures and changes nothing."""
    rollup = world.rollup
    assert rollup.send(ALICE, claim_call("claimAsset", world.deposit, world.proof)).success
    balance = BRIDGE_ABI.function("bridgedBalance")
    view = balance.encode_call(0, ZERO_ADDRESS)
    assert UnifiedBridge().view(rollup.state, rollup.env().call_env(), view) == (
        (3 * ETH).to_bytes(32, "big")
    )
    carol = private_key_from_seed(b"carol")
    rollup.state.add_balance(carol.address, 5 * ETH)  # unbacked ETH, e.g. from genesis
    before = storage_snapshot(rollup)
    reason = rollup.refusal(carol.address, bridge_asset(0, carol.address, 4 * ETH), 4 * ETH)
    assert reason.startswith("InsufficientBridgedBalance: network 1 exits 4000000000000000000")
    assert "holds 3000000000000000000 bridged in" in reason
    message = BRIDGE_ABI.function("bridgeMessage").encode_call(0, carol.address, True, b"")
    assert "InsufficientBridgedBalance" in rollup.refusal(carol.address, message, 4 * ETH)
    assert not rollup.send(carol, bridge_asset(0, carol.address, 4 * ETH), value=4 * ETH).success
    assert storage_snapshot(rollup) == before
    assert rollup.send(carol, bridge_asset(0, carol.address, 3 * ETH), value=3 * ETH).success
    assert UnifiedBridge().view(rollup.state, rollup.env().call_env(), view) == bytes(32)


def test_claims_extend_the_imported_exits_hash(world: World) -> None:
    rollup, l1 = world.rollup, world.l1
    assert read_imported_exits_hash(rollup.state) == IMPORTS_GENESIS
    call = claim_call("claimAsset", world.deposit, world.proof)
    imported = decode_claim(call)
    assert imported == ImportedBridgeExit(world.deposit, world.proof)
    assert decode_claim(bridge_asset(0, BOB, 1)) is None
    assert rollup.send(ALICE, call).success
    assert read_imported_exits_hash(rollup.state) == fold_imports(IMPORTS_GENESIS, [imported])
    # L1 is not certified: its claims leave the hash alone
    assert read_imported_exits_hash(l1.state) == IMPORTS_GENESIS
