"""What every rollup knows of the interop predeploys without running them: the
messenger's and the hub client's addresses and ABIs, and the ``Dependency`` a
block declares.

The modules themselves (their storage and rules) are in ``messenger.py``; this
leaf module lets the readers of a block's declaration
(``protocol/rollup/declaration.py``) and the event-proof verifier name them
without importing the modules, which import the verifier.
"""

from dataclasses import dataclass
from typing import Final

from interlace.primitives.abi import AbiModule
from interlace.primitives.types import Hash32, address_from_hex

MESSENGER_ADDRESS: Final = address_from_hex("0x4200000000000000000000000000000000000023")
HUB_CLIENT_ADDRESS: Final = address_from_hex("0x4200000000000000000000000000000000000100")

IDENTIFIER: Final = (
    "(address origin, uint256 blockNumber, uint256 logIndex, uint256 timestamp, uint256 chainId)"
)

MESSENGER_ABI: Final = AbiModule.declare(
    "L2ToL2CrossDomainMessenger",
    functions=[
        "sendMessage(uint256 destination, address target, bytes message) returns (bytes32)",
        f"relayMessage({IDENTIFIER} id, bytes sentMessage, bytes proof)",
        "declareDependencies((uint64 chainId, uint64 number, bytes32 blockHash)[] deps)",
        "successfulMessages(uint256 source, bytes32 msgHash) view returns (bool)",
        "messageNonce() view returns (uint256)",
        "trustMode() view returns (uint8)",
    ],
    events=[
        (
            "SentMessage(uint256 indexed destination, address indexed target,"
            " uint256 indexed messageNonce, address sender, bytes message)"
        ),
        (
            "RelayedMessage(uint256 indexed source, uint256 indexed messageNonce,"
            " bytes32 indexed messageHash)"
        ),
    ],
)

HUB_CLIENT_ABI: Final = AbiModule.declare(
    "HubClient",
    functions=[
        "updateHub(bytes signedHubBlock)",
        "hubRoot(uint64 number) view returns (bytes32)",
        "latestHub() view returns (uint64)",
    ],
    events=["HubUpdated(uint64 indexed number, bytes32 stateRoot, uint64 l1Number)"],
)


@dataclass(frozen=True, slots=True)
class Dependency:
    """A block another block depends on (DESIGN.md §3)."""

    chain_id: int
    """Source chain."""
    number: int
    """Source block number."""
    block_hash: Hash32
    """Source block hash."""
