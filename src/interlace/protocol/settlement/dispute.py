"""Fault dispute games on L1: output proposals as games, bisection, one-step proofs, bonds.

This module owns the ``DisputeGameFactory`` L1 native module (0x…10a7) and
the pure game rules it applies, which the proposer and challenger roles
reuse to play. It follows OP's ``FaultDisputeGame`` (docs/disputes.md):

- **A proposal is a game.** ``createGame`` posts an output root (the
  preimage is stored) for block ``N`` of a chain with a bond. The disputed
  range is ``(anchor, N]`` where the anchor is the chain's latest output
  that resolved ``DEFENDER_WINS`` (initially its genesis output).
- **Positions** are generalized indices in a binary tree of depth
  ``max_depth``. Claims down to ``split_depth`` are output roots of the
  blocks ``anchor+1 .. anchor+2^split_depth`` (clamped to ``N``); below it,
  each execution subgame bisects over the per-transaction state roots of
  the single disputed block (``trace.py``), ending in ``step``.
- **Teams** alternate by depth: even depths defend the root claim, odd
  depths challenge it. An address plays one side per game (the creator
  defends); countering a claim of one's own side is out of turn.
- **Chess clocks**: each side of each path has ``max_clock`` seconds (the
  rollup's registered challenge window, or the configured default) counted
  in L1 timestamps while it is that side's turn to counter.
- **Resolution** is OP's subgame rule: a claim is countered if a step
  countered it or any child is uncountered. A countered claim's bond goes
  to its first uncountered child's claimant (or the stepper); an
  uncountered claim's bond returns to its claimant.

Every refusal is a typed ``DisputeRefused`` raised before the first write;
the module reverts with ``"<ErrorName>: <message>"``. Storage follows
Solidity's layout (table in docs/disputes.md).
"""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Final, Protocol

from interlace.primitives.abi import AbiModule
from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.types import (
    U64,
    ZERO_ADDRESS,
    Address,
    ChainId,
    Hash32,
    address_from_hex,
)
from interlace.protocol.chain.modules import (
    G_SLOAD,
    CallContext,
    NativeModule,
    install_module,
    mapping_slot,
    revert,
    word_slot,
)
from interlace.protocol.chain.state import WorldState
from interlace.protocol.l1.modules import read_rollup
from interlace.protocol.rollup.chain import RollupChain, rollup_modules
from interlace.protocol.settlement.outputs import Output
from interlace.protocol.settlement.trace import (
    BlockTrace,
    InvalidStepProof,
    MalformedStepProof,
    StepContext,
    identity_trace_value,
    make_step_proof,
    run_step,
    state_after_transactions,
    trace_value,
)

__all__ = [
    "DISPUTE_GAME_ABI",
    "DISPUTE_GAME_ADDRESS",
    "Anchor",
    "ClaimView",
    "DisputeGameFactory",
    "DisputeRefused",
    "ExecContext",
    "GameConfig",
    "GameStatus",
    "GameView",
    "PlannedMove",
    "PlannedStep",
    "Resolution",
    "ResolvedOutput",
    "Side",
    "TraceSource",
    "build_step_proof",
    "can_resolve",
    "configure_games",
    "honest_value",
    "plan_moves",
    "read_anchor",
    "read_game",
    "read_game_config",
    "read_game_count",
    "read_resolved_output",
    "resolve_claims",
    "step_context",
]

DISPUTE_GAME_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a7")
STEP_GAS: Final = 200_000
"""Flat gas a step pays for its stateless re-execution (on top of calldata)."""


# --- errors ----------------------------------------------------------------------------------


class DisputeRefused(InterlaceError):
    """A game call refused as a whole; nothing of it is written."""


class NotConfigured(DisputeRefused):
    """``configure_games`` never ran on this L1."""


class UnknownGameChain(DisputeRefused):
    """The chain has no anchor (no genesis output configured)."""


class GameBelowAnchor(DisputeRefused):
    """The proposed block is at or below the chain's anchor."""


class RangeTooLong(DisputeRefused):
    """The disputed range (anchor, N] has more than 2^split_depth blocks."""


