"""Fault dispute games on L1: creation, bisection, one-step proofs, clocks, bonds, resolution.

A small world: a rollup with four blocks of transfers, an L1 with
``DisputeGameFactory`` configured with that rollup's genesis output as the
anchor, and games of split depth 2 (four outputs) and maximum depth 6
(execution traces of eight entries, so block 3 with ten transactions
exercises the multi-transaction last step). The maximum depth is even, so
leaves are the defending side's claims and a lying proposer's game ends in
the challenger's one-step proof. Every call is an L1
transaction in its own block, twelve seconds (or ``wait``) apart.
"""

import random
from dataclasses import replace
from functools import cache
from typing import Final

import pytest

from interlace.primitives.hashing import keccak256
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import Receipt
from interlace.primitives.types import U64, U256, Address, Hash32
from interlace.protocol.chain.block import ChainConfig, execute_block, genesis_header
from interlace.protocol.chain.block import build_block as seal_block
from interlace.protocol.chain.errors import ModuleRevert
from interlace.protocol.chain.modules import CallContext, CallEnv, NativeModule
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.genesis import L1_CHAIN_ID, build_l1_genesis, l1_modules
from interlace.protocol.rollup.chain import RollupChain, RollupGenesis
from interlace.protocol.rollup.derivation import L1Origin
from interlace.protocol.settlement import dispute
from interlace.protocol.settlement.dispute import (
    DISPUTE_GAME_ABI,
    DISPUTE_GAME_ADDRESS,
    DisputeGameFactory,
    GameConfig,
    GameStatus,
    GameView,
    PlannedMove,
    PlannedStep,
    build_step_proof,
    configure_games,
    plan_moves,
    read_anchor,
    read_game,
    read_resolved_output,
    trace_index,
)
from interlace.protocol.settlement.outputs import Output, compute_output
from interlace.protocol.settlement.trace import (
    BlockTrace,
    InvalidStepProof,
    MalformedStepProof,
    trace_block,
)
from tests.protocol.support import (
    ALICE,
    BOB,
    CAROL,
    ETHER,
    KEYS,
    ROLLUP_ID,
    l1_genesis,
    rollup_record,
    transfer,
)

