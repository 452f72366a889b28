"""HTTP routes: OpenAI-compatible endpoints and health."""
