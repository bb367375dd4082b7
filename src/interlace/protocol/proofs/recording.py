"""Witness recording: the trie nodes an execution touches, recorded by a prover and replayed.

Witness validity proofs (``witness.py``) and the fault game's one-step
proofs (``protocol/settlement/trace.py``) prove an execution the same way.
The prover runs it on a state whose tries resolve nodes from the full state
and record each node they resolve (``record_state``); the verifier runs the
same trie operations in the same order on a state over only those nodes
(``open_witness_state``), so it asks for exactly them: a node it lacks
raises ``MissingTrieNode``, and a node it never resolves is one the witness
should not hold (``WitnessState.check_all_used``). Each proof keeps its own
layout and errors; this module owns only the tries and the node tables.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from interlace.primitives.errors import InterlaceError
from interlace.primitives.hashing import keccak256
from interlace.primitives.mpt import (
    BranchNode,
    ExtensionNode,
    HashNode,
    MissingTrieNode,
    Node,
    PartialTrie,
    Trie,
    encode_node,
    node_ref,
)
from interlace.primitives.types import Address, Hash32
from interlace.protocol.chain.state import WorldState

__all__ = [
    "RecordedState",
    "WitnessState",
    "index_nodes",
    "index_storage_nodes",
    "open_witness_state",
    "record_state",
]


# --- recording (the prover) ---------------------------------------------------------------


class _RecordingTrie(PartialTrie):
    """A ``PartialTrie`` whose nodes come from a full ``Trie``, recording each one it resolves.

    A resolved node is handed out with its hashed children replaced by
    stubs, so every further step into an unchanged subtree is resolved (and
    recorded) too, exactly as the verifier's ``PartialTrie`` will resolve it.
    Copies share the records.
    """

    __slots__ = ("_known", "_resolved")

    def __init__(self, full: Trie) -> None:
        root_hash = full.root()
        super().__init__(root_hash, (), secure=full.secure)
        # The full trie's root node: mpt offers no public accessor, and the
        # recorded witness must hold nodes, not just the proofs of keys.
        root = full._root
        self._known: dict[bytes, Node] = {} if root is None else {root_hash: root}
        """Full-trie nodes by hash, for every stub handed out so far."""
        self._resolved: dict[bytes, Node] = {}
        """Resolved nodes (stubbed copies) by hash, in first-resolved order: the witness."""

    def _resolve(self, stub: HashNode) -> Node:
        node = self._resolved.get(stub.node_hash)
        if node is None:
            full = self._known.get(stub.node_hash)
            if full is None:  # every stub comes from a node of the full trie
                raise MissingTrieNode(stub.node_hash)
            node = self._resolved[stub.node_hash] = self._stubbed(full)
        return node

    def _stubbed(self, node: Node) -> Node:
        """``node`` with its hashed children as stubs (inline children hold no hashes)."""
        if isinstance(node, BranchNode):
            children = tuple(None if c is None else self._stub(c) for c in node.children)
            return BranchNode(children, node.value, ref=node.ref)
        if isinstance(node, ExtensionNode):
            return ExtensionNode(node.path, self._stub(node.child), ref=node.ref)
        return node

    def _stub(self, child: Node) -> Node:
        ref = node_ref(child)
        if len(ref) < 32:
            return child
        self._known[ref[1:]] = child
        return HashNode(Hash32(ref[1:]))

    def witness(self) -> list[bytes]:
        """RLP of every node resolved so far, in first-resolved order."""
        return [encode_node(node) for node in self._resolved.values()]

    def copy(self) -> "_RecordingTrie":
        """A snapshot sharing the full trie's nodes and the records."""
        clone = _RecordingTrie.__new__(_RecordingTrie)
        clone._db, clone._root, clone.secure = self._db, self._root, self.secure
        clone._known, clone._resolved = self._known, self._resolved
        return clone


@dataclass(frozen=True, slots=True)
class RecordedState:
    """A state over recording tries, and the tries that record what its execution resolves."""

    state: WorldState
    """The state to execute on: reads and writes as on the full state it records from."""
    accounts: _RecordingTrie
    """The account trie."""
    storage: dict[Address, _RecordingTrie]
    """Each storage trie opened so far, by account, in the order they were opened."""

    def account_witness(self) -> list[bytes]:
        """Account-trie node RLPs resolved so far, in first-resolved order."""
        return self.accounts.witness()

    def storage_witness(self) -> list[tuple[Address, list[bytes]]]:
        """``(address, node RLPs)`` per opened storage trie that resolved nodes, in open order."""
        entries: list[tuple[Address, list[bytes]]] = []
        for address, trie in self.storage.items():
            nodes = trie.witness()
            if nodes:
                entries.append((address, nodes))
        return entries


