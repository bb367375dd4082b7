"""The execution trace of one L2 block and its one-step proof (the fault game's VM).

Inside the fault dispute game (``dispute/``) the last stage bisects over
the execution of the single disputed block ``k+1`` on top of the agreed
output ``k``. Its trace has a fixed length ``L`` (a power of two)::

    v[i] = state root after transactions 0..i      (0 ≤ i < L-1, clamped to T)
    v[L-1] = output root of the block               (after all T transactions)

with ``v[-1]`` the agreed output's state root. Indices at or past the
block's transaction count ``T`` repeat the final state (identity steps),
and the last step runs every transaction from ``L-1`` on, so any block fits.

A one-step proof lets L1 compute ``v[i]`` from ``v[i-1]`` statelessly:
the transactions the step runs, each proven in the block's
``transactionsRoot`` by an MPT proof (an absent index by an exclusion
proof), and a witness of exactly the trie nodes the step touches, recorded
and replayed as witness validity proofs do it (``protocol/proofs/recording.py``:
the prover records the nodes its execution resolves; the verifier performs
the same operations, so it needs exactly those nodes). Layout::

    0x01 ‖ RLP[[agreedStateRoot, agreedMessagePasserRoot, agreedBlockHash],
               [headerRLP, ...],                 # blocks k+1 .. N, ascending
               [[txIndex, [node, ...]], ...],    # MPT proofs in headers[0].transactionsRoot
               [accountNode, ...],
               [[address, [storageNode, ...]], ...]]

The headers pin the block: the last one must hash to the game's block hash
and each must be its successor's parent, so ``headers[0]`` is *the* block at
``k+1`` of the chain the game's root claim names. If its parent is not the
agreed output's block, or a transaction does not validate on the pre-state,
the transition is invalid and the step's value is ``None``: it matches no
claim. Two simplifications are documented in docs/disputes.md: the block
gas limit is applied per transaction (``gas_left`` = the header's gas
limit, which every transaction of a valid block also satisfies), and the
environment is read from the header (number, timestamp, base fee,
coinbase, gas limit), not re-derived from the parent.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from interlace.primitives.errors import (
    InputError,
    InterlaceError,
    InvalidProof,
    InvalidSignature,
    MalformedInput,
    MalformedProof,
)
from interlace.primitives.header import BlockHeader, decode_header, encode_header, header_hash
from interlace.primitives.mpt import MissingTrieNode, make_proof, verify_proof
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_address,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
)
from interlace.primitives.tx import DepositTransaction, Transaction, decode_transaction
from interlace.primitives.types import U64, U256, Address, ChainId, Hash32
from interlace.protocol.chain.block import Block
from interlace.protocol.chain.errors import InvalidTransaction
from interlace.protocol.chain.execution import (
    BlockEnv,
    execute_transaction,
    validate_transaction,
)
from interlace.protocol.chain.modules import NativeModule
from interlace.protocol.chain.state import WorldState
from interlace.protocol.proofs.recording import (
    index_nodes,
    index_storage_nodes,
    open_witness_state,
    record_state,
)
from interlace.protocol.settlement.outputs import (
    MESSAGE_PASSER_ADDRESS,
    Output,
    compute_output,
    output_root,
)

__all__ = [
    "STEP_PROOF_VERSION",
    "BlockTrace",
    "InvalidStepProof",
    "MalformedStepProof",
    "StepContext",
    "identity_trace_value",
    "make_step_proof",
    "run_step",
    "state_after_transactions",
    "trace_block",
    "trace_value",
]

STEP_PROOF_VERSION: Final = b"\x01"
"""First byte of a one-step proof of this layout."""


class MalformedStepProof(MalformedInput):
    """Step-proof bytes that are not in the documented layout."""


class InvalidStepProof(InputError):
    """A well-formed step proof that does not fit the game: wrong witness, headers or proofs."""


# --- the honest trace ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockTrace:
    """The per-transaction trace of one block on its parent's state."""

    pre_state_root: Hash32
    """The parent's state root (``v[-1]``)."""
    roots: tuple[Hash32, ...]
    """State root after each transaction, in block order."""
    output: Output
    """The block's output (its root is ``v[L-1]``)."""


