"""Serve tests/cloud_standin.py (the ASGI loopback "cloud" of the integration tests) with uvicorn,
uvloop and httptools, for the benchmark. Its record of received bodies is bounded here so that
a long load run does not grow memory.

    python bench/serve_standin.py --port 8001
"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvicorn

from tests.cloud_standin import CloudStandIn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--echo", action="store_true", help="answer with the last user message")
    args = parser.parse_args()
    if not (args.host == "localhost" or args.host.startswith("127.")):
        parser.error("the stand-in listens on loopback only")
    app = CloudStandIn(echo=args.echo)
    app.received = collections.deque(maxlen=100)  # type: ignore[assignment]
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
