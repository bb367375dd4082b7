"""The SDK's side of the unified bridge: move ETH between L1 and the rollups with
``bridgeAsset``, follow a transfer, settle a rollup's local exit root on L1, and claim.

``BridgeClient`` (``InterlaceClient.bridge``) reads only what any node serves:

- a transfer's ``BridgeEvent`` in its receipt on the source chain (its leaf index is the
  event's ``depositCount``);
- the source chain's exit tree, rebuilt from its bridge's ``BridgeEvent`` logs
  (``eth_getLogs`` in ranges of at most 10,000 blocks);
- L1's last mainnet and rollup exit roots, and each rollup's local exit root as L1 settled
  it (``rollupLocalExitRoot``);
- whether the destination recorded the global exit root a claim uses
  (``globalExitRootMap``).

From these it assembles the whole claim (``build_claim_proof``) and says, when a claim
cannot be made yet, exactly what it waits for. The stages of a transfer (``BridgeStage``):
``sent`` (in the source's exit tree), ``in_global_exit_root`` (L1 recorded a global exit
root holding it: at once for an exit of L1 sent with ``forceUpdateGlobalExitRoot``; for a
rollup's exit, once a block at or above it is settled on L1 and its local exit root taken
in, ``settle``), ``claimable`` (the destination recorded that root: L1 at once, a rollup
once its sequencer adopts the recording L1 block as an L1Origin), ``claimed``.

``settle`` sends a rollup's certificate with its local exit root (``certificate``): the
exits and claims of the blocks since L1's last settlement of the chain, the witness of
L1's accounting check and the chain's previous state, all rebuilt from the chain's bridge
logs and its claim transactions (so the submitter keeps nothing, and its work grows with
the chain's history), and the two storage proofs.

Simplified on purpose: nobody settles a rollup's local exit root by itself yet (the hub or
the relayer will); ``settle`` does it for the caller, who pays L1 gas.
"""

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from interlace.client.errors import (
    BadResponse,
    MessageNotFound,
    MessageNotReady,
    TransactionFailed,
    WaitTimeout,
)
from interlace.client.types import TxReceipt
from interlace.primitives.errors import InterlaceError
from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import Log
from interlace.primitives.types import (
    ZERO_ADDRESS,
    ZERO_HASH,
    Address,
    Hash32,
    address_from_hex,
    to_address,
)
from interlace.protocol.bridge.accounting import ImportedBridgeExit
from interlace.protocol.bridge.certificate import Submission, build_submission, encode_submission
from interlace.protocol.bridge.claim import ClaimProof, build_claim_proof
from interlace.protocol.bridge.format import (
    MAINNET_NETWORK_ID,
    BridgeExit,
    GlobalIndex,
    global_exit_root,
)
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    EXIT_ROOT_MANAGER_ABI,
    L1_EXIT_ROOT_MANAGER_ADDRESS,
    L2_EXIT_ROOT_MANAGER_ADDRESS,
    decode_claim,
    encode_claim,
    imported_exits_hash_slot,
    local_exit_root_slot,
    read_bridge_event,
)
from interlace.protocol.settlement.aggregate import SETTLEMENT_ABI, SETTLEMENT_ADDRESS

if TYPE_CHECKING:
    from interlace.client.client import ChainClient, InterlaceClient

__all__ = ["BridgeClient", "BridgeStage", "BridgeStatus", "BridgeTransfer"]

_LOG_RANGE: Final = 10_000
POLL_SECONDS: Final = 0.25
SETTLE_SEARCH: Final = 64
"""Blocks below a chain's settled head ``settle`` looks through for one L1 knows the state
root of (an optimistic chain's output block)."""
_BRIDGE_EVENT: Final = BRIDGE_ABI.event("BridgeEvent")
_CLAIM_EVENT: Final = BRIDGE_ABI.event("ClaimEvent")


class BridgeStage(StrEnum):
    """How far a transfer has come, in order."""

    SENT = "sent"
    """In the source chain's exit tree; no global exit root holds it yet."""
    IN_GLOBAL_EXIT_ROOT = "in_global_exit_root"
    """L1 recorded a global exit root holding it; the destination has not recorded it."""
    CLAIMABLE = "claimable"
    """The destination recorded the root: the claim succeeds."""
    CLAIMED = "claimed"
    """Claimed on the destination."""


