"""Errors of the hashing package. Each names the file and what went wrong."""

from __future__ import annotations


class HashingError(Exception):
    """Base class: something made a digest or a copy impossible to trust."""


class SourceError(HashingError):
    """The source could not be read completely and unchanged."""


class SourceUnreadableError(SourceError):
    """The source cannot be opened or read (permissions, I/O error)."""


class SourceVanishedError(SourceError):
    """The source disappeared or its device went away mid-read (camera pulled out)."""


class ShortSourceError(SourceError):
    """The source gave fewer bytes than its size said (truncated under us)."""


class SourceGrewError(SourceError):
    """The source gave more bytes than its size said (still being written)."""


class SourceChangedError(SourceError):
    """The source's size or modification time changed while it was copied."""


class DestinationError(HashingError):
    """The destination could not be written or made durable (e.g. disk full)."""


class ManifestError(HashingError):
    """A manifest is malformed or inconsistent with itself."""
