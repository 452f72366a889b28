"""Audit: one PII-free, hash-chained record per request; writer, verification and export."""
