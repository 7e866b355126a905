"""Files the command line writes: checked before any work, then written whole or not at all.

A file is written to a temporary name beside it and renamed into place, so a reader
never sees half a map and a failed run leaves the old file as it was. That rename must
not land on the wrong thing:

- a symbolic link is followed: its target gets the new file, the link stays a link;
- something that is not a regular file (``/dev/stdout``, a pipe, ``/dev/full``) is
  written to directly, as any tool would, so ``-o /dev/stdout`` pipes the map out and a
  full device fails with its own error (a rename replaced the device node itself);
- no output may name the input file or another output (``--flows-csv data.csv`` on
  ``data.csv`` replaced the data with the flows, exit 0).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from loaders.errors import RoutemapError


class OutputError(RoutemapError):
    """An output path that cannot be written as asked."""


def is_special_file(path: Path) -> bool:
    """True for an existing path (after links) that is not a regular file or a folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check_outputs(outputs: Iterable[tuple[str, str | Path | None]],
                  source: str | Path | None = None) -> None:
    """Refuse, in one line, outputs that name a folder, the input file or each other.

    ``outputs`` are (option, path) pairs; a None path is an output not asked for.
    """
    seen: list[tuple[str, Path]] = []
    for option, value in outputs:
        if value is None:
            continue
        path = Path(value)
        if not path.name or path.is_dir():
            raise OutputError(f"{option} must name a file to write, not a folder: "
                              f"{str(value)!r}")
        if source is not None and not is_special_file(path) and _same_file(path, Path(source)):
            raise OutputError(f"{option} names the input file itself ({path.name}): it "
                              "would be replaced; give another name")
        for other, earlier in seen:
            if not is_special_file(path) and _same_file(path, earlier):
                raise OutputError(f"{other} and {option} name the same file ({path.name}): "
                                  "one would replace the other; give each its own name")
        seen.append((option, path))


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """``write(p)`` the file at ``path`` so it appears whole or not at all (see above).

    Returns ``path``. The folder is made if missing.
    """
    path = Path(path)
    if is_special_file(path):
        try:
            write(path)  # a device or a pipe: written through, never replaced
        except OSError as error:  # say which file, as the messages on stderr do
            if error.filename or not error.errno:
                raise
            raise OSError(error.errno, error.strerror, str(path)) from error
        return path
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
