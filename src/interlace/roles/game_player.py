"""The game player: the core the proposer and the challenger share to play dispute games.

A ``GamePlayer`` follows the rollup itself (a ``RollupFollower``, deriving
the rollup from L1 data alone, persisted under the verifier's keys in the
player's store), so what it believes about outputs is its own derivation,
not another node's word. From the L1 blocks its follower reads,
it rebuilds every dispute game of its chain from the ``DisputeGameFactory``
logs (creation calldata for the output preimage, L1 timestamps for the
chess clocks) and plays OP's honest-actor rules (``plan_moves``): it
attacks what it disagrees with, defends what it agrees with, sends a
one-step proof at the maximum depth (dry-run first with the module's own
check), and resolves a game once no clock is left. Its ``L1Sender`` signs
the transactions with the player's L1 key, numbers them and tracks them,
one in flight per move (tagged with the move); once one has not landed
``resubmit_after`` seconds (of the L1's clock) after it was sent, every one
in flight is given up and planned again. Which games it plays, and what
else it sends, is up to the subclass: the ``Challenger``
(``challenger.py``) and the ``Proposer`` (``proposer.py``). A restart
loses nothing: games come back from L1, the chain from the follower's
store.

A game over block ``N`` disputes ``(anchor, N]``: playing it reads the
outputs and block traces of those blocks, so the player keeps the states
from the lowest anchor any game may still need: the chain's anchor and
those of the games in progress, as of the finalized L1 blocks (a reorg
above finality can undo a resolution, never one below). It releases older
states and L1 bodies itself, after scanning each L1 block.
"""

from abc import abstractmethod
from dataclasses import dataclass, field, replace
from typing import Final

from interlace.primitives.errors import InterlaceError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.receipt import Receipt
from interlace.primitives.types import U64, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.rollup.chain import StatePruned
from interlace.protocol.settlement.dispute import (
    DISPUTE_GAME_ABI,
    DISPUTE_GAME_ADDRESS,
    ClaimView,
    GameConfig,
    GameStatus,
    GameView,
    PlannedMove,
    PlannedStep,
    build_step_proof,
    can_resolve,
    challenge_duration,
    plan_moves,
)
from interlace.protocol.settlement.outputs import Output, compute_output
from interlace.protocol.settlement.trace import BlockTrace, trace_block
from interlace.roles.base import (
    Effect,
    Event,
    MessageReceived,
    NodeId,
    PersistBatch,
    Role,
    Started,
    StoreView,
    Timestamp,
)
from interlace.roles.l1_sender import L1Call, L1Sender, L1SenderParams, l1_time
from interlace.roles.messages import (
    HUB_BLOCKS_TOPIC,
    L1_BLOCKS_TOPIC,
    HubBlockPublished,
    L1BlockPublished,
)
from interlace.roles.names import L1_NODE
from interlace.roles.records import (
    GameCreated,
    GameMove,
    GameResolved,
    GameStep,
    GameStepUnavailable,
)
from interlace.roles.rollup_follower import RollupFollower, without_records
from interlace.roles.verifier import VerifierParams

MAX_FEE_PER_GAS: Final = 10**10
"""10 gwei: far above the L1's base fee, and a small reserve per transaction."""
GAS_MOVE: Final = 2_000_000
GAS_CREATE: Final = 1_000_000
GAS_RESOLVE: Final = 6_000_000
GAS_STEP: Final = 3_000_000
_RECORDED_KEY: Final = b"game/recorded"
RESUBMIT_L1_BLOCKS: Final = 4
"""L1 blocks' worth of time a player waits for a transaction before planning again (the
plan sets ``resubmit_after`` to this many L1 block times)."""


@dataclass(frozen=True, slots=True)
class PlayerParams:
    """What a proposer or challenger needs to play its chain's games."""

    verifier: VerifierParams
    """The rollup it follows (genesis, batcher, L1 node, hub; the sequencer's address is
    unused: a player does not hear the unsafe feed)."""
    l1_chain_id: ChainId
    """The L1's chain id (transactions are EIP-155 signed for it)."""
    key: PrivateKey
    """Its funded L1 key (bonds and gas)."""
    game: GameConfig
    """The games' parameters, as ``configure_games`` set them on L1."""
    max_clock: int
    """Seconds per side: the rollup's registered challenge window."""
    l1_node: NodeId = L1_NODE
    """Where to send L1 transactions."""
    clock_margin: int = 24
    """Seconds a move needs to land; a move the clock would not allow by then is skipped."""
    resubmit_after: float = 8.0
    """Seconds (of the L1's clock) to wait for a transaction before planning again (four
    blocks of the default 2-second L1)."""


