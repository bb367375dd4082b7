"""Node names: the one place that spells them, for both runtimes and every role.

A network has one L1 node (``l1``), one hub (``hub``), one relayer (``relayer``)
and one workload client (``client``), and per rollup chain ``<id>`` a
sequencer ``seq-<id>``, batcher ``batcher-<id>``, verifier node
``verifier-<id>``, proof coordinator ``prover-<id>`` with workers
``prover-<id>-<i>``, proposer ``proposer-<id>``, challenger
``challenger-<id>`` and exit-root settler ``bridge-<id>``. Scenario files, RPC
endpoints and logs use these names; ``parse_node`` reads one back.
"""

import re
from dataclasses import dataclass
from typing import Final

from interlace.roles.base import NodeId

L1_NODE: Final = NodeId("l1")
HUB_NODE: Final = NodeId("hub")
RELAYER_NODE: Final = NodeId("relayer")
CLIENT_NODE: Final = NodeId("client")

CHAIN_ROLES: Final = (
    "seq",
    "batcher",
    "verifier",
    "prover",
    "proposer",
    "challenger",
    "bridge",
)
"""Name prefixes of the nodes that serve one rollup chain."""


def sequencer_node(chain_id: int) -> NodeId:
    """``seq-<chain>``."""
    return NodeId(f"seq-{chain_id}")


def batcher_node(chain_id: int) -> NodeId:
    """``batcher-<chain>``."""
    return NodeId(f"batcher-{chain_id}")


def verifier_node(chain_id: int) -> NodeId:
    """``verifier-<chain>``."""
    return NodeId(f"verifier-{chain_id}")


def coordinator_node(chain_id: int) -> NodeId:
    """Node id of a chain's proof coordinator: ``prover-<chain>``."""
    return NodeId(f"prover-{chain_id}")


def worker_node(chain_id: int, index: int) -> NodeId:
    """Node id of a chain's ``index``-th prover worker: ``prover-<chain>-<index>``."""
    return NodeId(f"prover-{chain_id}-{index}")


def proposer_node(chain_id: int) -> NodeId:
    """``proposer-<chain>``."""
    return NodeId(f"proposer-{chain_id}")


def challenger_node(chain_id: int) -> NodeId:
    """``challenger-<chain>``."""
    return NodeId(f"challenger-{chain_id}")


def settler_node(chain_id: int) -> NodeId:
    """``bridge-<chain>``: the rollup's exit-root settler."""
    return NodeId(f"bridge-{chain_id}")


@dataclass(frozen=True, slots=True)
class NodeName:
    """What a node's name says."""

    role: str
    """``l1``, ``hub``, …, ``seq``, ``prover``; ``prover worker`` for a worker."""
    chain_id: int | None = None
    """The chain it serves (None for the network-wide nodes)."""
    index: int | None = None
    """A prover worker's index."""


_CHAIN_NODE: Final = re.compile(r"([a-z]+)-(\d+)(?:-(\d+))?")


def parse_node(node: str) -> NodeName:
    """Read a node name back: ``prover-902-1`` → role ``prover worker``, chain 902,
    index 1; ``hub`` → role ``hub``. A name of no known shape is its own role."""
    match = _CHAIN_NODE.fullmatch(node)
    if match is None or match.group(1) not in CHAIN_ROLES:
        return NodeName(node)
    role, chain, index = match.group(1), int(match.group(2)), match.group(3)
    if index is not None:
        return NodeName(f"{role} worker", chain, int(index))
    return NodeName(role, chain)
