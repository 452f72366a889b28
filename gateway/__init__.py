"""Privacy-and-governance inference gateway: an OpenAI-compatible proxy with per-tenant policy."""

__version__ = "0.1.0"
