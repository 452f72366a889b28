"""`gateway serve` killed with SIGKILL leaves no process behind: its PII detection workers
and its local model worker (and whatever they started) exit with it."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.policy_files import write_policies
from tests.servers import free_port

pytestmark = pytest.mark.slow


def descendants(pid: int) -> set[int]:
    """Live processes below `pid`, from /proc (children of children included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = int(stat[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"  # a zombie has exited; only its entry is left


def _stat(pid: int) -> tuple[str, str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, parent = text.rsplit(")", 1)[1].split()[:2]
    return state, parent


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    policies = write_policies(tmp_path / "policies", "http://127.0.0.1:9")  # the cloud is not used
    port = free_port()
    env = {**os.environ, "GATEWAY_PII_WORKERS": "2"}
    command = [
        sys.executable, "-m", "gateway", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--policies", str(policies), "--database-url", f"sqlite:///{tmp_path / 'audit.db'}",
    ]  # fmt: skip
    process = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):  # whatever the test left dies with it
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_sigkill_of_the_server_takes_every_child_with_it(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, url = server
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, "the server exited on its own"
        assert time.monotonic() < deadline, "the server and its local model did not become ready"
        try:
            ready = httpx.get(url + "/readyz", timeout=2).json()
            if ready["parts"].get("local_model:local") == "ready":
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    children = descendants(process.pid)
    assert len(children) >= 3  # two PII workers and the model worker, at least
    process.kill()
    process.wait(10)
    deadline = time.monotonic() + 10
    while (survivors := {pid for pid in children if alive(pid)}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert survivors == set()
