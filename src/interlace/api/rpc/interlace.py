"""The ``interlace_*`` methods: hub status, block safety, state proofs, evidence, messages.

The hub answers from its ``HubTracker`` (light clients, levels, evidence)
and its state trie: ``interlace_getProof`` is the hub's prove API, a state
proof of one rollup block against a signed hub block. A full event proof
also needs the source block's receipts, which the hub does not hold (it
never executes rollup blocks), so the SDK completes it with the source
node's ``debug_getRaw*`` answers (``interlace.client``). The relayer is the
only role that follows messages from sending to execution, so it answers
``interlace_messageStatus``. ``interlace_health`` is served by every node.
"""

from typing import Final

from interlace.api.rpc.chain import chain_view_of
from interlace.api.rpc.dispatch import ALL_NODES, Method, RpcContext, node_kind
from interlace.api.rpc.encode import Json, data, quantity
from interlace.api.rpc.errors import InvalidInput, ResourceNotFound, ResourceUnavailable
from interlace.api.rpc.params import (
    Param,
    ParamError,
    parse_chain_id,
    parse_hash,
    parse_int_or_quantity,
    parse_number_or_hash,
)
from interlace.primitives.envelope import decode_envelope
from interlace.primitives.errors import InterlaceError
from interlace.primitives.mpt import verify_proof
from interlace.primitives.types import U64_MAX, Hash32
from interlace.protocol.hub.state import (
    SafetyLevel,
    decode_signed_hub_block,
    decode_status,
    hub_header_hash,
    state_key,
)
from interlace.protocol.hub.tracker import HubTracker, RollupLightClient, TrackedBlock
from interlace.protocol.interop.messenger import relay_key
from interlace.roles.hub import Hub
from interlace.roles.messages import BlocksRequest, BlocksResponse
from interlace.roles.relayer import PendingMessage, Relayer
from interlace.roles.sequencer import Sequencer

HUB: Final = frozenset({"hub"})
RELAYER: Final = frozenset({"relayer"})
LEVELS: Final = (
    SafetyLevel.PRECONFIRMED,
    SafetyLevel.SAFE,
    SafetyLevel.CONFIRMED,
    SafetyLevel.FINALIZED,
)


def level_name(level: int) -> str:
    """Lower-case name of a safety level (``preconfirmed``, ``invalid``…)."""
    try:
        return SafetyLevel(level).name.lower()
    except ValueError:
        return f"level-{level}"


def _hub(ctx: RpcContext) -> Hub:
    role = ctx.role
    assert isinstance(role, Hub)
    return role


def _relayer(ctx: RpcContext) -> Relayer:
    role = ctx.role
    assert isinstance(role, Relayer)
    return role


def _client(tracker: HubTracker, chain_id: int) -> RollupLightClient:
    client = tracker.clients.get(chain_id)
    if client is None:
        known = ", ".join(str(c) for c in sorted(tracker.clients))
        raise ResourceNotFound(f"chain {chain_id} is not registered with the hub (known: {known})")
    return client


def level_heads(client: RollupLightClient) -> dict[str, int]:
    """Per level, the highest block whose cross level reached it (0: none yet)."""
    heads = dict.fromkeys((level_name(level) for level in LEVELS), 0)
    missing = set(LEVELS)
    for number in range(client.head, 0, -1):
        block = client.blocks.get(number)
        if block is None or block.cross_level == SafetyLevel.INVALID:
            continue
        for level in list(missing):
            if block.cross_level >= level:
                heads[level_name(level)] = number
                missing.discard(level)
        if not missing:
            break
    return heads


