"""Run the gateway's HTTP server: one process, or `--workers N` processes on one port.

With several workers, uvicorn's supervisor starts N processes that share the listening socket;
each builds its own services from the same settings, handed over in `GATEWAY_*` variables.
What must be one per fleet is shared outside the processes: the audit chain takes turns per
batch in the database, limits and budgets live in Redis when `GATEWAY_REDIS_URL` is set.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar

from gateway.lifetime import die_with_parent
from gateway.settings import Settings
from gateway.telemetry.prometheus import MULTIPROCESS_ENV


def run(settings: Settings) -> None:
    import uvicorn

    if settings.workers <= 1:
        uvicorn.run(ready_app(settings), **_server_options(settings))
        return
    from gateway.policy.loader import load_policies

    load_policies(settings.policies_dir, settings.environ)  # a broken policy refuses to start
    with _metrics_directory() as directory:
        os.environ.update({**worker_environ(settings), MULTIPROCESS_ENV: directory})
        uvicorn.run(
            "gateway.server:worker_app", factory=True, workers=settings.workers, **_server_options(settings)
        )


def worker_environ(settings: Settings) -> dict[str, str]:
    """What a worker process needs to rebuild these settings (the CLI flags included)."""
    return {
        **settings.environ,
        "GATEWAY_HOST": settings.host,
        "GATEWAY_PORT": str(settings.port),
        "GATEWAY_POLICIES_DIR": str(settings.policies_dir),
        "GATEWAY_DATABASE_URL": settings.database_url,
        "GATEWAY_WORKERS": str(settings.workers),
    }


def worker_app() -> Litestar:
    """The app of one worker process (uvicorn calls this in each of them)."""
    die_with_parent(os.getppid())  # a server process does not outlive the supervisor that started it
    return ready_app(Settings.from_env())


def ready_app(settings: Settings) -> Litestar:
    from gateway.app import create_app

    # The server loads its local models before the first request, in their worker processes.
    settings = dataclasses.replace(settings, start_model_workers=True)
    app = create_app(settings)  # a broken policy raises PolicyError here: refuse to start
    # The models and policies loaded at start live as long as the process: keep them out of the
    # garbage collector's full passes, which otherwise pause every request for 60-100 ms.
    gc.collect()
    gc.freeze()
    return app


@contextmanager
def _metrics_directory() -> Iterator[str]:
    """Where the workers keep their Prometheus values: the operator's `PROMETHEUS_MULTIPROC_DIR`
    (emptied: values of a previous run would be counted again), or a fresh one for this run."""
    if given := os.environ.get(MULTIPROCESS_ENV):
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="gateway-metrics-") as fresh:
        yield fresh


def _server_options(settings: Settings) -> dict[str, Any]:
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "access_log": False,  # access logs would hold URLs and nothing we need; audit has the rest
        "loop": "uvloop",
        "http": "httptools",
    }
