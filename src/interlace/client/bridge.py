"""The SDK's side of the unified bridge: deposit ETH from L1 to a rollup with
``bridgeAsset``, follow the deposit, and claim it on the rollup.

``BridgeClient`` (``InterlaceClient.bridge``) reads only what any node serves:

- the deposit's ``BridgeEvent`` in its L1 receipt (its leaf index is the event's
  ``depositCount``);
- L1's exit tree, rebuilt from the bridge's ``BridgeEvent`` logs (``eth_getLogs``, in
  ranges of at most 10,000 blocks);
- L1's last mainnet and rollup exit roots (``lastMainnetExitRoot``,
  ``lastRollupExitRoot`` of the exit root manager);
- whether the rollup recorded that global exit root (``globalExitRootMap`` on the
  rollup's exit root manager).

From these it assembles the whole claim (``build_claim_proof``) and says, when a claim
cannot be made yet, exactly what it waits for. Stages of a deposit: ``on_l1`` (the exit is
in L1's exit tree), ``in_global_exit_root`` (L1 recorded a global exit root holding it),
``claimable`` (the rollup recorded that root), ``claimed``.

Withdrawals (rollup → L1) and rollup → rollup transfers need the hub to settle local exit
roots on L1, which is not built yet (docs/bridge.md).
"""

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from interlace.client.errors import BadResponse, MessageNotFound, MessageNotReady, WaitTimeout
from interlace.client.types import TxReceipt
from interlace.primitives.errors import InterlaceError
from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey
from interlace.primitives.types import (
    ZERO_ADDRESS,
    Address,
    Hash32,
    address_from_hex,
    to_address,
)
from interlace.protocol.bridge.claim import ClaimProof, build_claim_proof
from interlace.protocol.bridge.format import (
    BridgeExit,
    GlobalIndex,
    LeafType,
    TokenInfo,
    global_exit_root,
)
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    EXIT_ROOT_MANAGER_ABI,
    L1_EXIT_ROOT_MANAGER_ADDRESS,
    L2_EXIT_ROOT_MANAGER_ADDRESS,
    encode_claim,
)

if TYPE_CHECKING:
    from interlace.client.client import ChainClient, InterlaceClient

__all__ = ["BridgeClient", "BridgeDeposit", "BridgeStage", "BridgeStatus"]

_LOG_RANGE: Final = 10_000
POLL_SECONDS: Final = 0.25
_BRIDGE_EVENT: Final = BRIDGE_ABI.event("BridgeEvent")


class BridgeStage(StrEnum):
    """How far a deposit has come."""

    ON_L1 = "on_l1"
    """In L1's exit tree; no global exit root holds it yet."""
    IN_GLOBAL_EXIT_ROOT = "in_global_exit_root"
    """L1 recorded a global exit root holding it; the rollup has not recorded that root."""
    CLAIMABLE = "claimable"
    """The rollup recorded the root: ``claimAsset`` succeeds."""
    CLAIMED = "claimed"
    """Claimed on the rollup."""


@dataclass(frozen=True, slots=True)
class BridgeDeposit:
    """One exit of L1's bridge, as its ``BridgeEvent`` says."""

    exit: BridgeExit
    leaf_index: int
    l1_tx: Hash32
    l1_block: int
    metadata: bytes


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    """A deposit's stage, and what it waits for when it is not claimable."""

    deposit: BridgeDeposit
    stage: BridgeStage
    chain_id: int
    """The destination rollup."""
    global_exit_root: Hash32 | None
    """The global exit root a claim uses (None while no recorded root holds the exit)."""
    waiting_for: str
    """What the next stage needs, in words ('' once claimed)."""


def _deposit_from_log(
    topics: tuple[Hash32, ...], data: bytes, tx: Hash32, block: int
) -> BridgeDeposit:
    try:
        fields = _BRIDGE_EVENT.decode_log(topics, data)
    except InterlaceError as exc:
        raise BadResponse(f"a BridgeEvent log does not decode: {exc}") from exc
    leaf_type, origin_network, origin, destination, to, amount, metadata, count = fields
    assert isinstance(metadata, bytes)
    assert isinstance(origin, bytes)
    assert isinstance(to, bytes)
    exit_ = BridgeExit(
        LeafType(int(leaf_type)),
        TokenInfo(int(origin_network), Address(origin)),
        int(destination),
        Address(to),
        int(amount),
        keccak256(metadata),
    )
    return BridgeDeposit(exit_, int(count), tx, block, metadata)