def hub_status(ctx: RpcContext) -> Json:
    """interlace_status: the hub, its L1 view and every chain's heads per safety level."""
    hub = _hub(ctx)
    tracker = hub.tracker
    head = hub.head
    chains = []
    for chain_id, client in sorted(tracker.clients.items()):
        invalid = sum(1 for b in client.blocks.values() if b.level == SafetyLevel.INVALID)
        chains.append(
            {
                "chainId": chain_id,
                "head": client.head,
                "heads": level_heads(client),
                "frozen": client.frozen,
                "evidence": sum(1 for e in tracker.evidence if e.chain_id == chain_id),
                "invalidBlocks": invalid,
                "waiting": len(client.pending),
            }
        )
    return {
        "nodeId": str(ctx.host.node_id),
        "hub": {
            "number": int(head.number),
            "hash": data(hub_header_hash(head)) if head.number else None,
            "stateRoot": data(head.state_root),
            "timestamp": int(head.timestamp),
            "l1Number": int(head.l1_number),
            "l1Hash": data(head.l1_hash),
        },
        "l1": {
            "processed": hub.processed_l1,
            "head": hub.l1.head_number,
            "safe": hub.l1.safe_number,
            "finalized": hub.l1.finalized_number,
        },
        "chains": chains,
    }


def tracked_json(block: TrackedBlock, client: RollupLightClient) -> Json:
    """The hub's record of one rollup block."""
    return {
        "chainId": int(block.chain_id),
        "number": block.number,
        "hash": data(block.block_hash),
        "parentHash": data(block.parent_hash),
        "timestamp": block.timestamp,
        "level": level_name(block.level),
        "crossLevel": level_name(block.cross_level),
        "levelCode": int(block.level),
        "crossLevelCode": int(block.cross_level),
        "l1Origin": {"number": block.origin_number, "hash": data(block.origin_hash)},
        "safeIn": (
            {"number": block.safe_in[0], "hash": data(block.safe_in[1])}
            if block.safe_in is not None
            else None
        ),
        "dependencies": [
            {"chainId": d.chain_id, "number": d.number, "blockHash": data(d.block_hash)}
            for d in block.deps
        ],
        "frozen": client.frozen,
    }


def block_safety(ctx: RpcContext, chain_id: int, which: int | Hash32) -> Json | None:
    """interlace_blockSafety(chainId, number | hash): the hub's levels of one block (or null)."""
    hub = _hub(ctx)
    client = _client(hub.tracker, chain_id)
    if isinstance(which, int):
        block = client.blocks.get(which)
    else:
        block = next((b for b in client.blocks.values() if b.block_hash == which), None)
    if block is None:
        return None
    result = tracked_json(block, client)
    result["hubNumber"] = int(hub.head.number)
    return result


def hub_proof(ctx: RpcContext, chain_id: int, number: int, hub_number: int | None) -> Json:
    """interlace_getProof(chainId, number[, hubNumber]): a hub state proof of one rollup block.

    Against the latest hub block, or ``hubNumber`` (the hub keeps the last
    512). ``status`` is what the proof proves (null: the proof shows the
    hub holds no status for that block).
    """
    hub = _hub(ctx)
    _client(hub.tracker, chain_id)
    if not hub.signed_head:
        raise ResourceUnavailable("the hub has not sealed a hub block yet; retry in a moment")
    if hub_number is None:
        signed, proof = hub.signed_head, hub.trie.proof(state_key(chain_id, number))
    else:
        try:
            signed, proof = hub.proof_at(hub_number, chain_id, number)
        except KeyError:
            raise ResourceNotFound(
                f"hub block {hub_number} is not kept (head is {hub.head.number}; "
                "the hub keeps the last 512)"
            ) from None
    header, signature = decode_signed_hub_block(signed)
    value = verify_proof(header.state_root, state_key(chain_id, number), proof)
    status = decode_status(value) if value is not None else None
    return {
        "chainId": chain_id,
        "number": number,
        "hubNumber": int(header.number),
        "hubBlockHash": data(hub_header_hash(header)),
        "hubStateRoot": data(header.state_root),
        "signedHubBlock": data(signed),
        "hubSignature": data(signature),
        "proof": [data(node) for node in proof],
        "status": (
            {
                "blockHash": data(status.block_hash),
                "level": level_name(status.level),
                "crossLevel": level_name(status.cross_level),
                "levelCode": int(status.level),
                "crossLevelCode": int(status.cross_level),
            }
            if status is not None
            else None
        ),
    }


