"""Children die with the gateway, however the gateway dies (SIGKILL and segfaults included).

A child process calls `die_with_parent(parent_pid)` first thing. Two independent guards:

- Linux's parent-death signal (`prctl(PR_SET_PDEATHSIG, SIGKILL)`): the kernel kills the child
  the moment its parent goes. The kernel ties it to the *thread* that started the child, so the
  gateway starts its children from its main (event loop) thread.
- A watchdog thread that polls `os.getppid()`: once the parent is gone the child is re-parented
  (to init or a subreaper) and exits. It covers systems without prctl and the window before
  prctl took effect (the parent may die between fork and this call: then we exit at once).

Nothing is cleaned up on the way out: the parent that owned the work is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
WATCHDOG_INTERVAL_SECONDS = 0.5
ORPHAN_EXIT_STATUS = 70  # EX_SOFTWARE: the child did not finish its work


def die_with_parent(parent_pid: int) -> None:
    _ask_kernel_for_death_signal()
    if os.getppid() != parent_pid:  # the parent went before the signal was armed
        os._exit(ORPHAN_EXIT_STATUS)
    watchdog = threading.Thread(target=_watch, args=(parent_pid,), name="parent-watchdog", daemon=True)
    watchdog.start()


def _ask_kernel_for_death_signal() -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        # The watchdog still covers this case; say so once, without failing the child.
        print("die_with_parent: prctl failed, relying on the watchdog", file=sys.stderr)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCHDOG_INTERVAL_SECONDS)
    os._exit(ORPHAN_EXIT_STATUS)