class WrongBond(DisputeRefused):
    """The call's value is not the required bond (or a step/resolve carries value)."""


class GameExists(DisputeRefused):
    """A game with the same chain, block number and root claim already exists."""


class UnknownGame(DisputeRefused):
    """No game has this id."""


class GameNotInProgress(DisputeRefused):
    """The game already resolved."""


class UnknownClaim(DisputeRefused):
    """No claim of this game has this index."""


class CannotDefend(DisputeRefused):
    """Defending the root claim, or an execution subgame's root, is not a move."""


class MaxDepthReached(DisputeRefused):
    """The claim is at the maximum depth: counter it with ``step``."""


class OutOfTurn(DisputeRefused):
    """The sender plays the side of the claim it tries to counter."""


class ClockExpired(DisputeRefused):
    """The moving side's chess clock on this path has run out."""


class UnexpectedExecRoot(DisputeRefused):
    """An execution subgame's root claim contradicts the output move it makes."""


class ClaimExists(DisputeRefused):
    """The same claim at the same position under the same parent already exists."""


class NotALeaf(DisputeRefused):
    """``step`` against a claim above the maximum depth."""


class AlreadyCountered(DisputeRefused):
    """A step already countered this claim."""


class ValidStep(DisputeRefused):
    """The one-step proof does not counter the claim (the re-execution agrees with it)."""


class ClockNotExpired(DisputeRefused):
    """Some claim can still be countered: the game cannot resolve yet."""


class BadTraceAncestor(DisputeRefused):
    """The claims the move or step needs are missing from its path (a malformed tree)."""


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


# --- ABI and storage layout -----------------------------------------------------------------

DISPUTE_GAME_ABI: Final = AbiModule.declare(
    "DisputeGameFactory",
    functions=[
        (
            "createGame(uint64 chainId, uint64 l2BlockNumber, bytes32 stateRoot,"
            " bytes32 messagePasserRoot, bytes32 blockHash) payable returns (uint256 gameId)"
        ),
        "attack(uint256 gameId, uint256 parentIndex, bytes32 claim) payable",
        "defend(uint256 gameId, uint256 parentIndex, bytes32 claim) payable",
        "step(uint256 gameId, uint256 claimIndex, bool isAttack, bytes proof)",
        "resolve(uint256 gameId) returns (uint8 status)",
        "gameCount() view returns (uint256)",
        "bond() view returns (uint256)",
        (
            "anchor(uint64 chainId) view returns (uint64 number, bytes32 outputRoot,"
            " bytes32 blockHash)"
        ),
        (
            "game(uint256 gameId) view returns (uint64 chainId, uint64 l2BlockNumber,"
            " bytes32 rootClaim, uint8 status, uint256 claimCount, uint64 createdAt,"
            " uint64 maxClock)"
        ),
        (
            "claimData(uint256 gameId, uint256 index) view returns (uint256 parentIndex,"
            " address claimant, uint128 position, bytes32 claim, uint64 duration,"
            " uint64 createdAt, address counteredBy)"
        ),
    ],
    events=[
        (
            "GameCreated(uint256 indexed gameId, uint64 indexed chainId, uint64 l2BlockNumber,"
            " bytes32 rootClaim, bytes32 blockHash)"
        ),
        (
            "Move(uint256 indexed gameId, uint256 indexed parentIndex, uint256 claimIndex,"
            " uint128 position, bytes32 claim, address claimant)"
        ),
        "Step(uint256 indexed gameId, uint256 indexed claimIndex, bool isAttack, address stepper)",
        (
            "GameResolved(uint256 indexed gameId, uint64 indexed chainId, uint64 l2BlockNumber,"
            " bytes32 blockHash, uint8 status)"
        ),
    ],
)

