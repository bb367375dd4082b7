"""``interlace sim run --out`` writes metrics.json and the PNG plots the run has data for."""

import json
from pathlib import Path

from typer.testing import CliRunner

from interlace.cli.main import app
from interlace.runtime.sim.scenario import parse_scenario

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HUB = """
name = "plots-hub"
description = "three rollups with a hub and messages"
duration = 15
drain = 8
[rollups]
count = 3
trust_modes = ["p2p", "preconfirmed"]
[hub]
enabled = true
[workload]
transfers_per_block = 1
messages_per_block = 0.5
"""
NO_HUB = """
name = "plots-no-hub"
description = "two rollups, no hub"
duration = 12
drain = 8
[rollups]
count = 2
"""

runner = CliRunner()


def run_to(tmp_path: Path, text: str) -> tuple[Path, str]:
    parse_scenario(text)  # a bad scenario fails here with the field named, not in the CLI
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(text)
    out = tmp_path / "out"
    result = runner.invoke(app, ["sim", "run", str(scenario), "--seed", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.stdout


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, path
    assert len(data) > 10_000, f"{path} is only {len(data)} bytes"


def test_hub_run_writes_metrics_and_every_plot(tmp_path: Path) -> None:
    out, stdout = run_to(tmp_path, HUB)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["messages"]
    for name in ("latency.png", "safety.png", "heads.png"):
        assert_png(out / name)
        assert name in stdout
    assert "trust mode" in stdout
    assert "time to hub level" in stdout
    assert "blocks invalidated by the hub" in stdout


def test_run_without_hub_writes_no_latency_plot(tmp_path: Path) -> None:
    out, stdout = run_to(tmp_path, NO_HUB)
    json.loads((out / "metrics.json").read_text())
    assert_png(out / "heads.png")
    assert_png(out / "safety.png")
    assert not (out / "latency.png").exists()
    assert "latency.png" not in stdout
    assert "trust mode" not in stdout
