"""Policies: typed schema, YAML loader with line-accurate errors, and a live-reloading store."""
