import os

# Presidio's tldextract would try the network on the first e-mail address without this.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

import pytest

from gateway.checks.pii.engine import PresidioDetector


@pytest.fixture(scope="session")
def presidio() -> PresidioDetector:
    """The real Presidio detector, loaded once for the whole session (it takes a second)."""
    return PresidioDetector()
