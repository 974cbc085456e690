"""A throw-away JupyterLab and a headless Chromium for the browser test.

The browser test runs only when asked (``make test-browser`` sets ``DRCN_BROWSER_TEST=1``); a
plain ``pytest tests`` skips it, saying how to run it. When asked, a missing Chromium or
playwright is a failure with the install command, never a silent skip.

JupyterLab runs on 127.0.0.1 on a free port with a random token, from a temporary folder that
holds COPIES of the notebooks under test (so JupyterLab's autosave never writes smoke-mode
outputs into the repository) and with temporary config, settings, workspace and runtime
folders (so nothing of the user's setup leaks in or out). Kernels inherit ``DRCN_SMOKE=1``.
Chromium is Debian's ``chromium`` package, driven by playwright through ``executable_path``
(playwright's own browser download is not needed).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drcn_lib.settings import REPO_ROOT

ENABLE_VAR = "DRCN_BROWSER_TEST"
CHROMIUM = os.environ.get("DRCN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: The notebooks the browser test opens: the playground and the recursion lesson.
NOTEBOOKS = ("12_playground.ipynb", "03_recursion_unfolded.ipynb")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SERVER_START_S = 120
#: JupyterLab settings for a quiet, test-friendly UI: no news or update toasts; every cell
#: attached to the page (not only those in view), so the test can find any cell's widgets.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"checkForUpdates": False, "fetchNews": "false"},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get(ENABLE_VAR) == "1":
        return
    skip = pytest.mark.skip(reason=f"browser test: run it with `make test-browser` "
                                   f"({ENABLE_VAR}=1; needs Debian's chromium and playwright)")
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL, token, root folder and log file."""

    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        """``name`` alone, in a workspace of its own that is reset on load (a shared workspace
        would restore the tabs an earlier test opened beside it)."""
        workspace = Path(name).stem.replace("_", "-")
        return f"{self.url}/lab/workspaces/{workspace}/tree/{name}?reset&token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, token: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with {proc.returncode}:\n"
                               f"{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_S} s:\n"
                       f"{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """Start JupyterLab (loopback, free port, random token) on copies of the notebooks."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    root.mkdir()
    for name in NOTEBOOKS:
        shutil.copy2(REPO_ROOT / "notebooks" / name, root / name)
    settings = base / "settings"
    for rel, values in LAB_SETTINGS.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # kernels: inline plots
    env.update({
        "DRCN_SMOKE": "1",
        "DRCN_RUNS": str(base / "runs"),
        "DRCN_CACHE": env.get("DRCN_CACHE") or str(base / "cache"),
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
        "IPYTHONDIR": str(base / "ipython"),
    })
    port, token = free_port(), secrets.token_hex(24)
    url = f"http://127.0.0.1:{port}"
    log = base / "jupyterlab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
           "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers often run as root
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(url, token, proc, log)
        yield Lab(url, token, root, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by playwright (no playwright browser download)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: .venv/bin/pip install playwright (it is in the dev "
                    "extra: pip install -e '.[dev]')")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get update && apt-get install -y "
                    "chromium (or set DRCN_CHROMIUM to its path)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh page, 1400x1000, in its own browser context."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored): tests/browser/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
