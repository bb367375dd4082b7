"""PNG plots of a finished simulator run, drawn from the world's ``Timeline``.

``write_plots`` owns the pictures ``interlace sim run --out DIR`` leaves next
to ``metrics.json``: message latency per destination trust mode
(``latency.png``), how long blocks take to reach each safety level
(``safety.png``) and the chains' heads over virtual time (``heads.png``). A
plot whose data the run did not produce (no hub, so no messages) is not
written. Figures are built on matplotlib's Agg canvas directly, without
pyplot, so no display or global backend state is ever touched.
"""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from interlace.primitives.types import ChainId
from interlace.runtime.sim.scenario import FaultSpec
from interlace.runtime.sim.world import MODE_NAMES, World

MAX_HEAD_CHAINS: Final = 6
"""Chains drawn in ``heads.png``; more lines than this stop being readable."""
HISTOGRAM_BINS: Final = 30
DPI: Final = 110
_STYLES: Final = ("-", "--", "-.", ":", "-", "--")
"""Line styles in turn, so curves that coincide stay distinguishable."""
_MARKERS: Final = ("o", "s", "^", "D", "v", "P")
_STATUS_CHAIN: Final = re.compile(r"(\d+) unsafe (\d+|down) safe (\d+|down)")
"""One chain in a World status sample, e.g. ``901 unsafe 12 safe 5``."""


