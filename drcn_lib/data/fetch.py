"""Fetch one file over HTTP with pooch, within a size cap and an overall deadline.

pooch does the transfer (``requests``), the sha256 check and the temporary file that is renamed
only once the hash matches. Two limits are added on top of pooch's ``HTTPDownloader``:

* a **size cap** per file and a byte **budget** shared by a whole set, checked against the
  ``Content-Length`` header and again while the bytes arrive (a server may lie or send none);
* an **overall deadline**: requests' timeout is per read, so a server that sends one byte
  every few seconds would never time out. A timer shuts the socket down when the deadline
  passes, which wakes the blocked read at once.

Every failure becomes a :class:`DataError` that says what happened in words (no network, the
server stopped answering, the transfer broke off, wrong checksum, too large, disk full).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from drcn_lib.errors import DataError


@dataclass
class Budget:
    """Bytes a whole download may still take (shared by every file of a set)."""

    left: int

    def take(self, n: int, url: str) -> None:
        self.left -= n
        if self.left < 0:
            raise DataError(
                f"refused {url}: the download went over its total size cap; nothing was kept"
            )


class CappedFile:
    """A write-only file that refuses to grow past ``cap`` bytes or past the set's budget."""

    def __init__(self, f: BinaryIO, url: str, cap: int, budget: Budget) -> None:
        self._f, self.url, self.cap, self.budget, self.size = f, url, cap, budget, 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.cap:
            raise DataError(
                f"refused {self.url}: more than {self.cap >> 20} MiB, the cap for one file; "
                f"nothing was kept"
            )
        self.budget.take(len(data), self.url)
        return self._f.write(data)

    def flush(self) -> None:
        self._f.flush()


class _Expired(Exception):
    """Raised in place of whatever the shut-down socket made requests raise."""


class DeadlineDownloader:
    """A pooch downloader: ``pooch.HTTPDownloader`` plus the size cap and overall deadline."""

    def __init__(self, timeout: float, deadline: float, cap: int, budget: Budget) -> None:
        self.timeout, self.deadline, self.cap, self.budget = timeout, deadline, cap, budget
        self.announced: int | None = None  # Content-Length of the last response
        self.received = 0  # bytes written by the last call

    def __call__(self, url: str, output_file: str, pooch: Any, check_only: bool = False) -> None:
        import pooch as pooch_lib

        start = time.monotonic()
        expired = threading.Event()
        timers: list[threading.Timer] = []

        def on_response(resp: Any, *args: Any, **kwargs: Any) -> Any:
            length = resp.headers.get("Content-Length", "")
            self.announced = int(length) if length.isdigit() else None
            if length.isdigit() and int(length) > self.cap:
                resp.close()
                raise DataError(
                    f"refused {url}: it announces {int(length) >> 20} MiB, more than the "
                    f"{self.cap >> 20} MiB cap for one file; nothing was kept"
                )

            fd = resp.raw.fileno()
            inode = os.fstat(fd).st_ino  # a socket's own inode: never shut a reused fd down

            def expire() -> None:
                expired.set()
                with contextlib.suppress(OSError, ValueError):
                    if os.fstat(fd).st_ino == inode:
                        # shutdown() on a duplicate reaches the shared connection and wakes
                        # the read blocked in recv(); the duplicate itself is then closed
                        with socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM) as dup:
                            dup.shutdown(socket.SHUT_RDWR)

            timer = threading.Timer(max(0.0, self.deadline - (time.monotonic() - start)), expire)
            timer.daemon = True
            timer.start()
            timers.append(timer)
            return resp

        inner = pooch_lib.HTTPDownloader(
            progressbar=False, chunk_size=1 << 16, timeout=(self.timeout, self.timeout),
            hooks={"response": on_response},
        )
        try:
            with open(output_file, "w+b") as f:
                out = CappedFile(f, url, self.cap, self.budget)
                try:
                    inner(url, out, pooch)
                finally:
                    self.received = out.size
        except DataError:
            raise
        except Exception as err:
            if expired.is_set():
                raise _Expired() from err
            raise
        finally:
            for timer in timers:
                timer.cancel()
        if expired.is_set():
            raise _Expired()


