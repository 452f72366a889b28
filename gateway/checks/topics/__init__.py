"""Banned topics: requests about what a tenant lists, matched by meaning with static embeddings
distilled from all-MiniLM-L6-v2 (Apache-2.0); see `training/topics.py`."""
