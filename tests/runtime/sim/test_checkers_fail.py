"""Each invariant checker can fail: a test breaks the rule and watches the checker say so.

A checker that cannot fail checks nothing. This module holds those for inv3, 5, 6 (no
false evidence), 7 (at the verifier and at the hub) and 8; ``FAILING_TESTS`` names the
test of every checker, here or next to its domain, and a test keeps that list complete.
Each breaks the system, not the checker: a verifier that moves its safe head back for
no reason, one that ignores L1 reorgs, a relay whose claim names another log, a hub that
stops following an honest chain, a verifier that takes an honest re-sign for
equivocation, a hub that ignores an L1 reorg.
"""

from pathlib import Path
from typing import Any

import pytest

from interlace.protocol.hub.tracker import HubTracker, Rejected
from interlace.protocol.interop import messenger
from interlace.roles.base import Effect, Event, Timestamp
from interlace.roles.records import VerifierSafeReorg
from interlace.roles.rollup_follower import RollupFollower
from interlace.roles.verifier import VerifierNode
from interlace.runtime.sim import checkers
from interlace.runtime.sim.scenario import load_scenario, parse_scenario
from interlace.runtime.sim.world import World


def run(scenario: str, seed: int = 1) -> dict[str, Any]:
    source = load_scenario(scenario) if "\n" not in scenario else parse_scenario(scenario)
    return World(source, seed).run()["invariants"]  # type: ignore[no-any-return]


def test_inv5_fails_when_a_verifier_moves_its_safe_head_back_without_a_reorg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle = VerifierNode.handle
    moved: set[int] = set()

    def moving_back(self: VerifierNode, event: Event, now: Timestamp) -> list[Effect]:
        effects = handle(self, event, now)
        if now > 10 and self.chain_id not in moved and self.chain.head.number > 2:
            moved.add(self.chain_id)
            head = self.chain.head.number
            effects.append(VerifierSafeReorg(chain=self.chain_id, to=head - 1, dropped=1))
        return effects

    monkeypatch.setattr(VerifierNode, "handle", moving_back)
    result = run("quickstart")["inv5_safety_monotonic"]
    assert "moved its safe head back without an L1 reorg" in result


SHALLOW_ORIGINS = """
name = "shallow-origins"
description = "safe blocks on L1 origins a deep reorg replaces"
duration = 30
drain = 10
[l1]
block_time = 1.0
safe_depth = 6
finality_depth = 8
[rollups]
count = 1
block_time = 1.0
confirmation_depth = 0
[[faults]]
kind = "l1_reorg"
at = 15
depth = 4
"""


