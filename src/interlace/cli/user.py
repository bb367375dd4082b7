"""User commands: ``status``, ``balance``, ``send``, ``msg send|status|relay``, ``proof``.

``proof`` has ``get`` and ``verify``. Each command is a thin layer over the
SDK (``interlace.client``): it reads the devnet's ``endpoints.json``
(``--data-dir``, else ``$INTERLACE_DATA_DIR``, else ``.interlace-devnet``),
calls one client method and prints a table, or JSON with ``--json``. Keys
come from ``--key`` (or ``$INTERLACE_KEY``), else the devnet's development
account ``--account N``. Every error is one line saying what to do, with
exit status 1 (2 for bad usage), never a traceback.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.console import Console
from rich.table import Table

from interlace.client import (
    WAIT_STAGES,
    InterlaceClient,
    MessageStatus,
    SentMessage,
    TxReceipt,
    load_key,
)
from interlace.client.endpoints import DATA_DIR_ENV, resolve_data_dir
from interlace.primitives.errors import InputError, InterlaceError
from interlace.primitives.keys import PrivateKey
from interlace.primitives.types import parse_hex
from interlace.protocol.interop.proof import EventClaim, ProofMode

console = Console()
errors = Console(stderr=True, soft_wrap=True)

msg_app = typer.Typer(help="Send, follow and relay cross-rollup messages.", no_args_is_help=True)
proof_app = typer.Typer(help="Get and verify event proofs.", no_args_is_help=True)

UNITS: Final = {"wei": 1, "gwei": 10**9, "eth": 10**18, "ether": 10**18}
STAGES: Final = WAIT_STAGES

DataDir = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        envvar=DATA_DIR_ENV,
        help="The devnet's directory (holds endpoints.json); default .interlace-devnet.",
        show_default=False,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        envvar="INTERLACE_KEY",
        help="Private key (0x-hex) that signs; default: the devnet account --account.",
        show_default=False,
    ),
]
AccountOption = Annotated[
    int, typer.Option("--account", help="Index of the devnet development account that signs.")
]
SourceOption = Annotated[int, typer.Option("--source", help="Chain the message was sent on.")]
TxOption = Annotated[str, typer.Option("--tx", help="Hash of the transaction that sent it.")]
IndexOption = Annotated[
    int, typer.Option("--index", help="Which SentMessage of that transaction (0 = first).")
]


class UsageError(InputError):
    """A bad option value (exit status 2)."""


@contextmanager
def _errors_as_one_line() -> Iterator[None]:
    """Typed errors become one red line and an exit status; nothing else is caught."""
    try:
        yield
    except UsageError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    except InterlaceError as exc:  # ClientError, proof errors, RPC failures…
        errors.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        errors.print("interrupted")
        raise typer.Exit(130) from None


def _client(data_dir: Path | None) -> InterlaceClient:
    return InterlaceClient.from_data_dir(resolve_data_dir(data_dir))


def _signer(client: InterlaceClient, key: str | None, account: int) -> PrivateKey:
    if key is not None:
        return load_key(key)
    accounts = client.endpoints.accounts
    if not 0 <= account < len(accounts):
        raise UsageError(
            f"no development account #{account} ({len(accounts)} listed in "
            f"{client.endpoints.source}); pass --key"
        )
    return load_key(accounts[account].private_key)


def parse_amount(text: str) -> int:
    """Wei from ``123``, ``1.5eth``, ``2 gwei``, ``0.01ether`` or ``10wei``."""
    cleaned = text.strip().lower().replace("_", "")
    unit = next((u for u in sorted(UNITS, key=len, reverse=True) if cleaned.endswith(u)), "wei")
    number = cleaned.removesuffix(unit).strip() if cleaned.endswith(unit) else cleaned
    try:
        value = Decimal(number) * UNITS[unit]
    except InvalidOperation:
        raise UsageError(f"not an amount: {text!r} (e.g. 1000, 1.5eth, 2gwei)") from None
    if value < 0 or value != value.to_integral_value():
        raise UsageError(f"{text!r} is not a whole, non-negative number of wei")
    return int(value)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _echo_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2))


def _receipt_json(receipt: TxReceipt) -> dict[str, Any]:
    return {
        "chainId": receipt.chain_id,
        "transactionHash": _hex(receipt.tx_hash),
        "blockNumber": receipt.block_number,
        "blockHash": _hex(receipt.block_hash),
        "status": receipt.status,
        "gasUsed": receipt.gas_used,
        "effectiveGasPrice": receipt.effective_gas_price,
    }


# ---- status and accounts ----------------------------------------------------------------


def status(data_dir: DataDir = None, json_output: JsonFlag = False) -> None:
    """Every chain's heads per safety level in the hub's view, the hub and its L1 view."""
    with _errors_as_one_line():
        hub = _client(data_dir).status()
    if json_output:
        _echo_json(hub.raw)
        return
    console.print(
        f"hub block [bold]#{hub.hub_number}[/bold]   L1 head #{hub.l1_head} "
        f"(safe #{hub.l1_safe}, finalized #{hub.l1_finalized}, hub processed #{hub.l1_processed})"
    )
    table = Table(
        "chain", "head", "pre-confirmed", "safe", "confirmed", "finalized", "state", box=None
    )
    for chain in hub.chains:
        state = "[red]frozen[/red]" if chain.frozen else "[green]ok[/green]"
        if chain.evidence:
            state += f" evidence={chain.evidence}"
        if chain.invalid_blocks:
            state += f" invalid={chain.invalid_blocks}"
        table.add_row(
            str(chain.chain_id),
            str(chain.head),
            str(chain.preconfirmed),
            str(chain.safe),
            str(chain.confirmed),
            str(chain.finalized),
            state,
        )
    console.print(table)


def balance(
    address: Annotated[str, typer.Argument(help="0x address.")],
    chain: Annotated[int, typer.Option("--chain", help="Chain id (L1 or a rollup).")],
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """An account's balance and next nonce on one chain."""
    with _errors_as_one_line():
        client = _client(data_dir)
        wei = client.balance(chain, address)
        nonce = client.nonce(chain, address)
    if json_output:
        _echo_json({"chainId": chain, "address": address, "balance": wei, "nonce": nonce})
        return
    console.print(f"{address} on {chain}: {Decimal(wei) / 10**18} ETH ({wei} wei), nonce {nonce}")


