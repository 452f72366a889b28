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
            "environ": env,
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        if isinstance(values["policies_dir"], str):
            values["policies_dir"] = Path(values["policies_dir"])
        return cls(**values)  # type: ignore[arg-type]
