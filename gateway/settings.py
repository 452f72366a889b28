"""Process settings: read once from the environment and CLI flags, then passed down, never global."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite:///var/gateway.db"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)  # no slots: the class attributes serve as the defaults below
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    policies_dir: Path = Path("policies")
    database_url: str = DEFAULT_DATABASE_URL
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    upgrade_db_on_start: bool = True
    policy_reload_seconds: float = 2.0
    upstream_timeout_seconds: float = 60.0
    local_queue_size: int = 8
    workers: int = 1  # server processes on this machine (`serve --workers`)
    redis_url: str | None = None  # shared limits and budgets; None = counted per process
    # How long an audit write may wait for the store (SQLite's busy lock, PostgreSQL's row lock
    # and connect): past it, an egress entry is refused (503) and a last entry is spooled.
    audit_write_timeout_seconds: float = 5.0
    audit_spool_dir: Path = Path("var/audit-spool")
    # Images (routing.images: redact, and fetching allowed image URLs): bounds on the work one
    # image may cost, checked before it is decoded.
    image_max_bytes: int = 5 * 1024 * 1024
    image_max_pixels: int = 10_000_000
    ocr_timeout_seconds: float = 10.0
    image_fetch_timeout_seconds: float = 5.0
    image_fetch_max_redirects: int = 3
    # The CAs a fetched image host's certificate must chain to, instead of the public ones
    # (certifi): an intranet image server signed by the company's own CA. PEM; None: public CAs.
    image_fetch_ca_file: Path | None = None
    start_model_workers: bool = False  # at start (`serve`), or on the first request (tests)
    environ: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from `GATEWAY_*` variables; explicit overrides (CLI flags) win over them."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {
            "host": env.get("GATEWAY_HOST", cls.host),
            "port": int(env.get("GATEWAY_PORT", cls.port)),
            "policies_dir": Path(env.get("GATEWAY_POLICIES_DIR", str(cls.policies_dir))),
            "database_url": env.get("GATEWAY_DATABASE_URL", cls.database_url),
            "max_body_bytes": int(env.get("GATEWAY_MAX_BODY_BYTES", cls.max_body_bytes)),
            "upstream_timeout_seconds": float(
                env.get("GATEWAY_UPSTREAM_TIMEOUT", cls.upstream_timeout_seconds)
            ),
            "local_queue_size": int(env.get("GATEWAY_LOCAL_QUEUE_SIZE", cls.local_queue_size)),
            "workers": int(env.get("GATEWAY_WORKERS", cls.workers)),
            "redis_url": env.get("GATEWAY_REDIS_URL") or None,
            "audit_write_timeout_seconds": float(
                env.get("GATEWAY_AUDIT_WRITE_TIMEOUT", cls.audit_write_timeout_seconds)
            ),
            "audit_spool_dir": Path(env.get("GATEWAY_AUDIT_SPOOL_DIR", str(cls.audit_spool_dir))),
            "image_max_bytes": int(env.get("GATEWAY_IMAGE_MAX_BYTES", cls.image_max_bytes)),
            "image_max_pixels": int(env.get("GATEWAY_IMAGE_MAX_PIXELS", cls.image_max_pixels)),
            "ocr_timeout_seconds": int(env.get("GATEWAY_OCR_TIMEOUT_MS", cls.ocr_timeout_seconds * 1000))
            / 1000,
            "image_fetch_timeout_seconds": int(
                env.get("GATEWAY_IMAGE_FETCH_TIMEOUT_MS", cls.image_fetch_timeout_seconds * 1000)
            )
            / 1000,
            "image_fetch_max_redirects": int(
                env.get("GATEWAY_IMAGE_FETCH_MAX_REDIRECTS", cls.image_fetch_max_redirects)
            ),
            "image_fetch_ca_file": Path(env["GATEWAY_IMAGE_FETCH_CA_FILE"])
            if env.get("GATEWAY_IMAGE_FETCH_CA_FILE")
            else None,
            "environ": env,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        for name in ("policies_dir", "audit_spool_dir"):
            value = values[name]
            if isinstance(value, str):
                values[name] = Path(value)
        return cls(**values)  # type: ignore[arg-type]
