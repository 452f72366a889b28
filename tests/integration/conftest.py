"""Shared fixtures: the cloud stand-in and the gateway, both real HTTP servers on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
from sqlalchemy import Engine

from gateway.app import create_app
from gateway.checks.pii.detector import Detector
from gateway.db.engine import make_engine, upgrade
from gateway.services import Services
from gateway.settings import Settings
from tests.cloud_standin import CloudStandIn
from tests.databases import fresh_database
from tests.integration.audit_support import use_audit_env
from tests.policy_files import DEMO_KEY, write_policies
from tests.servers import serve_in_thread


@dataclass
class Cloud:
    app: CloudStandIn
    url: str


@dataclass
class RunningGateway:
    url: str
    services: Services
    engine: Engine
    policies_dir: Path

    def client(self, key: str = DEMO_KEY, **options: object) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=0, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def cloud() -> Iterator[Cloud]:
    app = CloudStandIn()
    with serve_in_thread(app) as url:
        yield Cloud(app, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database("sqlite", tmp_path) as url:
        yield url


def start_gateway(
    tmp_path: Path,
    cloud: Cloud,
    database_url: str,
    detector: Detector,
    prepare: Callable[[Path], None] | None = None,
    environ: dict[str, str] | None = None,
    **settings_overrides: object,
) -> Iterator[RunningGateway]:
    """`prepare(policies_dir)` may edit the written policies before the gateway reads them;
    `environ` is the environment its settings read (empty by default)."""
    policies_dir = write_policies(tmp_path / "policies", cloud.url, timeout_seconds=2.0)
    if prepare is not None:
        prepare(policies_dir)
    upgrade(database_url)
    settings = Settings.from_env(
        environ or {},
        policies_dir=policies_dir,
        database_url=database_url,
        policy_reload_seconds=0.2,
        **{"audit_spool_dir": tmp_path / "spool", **settings_overrides},
    )
    services = Services.build(settings, detector=detector)
    with serve_in_thread(create_app(settings, services)) as url:
        yield RunningGateway(url, services, make_engine(database_url), policies_dir)


@pytest.fixture
def gateway(tmp_path: Path, cloud: Cloud, sqlite_url: str, presidio: Detector) -> Iterator[RunningGateway]:
    yield from start_gateway(tmp_path, cloud, sqlite_url, presidio)


@pytest.fixture
def gateway_on(
    tmp_path: Path, cloud: Cloud, database_url: str, presidio: Detector
) -> Iterator[RunningGateway]:
    """The gateway on each database: SQLite and PostgreSQL."""
    yield from start_gateway(tmp_path, cloud, database_url, presidio)


@pytest.fixture
def engine(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An upgraded, empty audit database of each kind, with the audit keys of the tests set."""
    upgrade(database_url)
    use_audit_env(monkeypatch)
    monkeypatch.setenv("GATEWAY_DATABASE_URL", database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()