def evidence(ctx: RpcContext, chain_id: int | None) -> list[Json]:
    """interlace_evidence([chainId]): equivocation evidence the hub holds."""
    tracker = _hub(ctx).tracker
    if chain_id is not None:
        _client(tracker, chain_id)
    found = []
    for item in tracker.evidence:
        if chain_id is not None and item.chain_id != chain_id:
            continue
        hashes: list[str | None] = []
        for envelope in item.envelopes:
            try:
                hashes.append(data(decode_envelope(envelope)[2].block_hash))
            except InterlaceError:
                hashes.append(None)
        found.append(
            {
                "kind": "equivocation",
                "chainId": int(item.chain_id),
                "number": item.number,
                "hashes": hashes,
                "envelopes": [data(e) for e in item.envelopes],
            }
        )
    return found


def message_json(pending: PendingMessage) -> Json:
    """The relayer's record of one message."""
    source = pending.source
    return {
        "relayKey": data(pending.message_hash),
        "state": pending.state.value,
        "source": {
            "chainId": source.chain_id,
            "number": source.number,
            "blockHash": data(source.block_hash),
            "receiptIndex": pending.receipt_index,
            "logPosition": pending.log_position,
            "logIndex": pending.log_index,
        },
        "destination": pending.destination,
        "relayTransaction": data(pending.tx_hash) if pending.tx_hash else None,
        "attempts": pending.attempts,
    }


def parse_message_ref(value: object) -> Hash32 | tuple[int, int, int]:
    """A message: a 32-byte hash, or an identifier object ``{chainId, blockNumber, logIndex}``."""
    if isinstance(value, dict):
        missing = {"chainId", "blockNumber", "logIndex"} - set(value)
        if missing:
            raise ParamError(f"a message identifier needs {sorted(missing)}")
        return (
            parse_chain_id(value["chainId"]),
            parse_int_or_quantity(value["blockNumber"]),
            parse_int_or_quantity(value["logIndex"]),
        )
    return parse_hash(value)


def message_status(
    ctx: RpcContext, which: Hash32 | tuple[int, int, int], source_chain: int | None
) -> Json | None:
    """interlace_messageStatus(message[, sourceChainId]): the relayer's state of one message.

    ``message`` is the relay key ``keccak256(uint256(source) ‖ messageHash)``;
    or the message hash ``keccak256(topics ‖ data)`` together with the
    source chain id; or OP's identifier as ``{chainId, blockNumber,
    logIndex}`` (the origin and timestamp add nothing here). Null when the
    relayer does not know it (not seen yet, or settled more than two minutes
    ago and forgotten).
    """
    relayer = _relayer(ctx)
    if isinstance(which, tuple):
        chain, number, log_index = which
        found = next(
            (
                p
                for p in relayer.messages.values()
                if (p.source.chain_id, p.source.number, p.log_index) == (chain, number, log_index)
            ),
            None,
        )
        return message_json(found) if found is not None else None
    key = relay_key(source_chain, which) if source_chain is not None else which
    pending = relayer.messages.get(Hash32(key))
    return message_json(pending) if pending is not None else None


def messages(ctx: RpcContext, limit: int) -> list[Json]:
    """interlace_messages([limit]): the relayer's most recent messages (newest last)."""
    relayer = _relayer(ctx)
    if limit > 1000:
        raise InvalidInput("limit must be at most 1000")
    kept = list(relayer.messages.values())[-limit:] if limit else []
    return [message_json(p) for p in kept]


def health(ctx: RpcContext) -> Json:
    """interlace_health: liveness and the node's head, on every node."""
    role = ctx.role
    result: Json = {
        "ok": True,
        "nodeId": str(ctx.host.node_id),
        "kind": node_kind(role),
        "time": float(ctx.host.now()),
    }
    view = chain_view_of(role)
    if view is not None:
        head = view.head()
        result["chainId"] = view.chain_id
        result["head"] = head.number
        result["headHash"] = data(head.hash)
        result["headTimestamp"] = quantity(head.header.timestamp)
    if isinstance(role, Hub):
        result["hubNumber"] = int(role.head.number)
        result["l1Processed"] = role.processed_l1
        result["frozenChains"] = sorted(c for c, cl in role.tracker.clients.items() if cl.frozen)
    if isinstance(role, Relayer):
        result["messages"] = len(role.messages)
        result["delivered"] = role.delivered
    return result


