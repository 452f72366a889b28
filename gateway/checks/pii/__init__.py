"""The PII stage: Presidio detection, per-entity actions, reversible pseudonyms, output guard.

    config      `checks.output.pii`'s config model; `output_check` puts the guard in the chain
    scope       what a tenant's policy asks to look for (hashable: cache key, worker argument)
    engine      Presidio + the packaged spaCy model, built once; `PresidioDetector`
    detection   the async front: per-text LRU cache, a thread or worker processes, time budget
    actions     redact / mask / hash / pseudonymize / local_only / block / allow, on one text
    check       `PiiCheck`, the input check that ties them together; `ImageCheck` for images
    guard       `PiiGuard`, the output guard: scan the answer, then restore pseudonyms
    restore     stream-safe pseudonym restoration

Importing this package sets `TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS` (unless set): tldextract,
which Presidio's e-mail recognizer imports, otherwise fetches the public suffix list from the
network on first use. An empty value makes it use the snapshot it ships. It must happen before
Presidio is first imported, which is why it sits here and not in `engine`.
"""

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