class ChainSource:
    """Outputs and block traces of the follower's (safe) chain; cached by block hash."""

    def __init__(self, follower: RollupFollower) -> None:
        self.follower = follower
        self._outputs: dict[tuple[int, Hash32], Output] = {}
        self._traces: dict[tuple[int, Hash32], BlockTrace] = {}

    def block(self, number: int) -> Block | None:
        """The derived block at ``number``."""
        return self.follower.chain.block_at(number)

    def output(self, number: int) -> Output | None:
        chain = self.follower.chain
        block = chain.block_at(number)
        if block is None:
            return None
        key = (number, block.hash)
        cached = self._outputs.get(key)
        if cached is None:
            cached = self._outputs[key] = compute_output(chain.state_at(number), block)
        return cached

    def block_trace(self, number: int) -> BlockTrace | None:
        chain = self.follower.chain
        block = chain.block_at(number)
        if block is None or number == 0:
            return None
        key = (number, block.hash)
        cached = self._traces.get(key)
        if cached is None:
            cached = self._traces[key] = trace_block(
                chain.state_at(number - 1), block, chain.modules, chain.config.chain_id
            )
        return cached

    def forget_below(self, number: int) -> None:
        """Drop cached outputs and traces of blocks below ``number`` (genesis output stays)."""
        for cache in (self._outputs, self._traces):
            for key in [k for k in cache if 0 < k[0] < number]:
                del cache[key]


@dataclass(slots=True)
class _Scan:
    """The dispute-game calls of one canonical L1 block."""

    block_hash: Hash32
    timestamp: int
    events: list[tuple[str, tuple[object, ...], Address, bytes]] = field(default_factory=list)
    """(event name, decoded values, transaction sender, transaction calldata)."""