_GAME_COUNT: Final = 0
_BOND: Final = 1
_SPLIT_DEPTH: Final = 2
_MAX_DEPTH: Final = 3
_MAX_CLOCK: Final = 4
_ANCHORS: Final = (
    5  # mapping(uint64 => Anchor{number, outputRoot, stateRoot, mpRoot, blockHash, gameId+1})
)
_GAMES: Final = 6  # mapping(uint256 => Game{...}), fields _G_*
_CLAIMS: Final = 7  # mapping(uint256 => mapping(uint256 => Claim{...})), fields _C_*
_SIDES: Final = 8  # mapping(uint256 => mapping(address => uint8))
_CLAIM_KEYS: Final = 9  # mapping(uint256 => mapping(bytes32 => bool))
_GAME_KEYS: Final = 10  # mapping(bytes32 => uint256 gameId+1)
_VALID_OUTPUTS: Final = 11  # mapping(uint64 => mapping(uint64 => uint256 gameId+1))
_INVALID_OUTPUTS: Final = 12  # mapping(uint64 => mapping(uint64 => uint256 gameId+1))

_A_NUMBER, _A_ROOT, _A_STATE, _A_MP, _A_HASH, _A_GAME = range(6)
(
    _G_CHAIN,
    _G_NUMBER,
    _G_ROOT,
    _G_STATE,
    _G_MP,
    _G_HASH,
    _G_ANCHOR_NUMBER,
    _G_ANCHOR_ROOT,
    _G_CREATED,
    _G_MAX_CLOCK,
    _G_STATUS,
    _G_CLAIMS,
    _G_CREATOR,
    _G_RESOLVED,
) = range(14)
(
    _C_PARENT,
    _C_CLAIMANT,
    _C_POSITION,
    _C_CLAIM,
    _C_BOND,
    _C_DURATION,
    _C_CREATED,
    _C_COUNTERED,
) = range(8)


def _field(base: bytes, index: int) -> bytes:
    return ((int.from_bytes(base, "big") + index) % 2**256).to_bytes(32, "big")


def anchor_slot(chain_id: int, field: int) -> bytes:
    """Storage slot of field ``field`` of ``anchors[chainId]``."""
    return _field(mapping_slot(_ANCHORS, chain_id), field)


def game_slot(game_id: int, field: int) -> bytes:
    """Storage slot of field ``field`` of ``games[gameId]``."""
    return _field(mapping_slot(_GAMES, game_id), field)


def claim_slot(game_id: int, index: int, field: int) -> bytes:
    """Storage slot of field ``field`` of ``claims[gameId][index]``."""
    return _field(mapping_slot(_CLAIMS, game_id, index), field)


def _hash(word: int) -> Hash32:
    return Hash32(word.to_bytes(32, "big"))


def _address(word: int) -> Address:
    return Address(word.to_bytes(32, "big")[12:])


def _word(value: bytes) -> int:
    return int.from_bytes(value, "big")


Reader = Callable[[bytes], int]


def _read_config(read: Reader) -> GameConfig | None:
    max_depth = read(word_slot(_MAX_DEPTH))
    if not max_depth:
        return None
    return GameConfig(
        bond=read(word_slot(_BOND)),
        split_depth=read(word_slot(_SPLIT_DEPTH)),
        max_depth=max_depth,
        max_clock=read(word_slot(_MAX_CLOCK)),
    )


def _read_anchor(read: Reader, chain_id: int) -> Anchor | None:
    root = read(anchor_slot(chain_id, _A_ROOT))
    if not root:
        return None
    game = read(anchor_slot(chain_id, _A_GAME))
    return Anchor(
        output=Output(
            U64(read(anchor_slot(chain_id, _A_NUMBER))),
            _hash(read(anchor_slot(chain_id, _A_STATE))),
            _hash(read(anchor_slot(chain_id, _A_MP))),
            _hash(read(anchor_slot(chain_id, _A_HASH))),
        ),
        root=_hash(root),
        game_id=game - 1 if game else None,
    )


def _read_claim(read: Reader, game_id: int, index: int) -> ClaimView:
    parent = read(claim_slot(game_id, index, _C_PARENT))
    countered = read(claim_slot(game_id, index, _C_COUNTERED))
    return ClaimView(
        index=index,
        parent_index=parent - 1 if parent else None,
        claimant=_address(read(claim_slot(game_id, index, _C_CLAIMANT))),
        position=read(claim_slot(game_id, index, _C_POSITION)),
        claim=_hash(read(claim_slot(game_id, index, _C_CLAIM))),
        bond=read(claim_slot(game_id, index, _C_BOND)),
        duration=read(claim_slot(game_id, index, _C_DURATION)),
        created_at=read(claim_slot(game_id, index, _C_CREATED)),
        countered_by=_address(countered) if countered else None,
    )


