"""Memory a one-off command reuses instead of asking the kernel for it again.

A million-row ``routemap map`` allocates and frees a few hundred megabytes of numpy
arrays. By default glibc hands large freed blocks back to the kernel at once, and the
next array of that size is mapped afresh: the kernel zero-fills each 4 KiB page on first
touch. On the 2-core reference machine that was about 100,000 page faults (0.1 s) in
the aggregation alone, a third of its time.

Two measures, for the command line's one-off commands only (``check``, ``geocode``,
``map``; never the long-running server, which should give memory back):

- :func:`keep_freed_memory` tells glibc to keep freed memory for reuse, in one heap
  shared by all threads. The process exits seconds later, which gives it all back.
- :func:`touch_ahead` grows that heap by a given size on another thread and frees it:
  the kernel's zero-filling is done on the idle core while the main thread parses the
  routes, and the aggregation's arrays then land on pages already touched.

Both do nothing where the C library is not glibc (macOS, Windows, musl).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MADV_POPULATE_WRITE = 23  # Linux 5.14+: fault a range in with one call, not per page
# glibc's ceiling for the mmap threshold on 64-bit: larger blocks are always mapped anew
MMAP_THRESHOLD_MAX = 32 << 20
KEEP_FREED = 2**31 - 1  # the largest trim threshold: the heap's free top stays
CHUNK = 16 << 20  # under the mmap threshold, so each chunk comes from the heap
TOUCH_SHARE_OF_AVAILABLE = 0.25  # never touch more than this share of free memory

_libc = None
_keeping = False  # keep_freed_memory() took effect in this process


def _glibc():
    """glibc, loaded once; None elsewhere."""
    global _libc
    if _libc is None:
        try:
            if not os.confstr("CS_GNU_LIBC_VERSION"):
                raise OSError
        except (AttributeError, ValueError, OSError):
            _libc = False
        else:
            import ctypes

            try:
                lib = ctypes.CDLL("libc.so.6", use_errno=True)
            except OSError:
                _libc = False
            else:
                lib.malloc.restype = ctypes.c_void_p
                lib.malloc.argtypes = [ctypes.c_size_t]
                lib.free.argtypes = [ctypes.c_void_p]
                lib.memset.restype = ctypes.c_void_p
                lib.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
                lib.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
                lib.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
                _libc = lib
    return _libc or None


def keep_freed_memory() -> bool:
    """Keep freed memory in one heap for reuse until exit; True where that took effect.

    - one arena: memory freed on a worker thread is reused by the main thread;
    - blocks up to 32 MiB come from the heap, not from a fresh mapping each;
    - the heap's free top is never trimmed back to the kernel.
    """
    global _keeping
    libc = _glibc()
    if libc is None:
        return False
    set_all = (libc.mallopt(_M_ARENA_MAX, 1), libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX),
               libc.mallopt(_M_TRIM_THRESHOLD, KEEP_FREED))
    _keeping = all(set_all)
    return _keeping


def touch_ahead(nbytes: int, after: Callable[[], object] | None = None
                ) -> threading.Thread | None:
    """Grow the heap by about ``nbytes`` (at most a quarter of the memory available),
    touching every page, on another thread; then free it for the next allocations.

    Does nothing unless :func:`keep_freed_memory` took effect: the freed memory would
    go straight back. ctypes releases the interpreter lock around each C call, so the
    caller's thread runs on meanwhile. ``after``, when given, is called on that thread
    first: the touching waits for it (for the core to come free). Returns the thread, or
    None when there is nothing to do.
    """
    libc = _glibc()
    if libc is None or not _keeping:
        return None
    nbytes = min(nbytes, int(available_memory() * TOUCH_SHARE_OF_AVAILABLE))
    if nbytes < CHUNK:
        return None

    page = os.sysconf("SC_PAGE_SIZE")

    def touch() -> None:
        if after is not None:
            after()
        blocks = []
        populate = True
        try:
            for _ in range(nbytes // CHUNK):
                block = libc.malloc(CHUNK)
                if not block:
                    break
                blocks.append(block)
                # the kernel's own prefault costs half a write to every byte (0.08 s
                # against 0.15 s for 256 MiB here); older kernels refuse it: write then
                start, end = -(-block // page) * page, (block + CHUNK) // page * page
                populate = populate and libc.madvise(start, end - start,
                                                     _MADV_POPULATE_WRITE) == 0
                if not populate:
                    libc.memset(block, 0, CHUNK)
        finally:
            # freed newest first, they join the heap's free top as one block
            for block in reversed(blocks):
                libc.free(block)

    thread = threading.Thread(target=touch, name="routemap-touch-ahead", daemon=True)
    thread.start()
    return thread


def available_memory() -> int:
    """Bytes the kernel says are available without swapping; 0 when it does not say."""
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
