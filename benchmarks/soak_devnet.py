"""Soak the default live devnet: does finality keep up, and how fast does memory grow?

A devnet with the default settings (2 rollups — 901 optimistic, 902
validity — 1 s blocks, settlement on) runs in a temporary directory for
``--minutes`` (12). A user sends a cross-rollup message every 2 s,
alternating 901 → 902 and 902 → 901, through the SDK. Every minute the
hub's heads per level and every node process's resident memory are
sampled.

Reported, with the reference measured in the same run:

- **Finality keeps up**: how far each chain's finalized head advanced over
  the second half of the run, divided by how far its head advanced (the
  reference). 1.00 means the finalized head follows block production;
  below 1 the gap grows. The gap itself (head − finalized) is printed too.
- **Delivery**: messages executed / sent, and how many of the first half's
  source blocks the hub holds FINALIZED at the end.
- **Memory**: resident set size per process at the start and the end, and
  the growth in MB per minute over the second half (a line through the
  samples). Flat means bounded; anything else is a leak or unbounded
  history a long-running devnet pays for.
- **Health**: supervisor restarts and Python tracebacks in the node logs
  (both should be 0).

Prints only; no assertions. Run:
``python benchmarks/soak_devnet.py [--minutes 12]``
"""

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from interlace.client import InterlaceClient, SentMessage
from interlace.protocol.hub.state import SafetyLevel
from interlace.runtime.live.supervisor import Devnet, running_devnet

SEND_EVERY_S = 2.0
SAMPLE_EVERY_S = 60.0
TARGET = "0x" + "34" * 20


@dataclass(slots=True)
class Sample:
    """One minute's reading."""

    at_s: float
    heads: dict[int, tuple[int, int]]
    """chain → (head, finalized)."""
    rss_mb: dict[str, float]
    """node → resident set size."""


@dataclass(slots=True)
class Soak:
    """Everything the run gathered."""

    samples: list[Sample] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    send_errors: list[str] = field(default_factory=list)


def read_rss_mb(devnet: Devnet) -> dict[str, float]:
    """VmRSS of every node process, by node name."""
    out: dict[str, float] = {}
    for name, node in devnet.nodes.items():
        if node.process is None:
            continue
        try:
            status = Path(f"/proc/{node.process.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                out[str(name)] = int(line.split()[1]) / 1024
    return out


def take_sample(client: InterlaceClient, devnet: Devnet, began: float) -> Sample:
    status = client.status()
    heads = {c.chain_id: (c.head, c.finalized) for c in status.chains}
    return Sample(time.monotonic() - began, heads, read_rss_mb(devnet))


def run_soak(devnet: Devnet, minutes: float) -> Soak:
    client = InterlaceClient.from_data_dir(devnet.data_dir)
    key = client.endpoints.accounts[1].private_key
    soak = Soak()
    began = time.monotonic()
    next_sample = began
    index = 0
    while time.monotonic() - began < minutes * 60:
        if time.monotonic() >= next_sample:
            soak.samples.append(take_sample(client, devnet, began))
            last = soak.samples[-1]
            print(
                f"t={last.at_s:4.0f}s "
                + "  ".join(f"{c}: head {h} finalized {f}" for c, (h, f) in last.heads.items()),
                flush=True,
            )
            next_sample += SAMPLE_EVERY_S
        source, destination = (901, 902) if index % 2 == 0 else (902, 901)
        try:
            soak.sent.append(
                client.send_message(key, source, destination, TARGET, f"soak {index}".encode())
            )
        except Exception as exc:  # noqa: BLE001 - a soak reports every failure and goes on
            soak.send_errors.append(f"{type(exc).__name__}: {exc}")
        index += 1
        time.sleep(SEND_EVERY_S)
    soak.samples.append(take_sample(client, devnet, began))
    return soak


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value), per minute."""
    n = len(points)
    if n < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    var = sum((x - mean_x) ** 2 for x, _ in points)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in points)
    return 60 * cov / var if var else 0.0


def report(devnet: Devnet, soak: Soak) -> None:
    client = InterlaceClient.from_data_dir(devnet.data_dir)
    time.sleep(10)  # let the last relays land
    executed = sum(client.is_executed(m) for m in soak.sent)
    first_half = soak.sent[: len(soak.sent) // 2]
    finalized = 0
    for message in first_half:
        safety = client.block_safety(message.source_chain, message.block_number)
        if safety is not None and safety.block_hash == message.block_hash:
            finalized += safety.cross_level == SafetyLevel.FINALIZED
    print(
        f"messages: {executed}/{len(soak.sent)} executed, {len(soak.send_errors)} send errors"
        f"{' (first: ' + soak.send_errors[0] + ')' if soak.send_errors else ''}; "
        f"first half's source blocks finalized: {finalized}/{len(first_half)}"
    )
    half = [s for s in soak.samples if s.at_s >= soak.samples[-1].at_s / 2]
    first, last = half[0], half[-1]
    for chain, (head, final) in sorted(last.heads.items()):
        grew = head - first.heads[chain][0]
        followed = final - first.heads[chain][1]
        ratio = followed / grew if grew else 0.0
        print(
            f"chain {chain}: finalized advanced {followed} while the head advanced {grew} "
            f"over the second half = {ratio:.2f}x (1.00 keeps up); gap now {head - final} blocks"
        )
    print("resident memory (MB): start -> end, growth over the second half")
    rows = {}
    for name in sorted(last.rss_mb):
        points = [(s.at_s, s.rss_mb[name]) for s in half if name in s.rss_mb]
        start = next((s.rss_mb[name] for s in soak.samples if name in s.rss_mb), 0.0)
        rows[name] = {
            "start_mb": round(start, 1),
            "end_mb": round(last.rss_mb[name], 1),
            "mb_per_min": round(slope_per_minute(points), 2),
        }
        print(
            f"  {name:16} {start:6.1f} -> {last.rss_mb[name]:6.1f}  "
            f"{rows[name]['mb_per_min']:+.2f} MB/min"
        )
    restarts = {str(n): p.restarts for n, p in devnet.nodes.items() if p.restarts}
    tracebacks = sum(
        log.read_text(errors="replace").count("Traceback (most recent call last)")
        for log in devnet.data_dir.glob("*/node.log")
    )
    print(f"restarts: {restarts or 0}; tracebacks in node logs: {tracebacks}")
    print(json.dumps({"memory": rows, "restarts": restarts, "tracebacks": tracebacks}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=12.0)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_devnet(Path(tmp) / "devnet") as devnet,
    ):
        soak = run_soak(devnet, args.minutes)
        report(devnet, soak)


if __name__ == "__main__":
    main()
