"""``interlace bridge``: ETH from L1 to a rollup through the unified bridge.

``deposit`` sends ``bridgeAsset`` on L1, ``status`` says which stage a deposit is in and
what it waits for, ``claim`` sends ``claimAsset`` on the destination rollup with the whole
witness assembled from L1 (docs/bridge.md). Each takes ``--json``.
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
from interlace.client.bridge import BridgeDeposit, BridgeStage, BridgeStatus

app = typer.Typer(
    help="Move ETH between L1 and the rollups through the bridge.", no_args_is_help=True
)

TxOption = Annotated[str, typer.Option("--tx", help="Hash of the L1 transaction that deposited.")]
IndexOption = Annotated[int, typer.Option("--index", help="Which bridge exit of it (0 = first).")]
TimeoutOption = Annotated[float, typer.Option("--timeout", help="Seconds to wait.")]


def deposit_json(deposit: BridgeDeposit) -> dict[str, Any]:
    """A deposit as JSON, in the BridgeEvent's field names."""
    exit_ = deposit.exit
    return {
        "leafType": int(exit_.leaf_type),
        "originNetwork": exit_.token.origin_network,
        "originAddress": _hex(exit_.token.origin_address),
        "destinationNetwork": exit_.destination_network,
        "destinationAddress": _hex(exit_.destination_address),
        "amount": str(exit_.amount),
        "depositCount": deposit.leaf_index,
        "transactionHash": _hex(deposit.l1_tx),
        "blockNumber": deposit.l1_block,
    }


def status_json(status: BridgeStatus) -> dict[str, Any]:
    """A deposit's stage as JSON."""
    root = status.global_exit_root
    return {
        "stage": status.stage.value,
        "chainId": status.chain_id,
        "globalExitRoot": _hex(root) if root is not None else None,
        "waitingFor": status.waiting_for,
        "deposit": deposit_json(status.deposit),
    }


def _stage(text: str) -> BridgeStage:
    try:
        return BridgeStage(text)
    except ValueError:
        names = ", ".join(s.value for s in BridgeStage)
        raise UsageError(f"--wait must be one of {names}") from None


@app.command("deposit")
def deposit(  # noqa: PLR0917 - one parameter per CLI option
    chain: Annotated[int, typer.Option("--to-chain", help="Destination rollup's chain id.")],
    amount: Annotated[str, typer.Option("--amount", help="ETH to move: 1eth, 2gwei, 1000.")],
    recipient: Annotated[
        str | None, typer.Option("--recipient", help="0x address on the rollup (default: you).")
    ] = None,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Deposit ETH from L1 to a rollup (bridgeAsset, recording a global exit root)."""
    with _errors_as_one_line():
        wei = parse_amount(amount)
        if wei == 0:
            raise UsageError("--amount must be more than zero")
        client = _client(data_dir)
        signer = _signer(client, key, account)
        made = client.bridge.deposit(signer, chain, wei, to=recipient)
    if json_output:
        _echo_json(deposit_json(made))
        return
    console.print(
        f"deposited {made.exit.amount} wei to {_hex(made.exit.destination_address)} on {chain} "
        f"(network {made.exit.destination_network}): exit {made.leaf_index} of L1, "
        f"tx {_hex(made.l1_tx)} in L1 block #{made.l1_block}"
    )
    console.print(f"claim it: interlace bridge claim --tx {_hex(made.l1_tx)} --wait")


@app.command("status")
def status(  # noqa: PLR0917 - one parameter per CLI option
    tx: TxOption,
    index: IndexOption = 0,
    wait: Annotated[
        str | None, typer.Option("--wait", help="Wait for a stage (e.g. claimable).")
    ] = None,
    timeout: TimeoutOption = 60.0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Which stage a deposit is in: on_l1, in_global_exit_root, claimable, claimed."""
    with _errors_as_one_line():
        client = _client(data_dir)
        if wait is not None:
            result = client.bridge.wait_for(tx, _stage(wait), index=index, timeout=timeout)
        else:
            result = client.bridge.status(tx, index)
    if json_output:
        _echo_json(status_json(result))
        return
    console.print(
        f"exit {result.deposit.leaf_index} of L1 to {result.chain_id}: "
        f"[bold]{result.stage.value}[/bold]"
    )
    if result.waiting_for:
        console.print(f"  waiting for: {result.waiting_for}")


@app.command("claim")
def claim(  # noqa: PLR0917 - one parameter per CLI option
    tx: TxOption,
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
    """Claim an L1 deposit on its rollup (claimAsset with the witness built from L1)."""
    with _errors_as_one_line():
        client = _client(data_dir)
        signer = _signer(client, key, account)
        if wait:
            client.bridge.wait_for(tx, BridgeStage.CLAIMABLE, index=index, timeout=timeout)
        receipt = client.bridge.claim(signer, tx, index)
    if json_output:
        _echo_json(_receipt_json(receipt))
        return
    console.print(
        f"claimed on {receipt.chain_id}: tx {_hex(receipt.tx_hash)} in block "
        f"#{receipt.block_number}"
    )
