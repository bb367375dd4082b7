"""The unified bridge module and the exit root manager: one implementation for L1 and for
every rollup, configured by the chain's network id.

``UnifiedBridge`` lives at AggLayer's bridge address (0x2a3D…2EDe, the same on L1 and on
every chain, as ``PolygonZkEVMBridgeV2`` is deployed) with its ABI and events:

- ``bridgeAsset(destinationNetwork, destinationAddress, amount, token,
  forceUpdateGlobalExitRoot, permitData)`` and ``bridgeMessage(destinationNetwork,
  destinationAddress, forceUpdateGlobalExitRoot, metadata)`` append an exit to the chain's
  local exit tree and emit ``BridgeEvent``. ETH sent to the bridge stays in escrow on L1
  (network 0, where ETH is native) and is burnt on a rollup (where it was minted by a
  claim); an ERC-20 token (``token.py``) goes into escrow on its origin chain and is
  burnt elsewhere (its wrapped token). On a rollup an exit takes only from what came in
  through the bridge (``bridgedBalance``, ``InsufficientBridgedBalance``).
- ``claimAsset``/``claimMessage`` take the exit's fields, the global index and the two
  32-sibling proofs, check them with ``verify_claim`` against the global exit roots this
  chain recorded, set the nullifier in the claimed bitmap, extend a rollup's
  ``importedExitsHash`` (``certificate.py``), pay the ETH (from escrow on L1, minted on a
  rollup) or the token (from escrow on its origin chain, else minted as the wrapped token,
  made on the first claim) and emit ``ClaimEvent``. A message runs no code at its destination
  yet (there is no EVM): the claim records it and pays its value.
- ``isClaimed``, ``networkID``, ``depositCount``, ``getRoot``, ``lastLocalExitRoot``,
  ``getTokenWrappedAddress``, ``precalculatedWrapperAddress``, ``wrappedTokenToTokenInfo``.
- L1 only: ``settleLocalExitRoot`` takes a rollup's local exit root with the chain's
  certificate and checks it (``_settle_local_exit_root``).

Storage (Solidity-style slots): ``_branch[32]`` at 0–31 and ``depositCount`` at 32 (the
layout of ``DepositContractBase``), ``networkID`` 33, ``claimedBitMap`` mapping at 34 (word
``key >> 8``, bit ``key & 255``), ``lastLocalExitRoot`` 35: the local exit root after the
last exit, kept in one slot so that a storage proof of it against a settled block's state
root is one slot's proof; ``importedExitsHash`` 40 and ``bridgedBalance`` mapping 41 on
a rollup; on L1 the network map 36, the rollup count 37, each network's settled local
exit root 38 and block 39, pessimistic root 42, certificate height 43 and settled
``importedExitsHash`` 44.

``ExitRootManager`` keeps the global exit roots: on L1 (AggLayer's
``PolygonZkEVMGlobalExitRootV2`` address) the last mainnet and rollup exit roots and
``globalExitRootMap`` (global exit root → the L1 block that recorded it); on a rollup
(``PolygonZkEVMGlobalExitRootL2``'s address) only the map, filled by a system deposit
``insertGlobalExitRoot`` that derivation builds from the chain's L1Origin.

Simplified on purpose, and said so in docs/bridge.md: ``permitData`` must be empty
(approve the bridge first), and tokens are native modules, not contracts.
"""

