"""The exit-root settler in a simulated network: ETH bridged from L1 to the validity rollup
902 is claimed there and partly sent back; with nobody calling ``settle``, 902's settler
takes the rollup's local exit root into L1 with the chain's certificate once an aggregate
settles a block past the exit, and L1's per-chain state follows (the pessimistic root of
the chain's trees, its claims' hash chain). A crash of the settler in the middle loses
nothing: it re-derives the chain and re-reads L1."""

from dataclasses import dataclass, replace
from functools import cache
from typing import Any

from interlace.primitives.errors import InterlaceError
from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.keys import PrivateKey
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import ZERO_ADDRESS
from interlace.protocol.bridge.accounting import ChainLedger, ImportedBridgeExit
from interlace.protocol.bridge.certificate import pessimistic_root
from interlace.protocol.bridge.claim import build_claim_proof
from interlace.protocol.bridge.format import ETH_TOKEN, BridgeExit, GlobalIndex, LeafType
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    bridged_balance_slot,
    decode_claim,
    encode_claim,
    knows_global_exit_root,
    read_exit_roots,
    read_imported_exits_hash,
    read_local_exit_root,
)
from interlace.protocol.chain.modules import CallEnv
from interlace.protocol.l1.genesis import L1_CHAIN_ID, l1_modules
from interlace.roles.messages import SubmitL1Transaction, SubmitTransaction
from interlace.roles.names import L1_NODE, sequencer_node, settler_node
from interlace.roles.records import SettlerSubmitted
from interlace.runtime.sim.checkers import BridgeBacked
from interlace.runtime.sim.scenario import load_scenario
from interlace.runtime.sim.world import World

CHAIN = 902
NETWORK = 2
AMOUNT = 3 * 10**18
BACK = 10**18
GAS = 1_000_000


def _tx(key: PrivateKey, chain_id: int, nonce: int, data: bytes, value: int = 0) -> bytes:
    return sign_dynamic_fee(
        key,
        chain_id=chain_id,
        nonce=nonce,
        to=BRIDGE_ADDRESS,
        gas_limit=GAS,
        max_priority_fee_per_gas=1,
        max_fee_per_gas=10**11,
        data=data,
        value=value,
    ).raw


@dataclass
class Run:
    world: World
    submitted: list[SettlerSubmitted]
    exit_block: int
    metrics: dict[str, Any]


@cache
def run() -> Run:
    scenario = load_scenario("settlement")
    scenario = replace(
        scenario,
        settlement=replace(scenario.settlement, settle_exit_roots=True),
        accounts=replace(scenario.accounts, shared=1),
    )
    world = World(scenario, 1)
    key = world.plan.shared_keys[0]
    deposit = BridgeExit(LeafType.ASSET, ETH_TOKEN, NETWORK, key.address, AMOUNT)
    call = BRIDGE_ABI.function("bridgeAsset")
    exit_block: list[int] = []

    def send_deposit() -> None:
        data = call.encode_call(NETWORK, key.address, AMOUNT, ZERO_ADDRESS, True, b"")
        world.sim.inject(L1_NODE, SubmitL1Transaction(_tx(key, L1_CHAIN_ID, 0, data, AMOUNT)))

    def send_claim() -> None:
        l1 = world.l1_node()
        assert l1 is not None
        mainnet, _rollup = read_exit_roots(l1.head_state)
        tree = ExitTree.from_leaves([deposit.leaf_hash()])
        assert tree.root() == mainnet, "the deposit is L1's only exit"
        proof = build_claim_proof(GlobalIndex.for_exit(0, 0), tree, ExitTree(), mainnet)
        raw = _tx(key, CHAIN, 0, encode_claim(deposit, proof))
        world.sim.inject(sequencer_node(CHAIN), SubmitTransaction(raw))

    def send_back() -> None:
        data = call.encode_call(0, key.address, BACK, ZERO_ADDRESS, False, b"")
        world.sim.inject(sequencer_node(CHAIN), SubmitTransaction(_tx(key, CHAIN, 1, data, BACK)))

    def note_exit() -> None:
        sequencer = world.sequencer_by_node(sequencer_node(CHAIN))
        assert sequencer is not None
        exit_block.append(sequencer.chain.head.number)

    world.sim.schedule(5.0, send_deposit, "deposit")
    world.sim.schedule(20.0, send_claim, "claim")
    world.sim.schedule(30.0, send_back, "back")
    world.sim.schedule(33.0, note_exit, "exit block")
    world.sim.schedule(40.0, lambda: world.sim.crash(settler_node(CHAIN)), "crash")
    world.sim.schedule(46.0, lambda: world.sim.restart(settler_node(CHAIN)), "restart")
    submitted: list[SettlerSubmitted] = []

    class Watch:
        def on_record(self, now: float, node: str, event: object) -> None:
            if isinstance(event, SettlerSubmitted):
                submitted.append(event)

        def after_step(self, sim: object) -> None:
            pass

    world.sim.observers.append(Watch())  # type: ignore[arg-type]
    metrics = world.run()
    return Run(world, submitted, exit_block[0], metrics)


