"""The bridge as genesis installs it: L1 holds it as network 0, each rollup of a plan as
1, 2, … in registration order, and a deposit made with ``bridgeAsset`` on L1 reaches a
rollup through derivation: the L1 block's ``UpdateL1InfoTree`` log becomes a global exit
root insertion among the deposits of the rollup's next L1Origin, after which the claim
succeeds on the rollup."""

import tomllib

from interlace.primitives.exit_tree import ExitTree
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.tx import sign_dynamic_fee
from interlace.primitives.types import U64, U256, ZERO_ADDRESS, Address, ChainId, Hash32
from interlace.protocol.bridge.claim import build_claim_proof
from interlace.protocol.bridge.format import ETH_TOKEN, BridgeExit, GlobalIndex, LeafType
from interlace.protocol.bridge.module import (
    BRIDGE_ABI,
    BRIDGE_ADDRESS,
    L2_EXIT_ROOT_MANAGER_ADDRESS,
    UnifiedBridge,
    encode_claim,
    global_exit_root_of_log,
    is_claimed,
    knows_global_exit_root,
    read_exit_roots,
)
from interlace.protocol.chain.block import Block
from interlace.protocol.chain.execution import BlockEnv, execute_transaction
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.genesis import L1_CHAIN_ID, build_l1_genesis, l1_modules
from interlace.protocol.rollup.chain import RollupChain
from interlace.protocol.rollup.derivation import deposits_in_l1_block
from interlace.runtime.plan import build_plan, parse_plan

ALICE = private_key_from_seed(b"alice")
BOB = Address(b"\xb0" * 20)
PLAN = """
[rollups]
count = 3
kinds = ["optimistic", "validity"]
[accounts]
shared = 1
"""


def _env(chain_id: int, number: int) -> BlockEnv:
    return BlockEnv(ChainId(chain_id), U64(number), U64(number), BOB, U256(1), U64(30_000_000))


def _network_id(state: WorldState) -> int:
    view = UnifiedBridge().view(
        state,
        _env(1, 1).call_env(),
        BRIDGE_ABI.function("networkID").encode_call(),
    )
    return int.from_bytes(view, "big")


def test_genesis_numbers_networks_as_agglayer_does() -> None:
    plan = build_plan(parse_plan(tomllib.loads(PLAN)), 1)
    _, l1_state = build_l1_genesis(plan.l1.genesis)
    assert _network_id(l1_state) == 0
    for index, chain in enumerate(plan.chains):
        state = RollupChain(chain.genesis).head_state
        assert chain.genesis.network_id == index + 1
        assert _network_id(state) == index + 1


def test_a_deposit_reaches_the_rollup_through_its_l1_origin() -> None:
    plan = build_plan(parse_plan(tomllib.loads(PLAN)), 1)
    header, l1_state = build_l1_genesis(plan.l1.genesis)
    l1_state.add_balance(ALICE.address, 10**19)
    call = BRIDGE_ABI.function("bridgeAsset").encode_call(1, BOB, 10**18, ZERO_ADDRESS, True, b"")
    tx = sign_dynamic_fee(
        ALICE,
        chain_id=L1_CHAIN_ID,
        nonce=0,
        to=BRIDGE_ADDRESS,
        gas_limit=2_000_000,
        max_priority_fee_per_gas=0,
        max_fee_per_gas=1,
        data=call,
        value=10**18,
    )
    receipt, _ = execute_transaction(l1_state, _env(L1_CHAIN_ID, 1), tx, l1_modules(), 0)
    assert receipt.success
    roots = [r for r in map(global_exit_root_of_log, receipt.logs) if r is not None]
    mainnet, rollup_root = read_exit_roots(l1_state)
    assert len(roots) == 1
    # derivation: every rollup gets the insertion, in the L1 block's log order
    l1_block = Block(header, (tx,))
    chain = RollupChain(plan.chains[0].genesis)
    deposits = deposits_in_l1_block(l1_block, (receipt,), int(chain.genesis.chain_id))
    (insertion,) = deposits
    assert insertion.to == L2_EXIT_ROOT_MANAGER_ADDRESS
    assert deposits_in_l1_block(l1_block, (receipt,), 999) == deposits
    state = chain.head_state
    env = _env(int(chain.genesis.chain_id), 1)
    applied, _ = execute_transaction(state, env, insertion, chain.modules, 0)
    assert applied.success
    assert knows_global_exit_root(state, roots[0])
    # the claim on network 1
    exit_ = BridgeExit(LeafType.ASSET, ETH_TOKEN, 1, BOB, 10**18)
    tree = ExitTree.from_leaves([exit_.leaf_hash()])
    assert tree.root() == mainnet
    proof = build_claim_proof(GlobalIndex.for_exit(0, 0), tree, ExitTree(), mainnet)
    assert proof.rollup_exit_root == rollup_root
    claim = encode_claim(exit_, proof)
    claimer = plan.chains[0].accounts[0] if plan.chains[0].accounts else ALICE
    state.add_balance(claimer.address, 10**18)
    claim_tx = sign_dynamic_fee(
        claimer,
        chain_id=int(chain.genesis.chain_id),
        nonce=state.get_account(claimer.address).nonce,
        to=BRIDGE_ADDRESS,
        gas_limit=2_000_000,
        max_priority_fee_per_gas=0,
        max_fee_per_gas=1,
        data=claim,
    )
    before = state.balance_of(BOB)
    claimed, _ = execute_transaction(state, env, claim_tx, chain.modules, 0)
    assert claimed.success
    assert state.balance_of(BOB) == before + 10**18
    assert is_claimed(state, 0, 0)
    assert Hash32(roots[0]) != Hash32(b"\x00" * 32)