@dataclass(frozen=True, slots=True)
class BridgeTransfer:
    """One exit of a chain's bridge, as its ``BridgeEvent`` says."""

    exit: BridgeExit
    leaf_index: int
    source_chain: int
    """The chain id it left."""
    source_network: int
    tx: Hash32
    block: int
    """The source block holding it."""
    metadata: bytes


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    """A transfer's stage, and what it waits for."""

    transfer: BridgeTransfer
    stage: BridgeStage
    destination_chain: int
    global_exit_root: Hash32 | None
    """The global exit root a claim uses (None while no recorded root holds the exit)."""
    waiting_for: str
    """What the next stage needs, in words ('' once claimed)."""


def _decode_event(topics: tuple[Hash32, ...], data: bytes) -> tuple[BridgeExit, int, bytes]:
    try:
        decoded = read_bridge_event(Log(BRIDGE_ADDRESS, topics, data))
    except (InterlaceError, ValueError) as exc:
        raise BadResponse(f"a BridgeEvent log does not decode: {exc}") from exc
    if decoded is None:
        raise BadResponse("the log is not a BridgeEvent of the bridge")
    return decoded


def _to_address(value: str | bytes) -> Address:
    return address_from_hex(value) if isinstance(value, str) else to_address(value)


def _show(tx: str | bytes) -> str:
    return tx if isinstance(tx, str) else "0x" + tx.hex()


