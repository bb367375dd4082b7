"""RLP encode and decode: the hand-written ``rlp_codec`` against pyrlp in the same run.

The style guide asks for a library over hand-written code unless the library
is measurably too slow; this is the measurement for RLP. Four workloads, each
encoded from and decoded to raw Python values (bytes, ints, nested lists), so
neither side builds typed objects: a signed EIP-1559 transaction's 12 fields,
a Shanghai block header's 17 fields (with its 256-byte bloom), a list of 100
lists of 10 short byte strings (1,000 strings, as in a block's transaction or
proof-node lists) and 64 single integers between 2**64 and 2**256. Both sides
must produce the same bytes and the same decoded values before anything is
timed.

Each of ``REPEATS`` repeats times ours and then pyrlp back to back; the
figures are the medians of the repeats' rates and of their ratios, so a noisy
moment moves one repeat, not the result. ``--json FILE`` also writes them.

Run: ``python benchmarks/bench_rlp.py``
"""

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.metadata import version

import rlp

from interlace.primitives.rlp_codec import decode_rlp, encode_rlp

REPEATS = 5
MIN_SECONDS = 0.2
"""Each timed run lasts at least this long: 4 workloads x 2 directions x 2 sides x 5 repeats."""


@dataclass(frozen=True, slots=True)
class Workload:
    """One structure to encode and decode, as a list of items timed one after another."""

    name: str
    """What the items are, as printed."""
    items: list[object]
    """The raw values: bytes, non-negative ints and nested lists of them."""


@dataclass(frozen=True, slots=True)
class Figure:
    """One workload in one direction: both sides' median rates and the median ratio."""

    workload: str
    """The workload's name."""
    direction: str
    """``encode`` or ``decode``."""
    ours_per_second: float
    """Median over the repeats of ``rlp_codec``'s items per second."""
    pyrlp_per_second: float
    """Median over the repeats of pyrlp's items per second."""
    ratio: float
    """Median over the repeats of ours / pyrlp, each measured back to back."""


def signed_transaction(rng: random.Random) -> list[object]:
    """The fields of a signed EIP-1559 transfer with one access-list entry."""
    return [
        901,
        rng.randrange(1_000),
        10**9,
        30 * 10**9,
        21_000,
        rng.randbytes(20),
        rng.randrange(10**18),
        b"",
        [[rng.randbytes(20), [rng.randbytes(32)]]],
        1,
        rng.randrange(2**255, 2**256),
        rng.randrange(2**255, 2**256),
    ]


def block_header(rng: random.Random) -> list[object]:
    """The 17 fields of a Shanghai header (through ``withdrawalsRoot``)."""
    return [
        rng.randbytes(32),  # parentHash
        rng.randbytes(32),  # ommersHash
        rng.randbytes(20),  # coinbase
        rng.randbytes(32),  # stateRoot
        rng.randbytes(32),  # transactionsRoot
        rng.randbytes(32),  # receiptsRoot
        rng.randbytes(256),  # logsBloom
        0,  # difficulty
        rng.randrange(10**7),  # number
        30_000_000,  # gasLimit
        rng.randrange(30_000_000),  # gasUsed
        1_700_000_000 + rng.randrange(10**6),  # timestamp
        b"interlace",  # extraData
        rng.randbytes(32),  # prevRandao
        bytes(8),  # nonce
        rng.randrange(10**10),  # baseFeePerGas
        rng.randbytes(32),  # withdrawalsRoot
    ]


def workloads() -> list[Workload]:
    """The four workloads, from a fixed seed."""
    rng = random.Random(1559)
    return [
        Workload("signed 1559 tx (12 fields)", [signed_transaction(rng) for _ in range(100)]),
        Workload("block header (17 fields)", [block_header(rng) for _ in range(100)]),
        Workload(
            "100 x 10 short byte strings",
            [[[rng.randbytes(rng.randrange(33)) for _ in range(10)] for _ in range(100)]],
        ),
        Workload(
            "integers 2**64..2**256",
            [rng.randrange(2 ** rng.randrange(64, 256)) | 2**64 for _ in range(64)],
        ),
    ]


def as_decoded(item: object) -> object:
    """What decoding ``item``'s encoding returns: integers as minimal big-endian bytes."""
    if isinstance(item, list):
        return [as_decoded(x) for x in item]
    if isinstance(item, int):
        return item.to_bytes((item.bit_length() + 7) // 8, "big")
    return item


def rate_of(fn: Callable[[], int]) -> float:
    """Items per second of ``fn`` (which returns how many it did), run for ``MIN_SECONDS``."""
    done = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < MIN_SECONDS:
        done += fn()
        elapsed = time.perf_counter() - start
    return done / elapsed


def compare(name: str, direction: str, ours: Callable[[], int], pyrlp: Callable[[], int]) -> Figure:
    """Time both sides back to back ``REPEATS`` times and keep the medians."""
    ours_rates, pyrlp_rates, ratios = [], [], []
    for _ in range(REPEATS):
        ours_rate, pyrlp_rate = rate_of(ours), rate_of(pyrlp)
        ours_rates.append(ours_rate)
        pyrlp_rates.append(pyrlp_rate)
        ratios.append(ours_rate / pyrlp_rate)
    return Figure(
        name,
        direction,
        statistics.median(ours_rates),
        statistics.median(pyrlp_rates),
        statistics.median(ratios),
    )


def measure(workload: Workload) -> list[Figure]:
    """Check both codecs agree on ``workload``, then time encode and decode."""
    items = workload.items
    encoded = [encode_rlp(item) for item in items]
    if encoded != [rlp.encode(item) for item in items]:
        raise AssertionError(f"{workload.name}: the encoders disagree")
    decoded = [as_decoded(item) for item in items]
    if [decode_rlp(raw) for raw in encoded] != decoded or [
        rlp.decode(raw) for raw in encoded
    ] != decoded:
        raise AssertionError(f"{workload.name}: a decoder does not invert the encoding")

    def ours_encode() -> int:
        for item in items:
            encode_rlp(item)
        return len(items)

    def pyrlp_encode() -> int:
        for item in items:
            rlp.encode(item)
        return len(items)

    def ours_decode() -> int:
        for raw in encoded:
            decode_rlp(raw)
        return len(encoded)

    def pyrlp_decode() -> int:
        for raw in encoded:
            rlp.decode(raw)
        return len(encoded)

    return [
        compare(workload.name, "encode", ours_encode, pyrlp_encode),
        compare(workload.name, "decode", ours_decode, pyrlp_decode),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    print(f"pyrlp {version('rlp')}; medians of {REPEATS} repeats, each side timed back to back")
    figures: list[Figure] = []
    for workload in workloads():
        for figure in measure(workload):
            figures.append(figure)
            print(
                f"{figure.direction} {figure.workload}: ours {figure.ours_per_second:,.0f}/s, "
                f"pyrlp {figure.pyrlp_per_second:,.0f}/s, ratio {figure.ratio:.1f}"
            )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([asdict(figure) for figure in figures], out, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
