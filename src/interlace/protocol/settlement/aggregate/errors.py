"""Refusals of aggregates: bytes that are no aggregate, and aggregates refused as a whole
(each raised before the first write)."""

from interlace.primitives.errors import InputError, MalformedInput


class MalformedAggregate(MalformedInput):
    """Aggregate bytes that are not canonical RLP of a well-shaped aggregate."""


class AggregateRefused(InputError):
    """A well-formed aggregate refused as a whole; nothing of it settles."""


class WrongAggregateSigner(AggregateRefused):
    """The signature does not recover, or recovers a key other than the hub's."""


class AlreadySettled(AggregateRefused):
    """The aggregate repeats (or contradicts) a block at or below a chain's settled head."""


class StaleAggregate(AggregateRefused):
    """The aggregate's hub number is not above the last settled aggregate's."""
