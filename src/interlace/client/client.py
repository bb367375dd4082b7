"""The typed SDK: chains, transfers, cross-rollup messages, hub status and proofs.

``InterlaceClient`` talks JSON-RPC to a deployment's nodes (found in
``endpoints.json``). ``ChainClient`` covers one chain's ``eth_*`` methods
(the L1 node, or a rollup's sequencer). Transactions are signed locally with
the project's own EIP-1559 signer (byte-identical to eth-account's), so the
SDK needs no key on any node.

Messages follow DESIGN.md §3: ``send_message`` calls the source messenger's
``sendMessage`` and returns the ``SentMessage`` with its identifier;
``get_message_proof`` builds the event proof the destination's trust mode
takes (a hub proof: the hub's state proof from ``interlace_getProof`` plus
the source block's header, transactions and receipts from the source node's
``debug_getRaw*``; or a peer proof from the same block data and the
sequencer's header signature, ``interlace_getHeaderSignature``);
``relay_message`` submits ``relayMessage`` with it; ``message_status``
gathers the source node, the hub, the relayer and the destination into one
stage. ``verify_proof`` runs the protocol's one verifier
(``verify_event_proof``) locally.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

from interlace.client.bridge import BridgeClient
from interlace.client.endpoints import Endpoints, NodeEndpoint, load_endpoints
from interlace.client.errors import (
    BadKey,
    BadResponse,
    ClientError,
    MessageAlreadyRelayed,
    MessageNotFound,
    MessageNotReady,
    NodeUnreachable,
    TransactionFailed,
    UnknownNode,
    WaitTimeout,
)
from interlace.client.tokens import TokenClient
from interlace.client.transport import HttpTransport, Transport
from interlace.client.types import (
    BlockSafety,
    ChainSafety,
    HubStatus,
    LogEntry,
    MessageStatus,
    SentMessage,
    TxReceipt,
    hex_bytes,
    hex_int,
    level_of,
)
from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.header import decode_header, header_hash
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import decode_receipt
from interlace.primitives.rlp_codec import decode_rlp, encode_rlp, read_list
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import Address, Hash32, parse_hex
from interlace.protocol.hub.state import SafetyLevel, decode_signed_hub_block
from interlace.protocol.interop.messenger import (
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    REQUIRED_LEVEL,
    TrustMode,
    message_payload,
    relay_key,
)
from interlace.protocol.interop.proof import (
    EventClaim,
    ProofMode,
    build_hub_event_proof,
    build_peer_event_proof,
    verify_event_proof,
)
from interlace.protocol.l1.modules import PORTAL_ABI, PORTAL_ADDRESS

RELAY_GAS: Final = 2_000_000
"""Gas for ``relayMessage`` before calldata (proof verification is metered generously)."""
DEPOSIT_GAS: Final = 100_000
"""L2 gas limit of a plain ETH deposit."""
POLL_INTERVAL: Final = 0.1
"""Seconds between receipt polls."""
TIP: Final = 1_000_000
"""Priority fee the SDK pays (0.001 gwei; nothing here competes on tips)."""

_T = TypeVar("_T")


def load_key(text: str | bytes | PrivateKey) -> PrivateKey:
    """A private key from 0x-hex (or 32 raw bytes); ``BadKey`` if it does not parse."""
    if isinstance(text, PrivateKey):
        return text
    try:
        raw = parse_hex(text) if isinstance(text, str) else bytes(text)
        return PrivateKey(raw)
    except (InterlaceError, ValueError):
        raise BadKey(
            "not a private key: expected 32 bytes of 0x-hex "
            "(`interlace devnet accounts` lists the development keys)"
        ) from None


def _address(value: str | bytes) -> Address:
    try:
        raw = parse_hex(value) if isinstance(value, str) else bytes(value)
    except InterlaceError:
        raise ClientError(f"not an address: {value!r:.50}") from None
    if len(raw) != 20:
        raise ClientError(f"not a 20-byte address: {value!r:.50}")
    return Address(raw)


def _hash(value: str | bytes) -> Hash32:
    try:
        raw = parse_hex(value) if isinstance(value, str) else bytes(value)
    except InterlaceError:
        raise ClientError(f"not a hash: {value!r:.70}") from None
    if len(raw) != 32:
        raise ClientError(f"not a 32-byte hash: {value!r:.70}")
    return Hash32(raw)


def _parsed(what: str, build: Callable[[], _T]) -> _T:
    """Build a typed value from a node's JSON; a shape error becomes ``BadResponse``."""
    try:
        return build()
    except (KeyError, TypeError, ValueError, InterlaceError) as exc:
        raise BadResponse(f"unexpected {what} from the node: {exc}") from None


