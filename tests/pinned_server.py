"""A loopback HTTP server laid out like the pinned URLs: ``/<repo>/<commit>/<path>``.

It serves the paper's images of ``shared/data`` (or ``DRCN_DATA``) under the names the pinned
sources give them (``CSet5/baby.png``, ``Train/t1.bmp``, ``data/BSD100/image_SRF_3/...``);
T91's BMPs are made on the fly from the PNGs (same pixels, as SRCNN's originals). Faults are
chosen per test with :attr:`PinnedServer.fault` and :attr:`PinnedServer.fault_file`:

* ``"corrupt"``: one byte of the file flipped;
* ``"drop"``: the full Content-Length announced, half the bytes sent, then the socket closed;
* ``"drip"``: one byte every ``drip_s`` seconds;
* ``"no-length"``: no Content-Length, the bytes then the socket closed (HTTP/1.0 style);
* ``"huge"``: the file followed by ``huge_bytes`` of zeros, without a Content-Length.

:func:`silent_server` gives an address that accepts connections and never answers.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from drcn_lib.data.sources import _table


class PinnedServer:
    """The server's state: its base URL, the files it serves and the fault to inject."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.routes = {
            f"/{s.repo}/{s.commit}/{s.path}": (s.set, s.file, s.path)
            for rows in _table().values()
            for s in rows
        }
        self.fault = ""
        self.fault_file = ""  # only this registry file is faulty ("" = every file)
        self.drip_s = 0.3
        self.huge_bytes = 0
        self.requests: list[str] = []
        self._bmp: dict[str, bytes] = {}
        self.url = ""

    def body(self, route: str) -> bytes | None:
        hit = self.routes.get(route)
        if hit is None:
            return None
        set_name, file, path = hit
        png = self.data / set_name / file
        if not png.is_file():
            return None
        if path.lower().endswith(".bmp"):
            if file not in self._bmp:
                buf = io.BytesIO()
                Image.open(png).save(buf, format="BMP")
                self._bmp[file] = buf.getvalue()
            return self._bmp[file]
        return png.read_bytes()

    def faulty(self, route: str) -> str:
        hit = self.routes.get(route)
        if not self.fault or hit is None:
            return ""
        return self.fault if self.fault_file in ("", hit[1]) else ""


def _handler(state: PinnedServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            state.requests.append(self.path)
            data = state.body(self.path)
            if data is None:
                self.send_error(404)
                return
            fault = state.faulty(self.path)
            if fault == "corrupt":
                data = data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + data[
                    len(data) // 2 + 1:]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if fault not in ("no-length", "huge"):
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(OSError):
                if fault == "drop":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif fault == "drip":
                    for b in data:
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                        time.sleep(state.drip_s)
                elif fault == "huge":
                    self.wfile.write(data)
                    zeros = bytes(1 << 16)
                    for _ in range(state.huge_bytes >> 16):
                        self.wfile.write(zeros)
                    self.close_connection = True
                else:
                    self.wfile.write(data)
                    if fault == "no-length":
                        self.close_connection = True

    return Handler


@contextlib.contextmanager
def pinned_server(data: Path) -> Iterator[PinnedServer]:
    """Serve ``data`` on 127.0.0.1 (a free port) in a thread; stop on exit."""
    state = PinnedServer(data)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def silent_server() -> Iterator[str]:
    """A base URL whose socket accepts connections (the kernel's backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
