"""The root of Interlace's error tree and the errors every decoder and verifier shares.

Two roots sit under ``InterlaceError``, kept apart as h11 keeps
``LocalProtocolError`` and ``RemoteProtocolError``; every error class in the
package is under exactly one of them (``tests/primitives/test_errors.py``
walks them all, docs/architecture.md draws the tree):

- ``MisuseError``: the calling code is wrong (a bad argument, a call in a
  state that forbids it, a value past a documented limit, a role the
  simulator caught breaking its own rules). Fix the code; do not handle it
  at run time.
- ``InputError``: something outside the calling code is wrong, and the
  caller refuses it, reports it and carries on. Under it,
  ``MalformedInput`` means bytes from outside (a peer, L1, a file, an RPC
  caller) are not what their format says; the rest is well-formed input
  that breaks a rule (a bad signature or proof, an invalid transaction or
  block, an envelope the hub refuses, a move an L1 module refuses, a bad
  option or plan) or an outside resource that refuses (a port in use, a
  store another process holds, a node that does not answer).

Local argument checks in hot code still raise plain ``ValueError`` or
``TypeError``. Every decoder promises to raise nothing but
``InterlaceError`` subclasses on arbitrary bytes.
"""


class InterlaceError(Exception):
    """Root of every error Interlace raises on purpose."""


class MisuseError(InterlaceError):
    """The calling code misused Interlace: a programming error, not a run-time condition."""


class InputError(InterlaceError):
    """Input from outside the calling code is wrong, or an outside resource refuses."""


class MalformedInput(InputError):
    """Bytes from outside do not follow the format they claim to be in."""


class MalformedRLP(MalformedInput):
    """Not canonical RLP, or RLP of the wrong shape."""


class MalformedValue(MalformedInput):
    """A field is out of range or of the wrong length (a 33-byte hash, say)."""


class MalformedTransaction(MalformedInput):
    """A transaction's bytes do not decode to any known transaction type."""


class MalformedHeader(MalformedInput):
    """A block header's bytes do not decode to an Ethereum header."""


class MalformedReceipt(MalformedInput):
    """A receipt's bytes do not decode to an Ethereum (typed) receipt."""


class MalformedEnvelope(MalformedInput):
    """A signed block envelope's bytes do not decode to OP ``blocks/v3`` layout."""


class MalformedProof(MalformedInput):
    """A proof's bytes cannot be parsed as the proof format they claim."""


class InvalidSignature(InputError):
    """A signature is well formed but does not recover, or recovers the wrong key."""


class InvalidProof(InputError):
    """A well-formed proof does not prove its claim against the given root."""


class WrongChainId(InputError):
    """A signed object names a chain other than the one checking it."""