CONFIG: Final = GameConfig(bond=ETHER // 10, split_depth=2, max_depth=6, max_clock=900)
WINDOW: Final = 600
"""The rollup's registered challenge window: each side's clock."""
PROPOSER: Final = ALICE
CHALLENGER: Final = BOB
ORIGIN: Final = L1Origin(U64(0), Hash32(b"\x01" * 32), U64(0), U256(10**9))


# ---- the rollup ---------------------------------------------------------------------------


@cache
def rollup() -> RollupChain:
    """Blocks 1..4 with 2, 1, 9 and 0 user transfers (plus each block's attributes deposit)."""
    chain = RollupChain(RollupGenesis(ROLLUP_ID, ORIGIN, 0, {k.address: 10 * ETHER for k in KEYS}))
    rng = random.Random(5)
    nonces = dict.fromkeys((k.address for k in KEYS), 0)
    for count in (2, 1, 9, 0):
        txs = []
        for _ in range(count):
            key = rng.choice(KEYS)
            txs.append(transfer(key, nonces[key.address], Address(rng.randbytes(20)), 10**15))
            nonces[key.address] += 1
        built = chain.build_next(ORIGIN, (), txs, int(chain.next_timestamp(2)))
        assert not built.rejected
        chain.append(built, ORIGIN)
    return chain


class ChainSource:
    """A player's view of the rollup, optionally lying about one block's output."""

    def __init__(
        self, chain: RollupChain, lie_at: int | None = None, corrupt_from: int | None = None
    ) -> None:
        self.chain = chain
        self.lie_at = lie_at
        self.corrupt_from = corrupt_from
        """With ``lie_at``: also lie about the state roots after this transaction on."""

    def output(self, number: int) -> Output | None:
        if number > self.chain.head.number:
            return None
        output = compute_output(self.chain.states[number], self.chain.blocks[number])
        if number == self.lie_at:
            return replace(output, state_root=keccak256(b"a wrong state root"))
        return output

    def block_trace(self, number: int) -> BlockTrace | None:
        if not 0 < number <= self.chain.head.number:
            return None
        chain = self.chain
        trace = trace_block(
            chain.states[number - 1], chain.blocks[number], chain.modules, ROLLUP_ID
        )
        if number == self.lie_at:  # honest intermediate roots, a wrong final output
            lie = self.output(number)
            assert lie is not None
            roots = trace.roots
            if self.corrupt_from is not None:
                cut = self.corrupt_from
                roots = (*roots[:cut], *(keccak256(r) for r in roots[cut:]))
            return replace(trace, roots=roots, output=lie)
        return trace


HONEST: Final = ChainSource(rollup())


def genesis_output() -> Output:
    chain = rollup()
    return compute_output(chain.states[0], chain.blocks[0])


# ---- the L1 ---------------------------------------------------------------------------------


class GameL1:
    """An L1 with ``DisputeGameFactory`` configured at genesis; every call is a transaction."""

    def __init__(self) -> None:
        genesis = l1_genesis([replace(rollup_record(), challenge_window=U64(WINDOW))])
        _, state = build_l1_genesis(genesis)
        configure_games(
            state,
            {ROLLUP_ID: genesis_output()},
            bond=CONFIG.bond,
            split_depth=CONFIG.split_depth,
            max_depth=CONFIG.max_depth,
            max_clock=CONFIG.max_clock,
        )
        self.config: ChainConfig = genesis.config
        self.header = genesis_header(genesis.config, state, 0)
        self.state: WorldState = state
        self.module = DisputeGameFactory()
        self.modules: dict[Address, NativeModule] = {
            **l1_modules(),
            DISPUTE_GAME_ADDRESS: self.module,
        }

    @property
    def now(self) -> int:
        return self.header.timestamp

    def send(
        self, key: PrivateKey, function: str, *args: object, value: int = 0, wait: int = 12
    ) -> Receipt:
        data = DISPUTE_GAME_ABI.function(function).encode_call(*args)
        nonce = self.state.get_account(key.address).nonce
        tx = transfer(
            key,
            nonce,
            DISPUTE_GAME_ADDRESS,
            value,
            chain_id=L1_CHAIN_ID,
            gas_limit=8_000_000,
            max_fee=10**10,
            data=data,
        )
        parent, parent_state = self.header, self.state
        built = seal_block(
            self.config, parent, parent_state, self.modules, [tx], timestamp=parent.timestamp + wait
        )
        assert built.rejected == (), built.rejected
        state, _receipts = execute_block(
            self.config, parent, parent_state, self.modules, built.block
        )
        assert state.state_root() == built.state.state_root()
        self.header, self.state = built.block.header, built.state
        return built.receipts[0]

    def ok(
        self, key: PrivateKey, function: str, *args: object, value: int = 0, wait: int = 12
    ) -> Receipt:
        receipt = self.send(key, function, *args, value=value, wait=wait)
        if not receipt.success:
            error = self.direct(key, function, *args, value=value, wait=wait, rewind=True)
            raise AssertionError(f"{function} failed: {error}")
        return receipt

    def direct(
        self,
        key: PrivateKey,
        function: str,
        *args: object,
        value: int = 0,
        wait: int = 12,
        rewind: bool = False,
    ) -> ModuleRevert:
        """Call the module on a copy, at ``now + wait``; it must revert having written nothing."""
        state = self.state.copy()
        now = self.now + wait - (12 if rewind else 0)
        if value:
            state.sub_balance(key.address, value)
            state.add_balance(DISPUTE_GAME_ADDRESS, value)
        before = state.storage_trie(DISPUTE_GAME_ADDRESS).root()
        ctx = CallContext(
            state,
            CallEnv(L1_CHAIN_ID, self.header.number + 1, now),
            DISPUTE_GAME_ADDRESS,
            key.address,
            U256(value),
            10**9,
        )
        fn = DISPUTE_GAME_ABI.function(function)
        with pytest.raises(ModuleRevert) as info:
            self.module.call(ctx, function, DISPUTE_GAME_ABI.decode_call(fn.encode_call(*args))[1])
        assert ctx.logs == []
        assert state.storage_trie(DISPUTE_GAME_ADDRESS).root() == before
        return info.value

    def create(self, output: Output, key: PrivateKey = PROPOSER, value: int = CONFIG.bond) -> int:
        receipt = self.ok(
            key,
            "createGame",
            ROLLUP_ID,
            output.number,
            output.state_root,
            output.message_passer_root,
            output.block_hash,
            value=value,
        )
        topics, data = receipt.logs[0].topics, receipt.logs[0].data
        game_id, chain_id, number, root, block_hash = DISPUTE_GAME_ABI.event(
            "GameCreated"
        ).decode_log(topics, data)
        assert (chain_id, number, root, block_hash) == (
            ROLLUP_ID,
            output.number,
            output.root,
            output.block_hash,
        )
        assert isinstance(game_id, int)
        return game_id

    def game(self, game_id: int) -> GameView:
        game = read_game(self.state, game_id)
        assert game is not None
        return game

    def balance(self, key: PrivateKey) -> int:
        return self.state.balance_of(key.address)


def assert_refused(
    l1: GameL1,
    error: type[Exception],
    key: PrivateKey,
    function: str,
    *args: object,
    value: int = 0,
    wait: int = 12,
) -> None:
    """Refused with the typed ``error`` before any write; the transaction changes nothing."""
    revert = l1.direct(key, function, *args, value=value, wait=wait)
    assert isinstance(revert.__cause__, error), revert
    assert str(revert).startswith(f"{error.__name__}: ")
    before = l1.state.storage_trie(DISPUTE_GAME_ADDRESS).root()
    module_balance = l1.state.balance_of(DISPUTE_GAME_ADDRESS)
    receipt = l1.send(key, function, *args, value=value, wait=wait)
    assert not receipt.success and receipt.logs == ()
    assert l1.state.storage_trie(DISPUTE_GAME_ADDRESS).root() == before
    assert l1.state.balance_of(DISPUTE_GAME_ADDRESS) == module_balance


def honest_output(number: int) -> Output:
    output = HONEST.output(number)
    assert output is not None
    return output


def lying_output(number: int) -> Output:
    output = ChainSource(rollup(), lie_at=number).output(number)
    assert output is not None
    return output


def play(
    l1: GameL1,
    game_id: int,
    players: list[tuple[PrivateKey, ChainSource]],
    *,
    rounds: int = 40,
) -> list[str]:
    """Let each player send its honest-actor responses until nobody has one; the move log."""
    log: list[str] = []
    for _ in range(rounds):
        acted = False
        for key, source in players:
            game = l1.game(game_id)
            for plan in plan_moves(game, CONFIG, source, key.address, l1.now):
                if isinstance(plan, PlannedMove):
                    function = "attack" if plan.is_attack else "defend"
                    l1.ok(key, function, game_id, plan.parent_index, plan.claim, value=CONFIG.bond)
                    log.append(f"{function}:{plan.parent_index}")
                else:
                    assert isinstance(plan, PlannedStep)
                    proof = build_step_proof(l1.game(game_id), CONFIG, plan, rollup(), source)
                    if proof is None:
                        continue
                    l1.ok(key, "step", game_id, plan.claim_index, plan.is_attack, proof)
                    log.append(
                        f"step:{plan.claim_index}:{'attack' if plan.is_attack else 'defend'}"
                    )
                acted = True
                break  # re-plan on the new state
        if not acted:
            return log
    raise AssertionError(f"the game did not settle: {log}")


def wait_and_resolve(l1: GameL1, game_id: int) -> GameStatus:
    assert_refused(l1, dispute.ClockNotExpired, CAROL, "resolve", game_id, wait=1)
    receipt = l1.ok(CAROL, "resolve", game_id, wait=2 * WINDOW + 1)
    event = DISPUTE_GAME_ABI.event("GameResolved")
    resolved = [log for log in receipt.logs if log.topics[0] == event.topic0]
    assert len(resolved) == 1
    values = event.decode_log(resolved[0].topics, resolved[0].data)
    game = l1.game(game_id)
    assert values == (
        game_id,
        ROLLUP_ID,
        game.l2_block_number,
        game.output.block_hash,
        int(game.status),
    )
    return game.status


# ---- tests: the happy path -------------------------------------------------------------------


def test_configure_sets_the_genesis_anchor() -> None:
    l1 = GameL1()
    anchor = read_anchor(l1.state, ROLLUP_ID)
    assert anchor is not None
    assert anchor.output == genesis_output()
    assert anchor.root == genesis_output().root
    assert anchor.game_id is None
    assert read_anchor(l1.state, 999) is None
    with pytest.raises(ValueError, match="already configured"):
        configure_games(l1.state, {}, bond=1)


def test_unchallenged_game_resolves_defender_wins_and_moves_the_anchor() -> None:
    l1 = GameL1()
    output = honest_output(3)
    start = l1.balance(PROPOSER)
    game_id = l1.create(output)
    game = l1.game(game_id)
    assert game.status == GameStatus.IN_PROGRESS
    assert game.anchor_number == 0 and game.max_clock == WINDOW
    assert game.output == output and game.root_claim == output.root
    assert read_resolved_output(l1.state, ROLLUP_ID, 3) is None
    # Not before the window has passed.
    assert_refused(l1, dispute.ClockNotExpired, CAROL, "resolve", game_id, wait=WINDOW - 12)
    l1.ok(CAROL, "resolve", game_id, wait=WINDOW)
    assert l1.game(game_id).status == GameStatus.DEFENDER_WINS
    resolved = read_resolved_output(l1.state, ROLLUP_ID, 3)
    assert resolved is not None
    assert resolved.status == GameStatus.DEFENDER_WINS
    assert (resolved.output_root, resolved.block_hash, resolved.state_root, resolved.game_id) == (
        output.root,
        output.block_hash,
        output.state_root,
        game_id,
    )
    anchor = read_anchor(l1.state, ROLLUP_ID)
    assert anchor is not None and anchor.output == output and anchor.game_id == game_id
    # The bond came back (only gas was spent), and the module holds nothing.
    assert start - l1.balance(PROPOSER) < CONFIG.bond // 10
    assert l1.state.balance_of(DISPUTE_GAME_ADDRESS) == 0
    # A game at or below the new anchor is refused; above it, the range starts at 3.
    assert_refused(
        l1,
        dispute.GameBelowAnchor,
        PROPOSER,
        "createGame",
        ROLLUP_ID,
        3,
        output.state_root,
        output.message_passer_root,
        output.block_hash,
        value=CONFIG.bond,
    )
    game_id = l1.create(honest_output(4))
    assert l1.game(game_id).anchor_number == 3


def test_wrong_output_loses_through_bisection_and_step() -> None:
    l1 = GameL1()
    liar = ChainSource(rollup(), lie_at=3)
    proposer_start, challenger_start = l1.balance(PROPOSER), l1.balance(CHALLENGER)
    game_id = l1.create(lying_output(3))
    log = play(l1, game_id, [(PROPOSER, liar), (CHALLENGER, HONEST)])
    assert log[0] == "attack:0"
    assert any(entry.startswith("step:") for entry in log), log
    game = l1.game(game_id)
    assert len(game.claims) == CONFIG.max_depth + 1  # one path down to a leaf
    assert game.claims[-1].countered_by is not None
    assert wait_and_resolve(l1, game_id) == GameStatus.CHALLENGER_WINS
    resolved = read_resolved_output(l1.state, ROLLUP_ID, 3)
    assert resolved is not None and resolved.status == GameStatus.CHALLENGER_WINS
    # The anchor did not move; bonds: the challenger won every bond but gas.
    anchor = read_anchor(l1.state, ROLLUP_ID)
    assert anchor is not None and anchor.output.number == 0
    proposer_bonds = sum(c.bond for c in game.claims if c.claimant == PROPOSER.address)
    challenger_bonds = sum(c.bond for c in game.claims if c.claimant == CHALLENGER.address)
    assert proposer_bonds >= CONFIG.bond and challenger_bonds >= CONFIG.bond
    gained = l1.balance(CHALLENGER) - challenger_start
    assert proposer_bonds - ETHER // 100 < gained <= proposer_bonds
    assert proposer_start - l1.balance(PROPOSER) >= proposer_bonds
    assert l1.state.balance_of(DISPUTE_GAME_ADDRESS) == 0


@pytest.mark.parametrize("lie_at", [1, 2, 4])
def test_the_honest_challenger_wins_wherever_the_lie_is(lie_at: int) -> None:
    l1 = GameL1()
    game_id = l1.create(lying_output(lie_at))
    play(l1, game_id, [(PROPOSER, ChainSource(rollup(), lie_at)), (CHALLENGER, HONEST)])
    assert wait_and_resolve(l1, game_id) == GameStatus.CHALLENGER_WINS


def test_honest_output_attacked_by_a_dishonest_challenger_stands() -> None:
    l1 = GameL1()
    game_id = l1.create(honest_output(3))
    # The challenger believes a different block 3: it attacks, the proposer defends.
    log = play(l1, game_id, [(CHALLENGER, ChainSource(rollup(), lie_at=3)), (PROPOSER, HONEST)])
    assert log[0] == "attack:0"
    # The leaves are the proposer's right claims: the liar finds no step and runs out of time.
    assert not any(entry.startswith("step:") for entry in log), log
    proposer_start, challenger_start = l1.balance(PROPOSER), l1.balance(CHALLENGER)
    assert wait_and_resolve(l1, game_id) == GameStatus.DEFENDER_WINS
    game = l1.game(game_id)
    challenger_bonds = sum(c.bond for c in game.claims if c.claimant == CHALLENGER.address)
    proposer_bonds = sum(c.bond for c in game.claims if c.claimant == PROPOSER.address)
    assert l1.balance(PROPOSER) - proposer_start == proposer_bonds + challenger_bonds
    assert l1.balance(CHALLENGER) == challenger_start
    anchor = read_anchor(l1.state, ROLLUP_ID)
    assert anchor is not None and anchor.output.number == 3


def test_an_honest_challenger_never_attacks_an_honest_output() -> None:
    l1 = GameL1()
    game_id = l1.create(honest_output(2))
    assert plan_moves(l1.game(game_id), CONFIG, HONEST, CHALLENGER.address, l1.now) == []


# ---- tests: refusals, each changing nothing ------------------------------------------------------


def started_dispute() -> tuple[GameL1, int]:
    """A game on a wrong output of block 3, attacked once by the challenger."""
    l1 = GameL1()
    game_id = l1.create(lying_output(3))
    value = HONEST.output(2)
    assert value is not None
    l1.ok(CHALLENGER, "attack", game_id, 0, value.root, value=CONFIG.bond)
    return l1, game_id


def test_wrong_bond_is_refused() -> None:
    l1 = GameL1()
    output = honest_output(2)
    args = (ROLLUP_ID, 2, output.state_root, output.message_passer_root, output.block_hash)
    assert_refused(l1, dispute.WrongBond, PROPOSER, "createGame", *args, value=CONFIG.bond - 1)
    assert_refused(l1, dispute.WrongBond, PROPOSER, "createGame", *args, value=0)
    game_id = l1.create(output)
    assert_refused(
        l1, dispute.WrongBond, CHALLENGER, "attack", game_id, 0, b"\x01" * 32, value=CONFIG.bond + 1
    )
    assert_refused(l1, dispute.GameExists, CAROL, "createGame", *args, value=CONFIG.bond)


def test_game_for_a_number_at_or_below_the_anchor_or_too_far_is_refused() -> None:
    l1 = GameL1()
    genesis = genesis_output()
    args = (genesis.state_root, genesis.message_passer_root, genesis.block_hash)
    assert_refused(
        l1, dispute.GameBelowAnchor, PROPOSER, "createGame", ROLLUP_ID, 0, *args, value=CONFIG.bond
    )
    assert_refused(
        l1, dispute.RangeTooLong, PROPOSER, "createGame", ROLLUP_ID, 5, *args, value=CONFIG.bond
    )
    assert_refused(
        l1, dispute.UnknownGameChain, PROPOSER, "createGame", 77, 5, *args, value=CONFIG.bond
    )


def test_move_out_of_turn_is_refused() -> None:
    l1, game_id = started_dispute()
    # The proposer defends: countering its own side's root claim is the challenger's turn.
    assert_refused(
        l1, dispute.OutOfTurn, PROPOSER, "attack", game_id, 0, b"\x02" * 32, value=CONFIG.bond
    )
    # And the challenger may not answer its own attack.
    assert_refused(
        l1, dispute.OutOfTurn, CHALLENGER, "attack", game_id, 1, b"\x02" * 32, value=CONFIG.bond
    )
    assert_refused(
        l1, dispute.CannotDefend, CAROL, "defend", game_id, 0, b"\x02" * 32, value=CONFIG.bond
    )
    assert_refused(
        l1, dispute.UnknownClaim, CAROL, "attack", game_id, 9, b"\x02" * 32, value=CONFIG.bond
    )
    assert_refused(l1, dispute.UnknownGame, CAROL, "attack", 5, 0, b"\x02" * 32, value=CONFIG.bond)


def test_move_after_its_clock_expired_is_refused() -> None:
    l1, game_id = started_dispute()
    # The attack took 12 s of the challenger's clock; the proposer has WINDOW seconds.
    value = HONEST.output(1)
    assert value is not None
    assert_refused(
        l1,
        dispute.ClockExpired,
        PROPOSER,
        "attack",
        game_id,
        1,
        value.root,
        value=CONFIG.bond,
        wait=WINDOW + 1,
    )
    # At exactly the limit the move is still in time.
    l1, game_id = started_dispute()
    l1.ok(PROPOSER, "attack", game_id, 1, value.root, value=CONFIG.bond, wait=WINDOW)
    assert l1.game(game_id).claims[-1].duration == WINDOW


def drive_to_leaf() -> tuple[GameL1, int, PlannedStep]:
    """Play the lying game until the challenger's step is due; return that step."""
    l1 = GameL1()
    liar = ChainSource(rollup(), lie_at=3)
    game_id = l1.create(lying_output(3))
    for _ in range(40):
        moved = False
        for key, source in ((PROPOSER, liar), (CHALLENGER, HONEST)):
            for plan in plan_moves(l1.game(game_id), CONFIG, source, key.address, l1.now):
                if isinstance(plan, PlannedStep):
                    assert key is CHALLENGER
                    return l1, game_id, plan
                function = "attack" if plan.is_attack else "defend"
                l1.ok(key, function, game_id, plan.parent_index, plan.claim, value=CONFIG.bond)
                moved = True
                break
        assert moved
    raise AssertionError("no step became due")


def test_step_with_a_wrong_witness_is_refused() -> None:
    l1, game_id, step = drive_to_leaf()
    proof = build_step_proof(l1.game(game_id), CONFIG, step, rollup(), HONEST)
    assert proof is not None
    from interlace.primitives.rlp_codec import decode_rlp, encode_rlp

    items = decode_rlp(proof[1:])
    assert isinstance(items, list)
    accounts = items[3]
    assert isinstance(accounts, list) and accounts
    # A missing node, an extra node, and a node from another trie.
    for nodes in (
        accounts[:-1],
        [*accounts, b"\xc2\x80\x80"],
        [accounts[0][:-1] + b"\x00", *accounts[1:]],
    ):
        bad = proof[:1] + encode_rlp([*items[:3], nodes, items[4]])
        assert_refused(
            l1, InvalidStepProof, CHALLENGER, "step", game_id, step.claim_index, step.is_attack, bad
        )
    # The agreed output's preimage must hash to the agreed output.
    agreed = items[0]
    assert isinstance(agreed, list)
    bad = proof[:1] + encode_rlp([[agreed[1], agreed[0], agreed[2]], *items[1:]])
    assert_refused(
        l1, InvalidStepProof, CHALLENGER, "step", game_id, step.claim_index, step.is_attack, bad
    )
    # A proof of the other step kind is a valid re-execution that does not counter the leaf.
    other = PlannedStep(step.claim_index, not step.is_attack)
    assert build_step_proof(l1.game(game_id), CONFIG, other, rollup(), HONEST) is None
    other_proof = build_step_proof(
        l1.game(game_id), CONFIG, other, rollup(), HONEST, require_counter=False
    )
    assert other_proof is not None
    assert_refused(
        l1,
        dispute.ValidStep,
        CHALLENGER,
        "step",
        game_id,
        step.claim_index,
        not step.is_attack,
        other_proof,
    )
    # The proof for the leaf's kind, sent as the other kind, does not fit its indices.
    assert_refused(
        l1,
        InvalidStepProof,
        CHALLENGER,
        "step",
        game_id,
        step.claim_index,
        not step.is_attack,
        proof,
    )
    # The right proof works, once.
    l1.ok(CHALLENGER, "step", game_id, step.claim_index, step.is_attack, proof)
    assert_refused(
        l1,
        dispute.AlreadyCountered,
        CHALLENGER,
        "step",
        game_id,
        step.claim_index,
        step.is_attack,
        proof,
    )


def test_malformed_proof_bytes_are_refused() -> None:
    l1, game_id, step = drive_to_leaf()
    for bad in (b"", b"\x02", b"\x01\xc0", b"\x01" + b"\xff" * 40):
        assert_refused(
            l1,
            MalformedStepProof,
            CHALLENGER,
            "step",
            game_id,
            step.claim_index,
            step.is_attack,
            bad,
        )


def test_step_at_a_non_leaf_is_refused() -> None:
    l1, game_id = started_dispute()
    proof = b"\x01\xc0"
    for index in (0, 1):
        assert_refused(
            l1,
            dispute.NotALeaf,
            PROPOSER if index else CHALLENGER,
            "step",
            game_id,
            index,
            True,
            proof,
        )


def test_step_out_of_turn_or_late_is_refused() -> None:
    l1, game_id, step = drive_to_leaf()
    proof = build_step_proof(l1.game(game_id), CONFIG, step, rollup(), HONEST)
    assert proof is not None
    leaf = l1.game(game_id).claims[step.claim_index]
    owner = PROPOSER if leaf.claimant == PROPOSER.address else CHALLENGER
    assert_refused(
        l1, dispute.OutOfTurn, owner, "step", game_id, step.claim_index, step.is_attack, proof
    )
    assert_refused(
        l1,
        dispute.ClockExpired,
        CHALLENGER,
        "step",
        game_id,
        step.claim_index,
        step.is_attack,
        proof,
        wait=2 * WINDOW,
    )


def test_positions_are_generalized_indices() -> None:
    assert dispute.depth_of(1) == 0 and dispute.depth_of(2) == 1 and dispute.depth_of(7) == 2
    # The root commits to the last leaf; an attack to the middle; a defence to three quarters.
    assert trace_index(1, 3) == 7
    assert trace_index(2, 3) == 3
    assert trace_index(dispute.move_position(2, False), 3) == 5
    assert dispute.output_index(1, 2) == 3 and dispute.output_index(4, 2) == 0
    assert (
        dispute.side_of(0) == dispute.Side.DEFENDER
        and dispute.side_of(3) == dispute.Side.CHALLENGER
    )


def test_a_lie_in_the_middle_of_a_block_is_caught_by_a_single_transaction_step() -> None:
    l1 = GameL1()
    liar = ChainSource(rollup(), lie_at=3, corrupt_from=4)
    game_id = l1.create(lying_output(3))
    log = play(l1, game_id, [(PROPOSER, liar), (CHALLENGER, HONEST)])
    steps = [entry for entry in log if entry.startswith("step:")]
    assert len(steps) == 1
    game = l1.game(game_id)
    leaf = game.claims[int(steps[0].split(":")[1])]
    relative = trace_index(leaf.position, CONFIG.max_depth) % CONFIG.trace_length
    assert relative in (3, 4)  # the transition into the first wrong root, v[3] -> v[4]
    assert wait_and_resolve(l1, game_id) == GameStatus.CHALLENGER_WINS


def test_the_identity_step_past_the_game_block() -> None:
    from interlace.protocol.settlement.trace import StepContext, make_step_proof, run_step

    chain = rollup()
    agreed = honest_output(2)
    for index in (0, 3, CONFIG.trace_length - 1):
        ctx = StepContext(
            chain_id=ROLLUP_ID,
            agreed_output_root=agreed.root,
            agreed_number=2,
            game_number=2,
            game_block_hash=agreed.block_hash,
            index=index,
            length=CONFIG.trace_length,
            pre_value=None if index == 0 else agreed.state_root,
        )
        proof = make_step_proof(
            agreed=agreed,
            headers=[],
            block=None,
            pre_state=chain.states[2],
            index=index,
            length=CONFIG.trace_length,
            modules=chain.modules,
            chain_id=ROLLUP_ID,
        )
        expected = agreed.root if index == CONFIG.trace_length - 1 else agreed.state_root
        assert run_step(ctx, proof, chain.modules) == expected
        # Past the game's block the agreed output must name the game's block.
        other = replace(ctx, game_block_hash=Hash32(b"\x09" * 32))
        assert run_step(other, proof, chain.modules) is None