def receipt_from_json(chain_id: int, raw: dict[str, Any]) -> TxReceipt:
    """A typed receipt from ``eth_getTransactionReceipt``'s JSON."""

    def build() -> TxReceipt:
        return TxReceipt(
            chain_id=chain_id,
            tx_hash=Hash32(hex_bytes(raw["transactionHash"])),
            block_number=hex_int(raw["blockNumber"]),
            block_hash=Hash32(hex_bytes(raw["blockHash"])),
            transaction_index=hex_int(raw["transactionIndex"]),
            status=hex_int(raw["status"]),
            gas_used=hex_int(raw["gasUsed"]),
            effective_gas_price=hex_int(raw.get("effectiveGasPrice", "0x0")),
            logs=tuple(
                LogEntry(
                    Address(hex_bytes(log["address"])),
                    tuple(Hash32(hex_bytes(t)) for t in log["topics"]),
                    hex_bytes(log["data"]),
                    hex_int(log["logIndex"]),
                    hex_int(log["transactionIndex"]),
                )
                for log in raw["logs"]
            ),
            raw=raw,
        )

    return _parsed("receipt", build)


class ChainClient:
    """``eth_*`` on one chain (see the module docstring)."""

    def __init__(self, node: NodeEndpoint, transport: Transport) -> None:
        if node.chain_id is None:
            raise UnknownNode(f"node {node.name} holds no chain")
        self.node = node
        self.chain_id = node.chain_id
        self.transport = transport

    def rpc(self, method: str, *params: Any) -> Any:
        """Call any method on this chain's node."""
        return self.transport.call(self.node.rpc, method, list(params))

    def block_number(self) -> int:
        """Head number."""
        return hex_int(self.rpc("eth_blockNumber"))

    def balance(self, address: str | bytes, block: str | int = "latest") -> int:
        """Balance in wei."""
        return hex_int(self.rpc("eth_getBalance", "0x" + _address(address).hex(), _tag(block)))

    def nonce(self, address: str | bytes, *, pending: bool = True) -> int:
        """Next nonce (counting the sender's pending transactions unless ``pending=False``)."""
        tag = "pending" if pending else "latest"
        return hex_int(self.rpc("eth_getTransactionCount", "0x" + _address(address).hex(), tag))

    def block(self, block: str | int = "latest", *, full: bool = False) -> dict[str, Any] | None:
        """A block object (JSON as the node sends it), or None."""
        result = self.rpc("eth_getBlockByNumber", _tag(block), full)
        return result if isinstance(result, dict) else None

    def base_fee(self) -> int:
        """The head's base fee per gas."""
        head = self.block("latest")
        if head is None:
            raise BadResponse(f"chain {self.chain_id} returned no head block")
        return hex_int(head["baseFeePerGas"])

    def receipt(self, tx_hash: str | bytes) -> TxReceipt | None:
        """The receipt, or None while the transaction is not mined."""
        raw = self.rpc("eth_getTransactionReceipt", "0x" + _hash(tx_hash).hex())
        return receipt_from_json(self.chain_id, raw) if isinstance(raw, dict) else None

    def wait_for_receipt(self, tx_hash: str | bytes, timeout: float = 60.0) -> TxReceipt:
        """Poll until mined; ``WaitTimeout`` after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            receipt = self.receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() > deadline:
                shown = tx_hash if isinstance(tx_hash, str) else "0x" + bytes(tx_hash).hex()
                raise WaitTimeout(
                    f"transaction {shown} not mined on chain {self.chain_id} after "
                    f"{timeout:.0f} s; check it later with its hash"
                )
            time.sleep(POLL_INTERVAL)

    def send_raw(self, raw: bytes) -> Hash32:
        """``eth_sendRawTransaction``; returns the hash."""
        return _hash(self.rpc("eth_sendRawTransaction", "0x" + raw.hex()))

    def call(self, to: str | bytes, data: bytes, block: str | int = "latest") -> bytes:
        """``eth_call``; returns the return data (``RpcFailure`` code 3 on revert)."""
        request = {"to": "0x" + _address(to).hex(), "data": "0x" + data.hex()}
        return hex_bytes(self.rpc("eth_call", request, _tag(block)))

    def send_call(
        self,
        key: PrivateKey,
        to: str | bytes,
        *,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
        wait: bool = True,
        timeout: float = 60.0,
    ) -> TxReceipt | Hash32:
        """Sign and send an EIP-1559 transaction; the receipt if ``wait`` else the hash.

        ``TransactionFailed`` if it is mined with status 0.
        """
        target = _address(to)
        if gas is None:
            request = {
                "from": "0x" + key.address.hex(),
                "to": "0x" + target.hex(),
                "data": "0x" + data.hex(),
                "value": hex(value),
            }
            gas = hex_int(self.rpc("eth_estimateGas", request, "latest"))
        tx = sign_dynamic_fee(
            key,
            chain_id=self.chain_id,
            nonce=self.nonce(key.address),
            to=target,
            gas_limit=gas,
            max_priority_fee_per_gas=TIP,
            max_fee_per_gas=2 * self.base_fee() + TIP,
            data=data,
            value=value,
        )
        tx_hash = self.send_raw(tx.raw)
        if not wait:
            return tx_hash
        receipt = self.wait_for_receipt(tx_hash, timeout)
        if not receipt.success:
            raise TransactionFailed(
                f"transaction 0x{tx_hash.hex()} reverted in block {receipt.block_number} "
                f"of chain {self.chain_id}"
            )
        return receipt

    def transfer(
        self, key: PrivateKey, to: str | bytes, value: int, *, wait: bool = True
    ) -> TxReceipt | Hash32:
        """Send ``value`` wei to ``to``."""
        return self.send_call(key, to, value=value, gas=21_000, wait=wait)


def _tag(block: str | int) -> str:
    return hex(block) if isinstance(block, int) else block


class InterlaceClient:
    """The whole deployment (see the module docstring)."""

    def __init__(self, endpoints: Endpoints, transport: Transport | None = None) -> None:
        self.endpoints = endpoints
        self.transport: Transport = transport or HttpTransport()

    @classmethod
    def from_data_dir(
        cls, data_dir: Path | str | None = None, transport: Transport | None = None
    ) -> "InterlaceClient":
        """Read ``DATA_DIR/endpoints.json`` (default ``$INTERLACE_DATA_DIR`` or
        ``.interlace-devnet``)."""
        return cls(load_endpoints(data_dir), transport)

    # ---- nodes ------------------------------------------------------------------------

    def chain(self, chain_id: int) -> ChainClient:
        """The chain's writable node: the L1 node or the rollup's sequencer."""
        return ChainClient(self.endpoints.for_chain(chain_id), self.transport)

    @property
    def bridge(self) -> BridgeClient:
        """The unified bridge: deposits from L1, their status and claims."""
        return BridgeClient(self)

    @property
    def tokens(self) -> TokenClient:
        """ERC-20 tokens: make one on L1, balances and metadata on every chain."""
        return TokenClient(self)

    def l1(self) -> ChainClient:
        """The L1 node."""
        return ChainClient(self.endpoints.of_kind("l1"), self.transport)

    def verifier(self, chain_id: int) -> ChainClient:
        """The rollup's verifier node (its chain derived from L1: the safe head)."""
        return ChainClient(self.endpoints.of_kind("verifier", chain_id), self.transport)

    def hub_rpc(self, method: str, *params: Any) -> Any:
        """Call any method on the hub node."""
        return self.transport.call(self.endpoints.of_kind("hub").rpc, method, list(params))

    def relayer_rpc(self, method: str, *params: Any) -> Any:
        """Call any method on the relayer node."""
        return self.transport.call(self.endpoints.of_kind("relayer").rpc, method, list(params))

    # ---- accounts -----------------------------------------------------------------------

    def balance(self, chain_id: int, address: str | bytes, block: str | int = "latest") -> int:
        """Balance in wei on ``chain_id``."""
        return self.chain(chain_id).balance(address, block)

    def nonce(self, chain_id: int, address: str | bytes, *, pending: bool = True) -> int:
        """Next nonce on ``chain_id``."""
        return self.chain(chain_id).nonce(address, pending=pending)

    def transfer(
        self,
        key: PrivateKey | str,
        chain_id: int,
        to: str | bytes,
        value: int,
        *,
        wait: bool = True,
    ) -> TxReceipt | Hash32:
        """Send ``value`` wei on ``chain_id``; the receipt (or the hash without ``wait``)."""
        return self.chain(chain_id).transfer(load_key(key), to, value, wait=wait)

    def deposit(
        self, key: PrivateKey | str, chain_id: int, value: int, *, to: str | bytes | None = None
    ) -> TxReceipt:
        """Deposit ``value`` wei from L1 to ``to`` (default: the sender) on rollup ``chain_id``.

        Returns the L1 receipt; the rollup credits the deposit once its
        sequencer adopts that L1 block as an origin (a few L1 blocks later).
        """
        signer = load_key(key)
        target = _address(to) if to is not None else signer.address
        data = PORTAL_ABI.function("depositTransaction").encode_call(
            chain_id, target, value, DEPOSIT_GAS, b""
        )
        receipt = self.l1().send_call(signer, PORTAL_ADDRESS, data=data, value=value)
        assert isinstance(receipt, TxReceipt)
        return receipt

    # ---- hub ----------------------------------------------------------------------------

    def status(self) -> HubStatus:
        """``interlace_status``: the hub, its L1 view, every chain's heads per level."""
        raw = self.hub_rpc("interlace_status")

        def build() -> HubStatus:
            hub, l1 = raw["hub"], raw["l1"]
            return HubStatus(
                hub_number=int(hub["number"]),
                hub_hash=Hash32(hex_bytes(hub["hash"])) if hub.get("hash") else None,
                l1_processed=int(l1["processed"]),
                l1_head=int(l1["head"]),
                l1_safe=int(l1["safe"]),
                l1_finalized=int(l1["finalized"]),
                chains=tuple(
                    ChainSafety(
                        chain_id=int(c["chainId"]),
                        head=int(c["head"]),
                        preconfirmed=int(c["heads"]["preconfirmed"]),
                        safe=int(c["heads"]["safe"]),
                        confirmed=int(c["heads"]["confirmed"]),
                        finalized=int(c["heads"]["finalized"]),
                        frozen=bool(c["frozen"]),
                        evidence=int(c["evidence"]),
                        invalid_blocks=int(c["invalidBlocks"]),
                    )
                    for c in raw["chains"]
                ),
                raw=raw,
            )

        return _parsed("hub status", build)

    def block_safety(self, chain_id: int, block: int | str | bytes) -> BlockSafety | None:
        """The hub's levels of a rollup block (by number or hash); None if it holds none."""
        which: int | str = block if isinstance(block, int) else "0x" + _hash(block).hex()
        raw = self.hub_rpc("interlace_blockSafety", chain_id, which)
        if raw is None:
            return None

        def build() -> BlockSafety:
            return BlockSafety(
                chain_id=int(raw["chainId"]),
                number=int(raw["number"]),
                block_hash=Hash32(hex_bytes(raw["hash"])),
                level=level_of(raw["level"]),
                cross_level=level_of(raw["crossLevel"]),
                frozen=bool(raw["frozen"]),
                l1_origin_number=int(raw["l1Origin"]["number"]),
                l1_origin_hash=Hash32(hex_bytes(raw["l1Origin"]["hash"])),
                hub_number=int(raw["hubNumber"]),
                raw=raw,
            )

        return _parsed("block safety", build)

    def evidence(self, chain_id: int | None = None) -> list[dict[str, Any]]:
        """Equivocation evidence the hub holds (JSON as the hub sends it)."""
        params = [] if chain_id is None else [chain_id]
        result = self.hub_rpc("interlace_evidence", *params)
        if not isinstance(result, list):
            raise BadResponse("interlace_evidence did not return a list")
        return result

    # ---- messages -------------------------------------------------------------------------

    def send_message(
        self,
        key: PrivateKey | str,
        source: int,
        destination: int,
        target: str | bytes,
        message: bytes,
        *,
        timeout: float = 60.0,
    ) -> SentMessage:
        """Call the source messenger's ``sendMessage`` and return the message once mined."""
        data = MESSENGER_ABI.function("sendMessage").encode_call(
            destination, _address(target), message
        )
        receipt = self.chain(source).send_call(
            load_key(key), MESSENGER_ADDRESS, data=data, timeout=timeout
        )
        assert isinstance(receipt, TxReceipt)
        return self.find_message(source, receipt.tx_hash)

    def find_message(self, source: int, tx_hash: str | bytes, index: int = 0) -> SentMessage:
        """The ``index``-th ``SentMessage`` of a mined transaction on chain ``source``."""
        chain = self.chain(source)
        receipt = chain.receipt(tx_hash)
        if receipt is None:
            raise MessageNotFound(
                f"transaction {_show(tx_hash)} is not mined on chain {source} (yet?)"
            )
        event = MESSENGER_ABI.event("SentMessage")
        sent = [
            (position, log)
            for position, log in enumerate(receipt.logs)
            if log.address == MESSENGER_ADDRESS and log.topics[:1] == (event.topic0,)
        ]
        if index >= len(sent):
            raise MessageNotFound(
                f"transaction {_show(tx_hash)} on chain {source} emitted {len(sent)} "
                f"SentMessage log(s); there is no message #{index}"
            )
        position, log = sent[index]
        block = chain.block(receipt.block_number)
        if block is None or block.get("hash") != "0x" + receipt.block_hash.hex():
            raise MessageNotReady(f"block {receipt.block_number} of chain {source} was replaced")

        def build() -> SentMessage:
            destination, target, nonce, sender, payload = event.decode_log(log.topics, log.data)
            sent_message = message_payload(log.topics, log.data)
            message_hash = keccak256(sent_message)
            return SentMessage(
                source_chain=source,
                destination=int(destination),
                target=Address(target),
                sender=Address(sender),
                nonce=int(nonce),
                message=bytes(payload),
                sent_message=sent_message,
                message_hash=message_hash,
                relay_key=relay_key(source, message_hash),
                tx_hash=receipt.tx_hash,
                block_number=receipt.block_number,
                block_hash=receipt.block_hash,
                block_timestamp=hex_int(block["timestamp"]),
                receipt_index=receipt.transaction_index,
                log_position=position,
                log_index=log.log_index,
            )

        return _parsed("message log", build)

    def trust_mode(self, chain_id: int) -> TrustMode:
        """How ``chain_id`` accepts messages (its messenger's ``trustMode()``)."""
        out = self.chain(chain_id).call(
            MESSENGER_ADDRESS, MESSENGER_ABI.function("trustMode").encode_call()
        )
        (mode,) = _parsed(
            "trustMode()", lambda: MESSENGER_ABI.function("trustMode").decode_return(out)
        )
        return _parsed("trust mode", lambda: TrustMode(int(mode)))

    def is_executed(self, message: SentMessage) -> bool:
        """Has the destination executed the message?"""
        fn = MESSENGER_ABI.function("successfulMessages")
        out = self.chain(message.destination).call(
            MESSENGER_ADDRESS, fn.encode_call(message.source_chain, message.message_hash)
        )
        (done,) = _parsed("successfulMessages()", lambda: fn.decode_return(out))
        return bool(done)

    def message_status(self, message: SentMessage) -> MessageStatus:
        """Where the message stands (see ``MessageStatus`` and docs/sdk.md)."""
        on_source = self._still_on_source(message)
        safety = self._source_safety(message)
        level = safety.level if safety is not None else SafetyLevel.UNKNOWN
        cross = safety.cross_level if safety is not None else SafetyLevel.UNKNOWN
        relayer_state, relay_tx = self._relayer_view(message)
        executed = self.is_executed(message)
        if executed:
            stage = "executed"
        elif cross == SafetyLevel.INVALID:
            stage = "invalid"
        elif not on_source:
            stage = "reorged"
        elif relayer_state == "submitted":
            stage = "relayed"
        elif cross > SafetyLevel.UNKNOWN:
            stage = cross.name.lower()
        else:
            stage = "sent"
        return MessageStatus(
            message, stage, on_source, level, cross, relayer_state, relay_tx, executed
        )

    def _still_on_source(self, message: SentMessage) -> bool:
        receipt = self.chain(message.source_chain).receipt(message.tx_hash)
        return receipt is not None and receipt.block_hash == message.block_hash

    def _source_safety(self, message: SentMessage) -> BlockSafety | None:
        try:
            safety = self.block_safety(message.source_chain, message.block_number)
        except (UnknownNode, NodeUnreachable):
            return None  # no hub to ask: the levels stay unknown
        if safety is None or safety.block_hash != message.block_hash:
            return None  # the hub holds another block there (or none yet)
        return safety

    def _relayer_view(self, message: SentMessage) -> tuple[str | None, Hash32 | None]:
        try:
            raw = self.relayer_rpc("interlace_messageStatus", "0x" + message.relay_key.hex())
        except (UnknownNode, NodeUnreachable):
            return None, None
        if not isinstance(raw, dict):
            return None, None
        tx = raw.get("relayTransaction")
        return str(raw.get("state")), Hash32(hex_bytes(tx)) if isinstance(tx, str) else None

    # ---- proofs ---------------------------------------------------------------------------------

    def get_message_proof(
        self, message: SentMessage, mode: ProofMode | None = None, *, timeout: float = 10.0
    ) -> bytes:
        """The event proof of ``message`` in the form its destination takes.

        ``mode`` defaults to the destination's trust mode: peer-to-peer takes
        a PEER proof, the others a HUB proof. A hub proof is against the
        hub's latest *signed* hub block, which includes a newly pre-confirmed
        block within one hub block time: it waits up to ``timeout`` seconds
        for that, then raises ``MessageNotReady`` (also at once when the hub
        holds another block at that height).
        """
        if mode is None:
            trust = self.trust_mode(message.destination)
            if trust is TrustMode.OPT_OUT:
                raise MessageNotReady(
                    f"chain {message.destination} is opt-out: it takes no fast messages, "
                    "only L1 settlement"
                )
            mode = ProofMode.PEER if trust is TrustMode.P2P else ProofMode.HUB
        source = self.chain(message.source_chain)
        header_raw, transactions, receipts = self._source_block(source, message)
        if mode is ProofMode.PEER:
            answer = source.rpc("interlace_getHeaderSignature", message.block_number)
            if not isinstance(answer, dict):
                raise MessageNotReady(f"the source sequencer has no block {message.block_number}")
            if answer.get("blockHash") != "0x" + message.block_hash.hex():
                raise MessageNotReady(
                    f"block {message.block_number} of chain {message.source_chain} was replaced "
                    "since the message was sent (a reorg or a rebuild)"
                )
            signature = _parsed("header signature", lambda: hex_bytes(answer["signature"]))
            return _build(
                lambda: build_peer_event_proof(
                    chain_id=message.source_chain,
                    source_header=decode_header(header_raw),
                    header_signature=signature,
                    receipts=receipts,
                    transactions=transactions,
                    receipt_index=message.receipt_index,
                    log_position=message.log_position,
                )
            )
        deadline = time.monotonic() + timeout
        while True:
            answer = self.hub_rpc("interlace_getProof", message.source_chain, message.block_number)
            status = answer.get("status") if isinstance(answer, dict) else None
            if isinstance(status, dict):
                break
            if time.monotonic() > deadline:
                raise MessageNotReady(
                    f"the hub has not pre-confirmed block {message.block_number} of chain "
                    f"{message.source_chain} yet; retry in a moment"
                )
            time.sleep(POLL_INTERVAL)
        if status.get("blockHash") != "0x" + message.block_hash.hex():
            raise MessageNotReady(
                f"the hub holds another block at height {message.block_number} of chain "
                f"{message.source_chain} (the source chain reorganised?)"
            )
        signed = _parsed("hub block", lambda: hex_bytes(answer["signedHubBlock"]))
        nodes = _parsed("hub proof", lambda: [hex_bytes(n) for n in answer["proof"]])
        hub_header, signature = _parsed("hub block", lambda: decode_signed_hub_block(signed))
        return _build(
            lambda: build_hub_event_proof(
                chain_id=message.source_chain,
                hub_header=hub_header,
                hub_signature=signature,
                hub_state_proof=nodes,
                source_header=decode_header(header_raw),
                receipts=receipts,
                transactions=transactions,
                receipt_index=message.receipt_index,
                log_position=message.log_position,
            )
        )

    def _source_block(
        self, source: ChainClient, message: SentMessage
    ) -> tuple[bytes, list[bytes], list[Any]]:
        number = hex(message.block_number)
        header_raw = _parsed(
            "raw header", lambda: hex_bytes(source.rpc("debug_getRawHeader", number))
        )
        if header_hash(_parsed("header", lambda: decode_header(header_raw))) != message.block_hash:
            raise MessageNotReady(
                f"block {message.block_number} of chain {message.source_chain} was replaced "
                "since the message was sent (a reorg or a rebuild)"
            )
        block_raw = _parsed("raw block", lambda: hex_bytes(source.rpc("debug_getRawBlock", number)))
        transactions = _parsed("raw block", lambda: _block_transactions(block_raw))
        receipts = _parsed(
            "raw receipts",
            lambda: [
                decode_receipt(hex_bytes(r)) for r in source.rpc("debug_getRawReceipts", number)
            ],
        )
        return header_raw, transactions, receipts

    @staticmethod
    def verify_proof(proof: bytes) -> EventClaim:
        """Check every commitment inside an event proof (``verify_event_proof``).

        Raises ``InvalidEventProof`` / ``MalformedEventProof``; trust policy
        (hub key, levels) stays with the caller, see docs/proofs.md §5.
        """
        return verify_event_proof(proof)

    def relay_message(
        self,
        key: PrivateKey | str,
        message: SentMessage,
        *,
        proof: bytes | None = None,
        timeout: float = 60.0,
    ) -> TxReceipt:
        """Relay ``message`` on its destination with a proof; the relay's receipt.

        Checks first what would make the relay revert: already executed
        (``MessageAlreadyRelayed``), a source block below the destination's
        trust mode (``MessageNotReady``). ``TransactionFailed`` if it reverts
        anyway (e.g. the relayer got there first).
        """
        if self.is_executed(message):
            raise MessageAlreadyRelayed(
                f"message 0x{message.message_hash.hex()} from chain {message.source_chain} "
                f"was already executed on chain {message.destination}"
            )
        if proof is None:
            proof = self.get_message_proof(message)
        claim = verify_event_proof(proof)
        trust = self.trust_mode(message.destination)
        if trust in REQUIRED_LEVEL and claim.status is not None:
            needed = REQUIRED_LEVEL[trust]
            if claim.status.cross_level == SafetyLevel.INVALID:
                raise MessageNotReady("the hub marks the source block invalid: it will never relay")
            if claim.status.cross_level < needed:
                raise MessageNotReady(
                    f"chain {message.destination} accepts messages once the source block is "
                    f"{needed.name.lower()}; it is {claim.status.cross_level.name.lower()}"
                )
        identifier = (
            MESSENGER_ADDRESS,
            message.block_number,
            message.log_index,
            message.block_timestamp,
            message.source_chain,
        )
        data = MESSENGER_ABI.function("relayMessage").encode_call(
            identifier, message.sent_message, proof
        )
        receipt = self.chain(message.destination).send_call(
            load_key(key),
            MESSENGER_ADDRESS,
            data=data,
            gas=RELAY_GAS + 16 * len(data),
            timeout=timeout,
        )
        assert isinstance(receipt, TxReceipt)
        return receipt

    def wait_for_message(
        self, message: SentMessage, stage: str = "executed", timeout: float = 120.0
    ) -> MessageStatus:
        """Poll ``message_status`` until the message reaches ``stage``.

        ``preconfirmed``, ``safe``, ``confirmed`` and ``finalized`` wait for the hub's cross
        level of the source block, whether or not the message has executed yet (a message
        executes at pre-confirmed on most chains and finalizes later); ``relayed`` and
        ``executed`` wait for delivery. ``sent`` returns at once.
        """
        if stage not in WAIT_STAGES:
            raise ClientError(f"unknown stage {stage!r} (one of {', '.join(WAIT_STAGES)})")
        deadline = time.monotonic() + timeout
        while True:
            status = self.message_status(message)
            if status.stage == "invalid":
                raise MessageNotReady(f"message became {status.stage}; it will not be delivered")
            if has_reached(status, stage):
                return status
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"message did not reach {stage} within {timeout:.0f} s"
                    f" (it is {status.stage}, source block cross level"
                    f" {status.cross_level.name.lower()})"
                )
            time.sleep(POLL_INTERVAL * 2)