def record_state(full: WorldState) -> RecordedState:
    """A state that reads ``full`` (left untouched) and records every trie node it resolves."""
    accounts = _RecordingTrie(full.account_trie())
    storage: dict[Address, _RecordingTrie] = {}

    def open_storage(address: Address, root: Hash32) -> _RecordingTrie:
        trie = storage.get(address)
        if trie is None:
            trie = storage[address] = _RecordingTrie(full.storage_trie(address))
            assert trie.root() == root, "the full state disagrees with its own account"
        return trie.copy()

    return RecordedState(WorldState.from_tries(accounts, open_storage), accounts, storage)


# --- replaying (the verifier) -------------------------------------------------------------


class _WitnessTrie(PartialTrie):
    """A ``PartialTrie`` over a node table shared with its copies, decoding each node once."""

    __slots__ = ("_used",)

    def __init__(self, root: Hash32, nodes: dict[bytes, bytes], used: dict[bytes, Node]) -> None:
        super().__init__(root, (), secure=True)
        self._db = nodes
        self._used = used
        """Nodes resolved so far, by hash (shared by copies): what the witness had to hold."""

    def _resolve(self, stub: HashNode) -> Node:
        node = self._used.get(stub.node_hash)
        if node is None:
            node = self._used[stub.node_hash] = super()._resolve(stub)
        return node

    def copy(self) -> "_WitnessTrie":
        """A snapshot sharing the node table and the decoded nodes."""
        clone = _WitnessTrie.__new__(_WitnessTrie)
        clone._db, clone._root, clone.secure = self._db, self._root, self.secure
        clone._used = self._used
        return clone


def index_nodes(
    raws: Sequence[bytes], what: str, error: type[InterlaceError]
) -> dict[bytes, bytes]:
    """Witness nodes by keccak256; ``error`` if ``what`` lists a node twice."""
    table: dict[bytes, bytes] = {keccak256(raw): raw for raw in raws}
    if len(table) != len(raws):
        raise error(f"{what} lists a node twice")
    return table


def index_storage_nodes(
    entries: Sequence[tuple[Address, Sequence[bytes]]], error: type[InterlaceError]
) -> dict[Address, dict[bytes, bytes]]:
    """Storage witnesses by account; ``error`` if one is repeated, empty or lists a node twice."""
    tables: dict[Address, dict[bytes, bytes]] = {}
    for address, nodes in entries:
        if address in tables or not nodes:
            raise error(f"storage witness of 0x{address.hex()} is repeated or empty")
        tables[address] = index_nodes(nodes, f"storage witness of 0x{address.hex()}", error)
    return tables


@dataclass(frozen=True, slots=True)
class WitnessState:
    """A state over witness nodes only, and what its execution has resolved of them."""

    state: WorldState
    """The state to execute on; a node the witness lacks raises ``MissingTrieNode``."""
    account_nodes: dict[bytes, bytes]
    """The account witness, by node hash."""
    storage_nodes: dict[Address, dict[bytes, bytes]]
    """The storage witnesses, by account then node hash."""
    account_used: dict[bytes, Node]
    """Account nodes resolved so far, by hash."""
    storage_used: dict[Address, dict[bytes, Node]]
    """Storage nodes resolved so far, by account then hash."""

    def check_all_used(self, error: type[InterlaceError], execution: str) -> None:
        """``error`` if a witness holds a node that ``execution`` (so far) did not touch."""
        if len(self.account_used) != len(self.account_nodes):
            raise error(f"the account witness holds nodes the {execution} does not touch")
        for address, nodes in self.storage_nodes.items():
            if len(self.storage_used.get(address, ())) != len(nodes):
                raise error(
                    f"the storage witness of 0x{address.hex()} holds nodes "
                    f"the {execution} does not touch"
                )


def open_witness_state(
    root: Hash32,
    account_nodes: dict[bytes, bytes],
    storage_nodes: dict[Address, dict[bytes, bytes]],
) -> WitnessState:
    """A state with state root ``root`` over the given witness tables (``index_nodes``)."""
    account_used: dict[bytes, Node] = {}
    storage_used: dict[Address, dict[bytes, Node]] = {}

    def open_storage(address: Address, storage_root: Hash32) -> _WitnessTrie:
        used = storage_used.setdefault(address, {})
        return _WitnessTrie(storage_root, storage_nodes.get(address, {}), used)

    accounts = _WitnessTrie(root, account_nodes, account_used)
    state = WorldState.from_tries(accounts, open_storage)
    return WitnessState(state, account_nodes, storage_nodes, account_used, storage_used)
