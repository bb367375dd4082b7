"""The honest actor, what proposers and challengers play: the value an honest player
believes at a position, the moves it plans, and the step proof it builds."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from interlace.primitives.types import (
    Address,
    Hash32,
)
from interlace.protocol.rollup.chain import RollupChain
from interlace.protocol.settlement.dispute.rules import (
    ClaimView,
    GameConfig,
    GameStatus,
    GameView,
    challenge_duration,
    depth_of,
    exec_context,
    exec_root_of,
    expected_exec_root_relation,
    move_position,
    output_index,
    output_number,
    side_of,
    step_context,
    trace_index,
)
from interlace.protocol.settlement.outputs import Output
from interlace.protocol.settlement.trace import (
    BlockTrace,
    InvalidStepProof,
    MalformedStepProof,
    identity_trace_value,
    make_step_proof,
    run_step,
    state_after_transactions,
    trace_value,
)

# --- the honest actor (what proposers and challengers play) ---------------------------------


class TraceSource(Protocol):
    """What a player believes the chain is: outputs and per-block traces by number."""

    def output(self, number: int) -> Output | None:
        """The output of block ``number``, or None if not known (yet)."""
        ...

    def block_trace(self, number: int) -> BlockTrace | None:
        """The trace of block ``number`` on block ``number - 1``'s state, or None."""
        ...


def honest_value(
    game: GameView,
    claims: Sequence[ClaimView],
    parent_index: int | None,
    position: int,
    *,
    config: GameConfig,
    source: TraceSource,
) -> Hash32 | None:
    """What ``source`` says a claim at ``position`` (a child of ``parent_index``) should be."""
    depth = depth_of(position)
    if depth <= config.split_depth:
        number = output_number(game, output_index(position, config.split_depth), config)
        output = source.output(number)
        return None if output is None else output.root
    assert parent_index is not None
    if depth == config.split_depth + 1:
        split_index, exec_position = parent_index, position
    else:
        exec_root = exec_root_of(claims, parent_index, config.split_depth)
        assert exec_root.parent_index is not None
        split_index, exec_position = exec_root.parent_index, exec_root.position
    ctx = exec_context(game, claims, split_index, exec_position, config)
    length = config.trace_length
    relative = trace_index(position, config.max_depth) % length
    if ctx.agreed_number >= game.l2_block_number:
        output = source.output(ctx.agreed_number)
        return None if output is None else identity_trace_value(output, relative, length)
    trace = source.block_trace(ctx.agreed_number + 1)
    return None if trace is None else trace_value(trace, relative, length)


@dataclass(frozen=True, slots=True)
class PlannedMove:
    """An attack or defence a player should send."""

    parent_index: int
    """The claim it counters."""
    is_attack: bool
    """Attack (2p) or defence (2(p+1))."""
    claim: Hash32
    """The value it claims."""


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """A one-step proof a player should send against a leaf."""

    claim_index: int
    """The leaf it counters."""
    is_attack: bool
    """Attack step (the leaf is wrong) or defence step (the leaf is right, its path is not)."""


