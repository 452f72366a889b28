"""Routing: a pure decision of where a request may run."""

from gateway.routing.decide import Route, decide, fallback_route

__all__ = ["Route", "decide", "fallback_route"]