class BridgeClient:
    """Transfers, their status, settling exit roots and claims (see the module docstring)."""

    def __init__(self, client: "InterlaceClient") -> None:
        self.client = client

    # ---- networks -----------------------------------------------------------------------

    def _view(self, chain: "ChainClient", to: Address, function: str, *args: Any) -> Any:
        abi = BRIDGE_ABI if to == BRIDGE_ADDRESS else EXIT_ROOT_MANAGER_ABI
        if to == SETTLEMENT_ADDRESS:
            abi = SETTLEMENT_ABI
        fn = abi.function(function)
        values = fn.decode_return(chain.call(to, fn.encode_call(*args)))
        return values[0] if len(values) == 1 else values

    def network_of(self, chain_id: int) -> int:
        """A chain's AggLayer network id, as its bridge says."""
        network = self._view(self.client.chain(chain_id), BRIDGE_ADDRESS, "networkID")
        assert isinstance(network, int)
        return network

    def chain_of_network(self, network_id: int) -> int:
        """The chain id of network ``network_id`` (0 is L1)."""
        l1_id = self.client.endpoints.l1_chain_id
        if network_id == MAINNET_NETWORK_ID and l1_id is not None:
            return l1_id
        for chain_id in self.client.endpoints.chain_ids:
            if self.network_of(chain_id) == network_id:
                return chain_id
        raise MessageNotFound(f"no chain of this devnet has network id {network_id}")

    # ---- reading ------------------------------------------------------------------------

    def transfer_of(self, chain_id: int, tx: str | bytes, index: int = 0) -> BridgeTransfer:
        """The ``index``-th bridge exit of a transaction on ``chain_id``."""
        receipt = self.client.chain(chain_id).receipt(tx)
        if receipt is None:
            raise MessageNotFound(f"chain {chain_id} holds no transaction {_show(tx)}")
        events = [
            _decode_event(log.topics, log.data)
            for log in receipt.logs
            if log.address == BRIDGE_ADDRESS and log.topics[:1] == (_BRIDGE_EVENT.topic0,)
        ]
        if index >= len(events):
            raise MessageNotFound(
                f"transaction {_show(tx)} on {chain_id} has {len(events)} bridge exits, "
                f"no exit {index}"
            )
        exit_, count, metadata = events[index]
        network = self.network_of(chain_id)
        return BridgeTransfer(
            exit_, count, chain_id, network, receipt.tx_hash, receipt.block_number, metadata
        )

    def exit_leaves(self, chain_id: int, up_to_block: int | None = None) -> list[Hash32]:
        """The leaves of a chain's exit tree, in order, from its bridge's logs (those in blocks
        up to ``up_to_block`` only, if given)."""
        chain = self.client.chain(chain_id)
        last_block = chain.block_number() if up_to_block is None else up_to_block
        return [e.leaf_hash() for e in self._exits_between(chain_id, 0, last_block)]

    def _bridge_logs(
        self, chain_id: int, topic0: Hash32, first_block: int, last_block: int
    ) -> list[dict[str, Any]]:
        """The bridge's logs with ``topic0`` in blocks ``first_block..last_block``, in order."""
        chain = self.client.chain(chain_id)
        logs: list[dict[str, Any]] = []
        for first in range(first_block, last_block + 1, _LOG_RANGE):
            last = min(last_block, first + _LOG_RANGE - 1)
            logs.extend(
                chain.rpc(
                    "eth_getLogs",
                    {
                        "fromBlock": hex(first),
                        "toBlock": hex(last),
                        "address": "0x" + BRIDGE_ADDRESS.hex(),
                        "topics": ["0x" + topic0.hex()],
                    },
                )
            )
        return logs

    def _exits_between(self, chain_id: int, first_block: int, last_block: int) -> list[BridgeExit]:
        """The exits of a chain's blocks ``first_block..last_block``, in leaf order."""
        exits: dict[int, BridgeExit] = {}
        for log in self._bridge_logs(chain_id, _BRIDGE_EVENT.topic0, first_block, last_block):
            topics = tuple(Hash32(bytes.fromhex(t[2:])) for t in log["topics"])
            exit_, count, _metadata = _decode_event(topics, bytes.fromhex(log["data"][2:]))
            exits[count] = exit_
        start = min(exits, default=0)
        if sorted(exits) != list(range(start, start + len(exits))):
            raise BadResponse(f"chain {chain_id}'s bridge logs have a gap in their deposit counts")
        return [exits[i] for i in sorted(exits)]

    def _imports_between(
        self, chain_id: int, first_block: int, last_block: int
    ) -> list[ImportedBridgeExit]:
        """The claims of a chain's blocks ``first_block..last_block``, in order, each with
        the proof its transaction carried."""
        chain = self.client.chain(chain_id)
        imports: list[ImportedBridgeExit] = []
        for log in self._bridge_logs(chain_id, _CLAIM_EVENT.topic0, first_block, last_block):
            tx = chain.rpc("eth_getTransactionByHash", log["transactionHash"])
            try:
                imported = decode_claim(bytes.fromhex(tx["input"][2:]))
            except (InterlaceError, ValueError, KeyError, TypeError) as exc:
                raise BadResponse(f"claim transaction {log['transactionHash']}: {exc}") from exc
            if imported is None:
                raise BadResponse(
                    f"transaction {log['transactionHash']} emitted a ClaimEvent but is no claim"
                )
            imports.append(imported)
        return imports

    def l1_exit_roots(self) -> tuple[Hash32, Hash32]:
        """L1's last (mainnet exit root, rollup exit root)."""
        l1 = self.client.l1()
        mainnet = self._view(l1, L1_EXIT_ROOT_MANAGER_ADDRESS, "lastMainnetExitRoot")
        rollup = self._view(l1, L1_EXIT_ROOT_MANAGER_ADDRESS, "lastRollupExitRoot")
        return Hash32(bytes(mainnet)), Hash32(bytes(rollup))

    def settled_exit_root(self, chain_id: int) -> tuple[Hash32, int]:
        """A rollup's local exit root as L1 settled it, and the block it was settled at."""
        network = self.network_of(chain_id)
        root, number = self._view(self.client.l1(), BRIDGE_ADDRESS, "rollupLocalExitRoot", network)
        return Hash32(bytes(root)), int(number)

    def _rollup_tree(self) -> ExitTree:
        """L1's rollup exit tree: leaf i is network i+1's settled local exit root."""
        l1 = self.client.l1()
        count = len(self.client.endpoints.chain_ids)
        leaves = []
        for network in range(1, count + 1):
            root, _number = self._view(l1, BRIDGE_ADDRESS, "rollupLocalExitRoot", network)
            leaves.append(Hash32(bytes(root)))
        return ExitTree.from_leaves(leaves)

    def _knows(self, chain_id: int, root: Hash32) -> bool:
        chain = self.client.chain(chain_id)
        manager = (
            L1_EXIT_ROOT_MANAGER_ADDRESS
            if chain_id == self.client.endpoints.l1_chain_id
            else L2_EXIT_ROOT_MANAGER_ADDRESS
        )
        return bool(self._view(chain, manager, "globalExitRootMap", root))

    def status(self, chain_id: int, tx: str | bytes, index: int = 0) -> BridgeStatus:
        """Where a transfer stands, and what it waits for."""
        transfer = self.transfer_of(chain_id, tx, index)
        destination = self.chain_of_network(transfer.exit.destination_network)
        claimed = self._view(
            self.client.chain(destination),
            BRIDGE_ADDRESS,
            "isClaimed",
            transfer.leaf_index,
            transfer.source_network,
        )
        mainnet, rollup = self.l1_exit_roots()
        root = global_exit_root(mainnet, rollup)
        if claimed:
            return BridgeStatus(transfer, BridgeStage.CLAIMED, destination, root, "")
        waiting = self._why_not_in_root(transfer, mainnet)
        if waiting:
            return BridgeStatus(transfer, BridgeStage.SENT, destination, None, waiting)
        if not self._knows(destination, root):
            return BridgeStatus(
                transfer,
                BridgeStage.IN_GLOBAL_EXIT_ROOT,
                destination,
                root,
                f"chain {destination} has not recorded global exit root 0x{root.hex()} yet: "
                "it does once its sequencer adopts an L1 block at or after the one that "
                "recorded it as an L1Origin",
            )
        return BridgeStatus(transfer, BridgeStage.CLAIMABLE, destination, root, "")

    def _why_not_in_root(self, transfer: BridgeTransfer, mainnet: Hash32) -> str:
        """'' if L1's last global exit root holds the exit, else what it waits for."""
        if transfer.source_network == MAINNET_NETWORK_ID:
            leaves = self.exit_leaves(transfer.source_chain)
            if _prefix_with_root(leaves, mainnet) > transfer.leaf_index:
                return ""
            return (
                "L1 has recorded no global exit root holding this exit yet: a later "
                "bridgeAsset with forceUpdateGlobalExitRoot, or updateGlobalExitRoot(), "
                "records one"
            )
        _root, settled_at = self.settled_exit_root(transfer.source_chain)
        if settled_at >= transfer.block:
            return ""
        return (
            f"L1 has taken chain {transfer.source_chain}'s local exit root only up to block "
            f"{settled_at}; the exit is in block {transfer.block}: once an aggregate settles "
            f"a block at or above it, 'interlace bridge settle --chain {transfer.source_chain}' "
            "takes the root in"
        )

    def claim_proof(self, transfer: BridgeTransfer) -> ClaimProof:
        """The claim witness of a transfer against L1's last global exit root."""
        mainnet, rollup = self.l1_exit_roots()
        index = GlobalIndex.for_exit(transfer.source_network, transfer.leaf_index)
        if transfer.source_network == MAINNET_NETWORK_ID:
            leaves = self.exit_leaves(transfer.source_chain)
            count = _prefix_with_root(leaves, mainnet)
            rollups = ExitTree()
        else:
            settled_root, settled_at = self.settled_exit_root(transfer.source_chain)
            leaves = self.exit_leaves(transfer.source_chain, settled_at)
            count = _prefix_with_root(leaves, settled_root)
            rollups = self._rollup_tree()
            if rollups.root() != rollup:
                raise BadResponse("L1's rollup exit root does not match its rollups' roots")
        if count <= transfer.leaf_index:
            raise MessageNotReady(
                f"exit {transfer.leaf_index} of chain {transfer.source_chain} is in no global "
                "exit root L1 recorded yet"
            )
        proof = build_claim_proof(index, ExitTree.from_leaves(leaves[:count]), rollups, mainnet)
        return ClaimProof(
            proof.smt_proof_local_exit_root,
            proof.smt_proof_rollup_exit_root,
            proof.global_index,
            mainnet,
            rollup,
        )

    def wait_for(
        self,
        chain_id: int,
        tx: str | bytes,
        stage: BridgeStage,
        *,
        index: int = 0,
        timeout: float = 60.0,
    ) -> BridgeStatus:
        """Poll ``status`` until the transfer reaches ``stage``; ``WaitTimeout`` says where it
        stopped and what it waited for."""
        order = list(BridgeStage)
        deadline = time.monotonic() + timeout
        while True:
            current = self.status(chain_id, tx, index)
            if order.index(current.stage) >= order.index(stage):
                return current
            if time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"after {timeout:g} s the transfer is {current.stage.value}, not "
                    f"{stage.value}: {current.waiting_for}"
                )
            time.sleep(POLL_SECONDS)

    # ---- writing ------------------------------------------------------------------------

    def send(
        self,
        key: PrivateKey,
        source_chain: int,
        destination_chain: int,
        amount: int,
        *,
        to: str | bytes | None = None,
        token: str | bytes | None = None,
    ) -> BridgeTransfer:
        """``bridgeAsset`` ETH (wei), or ``amount`` units of ``token``, from ``source_chain``
        to ``to`` (default: the sender) on ``destination_chain``; from L1 it records a
        global exit root at once. ``token`` may be the token's address on the source or
        its origin address; a token made on the source chain is approved to the bridge
        first where the allowance is short (a second transaction)."""
        network = self.network_of(destination_chain)
        target = _to_address(to) if to is not None else key.address
        chain = self.client.chain(source_chain)
        local, value = ZERO_ADDRESS, amount
        if token is not None:
            tokens = self.client.tokens
            local, value = tokens.local_address(source_chain, token), 0
            origin = tokens.origin_of(source_chain, local)
            native = origin.origin_network == self.network_of(source_chain)
            if native and tokens.allowance(source_chain, local, key.address, BRIDGE_ADDRESS) < (
                amount
            ):
                tokens.approve(key, source_chain, local, BRIDGE_ADDRESS, amount)
        data = BRIDGE_ABI.function("bridgeAsset").encode_call(
            network, target, amount, local, True, b""
        )
        receipt = chain.send_call(key, BRIDGE_ADDRESS, data=data, value=value)
        assert isinstance(receipt, TxReceipt)
        return self.transfer_of(source_chain, receipt.tx_hash)

    def settle(self, key: PrivateKey, chain_id: int) -> TxReceipt | None:
        """Take a rollup's local exit root into L1 at its highest settled block whose state
        root L1 knows, with the storage proof from the rollup; None if L1 already has it
        there. ``MessageNotReady`` if no such block is newer than what L1 holds."""
        l1 = self.client.l1()
        head, _hash = self._view(l1, SETTLEMENT_ADDRESS, "settledHead", chain_id)
        _root, settled_at = self.settled_exit_root(chain_id)
        if int(head) <= settled_at:
            return None
        for number in range(int(head), max(settled_at, int(head) - SETTLE_SEARCH), -1):
            known = self._view(l1, BRIDGE_ADDRESS, "settledStateRoot", chain_id, number)
            if Hash32(bytes(known)) != ZERO_HASH:
                break
        else:
            raise MessageNotReady(
                f"no block of chain {chain_id} above {settled_at} is settled on L1 with a "
                "state root L1 knows yet"
            )
        submission = self.certificate(chain_id, settled_at, number)
        proof = self.client.chain(chain_id).rpc(
            "eth_getProof",
            "0x" + BRIDGE_ADDRESS.hex(),
            ["0x" + local_exit_root_slot().hex(), "0x" + imported_exits_hash_slot().hex()],
            hex(number),
        )
        account = [bytes.fromhex(node[2:]) for node in proof["accountProof"]]
        exit_root, imports = (
            [bytes.fromhex(node[2:]) for node in item["proof"]] for item in proof["storageProof"]
        )
        data = BRIDGE_ABI.function("settleLocalExitRoot").encode_call(
            chain_id, number, account, exit_root, imports, encode_submission(submission)
        )
        try:
            receipt = l1.send_call(key, BRIDGE_ADDRESS, data=data)
        except TransactionFailed:
            if self.settled_exit_root(chain_id)[1] >= number:
                return None  # another sender (the chain's settler) took it in first
            raise
        assert isinstance(receipt, TxReceipt)
        return receipt

    def certificate(self, chain_id: int, settled_at: int, number: int) -> Submission:
        """The certificate of a chain's blocks ``settled_at + 1 .. number`` with its witness
        and the chain's previous state, rebuilt from the chain's bridge logs; the refusal
        L1 would give (a ``BridgeRefused``) if the blocks break the accounting rule."""
        network = self.network_of(chain_id)
        _pp_root, height, _imports = self._view(
            self.client.l1(), BRIDGE_ADDRESS, "networkState", network
        )
        settled = (
            self._exits_between(chain_id, 0, settled_at) if settled_at else [],
            self._imports_between(chain_id, 0, settled_at) if settled_at else [],
        )
        new = (
            self._exits_between(chain_id, settled_at + 1, number),
            self._imports_between(chain_id, settled_at + 1, number),
        )
        l1_id = self.client.endpoints.l1_chain_id
        assert l1_id is not None
        return build_submission(
            network, settled, new, int(height), lambda root: self._knows(l1_id, root)
        )

    def claim(self, key: PrivateKey, chain_id: int, tx: str | bytes, index: int = 0) -> TxReceipt:
        """Claim a transfer on its destination; ``MessageNotReady`` says what it waits for."""
        status = self.status(chain_id, tx, index)
        if status.stage is BridgeStage.CLAIMED:
            raise MessageNotReady(
                f"exit {status.transfer.leaf_index} of chain {chain_id} is already claimed "
                f"on {status.destination_chain}"
            )
        if status.stage is not BridgeStage.CLAIMABLE:
            raise MessageNotReady(status.waiting_for)
        proof = self.claim_proof(status.transfer)
        data = encode_claim(status.transfer.exit, proof, status.transfer.metadata)
        destination = self.client.chain(status.destination_chain)
        receipt = destination.send_call(key, BRIDGE_ADDRESS, data=data)
        assert isinstance(receipt, TxReceipt)
        return receipt


def _prefix_with_root(leaves: list[Hash32], root: Hash32) -> int:
    """How many of ``leaves`` the tree with root ``root`` holds (0 if no prefix has it)."""
    tree = ExitTree()
    for count, leaf in enumerate(leaves, start=1):
        tree.append(leaf)
        if tree.root() == root:
            return count
    return 0