from collections.abc import Callable, Sequence
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.errors import InputError, InterlaceError
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
from interlace.primitives.types import (
    ZERO_ADDRESS,
    ZERO_HASH,
    Address,
    Hash32,
    address_from_hex,
    to_hex,
)
from interlace.protocol.bridge.accounting import (
    ImportedBridgeExit,
    NetworkState,
    apply_certificate,
)
from interlace.protocol.bridge.certificate import (
    certificate_gas,
    decode_submission,
    fold_imports,
    pessimistic_root,
)
from interlace.protocol.bridge.claim import ClaimProof, verify_claim
from interlace.protocol.bridge.errors import BridgeRefused
from interlace.protocol.bridge.format import (
    ETH_TOKEN,
    MAINNET_NETWORK_ID,
    BridgeExit,
    LeafType,
    TokenInfo,
    TokenMetadata,
    claimed_key,
    decode_token_metadata,
    encode_token_metadata,
    global_exit_root,
)
from interlace.protocol.bridge.token import (
    burn_tokens,
    create_token,
    escrow_tokens,
    mint_tokens,
    read_token_metadata,
    read_token_origin,
    release_tokens,
    token_exists,
    wrapped_token_address,
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
    "bridged_balance_slot",
    "configure_bridge",
    "decode_claim",
    "encode_claim",
    "global_exit_root_deposit",
    "global_exit_root_of_log",
    "imported_exits_hash_slot",
    "is_claim_event",
    "is_claimed",
    "knows_global_exit_root",
    "local_exit_root_slot",
    "read_bridge_event",
    "read_bridged_balance",
    "read_exit_roots",
    "read_imported_exits_hash",
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
        (
            "getTokenWrappedAddress(uint32 originNetwork, address originTokenAddress) view"
            " returns (address)"
        ),
        (
            "precalculatedWrapperAddress(uint32 originNetwork, address originTokenAddress,"
            " string name, string symbol, uint8 decimals) view returns (address)"
        ),
        (
            "wrappedTokenToTokenInfo(address wrappedToken) view returns"
            " (uint32 originNetwork, address originTokenAddress)"
        ),
        "networkID() view returns (uint32)",
        "depositCount() view returns (uint256)",
        "getRoot() view returns (bytes32)",
        "lastLocalExitRoot() view returns (bytes32)",
        "updateGlobalExitRoot()",
        (
            "settleLocalExitRoot(uint64 chainId, uint64 blockNumber, bytes[] accountProof,"
            " bytes[] exitRootProof, bytes[] importsProof, bytes certificate)"
        ),
        "rollupLocalExitRoot(uint32 networkID) view returns (bytes32 root, uint64 blockNumber)",
        "networkOf(uint64 chainId) view returns (uint32)",
        (
            "networkState(uint32 networkID) view returns (bytes32 pessimisticRoot,"
            " uint64 height, bytes32 importedExitsHash)"
        ),
        "importedExitsHash() view returns (bytes32)",
        "bridgedBalance(uint32 originNetwork, address originTokenAddress) view returns (uint256)",
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
_IMPORTED_EXITS_HASH: Final = 40  # a rollup: the hash chain of its claims (certificate.py)
_BRIDGED: Final = 41  # a rollup: mapping(token key => bridged in, less what left)
_PP_ROOT: Final = 42  # L1: mapping(networkID => pessimistic root of its settled state)
_NETWORK_HEIGHT: Final = 43  # L1: mapping(networkID => certificates settled)
_NETWORK_IMPORTS: Final = 44  # L1: mapping(networkID => its settled importedExitsHash)
# Exit root manager storage.
_LAST_MAINNET: Final = 0
_LAST_ROLLUP: Final = 1
_GER_MAP: Final = 2


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _hash(word: int) -> Hash32:
    return Hash32(word.to_bytes(32, "big"))


def read_bridge_event(log: Log) -> tuple[BridgeExit, int, bytes] | None:
    """(exit, leaf index, metadata) of a ``BridgeEvent`` log of the bridge; None for any other
    log. ``MalformedCalldata`` or ``BridgeRefused`` if it does not decode."""
    event = BRIDGE_ABI.event("BridgeEvent")
    if log.address != BRIDGE_ADDRESS or log.topics[:1] != (event.topic0,):
        return None
    *fields, metadata, count = event.decode_log(log.topics, log.data)
    return BridgeExit.from_leaf_fields(fields, keccak256(bytes(metadata))), int(count), metadata


def is_claim_event(log: Log) -> bool:
    """Whether ``log`` is a ``ClaimEvent`` of the bridge."""
    topic0 = BRIDGE_ABI.event("ClaimEvent").topic0
    return log.address == BRIDGE_ADDRESS and log.topics[:1] == (topic0,)


def decode_claim(calldata: bytes) -> ImportedBridgeExit | None:
    """The exit and proof a ``claimAsset``/``claimMessage`` call carries; None for calldata
    of another function (``MalformedCalldata`` or ``BridgeRefused`` if it does not
    decode)."""
    function, args = BRIDGE_ABI.decode_call(calldata)
    if function not in ("claimAsset", "claimMessage"):
        return None
    return _claim_of_args(function, args)


def _claim_of_args(function: str, args: tuple[object, ...]) -> ImportedBridgeExit:
    """The exit and proof of decoded ``claimAsset``/``claimMessage`` arguments
    (``BridgeRefused`` for a value out of range)."""
    local, rollup, index, mainnet, rollup_root, origin, token, destination, to, amount, data = args
    assert isinstance(origin, int) and isinstance(destination, int)
    assert isinstance(amount, int) and isinstance(index, int)
    assert isinstance(token, bytes) and isinstance(to, bytes) and isinstance(data, bytes)
    assert isinstance(mainnet, bytes) and isinstance(rollup_root, bytes)
    exit_ = BridgeExit(
        LeafType.ASSET if function == "claimAsset" else LeafType.MESSAGE,
        TokenInfo(origin, Address(token)),
        destination,
        Address(to),
        amount,
        keccak256(data),
    )
    proof = ClaimProof(
        _siblings(local),
        _siblings(rollup),
        index,
        Hash32(bytes(mainnet)),
        Hash32(bytes(rollup_root)),
    )
    return ImportedBridgeExit(exit_, proof)


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


def imported_exits_hash_slot() -> bytes:
    """The storage key of a rollup bridge's ``importedExitsHash`` (for ``eth_getProof``)."""
    return word_slot(_IMPORTED_EXITS_HASH)


def _token_key(token: TokenInfo) -> int:
    return (token.origin_network << 160) | int.from_bytes(token.origin_address, "big")


def bridged_balance_slot(token: TokenInfo) -> bytes:
    """The storage key of a rollup bridge's ``bridgedBalance`` of ``token``."""
    return mapping_slot(_BRIDGED, _token_key(token))


def read_bridged_balance(state: WorldState, token: TokenInfo) -> int:
    """A rollup's balance of ``token`` bridged in through claims, less what left by exits."""
    return state.get_storage(BRIDGE_ADDRESS, bridged_balance_slot(token))


def read_imported_exits_hash(state: WorldState) -> Hash32:
    """A rollup bridge's hash chain of its claims (``certificate.fold_imports``)."""
    return _hash(state.get_storage(BRIDGE_ADDRESS, word_slot(_IMPORTED_EXITS_HASH)))


def _node_list(value: object) -> list[bytes]:
    assert isinstance(value, tuple | list)
    return [bytes(node) for node in value]


def _bridge_storage_root(state_root: Hash32, account_proof: list[bytes]) -> Hash32:
    """The bridge's storage root in the state under ``state_root``, or a revert naming what
    failed."""
    try:
        raw_account = verify_proof(state_root, BRIDGE_ADDRESS, account_proof, secure=True)
    except InputError as exc:
        raise revert(f"InvalidStorageProof: the bridge's account proof: {exc}") from exc
    if raw_account is None:
        raise revert(f"the account proof shows no bridge under state root 0x{state_root.hex()}")
    try:
        return decode_account(raw_account).storage_root
    except InputError as exc:
        raise revert(f"InvalidStorageProof: the bridge's account: {exc}") from exc


def _proven_word(storage_root: Hash32, slot: bytes, proof: list[bytes], name: str) -> int:
    """A bridge storage word under ``storage_root`` (0 if the proof shows it unset), or a
    revert naming the slot whose proof failed."""
    try:
        raw_word = verify_proof(storage_root, slot, proof, secure=True)
        return 0 if raw_word is None else read_uint(decode_rlp(raw_word), 256, name)
    except InputError as exc:
        raise revert(f"InvalidStorageProof: the {name} slot: {exc}") from exc


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
        if function == "networkState":
            (network,) = args
            assert isinstance(network, int)
            return fn.encode_return(
                _hash(ctx.sload(mapping_slot(_PP_ROOT, network))),
                ctx.sload(mapping_slot(_NETWORK_HEIGHT, network)),
                _hash(ctx.sload(mapping_slot(_NETWORK_IMPORTS, network))),
            )
        if function == "importedExitsHash":
            return fn.encode_return(_hash(ctx.sload(word_slot(_IMPORTED_EXITS_HASH))))
        if function == "bridgedBalance":
            origin_network, origin_address = args
            assert isinstance(origin_network, int)
            assert isinstance(origin_address, bytes)
            token = TokenInfo(origin_network, Address(origin_address))
            return fn.encode_return(ctx.sload(bridged_balance_slot(token)))
        if function in ("getTokenWrappedAddress", "precalculatedWrapperAddress"):
            origin_network, origin_address = args[:2]
            assert isinstance(origin_network, int)
            assert isinstance(origin_address, bytes)
            wrapped = wrapped_token_address(TokenInfo(origin_network, Address(origin_address)))
            made = function == "precalculatedWrapperAddress" or token_exists(ctx.state, wrapped)
            return fn.encode_return(wrapped if made else ZERO_ADDRESS)
        if function == "wrappedTokenToTokenInfo":
            (wrapped_token,) = args
            assert isinstance(wrapped_token, bytes)
            origin = read_token_origin(ctx.state, Address(wrapped_token))
            if origin is None or not token_exists(ctx.state, Address(wrapped_token)):
                return fn.encode_return(0, ZERO_ADDRESS)
            return fn.encode_return(origin.origin_network, origin.origin_address)
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

    def _bridged_out(self, ctx: CallContext, token: TokenInfo, amount: int) -> None:
        """A rollup: an exit takes from what came in through the bridge, and never more, so
        an honest chain's certificate never fails L1's accounting (L1 checks it again:
        ``accounting.apply_certificate``). A token native to the chain is not counted."""
        slot = self._bridged_slot(ctx, token)
        if not amount or slot is None:
            return
        held = ctx.sload(slot)
        if amount > held:
            raise revert(
                f"InsufficientBridgedBalance: network {self._network(ctx)} exits {amount} "
                f"of {token} but holds {held} bridged in; only what came through the bridge "
                "can leave by it (ETH of the chain's genesis or of OptimismPortal deposits "
                "cannot)"
            )
        ctx.sstore(slot, held - amount)

    def _bridged_in(self, ctx: CallContext, token: TokenInfo, amount: int) -> None:
        slot = self._bridged_slot(ctx, token)
        if amount and slot is not None:
            ctx.sstore(slot, ctx.sload(slot) + amount)

    def _bridged_slot(self, ctx: CallContext, token: TokenInfo) -> bytes | None:
        """Where a rollup counts ``token`` bridged in; None on L1 and for a token native to
        the chain, which are not counted."""
        if self._network(ctx) in (MAINNET_NETWORK_ID, token.origin_network):
            return None
        return bridged_balance_slot(token)

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
            *exit_.leaf_fields(), metadata, count
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
        if permit:
            raise revert("permitData is not supported: approve the bridge, then bridgeAsset")
        if amount == 0:
            raise revert("the amount is zero")
        if token == ZERO_ADDRESS:
            if ctx.value != amount:
                raise revert(f"AmountDoesNotMatchMsgValue: amount {amount}, value {ctx.value}")
            exit_ = BridgeExit(LeafType.ASSET, ETH_TOKEN, destination, Address(to), amount)
            self._bridged_out(ctx, ETH_TOKEN, amount)
            self._exit(ctx, exit_, b"", bool(force))
            self._take_eth(ctx, amount)
            return b""
        if ctx.value:
            raise revert(f"MsgValueNotZero: a token transfer carries no ETH, got {ctx.value}")
        if not token_exists(ctx.state, Address(token)):
            raise revert(f"no token at 0x{token.hex()}")
        origin = read_token_origin(ctx.state, Address(token))
        metadata = encode_token_metadata(read_token_metadata(ctx.state, Address(token)))
        if origin is None:  # made on this chain: into escrow
            origin = TokenInfo(self._network(ctx), Address(token))
            escrow_tokens(ctx, Address(token), ctx.sender, self.address, amount)
        else:  # a wrapped token: burnt here, minted where it arrives
            self._bridged_out(ctx, origin, amount)
            burn_tokens(ctx, Address(token), ctx.sender, amount)
        exit_ = BridgeExit(
            LeafType.ASSET, origin, destination, Address(to), amount, keccak256(metadata)
        )
        self._exit(ctx, exit_, metadata, bool(force))
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
        self._bridged_out(ctx, ETH_TOKEN, int(ctx.value))
        self._exit(ctx, exit_, metadata, bool(force))
        self._take_eth(ctx, int(ctx.value))
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
        a block L1 settled and the chain's certificate for the blocks since the last one.

        The evidence: the block's state root as L1 knows it (a validity proof, or a
        resolved output) and EIP-1186 proofs of the rollup bridge's ``lastLocalExitRoot``
        and ``importedExitsHash`` slots against it. The certificate must continue the
        chain's settled state (``certificate.py``), end at that local exit root, import
        exactly the claims the hash chain commits to, and pass the per-chain accounting
        (``accounting.apply_certificate``): a chain that exits more of a token than came
        into it is refused here whatever its own proof said. Anyone may send it; nothing
        is taken on the hub's word."""
        chain_id, number, account_proof, exit_root_proof, imports_proof, raw = args
        assert isinstance(chain_id, int)
        assert isinstance(number, int)
        assert isinstance(raw, bytes)
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
        storage_root = _bridge_storage_root(state_root, _node_list(account_proof))
        root = _hash(
            _proven_word(
                storage_root,
                local_exit_root_slot(),
                _node_list(exit_root_proof),
                "lastLocalExitRoot",
            )
        )
        if root == ZERO_HASH:
            raise revert("the storage proof shows the bridge's lastLocalExitRoot unset")
        imports_hash = _hash(
            _proven_word(
                storage_root,
                imported_exits_hash_slot(),
                _node_list(imports_proof),
                "importedExitsHash",
            )
        )
        state = self._check_certificate(
            ctx,
            network=network,
            chain_id=chain_id,
            number=number,
            raw=raw,
            root=root,
            imports_hash=imports_hash,
        )
        ctx.sstore(mapping_slot(_ROLLUP_LER, network), _word(root))
        ctx.sstore(mapping_slot(_ROLLUP_LER_BLOCK, network), number)
        ctx.sstore(mapping_slot(_PP_ROOT, network), _word(pessimistic_root(state, network)))
        ctx.sstore(mapping_slot(_NETWORK_HEIGHT, network), state.height)
        ctx.sstore(mapping_slot(_NETWORK_IMPORTS, network), _word(imports_hash))
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

    def _check_certificate(
        self,
        ctx: CallContext,
        *,
        network: int,
        chain_id: int,
        number: int,
        raw: bytes,
        root: Hash32,
        imports_hash: Hash32,
    ) -> NetworkState:
        """The chain's state after the submitted certificate, or a revert naming what
        failed (see ``_settle_local_exit_root``)."""
        try:
            submission = decode_submission(raw)
        except BridgeRefused as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc
        cert, previous = submission.certificate, submission.previous
        ctx.charge(certificate_gas(submission))
        if cert.network_id != network:
            raise revert(
                f"WrongCertificateNetwork: the certificate is network {cert.network_id}'s, "
                f"chain {chain_id} is network {network}"
            )
        held = _hash(ctx.sload(mapping_slot(_PP_ROOT, network)))
        empty = held == ZERO_HASH and previous == NetworkState()
        if not empty and pessimistic_root(previous, network) != held:
            raise revert(
                f"PessimisticRootMismatch: the previous state given for network {network} "
                f"has pessimistic root {to_hex(pessimistic_root(previous, network))}, L1 holds "
                f"{to_hex(held)}"
            )
        settled = _hash(ctx.sload(mapping_slot(_ROLLUP_LER, network)))
        if previous.local_exit_root != (settled if settled != ZERO_HASH else EMPTY_EXIT_ROOT):
            raise revert(
                f"LocalExitRootMismatch: the previous state's local exit root "
                f"{to_hex(previous.local_exit_root)} is not network {network}'s settled "
                f"{to_hex(settled)}"
            )
        start = _hash(ctx.sload(mapping_slot(_NETWORK_IMPORTS, network)))
        folded = fold_imports(start, cert.imported_bridge_exits)
        if folded != imports_hash:
            raise revert(
                f"ImportsMismatch: the certificate's {len(cert.imported_bridge_exits)} "
                f"imported exits do not give chain {chain_id}'s importedExitsHash at block "
                f"{number} ({to_hex(folded)}, the block holds {to_hex(imports_hash)}): a claim "
                "is missing, extra or out of order"
            )
        if cert.new_local_exit_root != root:
            raise revert(
                f"LocalExitRootMismatch: the certificate ends at local exit root "
                f"{to_hex(cert.new_local_exit_root)}, chain {chain_id}'s block {number} holds "
                f"{to_hex(root)}"
            )
        try:
            return apply_certificate(
                previous,
                cert,
                submission.witness,
                lambda candidate: knows_global_exit_root(ctx.state, candidate),
            )
        except BridgeRefused as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc

    # ---- claims ---------------------------------------------------------------------

    def _claim_token(self, ctx: CallContext, exit_: BridgeExit, metadata: bytes) -> None:
        """Pay a token claim: out of escrow on its origin chain, else minted as the wrapped
        token (made at its address on the first claim, with the exit's metadata)."""
        origin, to, amount = exit_.token, exit_.destination_address, exit_.amount
        if origin.origin_network == self._network(ctx):
            release_tokens(ctx, origin.origin_address, self.address, to, amount)
            return
        wrapped = wrapped_token_address(origin)
        if not token_exists(ctx.state, wrapped):
            create_token(ctx, wrapped, _claim_token_metadata(metadata), origin)
        elif read_token_origin(ctx.state, wrapped) != origin:
            raise revert(
                f"the address 0x{wrapped.hex()} of {origin}'s wrapped token holds another "
                "token (an address collision): nothing is minted"
            )
        self._bridged_in(ctx, origin, amount)
        mint_tokens(ctx, wrapped, to, amount)

    def _claim(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        metadata = args[10]
        assert isinstance(metadata, bytes)
        try:
            imported = _claim_of_args(function, args)
            exit_, proof = imported.bridge_exit, imported.claim
            network = self._network(ctx)
            index = verify_claim(
                exit_, proof, network, lambda root: knows_global_exit_root(ctx.state, root)
            )
        except BridgeRefused as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc
        leaf_type, amount = exit_.leaf_type, exit_.amount
        key = claimed_key(network, index.source_network, index.leaf_index)
        slot = mapping_slot(_CLAIMED, key >> 8)
        word = ctx.sload(slot)
        if (word >> (key & 255)) & 1:
            raise revert(
                f"AlreadyClaimed: exit {index.leaf_index} of network {index.source_network}"
            )
        ctx.sstore(slot, word | (1 << (key & 255)))
        is_token = leaf_type is LeafType.ASSET and not exit_.token.is_eth
        if leaf_type is LeafType.ASSET and exit_.token.is_eth and exit_.token.origin_network:
            raise revert("ETH names origin network 0")
        if network != MAINNET_NETWORK_ID:
            slot = word_slot(_IMPORTED_EXITS_HASH)
            ctx.sstore(slot, _word(fold_imports(_hash(ctx.sload(slot)), (imported,))))
        if is_token:
            self._claim_token(ctx, exit_, metadata)
        else:
            self._bridged_in(ctx, exit_.amount_token, amount)
            self._pay_eth(ctx, exit_.destination_address, amount)
        topics, data = self.abi.event("ClaimEvent").encode_log(
            proof.global_index,
            exit_.token.origin_network,
            exit_.token.origin_address,
            exit_.destination_address,
            amount,
        )
        ctx.emit(topics, data)
        return b""


def _claim_token_metadata(metadata: bytes) -> TokenMetadata:
    try:
        return decode_token_metadata(metadata)
    except InterlaceError as exc:
        raise revert(f"the claim's token metadata does not decode: {exc}") from exc


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
