"""World state: accounts in a secure Merkle-Patricia trie, storage in one trie per account.

An account is RLP[nonce, balance, storageRoot, codeHash], exactly as
Ethereum stores it, so an ``eth_getProof`` answer from our nodes verifies
with any Ethereum tool. Storage values are RLP of the minimal big-endian
integer, as in Ethereum. Reads and writes go through a write-back cache and
a journal: ``checkpoint``/``revert_to`` undo a failed call cheaply, and
``state_root`` flushes the cache into the tries. ``copy`` is cheap because
the tries share structure. ``from_tries`` builds a state over other tries
(a witness's ``PartialTrie``s, for stateless re-execution); a full node's
state always holds ``Trie``s.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from interlace.primitives.hashing import EMPTY_KECCAK
from interlace.primitives.mpt import EMPTY_TRIE_ROOT, Trie
from interlace.primitives.rlp_codec import (
    decode_rlp,
    encode_rlp,
    encode_uint,
    read_bytes,
    read_hash32,
    read_list,
    read_u64,
    read_u256,
)
from interlace.primitives.types import U64, U256, Address, Hash32


@dataclass(frozen=True, slots=True)
class Account:
    """One account as the state trie stores it."""

    nonce: U64 = U64(0)
    """Number of transactions sent (deposits included)."""
    balance: U256 = U256(0)
    """Balance in wei."""
    storage_root: Hash32 = EMPTY_TRIE_ROOT
    """Root of this account's storage trie."""
    code_hash: Hash32 = EMPTY_KECCAK
    """keccak of the code; native modules carry the hash of a marker, see ``modules``."""


EMPTY_ACCOUNT: Final = Account()


def encode_account(account: Account) -> bytes:
    """RLP[nonce, balance, storageRoot, codeHash]."""
    root, code_hash = account.storage_root, account.code_hash
    if len(root) != 32 or len(code_hash) != 32 or account.balance >> 256 or account.nonce >> 64:
        return _encode_account_readable(account)  # out-of-type fields: the general encoder
    # Written out, as every touched account of every block is encoded: the two
    # hashes make the payload 68 to 108 bytes, so the list prefix is 0xf8 ‖ length.
    payload = b"".join(
        (_rlp_uint(account.nonce), _rlp_uint(account.balance), b"\xa0", root, b"\xa0", code_hash)
    )
    return b"\xf8" + bytes((len(payload),)) + payload


def _encode_account_readable(account: Account) -> bytes:
    """``encode_account`` by the general RLP encoder; the tests hold both to pyrlp."""
    return encode_rlp(
        [
            encode_uint(account.nonce),
            encode_uint(account.balance),
            account.storage_root,
            account.code_hash,
        ]
    )


def _rlp_uint(value: int) -> bytes:
    """RLP of an unsigned integer of at most 55 bytes."""
    if value < 0x80:
        return bytes((value,)) if value else b"\x80"
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return bytes((0x80 + len(raw),)) + raw


def decode_account(raw: bytes) -> Account:
    """Inverse of ``encode_account``; raises ``MalformedRLP``."""
    fields = read_list(decode_rlp(raw), 4, "account")
    return Account(
        nonce=read_u64(fields[0], "nonce"),
        balance=read_u256(fields[1], "balance"),
        storage_root=read_hash32(fields[2], "storageRoot"),
        code_hash=read_hash32(fields[3], "codeHash"),
    )


def is_empty_account(account: Account) -> bool:
    """EIP-161 emptiness: no nonce, no balance, no code (storage cannot exist without code)."""
    return account.nonce == 0 and account.balance == 0 and account.code_hash == EMPTY_KECCAK


_MISSING: Final = object()


class StateTrie(Protocol):
    """What the world state needs of a trie: a ``Trie``, or a copyable ``PartialTrie`` subclass."""

    def get(self, key: bytes) -> bytes | None:
        """Value at ``key``, or ``None``."""

    def set(self, key: bytes, value: bytes) -> None:
        """Store ``value`` at ``key``; an empty value deletes the key."""

    def delete(self, key: bytes) -> None:
        """Remove ``key`` if present."""

    def root(self) -> Hash32:
        """Root hash."""

    def copy(self) -> "StateTrie":
        """An independent snapshot."""


