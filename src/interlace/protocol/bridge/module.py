"""The unified bridge module and the exit root manager: one implementation for L1 and for
every rollup, configured by the chain's network id.

``UnifiedBridge`` lives at AggLayer's bridge address (0x2a3D…2EDe, the same on L1 and on
every chain, as ``PolygonZkEVMBridgeV2`` is deployed) with its ABI and events:

- ``bridgeAsset(destinationNetwork, destinationAddress, amount, token,
  forceUpdateGlobalExitRoot, permitData)`` and ``bridgeMessage(destinationNetwork,
  destinationAddress, forceUpdateGlobalExitRoot, metadata)`` append an exit to the chain's
  local exit tree and emit ``BridgeEvent``. ETH sent to the bridge stays in escrow on L1
  (network 0, where ETH is native) and is burnt on a rollup (where it was minted by a
  claim).
- ``claimAsset``/``claimMessage`` take the exit's fields, the global index and the two
  32-sibling proofs, check them with ``verify_claim`` against the global exit roots this
  chain recorded, set the nullifier in the claimed bitmap, pay the ETH (from escrow on L1,
  minted on a rollup) and emit ``ClaimEvent``. A message runs no code at its destination
  yet (there is no EVM): the claim records it and pays its value.
- ``isClaimed``, ``networkID``, ``depositCount``, ``getRoot``, ``lastLocalExitRoot``.

Storage (Solidity-style slots): ``_branch[32]`` at 0–31 and ``depositCount`` at 32 (the
layout of ``DepositContractBase``), ``networkID`` 33, ``claimedBitMap`` mapping at 34 (word
``key >> 8``, bit ``key & 255``), ``lastLocalExitRoot`` 35: the local exit root after the
last exit, kept in one slot so that a storage proof of it against a settled block's state
root is one slot's proof.

``ExitRootManager`` keeps the global exit roots: on L1 (AggLayer's
``PolygonZkEVMGlobalExitRootV2`` address) the last mainnet and rollup exit roots and
``globalExitRootMap`` (global exit root → the L1 block that recorded it); on a rollup
(``PolygonZkEVMGlobalExitRootL2``'s address) only the map, filled by a system deposit
``insertGlobalExitRoot`` that derivation builds from the chain's L1Origin.

Simplified on purpose, and said so in docs/bridge.md: ERC-20 tokens are refused until the
token factory and wrapped tokens exist (``bridgeAsset`` with a token address reverts with
that reason); ``permitData`` must be empty.
"""

