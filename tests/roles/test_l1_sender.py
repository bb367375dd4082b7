"""The L1 sender alone: nonce order, resubmission, a dropped transaction, restore, inclusion."""

from collections.abc import Iterator

import pytest

from interlace.primitives.hashing import keccak256
from interlace.primitives.header import EMPTY_OMMERS_HASH, ZERO_NONCE, BlockHeader
from interlace.primitives.keys import private_key_from_seed
from interlace.primitives.mpt import EMPTY_TRIE_ROOT
from interlace.primitives.receipt import Receipt
from interlace.primitives.tx import Transaction, decode_transaction, sign_dynamic_fee
from interlace.primitives.types import U8, U64, U256, ZERO_HASH, Address, Bytes256, ChainId
from interlace.protocol.chain.block import Block
from interlace.roles.base import NodeId, PersistBatch, SendMessage, Timestamp
from interlace.roles.l1_sender import (
    Dropped,
    Included,
    L1Call,
    L1Sender,
    L1SenderParams,
    NotInFlight,
    Sent,
    TxState,
)
from interlace.roles.messages import SubmitL1Transaction

KEY = private_key_from_seed(b"l1-sender-test")
OTHER = private_key_from_seed(b"l1-sender-other")
L1_CHAIN = ChainId(900)
MODULE = Address(b"\x42" * 20)
PREFIX = b"snd/"


def params(**overrides: object) -> L1SenderParams:
    fields: dict[str, object] = {
        "key": KEY,
        "l1_chain_id": L1_CHAIN,
        "resubmit_after": 6.0,
        "l1_node": NodeId("l1"),
    }
    fields.update(overrides)
    return L1SenderParams(**fields)  # type: ignore[arg-type]


def call(data: bytes = b"\x01") -> L1Call:
    return L1Call(MODULE, data, gas_limit=100_000)


def at(seconds: float) -> Timestamp:
    return Timestamp(seconds)


def block(number: int, txs: tuple[bytes, ...], salt: bytes = b"") -> Block:
    header = BlockHeader(
        parent_hash=ZERO_HASH,
        ommers_hash=EMPTY_OMMERS_HASH,
        coinbase=Address(b"\xfe" * 20),
        state_root=keccak256(salt + number.to_bytes(8, "big")),
        transactions_root=EMPTY_TRIE_ROOT,
        receipts_root=EMPTY_TRIE_ROOT,
        logs_bloom=Bytes256(b"\x00" * 256),
        difficulty=U256(0),
        number=U64(number),
        gas_limit=U64(30_000_000),
        gas_used=U64(0),
        timestamp=U64(2 * number),
        extra_data=salt,
        prev_randao=ZERO_HASH,
        nonce=ZERO_NONCE,
        base_fee_per_gas=U256(1),
        withdrawals_root=EMPTY_TRIE_ROOT,
        blob_gas_used=U64(0),
        excess_blob_gas=U64(0),
        parent_beacon_block_root=ZERO_HASH,
    )
    decoded: tuple[Transaction, ...] = tuple(decode_transaction(raw) for raw in txs)
    return Block(header, decoded)


def receipts(count: int, *, success: bool = True) -> tuple[Receipt, ...]:
    return tuple(
        Receipt(U8(2), success, U64(21_000), Bytes256(b"\x00" * 256), ()) for _ in range(count)
    )


def sent_raw(sent: Sent) -> bytes:
    """The bytes ``sent`` puts on the wire (its last effect)."""
    message = sent.effects[-1]
    assert isinstance(message, SendMessage)
    assert message.to == NodeId("l1")
    assert isinstance(message.message, SubmitL1Transaction)
    return message.message.raw


