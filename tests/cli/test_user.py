"""The user CLI (status, balance, send, msg, proof) against simulator roles over HTTP.

Typer's ``CliRunner`` runs each command in a worker thread while the event
loop serves a fresh world's nodes; ``--data-dir`` points at an
``endpoints.json`` written for them. Errors must be one line with a hint
and no traceback.
"""

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from interlace.cli.main import app
from interlace.runtime.sim.world import World
from tests.api.harness import make_world, run_against_world, user_key, write_endpoints

TARGET = "0x" + "34" * 20


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, args, env=env or {}, catch_exceptions=False)


def assert_one_line_error(result: Result, *fragments: str) -> None:
    assert result.exit_code != 0
    text = result.stderr if result.stderr_bytes is not None else result.output
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert lines[0].startswith("error:"), text
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], text


def test_status_balance_and_send(tmp_path: Path) -> None:
    def flow(urls: dict[str, str]) -> None:
        write_endpoints(tmp_path, urls)
        data = ["--data-dir", str(tmp_path)]
        result = invoke(["status", *data])
        assert result.exit_code == 0, result.output
        assert "901" in result.output
        assert "902" in result.output
        assert "pre-confirmed" in result.output
        result = invoke(["status", "--json", *data])
        status = json.loads(result.stdout)
        assert [c["chainId"] for c in status["chains"]] == [901, 902]
        receiver = "0x" + user_key(901, 1).address.hex()
        before = json.loads(invoke(["balance", receiver, "--chain", "901", "--json", *data]).stdout)
        result = invoke(
            ["send", "--chain", "901", "--to", receiver, "--value", "0.5gwei", "--json", *data]
        )
        assert result.exit_code == 0, result.output
        sent = json.loads(result.stdout)
        assert sent["status"] == 1
        after = json.loads(invoke(["balance", receiver, "--chain", "901", "--json", *data]).stdout)
        assert after["balance"] == before["balance"] + 500_000_000
        # The key can come from the environment instead of the devnet accounts.
        env = {"INTERLACE_KEY": "0x" + user_key(901, 2).secret.hex()}
        result = invoke(["send", "--chain", "901", "--to", receiver, "--value", "7", *data], env)
        assert result.exit_code == 0, result.output
        assert "status 1" in result.output

    run_against_world(flow)


def test_message_send_status_proof_and_relay(tmp_path: Path) -> None:
    world: World = make_world(relayer=False)

    def flow(urls: dict[str, str]) -> None:
        write_endpoints(tmp_path, urls)
        data = ["--data-dir", str(tmp_path)]
        # Account 2 of the endpoints file is funded on 902, the source here.
        result = invoke(
            [
                "msg",
                "send",
                "--from",
                "902",
                "--to",
                "901",
                "--target",
                TARGET,
                "--text",
                "hi 901",
                "--account",
                "2",
                "--wait",
                "preconfirmed",
                "--json",
                *data,
            ]
        )
        assert result.exit_code == 0, result.output
        message = json.loads(result.stdout)
        assert message["stage"] in ("preconfirmed", "safe")
        ref = ["--source", "902", "--tx", message["transactionHash"], *data]
        status = json.loads(invoke(["msg", "status", *ref, "--json"]).stdout)
        assert status["executed"] is False
        assert status["message"]["message"] == "0x" + b"hi 901".hex()
        result = invoke(["proof", "get", *ref, "--json"])
        assert result.exit_code == 0, result.output
        proof = json.loads(result.stdout)
        assert proof["claim"]["mode"] == "hub"
        assert proof["claim"]["hub"]["signer"] == "0x" + world.hub_key.address.hex()
        result = invoke(["proof", "verify", proof["proof"]])
        assert result.exit_code == 0, result.output
        assert "valid hub proof" in result.output
        out = tmp_path / "proof.bin"
        assert invoke(["proof", "get", *ref, "--out", str(out)]).exit_code == 0
        verified = json.loads(invoke(["proof", "verify", "--file", str(out), "--json"]).stdout)
        assert verified["claim"]["messageHash"] == message["messageHash"]
        broken = proof["proof"][:-2] + ("00" if proof["proof"][-2:] != "00" else "01")
        assert_one_line_error(invoke(["proof", "verify", broken]))
        # Relay it by hand (account 0 is funded on 901, the destination).
        result = invoke(["msg", "relay", *ref, "--account", "0", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["relay"]["status"] == 1
        status = json.loads(invoke(["msg", "status", *ref, "--json"]).stdout)
        assert status["stage"] == "executed"
        assert_one_line_error(invoke(["msg", "relay", *ref]), "already executed")
        assert_one_line_error(
            invoke(["msg", "status", "--source", "902", "--tx", "0x" + "00" * 32, *data]),
            "not mined",
        )

    run_against_world(flow, world=world)


def test_errors_are_one_line_with_a_hint(tmp_path: Path) -> None:
    missing = ["--data-dir", str(tmp_path / "none")]
    assert_one_line_error(invoke(["status", *missing]), "interlace devnet up")
    assert_one_line_error(
        invoke(["send", "--chain", "901", "--to", TARGET, "--value", "1", *missing]),
        "interlace devnet up",
    )
    result = invoke(["proof", "verify", "0x1234"])
    assert_one_line_error(result, "unknown event proof version")
    assert result.exit_code == 1
    result = invoke(["proof", "verify"])
    assert_one_line_error(result, "--file")
    assert result.exit_code == 2

    def flow(urls: dict[str, str]) -> None:
        write_endpoints(tmp_path, urls)
        data = ["--data-dir", str(tmp_path)]
        bad_amount = invoke(["send", "--chain", "901", "--to", TARGET, "--value", "lots", *data])
        assert_one_line_error(bad_amount, "not an amount")
        assert bad_amount.exit_code == 2
        bad_key = invoke(
            ["send", "--chain", "901", "--to", TARGET, "--value", "1", "--key", "0x12", *data]
        )
        assert_one_line_error(bad_key, "not a private key")
        no_chain = invoke(["send", "--chain", "999", "--to", TARGET, "--value", "1", *data])
        assert_one_line_error(no_chain, "no node serves chain 999")
        poor = invoke(
            [
                "send",
                "--chain",
                "901",
                "--to",
                TARGET,
                "--value",
                "1eth",
                "--key",
                "0x" + "42" * 32,
                *data,
            ]
        )
        assert_one_line_error(poor, "insufficient funds")
        no_account = invoke(
            ["send", "--chain", "901", "--to", TARGET, "--value", "1", "--account", "9", *data]
        )
        assert_one_line_error(no_account, "no development account #9")

    run_against_world(flow, nodes=("seq-901", "hub"))