from collections.abc import Callable, Sequence
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.errors import InputError
from interlace.primitives.exit_tree import (
    EMPTY_EXIT_ROOT,
    EXIT_TREE_CAPACITY,
    EXIT_TREE_DEPTH,
    ExitTree,
    append_to_frontier,
    frontier_root,
)
from interlace.primitives.hashing import keccak256
from interlace.primitives.mpt import verify_proof
from interlace.primitives.receipt import Log
from interlace.primitives.rlp_codec import decode_rlp, read_uint
from interlace.primitives.tx import DepositTransaction
from interlace.primitives.types import ZERO_ADDRESS, Address, Hash32, address_from_hex
from interlace.protocol.bridge.claim import ClaimProof, verify_claim
from interlace.protocol.bridge.errors import BridgeRefused
from interlace.protocol.bridge.format import (
    ETH_TOKEN,
    MAINNET_NETWORK_ID,
    BridgeExit,
    LeafType,
    TokenInfo,
    claimed_key,
    global_exit_root,
)
from interlace.protocol.chain.modules import (
    G_LOG,
    G_LOG_DATA_BYTE,
    G_LOG_TOPIC,
    CallContext,
    NativeModule,
    mapping_slot,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import WorldState, decode_account
from interlace.protocol.rollup.predeploys import L1_ATTRIBUTES_DEPOSITOR, system_deposit

__all__ = [
    "BRIDGE_ABI",
    "BRIDGE_ADDRESS",
    "EXIT_ROOT_MANAGER_ABI",
    "L1_EXIT_ROOT_MANAGER_ADDRESS",
    "L2_EXIT_ROOT_MANAGER_ADDRESS",
    "ExitRootManager",
    "SettledStateRoot",
    "UnifiedBridge",
    "configure_bridge",
    "encode_claim",
    "global_exit_root_deposit",
    "global_exit_root_of_log",
    "is_claimed",
    "knows_global_exit_root",
    "local_exit_root_slot",
    "read_exit_roots",
    "read_local_exit_root",
    "record_rollup_exit_root",
]

BRIDGE_ADDRESS: Final = address_from_hex("0x2a3DD3EB832aF982ec71669E178424b10Dca2EDe")
"""AggLayer's bridge (``PolygonZkEVMBridgeV2``), at one address on L1 and every chain."""
L1_EXIT_ROOT_MANAGER_ADDRESS: Final = address_from_hex("0x580bda1e7A0CFAe92Fa7F6c20A3794F169CE3CFb")
"""AggLayer's ``PolygonZkEVMGlobalExitRootV2`` on Ethereum mainnet."""
L2_EXIT_ROOT_MANAGER_ADDRESS: Final = address_from_hex("0xa40D5f56745a118D0906a34E69aEC8C0Db1cB8fA")
"""AggLayer's ``PolygonZkEVMGlobalExitRootL2`` on its chains."""

GLOBAL_EXIT_ROOT_GAS: Final = 100_000
"""Gas of the system deposit that records a global exit root on a rollup."""

_PROOF: Final = "bytes32[32]"
_CLAIM_ARGS: Final = (
    f"{_PROOF} smtProofLocalExitRoot, {_PROOF} smtProofRollupExitRoot, uint256 globalIndex,"
    " bytes32 mainnetExitRoot, bytes32 rollupExitRoot, uint32 originNetwork,"
    " address originTokenAddress, uint32 destinationNetwork, address destinationAddress,"
    " uint256 amount, bytes metadata"
)

BRIDGE_ABI: Final = AbiModule.declare(
    "PolygonZkEVMBridgeV2",
    functions=[
        (
            "bridgeAsset(uint32 destinationNetwork, address destinationAddress, uint256 amount,"
            " address token, bool forceUpdateGlobalExitRoot, bytes permitData) payable"
        ),
        (
            "bridgeMessage(uint32 destinationNetwork, address destinationAddress,"
            " bool forceUpdateGlobalExitRoot, bytes metadata) payable"
        ),
        f"claimAsset({_CLAIM_ARGS})",
        f"claimMessage({_CLAIM_ARGS})",
        "isClaimed(uint32 leafIndex, uint32 sourceBridgeNetwork) view returns (bool)",
        "networkID() view returns (uint32)",
        "depositCount() view returns (uint256)",
        "getRoot() view returns (bytes32)",
        "lastLocalExitRoot() view returns (bytes32)",
        "updateGlobalExitRoot()",
        (
            "settleLocalExitRoot(uint64 chainId, uint64 blockNumber, bytes[] accountProof,"
            " bytes[] storageProof)"
        ),
        "rollupLocalExitRoot(uint32 networkID) view returns (bytes32 root, uint64 blockNumber)",
        "networkOf(uint64 chainId) view returns (uint32)",
        "networkCredit(uint32 networkID) view returns (uint256)",
        "settledStateRoot(uint64 chainId, uint64 blockNumber) view returns (bytes32)",
    ],
    events=[
        (
            "BridgeEvent(uint8 leafType, uint32 originNetwork, address originAddress,"
            " uint32 destinationNetwork, address destinationAddress, uint256 amount,"
            " bytes metadata, uint32 depositCount)"
        ),
        (
            "ClaimEvent(uint256 globalIndex, uint32 originNetwork, address originAddress,"
            " address destinationAddress, uint256 amount)"
        ),
        (
            "LocalExitRootSettled(uint32 indexed networkID, uint64 chainId, uint64 blockNumber,"
            " bytes32 localExitRoot, bytes32 rollupExitRoot)"
        ),
    ],
)

EXIT_ROOT_MANAGER_ABI: Final = AbiModule.declare(
    "PolygonZkEVMGlobalExitRoot",
    functions=[
        "globalExitRootMap(bytes32 globalExitRoot) view returns (uint256)",
        "getLastGlobalExitRoot() view returns (bytes32)",
        "lastMainnetExitRoot() view returns (bytes32)",
        "lastRollupExitRoot() view returns (bytes32)",
        "insertGlobalExitRoot(bytes32 globalExitRoot)",
    ],
    events=["UpdateL1InfoTree(bytes32 indexed mainnetExitRoot, bytes32 indexed rollupExitRoot)"],
)

# Bridge storage.
_DEPOSIT_COUNT: Final = EXIT_TREE_DEPTH  # slot 32, after _branch[0..31]
_NETWORK_ID: Final = 33
_CLAIMED: Final = 34
_LAST_LOCAL_EXIT_ROOT: Final = 35
_CHAIN_NETWORK: Final = 36  # L1: mapping(chainId => networkID)
_NETWORK_COUNT: Final = 37  # L1: rollups registered with a network id
_ROLLUP_LER: Final = 38  # L1: mapping(networkID => settled local exit root)
_ROLLUP_LER_BLOCK: Final = 39  # L1: mapping(networkID => the block it was settled at)
_L1_CREDIT: Final = 40  # L1: mapping(networkID => wei L1 sent it, less what it took back)
# Exit root manager storage.
_LAST_MAINNET: Final = 0
_LAST_ROLLUP: Final = 1
_GER_MAP: Final = 2


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _hash(word: int) -> Hash32:
    return Hash32(word.to_bytes(32, "big"))


def encode_claim(exit_: BridgeExit, proof: ClaimProof, metadata: bytes = b"") -> bytes:
    """The calldata of ``claimAsset`` (an asset exit) or ``claimMessage`` (a message) for
    ``exit_`` with its witness; ``metadata`` is the exit's metadata bytes."""
    function = "claimAsset" if exit_.leaf_type is LeafType.ASSET else "claimMessage"
    return BRIDGE_ABI.function(function).encode_call(
        list(proof.smt_proof_local_exit_root),
        list(proof.smt_proof_rollup_exit_root),
        proof.global_index,
        proof.mainnet_exit_root,
        proof.rollup_exit_root,
        exit_.token.origin_network,
        exit_.token.origin_address,
        exit_.destination_network,
        exit_.destination_address,
        exit_.amount,
        metadata,
    )


SettledStateRoot = Callable[[WorldState, int, int], Hash32 | None]
"""``(L1 state, chain id, block number) → the block's state root`` if L1 settled the block
and knows its state root, else None (``protocol.settlement.confirmation``)."""


def local_exit_root_slot() -> bytes:
    """The storage key of a bridge's ``lastLocalExitRoot`` (for ``eth_getProof``)."""
    return word_slot(_LAST_LOCAL_EXIT_ROOT)


def _node_list(value: object) -> list[bytes]:
    assert isinstance(value, tuple | list)
    return [bytes(node) for node in value]


def _proven_local_exit_root(
    state_root: Hash32, account_proof: list[bytes], storage_proof: list[bytes]
) -> Hash32:
    """The bridge's ``lastLocalExitRoot`` in the state under ``state_root``, or a revert
    naming which proof failed."""
    try:
        raw_account = verify_proof(state_root, BRIDGE_ADDRESS, account_proof, secure=True)
    except InputError as exc:
        raise revert(f"InvalidStorageProof: the bridge's account proof: {exc}") from exc
    if raw_account is None:
        raise revert(f"the account proof shows no bridge under state root 0x{state_root.hex()}")
    try:
        storage_root = decode_account(raw_account).storage_root
        raw_word = verify_proof(storage_root, local_exit_root_slot(), storage_proof, secure=True)
        word = None if raw_word is None else read_uint(decode_rlp(raw_word), 256, "root")
    except InputError as exc:
        raise revert(f"InvalidStorageProof: the lastLocalExitRoot slot: {exc}") from exc
    if word is None:
        raise revert("the storage proof shows the bridge's lastLocalExitRoot unset")
    return _hash(word)


def _siblings(value: object) -> tuple[Hash32, ...]:
    assert isinstance(value, tuple | list)
    return tuple(Hash32(bytes(sibling)) for sibling in value)


def configure_bridge(state: WorldState, network_id: int, rollups: Sequence[int] = ()) -> None:
    """Genesis: set the chain's network id and the empty tree's root (until this runs, the
    bridge refuses every call). On L1, ``rollups`` are the chain ids in registration order:
    network 1, 2, …"""
    state.set_storage(BRIDGE_ADDRESS, word_slot(_NETWORK_ID), network_id)
    for index, chain_id in enumerate(rollups):
        state.set_storage(BRIDGE_ADDRESS, mapping_slot(_CHAIN_NETWORK, chain_id), index + 1)
    state.set_storage(BRIDGE_ADDRESS, word_slot(_NETWORK_COUNT), len(rollups))
    state.set_storage(BRIDGE_ADDRESS, word_slot(_LAST_LOCAL_EXIT_ROOT), _word(EMPTY_EXIT_ROOT))


def read_local_exit_root(state: WorldState) -> Hash32:
    """The chain's local exit root, as its bridge stored it after the last exit."""
    return _hash(state.get_storage(BRIDGE_ADDRESS, word_slot(_LAST_LOCAL_EXIT_ROOT)))


def _manager_of(state: WorldState) -> Address:
    network = state.get_storage(BRIDGE_ADDRESS, word_slot(_NETWORK_ID))
    return (
        L1_EXIT_ROOT_MANAGER_ADDRESS
        if network == MAINNET_NETWORK_ID
        else L2_EXIT_ROOT_MANAGER_ADDRESS
    )


def knows_global_exit_root(state: WorldState, root: Hash32) -> bool:
    """Whether this chain recorded ``root`` (``globalExitRootMap(root) != 0``)."""
    return state.get_storage(_manager_of(state), mapping_slot(_GER_MAP, root)) != 0


def read_exit_roots(state: WorldState) -> tuple[Hash32, Hash32]:
    """L1's last (mainnet exit root, rollup exit root)."""
    manager = L1_EXIT_ROOT_MANAGER_ADDRESS
    mainnet = state.get_storage(manager, word_slot(_LAST_MAINNET))
    rollup = state.get_storage(manager, word_slot(_LAST_ROLLUP))
    return (
        _hash(mainnet) if mainnet else EMPTY_EXIT_ROOT,
        _hash(rollup) if rollup else EMPTY_EXIT_ROOT,
    )


def _record_roots(state: WorldState, mainnet: Hash32, rollup: Hash32, number: int) -> Hash32:
    manager = L1_EXIT_ROOT_MANAGER_ADDRESS
    state.set_storage(manager, word_slot(_LAST_MAINNET), _word(mainnet))
    state.set_storage(manager, word_slot(_LAST_ROLLUP), _word(rollup))
    root = global_exit_root(mainnet, rollup)
    slot = mapping_slot(_GER_MAP, root)
    if state.get_storage(manager, slot) == 0:
        state.set_storage(manager, slot, max(number, 1))
    return root


def record_rollup_exit_root(state: WorldState, rollup_exit_root: Hash32, number: int) -> Hash32:
    """L1: the settlement of an aggregate sets a new rollup exit root at L1 block ``number``;
    returns the new global exit root."""
    mainnet, _ = read_exit_roots(state)
    return _record_roots(state, mainnet, rollup_exit_root, number)


def is_claimed(state: WorldState, source_network: int, leaf_index: int) -> bool:
    """Whether the exit (source network, leaf index) was claimed on this chain."""
    network = state.get_storage(BRIDGE_ADDRESS, word_slot(_NETWORK_ID))
    key = claimed_key(network, source_network, leaf_index)
    word = state.get_storage(BRIDGE_ADDRESS, mapping_slot(_CLAIMED, key >> 8))
    return bool((word >> (key & 255)) & 1)


class UnifiedBridge(NativeModule):
    """See the module docstring."""

    address = BRIDGE_ADDRESS
    abi = BRIDGE_ABI

    def __init__(self, settled_state_root: SettledStateRoot | None = None) -> None:
        self.settled_state_root = settled_state_root
        """L1's rule for the state root of a settled rollup block (``None`` on a rollup,
        where ``settleLocalExitRoot`` is refused)."""

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "settleLocalExitRoot":
            return self._settle_local_exit_root(ctx, args)
        if function == "bridgeAsset":
            return self._bridge_asset(ctx, args)
        if function == "bridgeMessage":
            return self._bridge_message(ctx, args)
        if function in ("claimAsset", "claimMessage"):
            return self._claim(ctx, function, args)
        if function == "updateGlobalExitRoot":
            self._update_global_exit_root(ctx)
            return b""
        fn = self.abi.function(function)
        if function == "isClaimed":
            leaf_index, source_network = args
            assert isinstance(leaf_index, int)
            assert isinstance(source_network, int)
            return fn.encode_return(is_claimed(ctx.state, source_network, leaf_index))
        if function == "networkID":
            return fn.encode_return(self._network(ctx))
        if function == "depositCount":
            return fn.encode_return(ctx.sload(word_slot(_DEPOSIT_COUNT)))
        if function == "getRoot":
            return fn.encode_return(self._root(ctx))
        if function == "lastLocalExitRoot":
            return fn.encode_return(_hash(ctx.sload(word_slot(_LAST_LOCAL_EXIT_ROOT))))
        if function == "rollupLocalExitRoot":
            (network,) = args
            assert isinstance(network, int)
            root = _hash(ctx.sload(mapping_slot(_ROLLUP_LER, network)))
            return fn.encode_return(root, ctx.sload(mapping_slot(_ROLLUP_LER_BLOCK, network)))
        if function == "settledStateRoot":
            chain_id, number = args
            assert isinstance(chain_id, int)
            assert isinstance(number, int)
            rule = self.settled_state_root
            known = rule(ctx.state, chain_id, number) if rule is not None else None
            return fn.encode_return(known or b"\x00" * 32)
        if function == "networkCredit":
            (network,) = args
            assert isinstance(network, int)
            return fn.encode_return(ctx.sload(mapping_slot(_L1_CREDIT, network)))
        if function == "networkOf":
            (chain_id,) = args
            assert isinstance(chain_id, int)
            return fn.encode_return(ctx.sload(mapping_slot(_CHAIN_NETWORK, chain_id)))
        raise revert(f"unknown function {function}")

    # ---- the exit tree in storage (DepositContractBase) --------------------------------

    def _frontier(self, ctx: CallContext) -> tuple[int, list[Hash32]]:
        count = ctx.sload(word_slot(_DEPOSIT_COUNT))
        return count, [_hash(ctx.sload(word_slot(h))) for h in range(EXIT_TREE_DEPTH)]

    def _root(self, ctx: CallContext) -> Hash32:
        return frontier_root(*self._frontier(ctx))

    def _add_leaf(self, ctx: CallContext, leaf: Hash32) -> None:
        count, frontier = self._frontier(ctx)
        if count >= EXIT_TREE_CAPACITY:
            raise revert("MerkleTreeFull: the local exit tree holds 2^32 - 1 exits")
        before = list(frontier)
        size = append_to_frontier(count, frontier, leaf)
        ctx.sstore(word_slot(_DEPOSIT_COUNT), size)
        for height, (old, new) in enumerate(zip(before, frontier, strict=True)):
            if old != new:
                ctx.sstore(word_slot(height), _word(new))
        ctx.sstore(word_slot(_LAST_LOCAL_EXIT_ROOT), _word(frontier_root(size, frontier)))

    # ---- exits ----------------------------------------------------------------------

    def _network(self, ctx: CallContext) -> int:
        if not ctx.sload(word_slot(_LAST_LOCAL_EXIT_ROOT)):
            raise revert("the bridge is not configured on this chain (no network id)")
        return ctx.sload(word_slot(_NETWORK_ID))

    def _take_eth(self, ctx: CallContext, amount: int) -> None:
        """ETH sent with an exit: escrowed on L1, burnt on a rollup."""
        if amount and self._network(ctx) != MAINNET_NETWORK_ID:
            ctx.state.sub_balance(self.address, amount)

    def _credit(self, ctx: CallContext, network: int, amount: int) -> None:
        """L1: the ETH it sends ``network`` is what that network may take back."""
        if amount and self._network(ctx) == MAINNET_NETWORK_ID:
            slot = mapping_slot(_L1_CREDIT, network)
            ctx.sstore(slot, ctx.sload(slot) + amount)

    def _debit(self, ctx: CallContext, network: int, amount: int) -> None:
        """L1: a claim of ETH a rollup exited takes from what L1 sent that rollup; more is
        refused (the interim per-chain rule until certificates are checked, docs/bridge.md)."""
        if not amount or self._network(ctx) != MAINNET_NETWORK_ID:
            return
        slot = mapping_slot(_L1_CREDIT, network)
        held = ctx.sload(slot)
        if amount > held:
            raise revert(
                f"NetworkBalanceExceeded: network {network} exits {amount} wei to L1, but L1 "
                f"sent it only {held} wei more than it took back; value it got from other "
                "rollups leaves through L1 once per-chain certificates are checked (not yet)"
            )
        ctx.sstore(slot, held - amount)

    def _pay_eth(self, ctx: CallContext, to: Address, amount: int) -> None:
        """ETH of a claim: out of escrow on L1, minted on a rollup."""
        if not amount:
            return
        if self._network(ctx) == MAINNET_NETWORK_ID:
            ctx.transfer_out(to, amount)
        else:
            ctx.state.add_balance(to, amount)

    def _exit(self, ctx: CallContext, exit_: BridgeExit, metadata: bytes, force: bool) -> bytes:
        network = self._network(ctx)
        if exit_.destination_network == network:
            raise revert(f"DestinationNetworkInvalid: network {network} cannot bridge to itself")
        if exit_.destination_address == ZERO_ADDRESS:
            raise revert("the destination address is zero: the value would be lost")
        count = ctx.sload(word_slot(_DEPOSIT_COUNT))
        topics, data = self.abi.event("BridgeEvent").encode_log(
            int(exit_.leaf_type),
            exit_.token.origin_network,
            exit_.token.origin_address,
            exit_.destination_network,
            exit_.destination_address,
            exit_.amount,
            metadata,
            count,
        )
        ctx.emit(topics, data)
        self._add_leaf(ctx, exit_.leaf_hash())
        if force:
            self._update_global_exit_root(ctx)
        return b""

    def _bridge_asset(self, ctx: CallContext, args: tuple[object, ...]) -> bytes:
        destination, to, amount, token, force, permit = args
        assert isinstance(destination, int)
        assert isinstance(to, bytes)
        assert isinstance(amount, int)
        assert isinstance(token, bytes)
        assert isinstance(permit, bytes)
        if token != ZERO_ADDRESS:
            raise revert(
                "ERC-20 tokens are not bridged yet: the token factory and wrapped tokens "
                "are not built (only ETH, token address zero)"
            )
        if permit:
            raise revert("permitData is for ERC-20 tokens; it must be empty for ETH")
        if amount == 0:
            raise revert("the amount is zero")
        if ctx.value != amount:
            raise revert(f"AmountDoesNotMatchMsgValue: amount {amount}, value {ctx.value}")
        exit_ = BridgeExit(LeafType.ASSET, ETH_TOKEN, destination, Address(to), amount)
        self._exit(ctx, exit_, b"", bool(force))
        self._take_eth(ctx, amount)
        self._credit(ctx, destination, amount)
        return b""

    def _bridge_message(self, ctx: CallContext, args: tuple[object, ...]) -> bytes:
        destination, to, force, metadata = args
        assert isinstance(destination, int)
        assert isinstance(to, bytes)
        assert isinstance(metadata, bytes)
        sender = TokenInfo(self._network(ctx), ctx.sender)
        exit_ = BridgeExit(
            LeafType.MESSAGE, sender, destination, Address(to), int(ctx.value), keccak256(metadata)
        )
        self._exit(ctx, exit_, metadata, bool(force))
        self._take_eth(ctx, int(ctx.value))
        self._credit(ctx, destination, int(ctx.value))
        return b""

    def _update_global_exit_root(self, ctx: CallContext) -> None:
        """L1: record the mainnet exit root now (a rollup's bridge records nothing here; its
        local exit root reaches L1 through settlement)."""
        if self._network(ctx) != MAINNET_NETWORK_ID:
            return
        _, rollup = read_exit_roots(ctx.state)
        mainnet = self._root(ctx)
        _record_roots(ctx.state, mainnet, rollup, ctx.env.number)
        topics, data = EXIT_ROOT_MANAGER_ABI.event("UpdateL1InfoTree").encode_log(mainnet, rollup)
        ctx.charge(G_LOG + G_LOG_TOPIC * len(topics) + G_LOG_DATA_BYTE * len(data))
        ctx.logs.append(Log(L1_EXIT_ROOT_MANAGER_ADDRESS, tuple(topics), data))

    # ---- local exit roots of settled rollup blocks (L1) --------------------------------

    def _settle_local_exit_root(self, ctx: CallContext, args: tuple[object, ...]) -> bytes:
        """Take a rollup's local exit root into L1's rollup exit tree, with evidence tied to
        a block L1 settled: the block's state root as L1 knows it (a validity proof, or a
        resolved output) and an EIP-1186 proof of the rollup bridge's
        ``lastLocalExitRoot`` slot against it. Anyone may send it; nothing is taken on the
        hub's word."""
        chain_id, number, account_proof, storage_proof = args
        assert isinstance(chain_id, int)
        assert isinstance(number, int)
        if self._network(ctx) != MAINNET_NETWORK_ID or self.settled_state_root is None:
            raise revert("local exit roots are settled on L1's bridge")
        network = ctx.sload(mapping_slot(_CHAIN_NETWORK, chain_id))
        if not network:
            raise revert(f"UnknownNetwork: chain {chain_id} has no network id on L1")
        last = ctx.sload(mapping_slot(_ROLLUP_LER_BLOCK, network))
        if number <= last:
            raise revert(
                f"chain {chain_id}'s local exit root is settled at block {last}; "
                f"block {number} is not newer"
            )
        state_root = self.settled_state_root(ctx.state, chain_id, number)
        if state_root is None:
            raise revert(
                f"block {number} of chain {chain_id} is not settled on L1 with a state root "
                "L1 knows (a proven block, or a resolved output)"
            )
        root = _proven_local_exit_root(
            state_root, _node_list(account_proof), _node_list(storage_proof)
        )
        ctx.sstore(mapping_slot(_ROLLUP_LER, network), _word(root))
        ctx.sstore(mapping_slot(_ROLLUP_LER_BLOCK, network), number)
        count = ctx.sload(word_slot(_NETWORK_COUNT))
        leaves = [_hash(ctx.sload(mapping_slot(_ROLLUP_LER, n))) for n in range(1, count + 1)]
        rollup_exit_root = ExitTree.from_leaves(leaves).root()
        mainnet, _ = read_exit_roots(ctx.state)
        _record_roots(ctx.state, mainnet, rollup_exit_root, ctx.env.number)
        topics, data = self.abi.event("LocalExitRootSettled").encode_log(
            network, chain_id, number, root, rollup_exit_root
        )
        ctx.emit(topics, data)
        topics, data = EXIT_ROOT_MANAGER_ABI.event("UpdateL1InfoTree").encode_log(
            mainnet, rollup_exit_root
        )
        ctx.charge(G_LOG + G_LOG_TOPIC * len(topics) + G_LOG_DATA_BYTE * len(data))
        ctx.logs.append(Log(L1_EXIT_ROOT_MANAGER_ADDRESS, tuple(topics), data))
        return b""

    # ---- claims ---------------------------------------------------------------------

    def _claim(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        (
            local_proof,
            rollup_proof,
            global_index,
            mainnet_root,
            rollup_root,
            origin_network,
            origin_address,
            destination_network,
            destination_address,
            amount,
            metadata,
        ) = args
        assert isinstance(metadata, bytes)
        assert isinstance(origin_address, bytes)
        assert isinstance(destination_address, bytes)
        assert isinstance(origin_network, int)
        assert isinstance(destination_network, int)
        assert isinstance(amount, int)
        assert isinstance(global_index, int)
        assert isinstance(mainnet_root, bytes)
        assert isinstance(rollup_root, bytes)
        leaf_type = LeafType.ASSET if function == "claimAsset" else LeafType.MESSAGE
        try:
            exit_ = BridgeExit(
                leaf_type,
                TokenInfo(origin_network, Address(origin_address)),
                destination_network,
                Address(destination_address),
                amount,
                keccak256(metadata),
            )
            proof = ClaimProof(
                _siblings(local_proof),
                _siblings(rollup_proof),
                global_index,
                Hash32(bytes(mainnet_root)),
                Hash32(bytes(rollup_root)),
            )
            network = self._network(ctx)
            index = verify_claim(
                exit_, proof, network, lambda root: knows_global_exit_root(ctx.state, root)
            )
        except BridgeRefused as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc
        key = claimed_key(network, index.source_network, index.leaf_index)
        slot = mapping_slot(_CLAIMED, key >> 8)
        word = ctx.sload(slot)
        if (word >> (key & 255)) & 1:
            raise revert(
                f"AlreadyClaimed: exit {index.leaf_index} of network {index.source_network}"
            )
        ctx.sstore(slot, word | (1 << (key & 255)))
        if leaf_type is LeafType.ASSET and not exit_.token.is_eth:
            raise revert("ERC-20 tokens are not bridged yet (only ETH)")
        if leaf_type is LeafType.ASSET and exit_.token.origin_network != MAINNET_NETWORK_ID:
            raise revert("ETH names origin network 0")
        if index.source_network != MAINNET_NETWORK_ID:
            self._debit(ctx, index.source_network, amount)
        self._pay_eth(ctx, exit_.destination_address, amount)
        topics, data = self.abi.event("ClaimEvent").encode_log(
            global_index, origin_network, origin_address, destination_address, amount
        )
        ctx.emit(topics, data)
        return b""


def global_exit_root_deposit(root: Hash32, source_hash: Hash32) -> DepositTransaction:
    """The system deposit that records a global exit root on a rollup; derivation builds
    one per ``UpdateL1InfoTree`` log of L1's exit root manager in an L1Origin block."""
    return system_deposit(
        source_hash,
        L2_EXIT_ROOT_MANAGER_ADDRESS,
        GLOBAL_EXIT_ROOT_GAS,
        EXIT_ROOT_MANAGER_ABI.function("insertGlobalExitRoot").encode_call(root),
    )


def global_exit_root_of_log(log: Log) -> Hash32 | None:
    """The global exit root an L1 log announces (``UpdateL1InfoTree`` of L1's exit root
    manager: topics are the mainnet and rollup exit roots), or None for any other log."""
    event = EXIT_ROOT_MANAGER_ABI.event("UpdateL1InfoTree")
    if (
        log.address != L1_EXIT_ROOT_MANAGER_ADDRESS
        or len(log.topics) != 3
        or log.topics[0] != event.topic0
    ):
        return None
    return global_exit_root(Hash32(log.topics[1]), Hash32(log.topics[2]))


class ExitRootManager(NativeModule):
    """The global exit roots a chain recorded (see the module docstring); one class at two
    addresses, L1's and the rollups'."""

    abi = EXIT_ROOT_MANAGER_ABI

    def __init__(self, address: Address) -> None:
        self.address = address

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        fn = self.abi.function(function)
        if function == "insertGlobalExitRoot":
            if self.address != L2_EXIT_ROOT_MANAGER_ADDRESS:
                raise revert("L1 records global exit roots from its bridge and settlement")
            if ctx.sender != L1_ATTRIBUTES_DEPOSITOR:
                raise revert("only the depositor account may insert global exit roots")
            (root,) = args
            assert isinstance(root, bytes)
            slot = mapping_slot(_GER_MAP, root)
            if ctx.sload(slot) == 0:
                ctx.sstore(slot, ctx.env.number or 1)
            return b""
        if function == "globalExitRootMap":
            (root,) = args
            assert isinstance(root, bytes)
            return fn.encode_return(ctx.sload(mapping_slot(_GER_MAP, root)))
        if self.address != L1_EXIT_ROOT_MANAGER_ADDRESS:
            raise revert(f"{function} is L1's")
        mainnet, rollup = read_exit_roots(ctx.state)
        if function == "getLastGlobalExitRoot":
            return fn.encode_return(global_exit_root(mainnet, rollup))
        if function == "lastMainnetExitRoot":
            return fn.encode_return(mainnet)
        if function == "lastRollupExitRoot":
            return fn.encode_return(rollup)
        raise revert(f"unknown function {function}")