def _read_game(read: Reader, game_id: int, *, with_claims: bool = True) -> GameView | None:
    if game_id >= read(word_slot(_GAME_COUNT)):
        return None
    count = read(game_slot(game_id, _G_CLAIMS))
    claims = tuple(_read_claim(read, game_id, i) for i in range(count)) if with_claims else ()
    return GameView(
        game_id=game_id,
        chain_id=ChainId(read(game_slot(game_id, _G_CHAIN))),
        l2_block_number=read(game_slot(game_id, _G_NUMBER)),
        root_claim=_hash(read(game_slot(game_id, _G_ROOT))),
        output=Output(
            U64(read(game_slot(game_id, _G_NUMBER))),
            _hash(read(game_slot(game_id, _G_STATE))),
            _hash(read(game_slot(game_id, _G_MP))),
            _hash(read(game_slot(game_id, _G_HASH))),
        ),
        anchor_number=read(game_slot(game_id, _G_ANCHOR_NUMBER)),
        anchor_root=_hash(read(game_slot(game_id, _G_ANCHOR_ROOT))),
        created_at=read(game_slot(game_id, _G_CREATED)),
        max_clock=read(game_slot(game_id, _G_MAX_CLOCK)),
        status=GameStatus(read(game_slot(game_id, _G_STATUS))),
        creator=_address(read(game_slot(game_id, _G_CREATOR))),
        resolved_at=read(game_slot(game_id, _G_RESOLVED)),
        claims=claims,
    )


# --- genesis and gas-free readers -------------------------------------------------------------


def configure_games(
    state: WorldState,
    anchors: Mapping[int, Output],
    *,
    bond: int,
    split_depth: int = 6,
    max_depth: int = 14,
    max_clock: int = 3_600,
) -> None:
    """Install ``DisputeGameFactory`` at genesis with each chain's genesis output as its anchor.

    ``max_clock`` applies to chains whose registry entry has no challenge
    window. Raises ``ValueError`` on bad parameters or a second call.
    """
    config = GameConfig(bond, split_depth, max_depth, max_clock)
    if state.get_storage(DISPUTE_GAME_ADDRESS, word_slot(_MAX_DEPTH)):
        raise ValueError("dispute games are already configured")
    install_module(state, DisputeGameFactory())
    for index, value in (
        (_BOND, config.bond),
        (_SPLIT_DEPTH, config.split_depth),
        (_MAX_DEPTH, config.max_depth),
        (_MAX_CLOCK, config.max_clock),
    ):
        state.set_storage(DISPUTE_GAME_ADDRESS, word_slot(index), value)
    for chain_id, output in anchors.items():
        if not 0 < chain_id < 2**64:
            raise ValueError(f"chain id {chain_id} out of range")
        if any(len(h) != 32 for h in (output.state_root, output.message_passer_root)):
            raise ValueError("anchor roots must be 32 bytes")
        if len(output.block_hash) != 32 or not any(output.block_hash):
            raise ValueError(f"chain {chain_id}: anchor block hash must be a non-zero hash")
        for field_index, word in (
            (_A_NUMBER, output.number),
            (_A_ROOT, _word(output.root)),
            (_A_STATE, _word(output.state_root)),
            (_A_MP, _word(output.message_passer_root)),
            (_A_HASH, _word(output.block_hash)),
        ):
            state.set_storage(DISPUTE_GAME_ADDRESS, anchor_slot(chain_id, field_index), word)


def _state_reader(state: WorldState) -> Reader:
    return lambda slot: state.get_storage(DISPUTE_GAME_ADDRESS, slot)


def read_game_config(state: WorldState) -> GameConfig | None:
    """The configured game parameters, or None before ``configure_games``."""
    return _read_config(_state_reader(state))


