"""Shared pieces of the reliability suite: a tally of what was tried, and a safe environment.

Every test in this folder records each case it tries with ``tally.case(family, name)``; a case
counts as *handled* when its block finishes without an exception (the assertions inside it are
what "handled" means: a correct result, or a clear error naming the file and the reason). At the
end of the run :func:`pytest_terminal_summary` prints one line per family with its counts, and
the cases themselves, so CI logs show what was tried and not only that tests passed.

Environment: ``DRCN_CACHE`` and, when the paper's images are not beside the checkout, ``DRCN_DATA``
point at temporary folders, so nothing is ever written into the repository.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from drcn_lib.settings import REPO_ROOT

#: Families in the order the summary prints them, with the verb that says what "handled" means.
FAMILIES: dict[str, str] = {
    "bad images": "handled (correct result, or an error naming the file and the reason)",
    "interrupted training": "survived (checkpoint loads, resume is bitwise identical)",
    "untrusted weights": "refused or explained without running foreign code",
    "downloads": "refused with nothing left behind or written outside the data folder",
    "divergence": "stopped with a clear message and a loadable last good checkpoint",
    "notebook re-runs": "gave the same checked outputs twice in one kernel",
    "missing data": "ran on the scikit-image stand-ins with a loud warning",
    "bad settings": "refused in one line with exit code 2, nothing half-written left behind",
}

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@dataclass
class Case:
    """One thing the suite tried: its family, a short name, and whether it was handled."""

    family: str
    name: str
    handled: bool = False
    note: str = ""


_CASES: list[Case] = []


class Tally:
    """Records the cases of one test; see the module docstring."""

    @contextlib.contextmanager
    def case(self, family: str, name: str) -> Iterator[Case]:
        """Run a block as one case of ``family``; it is handled if the block does not raise."""
        if family not in FAMILIES:
            raise ValueError(f"unknown reliability family {family!r}; use one of {list(FAMILIES)}")
        record = Case(family, name)
        _CASES.append(record)
        try:
            yield record
        except BaseException as exc:
            if isinstance(exc, pytest.skip.Exception):
                _CASES.remove(record)
            else:
                record.note = record.note or type(exc).__name__
            raise
        record.handled = True


@pytest.fixture
def tally() -> Tally:
    """The recorder of tried cases (see :class:`Tally`)."""
    return Tally()


@pytest.fixture(scope="session")
def reliability_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One cache folder for the whole run (patches are cut once) and a data folder."""
    cache = tmp_path_factory.mktemp("drcn-cache")
    data = SHARED_DATA if (SHARED_DATA / "Set5").is_dir() else tmp_path_factory.mktemp("data")
    return {"cache": cache, "data": data}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, reliability_dirs: dict[str, Path]) -> None:
    """Point DRCN_CACHE (and DRCN_DATA when no shared copy exists) at temporary folders."""
    monkeypatch.setenv("DRCN_CACHE", str(reliability_dirs["cache"]))
    monkeypatch.setenv("DRCN_DATA", str(reliability_dirs["data"]))
    monkeypatch.setenv("MPLBACKEND", "Agg")


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: current one, one thread each, plus ``extra``."""
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@pytest.fixture
def child_env() -> dict[str, str]:
    """Environment for child processes (see :func:`subprocess_env`), taken after the env fix."""
    return subprocess_env()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    """Print the counts per family, then each family's cases (``ok`` or ``FAILED``)."""
    if not _CASES:
        return
    tr = terminalreporter
    tr.write_sep("=", "reliability suite: what was tried")
    parts = []
    for family in FAMILIES:
        cases = [c for c in _CASES if c.family == family]
        if cases:
            handled = sum(c.handled for c in cases)
            parts.append(f"{len(cases)} {family} tried, {handled} handled")
    tr.write_line("reliability: " + "; ".join(parts))
    for family, meaning in FAMILIES.items():
        cases = [c for c in _CASES if c.family == family]
        if not cases:
            continue
        handled = sum(c.handled for c in cases)
        tr.write_line(f"  {family}: {handled}/{len(cases)} {meaning}")
        for c in cases:
            mark = "ok" if c.handled else f"FAILED ({c.note})" if c.note else "FAILED"
            tr.write_line(f"    - {c.name}: {mark}")
