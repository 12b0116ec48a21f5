"""A fault-injecting HTTP proxy on 127.0.0.1, in front of an OpenAI-compatible server.

Each distinct request (keyed by its last chat message) gets a list of faults from
``schedule``, one per attempt, then is forwarded: the k-th new request takes
``schedule[k % len(schedule)]``. Faults:

- ``500``        an HTTP 500 with a JSON error body;
- ``429``        an HTTP 429 with ``Retry-After: <retry_after>``;
- ``reset``      the connection is reset (RST) without any response;
- ``hang``       nothing is sent for ``hang_s`` seconds (past the client's timeout);
- ``truncated``  the upstream answer with its full ``Content-Length`` but half its body.

A request the proxy forwarded but whose client hung up first (its own timeout on a slow,
loaded machine) is recorded as ``client_gone``, so the counts reconcile exactly anyway.

``down = True`` refuses connections (the listening socket is closed) until set back.
Every request is recorded in ``log`` with its key, fault ("ok" when forwarded) and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

FAULTS = ("500", "429", "reset", "hang", "truncated")


@dataclass
class Hit:
    key: str
    fault: str  # one of FAULTS, or "ok"
    at: float
    attempt: int


@dataclass
class FaultProxy:
    upstream: tuple[str, int]
    schedule: list[list[str]] = field(default_factory=list)
    retry_after: float = 1.0
    hang_s: float = 5.0
    log: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._plans: dict[str, list[str]] = {}
        self._attempts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self.set_down(False)
        return self

    def __exit__(self, *exc: object) -> None:
        self.set_down(True)
        asyncio.run_coroutine_threadsafe(self._close_connections(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _close_connections(self) -> None:
        """Cancel the handlers of open keep-alive connections, so none outlives the loop."""
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def set_down(self, down: bool) -> None:
        """Close (down) or reopen the listening socket."""
        asyncio.run_coroutine_threadsafe(self._set_down(down), self._loop).result(10)

    async def _set_down(self, down: bool) -> None:
        if down and self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        elif not down and self._server is None:
            self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    # -- counts ------------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for hit in self.log:
            out[hit.fault] = out.get(hit.fault, 0) + 1
        return out

    # -- serving -----------------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                head, body = request
                if not await self._answer(head, body, reader, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if not writer.is_closing():
                writer.close()

    def _fault_for(self, body: bytes) -> Hit:
        try:
            payload = json.loads(body or b"{}")
            key = str(payload.get("messages", [{}])[-1].get("content", payload.get("prompt")))
        except (ValueError, AttributeError, IndexError):
            key = body.decode("utf-8", "replace")
        with self._lock:
            if key not in self._plans:
                k = len(self._plans)
                self._plans[key] = (
                    list(self.schedule[k % len(self.schedule)]) if self.schedule else []
                )
            attempt = self._attempts.get(key, 0)
            self._attempts[key] = attempt + 1
            plan = self._plans[key]
            fault = plan[attempt] if attempt < len(plan) else "ok"
            hit = Hit(key, fault, time.monotonic(), attempt + 1)
            self.log.append(hit)
        return hit

    async def _answer(
        self, head: bytes, body: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; False when the connection is finished."""
        hit = self._fault_for(body)
        fault = hit.fault
        if fault == "500":
            _respond(writer, 500, {"error": {"message": "injected server error"}})
        elif fault == "429":
            _respond(writer, 429, {"error": {"message": "injected rate limit"}},
                     extra=f"Retry-After: {self.retry_after:g}\r\n")  # fmt: skip
        elif fault == "reset":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            return False
        elif fault == "hang":
            await asyncio.sleep(self.hang_s)
            writer.transport.abort()
            return False
        else:
            forward = asyncio.ensure_future(self._forward(head, body))
            hangup = asyncio.ensure_future(reader.read(1))  # b"": the client gave up
            await asyncio.wait({forward, hangup}, return_when=asyncio.FIRST_COMPLETED)
            if hangup.done() and not forward.done():
                forward.cancel()
                hit.fault = "client_gone"
                writer.transport.abort()
                return False
            # Wait for the cancelled read to finish: a reader allows one waiter at a time,
            # and the next request on this keep-alive connection reads from it.
            hangup.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await hangup
            status_line, headers, data = forward.result()
            if fault == "truncated":
                writer.write(status_line + headers + b"\r\n" + data[: len(data) // 2])
                await writer.drain()
                writer.transport.abort()
                return False
            writer.write(status_line + headers + b"\r\n" + data)
        await writer.drain()
        return True

    async def _forward(self, head: bytes, body: bytes) -> tuple[bytes, bytes, bytes]:
        up_r, up_w = await asyncio.open_connection(*self.upstream)
        lines = head.split(b"\r\n")
        kept = [x for x in lines[1:] if x and not x.lower().startswith((b"connection:", b"host:"))]
        host = f"Host: {self.upstream[0]}:{self.upstream[1]}".encode()
        up_w.write(b"\r\n".join([lines[0], host, *kept, b"Connection: close", b"", b""]) + body)
        await up_w.drain()
        raw = await up_r.read()
        up_w.close()
        header_blob, _, data = raw.partition(b"\r\n\r\n")
        status_line, _, rest = header_blob.partition(b"\r\n")
        headers = b"".join(
            x + b"\r\n"
            for x in rest.split(b"\r\n")
            if x and not x.lower().startswith((b"connection:", b"content-length:",
                                               b"transfer-encoding:"))
        )  # fmt: skip
        headers += f"Content-Length: {len(data)}\r\n".encode()
        return status_line + b"\r\n", headers, data


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return head, body


def _respond(writer: asyncio.StreamWriter, status: int, payload: Any, extra: str = "") -> None:
    data = json.dumps(payload).encode()
    reason = {500: "Internal Server Error", 429: "Too Many Requests"}.get(status, "Error")
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n{extra}\r\n".encode()
        + data
    )