async def get_envelope(ctx: RpcContext, number: int) -> Json | None:
    """interlace_getEnvelope(number): the sequencer's signed ``blocks/v3`` envelope of a block.

    What peers gossip; null beyond the head. (Peer-mode event proofs take
    ``interlace_getHeaderSignature`` instead.)
    """
    role = ctx.role
    assert isinstance(role, Sequencer)
    if not 0 < number <= role.chain.head.number:
        return None
    envelope = role.envelopes.get(number)
    if envelope is None:  # not signed since a restart: ask the role, as a peer would
        answer = await ctx.host.request(BlocksRequest(number, 1))
        if not isinstance(answer, BlocksResponse) or not answer.envelopes:
            raise ResourceUnavailable("the sequencer did not return the envelope; retry")
        envelope = answer.envelopes[0]
    return {"chainId": role.chain_id, "number": number, "envelope": data(envelope)}


def get_header_signature(ctx: RpcContext, number: int) -> Json | None:
    """interlace_getHeaderSignature(number): the sequencer's signature of a block's header.

    For peer-to-peer proofs (``build_peer_event_proof``, docs/proofs.md §3):
    ``sign_block_header`` of the block's hash, signed on demand (RFC 6979, so
    always the same bytes). Null beyond the head.
    """
    role = ctx.role
    assert isinstance(role, Sequencer)
    if not 0 < number <= role.chain.head.number:
        return None
    block = role.chain.block_at(number)
    if block is None:
        return None
    return {
        "chainId": role.chain_id,
        "number": number,
        "blockHash": data(block.hash),
        "signature": data(role.sign_header(block)),
    }


def _parse_optional_hub_number(value: object) -> int:
    return parse_int_or_quantity(value, maximum=U64_MAX)


def _parse_limit(value: object) -> int:
    return parse_int_or_quantity(value, maximum=1000)


INTERLACE_METHODS: Final = (
    Method("interlace_health", (), health, ALL_NODES, "liveness and head"),
    Method("interlace_status", (), hub_status, HUB, "hub, L1 view and chains per level"),
    Method(
        "interlace_blockSafety",
        (Param("chainId", parse_chain_id), Param("block", parse_number_or_hash)),
        block_safety,
        HUB,
        "safety levels of one rollup block",
    ),
    Method(
        "interlace_getProof",
        (
            Param("chainId", parse_chain_id),
            Param("number", parse_int_or_quantity),
            Param("hubNumber", _parse_optional_hub_number, required=False),
        ),
        hub_proof,
        HUB,
        "hub state proof of a rollup block",
    ),
    Method(
        "interlace_evidence",
        (Param("chainId", parse_chain_id, required=False),),
        evidence,
        HUB,
        "equivocation evidence",
    ),
    Method(
        "interlace_getEnvelope",
        (Param("number", parse_int_or_quantity),),
        get_envelope,
        frozenset({"sequencer"}),
        "signed blocks/v3 envelope of a block",
    ),
    Method(
        "interlace_getHeaderSignature",
        (Param("number", parse_int_or_quantity),),
        get_header_signature,
        frozenset({"sequencer"}),
        "the sequencer's signature of a block header (peer-mode proofs)",
    ),
    Method(
        "interlace_messageStatus",
        (
            Param("message", parse_message_ref),
            Param("sourceChainId", parse_chain_id, required=False),
        ),
        message_status,
        RELAYER,
        "the relayer's state of a message",
    ),
    Method(
        "interlace_messages",
        (Param("limit", _parse_limit, required=False, default=100),),
        messages,
        RELAYER,
        "recent messages the relayer follows",
    ),
)