class GamePlayer(Role):
    """See the module docstring."""

    def __init__(self, node_id: NodeId, params: PlayerParams, store: StoreView) -> None:
        self.node_id = node_id
        self.params = params
        self.chain_id = params.verifier.genesis.chain_id
        self.me = params.key.address
        self.follower = RollupFollower(params.verifier.follower, store)
        """The rollup's safe chain; it releases L1 bodies and states only when told, so
        ``_refresh`` scans the blocks first and the games' states are kept."""
        self.honest = ChainSource(self.follower)
        self.honest.output(0)  # every rebuild starts from the genesis output: cache it now
        self.games: dict[int, GameView] = {}
        """This chain's games, rebuilt from canonical L1 logs."""
        self.anchor: Output | None = None
        """The chain's anchor as the logs imply it."""
        self.games_floor = 0
        """Lowest block a game may still dispute from, as of the finalized L1 blocks."""
        self._scans: dict[int, _Scan] = {}
        self.sender = L1Sender(
            L1SenderParams(
                key=params.key,
                l1_chain_id=params.l1_chain_id,
                resubmit_after=params.resubmit_after,
                l1_node=params.l1_node,
                max_fee_per_gas=MAX_FEE_PER_GAS,
            )
        )
        """The player's L1 account: its moves in flight, their nonces and resubmission."""
        recorded = store.get(_RECORDED_KEY)
        self._recorded_through = int.from_bytes(recorded, "big") if recorded else -1
        """Highest L1 block whose own game events are already in the timeline."""

    def subscriptions(self) -> tuple[str, ...]:
        # L1 blocks, and hub blocks when it follows the hub (rebuilds of invalidated blocks).
        follow_hub = self.follower.params.follow_hub
        return (L1_BLOCKS_TOPIC, HUB_BLOCKS_TOPIC) if follow_hub else (L1_BLOCKS_TOPIC,)

    # ---- events -------------------------------------------------------------------------------

    def handle(self, event: Event, now: Timestamp) -> list[Effect]:
        follower = self.follower
        if isinstance(event, Started):
            return follower.start(now)
        if not isinstance(event, MessageReceived):
            return []
        message = event.message
        if isinstance(message, L1BlockPublished):
            effects = without_records(follower.on_l1(message, now))
            effects.extend(self._refresh())
            follower.release_l1(follower.l1.complete_through + 1)
            kept = follower.chain.release_states_below(
                min(follower.state_floor(), self.games_floor)
            )
            self.honest.forget_below(kept)
            if self._synced():
                effects.extend(self.act())
            return effects
        if isinstance(message, HubBlockPublished):
            return without_records(follower.on_hub(event.sender, message, now))
        return self.on_message(message)

    def on_message(self, message: object) -> list[Effect]:
        """Messages other than L1 blocks (subclasses add fault controls)."""
        del message
        return []

    def _synced(self) -> bool:
        l1 = self.follower.l1
        return l1.head_number >= 0 and l1.complete_through == l1.head_number

    @property
    def l1_now(self) -> int:
        """Timestamp of the L1 head."""
        l1 = self.follower.l1
        head = l1.block(l1.head_number)  # the head is never released
        return 0 if head is None else head.header.timestamp

    # ---- following games on L1 ----------------------------------------------------------------

    def _refresh(self) -> list[Effect]:
        l1 = self.follower.l1
        changed = False
        stale = [n for n, s in self._scans.items() if l1.hash_at(n) != s.block_hash]
        for number in stale:
            del self._scans[number]
            changed = True
        if stale:
            # What an L1 reorg took out is forgotten, as when it landed: the games say
            # what is still to do, and the next sends take the nonces from L1 again.
            for dropped in self.sender.forget_from(min(stale)):
                self.sender.give_up(dropped.tx.nonce)
        for number in range(l1.complete_through + 1):
            if number not in self._scans or (stale and number > min(stale)):
                block = l1.block(number)
                assert block is not None  # unscanned blocks are above the release cursor
                receipts = l1.receipts_at(number)
                self.sender.scan(number, block, receipts)
                if number not in self._scans:
                    self._scans[number] = _scan(block, receipts)
                    changed = True
        return self._rebuild() if changed else []

    def _rebuild(self) -> list[Effect]:
        genesis = self.honest.output(0)
        self.anchor = genesis
        self.games = {}
        effects: list[Effect] = []
        newest = self._recorded_through
        finalized = self.follower.l1.finalized_number
        floor: int | None = None
        for number in sorted(self._scans):
            if floor is None and number > finalized:
                floor = self._lowest_anchor()
            scan = self._scans[number]
            for name, values, sender, calldata in scan.events:
                seen = self._apply_event(name, values, sender, calldata, scan.timestamp)
                if seen is not None and number > self._recorded_through:
                    effects.append(seen)
            newest = max(newest, number)
        self.games_floor = self._lowest_anchor() if floor is None else floor
        if effects:
            self._recorded_through = newest
            effects.append(PersistBatch(((_RECORDED_KEY, newest.to_bytes(8, "big")),)))
        return effects

    def _lowest_anchor(self) -> int:
        """The lowest block the current games and anchor let a game dispute from."""
        open_games = [g for g in self.games.values() if g.status == GameStatus.IN_PROGRESS]
        anchor = 0 if self.anchor is None else self.anchor.number
        return min([anchor, *(g.anchor_number for g in open_games)])

    def _apply_event(
        self,
        name: str,
        values: tuple[object, ...],
        sender: Address,
        calldata: bytes,
        timestamp: int,
    ) -> GameCreated | GameMove | GameStep | GameResolved | None:
        if name == "GameCreated":
            game_id, chain_id, number, root, block_hash = values
            assert isinstance(game_id, int) and isinstance(number, int)
            if chain_id != self.chain_id or self.anchor is None:
                return None
            _fn, args = DISPUTE_GAME_ABI.decode_call(calldata)
            state_root, mp_root = args[2], args[3]
            assert isinstance(state_root, bytes) and isinstance(mp_root, bytes)
            assert isinstance(root, bytes) and isinstance(block_hash, bytes)
            root_claim = ClaimView(
                0, None, sender, 1, Hash32(root), self.params.game.bond, 0, timestamp
            )
            self.games[game_id] = GameView(
                game_id=game_id,
                chain_id=self.chain_id,
                l2_block_number=number,
                root_claim=Hash32(root),
                output=Output(U64(number), Hash32(state_root), Hash32(mp_root), Hash32(block_hash)),
                anchor_number=self.anchor.number,
                anchor_root=self.anchor.root,
                created_at=timestamp,
                max_clock=self.params.max_clock,
                status=GameStatus.IN_PROGRESS,
                creator=sender,
                resolved_at=0,
                claims=(root_claim,),
            )
            if not self.reports(self.games[game_id], sender):
                return None
            return GameCreated(
                chain=self.chain_id,
                number=number,
                game=game_id,
                role=self.role_name,
                mine=sender == self.me,
            )
        game_id = values[0]
        assert isinstance(game_id, int)
        game = self.games.get(game_id)
        if game is None:
            return None
        if name == "Move":
            _gid, parent, index, position, claim, claimant = values
            assert isinstance(parent, int) and isinstance(index, int)
            assert isinstance(position, int) and isinstance(claim, bytes)
            assert isinstance(claimant, bytes)
            duration = challenge_duration(game.claims, parent, timestamp)
            new = ClaimView(
                index,
                parent,
                Address(claimant),
                position,
                Hash32(claim),
                self.params.game.bond,
                duration,
                timestamp,
            )
            self.games[game_id] = replace(game, claims=(*game.claims, new))
            if not self.reports(game, Address(claimant)):
                return None
            return GameMove(
                chain=self.chain_id,
                number=game.l2_block_number,
                game=game_id,
                role=self.role_name,
                mine=claimant == self.me,
                claim=index,
                parent=parent,
                depth=new.depth,
            )
        if name == "Step":
            _gid, claim_index, is_attack, stepper = values
            assert isinstance(claim_index, int) and isinstance(stepper, bytes)
            claims = list(game.claims)
            claims[claim_index] = replace(claims[claim_index], countered_by=Address(stepper))
            self.games[game_id] = replace(game, claims=tuple(claims))
            if not self.reports(game, Address(stepper)):
                return None
            return GameStep(
                chain=self.chain_id,
                number=game.l2_block_number,
                game=game_id,
                role=self.role_name,
                mine=stepper == self.me,
                claim=claim_index,
                attack=bool(is_attack),
            )
        if name == "GameResolved":
            status = values[4]
            assert isinstance(status, int)
            resolved = replace(game, status=GameStatus(status), resolved_at=timestamp)
            self.games[game_id] = resolved
            anchor = self.anchor
            if (
                resolved.status == GameStatus.DEFENDER_WINS
                and anchor is not None
                and game.l2_block_number > anchor.number
            ):
                self.anchor = game.output
            if not self.reports(resolved, sender):
                return None
            return GameResolved(
                chain=self.chain_id,
                number=game.l2_block_number,
                game=game_id,
                role=self.role_name,
                mine=sender == self.me,
                status=resolved.status.name,
            )
        return None

    def reports(self, game: GameView, actor: Address) -> bool:
        """True if this player puts a game event by ``actor`` on the timeline: it made the
        move, or it plays the game."""
        return actor == self.me or self.participates(game)

    role_name = "player"
    """The ``role`` of its timeline entries (each subclass names itself)."""

    def participates(self, game: GameView) -> bool:
        """True if this player made a claim in ``game``."""
        return any(c.claimant == self.me for c in game.claims)

    # ---- playing ---------------------------------------------------------------------------------

    def source_for(self, game: GameView) -> ChainSource:
        """What this player believes about ``game`` (subclasses may lie)."""
        del game
        return self.honest

    @abstractmethod
    def plays(self, game: GameView) -> bool:
        """Whether to play ``game`` at all (the challenger's and the proposer's rules)."""

    def act(self) -> list[Effect]:
        """Send the moves, steps and resolutions due at the current L1 head."""
        self._expire_pending()
        now = self.l1_now
        effects: list[Effect] = []
        for game in sorted(self.games.values(), key=lambda g: g.game_id):
            if game.status != GameStatus.IN_PROGRESS or not self.plays(game):
                continue
            if can_resolve(game.claims, game.max_clock, now):
                effects.extend(self.send(f"{game.game_id}:resolve", "resolve", game.game_id))
                continue
            effects.extend(self._respond(game, now))
        effects.extend(self.more_actions())
        return effects

    def more_actions(self) -> list[Effect]:
        """Subclass hook: transactions beyond playing (the proposer's proposals)."""
        return []

    def _respond(self, game: GameView, now: int) -> list[Effect]:
        effects: list[Effect] = []
        source = self.source_for(game)
        plans = plan_moves(game, self.params.game, source, self.me, now + self.params.clock_margin)
        for plan in plans:
            if isinstance(plan, PlannedMove):
                function = "attack" if plan.is_attack else "defend"
                effects.extend(
                    self.send(
                        f"{game.game_id}:{function}:{plan.parent_index}",
                        function,
                        game.game_id,
                        plan.parent_index,
                        plan.claim,
                        value=self.params.game.bond,
                    )
                )
            elif isinstance(plan, PlannedStep):
                tag = f"{game.game_id}:step:{plan.claim_index}"
                if self._in_flight(tag):
                    continue
                chain = self.follower.chain
                try:
                    proof = build_step_proof(game, self.params.game, plan, chain, source)
                except StatePruned:
                    raise  # a floor is wrong: never play on as if no proof existed
                except (InterlaceError, ValueError):
                    proof = None
                if proof is None:
                    effects.append(
                        GameStepUnavailable(
                            chain=self.chain_id,
                            game=game.game_id,
                            claim=plan.claim_index,
                        )
                    )
                    continue
                effects.extend(
                    self.send(
                        tag,
                        "step",
                        game.game_id,
                        plan.claim_index,
                        plan.is_attack,
                        proof,
                        gas=GAS_STEP + 16 * len(proof),
                    )
                )
        return effects

    # ---- transactions ------------------------------------------------------------------------

    def _in_flight(self, tag: str) -> bool:
        return any(tx.tag == tag for tx in self.sender.pending())

    def _expire_pending(self) -> None:
        """Once a transaction has waited ``resubmit_after`` seconds, give them all up, so
        the next sends start again at the confirmed nonce.

        Expiring one at a time let each re-send take a nonce above the others still
        pending: after an L1 reorg dropped them all (the mempool has none), every new
        transaction left a gap below it and none could land again (explorer seed 269).
        """
        self.sender.forget_final(self.follower.l1.finalized_number)
        if self.sender.due(l1_time(self.follower.l1)):
            for tx in self.sender.pending():
                self.sender.give_up(tx.nonce)

    def send(
        self, tag: str, function: str, *args: object, value: int = 0, gas: int | None = None
    ) -> list[Effect]:
        """Sign and submit one call to the dispute-game module, once per ``tag`` in flight."""
        if self._in_flight(tag):
            return []
        data = DISPUTE_GAME_ABI.function(function).encode_call(*args)
        default = {"createGame": GAS_CREATE, "resolve": GAS_RESOLVE}.get(function, GAS_MOVE)
        call = L1Call(DISPUTE_GAME_ADDRESS, data, (gas or default) + 16 * len(data), value)
        return list(self.sender.submit(tag, call, l1_time(self.follower.l1)).effects)


_EVENTS: Final = {
    DISPUTE_GAME_ABI.event(name).topic0: name
    for name in ("GameCreated", "Move", "Step", "GameResolved")
}


def _scan(block: Block, receipts: tuple[Receipt, ...]) -> _Scan:
    scan = _Scan(block.hash, block.header.timestamp)
    for tx, receipt in zip(block.transactions, receipts, strict=True):
        if tx.to != DISPUTE_GAME_ADDRESS or not receipt.success:
            continue
        for log in receipt.logs:
            name = _EVENTS.get(log.topics[0]) if log.topics else None
            if log.address != DISPUTE_GAME_ADDRESS or name is None:
                continue
            values = DISPUTE_GAME_ABI.event(name).decode_log(log.topics, log.data)
            scan.events.append((name, values, tx.sender, tx.data))
    return scan
