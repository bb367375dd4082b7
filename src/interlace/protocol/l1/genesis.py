"""L1 genesis: prefunded accounts, the settlement modules, and pre-registered rollups."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from interlace.primitives.header import BlockHeader
from interlace.primitives.types import U256, Address, ChainId
from interlace.protocol.chain.block import ChainConfig, genesis_header
from interlace.protocol.chain.modules import CallContext, CallEnv, NativeModule, install_module
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.modules import (
    BatchInbox,
    DepositPortal,
    RollupRecord,
    RollupRegistry,
)

L1_CHAIN_ID: Final = ChainId(900)


def l1_modules() -> dict[Address, NativeModule]:
    """The L1's native modules by address."""
    modules: list[NativeModule] = [RollupRegistry(), BatchInbox(), DepositPortal()]
    return {m.address: m for m in modules}


@dataclass(frozen=True, slots=True)
class L1Genesis:
    """Everything block 0 of the L1 holds."""

    config: ChainConfig
    """Chain parameters."""
    alloc: Mapping[Address, int]
    """Prefunded balances in wei."""
    rollups: Sequence[RollupRecord]
    """Rollups registered at genesis."""
    timestamp: int = 0
    """Genesis timestamp."""


def build_l1_genesis(genesis: L1Genesis) -> tuple[BlockHeader, WorldState]:
    """Genesis header and state: alloc, modules, and registry entries written by the registry."""
    state = WorldState()
    modules = l1_modules()
    for module in modules.values():
        install_module(state, module)
    for address, balance in genesis.alloc.items():
        state.add_balance(address, balance)
    registry = modules[RollupRegistry.address]
    env = CallEnv(genesis.config.chain_id, 0, genesis.timestamp)
    for record in genesis.rollups:
        ctx = CallContext(state, env, registry.address, record.admin, U256(0), 10**9)
        registry.call(
            ctx,
            "registerRollup",
            (
                record.chain_id,
                int(record.kind),
                record.sequencer,
                record.batcher,
                record.challenge_window,
            ),
        )
    return genesis_header(genesis.config, state, genesis.timestamp), state