def read_game_count(state: WorldState) -> int:
    """Number of games created so far."""
    return state.get_storage(DISPUTE_GAME_ADDRESS, word_slot(_GAME_COUNT))


def read_anchor(state: WorldState, chain_id: int) -> Anchor | None:
    """The chain's anchor (latest DEFENDER_WINS output, or its genesis output), or None."""
    return _read_anchor(_state_reader(state), chain_id)


def read_game(state: WorldState, game_id: int) -> GameView | None:
    """A game with all its claims, or None."""
    return _read_game(_state_reader(state), game_id)


def read_resolved_output(state: WorldState, chain_id: int, number: int) -> ResolvedOutput | None:
    """The resolved proposal for block ``number``: a DEFENDER_WINS one if any, else the latest
    CHALLENGER_WINS one, else None (never proposed, or still in progress)."""
    read = _state_reader(state)
    game_id = read(mapping_slot(_VALID_OUTPUTS, chain_id, number)) or read(
        mapping_slot(_INVALID_OUTPUTS, chain_id, number)
    )
    if not game_id:
        return None
    game = _read_game(read, game_id - 1, with_claims=False)
    assert game is not None
    return ResolvedOutput(
        status=game.status,
        output_root=game.root_claim,
        block_hash=game.output.block_hash,
        state_root=game.output.state_root,
        message_passer_root=game.output.message_passer_root,
        game_id=game.game_id,
    )


# --- the module ---------------------------------------------------------------------------------