def header_env(chain_id: ChainId, header: BlockHeader) -> BlockEnv:
    """The execution environment of a block, read from its header."""
    return BlockEnv(
        chain_id=chain_id,
        number=U64(header.number),
        timestamp=U64(header.timestamp),
        coinbase=header.coinbase,
        base_fee=U256(header.base_fee_per_gas),
        gas_limit=U64(header.gas_limit),
    )


def _apply(
    state: WorldState,
    env: BlockEnv,
    tx: Transaction,
    modules: Mapping[Address, NativeModule],
) -> bool:
    """Run one transaction as the step does; False if it does not validate."""
    if not isinstance(tx, DepositTransaction):
        try:
            validate_transaction(state, env, tx, env.gas_limit)
        except InvalidTransaction:
            return False
    execute_transaction(state, env, tx, modules, 0)
    return True


def trace_block(
    pre_state: WorldState,
    block: Block,
    modules: Mapping[Address, NativeModule],
    chain_id: ChainId,
) -> BlockTrace:
    """Execute ``block`` transaction by transaction on a copy of its parent's state."""
    state = pre_state.copy()
    pre_root = state.state_root()
    env = header_env(chain_id, block.header)
    roots: list[Hash32] = []
    for tx in block.transactions:
        if not _apply(state, env, tx, modules):
            raise ValueError(f"transaction {len(roots)} of block {block.number} does not validate")
        roots.append(state.state_root())
    return BlockTrace(pre_root, tuple(roots), compute_output(state, block))


def state_after_transactions(
    pre_state: WorldState,
    block: Block,
    count: int,
    modules: Mapping[Address, NativeModule],
    chain_id: ChainId,
) -> WorldState:
    """A copy of ``pre_state`` after the block's first ``count`` transactions."""
    state = pre_state.copy()
    env = header_env(chain_id, block.header)
    for tx in block.transactions[:count]:
        if not _apply(state, env, tx, modules):
            raise ValueError(f"a transaction of block {block.number} does not validate")
    state.state_root()
    return state


def trace_value(trace: BlockTrace, index: int, length: int) -> Hash32:
    """``v[index]`` of the block's execution trace of ``length`` entries."""
    if not 0 <= index < length:
        raise ValueError(f"trace index {index} outside 0..{length - 1}")
    if index == length - 1:
        return trace.output.root
    done = min(index + 1, len(trace.roots))
    return trace.roots[done - 1] if done else trace.pre_state_root


def identity_trace_value(output: Output, index: int, length: int) -> Hash32:
    """``v[index]`` of the empty transition from ``output`` to itself (past the game's block)."""
    if not 0 <= index < length:
        raise ValueError(f"trace index {index} outside 0..{length - 1}")
    return output.root if index == length - 1 else output.state_root


# --- the step ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepContext:
    """What the game knows about a step: the claims it is checked against."""

    chain_id: ChainId
    """The rollup whose block is executed."""
    agreed_output_root: Hash32
    """The output the disputed transition starts from (a claim, or the game's anchor)."""
    agreed_number: int
    """That output's block number ``k``."""
    game_number: int
    """The game's L2 block number ``N`` (≥ ``k``)."""
    game_block_hash: Hash32
    """The block hash the game's root claim commits to."""
    index: int
    """The step's index ``i`` in the execution trace (0 ≤ i < length)."""
    length: int
    """The trace length ``L`` (a power of two ≥ 2)."""
    pre_value: Hash32 | None
    """``v[i-1]`` as claimed; None when ``i == 0`` (the agreed output's state root)."""


def _tx_key(index: int) -> bytes:
    return encode_rlp(encode_uint(index))


def _step_indices(index: int, length: int, count: int) -> list[int]:
    """Transaction indices a step proves: ``[i]``, or ``L-1 .. T`` for the last step."""
    if index < length - 1:
        return [index]
    return list(range(length - 1, max(count, length - 1) + 1))


