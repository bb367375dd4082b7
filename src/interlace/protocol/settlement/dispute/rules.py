"""The game rules as pure functions: configuration, positions, views of games and claims,
clocks, the execution subgame's context, resolution and a step's VM inputs."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

from interlace.primitives.types import (
    ZERO_ADDRESS,
    Address,
    ChainId,
    Hash32,
)
from interlace.protocol.settlement.dispute.errors import (
    BadTraceAncestor,
)
from interlace.protocol.settlement.outputs import Output
from interlace.protocol.settlement.trace import (
    StepContext,
)

# --- enums and configuration -------------------------------------------------------------


class GameStatus(IntEnum):
    """OP's game status values."""

    IN_PROGRESS = 0
    CHALLENGER_WINS = 1
    DEFENDER_WINS = 2


class Side(IntEnum):
    """The two teams of a game."""

    DEFENDER = 1
    CHALLENGER = 2


@dataclass(frozen=True, slots=True)
class GameConfig:
    """Parameters every game shares (set once by ``configure_games``)."""

    bond: int
    """Wei each claim (the root included) must carry."""
    split_depth: int
    """Deepest output-root level; the range (anchor, N] holds at most 2^split_depth blocks."""
    max_depth: int
    """Deepest level; execution traces have 2^(max_depth - split_depth - 1) entries."""
    max_clock: int
    """Seconds per side when the rollup registered no challenge window."""

    def __post_init__(self) -> None:
        if self.bond < 0:
            raise ValueError("bond must be ≥ 0")
        if self.split_depth < 1 or self.max_depth < self.split_depth + 2:
            raise ValueError("need split_depth ≥ 1 and max_depth ≥ split_depth + 2")
        if self.max_depth > 120:
            raise ValueError("max_depth above 120 does not fit a uint128 position")
        if self.max_clock <= 0:
            raise ValueError("max_clock must be positive")

    @property
    def trace_length(self) -> int:
        """Entries of an execution subgame's trace."""
        return 1 << (self.max_depth - self.split_depth - 1)


def game_depths(
    *,
    challenge_window: float,
    l1_block_time: float,
    block_time: float,
    split_depth: int = 0,
    max_depth: int = 0,
) -> tuple[int, int]:
    """(split_depth, max_depth) of a rollup's dispute games; 0 asks for the automatic value.

    A game for block N needs the anchor within 2^split_depth blocks of N, and the
    anchor moves only when a game resolves, a challenge window after its output was
    posted. If 2^split_depth blocks take less time than that, proposals wait and an
    optimistic rollup's finalized head falls ever further behind (explorer seed 269:
    32 blocks of 0.5 s under a 16 s window). So the automatic split depth covers twice
    the window plus a few L1 blocks at ``block_time``; the total depth adds execution
    traces of 8 entries (made even, so a lying proposer's game ends in a one-step proof).
    The devnet and the simulator both take their depths from here.
    """
    split = split_depth
    if split == 0:
        span = 2 * (challenge_window + 4 * l1_block_time) / block_time
        split = min(max(3, math.ceil(math.log2(max(span, 1.0)))), 30)
    return split, max_depth or split + 4 + (split % 2)


def dispute_seconds(max_depth: int, l1_block_time: float) -> float:
    """Shortest challenge window a dispute fits in: its ``max_depth`` moves are L1
    transactions, and each side must make its half with time to spare, or an honest
    player loses on time."""
    return (max_depth + 2) * l1_block_time


def side_of(depth: int) -> Side:
    """The team whose claims sit at ``depth``."""
    return Side.DEFENDER if depth % 2 == 0 else Side.CHALLENGER


def depth_of(position: int) -> int:
    """Depth of a generalized index (the root, 1, has depth 0)."""
    return position.bit_length() - 1


def trace_index(position: int, max_depth: int) -> int:
    """Index of the deepest, right-most leaf under ``position`` (what its claim commits to)."""
    depth = depth_of(position)
    return ((position - (1 << depth) + 1) << (max_depth - depth)) - 1


def output_index(position: int, split_depth: int) -> int:
    """Output-trace index (0 = block anchor+1) of a position at or above the split depth."""
    depth = depth_of(position)
    return ((position - (1 << depth) + 1) << (split_depth - depth)) - 1


def move_position(parent: int, is_attack: bool) -> int:
    """Position of an attack (2p) or a defence (2(p+1)) against the claim at ``parent``."""
    return 2 * parent if is_attack else 2 * (parent + 1)


