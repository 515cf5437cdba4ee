"""The local HTTP server of the download tests: Google's bucket layout over a folder, with faults.

One server for `tests/datasets/test_download.py` and the fault tests (`tests/faults/`). It
listens on 127.0.0.1 (port 0), supports `Range: bytes=N-` and can misbehave in the ways a real
bucket or network does: an error status, a body cut short, a slow or held body, a server that
ignores Range, resumes at the wrong byte or sends more than it announced.

Example:
>>> with FileServer(mirror, mode="drop_first") as server:  # doctest: +SKIP
...     download("cat", "bitmap", dest, base_url=server.url)
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

GATE_BYTES = 1 << 17  # more than one read of the downloader, so its `.part` has grown
LONG_BY = 100  # bytes a "long_body" response sends beyond what it announces

MODES = {
    "normal": "serve every request correctly",
    "503_once": "answer the first request 503, then serve",
    "503_always": "answer every request 503",
    "ignore_range": "answer 200 with the whole file even when a Range is asked",
    "drop_first": "first request: send a third of the body, then close the connection",
    "reset_first": "first request: send a third of the body, then close with a TCP reset",
    "stall_first": "first request: send a third of the body, then stall (until `gate` or 2 s)",
    "wrong_range": "answer a Range request with 206 from another byte than the one asked",
    "long_body": "answer a Range request with 206 whose Content-Range total is LONG_BY bytes "
    "short of the body sent",
    "long_200": "answer 200 with LONG_BY bytes more than its Content-Length",
}


class FileServer:
    """A local HTTP server in Google's bucket layout over `root`, optionally slow or faulty.

    Use it as a context manager (it serves between `__enter__` and `__exit__`); every attribute
    below may be changed while it runs.

    Args:
        root: Path. Served folder (`root/numpy_bitmap/cat.npy` is `/numpy_bitmap/cat.npy`).
        mode: str. One of `MODES`. Defaults to "normal".
        chunk: int. Bytes written at a time. Defaults to 64 KiB.
        delay: float. Seconds to sleep after each chunk. Defaults to 0.
        status: int or None. Answer every request with this error status. Defaults to None.
        cut_after: int or None. On the first request, close the connection after this many
            body bytes (Content-Length still announces the whole file). Defaults to None.
        always_cut: bool. Cut every request after `cut_after` bytes, not just the first.
        gate: threading.Event or None. When given, each response pauses after its first
            `gate_after` body bytes until the event is set (`started` is set at the pause).
            Defaults to None.
        gate_after: int. Body bytes sent before the gate. Defaults to `GATE_BYTES`.
        gate_path: str. Only requests whose path contains this are held. Defaults to "" (all).
        wrong_start: int. The byte a "wrong_range" response starts at. Defaults to 0.

    Attributes:
        url: str. `http://127.0.0.1:PORT`.
        requests: list of (path, Range header or None), in arrival order (`log` is the same).
        started: threading.Event, set when a response reaches the gate.
    """

    def __init__(
        self,
        root,
        mode: str = "normal",
        chunk: int = 1 << 16,
        delay: float = 0.0,
        status: int | None = None,
        cut_after: int | None = None,
        always_cut: bool = False,
        gate: threading.Event | None = None,
        gate_after: int = GATE_BYTES,
        gate_path: str = "",
        wrong_start: int = 0,
    ):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        self.root, self.mode, self.chunk, self.delay = Path(root), mode, chunk, delay
        self.status, self.cut_after, self.always_cut = status, cut_after, always_cut
        self.gate, self.gate_after, self.gate_path = gate, gate_after, gate_path
        self.wrong_start = wrong_start
        self.requests: list[tuple[str, str | None]] = []
        self.started = threading.Event()
        self._lock = threading.Lock()
        self._stall = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                server._serve(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def log(self) -> list[tuple[str, str | None]]:
        return self.requests

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stall.set()
        if self.gate is not None:
            self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # ------------------------------------------------------------------------- one request

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        wanted = h.headers.get("Range")
        with self._lock:
            self.requests.append((h.path, wanted))
            first = len(self.requests) == 1
        mode = self.mode
        if self.status or mode == "503_always" or (mode == "503_once" and first):
            return self._empty(h, self.status or 503)
        path = self.root / unquote(h.path.lstrip("/"))
        if not path.is_file():
            return self._empty(h, 404)
        data = path.read_bytes()
        start, end = 0, len(data)
        if wanted and mode != "ignore_range":
            start = int(re.match(r"bytes=(\d+)-", wanted).group(1))
            if start >= len(data):
                h.send_response(416)
                h.send_header("Content-Range", f"bytes */{len(data)}")
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            if mode == "wrong_range":
                start = self.wrong_start
            total = len(data) - LONG_BY if mode == "long_body" else len(data)
            h.send_response(206)
            h.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{total}")
        else:
            h.send_response(200)
        h.send_header("Content-Length", str(end - start))
        h.end_headers()
        if mode == "long_200":
            data, end = data + b"\0" * LONG_BY, end + LONG_BY
        if first and mode in ("drop_first", "reset_first", "stall_first"):
            return self._break(h, data[start : start + (end - start) // 3], mode)
        limit = end
        if self.cut_after is not None and (first or self.always_cut):
            limit = min(limit, start + self.cut_after)
        self._send(h, data, start, limit)

    def _send(self, h, data: bytes, start: int, limit: int) -> None:
        gate = self.gate
        held = gate is not None and self.gate_path in h.path
        try:
            at = start
            while at < limit:
                step = self.chunk
                if held and at - start < self.gate_after:
                    step = min(step, start + self.gate_after - at)
                h.wfile.write(data[at : min(at + step, limit)])
                h.wfile.flush()
                at += step
                if held and at - start == self.gate_after:
                    self.started.set()
                    gate.wait(timeout=60)
                if self.delay:
                    time.sleep(self.delay)
        except (BrokenPipeError, ConnectionResetError):
            return
        if limit < len(data):
            self._close(h)

    def _break(self, h, part: bytes, mode: str) -> None:
        try:
            h.wfile.write(part)
            h.wfile.flush()
            if mode == "stall_first":  # longer than the client's timeout in the tests
                (self.gate or self._stall).wait(2)
            elif mode == "reset_first":  # closed with a TCP reset, not a clean close
                time.sleep(0.1)
                linger = struct.pack("ii", 1, 0)
                h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                h.close_connection = True  # the server's close() now sends RST
                return
        except (BrokenPipeError, ConnectionResetError):
            return
        self._close(h)

    @staticmethod
    def _close(h) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    @staticmethod
    def _empty(h, code: int) -> None:
        h.send_response(code)
        h.send_header("Content-Length", "0")
        h.end_headers()
