"""The channel between the gateway and a model worker: a few typed messages, JSON framed.

One AF_UNIX socket pair per worker, nothing listening anywhere. Each frame is a 4-byte
big-endian length and a JSON object whose `op` names the message. JSON rather than pickle:
a worker runs native code that may be corrupted before it dies, and what it sends is read
as data, never as code to run.

    gateway -> worker   Load (first, once), Run, Cancel
    worker -> gateway   Ready | LoadFailed (answer to Load), Chunks*, then Done | Failed per Run
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, fields
from typing import Literal

from gateway.exchange import Endpoint, JsonObject

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 64 * 1024 * 1024  # a request body is at most a few MB; anything bigger is a bug


@dataclass(frozen=True, slots=True)
class Load:
    loader: str  # "package.module:function", called in the worker with `options`
    options: JsonObject


@dataclass(frozen=True, slots=True)
class Run:
    id: int
    endpoint: Endpoint
    stream: bool
    body: JsonObject


@dataclass(frozen=True, slots=True)
class Cancel:
    id: int


@dataclass(frozen=True, slots=True)
class Ready:
    info: JsonObject  # what the backend says about itself (for logs)


@dataclass(frozen=True, slots=True)
class LoadFailed:
    message: str  # for the caller: the backend's own words or the exception's type, no paths


@dataclass(frozen=True, slots=True)
class Chunks:
    id: int
    chunks: list[JsonObject]


@dataclass(frozen=True, slots=True)
class Done:
    id: int
    body: JsonObject | None  # the completion; None after a stream


@dataclass(frozen=True, slots=True)
class Failed:
    id: int
    kind: Literal["bad_request", "error"]
    message: str  # written for the caller, never quoting the request


ToWorker = Load | Run | Cancel
FromWorker = Ready | LoadFailed | Chunks | Done | Failed
Message = ToWorker | FromWorker

_BY_OP: dict[str, type[Message]] = {
    cls.__name__.lower(): cls
    for cls in (Load, Run, Cancel, Ready, LoadFailed, Chunks, Done, Failed)  # type: ignore[misc]
}


class ProtocolError(Exception):
    """A frame that is not one of the messages above."""


def encode(message: Message) -> bytes:
    payload = {"op": type(message).__name__.lower()}
    payload.update({item.name: getattr(message, item.name) for item in fields(message)})
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return HEADER.pack(len(data)) + data


def frame_length(header: bytes) -> int:
    (length,) = HEADER.unpack(header)
    if length > MAX_FRAME_BYTES:
        raise ProtocolError(f"frame of {length} bytes")
    return int(length)


def decode(data: bytes) -> Message:
    try:
        payload = json.loads(data)
        cls = _BY_OP[payload.pop("op")]
        return cls(**payload)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProtocolError(type(exc).__name__) from None