# --- views -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimView:
    """One claim of a game."""

    index: int
    """Its index in the game (0 is the root claim)."""
    parent_index: int | None
    """The claim it counters (None for the root)."""
    claimant: Address
    """Who made it."""
    position: int
    """Generalized index in the game tree."""
    claim: Hash32
    """An output root (depth ≤ split, and execution subgame roots), else a state root."""
    bond: int
    """Wei it carries."""
    duration: int
    """Seconds its side had used on this path when it was made."""
    created_at: int
    """L1 timestamp of the block that holds it."""
    countered_by: Address | None = None
    """The stepper whose one-step proof countered it."""

    @property
    def depth(self) -> int:
        """Its depth."""
        return depth_of(self.position)

    @property
    def side(self) -> Side:
        """Its team."""
        return side_of(self.depth)


@dataclass(frozen=True, slots=True)
class GameView:
    """A game as stored on L1."""

    game_id: int
    """Its id (creation order, from 0)."""
    chain_id: ChainId
    """The rollup."""
    l2_block_number: int
    """Block ``N`` the root claim is about."""
    root_claim: Hash32
    """The proposed output root."""
    output: Output
    """Its preimage."""
    anchor_number: int
    """Start of the disputed range (exclusive)."""
    anchor_root: Hash32
    """The anchor's output root."""
    created_at: int
    """L1 timestamp of creation."""
    max_clock: int
    """Seconds per side."""
    status: GameStatus
    """Where it stands."""
    creator: Address
    """The proposer."""
    resolved_at: int
    """L1 timestamp of resolution (0 while in progress)."""
    claims: tuple[ClaimView, ...]
    """Every claim, by index."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """A chain's anchor: the output the next game's range starts after."""

    output: Output
    """The anchored output (number, preimage)."""
    root: Hash32
    """Its output root."""
    game_id: int | None
    """The game that resolved it (None for the configured genesis output)."""


@dataclass(frozen=True, slots=True)
class ResolvedOutput:
    """A resolved output proposal, as the hub's confirmation rule reads it."""

    status: GameStatus
    """``DEFENDER_WINS`` (valid) or ``CHALLENGER_WINS`` (the proposal was false)."""
    output_root: Hash32
    """The proposed root."""
    block_hash: Hash32
    """The block it commits to."""
    state_root: Hash32
    """Its state root."""
    message_passer_root: Hash32
    """Its message-passer root."""
    game_id: int
    """The game."""


# --- the rules as pure functions ------------------------------------------------------------


def challenge_duration(claims: Sequence[ClaimView], index: int, now: int) -> int:
    """Seconds the side that would counter claim ``index`` has used on its path by ``now``."""
    claim = claims[index]
    used = 0 if claim.parent_index is None else claims[claim.parent_index].duration
    return used + max(0, now - claim.created_at)


def trace_ancestor(
    claims: Sequence[ClaimView], start: int | None, target: int, max_depth: int, min_depth: int
) -> ClaimView | None:
    """The first claim from ``start`` up whose trace index is ``target`` (depth ≥ min_depth)."""
    index = start
    while index is not None:
        claim = claims[index]
        if claim.depth < min_depth:
            return None
        if trace_index(claim.position, max_depth) == target:
            return claim
        index = claim.parent_index
    return None


def _output_ancestor(
    claims: Sequence[ClaimView], start: int | None, target: int, split_depth: int
) -> ClaimView | None:
    index = start
    while index is not None:
        claim = claims[index]
        if claim.depth <= split_depth and output_index(claim.position, split_depth) == target:
            return claim
        index = claim.parent_index
    return None


@dataclass(frozen=True, slots=True)
class ExecContext:
    """The block transition an execution subgame disputes."""

    agreed: ClaimView | None
    """The output claim the transition starts from (None: the game's anchor)."""
    agreed_root: Hash32
    """Its output root."""
    agreed_number: int
    """Its block number ``k``."""
    disputed: ClaimView
    """The output claim of block ``k+1`` the subgame is about."""
    disputed_number: int
    """``k+1`` clamped to the game's block."""


def output_number(game: GameView, index: int, config: GameConfig) -> int:
    """Block number of output-trace index ``index`` (-1 is the anchor)."""
    del config
    if index < 0:
        return game.anchor_number
    return min(game.anchor_number + 1 + index, game.l2_block_number)


def exec_context(
    game: GameView,
    claims: Sequence[ClaimView],
    split_index: int,
    exec_position: int,
    config: GameConfig,
) -> ExecContext:
    """Agreed and disputed outputs of the subgame rooted at ``exec_position`` under ``split_index``.

    An attack on the split-depth claim disputes it, starting from the output
    before it; a defence agrees with it and disputes the next one.
    """
    split = claims[split_index]
    out = output_index(split.position, config.split_depth)
    if exec_position == 2 * split.position:
        disputed: ClaimView | None = split
        agreed_out = out - 1
        agreed = (
            None
            if agreed_out < 0
            else _output_ancestor(claims, split.parent_index, agreed_out, config.split_depth)
        )
        if agreed is None and agreed_out >= 0:
            raise BadTraceAncestor(f"no claim on the path commits to output index {agreed_out}")
    else:
        agreed, agreed_out = split, out
        disputed = _output_ancestor(claims, split.parent_index, out + 1, config.split_depth)
        if disputed is None:
            raise BadTraceAncestor(f"no claim on the path commits to output index {out + 1}")
    assert disputed is not None
    return ExecContext(
        agreed=agreed,
        agreed_root=game.anchor_root if agreed is None else agreed.claim,
        agreed_number=output_number(game, agreed_out, config),
        disputed=disputed,
        disputed_number=output_number(game, agreed_out + 1, config),
    )


