"""``interlace token``: ERC-20 tokens on the devnet.

``create`` makes a token on L1 with the token factory (the whole supply is the creator's);
``balance`` reads a holder's balance of a token on any chain, naming the token by its
address there or by its L1 address (the bridge's wrapped token on a rollup keeps the L1
token's identity). Each takes ``--json``.
"""

from typing import Annotated

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
    _signer,
    console,
)
from interlace.client.errors import MessageNotFound

app = typer.Typer(help="ERC-20 tokens: make one on L1, read balances.", no_args_is_help=True)


@app.command("create")
def create(  # noqa: PLR0917 - one parameter per CLI option
    name: Annotated[str, typer.Option("--name", help="The token's name (at most 31 bytes).")],
    symbol: Annotated[str, typer.Option("--symbol", help="Its symbol (at most 31 bytes).")],
    supply: Annotated[int, typer.Option("--supply", help="Units made, all yours.")],
    decimals: Annotated[int, typer.Option("--decimals", help="Decimals (0-255).")] = 18,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """Make an ERC-20 token on L1 (TokenFactory.createToken)."""
    with _errors_as_one_line():
        if supply < 0 or not 0 <= decimals <= 255:
            raise UsageError("--supply must not be negative and --decimals must be 0-255")
        client = _client(data_dir)
        signer = _signer(client, key, account)
        address, receipt = client.tokens.create(signer, name, symbol, decimals, supply)
    if json_output:
        _echo_json(
            {
                "token": _hex(address),
                "name": name,
                "symbol": symbol,
                "decimals": decimals,
                "supply": str(supply),
                "creator": _hex(signer.address),
                "transactionHash": _hex(receipt.tx_hash),
                "blockNumber": receipt.block_number,
            }
        )
        return
    console.print(f"made {supply} {symbol} ({name}, {decimals} decimals) at {_hex(address)} on L1")


@app.command("balance")
def balance(  # noqa: PLR0917 - one parameter per CLI option
    token: Annotated[str, typer.Option("--token", help="The token: its address here or on L1.")],
    chain: Annotated[
        int | None, typer.Option("--chain", help="Chain id (default: L1).", show_default=False)
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="0x holder (default: you).", show_default=False)
    ] = None,
    key: KeyOption = None,
    account: AccountOption = 0,
    data_dir: DataDir = None,
    json_output: JsonFlag = False,
) -> None:
    """A holder's balance of a token on a chain."""
    with _errors_as_one_line():
        client = _client(data_dir)
        chain_id = chain if chain is not None else client.endpoints.l1_chain_id
        if chain_id is None:
            raise UsageError(f"{client.endpoints.source} lists no L1 node")
        holder = owner if owner is not None else _hex(_signer(client, key, account).address)
        units = client.tokens.balance(chain_id, token, holder)
        try:
            address = _hex(client.tokens.local_address(chain_id, token))
        except MessageNotFound:  # none of it was claimed on that chain yet: balance 0
            address = None
    if json_output:
        _echo_json({"chain": chain_id, "token": address, "owner": holder, "balance": str(units)})
        return
    console.print(f"{holder} holds {units} of {token} on chain {chain_id}")