@contextlib.contextmanager
def _quiet_pooch() -> Iterator[None]:
    """pooch logs one INFO line per file; a set of 91 files reports through our own bar."""
    import pooch

    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def fetch_file(
    url: str,
    dest: Path,
    sha256: str | None,
    *,
    timeout: float,
    deadline: float,
    cap: int,
    budget: Budget,
) -> Path:
    """Download ``url`` to the file ``dest`` (which must not exist) and return it.

    ``sha256`` (hex, optional) must match the bytes, else nothing is kept. ``timeout``: seconds to
    connect and between reads; ``deadline``: seconds for the whole file; ``cap``: bytes at most;
    ``budget``: the set's remaining bytes. Raises :class:`DataError` saying what went wrong.
    """
    import pooch
    import requests

    downloader = DeadlineDownloader(timeout, deadline, cap, budget)
    try:
        with _quiet_pooch():
            pooch.retrieve(
                url, known_hash=f"sha256:{sha256}" if sha256 else None, fname=dest.name,
                path=dest.parent, downloader=downloader,
            )
    except _Expired as err:
        raise DataError(
            f"could not download {url}: it took longer than the {deadline:g} s deadline for "
            f"one file (the server sends too slowly); nothing was kept"
        ) from err
    except requests.exceptions.HTTPError as err:
        code = err.response.status_code if err.response is not None else "?"
        raise DataError(f"could not download {url}: the server answered HTTP {code}") from err
    except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout) as err:
        raise DataError(
            f"could not download {url}: the server did not answer within {timeout:g} s"
        ) from err
    except requests.exceptions.ChunkedEncodingError as err:
        of = f" of {downloader.announced}" if downloader.announced is not None else ""
        got = downloader.received + _partial_bytes(err)
        raise DataError(
            f"could not download {url}: the transfer stopped after {got}{of} "
            f"bytes; nothing was kept. Try again."
        ) from err
    except requests.exceptions.ConnectionError as err:
        raise DataError(
            f"could not download {url}: no connection to {urlsplit(url).netloc} "
            f"({_root_reason(err)})"
        ) from err
    except requests.exceptions.RequestException as err:
        raise DataError(f"could not download {url}: {_short(err)}") from err
    except DataError:
        raise
    except ValueError as err:  # pooch: "SHA256 hash of downloaded file (...) does not match"
        raise DataError(
            f"could not download {url}: its sha256 does not match the pinned one (a corrupt "
            f"transfer or a changed file); nothing was kept"
        ) from err
    return dest


def _partial_bytes(err: BaseException) -> int:
    """Bytes urllib3 had read into a chunk it then dropped (its ``IncompleteRead.partial``)."""
    for e in _chain(err):
        if isinstance(getattr(e, "partial", None), int):
            return e.partial
    return 0


def _chain(err: BaseException) -> list[BaseException]:
    """``err`` and every exception it wraps (args, ``reason``, cause, context), outermost first."""
    seen, order, todo = set(), [], [err]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        order.append(e)
        todo += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        reason = getattr(e, "reason", None)
        todo += [reason] if isinstance(reason, BaseException) else []
        todo += [c for c in (e.__cause__, e.__context__) if c is not None]
    return order


def _root_reason(err: BaseException) -> str:
    """The operating system's words for a failed connection ("Connection refused", "Name or
    service not known"), else a short form of the error."""
    for e in _chain(err):
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
    return _short(err)


def _short(err: BaseException) -> str:
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    return text if len(text) < 200 else text[:200] + "..."


def reachable(url: str, timeout: float) -> str:
    """"" if the host of ``url`` accepts a TCP connection within ``timeout`` s, else why not.

    Name resolution is not covered by socket timeouts, so the attempt runs in a daemon thread
    and is abandoned after ``timeout``: a machine without network never hangs here.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result: list[str] = []

    def attempt() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append("")
        except OSError as err:
            result.append(f"{type(err).__name__}: {err.strerror or err}")

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0] if result else f"no answer from {host}:{port} within {timeout:g} s"


def is_disk_full(err: OSError) -> bool:
    """True for 'no space left on device' and 'disk quota exceeded'."""
    return err.errno in (errno.ENOSPC, errno.EDQUOT)