StorageOpener = Callable[[Address, Hash32], StateTrie]
"""Supplies an account's storage trie from its address and storage root."""


class WorldState:
    """Mutable world state with a journal; see the module docstring."""

    __slots__ = (
        "_accounts",
        "_clean_accounts",
        "_clean_storage",
        "_dirty_accounts",
        "_dirty_storage",
        "_journal",
        "_open_storage",
        "_storage",
    )

    def __init__(self) -> None:
        self._accounts: StateTrie = Trie(secure=True)
        self._storage: dict[Address, StateTrie] = {}
        self._open_storage: StorageOpener | None = None
        """Set by ``from_tries``: where a storage trie not yet held comes from."""
        self._dirty_accounts: dict[Address, Account] = {}
        self._dirty_storage: dict[tuple[Address, bytes], int] = {}
        self._journal: list[tuple[int, object, object]] = []
        self._clean_accounts: dict[Address, Account] = {}
        """Decoded accounts as the trie holds them (a read cache; writes go to the dirty map)."""
        self._clean_storage: dict[tuple[Address, bytes], int] = {}
        """Storage words as the tries hold them (a read cache, like ``_clean_accounts``)."""

    @classmethod
    def from_tries(cls, accounts: StateTrie, storage: StorageOpener) -> "WorldState":
        """A state over ``accounts``, opening each account's storage trie with ``storage``.

        ``storage(address, storage_root)`` is called the first time an
        account's storage is read or written, with the root its account
        holds. Stateless re-execution passes ``PartialTrie``s over a witness,
        so every read goes through a trie the witness covers.
        """
        state = cls()
        state._accounts = accounts
        state._open_storage = storage
        return state

    # ---- accounts -----------------------------------------------------------

    def get_account(self, address: Address) -> Account:
        """The account at ``address`` (an empty one if absent)."""
        cached = self._dirty_accounts.get(address) or self._clean_accounts.get(address)
        if cached is not None:
            return cached
        raw = self._accounts.get(address)
        account = EMPTY_ACCOUNT if raw is None else decode_account(raw)
        self._clean_accounts[address] = account
        return account

    def set_account(self, address: Address, account: Account) -> None:
        """Replace the account at ``address`` (journaled)."""
        self._journal.append((0, address, self._dirty_accounts.get(address, _MISSING)))
        self._dirty_accounts[address] = account

    # ---- storage ------------------------------------------------------------

    def get_storage(self, address: Address, slot: bytes) -> int:
        """The 256-bit word at ``slot`` (32 bytes) of ``address``'s storage."""
        key = (address, slot)
        cached = self._dirty_storage.get(key)
        if cached is None:
            cached = self._clean_storage.get(key)
        if cached is not None:
            return cached
        trie = self._storage.get(address)
        if trie is None and self._open_storage is not None:
            trie = self._opened_storage(address)
        raw = None if trie is None else trie.get(slot)
        value = 0 if raw is None else int.from_bytes(read_bytes(decode_rlp(raw)), "big")
        self._clean_storage[key] = value
        return value

    def set_storage(self, address: Address, slot: bytes, value: int) -> None:
        """Write one storage word (journaled); zero deletes the slot."""
        key = (address, slot)
        self._journal.append((1, key, self._dirty_storage.get(key, _MISSING)))
        self._dirty_storage[key] = value

    # ---- journal ------------------------------------------------------------

    def checkpoint(self) -> int:
        """A mark to revert to."""
        return len(self._journal)

    def revert_to(self, mark: int) -> None:
        """Undo every write since ``mark``."""
        journal = self._journal
        while len(journal) > mark:
            kind, key, old = journal.pop()
            table: dict[object, object] = self._dirty_accounts if kind == 0 else self._dirty_storage  # type: ignore[assignment]
            if old is _MISSING:
                del table[key]
            else:
                table[key] = old

    # ---- commitment ---------------------------------------------------------

    def state_root(self) -> Hash32:
        """Flush cached writes into the tries and return the state root."""
        self._flush()
        return self._accounts.root()

    def storage_trie(self, address: Address) -> Trie:
        """The (flushed) storage trie of ``address``, for proofs."""
        self._flush()
        trie = self._storage.get(address) or Trie(secure=True)
        if self._open_storage is not None or not isinstance(trie, Trie):
            raise TypeError("a state built by from_tries holds no full storage tries")
        return trie

    def account_trie(self) -> Trie:
        """The (flushed) account trie, for proofs."""
        self._flush()
        if not isinstance(self._accounts, Trie):
            raise TypeError("a state built by from_tries holds no full account trie")
        return self._accounts

    def _opened_storage(self, address: Address) -> StateTrie:
        """Open (``from_tries``) or start the storage trie of ``address``, which is not held yet."""
        if self._open_storage is None:
            trie: StateTrie = Trie(secure=True)
        else:
            trie = self._open_storage(address, self.get_account(address).storage_root)
        self._storage[address] = trie
        return trie

    def _flush(self) -> None:
        if not self._dirty_accounts and not self._dirty_storage:
            return
        # Writes that leave a value as the trie holds it are skipped: most blocks
        # rewrite the same L1 origin words, and an unchanged trie keeps its hashes.
        clean_storage = self._clean_storage
        # Ordered (not a set): the trie operations below must run in the same order in
        # every process, so a witness recorded by one replays in another.
        touched_storage: dict[Address, None] = {}
        for key, value in self._dirty_storage.items():
            if clean_storage.get(key, -1) == value:
                continue
            address, slot = key
            trie = self._storage.get(address)
            if trie is None:
                trie = self._opened_storage(address)
            trie.set(slot, encode_rlp(encode_uint(value)) if value else b"")
            clean_storage[key] = value
            touched_storage[address] = None
        for address in touched_storage:
            account = self._dirty_accounts.get(address) or self.get_account(address)
            self._dirty_accounts[address] = Account(
                account.nonce, account.balance, self._storage[address].root(), account.code_hash
            )
        clean_accounts = self._clean_accounts
        for address, account in self._dirty_accounts.items():
            if clean_accounts.get(address) == account:
                continue
            if is_empty_account(account) and account.storage_root == EMPTY_TRIE_ROOT:
                self._accounts.delete(address)
                self._clean_accounts[address] = EMPTY_ACCOUNT
            else:
                self._accounts.set(address, encode_account(account))
                self._clean_accounts[address] = account
        self._dirty_accounts.clear()
        self._dirty_storage.clear()
        self._journal.clear()

    @property
    def cached_reads(self) -> int:
        """Accounts and storage words the read caches hold."""
        return len(self._clean_accounts) + len(self._clean_storage)

    def release_read_cache(self) -> None:
        """Drop the read caches: reads go to the tries again, with the same results.

        A chain calls this on a state that stopped being its head. Only the head is
        copied for the next block, so only its cache is worth keeping; every kept
        older state holding its own copy of it made memory grow with history.
        """
        self._clean_accounts = {}
        self._clean_storage = {}

    def copy(self) -> "WorldState":
        """An independent copy (flushes first; tries share structure)."""
        self._flush()
        other = WorldState()
        other._accounts = self._accounts.copy()
        other._storage = {a: t.copy() for a, t in self._storage.items()}
        other._open_storage = self._open_storage
        if len(self._clean_accounts) <= 4096:  # bounded: copy() runs once per block
            other._clean_accounts = self._clean_accounts.copy()
        if len(self._clean_storage) <= 4096:
            other._clean_storage = self._clean_storage.copy()
        return other

    # ---- convenience --------------------------------------------------------

    def balance_of(self, address: Address) -> U256:
        """Balance of ``address``."""
        return self.get_account(address).balance

    def add_balance(self, address: Address, amount: int) -> None:
        """Credit ``amount`` wei."""
        account = self.get_account(address)
        self.set_account(
            address,
            Account(
                account.nonce,
                U256(account.balance + amount),
                account.storage_root,
                account.code_hash,
            ),
        )

    def sub_balance(self, address: Address, amount: int) -> None:
        """Debit ``amount`` wei; the caller has checked that it is covered."""
        account = self.get_account(address)
        assert account.balance >= amount
        self.set_account(
            address,
            Account(
                account.nonce,
                U256(account.balance - amount),
                account.storage_root,
                account.code_hash,
            ),
        )

    def bump_nonce(self, address: Address) -> None:
        """Increment the nonce of ``address``."""
        account = self.get_account(address)
        self.set_account(
            address,
            Account(
                U64(account.nonce + 1), account.balance, account.storage_root, account.code_hash
            ),
        )
