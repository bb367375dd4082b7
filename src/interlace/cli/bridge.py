"""``interlace bridge``: ETH between L1 and the rollups through the unified bridge.

``deposit`` (L1 → rollup), ``send`` (rollup → rollup) and ``withdraw`` (rollup → L1) send
``bridgeAsset`` on the source; ``settle`` takes a rollup's local exit root into L1 with a
storage proof (needed before a rollup's exits can be claimed; nothing does it by itself
yet); ``status`` says which stage a transfer is in and what it waits for; ``claim`` sends
``claimAsset`` on the destination with the whole witness (docs/bridge.md). Each takes
``--json``.
"""

from typing import Annotated, Any

import typer

from interlace.cli.user import (
    AccountOption,
    DataDir,
    JsonFlag,
    KeyOption,
    UsageError,
    _client,
    _echo_json,
    _errors_as_one_line,
    _hex,
    _receipt_json,
    _signer,
    console,
    parse_amount,
)
from interlace.client import InterlaceClient
from interlace.client.bridge import BridgeStage, BridgeStatus, BridgeTransfer

app = typer.Typer(
    help="Move ETH between L1 and the rollups through the bridge.", no_args_is_help=True
)

TxOption = Annotated[str, typer.Option("--tx", help="Hash of the transaction that sent it.")]
SourceOption = Annotated[
    int | None,
    typer.Option("--chain", help="Chain it was sent on (default: L1).", show_default=False),
]
IndexOption = Annotated[int, typer.Option("--index", help="Which bridge exit of it (0 = first).")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait.")]
AmountOption = Annotated[
    str,
    typer.Option(
        "--amount", help="ETH to move (1eth, 2gwei, 1000), or with --token whole token units."
    ),
]
TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help="An ERC-20 token to move instead of ETH: its address here or on L1.",
        show_default=False,
    ),
]
RecipientOption = Annotated[
    str | None,
    typer.Option("--recipient", help="0x address on the destination (default: you)."),
]


def transfer_json(transfer: BridgeTransfer) -> dict[str, Any]:
    """A transfer as JSON, in the BridgeEvent's field names."""
    exit_ = transfer.exit
    return {
        "leafType": int(exit_.leaf_type),
        "originNetwork": exit_.token.origin_network,
        "originAddress": _hex(exit_.token.origin_address),
        "destinationNetwork": exit_.destination_network,
        "destinationAddress": _hex(exit_.destination_address),
        "amount": str(exit_.amount),
        "depositCount": transfer.leaf_index,
        "sourceChain": transfer.source_chain,
        "sourceNetwork": transfer.source_network,
        "transactionHash": _hex(transfer.tx),
        "blockNumber": transfer.block,
    }


def status_json(status: BridgeStatus) -> dict[str, Any]:
    """A transfer's stage as JSON."""
    root = status.global_exit_root
    return {
        "stage": status.stage.value,
        "destinationChain": status.destination_chain,
        "globalExitRoot": _hex(root) if root is not None else None,
        "waitingFor": status.waiting_for,
        "transfer": transfer_json(status.transfer),
    }


def _stage(text: str) -> BridgeStage:
    try:
        return BridgeStage(text)
    except ValueError:
        names = ", ".join(s.value for s in BridgeStage)
        raise UsageError(f"--wait must be one of {names}") from None


def _l1(client: InterlaceClient) -> int:
    chain = client.endpoints.l1_chain_id
    if chain is None:
        raise UsageError(f"{client.endpoints.source} lists no L1 node")
    return chain


def _send(  # noqa: PLR0917 - the three sending commands share it
    source: int | None,
    destination: int | None,
    amount: str,
    recipient: str | None,
    key: str | None,
    account: int,
    data_dir: Any,
    json_output: bool,
    token: str | None = None,
) -> None:
    with _errors_as_one_line():
        wei = parse_amount(amount) if token is None else _token_units(amount)
        if wei == 0:
            raise UsageError("--amount must be more than zero")
        client = _client(data_dir)
        signer = _signer(client, key, account)
        source_chain = _l1(client) if source is None else source
        destination_chain = _l1(client) if destination is None else destination
        made = client.bridge.send(
            signer, source_chain, destination_chain, wei, to=recipient, token=token
        )
    if json_output:
        _echo_json(transfer_json(made))
        return
    what = "wei" if made.exit.token.is_eth else f"units of {made.exit.token}"
    console.print(
        f"sent {made.exit.amount} {what} from {source_chain} to "
        f"{_hex(made.exit.destination_address)} on {destination_chain}: exit "
        f"{made.leaf_index} of network {made.source_network}, tx {_hex(made.tx)} in block "
        f"#{made.block}"
    )
    where = "" if source is None else f" --chain {source_chain}"
    console.print(f"claim it: interlace bridge claim{where} --tx {_hex(made.tx)} --wait")