class DisputeGameFactory(NativeModule):
    """Output proposals as fault dispute games (see the module docstring)."""

    address = DISPUTE_GAME_ADDRESS
    abi = DISPUTE_GAME_ABI

    def __init__(self, l2_modules: Mapping[Address, NativeModule] | None = None) -> None:
        self.l2_modules = rollup_modules() if l2_modules is None else l2_modules
        """The rollups' native modules, which a one-step proof re-executes."""

    def call(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        try:
            return self._dispatch(ctx, function, args)
        except DisputeRefused as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc
        except (MalformedStepProof, InvalidStepProof) as exc:
            raise revert(f"{type(exc).__name__}: {exc}") from exc

    def _dispatch(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "createGame":
            chain_id, number, state_root, mp_root, block_hash = args
            assert isinstance(chain_id, int) and isinstance(number, int)
            assert isinstance(state_root, bytes) and isinstance(mp_root, bytes)
            assert isinstance(block_hash, bytes)
            created = self._create(
                ctx,
                chain_id,
                number,
                Output(U64(number), Hash32(state_root), Hash32(mp_root), Hash32(block_hash)),
            )
            return self.abi.function("createGame").encode_return(created)
        if function in ("attack", "defend"):
            game_id, parent_index, claim = args
            assert isinstance(game_id, int) and isinstance(parent_index, int)
            assert isinstance(claim, bytes)
            self._move(ctx, game_id, parent_index, Hash32(claim), function == "attack")
            return b""
        if function == "step":
            game_id, claim_index, is_attack, proof = args
            assert isinstance(game_id, int) and isinstance(claim_index, int)
            assert isinstance(is_attack, bool) and isinstance(proof, bytes)
            self._step(ctx, game_id, claim_index, is_attack, proof)
            return b""
        if function == "resolve":
            (game_id,) = args
            assert isinstance(game_id, int)
            status = self._resolve(ctx, game_id)
            return self.abi.function("resolve").encode_return(int(status))
        return self._view(ctx, function, args)

    def _view(self, ctx: CallContext, function: str, args: tuple[object, ...]) -> bytes:
        if function == "gameCount":
            return self.abi.function("gameCount").encode_return(ctx.sload(word_slot(_GAME_COUNT)))
        if function == "bond":
            return self.abi.function("bond").encode_return(ctx.sload(word_slot(_BOND)))
        if function == "anchor":
            (chain_id,) = args
            assert isinstance(chain_id, int)
            anchor = _read_anchor(ctx.sload, chain_id)
            if anchor is None:
                return self.abi.function("anchor").encode_return(0, bytes(32), bytes(32))
            return self.abi.function("anchor").encode_return(
                anchor.output.number, anchor.root, anchor.output.block_hash
            )
        if function == "game":
            (game_id,) = args
            assert isinstance(game_id, int)
            game = _read_game(ctx.sload, game_id, with_claims=False)
            if game is None:
                raise UnknownGame(f"no game {game_id}")
            return self.abi.function("game").encode_return(
                game.chain_id,
                game.l2_block_number,
                game.root_claim,
                int(game.status),
                ctx.sload(game_slot(game_id, _G_CLAIMS)),
                game.created_at,
                game.max_clock,
            )
        if function == "claimData":
            game_id, index = args
            assert isinstance(game_id, int) and isinstance(index, int)
            if game_id >= ctx.sload(word_slot(_GAME_COUNT)) or index >= ctx.sload(
                game_slot(game_id, _G_CLAIMS)
            ):
                raise UnknownClaim(f"no claim {index} in game {game_id}")
            claim = _read_claim(ctx.sload, game_id, index)
            return self.abi.function("claimData").encode_return(
                2**256 - 1 if claim.parent_index is None else claim.parent_index,
                claim.claimant,
                claim.position,
                claim.claim,
                claim.duration,
                claim.created_at,
                claim.countered_by or ZERO_ADDRESS,
            )
        raise revert(f"unknown function {function}")

    # ---- createGame -----------------------------------------------------------------------

    def _create(self, ctx: CallContext, chain_id: int, number: int, output: Output) -> int:
        config = _read_config(ctx.sload)
        if config is None:
            raise NotConfigured("dispute games are not configured on this L1")
        anchor = _read_anchor(ctx.sload, chain_id)
        if anchor is None:
            raise UnknownGameChain(f"chain {chain_id} has no anchor output")
        if number <= anchor.output.number:
            raise GameBelowAnchor(
                f"block {number} is not above chain {chain_id}'s anchor {anchor.output.number}"
            )
        if number - anchor.output.number > 1 << config.split_depth:
            raise RangeTooLong(
                f"range ({anchor.output.number}, {number}] exceeds {1 << config.split_depth} blocks"
            )
        if ctx.value != config.bond:
            raise WrongBond(f"createGame needs a bond of {config.bond} wei, got {ctx.value}")
        root = output.root
        key = mapping_slot(
            _GAME_KEYS, keccak256(chain_id.to_bytes(32, "big") + number.to_bytes(32, "big") + root)
        )
        if ctx.sload(key):
            raise GameExists(f"chain {chain_id} block {number} root 0x{root.hex()} has a game")
        ctx.charge(G_SLOAD)
        record = read_rollup(ctx.state, chain_id)
        max_clock = (
            record.challenge_window
            if record is not None and record.challenge_window
            else config.max_clock
        )
        # Writes from here on.
        game_id = ctx.sload(word_slot(_GAME_COUNT))
        now = ctx.env.timestamp
        for field_index, word in (
            (_G_CHAIN, chain_id),
            (_G_NUMBER, number),
            (_G_ROOT, _word(root)),
            (_G_STATE, _word(output.state_root)),
            (_G_MP, _word(output.message_passer_root)),
            (_G_HASH, _word(output.block_hash)),
            (_G_ANCHOR_NUMBER, anchor.output.number),
            (_G_ANCHOR_ROOT, _word(anchor.root)),
            (_G_CREATED, now),
            (_G_MAX_CLOCK, max_clock),
            (_G_STATUS, int(GameStatus.IN_PROGRESS)),
            (_G_CLAIMS, 1),
            (_G_CREATOR, _word(ctx.sender)),
        ):
            ctx.sstore(game_slot(game_id, field_index), word)
        self._store_claim(ctx, game_id, ClaimView(0, None, ctx.sender, 1, root, ctx.value, 0, now))
        ctx.sstore(mapping_slot(_SIDES, game_id, ctx.sender), int(Side.DEFENDER))
        ctx.sstore(key, game_id + 1)
        ctx.sstore(word_slot(_GAME_COUNT), game_id + 1)
        ctx.emit(
            *self.abi.event("GameCreated").encode_log(
                game_id, chain_id, number, root, output.block_hash
            )
        )
        return game_id

    def _store_claim(self, ctx: CallContext, game_id: int, claim: ClaimView) -> None:
        for field_index, word in (
            (_C_PARENT, 0 if claim.parent_index is None else claim.parent_index + 1),
            (_C_CLAIMANT, _word(claim.claimant)),
            (_C_POSITION, claim.position),
            (_C_CLAIM, _word(claim.claim)),
            (_C_BOND, claim.bond),
            (_C_DURATION, claim.duration),
            (_C_CREATED, claim.created_at),
        ):
            if word:
                ctx.sstore(claim_slot(game_id, claim.index, field_index), word)

    # ---- moves ---------------------------------------------------------------------------------

    def _load(self, ctx: CallContext, game_id: int) -> tuple[GameView, GameConfig]:
        config = _read_config(ctx.sload)
        if config is None:
            raise NotConfigured("dispute games are not configured on this L1")
        game = _read_game(ctx.sload, game_id)
        if game is None:
            raise UnknownGame(f"no game {game_id}")
        if game.status != GameStatus.IN_PROGRESS:
            raise GameNotInProgress(f"game {game_id} resolved {game.status.name}")
        return game, config

    def _check_turn(self, ctx: CallContext, game_id: int, mover: Side, against: int) -> None:
        side = ctx.sload(mapping_slot(_SIDES, game_id, ctx.sender))
        if side and side != mover:
            raise OutOfTurn(
                f"0x{ctx.sender.hex()} plays the {Side(side).name.lower()} side of game {game_id};"
                f" countering claim {against} is the {mover.name.lower()} side's turn"
            )

    def _move(
        self, ctx: CallContext, game_id: int, parent_index: int, claim: Hash32, is_attack: bool
    ) -> None:
        game, config = self._load(ctx, game_id)
        claims = game.claims
        if not 0 <= parent_index < len(claims):
            raise UnknownClaim(f"game {game_id} has no claim {parent_index}")
        parent = claims[parent_index]
        if parent.depth >= config.max_depth:
            raise MaxDepthReached(f"claim {parent_index} is at the maximum depth: step instead")
        position = move_position(parent.position, is_attack)
        new_depth = depth_of(position)
        if not is_attack and (parent_index == 0 or parent.depth == config.split_depth + 1):
            raise CannotDefend("the root claim and execution subgame roots can only be attacked")
        if ctx.value != config.bond:
            raise WrongBond(f"a move needs a bond of {config.bond} wei, got {ctx.value}")
        mover = side_of(new_depth)
        self._check_turn(ctx, game_id, mover, parent_index)
        now = ctx.env.timestamp
        duration = challenge_duration(claims, parent_index, now)
        if duration > game.max_clock:
            raise ClockExpired(
                f"the {mover.name.lower()} side used {duration}s of {game.max_clock}s on this path"
            )
        if new_depth == config.split_depth + 1:
            exec_ctx = exec_context(game, claims, parent_index, position, config)
            must_equal = expected_exec_root_relation(exec_ctx, mover)
            if (claim == exec_ctx.disputed.claim) != must_equal:
                raise UnexpectedExecRoot(
                    "an execution subgame root must "
                    + ("repeat" if must_equal else "differ from")
                    + f" the disputed output (claim {exec_ctx.disputed.index})"
                )
        key = mapping_slot(
            _CLAIM_KEYS,
            game_id,
            keccak256(parent_index.to_bytes(32, "big") + position.to_bytes(32, "big") + claim),
        )
        if ctx.sload(key):
            raise ClaimExists(f"claim 0x{claim.hex()[:16]} at position {position} exists")
        # Writes from here on.
        index = len(claims)
        self._store_claim(
            ctx,
            game_id,
            ClaimView(index, parent_index, ctx.sender, position, claim, ctx.value, duration, now),
        )
        ctx.sstore(key, 1)
        ctx.sstore(game_slot(game_id, _G_CLAIMS), index + 1)
        if not ctx.sload(mapping_slot(_SIDES, game_id, ctx.sender)):
            ctx.sstore(mapping_slot(_SIDES, game_id, ctx.sender), int(mover))
        ctx.emit(
            *self.abi.event("Move").encode_log(
                game_id, parent_index, index, position, claim, ctx.sender
            )
        )

    # ---- step ----------------------------------------------------------------------------------

    def _step(
        self, ctx: CallContext, game_id: int, claim_index: int, is_attack: bool, proof: bytes
    ) -> None:
        game, config = self._load(ctx, game_id)
        claims = game.claims
        if not 0 <= claim_index < len(claims):
            raise UnknownClaim(f"game {game_id} has no claim {claim_index}")
        leaf = claims[claim_index]
        if leaf.depth != config.max_depth:
            raise NotALeaf(f"claim {claim_index} is at depth {leaf.depth}, not {config.max_depth}")
        if leaf.countered_by is not None:
            raise AlreadyCountered(f"claim {claim_index} was already countered by a step")
        if ctx.value:
            raise WrongBond("a step carries no value")
        stepper = Side.CHALLENGER if leaf.side == Side.DEFENDER else Side.DEFENDER
        self._check_turn(ctx, game_id, stepper, claim_index)
        duration = challenge_duration(claims, claim_index, ctx.env.timestamp)
        if duration > game.max_clock:
            raise ClockExpired(
                f"the {stepper.name.lower()} side used {duration}s of {game.max_clock}s"
            )
        ctx.charge(STEP_GAS)
        step_ctx, post = step_context(game, claims, claim_index, is_attack, config)
        result = run_step(step_ctx, proof, self.l2_modules)
        valid_step = result is not None and result == post.claim
        parent_post_agree = (leaf.depth - post.depth) % 2 == 0
        if parent_post_agree == valid_step:
            raise ValidStep(
                f"re-execution {'agrees with' if valid_step else 'differs from'} claim"
                f" {post.index}, which does not counter claim {claim_index}"
            )
        # The one write.
        ctx.sstore(claim_slot(game_id, claim_index, _C_COUNTERED), _word(ctx.sender))
        if not ctx.sload(mapping_slot(_SIDES, game_id, ctx.sender)):
            ctx.sstore(mapping_slot(_SIDES, game_id, ctx.sender), int(stepper))
        ctx.emit(*self.abi.event("Step").encode_log(game_id, claim_index, is_attack, ctx.sender))

    # ---- resolve -------------------------------------------------------------------------------

    def _resolve(self, ctx: CallContext, game_id: int) -> GameStatus:
        game, _config = self._load(ctx, game_id)
        if ctx.value:
            raise WrongBond("resolve carries no value")
        now = ctx.env.timestamp
        if not can_resolve(game.claims, game.max_clock, now):
            raise ClockNotExpired(f"game {game_id} still has claims that can be countered")
        outcome = resolve_claims(game.claims)
        # Writes from here on.
        for recipient, amount in outcome.payouts:
            ctx.transfer_out(recipient, amount)
        ctx.sstore(game_slot(game_id, _G_STATUS), int(outcome.status))
        ctx.sstore(game_slot(game_id, _G_RESOLVED), now)
        chain_id, number = game.chain_id, game.l2_block_number
        if outcome.status == GameStatus.DEFENDER_WINS:
            valid_slot = mapping_slot(_VALID_OUTPUTS, chain_id, number)
            if not ctx.sload(valid_slot):
                ctx.sstore(valid_slot, game_id + 1)
            if number > ctx.sload(anchor_slot(chain_id, _A_NUMBER)):
                output = game.output
                for field_index, word in (
                    (_A_NUMBER, number),
                    (_A_ROOT, _word(game.root_claim)),
                    (_A_STATE, _word(output.state_root)),
                    (_A_MP, _word(output.message_passer_root)),
                    (_A_HASH, _word(output.block_hash)),
                    (_A_GAME, game_id + 1),
                ):
                    ctx.sstore(anchor_slot(chain_id, field_index), word)
        else:
            ctx.sstore(mapping_slot(_INVALID_OUTPUTS, chain_id, number), game_id + 1)
        ctx.emit(
            *self.abi.event("GameResolved").encode_log(
                game_id, chain_id, number, game.output.block_hash, int(outcome.status)
            )
        )
        return outcome.status


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
