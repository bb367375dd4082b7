"""Cross-rollup messaging predeploys: the messenger and the hub client.

``L2ToL2CrossDomainMessenger`` (0x4200…0023, OP's address and event
layout):
- ``sendMessage(destination, target, message)`` emits OP's ``SentMessage``
  with a per-chain nonce; the message hash is keccak256 of the log payload
  (topics ‖ data), DESIGN.md §3.
- ``relayMessage(identifier, sentMessage, proof)`` executes a message on the
  destination after checking, in order: the chain's trust mode (opt-out
  refuses everything); the proof (``verify_event_proof``) and that it proves
  the identifier's block; that the source block is not later than this
  block (OP's timestamp invariant); that the proof is acceptable under the
  trust mode (peer-to-peer: signed by the source chain's sequencer as configured here;
  pre-confirmed/confirmed/finalized: against a hub state root this chain's
  hub client holds, with the block's cross-level at least the mode's); that
  the log came from the source messenger, is a ``SentMessage`` for this
  chain, and is exactly ``sentMessage``; the L1 consistency check (the
  source block's L1Origin is on this chain's L1 history); expiry; replay
  protection; that the target is not a system module; and that the source
  block was declared as a dependency of this block.
- ``declareDependencies(deps)`` is a system deposit the sequencer places
  before the block's user transactions: the dependencies the block's relays
  use, committed inside the signed payload so the hub reads them without
  executing the block.

``HubClient`` (0x4200…0100, Interlace's) stores every forwarded hub block's
state root after checking the hub's signature; it is updated by system
deposits carrying the signed hub block.

There is no EVM yet: relaying to an account records the delivery
(``RelayedMessage``) but runs no code at the target.
"""

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from interlace.primitives.abi import MalformedCalldata
from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.tx import DepositTransaction, Transaction
from interlace.primitives.types import Address, Hash32
from interlace.protocol.chain.modules import (
    CallContext,
    NativeModule,
    mapping_slot,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import WorldState
from interlace.protocol.hub.state import (
    SafetyLevel,
    decode_signed_hub_block,
    recover_hub_signer,
)
from interlace.protocol.interop.predeploys import (
    HUB_CLIENT_ABI,
    HUB_CLIENT_ADDRESS,
    MESSENGER_ABI,
    MESSENGER_ADDRESS,
    Dependency,
)
from interlace.protocol.interop.proof import EventClaim, ProofMode, verify_event_proof
from interlace.protocol.rollup.declaration import read_batch_content
from interlace.protocol.rollup.predeploys import (
    L1_ATTRIBUTES_DEPOSITOR,
    L1_BLOCK_ADDRESS,
    read_l1_hash,
    read_l1_origin,
    system_deposit,
)

# The addresses, ABIs and ``Dependency`` live in ``predeploys`` and are re-exported here.
__all__ = [
    "DEFAULT_EXPIRY",
    "DEPENDENCY_DOMAIN",
    "FORBIDDEN_TARGETS",
    "HUB_CLIENT_ABI",
    "HUB_CLIENT_ADDRESS",
    "HUB_UPDATE_DOMAIN",
    "MESSENGER_ABI",
    "MESSENGER_ADDRESS",
    "REQUIRED_LEVEL",
    "SYSTEM_GAS",
    "Dependency",
    "HubClient",
    "Messenger",
    "MessengerConfig",
    "TrustMode",
    "configure_messenger",
    "dependencies_of",
    "dependency_deposit",
    "dependency_key",
    "forwarded_hub_blocks",
    "hub_update_deposit",
    "is_relayed",
    "message_payload",
    "read_hub_root",
    "read_latest_hub",
    "relay_claim",
    "relay_key",
]

SYSTEM_GAS: Final = 1_000_000
DEFAULT_EXPIRY: Final = 86_400
"""Seconds after the source block's timestamp a message can still be relayed."""


class TrustMode(IntEnum):
    """How a destination chain accepts messages (DESIGN.md §4)."""

    P2P = 0
    PRECONFIRMED = 1
    CONFIRMED = 2
    FINALIZED = 3
    OPT_OUT = 4


REQUIRED_LEVEL: Final = {
    TrustMode.PRECONFIRMED: SafetyLevel.PRECONFIRMED,
    TrustMode.CONFIRMED: SafetyLevel.CONFIRMED,
    TrustMode.FINALIZED: SafetyLevel.FINALIZED,
}

# Messenger storage layout.
_NONCE: Final = 0
_TRUST_MODE: Final = 1
_EXPIRY: Final = 2
_SUCCESSFUL: Final = 3
_PEER_SEQUENCER: Final = 4
_DECLARED: Final = 5
# Hub client storage layout.
_HUB_SIGNER: Final = 0
_HUB_LATEST: Final = 1
_HUB_ROOTS: Final = 2

FORBIDDEN_TARGETS: Final = frozenset({MESSENGER_ADDRESS, HUB_CLIENT_ADDRESS, L1_BLOCK_ADDRESS})


def dependency_key(dep: Dependency) -> bytes:
    """Storage key of a declared dependency."""
    return keccak256(
        dep.chain_id.to_bytes(8, "big") + dep.number.to_bytes(8, "big") + dep.block_hash
    )


def relay_key(source_chain: int, message_hash: bytes) -> Hash32:
    """Replay-protection key: keccak256(uint256(source) ‖ messageHash).

    ``SentMessage`` carries no source chain id, so two chains can emit the same
    payload (same sender, target, message and per-chain nonce); keying on the
    payload hash alone would refuse the second, distinct message.
    """
    return keccak256(source_chain.to_bytes(32, "big") + message_hash)


def message_payload(topics: tuple[bytes, ...], data: bytes) -> bytes:
    """OP's ``sentMessage``: the log's topics concatenated, then its data."""
    return b"".join(topics) + data


@dataclass(frozen=True, slots=True)
class MessengerConfig:
    """Genesis configuration of a chain's messenger and hub client."""

    trust_mode: TrustMode
    """How this chain accepts messages."""
    hub_signer: Address
    """The hub's key (hub client checks forwarded hub blocks against it)."""
    peer_sequencers: tuple[tuple[int, Address], ...] = ()
    """For peer-to-peer mode: source chain id → its sequencer's address."""
    expiry: int = DEFAULT_EXPIRY
    """Message lifetime in seconds."""


def configure_messenger(state: WorldState, config: MessengerConfig) -> None:
    """Write the genesis configuration into the two modules' storage."""
    state.set_storage(MESSENGER_ADDRESS, word_slot(_TRUST_MODE), int(config.trust_mode))
    state.set_storage(MESSENGER_ADDRESS, word_slot(_EXPIRY), config.expiry)
    for chain_id, sequencer in config.peer_sequencers:
        state.set_storage(
            MESSENGER_ADDRESS,
            mapping_slot(_PEER_SEQUENCER, chain_id),
            int.from_bytes(sequencer, "big"),
        )
    state.set_storage(
        HUB_CLIENT_ADDRESS, word_slot(_HUB_SIGNER), int.from_bytes(config.hub_signer, "big")
    )


def read_hub_root(state: WorldState, number: int) -> Hash32 | None:
    """The hub state root this chain's hub client stored for hub block ``number``."""
    word = state.get_storage(HUB_CLIENT_ADDRESS, mapping_slot(_HUB_ROOTS, number))
    return Hash32(word.to_bytes(32, "big")) if word else None


def read_latest_hub(state: WorldState) -> int:
    """Highest hub block number this chain's hub client holds."""
    return state.get_storage(HUB_CLIENT_ADDRESS, word_slot(_HUB_LATEST))


def is_relayed(state: WorldState, source_chain: int, message_hash: bytes) -> bool:
    """True if the message from ``source_chain`` was already executed here."""
    key = relay_key(source_chain, message_hash)
    return bool(state.get_storage(MESSENGER_ADDRESS, mapping_slot(_SUCCESSFUL, key)))


class Messenger(NativeModule):
    """See the module docstring."""

    address = MESSENGER_ADDRESS
    abi = MESSENGER_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "sendMessage":
            return self._send(ctx, args)
        if function == "relayMessage":
            return self._relay(ctx, args)
        if function == "declareDependencies":
            return self._declare(ctx, args)
        if function == "successfulMessages":
            source, message_hash = args
            assert isinstance(source, int)
            assert isinstance(message_hash, bytes)
            done = ctx.sload(mapping_slot(_SUCCESSFUL, relay_key(source, message_hash)))
            return self.abi.function(function).encode_return(bool(done))
        if function == "messageNonce":
            return self.abi.function(function).encode_return(ctx.sload(word_slot(_NONCE)))
        if function == "trustMode":
            return self.abi.function(function).encode_return(ctx.sload(word_slot(_TRUST_MODE)))
        raise revert(f"unknown function {function}")

    def _send(self, ctx: CallContext, args: tuple[object, ...]) -> bytes:
        destination, target, message = args
        assert isinstance(destination, int)
        assert isinstance(message, bytes)
        if destination == ctx.env.chain_id:
            raise revert("a message cannot target its own chain")
        nonce = ctx.sload(word_slot(_NONCE))
        ctx.sstore(word_slot(_NONCE), nonce + 1)
        topics, data = self.abi.event("SentMessage").encode_log(
            destination, target, nonce, ctx.sender, message
        )
        ctx.emit(topics, data)
        return self.abi.function("sendMessage").encode_return(
            keccak256(message_payload(topics, data))
        )

    def _declare(self, ctx: CallContext, args: tuple[object, ...]) -> bytes:
        if ctx.sender != L1_ATTRIBUTES_DEPOSITOR:
            raise revert("only the depositor account may declare dependencies")
        (deps,) = args
        assert isinstance(deps, tuple | list)
        for chain_id, number, block_hash in deps:
            key = dependency_key(Dependency(chain_id, number, Hash32(block_hash)))
            ctx.sstore(mapping_slot(_DECLARED, key), ctx.env.number)
        return b""

    def _relay(self, ctx: CallContext, args: tuple[object, ...]) -> bytes:
        identifier, sent_message, proof = args
        assert isinstance(identifier, tuple)
        assert isinstance(sent_message, bytes)
        assert isinstance(proof, bytes)
        origin, block_number, _log_index, timestamp, source_chain = identifier
        mode = TrustMode(ctx.sload(word_slot(_TRUST_MODE)))
        if mode is TrustMode.OPT_OUT:
            raise revert("opt-out: this chain takes no fast messages, only L1 settlement")
        try:
            claim = verify_event_proof(proof)
        except InterlaceError as exc:
            raise revert(f"invalid proof: {exc}") from exc
        if (claim.chain_id, claim.block_number, claim.block_timestamp) != (
            source_chain,
            block_number,
            timestamp,
        ):
            raise revert("proof is for another block than the identifier names")
        # OP interop's timestamp invariant: a message cannot come from a block later
        # than the one executing it (equal is allowed: same-timestamp cycles).
        if claim.block_timestamp > ctx.env.timestamp:
            raise revert(
                "message initiated after the executing block (source timestamp "
                f"{claim.block_timestamp} > {ctx.env.timestamp})"
            )
        self._check_trust(ctx, mode, claim)
        log = claim.log
        if origin != MESSENGER_ADDRESS or log.address != MESSENGER_ADDRESS:
            raise revert("log was not emitted by the source messenger")
        sent = self.abi.event("SentMessage")
        if not log.topics or log.topics[0] != sent.topic0 or len(log.topics) != 4:
            raise revert("log is not a SentMessage")
        if int.from_bytes(log.topics[1], "big") != ctx.env.chain_id:
            raise revert("message is for another destination chain")
        if message_payload(log.topics, log.data) != sent_message:
            raise revert("sentMessage does not match the proven log")
        self._check_l1_consistency(ctx, claim)
        if ctx.env.timestamp > claim.block_timestamp + ctx.sload(word_slot(_EXPIRY)):
            raise revert("message expired")
        message_hash = keccak256(sent_message)
        replay_key = relay_key(claim.chain_id, message_hash)
        if ctx.sload(mapping_slot(_SUCCESSFUL, replay_key)):
            raise revert("message already relayed")
        target = Address(log.topics[2][12:])
        if target in FORBIDDEN_TARGETS:
            raise revert("messages may not target system modules")
        dep = Dependency(claim.chain_id, claim.block_number, claim.block_hash)
        if ctx.sload(mapping_slot(_DECLARED, dependency_key(dep))) != ctx.env.number:
            raise revert("source block was not declared as a dependency of this block")
        ctx.sstore(mapping_slot(_SUCCESSFUL, replay_key), 1)
        nonce = int.from_bytes(log.topics[3], "big")
        topics, data = self.abi.event("RelayedMessage").encode_log(
            claim.chain_id, nonce, message_hash
        )
        ctx.emit(topics, data)
        return b""

    def _check_trust(self, ctx: CallContext, mode: TrustMode, claim: EventClaim) -> None:
        if mode is TrustMode.P2P:
            if claim.mode is not ProofMode.PEER:
                raise revert("peer-to-peer mode takes the source sequencer's signed block")
            expected = ctx.sload(mapping_slot(_PEER_SEQUENCER, claim.chain_id))
            if claim.sequencer is None or int.from_bytes(claim.sequencer, "big") != expected:
                raise revert("block is not signed by the source chain's sequencer")
            return
        if claim.mode is not ProofMode.HUB or claim.status is None or claim.hub_number is None:
            raise revert("this trust mode takes a hub state proof")
        known = ctx.state.get_storage(
            HUB_CLIENT_ADDRESS, mapping_slot(_HUB_ROOTS, claim.hub_number)
        )
        if known == 0 or known.to_bytes(32, "big") != claim.hub_state_root:
            raise revert("hub state root is not one this chain's hub client holds")
        if claim.status.cross_level == SafetyLevel.INVALID:
            raise revert("the hub marks the source block invalid")
        if claim.status.cross_level < REQUIRED_LEVEL[mode]:
            raise revert(f"source block is not yet {REQUIRED_LEVEL[mode].name.lower()}")

    def _check_l1_consistency(self, ctx: CallContext, claim: EventClaim) -> None:
        own_origin = read_l1_origin(ctx.state)[0]
        if claim.l1_origin_number > own_origin:
            raise revert("source block's L1Origin is ahead of this chain's L1 view; retry later")
        seen = read_l1_hash(ctx.state, claim.l1_origin_number)
        if seen is None or seen != claim.l1_origin_hash:
            raise revert("source block's L1Origin is not on this chain's L1 history")


class HubClient(NativeModule):
    """Stores forwarded hub state roots (see the module docstring)."""

    address = HUB_CLIENT_ADDRESS
    abi = HUB_CLIENT_ABI

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "updateHub":
            if ctx.sender != L1_ATTRIBUTES_DEPOSITOR:
                raise revert("only the depositor account may forward hub blocks")
            (raw,) = args
            assert isinstance(raw, bytes)
            try:
                header, signature = decode_signed_hub_block(raw)
                signer = recover_hub_signer(header, signature)
            except InterlaceError as exc:
                raise revert(f"bad hub block: {exc}") from exc
            if int.from_bytes(signer, "big") != ctx.sload(word_slot(_HUB_SIGNER)):
                raise revert("hub block is not signed by the hub")
            ctx.sstore(
                mapping_slot(_HUB_ROOTS, header.number), int.from_bytes(header.state_root, "big")
            )
            if header.number > ctx.sload(word_slot(_HUB_LATEST)):
                ctx.sstore(word_slot(_HUB_LATEST), header.number)
            topics, data = self.abi.event("HubUpdated").encode_log(
                header.number, header.state_root, header.l1_number
            )
            ctx.emit(topics, data)
            return b""
        if function == "hubRoot":
            (number,) = args
            assert isinstance(number, int)
            word = ctx.sload(mapping_slot(_HUB_ROOTS, number))
            return self.abi.function(function).encode_return(word.to_bytes(32, "big"))
        if function == "latestHub":
            return self.abi.function(function).encode_return(ctx.sload(word_slot(_HUB_LATEST)))
        raise revert(f"unknown function {function}")


# ---- system deposits ------------------------------------------------------------

HUB_UPDATE_DOMAIN: Final = 3
DEPENDENCY_DOMAIN: Final = 4


def _system_source_hash(domain: int, seed: bytes) -> Hash32:
    return keccak256(domain.to_bytes(32, "big") + keccak256(seed))


def hub_update_deposit(signed_hub_block: bytes) -> DepositTransaction:
    """The system deposit that forwards one signed hub block to the hub client."""
    return system_deposit(
        _system_source_hash(HUB_UPDATE_DOMAIN, signed_hub_block),
        HUB_CLIENT_ADDRESS,
        SYSTEM_GAS,
        HUB_CLIENT_ABI.function("updateHub").encode_call(signed_hub_block),
    )


def dependency_deposit(parent_hash: Hash32, deps: tuple[Dependency, ...]) -> DepositTransaction:
    """The system deposit declaring a block's dependencies (sorted, deduplicated)."""
    encoded = [(d.chain_id, d.number, d.block_hash) for d in deps]
    data = MESSENGER_ABI.function("declareDependencies").encode_call(encoded)
    return system_deposit(
        _system_source_hash(DEPENDENCY_DOMAIN, parent_hash + data),
        MESSENGER_ADDRESS,
        SYSTEM_GAS,
        data,
    )


def forwarded_hub_blocks(transactions: tuple[Transaction, ...]) -> list[tuple[int, bytes]]:
    """(hub number, signed hub block) of every hub-client update a block's ``transactions``
    carry (its batch entry's hub blocks, ``read_batch_content``)."""
    found: list[tuple[int, bytes]] = []
    for signed in read_batch_content(tuple(tx.raw for tx in transactions))[1]:
        try:
            header, _signature = decode_signed_hub_block(signed)
        except InterlaceError:
            continue
        found.append((header.number, signed))
    return found


def relay_claim(tx: Transaction) -> EventClaim | None:
    """The proof claim of a ``relayMessage`` transaction (None for anything else)."""
    if tx.to != MESSENGER_ADDRESS or isinstance(tx, DepositTransaction):
        return None
    try:
        function, args = MESSENGER_ABI.decode_call(tx.data)
        if function != "relayMessage":
            return None
        proof = args[2]
        assert isinstance(proof, bytes)
        return verify_event_proof(proof)
    except (InterlaceError, MalformedCalldata):
        return None


def dependencies_of(txs: list[Transaction] | tuple[Transaction, ...]) -> tuple[Dependency, ...]:
    """Dependencies the relays among ``txs`` use, sorted and deduplicated."""
    found = set()
    for tx in txs:
        claim = relay_claim(tx)
        if claim is not None:
            found.add(Dependency(claim.chain_id, claim.block_number, claim.block_hash))
    return tuple(sorted(found, key=lambda d: (d.chain_id, d.number, d.block_hash)))