def make_step_proof(
    *,
    agreed: Output,
    headers: Sequence[BlockHeader],
    block: Block | None,
    pre_state: WorldState,
    index: int,
    length: int,
    modules: Mapping[Address, NativeModule],
    chain_id: ChainId,
) -> bytes:
    """A one-step proof of ``v[index]`` from the full state ``pre_state`` (= ``v[index-1]``).

    ``headers`` are blocks ``k+1 .. N`` (empty past the game's block, where
    the transition is the identity and ``block`` is None); ``block`` is
    ``headers[0]``'s block, whose transactions the step runs.
    """
    tx_proofs: list[list[object]] = []
    txs: list[Transaction] = []
    env: BlockEnv | None = None
    if block is not None:
        raws = [tx.raw for tx in block.transactions]
        pairs = [(_tx_key(i), raw) for i, raw in enumerate(raws)]
        for i in _step_indices(index, length, len(raws)):
            tx_proofs.append([encode_uint(i), make_proof(pairs, _tx_key(i))])
            if i < len(raws):
                txs.append(block.transactions[i])
        env = header_env(chain_id, block.header)
    recorded = record_state(pre_state)
    state = recorded.state
    for tx in txs:
        assert env is not None
        if not _apply(state, env, tx, modules):
            raise ValueError("the step's transaction does not validate on the given pre-state")
    state.state_root()
    if index == length - 1:
        state.get_account(MESSAGE_PASSER_ADDRESS)
    payload = [
        [agreed.state_root, agreed.message_passer_root, agreed.block_hash],
        [encode_header(h) for h in headers],
        tx_proofs,
        recorded.account_witness(),
        recorded.storage_witness(),
    ]
    return STEP_PROOF_VERSION + encode_rlp(payload)


@dataclass(frozen=True, slots=True)
class _StepProof:
    agreed: tuple[Hash32, Hash32, Hash32]
    headers: tuple[BlockHeader, ...]
    tx_proofs: tuple[tuple[int, list[bytes]], ...]
    account_nodes: tuple[bytes, ...]
    storage_nodes: tuple[tuple[Address, tuple[bytes, ...]], ...]


def _decode_step_proof(proof: bytes) -> _StepProof:
    if not isinstance(proof, bytes) or proof[:1] != STEP_PROOF_VERSION:
        raise MalformedStepProof("not a version-1 step proof")
    try:
        items = read_list(decode_rlp(proof[1:]), 5, "step proof")
        agreed_items = read_list(items[0], 3, "agreed output")
        agreed = (
            read_hash32(agreed_items[0], "agreed state root"),
            read_hash32(agreed_items[1], "agreed message-passer root"),
            read_hash32(agreed_items[2], "agreed block hash"),
        )
        headers = tuple(
            decode_header(read_bytes(h, "header")) for h in read_list(items[1], None, "headers")
        )
        tx_proofs = []
        for entry in read_list(items[2], None, "transaction proofs"):
            index_item, nodes_item = read_list(entry, 2, "transaction proof")
            nodes = [read_bytes(n, "proof node") for n in read_list(nodes_item, None, "nodes")]
            tx_proofs.append((read_u64(index_item, "transaction index"), nodes))
        account_nodes = tuple(read_bytes(n, "account node") for n in read_list(items[3]))
        storage_nodes = []
        for entry in read_list(items[4], None, "storage witnesses"):
            address_item, nodes_item = read_list(entry, 2, "storage witness")
            storage_nodes.append(
                (
                    read_address(address_item, "storage witness address"),
                    tuple(read_bytes(n, "storage node") for n in read_list(nodes_item)),
                )
            )
    except MalformedInput as exc:
        raise MalformedStepProof(f"step proof does not decode: {exc}") from exc
    return _StepProof(agreed, headers, tuple(tx_proofs), account_nodes, tuple(storage_nodes))


def _check_headers(ctx: StepContext, headers: tuple[BlockHeader, ...]) -> None:
    """The headers must be blocks ``k+1 .. N`` of the chain ending at the game's block."""
    expected = ctx.game_number - ctx.agreed_number
    if len(headers) != expected:
        raise InvalidStepProof(f"expected {expected} headers (blocks k+1..N), got {len(headers)}")
    if not headers:
        return
    if header_hash(headers[-1]) != ctx.game_block_hash:
        raise InvalidStepProof("the last header is not the game's block")
    for offset, header in enumerate(headers):
        if header.number != ctx.agreed_number + 1 + offset:
            raise InvalidStepProof(f"header {offset} has number {header.number}")
        if offset and header.parent_hash != header_hash(headers[offset - 1]):
            raise InvalidStepProof(f"header {offset} is not the child of header {offset - 1}")


