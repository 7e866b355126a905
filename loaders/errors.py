"""Errors whose message is the one line a user sees.

The command line prints ``str(error)`` on stderr and exits 2; the dashboard shows
it in an error box. Never put a traceback or a repr in the message.
"""


class RoutemapError(Exception):
    """Base class: the input cannot be used, and the message says why in one line."""


class UnreadableFileError(RoutemapError):
    """The file is empty, binary, corrupt, or not in the format its name claims."""


class LimitExceededError(RoutemapError):
    """The file is larger than the configured limits (bytes, rows, decompressed size)."""


class SchemaError(RoutemapError):
    """The file reads, but no layout fits its columns, or an override names missing columns."""
