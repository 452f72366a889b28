"""Policy format v1 as typed models. Unknown keys are errors: a typo must not weaken a policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.checks.registry import CheckSection, section_model

Location = Literal["cloud", "local"]
PiiAction = Literal["redact", "mask", "hash", "pseudonymize", "local_only", "block", "allow"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- gateway.yaml -----------------------------------------------------------------------------


LOCAL_PROVIDER_TYPES = frozenset({"llama_cpp", "transformers"})


class ProviderConfig(Strict):
    type: Literal["openai", "llama_cpp", "transformers", "fake"] = "openai"
    base_url: str = ""
    api_key: str = ""
    timeout_seconds: float | None = None
    model_path: str = ""
    n_gpu_layers: int = -1
    n_ctx: int = 4096
    n_threads: int | None = None
    queue_size: int | None = None
    # transformers only (a Hugging Face checkpoint directory is `model_path`)
    device: str = "auto"  # auto = CUDA when present, else CPU; or "cpu", "cuda", "cuda:1"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    max_new_tokens: int = Field(512, gt=0)  # cap on what one request may generate
    chat_template: str | None = None  # a Jinja template for tokenizers that have none

    @property
    def is_local(self) -> bool:
        return self.type in LOCAL_PROVIDER_TYPES


class Price(Strict):
    input_per_1k: float = 0.0
    output_per_1k: float = 0.0


class ModelEntry(Strict):
    provider: str
    location: Literal["cloud", "local", "any"]
    upstream_model: str | None = None  # the name sent to the provider; defaults to the key
    price: Price = Field(default_factory=Price)


class GatewayConfig(Strict):
    providers: dict[str, ProviderConfig]
    models: dict[str, ModelEntry]
    reviewers: list[Reviewer] = Field(default_factory=list)  # who may read the audit log


# --- tenants/<tenant>.yaml --------------------------------------------------------------------


class ApiKey(Strict):
    name: str
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str) -> str:
        value = value.lower()
        if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
            raise ValueError("must be the 64-character hex sha256 of the key")
        return value


class Reviewer(ApiKey):
    """A compliance reviewer's key for /admin/audit and /review: sees the listed tenants' records
    only, or every record (unknown-key rejections included) with ["*"]."""

    tenants: list[str] = Field(min_length=1)


class CustomRecognizer(Strict):
    entity: str
    pattern: str | None = None
    deny_list: list[str] = Field(default_factory=list)
    context: list[str] = Field(default_factory=list)
    score: float = 0.85
    action: PiiAction = "redact"


class PiiPolicy(Strict):
    enabled: bool = True
    score_threshold: float = Field(0.5, ge=0.0, le=1.0)
    default_action: PiiAction = "redact"
    entities: dict[str, PiiAction] = Field(default_factory=dict)
    custom: list[CustomRecognizer] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    # Top-level request fields the gateway does not know: refused (400) unless `pass`, and then
    # scanned like every other field before they are forwarded.
    unknown_fields: Literal["reject", "pass"] = "reject"


class RoutingPolicy(Strict):
    default: Location = "local"
    residency: Literal["any", "local"] = "any"
    local_model: str = "local"
    fallback: Literal["local", "none"] = "none"
    images: Literal["block", "local_only", "redact", "allow"] = "local_only"
    # Remote image URLs are fetched by the gateway only from these origins ("https://host[:port]"),
    # and only when `images_fetch` is `allow`: anything else would let callers make the gateway
    # request any address inside the network (server-side request forgery).
    images_fetch: Literal["deny", "allow"] = "deny"
    images_fetch_hosts: list[str] = Field(default_factory=list)
    # Of those, the origins whose names may resolve to private, loopback or link-local addresses
    # (an intranet image server); every other name must resolve to public addresses only, and
    # cloud metadata addresses are refused for all.
    images_fetch_private_hosts: list[str] = Field(default_factory=list)

    @field_validator("images_fetch_hosts", "images_fetch_private_hosts")
    @classmethod
    def _origins(cls, hosts: list[str]) -> list[str]:
        normalized = []
        for host in hosts:
            origin, parts = origin_of(host), urlsplit(host)
            if origin is None or parts.path not in ("", "/") or parts.query or parts.fragment or "@" in host:
                raise ValueError(f"{host!r} must be an origin such as 'https://images.example.com'")
            normalized.append(origin)
        return normalized


# The `checks:` sections are generated from the check registry: one optional field per
# registered check, typed by that check's own config model. mypy sees their common base.
if TYPE_CHECKING:
    InputChecks = CheckSection
    OutputChecks = CheckSection
else:
    InputChecks = section_model("input")
    OutputChecks = section_model("output")


class ChecksPolicy(Strict):
    input: InputChecks = Field(default_factory=InputChecks)
    output: OutputChecks = Field(default_factory=OutputChecks)


class Limits(Strict):
    requests_per_minute: int | None = Field(None, gt=0)
    tokens_per_minute: int | None = Field(None, gt=0)
    monthly_budget_usd: float | None = Field(None, ge=0)


class AuditPolicy(Strict):
    content: Literal["redacted", "none"] = "redacted"
    retention_days: int = Field(400, gt=0)


class TenantPolicy(Strict):
    tenant: str
    api_keys: list[ApiKey]
    models: list[str] = Field(default_factory=list)
    pii: PiiPolicy = Field(default_factory=PiiPolicy)
    routing: RoutingPolicy = Field(default_factory=RoutingPolicy)
    checks: ChecksPolicy = Field(default_factory=ChecksPolicy)
    limits: Limits = Field(default_factory=Limits)
    audit: AuditPolicy = Field(default_factory=AuditPolicy)


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an http(s) URL, lower-cased and without a default port;
    None for anything else (other schemes, no host)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        host = f"[{host}]"
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{host}" if port in (None, default) else f"{scheme}://{host}:{port}"
