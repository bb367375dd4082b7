"""Typed errors shared by every decoder and verifier in ``interlace.primitives``.

Two families are kept apart, as h11 does: ``MalformedInput`` means bytes from
outside (a peer, a file, an RPC caller) are not what the format says, and
``InvalidProof``/``InvalidSignature`` mean well-formed input that does not
prove what it claims. Misuse by local code raises plain ``ValueError`` or
``TypeError``. Every decoder promises to raise nothing but
``InterlaceError`` subclasses on arbitrary bytes.
"""


class InterlaceError(Exception):
    """Root of every error Interlace raises on purpose."""


class MalformedInput(InterlaceError):
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


class InvalidSignature(InterlaceError):
    """A signature is well formed but does not recover, or recovers the wrong key."""


class InvalidProof(InterlaceError):
    """A well-formed proof does not prove its claim against the given root."""


class WrongChainId(InterlaceError):
    """A signed object names a chain other than the one checking it."""
