"""Tenancy: a bearer key's sha256 -> the tenant and the key's name."""
