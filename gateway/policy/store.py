"""The policy in force, reloaded live: a broken edit is logged and the last good policy stays."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from gateway.errors import PolicyError
from gateway.policy.loader import PolicySet, load_policies, policy_files
from gateway.tenancy.keys import KeyIndex

log = logging.getLogger(__name__)

Snapshot = tuple[tuple[str, int, int], ...]


class PolicyStore:
    def __init__(self, directory: Path, environ: Mapping[str, str]) -> None:
        self.directory = directory
        self._environ = environ
        self._snapshot = self._take_snapshot()
        self.current: PolicySet = load_policies(directory, environ)  # raises: refuse to start
        self.keys = KeyIndex.build(self.current)
        self.on_install: list[Callable[[PolicySet], None]] = []  # told of each new version

    def _take_snapshot(self) -> Snapshot:
        entries = []
        for path in policy_files(self.directory):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            entries.append((path.name, stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def _load_if_changed(self) -> tuple[PolicySet, KeyIndex] | None:
        snapshot = self._take_snapshot()
        if snapshot == self._snapshot:
            return None
        self._snapshot = snapshot
        try:
            fresh = load_policies(self.directory, self._environ)
        except PolicyError as exc:
            log.error("policy reload rejected, keeping version %s: %s", self.current.version, exc)
            return None
        return fresh, KeyIndex.build(fresh)

    def _install(self, fresh: tuple[PolicySet, KeyIndex]) -> None:
        self.current, self.keys = fresh
        log.info("policy version %s is live", self.current.version)
        for listener in self.on_install:
            listener(self.current)

    def reload_if_changed(self) -> bool:
        """Load the files again if they changed; True when a new policy went live."""
        fresh = self._load_if_changed()
        if fresh is not None:
            self._install(fresh)
        return fresh is not None

    async def watch(self, interval_seconds: float) -> None:
        # Files are read on a thread; the swap happens on the event loop, between requests' steps.
        while True:
            await asyncio.sleep(interval_seconds)
            fresh = await asyncio.to_thread(self._load_if_changed)
            if fresh is not None:
                self._install(fresh)
