"""The ``DisputeGameFactory`` L1 native module (0x…10a7): its ABI, storage layout (Solidity's,
table in docs/disputes.md), genesis, gas-free readers, and the calls that apply the rules."""

from collections.abc import Callable, Mapping
from typing import Final

from interlace.primitives.abi import AbiModule
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
from interlace.protocol.rollup.chain import rollup_modules
from interlace.protocol.settlement.dispute.errors import (
    AlreadyCountered,
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
from interlace.protocol.settlement.dispute.rules import (
    Anchor,
    ClaimView,
    GameConfig,
    GameStatus,
    GameView,
    ResolvedOutput,
    Side,
    can_resolve,
    challenge_duration,
    depth_of,
    exec_context,
    expected_exec_root_relation,
    move_position,
    resolve_claims,
    side_of,
    step_context,
)
from interlace.protocol.settlement.outputs import Output
from interlace.protocol.settlement.trace import (
    InvalidStepProof,
    MalformedStepProof,
    run_step,
)

DISPUTE_GAME_ADDRESS: Final = address_from_hex("0x00000000000000000000000000000000000010a7")
STEP_GAS: Final = 200_000
"""Flat gas a step pays for its stateless re-execution (on top of calldata)."""


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
