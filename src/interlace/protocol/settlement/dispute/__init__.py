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

The package is split along its seams: ``errors`` (the refusals), ``rules`` (the game
rules as pure functions: configuration, positions, views, clocks, resolution, a step's
inputs), ``module`` (the L1 native module: ABI, storage layout, genesis, readers and
the calls) and ``player`` (the honest actor the proposer and the challenger play).
"""

from interlace.protocol.settlement.dispute.errors import (
    AlreadyCountered,
    BadTraceAncestor,
    CannotDefend,
    ClaimExists,
    ClockExpired,
    ClockNotExpired,
    DisputeRefused,
    GameBelowAnchor,
    GameExists,
    GameNotInProgress,
    MaxDepthReached,
    NotALeaf,
    NotConfigured,
    OutOfTurn,
    RangeTooLong,
    UnexpectedExecRoot,
    UnknownClaim,
    UnknownGame,
    UnknownGameChain,
    ValidStep,
    WrongBond,
)
from interlace.protocol.settlement.dispute.module import (
    DISPUTE_GAME_ABI,
    DISPUTE_GAME_ADDRESS,
    STEP_GAS,
    DisputeGameFactory,
    Reader,
    anchor_slot,
    claim_slot,
    configure_games,
    game_slot,
    read_anchor,
    read_game,
    read_game_config,
    read_game_count,
    read_resolved_output,
)
from interlace.protocol.settlement.dispute.player import (
    PlannedMove,
    PlannedStep,
    TraceSource,
    build_step_proof,
    honest_value,
    plan_moves,
)
from interlace.protocol.settlement.dispute.rules import (
    Anchor,
    ClaimView,
    ExecContext,
    GameConfig,
    GameStatus,
    GameView,
    Resolution,
    ResolvedOutput,
    Side,
    can_resolve,
    challenge_duration,
    depth_of,
    dispute_seconds,
    exec_context,
    exec_root_of,
    expected_exec_root_relation,
    game_depths,
    move_position,
    output_index,
    output_number,
    resolve_claims,
    side_of,
    step_context,
    trace_ancestor,
    trace_index,
)

__all__ = [
    "DISPUTE_GAME_ABI",
    "DISPUTE_GAME_ADDRESS",
    "STEP_GAS",
    "AlreadyCountered",
    "Anchor",
    "BadTraceAncestor",
    "CannotDefend",
    "ClaimExists",
    "ClaimView",
    "ClockExpired",
    "ClockNotExpired",
    "DisputeGameFactory",
    "DisputeRefused",
    "ExecContext",
    "GameBelowAnchor",
    "GameConfig",
    "GameExists",
    "GameNotInProgress",
    "GameStatus",
    "GameView",
    "MaxDepthReached",
    "NotALeaf",
    "NotConfigured",
    "OutOfTurn",
    "PlannedMove",
    "PlannedStep",
    "RangeTooLong",
    "Reader",
    "Resolution",
    "ResolvedOutput",
    "Side",
    "TraceSource",
    "UnexpectedExecRoot",
    "UnknownClaim",
    "UnknownGame",
    "UnknownGameChain",
    "ValidStep",
    "WrongBond",
    "anchor_slot",
    "build_step_proof",
    "can_resolve",
    "challenge_duration",
    "claim_slot",
    "configure_games",
    "depth_of",
    "dispute_seconds",
    "exec_context",
    "exec_root_of",
    "expected_exec_root_relation",
    "game_depths",
    "game_slot",
    "honest_value",
    "move_position",
    "output_index",
    "output_number",
    "plan_moves",
    "read_anchor",
    "read_game",
    "read_game_config",
    "read_game_count",
    "read_resolved_output",
    "resolve_claims",
    "side_of",
    "step_context",
    "trace_ancestor",
    "trace_index",
]
