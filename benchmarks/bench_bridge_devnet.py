"""The bridge on the live devnet: how long ETH takes to become claimable, by route.

A default devnet (L1 at 1 s blocks; 901 optimistic, 902 validity, both with settlement)
is started in a temporary directory, and ``--count`` transfers of each route are made one
after another with the SDK (``client.bridge``), as a user would:

1. **L1 → 902** (``deposit``): from the L1 receipt to ``claimable`` on 902 (the rollup
   adopts the L1 block that recorded the global exit root as an L1Origin).
2. **902 → L1** (``withdraw``): from the 902 receipt to ``claimable`` on L1, with nobody
   calling ``settle``: 902's settler (``bridge-902``) takes its local exit root in with the
   certificate once a hub aggregate settles a block at or above the exit (902's proof,
   then the aggregate).
3. **902 → 901** (``send``): from the 902 receipt to ``claimable`` on 901 (settlement as
   in 2, then 901 adopts the recording L1 block).
4. **902 → 901, an ERC-20 token** made on L1 and deposited to 902 first: the same route
   for a token (burnt on 902, minted on 901 as the same wrapped token).

Each is reported as p50/p99 seconds and in L1 block times, the reference measured in the
same run (the mean interval of the L1 blocks seen during the run). The fast path through
hub blocks is not built, so rollup → rollup goes through L1 settlement.

Run: ``python benchmarks/bench_bridge_devnet.py [--count 10]``
"""

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from interlace.client import InterlaceClient, load_key
from interlace.client.bridge import BridgeStage, BridgeTransfer
from interlace.client.errors import ClientError
from interlace.runtime.live.supervisor import running_devnet

L1, VALIDITY, OPTIMISTIC = 900, 902, 901
POLL = 0.05
TIMEOUT = 120.0


def time_to_claimable(
    client: InterlaceClient,
    transfer: BridgeTransfer,
    settle_chain: int | None,
    key_hex: str,
) -> float:
    """Seconds from now (just after the source receipt) until the transfer is claimable,
    settling ``settle_chain``'s exit root on L1 whenever that is what it waits for."""
    key = load_key(key_hex)
    start = time.monotonic()
    while time.monotonic() - start < TIMEOUT:
        status = client.bridge.status(transfer.source_chain, transfer.tx)
        if status.stage in (BridgeStage.CLAIMABLE, BridgeStage.CLAIMED):
            return time.monotonic() - start
        if settle_chain is not None and status.stage is BridgeStage.SENT:
            with contextlib.suppress(ClientError):  # not settled on L1 yet: poll again
                client.bridge.settle(key, settle_chain)
        time.sleep(POLL)
    raise TimeoutError(f"transfer {transfer.tx.hex()} not claimable after {TIMEOUT} s")


def measure(
    count: int, send: Callable[[], BridgeTransfer], wait: Callable[[BridgeTransfer], float]
) -> list[float]:
    """``count`` transfers one after another; each one's seconds to claimable."""
    return [wait(send()) for _ in range(count)]


def l1_block_time(client: InterlaceClient, first: int, last: int) -> float:
    """Mean seconds between L1 blocks ``first`` … ``last`` (their timestamps)."""
    l1 = client.l1()
    a, b = l1.block(first), l1.block(last)
    assert a is not None and b is not None
    return (int(b["timestamp"], 16) - int(a["timestamp"], 16)) / max(1, last - first)


def report(name: str, seconds: list[float], block: float) -> None:
    """One line: p50/p99 in seconds and in L1 block times."""
    ordered = sorted(seconds)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    print(
        f"{name}: p50 {p50:.2f} s ({p50 / block:.1f} L1 blocks), p99 {p99:.2f} s "
        f"({p99 / block:.1f} L1 blocks) over {len(seconds)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_devnet(Path(tmp) / "devnet") as devnet:
        time.sleep(3)  # let the L1 origin move past genesis
        client = InterlaceClient.from_data_dir(devnet.data_dir)
        key_hex = client.endpoints.accounts[0].private_key
        key = load_key(key_hex)
        first_l1 = client.l1().block_number()
        amount = 10**15

        def deposit() -> BridgeTransfer:
            return client.bridge.send(key, L1, VALIDITY, 10 * amount)

        deposits = measure(
            args.count, deposit, lambda t: time_to_claimable(client, t, None, key_hex)
        )
        # fund the withdrawals and transfers on 902 through the bridge (only what came in
        # through it can leave by it), and a token
        token, _receipt = client.tokens.create(key, "Bench Token", "BENCH", 6, 10**24)
        for send_token in (None, None, token):
            made = client.bridge.send(key, L1, VALIDITY, args.count * 10 * amount, token=send_token)
            client.bridge.wait_for(L1, made.tx, BridgeStage.CLAIMABLE, timeout=TIMEOUT)
            client.bridge.claim(key, L1, made.tx)

        def withdraw() -> BridgeTransfer:
            return client.bridge.send(key, VALIDITY, L1, amount)

        def to_optimistic() -> BridgeTransfer:
            return client.bridge.send(key, VALIDITY, OPTIMISTIC, amount)

        def token_to_optimistic() -> BridgeTransfer:
            return client.bridge.send(key, VALIDITY, OPTIMISTIC, amount, token=token)

        def automatic(transfer: BridgeTransfer) -> float:
            return time_to_claimable(client, transfer, None, key_hex)

        withdrawals = measure(args.count, withdraw, automatic)
        transfers = measure(args.count, to_optimistic, automatic)
        token_transfers = measure(args.count, token_to_optimistic, automatic)
        block = l1_block_time(client, first_l1, client.l1().block_number())
    print(f"L1 block time measured in the run: {block:.2f} s")
    report("L1 -> 902 deposit to claimable", deposits, block)
    report("902 -> L1 withdrawal to claimable (the settler settles)", withdrawals, block)
    report("902 -> 901 transfer to claimable (through L1 settlement)", transfers, block)
    report("902 -> 901 token transfer to claimable (the same route)", token_transfers, block)


if __name__ == "__main__":
    main()