def test_inv7_fails_when_a_verifier_ignores_an_l1_reorg(monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(SHALLOW_ORIGINS)["inv7_origins_canonical"] == "ok"
    monkeypatch.setattr(RollupFollower, "_rewind", lambda self, replaced: [])
    monkeypatch.setattr(RollupFollower, "_first_stale_inclusion", lambda self: None)
    result = run(SHALLOW_ORIGINS)["inv7_origins_canonical"]
    assert "has a non-canonical origin" in result


def test_inv3_fails_when_an_executed_message_names_a_log_its_source_lacks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = messenger.relay_claim

    def shifted(tx: object) -> Any:
        claim = real(tx)  # type: ignore[arg-type]
        if claim is None:
            return None
        # The destination executed a message whose proof names the next block's log.
        return type(claim)(**{**_fields(claim), "block_number": claim.block_number + 1})

    monkeypatch.setattr(checkers, "relay_claim", shifted)
    result = run("interop")["inv3_message_proven"]
    assert result != "ok"
    assert "executed a message" in result


def _fields(claim: object) -> dict[str, Any]:
    return {name: getattr(claim, name) for name in claim.__dataclass_fields__}  # type: ignore[attr-defined]


def test_inv8_fails_when_the_hub_stops_following_an_honest_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest = HubTracker.ingest_envelope

    def deaf_to_902(self: HubTracker, chain_id: int, raw: bytes, now: float, **kw: Any) -> Any:
        if chain_id == 902 and now > 10:
            raise Rejected("this hub ignores chain 902")
        return ingest(self, chain_id, raw, now, **kw)

    monkeypatch.setattr(HubTracker, "ingest_envelope", deaf_to_902)
    result = run("interop")["inv8_honest_chains_live"]
    # The first honest chain it reports may be one whose blocks wait on 902's.
    assert "hub stopped following honest chain" in result


def test_inv6_no_false_evidence_fails_when_a_verifier_counts_a_re_sign_as_equivocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An L1 reorg removes the newest block's origin and the honest sequencer re-signs that
    # height on the new fork; a verifier that takes both versions as standing accuses it.
    scenario = "tests/runtime/sim/regressions/unsafe-reorg-is-not-equivocation.toml"
    assert run(scenario)["inv6_no_false_evidence"] == "ok"
    monkeypatch.setattr(VerifierNode, "_standing", lambda self, envelope: "canonical")
    result = run(scenario)["inv6_no_false_evidence"]
    assert "accused chain 901 of equivocation" in result


HUB_SHALLOW_ORIGINS = SHALLOW_ORIGINS.replace(
    'name = "shallow-origins"', 'name = "hub-shallow-origins"'
).replace("[[faults]]", "[hub]\nenabled = true\nblock_time = 0.5\n[[faults]]")


def test_inv7_at_the_hub_fails_when_the_hub_ignores_an_l1_reorg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run(HUB_SHALLOW_ORIGINS)["inv7_hub_origins_canonical"] == "ok"
    set_l1_block = HubTracker.set_l1_block

    def first_hash_stays(self: HubTracker, number: int, block_hash: Any) -> None:
        if number not in self.l1_hashes:  # a replaced L1 block keeps its old hash
            set_l1_block(self, number, block_hash)

    monkeypatch.setattr(HubTracker, "set_l1_block", first_hash_stays)
    result = run(HUB_SHALLOW_ORIGINS)["inv7_hub_origins_canonical"]
    assert "SAFE with a non-canonical L1Origin" in result


FAILING_TESTS = {
    "liveness_run_progress": (
        "tests/runtime/sim/test_explore.py",
        "test_run_progress_catches_a_loop_that_is_no_longer_armed",
    ),
    "liveness_heads_advance": (
        "tests/runtime/sim/test_explore.py",
        "test_heads_advance_catches_a_sequencer_that_stops_after_healing",
    ),
    "inv1_finalized_sound": (
        "tests/runtime/sim/test_settlement.py",
        "test_finalized_checker_catches_a_block_settled_before_its_dependency",
    ),
    "inv2_message_once": (
        "tests/runtime/sim/test_review_regressions.py",
        "test_message_once_checker_flags_a_double_execution",
    ),
    "inv3_message_proven": (
        "tests/runtime/sim/test_checkers_fail.py",
        "test_inv3_fails_when_an_executed_message_names_a_log_its_source_lacks",
    ),
    "inv4_deposits_conserved": (
        "tests/runtime/sim/test_sim.py",
        "test_deposit_checker_catches_a_lost_deposit",
    ),
    "inv4_bridge_backed": (
        "tests/runtime/sim/test_bridge_settler.py",
        "test_the_bridge_backed_checker_catches_value_no_escrow_covers",
    ),
    "inv5_safety_monotonic": (
        "tests/runtime/sim/test_checkers_fail.py",
        "test_inv5_fails_when_a_verifier_moves_its_safe_head_back_without_a_reorg",
    ),
    "inv6_equivocation_evidence": (
        "tests/runtime/sim/test_sim.py",
        "test_checker_catches_missing_evidence",
    ),
    "inv6_no_false_evidence": (
        "tests/runtime/sim/test_checkers_fail.py",
        "test_inv6_no_false_evidence_fails_when_a_verifier_counts_a_re_sign_as_equivocation",
    ),
    "inv6_hub_frozen": ("tests/runtime/sim/test_interop.py", "test_hub_checker_is_not_vacuous"),
    "inv7_origins_canonical": (
        "tests/runtime/sim/test_checkers_fail.py",
        "test_inv7_fails_when_a_verifier_ignores_an_l1_reorg",
    ),
    "inv7_hub_origins_canonical": (
        "tests/runtime/sim/test_checkers_fail.py",
        "test_inv7_at_the_hub_fails_when_the_hub_ignores_an_l1_reorg",
    ),
    "inv8_honest_chains_live": (
        "tests/runtime/sim/test_checkers_fail.py",
        "test_inv8_fails_when_the_hub_stops_following_an_honest_chain",
    ),
    "inv9_crash_recovery": (
        "tests/runtime/sim/test_sim.py",
        "test_checker_catches_lost_transactions",
    ),
}
"""Every checker → (module, test) where a broken system makes it fail."""


def test_every_checker_has_a_test_that_makes_it_fail() -> None:
    assert set(FAILING_TESTS) == set(checkers.CHECKER_NAMES.values())
    root = Path(__file__).parents[3]
    for module, test in FAILING_TESTS.values():
        assert f"def {test}(" in (root / module).read_text(), f"{module} has no {test}"
