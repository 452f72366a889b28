"""`checks.input.banned_topics`: topics in plain words, optionally with example phrases."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.checks.config import CheckConfig


class Topic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="the topic in plain words, e.g. weapons manufacturing")
    examples: tuple[str, ...] = Field((), description="requests that are about it: they sharpen the match")


class BannedTopicsConfig(CheckConfig):
    """Every text of the request is compared, sentence by sentence, with each topic's name and
    examples by meaning (how well the sentence covers each phrase, word by word, with static
    embeddings; a topic scores the mean of its two best-covered phrases); at `threshold` or
    above it is about it."""

    action: Literal["block", "flag", "shadow"] = "block"
    topics: tuple[str | Topic, ...] = Field(min_length=1)
    threshold: float = Field(
        0.51, ge=0.0, le=1.0, description="similarity at or above which a text is on topic"
    )

    def named_topics(self) -> tuple[Topic, ...]:
        return tuple(Topic(name=topic) if isinstance(topic, str) else topic for topic in self.topics)