WAIT_STAGES = ("sent", "preconfirmed", "safe", "confirmed", "finalized", "relayed", "executed")
"""The stages ``wait_for_message`` takes."""

_SAFETY_STAGES = {
    "preconfirmed": SafetyLevel.PRECONFIRMED,
    "safe": SafetyLevel.SAFE,
    "confirmed": SafetyLevel.CONFIRMED,
    "finalized": SafetyLevel.FINALIZED,
}


def has_reached(status: MessageStatus, stage: str) -> bool:
    """Has the message reached ``stage``? Safety stages read the source block's cross level
    (INVALID is above FINALIZED in the enum, so it never counts); delivery stages read the
    destination and the relayer."""
    if stage == "sent":
        return True
    if stage == "executed":
        return status.executed
    if stage == "relayed":
        return status.executed or status.relayer_state in ("submitted", "done")
    level = _SAFETY_STAGES[stage]
    return status.cross_level != SafetyLevel.INVALID and status.cross_level >= level


def _block_transactions(raw: bytes) -> list[bytes]:
    """Raw transactions of a block RLP (typed ones as strings, legacy ones as lists)."""
    items = read_list(decode_rlp(raw), 4, "block")
    return [t if isinstance(t, bytes) else encode_rlp(t) for t in read_list(items[1])]


def _build(make: Callable[[], bytes]) -> bytes:
    try:
        return make()
    except (ValueError, InterlaceError) as exc:
        raise BadResponse(f"the nodes' data does not make a proof: {exc}") from None


def _show(tx_hash: str | bytes) -> str:
    return tx_hash if isinstance(tx_hash, str) else "0x" + bytes(tx_hash).hex()