def write_plots(world: World, out_dir: Path) -> list[Path]:
    """Write the plots of ``world``'s finished run into ``out_dir``; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, figure in (
        ("latency.png", latency_figure(world)),
        ("safety.png", safety_figure(world)),
        ("heads.png", heads_figure(world)),
    ):
        if figure is None:
            continue
        path = out_dir / name
        FigureCanvasAgg(figure)  # binds the figure to Agg; savefig then never needs a display
        figure.savefig(path, dpi=DPI)
        written.append(path)
    return written


def latency_figure(world: World) -> Figure | None:
    """Histogram and CDF of message latency by destination trust mode (None without messages)."""
    by_mode: dict[str, list[float]] = {}
    for chain, latencies in sorted(world.timeline.delivered.items()):
        mode = MODE_NAMES[world.trust_modes[ChainId(chain)]]
        by_mode.setdefault(mode, []).extend(latencies)
    by_mode = {mode: sorted(v) for mode, v in by_mode.items() if v}
    if not by_mode:
        return None
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    hist, cdf = figure.subplots(1, 2)
    block_time = world.scenario.rollups.block_time
    labels = [f"{mode} (n={len(v)}, p50 {_pick(v, 0.5):.2f} s)" for mode, v in by_mode.items()]
    # Side-by-side bars: latencies cluster on whole block times, and stacked outlines of
    # equal counts would hide each other.
    low = min(v[0] for v in by_mode.values())
    high = max(*(v[-1] for v in by_mode.values()), low + block_time)
    pad = (high - low) / 20
    bins = [
        low - pad + (high - low + 2 * pad) * i / HISTOGRAM_BINS for i in range(HISTOGRAM_BINS + 1)
    ]
    hist.hist(list(by_mode.values()), bins=bins, label=labels)
    for i, (values, label) in enumerate(zip(by_mode.values(), labels, strict=True)):
        _cdf(cdf, values, label, _STYLES[i % len(_STYLES)])
    hist.set_title("Message latency by destination trust mode")
    hist.set_xlabel(f"source block made → destination block made (virtual s; block {block_time} s)")
    hist.set_ylabel("messages")
    hist.grid(alpha=0.3)
    hist.legend()
    cdf.set_title("Message latency CDF")
    cdf.set_xlabel("latency (virtual s)")
    cdf.set_ylabel("fraction of executed messages")
    cdf.set_xlim(low - pad, high + pad)
    _quantile_guides(cdf)
    cdf.legend(loc="lower right")
    return figure


def safety_figure(world: World) -> Figure | None:
    """CDFs of time from block production to each safety level (None if none was reached)."""
    t = world.timeline
    series: list[tuple[str, list[float]]] = [
        (f"hub {level}", sorted(values)) for level, values in sorted(t.level_latency.items())
    ]
    series.append(("verifier safe (derived from L1)", sorted(t.safe_latency)))
    series = [(name, values) for name, values in series if values]
    if not series:
        return None
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    ax = figure.subplots()
    for i, (name, values) in enumerate(series):
        label = (
            f"{name} (n={len(values)}, p50 {_pick(values, 0.5):.2f} s, "
            f"p99 {_pick(values, 0.99):.2f} s)"
        )
        _cdf(ax, values, label, _STYLES[i % len(_STYLES)])
    low = min(values[0] for _, values in series)
    if low > 0 and max(values[-1] for _, values in series) > 10 * low:
        # Levels are orders of magnitude apart (gossip vs L1 batches): log time.
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.set_title("Safety progression: time from block production to each level")
    ax.set_xlabel("virtual seconds after the sequencer made the block")
    ax.set_ylabel("fraction of blocks")
    _quantile_guides(ax)
    ax.legend(loc="lower right")
    return figure


def heads_figure(world: World) -> Figure | None:
    """Each chain's unsafe head (every block) and safe head (status samples) over time.

    A lower panel shows the gap between the two at each sample: how far
    derivation from L1 trails the sequencer.
    """
    unsafe: dict[int, list[tuple[float, int]]] = {}
    for (chain, number), at in world.timeline.seq_blocks.items():
        unsafe.setdefault(chain, []).append((at, number))
    chains = sorted(unsafe)[:MAX_HEAD_CHAINS]
    if not chains:
        return None
    samples = _status_samples(world)
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    heads, lag = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.3))
    for i, chain in enumerate(chains):
        points = sorted(unsafe[chain])
        line = heads.step(
            [0.0] + [at for at, _ in points],
            [0] + [number for _, number in points],
            where="post",
            linewidth=1.4,
            label=f"{chain} unsafe",
        )[0]
        sampled = [(at, u, safe) for at, u, safe in samples.get(chain, []) if safe is not None]
        if not sampled:
            continue
        marker = _MARKERS[i % len(_MARKERS)]
        heads.plot(
            [0.0] + [at for at, _, _ in sampled],
            [0] + [safe for _, _, safe in sampled],
            linestyle="--",
            marker=marker,
            markersize=5,
            fillstyle="none",
            color=line.get_color(),
            label=f"{chain} safe",
        )
        gaps = [(at, u - safe) for at, u, safe in sampled if u is not None]
        lag.plot(
            [at for at, _ in gaps],
            [gap for _, gap in gaps],
            marker=marker,
            markersize=5,
            fillstyle="none",
            color=line.get_color(),
            label=str(chain),
        )
    scenario = world.scenario
    for ax in (heads, lag):
        ax.axvspan(
            scenario.duration,
            scenario.duration + scenario.drain,
            color="grey",
            alpha=0.12,
            label="drain (faults healed, no traffic)" if ax is heads else None,
        )
        for at, kind in _fault_starts(scenario.faults):
            ax.axvline(
                at,
                color="red",
                linestyle=":",
                linewidth=1.2,
                label=f"{kind} at {at:g} s" if ax is heads else None,
            )
        ax.grid(alpha=0.3)
    shown = f" (first {len(chains)} of {len(unsafe)})" if len(unsafe) > len(chains) else ""
    heads.set_title(f"Rollup heads over time{shown}; chains in lockstep overlap")
    heads.set_ylabel("block number")
    heads.set_xlim(0, scenario.duration + scenario.drain)
    heads.set_ylim(bottom=0)
    heads.legend(loc="upper left", fontsize=8, ncols=2)
    lag.set_title("Safe head lag at each status sample", fontsize=10)
    lag.set_xlabel("virtual time (s)")
    lag.set_ylabel("unsafe − safe (blocks)")
    lag.axhline(0, color="black", linewidth=0.6)
    return figure


def _status_samples(world: World) -> dict[int, list[tuple[float, int | None, int | None]]]:
    """Chain → (time, unsafe head, safe head) from the World's periodic status entries.

    The timeline keeps no per-block safe times, only these samples (a tenth
    of the run apart, first four chains); a head is None while its node is down.
    """
    samples: dict[int, list[tuple[float, int | None, int | None]]] = {}
    for at, node, text in world.timeline.entries:
        if node != "status":
            continue
        for chain, unsafe, safe in _STATUS_CHAIN.findall(text):
            samples.setdefault(int(chain), []).append((at, _head(unsafe), _head(safe)))
    return samples


def _fault_starts(faults: Sequence[FaultSpec]) -> list[tuple[float, str]]:
    """(time, kind) of each fault's start, at most one label per kind and time."""
    return sorted({(fault.at, fault.kind) for fault in faults})


def _head(text: str) -> int | None:
    return None if text == "down" else int(text)


def _cdf(ax: Axes, values: Sequence[float], label: str, linestyle: str) -> None:
    n = len(values)
    ax.step(
        values,
        [(i + 1) / n for i in range(n)],
        where="post",
        linewidth=1.8,
        linestyle=linestyle,
        label=label,
    )


def _quantile_guides(ax: Axes) -> None:
    for q in (0.5, 0.99):
        ax.axhline(q, color="grey", linewidth=0.6, alpha=0.5)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)


def _pick(values: Sequence[float], q: float) -> float:
    """The same percentile rule as ``World.metrics`` (sorted input)."""
    return values[min(len(values) - 1, int(q * len(values)))]
