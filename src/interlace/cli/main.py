"""Entry point of the ``interlace`` console script.

Each sub-command is a thin layer: it parses options, calls the library and
renders the result with rich (or as JSON with ``--json``). Errors from the
library arrive typed and are printed as one clear line with a hint, never a
traceback.
"""

import typer

from interlace import __version__
from interlace.cli import bridge, devnet, sim, token, user

app = typer.Typer(
    name="interlace",
    help="Interlace: an aggregation hub that makes many rollups feel like one chain.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(sim.app, name="sim")
app.add_typer(devnet.app, name="devnet")
user.register(app)
app.add_typer(bridge.app, name="bridge")
app.add_typer(token.app, name="token")


@app.command("version")
def version() -> None:
    """Print the Interlace version."""
    typer.echo(__version__)


if __name__ == "__main__":
    app()
