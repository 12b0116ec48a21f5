"""Ctrl-C in the CLI: exit 130 within a few seconds, with one line saying where the run
stopped and that rerunning resumes.

Python turns SIGINT into ``KeyboardInterrupt`` in the main thread, and the stack unwinds
(stage bookkeeping, closing backends) as usual. Two things can hold the exit up for a
minute: a C call in the main thread (the handler only runs when it returns) and worker
threads still inside a llama.cpp, torch or HTTP call (``asyncio.run`` and the interpreter
join them before exiting). So the first Ctrl-C also arms a timer, woken through
``signal.set_wakeup_fd`` even while the main thread is stuck in C code, that prints the
line and ends the process after ``grace_s`` seconds; a second Ctrl-C ends it at once.
Ending the process this way is as safe as ``kill -9``, which a run survives: finished
stages are renamed into place atomically and every answered request is in the cache.

The interpreter cannot be ended cleanly while worker threads run C code, which is why this
is written by hand: no library does it for a CLI.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
from types import FrameType

EXIT_CODE = 130
GRACE_S = 3.0


class InterruptGuard:
    """Tracks the running stage and turns Ctrl-C into exit 130 with one line on stderr."""

    def __init__(self, *, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self.stage: str | None = None
        self.last_finished: str | None = None
        self.in_run = False
        self._armed = threading.Event()
        self._lock = threading.Lock()
        self._said = False
        self._presses = 0
        self._wakeup: tuple[socket.socket, socket.socket] | None = None

    # -- what the CLI tells it ---------------------------------------------------------------
    def on_stage(self, stage: str, status: str) -> None:
        self.in_run = True
        if status == "running":
            self.stage = stage
        else:
            self.stage = None
            self.last_finished = stage

    def message(self) -> str:
        if self.stage is not None:
            where = f"during stage '{self.stage}'"
        elif self.last_finished is not None:
            where = f"after stage '{self.last_finished}'"
        elif self.in_run:
            where = "before the first stage"
        else:
            return "interrupted."
        return f"interrupted {where}; finished work is kept: run the same command again to resume."

    # -- signals -----------------------------------------------------------------------------
    def install(self) -> None:
        """Handle SIGINT from now on (only the main thread can; elsewhere this is a no-op)."""
        if threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGINT, self._on_sigint)
        r, w = socket.socketpair()
        w.setblocking(False)
        signal.set_wakeup_fd(w.fileno(), warn_on_full_buffer=False)
        self._wakeup = (r, w)
        threading.Thread(target=self._watch, args=(r,), name="sigint-watch", daemon=True).start()

    def _watch(self, r: socket.socket) -> None:
        """Woken by the C-level signal handler, even while the main thread runs C code."""
        seen = 0
        while True:
            try:
                data = r.recv(64)
            except OSError:
                return
            if not data:
                return
            seen += data.count(bytes([signal.SIGINT]))
            if seen >= 2:
                self.exit_now()
            if seen:
                self.arm()

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self._presses += 1
        if self._presses >= 2:
            self.exit_now()
        self.arm()
        raise KeyboardInterrupt

    def arm(self) -> None:
        """Start the grace timer (once)."""
        with self._lock:
            if self._armed.is_set():
                return
            self._armed.set()
        timer = threading.Timer(self.grace_s, self.exit_now)
        timer.daemon = True
        timer.start()

    @property
    def interrupted(self) -> bool:
        return self._armed.is_set()

    def exit_now(self) -> None:
        """Print the line (once) and end the process with exit code 130."""
        with self._lock:
            say = not self._said
            self._said = True
        if say:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
            with contextlib.suppress(Exception):
                sys.stderr.write(self.message() + "\n")
                sys.stderr.flush()
        os._exit(EXIT_CODE)
