"""Hub aggregates and their settlement on L1: aggregated finalization (AggLayer step 3).

This package owns the aggregate format (``Aggregate``, its canonical RLP and
the hub's domain-2 signature), the pure settlement rules
(``check_aggregate``: which blocks of an aggregate settle and which are left
out, and why) and the L1 native module ``HubSettlement`` that applies them
to L1 state. The module records *settlement*: which rollup blocks the hub
settled, in which L1 block. A settled block is *finalized* (DESIGN.md §4)
once the L1 block holding its aggregate is finalized; the hub reads that
from L1 finality, nothing here tracks it. Layouts are in docs/settlement.md:

- aggregate: ``RLP[hubNumber, hubStateRoot, [block, ...]]``, each block
  ``RLP[chainId, number, blockHash, parentHash, [dependency, ...],
  confirmation]`` and each dependency ``RLP[chainId, number, blockHash]``;
  blocks are grouped per chain, chains in ascending id order, each group a
  run of consecutive numbers;
- signature: 65-byte r‖s‖v over ``keccak256(bytes32(2) ‖
  keccak256(aggregateRLP))`` (domain 2; hub headers use domain 1);
- storage of ``HubSettlement`` (0x…10a6), Solidity layout: slot 0 hub
  address, slot 1 aggregate count, slot 2 latest hub number, mapping slot 3
  ``heads[chainId]`` = {uint64 number, bytes32 blockHash}, mapping slot 4
  ``blockHashes[chainId][number]``, mapping slot 5
  ``hubStateRoots[hubNumber]``.

The package is split along its seams, as ``dispute`` is: ``errors`` (the refusals),
``format`` (the aggregate, its canonical RLP and signature), ``rules`` (which blocks
settle, as pure functions) and ``module`` (the L1 native module: ABI, storage layout,
genesis, readers and the call).
"""

from interlace.protocol.settlement.aggregate.errors import (
    AggregateRefused,
    AlreadySettled,
    MalformedAggregate,
    StaleAggregate,
    WrongAggregateSigner,
)
from interlace.protocol.settlement.aggregate.format import (
    AGGREGATE_SIGNING_DOMAIN,
    Aggregate,
    AggregateBlock,
    aggregate_hash,
    aggregate_signing_hash,
    block_ref,
    decode_aggregate,
    encode_aggregate,
    recover_aggregate_signer,
    sign_aggregate,
    verify_aggregate_signature,
)
from interlace.protocol.settlement.aggregate.module import (
    SETTLEMENT_ABI,
    SETTLEMENT_ADDRESS,
    HubSettlement,
    L1ConfirmationRule,
    L1SettledView,
    configure,
    read_hub_address,
    read_hub_state_root,
    read_settled_hash,
    read_settled_head,
)
from interlace.protocol.settlement.aggregate.rules import (
    AggregateOutcome,
    ConfirmationRule,
    Exclusion,
    ExclusionReason,
    MemorySettledView,
    SettledView,
    accept_all,
    check_aggregate,
)

__all__ = [
    "AGGREGATE_SIGNING_DOMAIN",
    "SETTLEMENT_ABI",
    "SETTLEMENT_ADDRESS",
    "Aggregate",
    "AggregateBlock",
    "AggregateOutcome",
    "AggregateRefused",
    "AlreadySettled",
    "ConfirmationRule",
    "Exclusion",
    "ExclusionReason",
    "HubSettlement",
    "L1ConfirmationRule",
    "L1SettledView",
    "MalformedAggregate",
    "MemorySettledView",
    "SettledView",
    "StaleAggregate",
    "WrongAggregateSigner",
    "accept_all",
    "aggregate_hash",
    "aggregate_signing_hash",
    "block_ref",
    "check_aggregate",
    "configure",
    "decode_aggregate",
    "encode_aggregate",
    "read_hub_address",
    "read_hub_state_root",
    "read_settled_hash",
    "read_settled_head",
    "recover_aggregate_signer",
    "sign_aggregate",
    "verify_aggregate_signature",
]