class BridgeClient:
    """Deposits, their status and their claims (see the module docstring)."""

    def __init__(self, client: "InterlaceClient") -> None:
        self.client = client

    # ---- reading ------------------------------------------------------------------------

    def deposit_of(self, l1_tx: str | bytes, index: int = 0) -> BridgeDeposit:
        """The ``index``-th bridge exit of an L1 transaction."""
        l1 = self.client.l1()
        receipt = l1.receipt(l1_tx)
        if receipt is None:
            raise MessageNotFound(f"L1 holds no transaction {_show(l1_tx)}")
        found = [
            _deposit_from_log(log.topics, log.data, receipt.tx_hash, receipt.block_number)
            for log in receipt.logs
            if log.address == BRIDGE_ADDRESS and log.topics[:1] == (_BRIDGE_EVENT.topic0,)
        ]
        if index >= len(found):
            raise MessageNotFound(
                f"L1 transaction {_show(l1_tx)} has {len(found)} bridge exits, no exit {index}"
            )
        return found[index]

    def l1_exits(self) -> list[Hash32]:
        """Every leaf of L1's exit tree, in order, from the bridge's logs."""
        l1 = self.client.l1()
        head = l1.block_number()
        leaves: dict[int, Hash32] = {}
        for first in range(0, head + 1, _LOG_RANGE):
            last = min(head, first + _LOG_RANGE - 1)
            logs = l1.rpc(
                "eth_getLogs",
                {
                    "fromBlock": hex(first),
                    "toBlock": hex(last),
                    "address": "0x" + BRIDGE_ADDRESS.hex(),
                    "topics": ["0x" + _BRIDGE_EVENT.topic0.hex()],
                },
            )
            for log in logs:
                topics = tuple(Hash32(bytes.fromhex(t[2:])) for t in log["topics"])
                data = bytes.fromhex(log["data"][2:])
                deposit = _deposit_from_log(topics, data, Hash32(b"\x00" * 32), 0)
                leaves[deposit.leaf_index] = deposit.exit.leaf_hash()
        if sorted(leaves) != list(range(len(leaves))):
            raise BadResponse("L1's bridge logs have a gap in their deposit counts")
        return [leaves[i] for i in range(len(leaves))]

    def l1_exit_roots(self) -> tuple[Hash32, Hash32]:
        """L1's last (mainnet exit root, rollup exit root)."""
        l1 = self.client.l1()
        roots = []
        for name in ("lastMainnetExitRoot", "lastRollupExitRoot"):
            fn = EXIT_ROOT_MANAGER_ABI.function(name)
            (root,) = fn.decode_return(l1.call(L1_EXIT_ROOT_MANAGER_ADDRESS, fn.encode_call()))
            assert isinstance(root, bytes)
            roots.append(Hash32(root))
        return roots[0], roots[1]

    def chain_of_network(self, network_id: int) -> "ChainClient":
        """The rollup whose bridge has ``network_id``."""
        fn = BRIDGE_ABI.function("networkID")
        for chain_id in self.client.endpoints.chain_ids:
            chain = self.client.chain(chain_id)
            (network,) = fn.decode_return(chain.call(BRIDGE_ADDRESS, fn.encode_call()))
            if network == network_id:
                return chain
        raise MessageNotFound(f"no rollup of this devnet has network id {network_id}")

    def status(self, l1_tx: str | bytes, index: int = 0) -> BridgeStatus:
        """Where the deposit stands, and what it waits for."""
        deposit = self.deposit_of(l1_tx, index)
        chain = self.chain_of_network(deposit.exit.destination_network)
        fn = BRIDGE_ABI.function("isClaimed")
        (claimed,) = fn.decode_return(
            chain.call(BRIDGE_ADDRESS, fn.encode_call(deposit.leaf_index, 0))
        )
        mainnet, rollup = self.l1_exit_roots()
        root = global_exit_root(mainnet, rollup)
        covered = self._prefix_with_root(mainnet) > deposit.leaf_index
        if claimed:
            return BridgeStatus(deposit, BridgeStage.CLAIMED, chain.chain_id, root, "")
        if not covered:
            return BridgeStatus(
                deposit,
                BridgeStage.ON_L1,
                chain.chain_id,
                None,
                "L1 has recorded no global exit root holding this exit yet: a later "
                "bridgeAsset with forceUpdateGlobalExitRoot, or updateGlobalExitRoot(), "
                "records one",
            )
        if not self._rollup_knows(chain, root):
            return BridgeStatus(
                deposit,
                BridgeStage.IN_GLOBAL_EXIT_ROOT,
                chain.chain_id,
                root,
                f"rollup {chain.chain_id} has not recorded global exit root 0x{root.hex()} "
                "yet: it does once its sequencer adopts an L1 block at or after the one "
                "that recorded it as an L1Origin",
            )
        return BridgeStatus(deposit, BridgeStage.CLAIMABLE, chain.chain_id, root, "")

    def claim_proof(self, deposit: BridgeDeposit) -> ClaimProof:
        """The claim witness of an L1 deposit against L1's last global exit root."""
        mainnet, rollup = self.l1_exit_roots()
        leaves = self.l1_exits()
        count = self._prefix_with_root(mainnet, leaves)
        if count <= deposit.leaf_index:
            raise MessageNotReady(
                f"exit {deposit.leaf_index} of L1 is in no global exit root L1 recorded yet"
            )
        tree = ExitTree.from_leaves(leaves[:count])
        proof = build_claim_proof(
            GlobalIndex.for_exit(0, deposit.leaf_index), tree, ExitTree(), mainnet
        )
        # the rollup exit root is L1's, whatever the (unused) rollup tree of a mainnet claim
        return ClaimProof(
            proof.smt_proof_local_exit_root,
            proof.smt_proof_rollup_exit_root,
            proof.global_index,
            mainnet,
            rollup,
        )

    def wait_for(
        self, l1_tx: str | bytes, stage: BridgeStage, *, index: int = 0, timeout: float = 60.0
    ) -> BridgeStatus:
        """Poll ``status`` until the deposit reaches ``stage``; ``WaitTimeout`` says where it
        stopped and what it waited for."""
        order = list(BridgeStage)
        deadline = time.monotonic() + timeout
        while True:
            current = self.status(l1_tx, index)
            if order.index(current.stage) >= order.index(stage):
                return current
            if time.monotonic() >= deadline:
                raise WaitTimeout(
                    f"after {timeout:g} s the deposit is {current.stage.value}, not "
                    f"{stage.value}: {current.waiting_for}"
                )
            time.sleep(POLL_SECONDS)

    # ---- writing ------------------------------------------------------------------------

    def deposit(
        self, key: PrivateKey, chain_id: int, amount: int, *, to: str | bytes | None = None
    ) -> BridgeDeposit:
        """``bridgeAsset`` ETH from L1 to ``to`` (default: the sender) on rollup
        ``chain_id``, recording a global exit root at once; returns the exit."""
        network = self._network_of(chain_id)
        target = _to_address(to) if to is not None else key.address
        data = BRIDGE_ABI.function("bridgeAsset").encode_call(
            network, target, amount, ZERO_ADDRESS, True, b""
        )
        receipt = self.client.l1().send_call(key, BRIDGE_ADDRESS, data=data, value=amount)
        assert isinstance(receipt, TxReceipt)
        return self.deposit_of(receipt.tx_hash)

    def claim(self, key: PrivateKey, l1_tx: str | bytes, index: int = 0) -> TxReceipt:
        """Claim an L1 deposit on its rollup; ``MessageNotReady`` says what it waits for."""
        status = self.status(l1_tx, index)
        if status.stage is BridgeStage.CLAIMED:
            raise MessageNotReady(
                f"exit {status.deposit.leaf_index} of L1 is already claimed on {status.chain_id}"
            )
        if status.stage is not BridgeStage.CLAIMABLE:
            raise MessageNotReady(status.waiting_for)
        proof = self.claim_proof(status.deposit)
        data = encode_claim(status.deposit.exit, proof, status.deposit.metadata)
        receipt = self.client.chain(status.chain_id).send_call(key, BRIDGE_ADDRESS, data=data)
        assert isinstance(receipt, TxReceipt)
        return receipt

    # ---- helpers ------------------------------------------------------------------------

    def _network_of(self, chain_id: int) -> int:
        fn = BRIDGE_ABI.function("networkID")
        chain = self.client.chain(chain_id)
        (network,) = fn.decode_return(chain.call(BRIDGE_ADDRESS, fn.encode_call()))
        assert isinstance(network, int)
        return network

    def _rollup_knows(self, chain: "ChainClient", root: Hash32) -> bool:
        fn = EXIT_ROOT_MANAGER_ABI.function("globalExitRootMap")
        (at,) = fn.decode_return(chain.call(L2_EXIT_ROOT_MANAGER_ADDRESS, fn.encode_call(root)))
        return bool(at)

    def _prefix_with_root(self, root: Hash32, leaves: list[Hash32] | None = None) -> int:
        """How many of L1's exits the tree with root ``root`` holds (0 if none matches)."""
        leaves = self.l1_exits() if leaves is None else leaves
        tree = ExitTree()
        if tree.root() == root:
            return 0
        for count, leaf in enumerate(leaves, start=1):
            tree.append(leaf)
            if tree.root() == root:
                return count
        return 0


def _show(tx: str | bytes) -> str:
    return tx if isinstance(tx, str) else "0x" + tx.hex()


def _to_address(value: str | bytes) -> Address:
    return address_from_hex(value) if isinstance(value, str) else to_address(value)