def _token_units(text: str) -> int:
    try:
        value = int(text.replace("_", ""))
    except ValueError:
        raise UsageError(f"with --token, --amount is whole token units, not {text!r}") from None
    if value < 0:
        raise UsageError("--amount must not be negative")
    return value


@app.command("deposit")
def deposit(  # noqa: PLR0917 - one parameter per CLI option
    chain: Annotated[int, typer.Option("--to-chain", help="Destination rollup's chain id.")],
    amount: AmountOption,
    recipient: RecipientOption = None,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
    token: TokenOption = None,
) -> None:
    """Deposit ETH or a token from L1 to a rollup (bridgeAsset, recording a global exit
    root)."""
    _send(None, chain, amount, recipient, key, account, data_dir, json_output, token)


@app.command("send")
def send(  # noqa: PLR0917 - one parameter per CLI option
    source: Annotated[int, typer.Option("--from-chain", help="Source rollup's chain id.")],
    destination: Annotated[int, typer.Option("--to-chain", help="Destination chain id.")],
    amount: AmountOption,
    recipient: RecipientOption = None,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
    token: TokenOption = None,
) -> None:
    """Send ETH or a token from a rollup to another chain (bridgeAsset on the source)."""
    _send(source, destination, amount, recipient, key, account, data_dir, json_output, token)


@app.command("withdraw")
def withdraw(  # noqa: PLR0917 - one parameter per CLI option
    source: Annotated[int, typer.Option("--from-chain", help="Source rollup's chain id.")],
    amount: AmountOption,
    recipient: RecipientOption = None,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
    token: TokenOption = None,
) -> None:
    """Withdraw ETH or a token from a rollup to L1 (claimable once the block settles on L1)."""
    _send(source, None, amount, recipient, key, account, data_dir, json_output, token)


@app.command("settle")
def settle(
    chain: Annotated[int, typer.Option("--chain", help="The rollup whose root L1 takes in.")],
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Take a rollup's local exit root into L1 (settleLocalExitRoot with a storage proof)."""
    with _errors_as_one_line():
        client = _client(data_dir)
        receipt = client.bridge.settle(_signer(client, key, account), chain)
        root, number = client.bridge.settled_exit_root(chain)
    if json_output:
        out = _receipt_json(receipt) if receipt is not None else {}
        out.update({"localExitRoot": _hex(root), "settledBlock": number})
        _echo_json(out)
        return
    done = "already had" if receipt is None else "took"
    console.print(f"L1 {done} chain {chain}'s local exit root {_hex(root)} at block #{number}")


@app.command("status")
def status(  # noqa: PLR0917 - one parameter per CLI option
    tx: TxOption,
    source: SourceOption = None,
    index: IndexOption = 0,
    wait: Annotated[
        str | None, typer.Option("--wait", help="Wait for a stage (e.g. claimable).")
    ] = None,
    timeout: TimeoutOption = 60.0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Which stage a transfer is in: sent, in_global_exit_root, claimable, claimed."""
    with _errors_as_one_line():
        client = _client(data_dir)
        chain = _l1(client) if source is None else source
        if wait is not None:
            result = client.bridge.wait_for(chain, tx, _stage(wait), index=index, timeout=timeout)
        else:
            result = client.bridge.status(chain, tx, index)
    if json_output:
        _echo_json(status_json(result))
        return
    console.print(
        f"exit {result.transfer.leaf_index} of {result.transfer.source_chain} to "
        f"{result.destination_chain}: [bold]{result.stage.value}[/bold]"
    )
    if result.waiting_for:
        console.print(f"  waiting for: {result.waiting_for}")


@app.command("claim")
def claim(  # noqa: PLR0917 - one parameter per CLI option
    tx: TxOption,
    source: SourceOption = None,
    index: IndexOption = 0,
    wait: Annotated[
        bool, typer.Option("--wait/--no-wait", help="Wait until claimable, then claim.")
    ] = False,
    timeout: TimeoutOption = 60.0,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Claim a transfer on its destination (claimAsset with the witness built from L1)."""
    with _errors_as_one_line():
        client = _client(data_dir)
        signer = _signer(client, key, account)
        chain = _l1(client) if source is None else source
        if wait:
            client.bridge.wait_for(chain, tx, BridgeStage.CLAIMABLE, index=index, timeout=timeout)
        receipt = client.bridge.claim(signer, chain, tx, index)
    if json_output:
        _echo_json(_receipt_json(receipt))
        return
    console.print(
        f"claimed on {receipt.chain_id}: tx {_hex(receipt.tx_hash)} in block "
        f"#{receipt.block_number}"
    )