def test_the_settler_takes_the_exit_root_in_without_being_asked() -> None:
    result = run()
    world = result.world
    mine = [s for s in result.submitted if s.chain == CHAIN]
    assert mine, "902's settler sent nothing"
    assert all(s.exits + s.imports > 0 for s in mine)  # only ranges with bridge activity
    l1 = world.l1_node()
    assert l1 is not None
    state = l1.head_state
    view = BRIDGE_ABI.function("rollupLocalExitRoot")
    module = l1_modules()[BRIDGE_ADDRESS]
    env = CallEnv(L1_CHAIN_ID, 1, 1)
    root, settled_at = view.decode_return(module.view(state, env, view.encode_call(NETWORK)))
    assert settled_at >= result.exit_block
    sequencer = world.sequencer_by_node(sequencer_node(CHAIN))
    assert sequencer is not None
    rollup_state = sequencer.chain.state_at(settled_at)
    assert bytes(root) == read_local_exit_root(rollup_state)
    out = BridgeExit(LeafType.ASSET, ETH_TOKEN, 0, world.plan.shared_keys[0].address, BACK)
    assert bytes(root) == ExitTree.from_leaves([out.leaf_hash()]).root()
    # L1's per-chain state is the pessimistic root of 902's trees: 3 ETH in, 1 ETH out
    fn = BRIDGE_ABI.function("networkState")
    pp_root, height, imports = fn.decode_return(module.view(state, env, fn.encode_call(NETWORK)))
    assert height == len({s.number for s in mine if s.number <= settled_at}) >= 1
    claims = [
        imported
        for block in sequencer.chain.blocks[1 : settled_at + 1]
        for tx in block.transactions
        if (imported := _claim_of(tx.data)) is not None
    ]
    ledger = ChainLedger(NETWORK)
    ledger.certify([out], claims, lambda r: knows_global_exit_root(state, r))
    assert ledger.balance_of(ETH_TOKEN) == AMOUNT - BACK
    expected = replace(ledger.state, height=int(height))
    assert bytes(pp_root) == pessimistic_root(expected, NETWORK)
    assert bytes(imports) == read_imported_exits_hash(rollup_state)


def _claim_of(data: bytes) -> ImportedBridgeExit | None:
    try:
        return decode_claim(data)
    except InterlaceError:  # any other transaction
        return None


def test_the_run_keeps_every_invariant() -> None:
    result = run()
    failed = {k: v for k, v in result.metrics["invariants"].items() if v != "ok"}
    assert not failed


def test_the_bridge_backed_checker_catches_value_no_escrow_covers() -> None:
    """Inv. 4 for the bridge can fail: 902's state made to say it holds more ETH through the
    bridge than L1 escrows, as a forged chain would."""
    world = run().world
    checker = BridgeBacked("inv4_bridge_backed", world)
    checker.finish()
    assert checker.violation is None
    sequencer = world.sequencer_by_node(sequencer_node(CHAIN))
    assert sequencer is not None
    state = sequencer.chain.state_at(sequencer.chain.head.number)
    mark = state.checkpoint()
    try:
        state.set_storage(BRIDGE_ADDRESS, bridged_balance_slot(ETH_TOKEN), 10**30)
        checker.finish()
    finally:
        state.revert_to(mark)
    assert checker.violation is not None
    assert "L1 escrows" in checker.violation