def exec_root_of(claims: Sequence[ClaimView], index: int, split_depth: int) -> ClaimView:
    """The execution subgame root (depth split+1) above claim ``index``."""
    claim = claims[index]
    while claim.depth > split_depth + 1:
        assert claim.parent_index is not None
        claim = claims[claim.parent_index]
    return claim


def expected_exec_root_relation(ctx: ExecContext, mover: Side) -> bool:
    """True if an execution subgame root by ``mover`` must equal the disputed output.

    A side disputing the other side's output claims a different output; a
    side whose own claim is the disputed output (a defence) claims it again.
    """
    return ctx.disputed.side == mover


@dataclass(frozen=True, slots=True)
class Resolution:
    """The outcome of resolving a game."""

    status: GameStatus
    """Who won."""
    countered: tuple[bool, ...]
    """Per claim: countered or not."""
    payouts: tuple[tuple[Address, int], ...]
    """Bond transfers, in claim order (merged per recipient, first-seen order)."""


def resolve_claims(claims: Sequence[ClaimView]) -> Resolution:
    """OP's subgame resolution, bottom-up: countered if stepped or any child stands."""
    children: dict[int, list[int]] = {}
    for claim in claims:
        if claim.parent_index is not None:
            children.setdefault(claim.parent_index, []).append(claim.index)
    countered = [False] * len(claims)
    winner: list[Address] = [ZERO_ADDRESS] * len(claims)
    for claim in reversed(claims):
        if claim.countered_by is not None:
            countered[claim.index] = True
            winner[claim.index] = claim.countered_by
            continue
        standing = [c for c in children.get(claim.index, ()) if not countered[c]]
        countered[claim.index] = bool(standing)
        winner[claim.index] = claims[standing[0]].claimant if standing else claim.claimant
    totals: dict[Address, int] = {}
    for claim in claims:
        if claim.bond:
            totals[winner[claim.index]] = totals.get(winner[claim.index], 0) + claim.bond
    status = GameStatus.CHALLENGER_WINS if countered[0] else GameStatus.DEFENDER_WINS
    return Resolution(status, tuple(countered), tuple(totals.items()))


def can_resolve(claims: Sequence[ClaimView], max_clock: int, now: int) -> bool:
    """True once no claim can be countered any more (every opposing clock has run out)."""
    return all(
        claim.countered_by is not None or challenge_duration(claims, claim.index, now) > max_clock
        for claim in claims
    )


def step_context(
    game: GameView,
    claims: Sequence[ClaimView],
    claim_index: int,
    is_attack: bool,
    config: GameConfig,
) -> tuple[StepContext, ClaimView]:
    """The VM inputs of a step against leaf ``claim_index``, and the claim its result must match.

    An attack step runs ``v[i-1] → v[i]`` and checks the leaf itself; a
    defence step runs ``v[i] → v[i+1]`` from the leaf and checks the claim
    on its path that commits to ``v[i+1]``.
    """
    leaf = claims[claim_index]
    length = config.trace_length
    leaf_trace = trace_index(leaf.position, config.max_depth)
    relative = leaf_trace % length
    base = leaf_trace - relative
    exec_root = exec_root_of(claims, claim_index, config.split_depth)
    assert exec_root.parent_index is not None
    ctx = exec_context(game, claims, exec_root.parent_index, exec_root.position, config)
    min_depth = config.split_depth + 1
    if is_attack:
        index, post = relative, leaf
        if relative == 0:
            pre_value = None
        else:
            pre = trace_ancestor(
                claims, leaf.parent_index, base + relative - 1, config.max_depth, min_depth
            )
            if pre is None:
                raise BadTraceAncestor(
                    f"no claim on the path commits to trace index {relative - 1}"
                )
            pre_value = pre.claim
    else:
        index, pre_value = relative + 1, leaf.claim
        found = trace_ancestor(
            claims, leaf.parent_index, base + relative + 1, config.max_depth, min_depth
        )
        if found is None:
            raise BadTraceAncestor(f"no claim on the path commits to trace index {relative + 1}")
        post = found
    step_ctx = StepContext(
        chain_id=game.chain_id,
        agreed_output_root=ctx.agreed_root,
        agreed_number=ctx.agreed_number,
        game_number=game.l2_block_number,
        game_block_hash=game.output.block_hash,
        index=index,
        length=length,
        pre_value=pre_value,
    )
    return step_ctx, post