def plan_moves(
    game: GameView,
    config: GameConfig,
    source: TraceSource,
    me: Address,
    now: int,
) -> list[PlannedMove | PlannedStep]:
    """OP's honest-actor responses: counter what counters a claim we support.

    We support the root if ``source`` agrees with it, and every claim we
    made. We attack the root if we disagree with it; every claim whose
    parent we support, made by someone else and not yet answered by us, we
    attack if we disagree with it, defend if we agree (or step at the
    maximum depth). A response our chess clock (at ``now``) no longer
    allows, or one we lack the data for, is left out.
    """
    claims = game.claims
    if game.status != GameStatus.IN_PROGRESS:
        return []
    root_value = honest_value(game, claims, None, 1, config=config, source=source)
    if root_value is None:
        return []
    supported = {c.index for c in claims if c.claimant == me}
    answered = {c.parent_index for c in claims if c.claimant == me}
    answered |= {c.index for c in claims if c.countered_by == me}
    plans: list[PlannedMove | PlannedStep] = []
    if claims[0].claim == root_value:
        supported.add(0)
    elif 0 not in answered:
        supported.discard(0)
        move = _plan_move(game, claims, 0, True, config=config, source=source, now=now)
        if move is not None:
            plans.append(move)
    for claim in claims[1:]:
        if (
            claim.parent_index not in supported
            or claim.index in supported
            or claim.index in answered
            or claim.countered_by is not None
        ):
            continue
        value = honest_value(
            game, claims, claim.parent_index, claim.position, config=config, source=source
        )
        if value is None:
            continue
        agree = claim.claim == value
        if claim.depth == config.max_depth:
            if challenge_duration(claims, claim.index, now) <= game.max_clock:
                plans.append(PlannedStep(claim.index, is_attack=not agree))
            continue
        if agree and claim.depth == config.split_depth + 1:
            continue  # a right execution root cannot be defended (nor needs to be)
        move = _plan_move(
            game, claims, claim.index, not agree, config=config, source=source, now=now
        )
        if move is not None:
            plans.append(move)
    return plans


def _plan_move(
    game: GameView,
    claims: Sequence[ClaimView],
    parent_index: int,
    is_attack: bool,
    *,
    config: GameConfig,
    source: TraceSource,
    now: int,
) -> PlannedMove | None:
    if challenge_duration(claims, parent_index, now) > game.max_clock:
        return None
    position = move_position(claims[parent_index].position, is_attack)
    value = honest_value(game, claims, parent_index, position, config=config, source=source)
    if value is None:
        return None
    if depth_of(position) == config.split_depth + 1:
        ctx = exec_context(game, claims, parent_index, position, config)
        if (value == ctx.disputed.claim) != expected_exec_root_relation(
            ctx, side_of(depth_of(position))
        ):
            return None
    return PlannedMove(parent_index, is_attack, value)


def build_step_proof(
    game: GameView,
    config: GameConfig,
    step: PlannedStep,
    chain: RollupChain,
    source: TraceSource,
    *,
    require_counter: bool = True,
) -> bytes | None:
    """The one-step proof for ``step`` from a full chain, or None if it would not counter.

    None when the chain lacks the blocks, when the agreed output or the
    claimed pre-state is not what the chain holds (no witness exists for a
    state we do not have), or when a dry run of the module's own check says
    the step would not counter the leaf (skipped with ``require_counter=False``).
    Raises ``StatePruned`` if the chain released the agreed block's state.
    """
    claims = game.claims
    step_ctx, post = step_context(game, claims, step.claim_index, step.is_attack, config)
    first, last = step_ctx.agreed_number, game.l2_block_number
    agreed = source.output(first)
    if agreed is None or agreed.root != step_ctx.agreed_output_root or last > chain.head.number:
        return None
    base = chain.state_at(first)
    block = chain.blocks[first + 1] if first < last else None
    done = step_ctx.index if block is not None else 0
    pre_state = (
        state_after_transactions(base, block, done, chain.modules, game.chain_id)
        if block is not None
        else base
    )
    if step_ctx.pre_value is not None and pre_state.state_root() != step_ctx.pre_value:
        return None
    proof = make_step_proof(
        agreed=agreed,
        headers=[chain.blocks[n].header for n in range(first + 1, last + 1)],
        block=block,
        pre_state=pre_state,
        index=step_ctx.index,
        length=step_ctx.length,
        modules=chain.modules,
        chain_id=game.chain_id,
    )
    if not require_counter:
        return proof
    try:
        result = run_step(step_ctx, proof, chain.modules)
    except (MalformedStepProof, InvalidStepProof):
        return None  # e.g. the game's block is not on our chain: we hold no headers for it
    valid_step = result is not None and result == post.claim
    leaf = claims[step.claim_index]
    if ((leaf.depth - post.depth) % 2 == 0) == valid_step:
        return None
    return proof