def _proven_transactions(
    ctx: StepContext, header: BlockHeader, tx_proofs: tuple[tuple[int, list[bytes]], ...]
) -> list[bytes] | None:
    """Raw transactions the step runs, checked against the block's transactions root."""
    raws: list[bytes] = []
    last = ctx.index == ctx.length - 1
    for position, (index, nodes) in enumerate(tx_proofs):
        if index != ctx.index + position or (not last and position > 0):
            raise InvalidStepProof("transaction proofs are not the step's indices")
        try:
            value = verify_proof(header.transactions_root, _tx_key(index), nodes)
        except (InvalidProof, MalformedProof) as exc:
            raise InvalidStepProof(f"transaction {index} proof: {exc}") from exc
        if value is None:
            if position != len(tx_proofs) - 1:
                raise InvalidStepProof("an absent transaction before the end of the proofs")
            return raws
        if not last:
            return [value] if len(tx_proofs) == 1 else None
        if position == len(tx_proofs) - 1:
            raise InvalidStepProof("the last step must prove where the block's transactions end")
        raws.append(value)
    if not tx_proofs:
        raise InvalidStepProof("the step proves no transaction index")
    return raws


def run_step(
    ctx: StepContext, proof: bytes, modules: Mapping[Address, NativeModule]
) -> Hash32 | None:
    """The VM: ``v[i]`` computed from ``v[i-1]`` and the proof; None if the transition is invalid.

    Raises ``MalformedStepProof`` for bytes not in the layout and
    ``InvalidStepProof`` for a proof that does not fit ``ctx`` (agreed
    output preimage, headers, transaction proofs, or a witness lacking a
    node the execution needs or holding one it does not).
    """
    decoded = _decode_step_proof(proof)
    agreed_state, agreed_mp, agreed_hash = decoded.agreed
    if output_root(agreed_state, agreed_mp, agreed_hash) != ctx.agreed_output_root:
        raise InvalidStepProof("the agreed output preimage does not hash to the agreed output")
    pre_root = agreed_state if ctx.index == 0 else ctx.pre_value
    if pre_root is None:
        raise ValueError("a step past index 0 needs the claimed pre-state")
    _check_headers(ctx, decoded.headers)
    raws: list[bytes] = []
    env: BlockEnv | None = None
    if decoded.headers:
        header = decoded.headers[0]
        if header.parent_hash != agreed_hash:
            return None  # the agreed block is not an ancestor of the game's block
        proven = _proven_transactions(ctx, header, decoded.tx_proofs)
        if proven is None:
            raise InvalidStepProof("a non-final step proves exactly one transaction index")
        raws = proven
        env = header_env(ctx.chain_id, header)
        block_hash = header_hash(header)
    else:
        if decoded.tx_proofs:
            raise InvalidStepProof("a step past the game's block proves no transactions")
        if agreed_hash != ctx.game_block_hash:
            return None  # the agreed output at N names another block than the game
        block_hash = agreed_hash
    replayed = open_witness_state(
        pre_root,
        index_nodes(decoded.account_nodes, "the account witness", InvalidStepProof),
        index_storage_nodes(decoded.storage_nodes, InvalidStepProof),
    )
    state = replayed.state
    try:
        for raw in raws:
            try:
                tx = decode_transaction(raw)
            except (MalformedInput, InvalidSignature):
                return None  # the block holds a transaction that does not decode
            assert env is not None
            if not _apply(state, env, tx, modules):
                return None
        post_root = state.state_root()
        if ctx.index != ctx.length - 1:
            replayed.check_all_used(InvalidStepProof, "step")
            return post_root
        mp_root = state.get_account(MESSAGE_PASSER_ADDRESS).storage_root
    except MissingTrieNode as exc:
        raise InvalidStepProof(f"the witness is incomplete: {exc}") from exc
    except InvalidStepProof:
        raise
    except InterlaceError as exc:  # a node that hashes right but does not decode
        raise InvalidStepProof(f"re-execution failed on the witness: {exc}") from exc
    replayed.check_all_used(InvalidStepProof, "step")
    return output_root(post_root, mp_root, block_hash)
