"""Where the CLI writes: rich consoles for people, plain text for machines.

Rich wraps at the terminal width and, when stdout is a file or a pipe, at 80 columns. So
output that goes to a file or pipe is never wrapped (``soft_wrap``, a wide width) nor
styled (rich turns colour off when the stream is not a terminal), and machine-readable
output (YAML, JSON, Markdown) bypasses rich altogether.
"""

from __future__ import annotations

import sys

from rich.console import Console

#: The width a console gets when it writes to a file or pipe: tables keep their natural
#: width and lines are never cut.
UNWRAPPED_WIDTH = 100_000


def make_console(*, stderr: bool = False) -> Console:
    """A console that wraps only on a terminal."""
    console = Console(stderr=stderr, soft_wrap=True)
    if not console.is_terminal:
        console.width = UNWRAPPED_WIDTH
    return console


def route_library_output_to_stderr() -> None:
    """Point rich's global console (progress bars the library draws) at stderr, so stdout
    holds only the command's result."""
    import rich

    rich.reconfigure(stderr=True, soft_wrap=True)


def write_plain(text: str) -> None:
    """``text`` to stdout as it is (one trailing newline), for YAML, JSON and Markdown."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