class MemoryStore:
    """Just enough of a role store: applies ``PersistBatch`` writes."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}

    def apply(self, effects: tuple[object, ...]) -> None:
        for effect in effects:
            if isinstance(effect, PersistBatch):
                for key, value in effect.writes:
                    if value is None:
                        self.data.pop(key, None)
                    else:
                        self.data[key] = value

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def iterate_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return iter(sorted((k, v) for k, v in self.data.items() if k.startswith(prefix)))


def test_nonces_go_up_in_order_and_are_signed_by_the_account() -> None:
    sender = L1Sender(params())
    first = sender.submit("a", call(b"\x01"), at(0))
    second = sender.submit("b", call(b"\x02"), at(0))
    assert (first.tx.nonce, second.tx.nonce) == (0, 1)
    assert sender.next_nonce() == 2
    decoded = decode_transaction(sent_raw(second))
    assert decoded.sender == KEY.address
    assert decoded.nonce == 1
    assert decoded.to == MODULE
    assert [tx.tag for tx in sender.pending()] == ["a", "b"]
    assert first.effects == (first.effects[-1],)  # nothing persisted without a prefix


def test_inclusion_is_reported_once_and_moves_the_confirmed_nonce() -> None:
    sender = L1Sender(params())
    a = sender.submit("a", call(), at(0))
    b = sender.submit("b", call(), at(0))
    mined = block(1, (sent_raw(a), sent_raw(b)))
    included = sender.scan(1, mined, (*receipts(1), *receipts(1, success=False)))
    assert [type(i) for i in included] == [Included, Included]
    assert [(i.tx.tag, i.success, i.tx.l1_number) for i in included] == [
        ("a", True, 1),
        ("b", False, 1),
    ]
    assert sender.get(1) is not None and sender.get(1).state is TxState.REVERTED  # type: ignore[union-attr]
    assert sender.confirmed_nonce == 2 and sender.next_nonce() == 2
    assert sender.scan(1, mined, receipts(2)) == ()  # seen again: nothing new
    assert sender.confirmed_nonce == 2
    assert sender.pending() == ()


def test_other_accounts_and_unknown_own_transactions_count_only_towards_the_nonce() -> None:
    sender = L1Sender(params())
    foreign = sign_dynamic_fee(
        OTHER,
        chain_id=L1_CHAIN,
        nonce=0,
        to=MODULE,
        gas_limit=21_000,
        max_priority_fee_per_gas=1,
        max_fee_per_gas=10,
    ).raw
    earlier = L1Sender(params()).submit("lost", call(), at(0))  # sent before a restart
    assert sender.scan(3, block(3, (foreign, sent_raw(earlier))), receipts(2)) == ()
    assert sender.confirmed_nonce == 1
    assert sender.submit("next", call(), at(6)).tx.nonce == 1


def test_a_pending_transaction_is_due_after_resubmit_after_seconds_and_resent_as_is() -> None:
    sender = L1Sender(params(resubmit_after=6.0))
    sent = sender.submit("a", call(), at(2))
    assert sender.due(at(7.5)) == ()
    assert [tx.nonce for tx in sender.due(at(8))] == [0]
    again = sender.resend(0, at(8))
    assert sent_raw(again) == sent_raw(sent)  # the same bytes: it can land only once
    assert again.tx.sent_at == 8
    assert sender.due(at(13)) == ()


def test_replace_sends_another_call_at_the_same_nonce() -> None:
    sender = L1Sender(params())
    sent = sender.submit("a", call(b"\x01"), at(0))
    replaced = sender.replace(0, "a2", call(b"\x02"), at(1))
    assert replaced.tx.nonce == 0 and replaced.tx.tag == "a2"
    assert sent_raw(replaced) != sent_raw(sent)
    assert decode_transaction(sent_raw(replaced)).nonce == 0


def test_give_up_frees_the_nonce_once_nothing_pending_is_above_it() -> None:
    sender = L1Sender(params())
    sender.submit("a", call(b"\x01"), at(0))
    sender.submit("b", call(b"\x02"), at(0))
    sender.give_up(0)
    assert sender.next_nonce() == 2  # b still waits at 1: no nonce below it is reused
    sender.give_up(1)
    assert sender.submit("c", call(b"\x03"), at(1)).tx.nonce == 0
    with pytest.raises(NotInFlight):
        sender.give_up(7)


def test_an_included_transaction_is_not_resent() -> None:
    sender = L1Sender(params())
    sent = sender.submit("a", call(), at(0))
    sender.scan(1, block(1, (sent_raw(sent),)), receipts(1))
    assert sender.due(at(100)) == ()
    with pytest.raises(NotInFlight):
        sender.resend(0, at(100))


def test_a_reorg_drops_an_included_transaction_back_to_pending_and_due_at_once() -> None:
    sender = L1Sender(params())
    a = sender.submit("a", call(b"\x01"), at(0))
    b = sender.submit("b", call(b"\x02"), at(0))
    sender.scan(1, block(1, (sent_raw(a),)), receipts(1))
    sender.scan(2, block(2, (sent_raw(b),)), receipts(1))
    assert sender.confirmed_nonce == 2
    dropped = sender.forget_from(2)
    assert dropped == (Dropped(sender.get(1), 2),)  # type: ignore[arg-type]
    assert sender.confirmed_nonce == 1
    assert [tx.nonce for tx in sender.due(at(0))] == [1]  # the L1 node holds it no more
    assert sent_raw(sender.resend(1, at(3))) == sent_raw(b)
    # The replacing block without it: nothing is included; the next one holds it again.
    assert sender.scan(2, block(2, (), salt=b"fork"), ()) == ()
    assert [i.tx.nonce for i in sender.scan(3, block(3, (sent_raw(b),)), receipts(1))] == [1]
    assert sender.confirmed_nonce == 2


def test_finalized_transactions_are_forgotten() -> None:
    sender = L1Sender(params())
    a = sender.submit("a", call(b"\x01"), at(0))
    b = sender.submit("b", call(b"\x02"), at(0))
    sender.scan(1, block(1, (sent_raw(a),)), receipts(1))
    sender.scan(4, block(4, (sent_raw(b),)), receipts(1))
    sender.forget_final(3)
    assert [tx.nonce for tx in sender.transactions()] == [1]
    assert sender.next_nonce() == 2  # the confirmed nonce stays


def test_a_restarted_sender_restores_what_is_in_flight_from_its_store() -> None:
    store = MemoryStore()
    sender = L1Sender(params(store_prefix=PREFIX), store)
    a = sender.submit("a", call(b"\x01"), at(2))
    b = sender.submit("b", call(b"\x02"), at(4))
    assert isinstance(a.effects[0], PersistBatch)  # written before it goes out
    for sent in (a, b):
        store.apply(sent.effects)
    sender.scan(1, block(1, (sent_raw(a),)), receipts(1))
    assert sorted(store.data) == [PREFIX + (0).to_bytes(8, "big"), PREFIX + (1).to_bytes(8, "big")]
    store.apply(sender.forget_final(1))  # a's record goes with its finalization
    assert sorted(store.data) == [PREFIX + (1).to_bytes(8, "big")]
    restarted = L1Sender(params(store_prefix=PREFIX), store)
    assert [(tx.nonce, tx.tag, tx.sent_at, tx.state) for tx in restarted.transactions()] == [
        (1, "b", 4.0, TxState.PENDING)
    ]
    # Before the L1 re-sync the confirmed nonce is unknown; the re-sync brings it back.
    restarted.scan(1, block(1, (sent_raw(a),)), receipts(1))
    assert restarted.next_nonce() == 2
    assert [tx.nonce for tx in restarted.due(at(10))] == [1]
    assert sent_raw(restarted.resend(1, at(10))) == sent_raw(b)


def test_a_dropped_transaction_survives_a_restart_as_pending() -> None:
    store = MemoryStore()
    sender = L1Sender(params(store_prefix=PREFIX), store)
    a = sender.submit("a", call(), at(2))
    store.apply(a.effects)
    sender.scan(1, block(1, (sent_raw(a),)), receipts(1))
    sender.forget_from(1)
    restarted = L1Sender(params(store_prefix=PREFIX), store)
    assert [tx.state for tx in restarted.transactions()] == [TxState.PENDING]
    store.apply(restarted.give_up(0))
    assert store.data == {}


def test_a_nonce_seen_on_l1_is_not_signed_again_while_the_view_has_a_gap_below_it() -> None:
    # l1-reorg: the owner's view lacked the block holding nonce 0 but held nonce 1's, so a
    # count of its transactions said 1; signing at 1 again was refused as a double spend.
    sender = L1Sender(params())
    a = sender.submit("a", call(b"\x01"), at(0))
    b = sender.submit("b", call(b"\x02"), at(0))
    sender.scan(1, block(1, (sent_raw(a),)), receipts(1))
    sender.scan(2, block(2, (sent_raw(b),)), receipts(1))
    sender.forget_from(1)  # a reorg; the new block 1 is not here yet, the new block 2 is
    sender.give_up(0)
    sender.scan(2, block(2, (sent_raw(b),), salt=b"fork"), receipts(1))
    assert sender.confirmed_nonce == 1
    assert sender.submit("c", call(b"\x03"), at(4)).tx.nonce == 2