def send(  # noqa: PLR0917 - one parameter per CLI option
    to: Annotated[str, typer.Option("--to", help="Recipient 0x address.")],
    value: Annotated[str, typer.Option("--value", help="Amount: 1000 (wei), 1.5eth, 2gwei.")],
    chain: Annotated[int, typer.Option("--chain", help="Chain id (L1 or a rollup).")],
    key: KeyOption = None,
    account: AccountOption = 0,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait until mined.")] = True,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Send a signed EIP-1559 transfer."""
    with _errors_as_one_line():
        client = _client(data_dir)
        signer = _signer(client, key, account)
        result = client.transfer(signer, chain, to, parse_amount(value), wait=wait)
    if isinstance(result, TxReceipt):
        if json_output:
            _echo_json(_receipt_json(result))
            return
        console.print(
            f"sent {_hex(result.tx_hash)}: block #{result.block_number} on {chain}, "
            f"status {result.status}, gas {result.gas_used}"
        )
        return
    if json_output:
        _echo_json({"chainId": chain, "transactionHash": _hex(result)})
        return
    console.print(f"submitted {_hex(result)} on {chain} (not waiting for it to be mined)")


# ---- messages ---------------------------------------------------------------------------


def message_json(message: SentMessage) -> dict[str, Any]:
    """A ``SentMessage`` as JSON."""
    return {
        "source": message.source_chain,
        "destination": message.destination,
        "target": _hex(message.target),
        "sender": _hex(message.sender),
        "nonce": message.nonce,
        "message": _hex(message.message),
        "messageHash": _hex(message.message_hash),
        "relayKey": _hex(message.relay_key),
        "transactionHash": _hex(message.tx_hash),
        "blockNumber": message.block_number,
        "blockHash": _hex(message.block_hash),
        "blockTimestamp": message.block_timestamp,
        "logIndex": message.log_index,
        "receiptIndex": message.receipt_index,
        "logPosition": message.log_position,
    }


def status_json(status_: MessageStatus) -> dict[str, Any]:
    """A ``MessageStatus`` as JSON."""
    return {
        "stage": status_.stage,
        "onSource": status_.on_source,
        "level": status_.level.name.lower(),
        "crossLevel": status_.cross_level.name.lower(),
        "relayerState": status_.relayer_state,
        "relayTransaction": _hex(status_.relay_tx) if status_.relay_tx else None,
        "executed": status_.executed,
        "message": message_json(status_.message),
    }


def _message_payload(text: str | None, hex_data: str | None) -> bytes:
    if (text is None) == (hex_data is None):
        raise UsageError("give the message as --text or --hex (one of them)")
    if text is not None:
        return text.encode()
    assert hex_data is not None
    try:
        return parse_hex(hex_data)
    except InterlaceError:
        raise UsageError(f"--hex is not hex: {hex_data[:40]!r}") from None


def _print_stage(status_: MessageStatus) -> None:
    message = status_.message
    console.print(
        f"message {_hex(message.message_hash)[:18]}… {message.source_chain} → "
        f"{message.destination}: [bold]{status_.stage}[/bold]"
    )
    console.print(
        f"  source block #{message.block_number} ({_hex(message.block_hash)[:18]}…): "
        f"hub level {status_.level.name.lower()}, cross {status_.cross_level.name.lower()}"
        + ("" if status_.on_source else " [red](no longer on the source chain)[/red]")
    )
    relayer = status_.relayer_state or "unknown"
    relay = f", relay {_hex(status_.relay_tx)}" if status_.relay_tx else ""
    console.print(
        f"  relayer: {relayer}{relay}; executed on {message.destination}: "
        f"{'yes' if status_.executed else 'no'}"
    )


@msg_app.command("send")
def msg_send(  # noqa: PLR0917 - one parameter per CLI option
    source: Annotated[int, typer.Option("--from", help="Source chain id.")],
    destination: Annotated[int, typer.Option("--to", help="Destination chain id.")],
    target: Annotated[str, typer.Option("--target", help="Recipient 0x address on --to.")],
    text: Annotated[str | None, typer.Option("--text", help="Message as UTF-8 text.")] = None,
    hex_data: Annotated[str | None, typer.Option("--hex", help="Message as 0x-hex.")] = None,
    key: KeyOption = None,
    account: AccountOption = 0,
    wait: Annotated[
        str,
        typer.Option("--wait", help=f"Wait for a stage ({', '.join(STAGES)}) or 'none'."),
    ] = "none",
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait.")] = 120.0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Send a cross-rollup message (the source messenger's sendMessage)."""
    with _errors_as_one_line():
        if wait != "none" and wait not in STAGES:
            raise UsageError(f"--wait must be 'none' or one of {', '.join(STAGES)}")
        payload = _message_payload(text, hex_data)
        client = _client(data_dir)
        signer = _signer(client, key, account)
        message = client.send_message(signer, source, destination, target, payload)
        reached = (
            client.wait_for_message(message, wait, timeout=timeout) if wait != "none" else None
        )
    if json_output:
        out = message_json(message)
        if reached is not None:
            out["stage"] = reached.stage
        _echo_json(out)
        return
    console.print(
        f"sent message {_hex(message.message_hash)} from {source} to {destination} "
        f"in block #{message.block_number} (tx {_hex(message.tx_hash)})"
    )
    console.print(f"follow it: interlace msg status --source {source} --tx {_hex(message.tx_hash)}")
    if reached is not None:
        _print_stage(reached)


@msg_app.command("status")
def msg_status(  # noqa: PLR0917 - one parameter per CLI option
    source: SourceOption,
    tx: TxOption,
    index: IndexOption = 0,
    wait: Annotated[
        str | None,
        typer.Option("--wait", help=f"Wait for a stage ({', '.join(STAGES)})."),
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds to wait.")] = 120.0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Where a message stands: source block safety, relayer, execution on the destination."""
    with _errors_as_one_line():
        if wait is not None and wait not in STAGES:
            raise UsageError(f"--wait must be one of {', '.join(STAGES)}")
        client = _client(data_dir)
        message = client.find_message(source, tx, index)
        if wait is not None:
            result = client.wait_for_message(message, wait, timeout=timeout)
        else:
            result = client.message_status(message)
    if json_output:
        _echo_json(status_json(result))
        return
    _print_stage(result)


@msg_app.command("relay")
def msg_relay(  # noqa: PLR0917 - one parameter per CLI option
    source: SourceOption,
    tx: TxOption,
    index: IndexOption = 0,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Relay a message yourself: build its proof and call relayMessage on the destination."""
    with _errors_as_one_line():
        client = _client(data_dir)
        signer = _signer(client, key, account)
        message = client.find_message(source, tx, index)
        receipt = client.relay_message(signer, message)
    if json_output:
        _echo_json({"message": message_json(message), "relay": _receipt_json(receipt)})
        return
    console.print(
        f"relayed on {message.destination}: {_hex(receipt.tx_hash)} in block "
        f"#{receipt.block_number}, status {receipt.status}"
    )


# ---- proofs -----------------------------------------------------------------------------


def claim_json(claim: EventClaim) -> dict[str, Any]:
    """What a verified proof proves, as JSON."""
    out: dict[str, Any] = {
        "mode": claim.mode.name.lower(),
        "chainId": claim.chain_id,
        "blockNumber": claim.block_number,
        "blockHash": _hex(claim.block_hash),
        "blockTimestamp": claim.block_timestamp,
        "receiptIndex": claim.receipt_index,
        "logPosition": claim.log_position,
        "log": {
            "address": _hex(claim.log.address),
            "topics": [_hex(t) for t in claim.log.topics],
            "data": _hex(claim.log.data),
        },
        "messageHash": _hex(claim.message_hash),
        "l1Origin": {"number": claim.l1_origin_number, "hash": _hex(claim.l1_origin_hash)},
    }
    if claim.mode is ProofMode.HUB:
        assert claim.status is not None
        out["hub"] = {
            "number": claim.hub_number,
            "blockHash": _hex(claim.hub_block_hash or b""),
            "stateRoot": _hex(claim.hub_state_root or b""),
            "signer": _hex(claim.hub_signer or b""),
            "level": claim.status.level.name.lower(),
            "crossLevel": claim.status.cross_level.name.lower(),
        }
    else:
        out["sequencer"] = _hex(claim.sequencer or b"")
    return out


@proof_app.command("get")
def proof_get(  # noqa: PLR0917 - one parameter per CLI option
    source: SourceOption,
    tx: TxOption,
    index: IndexOption = 0,
    mode: Annotated[
        str | None,
        typer.Option("--mode", help="hub or peer (default: what the destination takes)."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the proof bytes to this file.")
    ] = None,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """The event proof of a message (hub mode: hub state proof + the source block's receipts)."""
    with _errors_as_one_line():
        if mode not in (None, "hub", "peer"):
            raise UsageError("--mode must be hub or peer")
        proof_mode = None if mode is None else ProofMode[mode.upper()]
        client = _client(data_dir)
        message = client.find_message(source, tx, index)
        proof = client.get_message_proof(message, proof_mode)
        claim = client.verify_proof(proof)
        if out is not None:
            try:
                out.write_bytes(proof)
            except OSError as exc:
                raise UsageError(f"cannot write {out}: {exc}") from None
    if json_output:
        _echo_json({"proof": _hex(proof), "claim": claim_json(claim)})
        return
    if out is not None:
        console.print(f"wrote {len(proof)}-byte {claim.mode.name.lower()} proof to {out}")
    else:
        typer.echo(_hex(proof))


@proof_app.command("verify")
def proof_verify(
    proof_hex: Annotated[
        str | None, typer.Argument(help="The proof as 0x-hex (or use --file).")
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="Read proof bytes from a file.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Verify an event proof offline and print what it proves (trust policy is yours)."""
    with _errors_as_one_line():
        proof = _read_proof(proof_hex, file)
        claim = InterlaceClient.verify_proof(proof)
    if json_output:
        _echo_json({"valid": True, "claim": claim_json(claim)})
        return
    body = claim_json(claim)
    console.print(
        f"[green]valid[/green] {body['mode']} proof: chain {claim.chain_id} block "
        f"#{claim.block_number} ({body['blockHash'][:18]}…), receipt {claim.receipt_index}, "
        f"log {claim.log_position}, message {body['messageHash'][:18]}…"
    )
    if "hub" in body:
        hub = body["hub"]
        console.print(
            f"  hub block #{hub['number']} signed by {hub['signer']}: level {hub['level']}, "
            f"cross {hub['crossLevel']}"
        )
    else:
        console.print(f"  signed by sequencer {body['sequencer']}")


def _read_proof(proof_hex: str | None, file: Path | None) -> bytes:
    if (proof_hex is None) == (file is None):
        raise UsageError("give the proof as an argument (0x-hex) or with --file")
    if file is not None:
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {file}: {exc}") from None
        text = raw.strip()
        if text.startswith(b"0x"):
            proof_hex = text.decode("ascii", "replace")
        else:
            return raw
    assert proof_hex is not None
    try:
        return parse_hex(proof_hex.strip())
    except InterlaceError:
        raise UsageError("the proof is not hex") from None


def register(app: typer.Typer) -> None:
    """Add the user commands to the ``interlace`` app."""
    app.command("status")(status)
    app.command("balance")(balance)
    app.command("send")(send)
    app.add_typer(msg_app, name="msg")
    app.add_typer(proof_app, name="proof")
