"""The one registry of checks: policy key -> config model and implementing class.

A check is configured as `checks.input.<name>` or `checks.output.<name>` (the PII input check
is the top-level `pii:` section). Each entry here names the check's config model (typed,
`extra=forbid`) and the class that runs it. The policy's `checks:` sections are generated from
these entries, so a name this registry does not know, or a key its model does not take, is a
load error naming file, line and key; the JSON Schema admins' editors use comes from the same
models (`gateway policy schema`).

The implementing class is named by import path and imported only when the gateway builds its
checks: the policy schema is built from this module, and a check's implementation (which may
read the policy, load a model, start workers) must not be imported to validate a file.

To add a check: its config model (a `CheckConfig` subclass, in a module that imports nothing of
the gateway but `gateway.checks.config`), its class (`InputCheck` or `OutputCheck` of
`gateway.checks.base`, whose `config_model` is that model), and one `Registered` line below.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

from gateway.checks.bias.config import BiasConfig
from gateway.checks.config import CheckConfig, Stage
from gateway.checks.injection.config import InjectionConfig
from gateway.checks.pii.config import PiiOutputConfig
from gateway.checks.topics.config import BannedTopicsConfig
from gateway.checks.toxicity.config import ToxicityInputConfig, ToxicityOutputConfig

if TYPE_CHECKING:
    from gateway.checks.base import CheckContext, InputCheck, OutputCheck

log = logging.getLogger(__name__)

CheckT = TypeVar("CheckT", bound="InputCheck | OutputCheck")


@dataclass(frozen=True, slots=True)
class Registered:
    stage: Stage
    name: str
    config: type[CheckConfig]
    implementation: str  # "module:Class", a subclass of InputCheck / OutputCheck
    summary: str  # one line: what it does (the schema's description)

    def implementation_class(self) -> type[InputCheck] | type[OutputCheck]:
        module, _, attribute = self.implementation.partition(":")
        found: type[InputCheck] | type[OutputCheck] = getattr(importlib.import_module(module), attribute)
        return found


REGISTRY: tuple[Registered, ...] = (
    Registered(
        "input",
        "prompt_injection",
        InjectionConfig,
        "gateway.checks.injection.check:PromptInjection",
        "Prompt injection and jailbreaks in any text of the request, tool results and documents included.",
    ),
    Registered(
        "input",
        "toxicity",
        ToxicityInputConfig,
        "gateway.checks.toxicity.check:InputToxicity",
        "Profanity and insults in any text of the request (not articulate harm).",
    ),
    Registered(
        "input",
        "banned_topics",
        BannedTopicsConfig,
        "gateway.checks.topics.check:BannedTopics",
        "Requests about topics the tenant lists, matched by meaning (names and example phrases).",
    ),
    Registered(
        "output",
        "pii",
        PiiOutputConfig,
        "gateway.checks.pii.output_check:OutputPii",
        "PII the model produced on its own (the caller's own values are left alone).",
    ),
    Registered(
        "output",
        "toxicity",
        ToxicityOutputConfig,
        "gateway.checks.toxicity.check:OutputToxicity",
        "Profanity and insults in the answer, sentence by sentence (streams too).",
    ),
    Registered(
        "output",
        "bias",
        BiasConfig,
        "gateway.checks.bias.check:OutputBias",
        "Flags answers that ascribe traits to a demographic group (flag only, never changes the answer).",
    ),
)


def registered(stage: Stage) -> tuple[Registered, ...]:
    return tuple(entry for entry in REGISTRY if entry.stage == stage)


def build_checks(
    stage: Stage, base: type[CheckT], context: CheckContext, stand_in: Callable[[str], CheckT]
) -> dict[str, CheckT]:
    """One instance of each check registered for `stage` (a subclass of `base`). A check that
    fails to build is logged (its exception's type only: the message may quote a path or a
    text) and replaced by `stand_in(name)`, which fails closed for every request it should
    scan, so that the gateway still starts for the others."""
    checks: dict[str, CheckT] = {}
    for entry in registered(stage):
        try:
            check_class = entry.implementation_class()
            assert issubclass(check_class, base) and check_class.config_model is entry.config
            checks[entry.name] = check_class(context)
        except Exception as exc:
            log.error("%s check %s could not be built: %s", stage, entry.name, type(exc).__name__)
            checks[entry.name] = stand_in(entry.name)
    return checks


def lookup(stage: Stage, name: str) -> Registered | None:
    return next((entry for entry in REGISTRY if entry.stage == stage and entry.name == name), None)


class CheckSection(BaseModel):
    """`checks.input` or `checks.output`: one optional field per registered check."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def configured(self) -> dict[str, CheckConfig]:
        """The checks this section enables, by name, in registry order."""
        return {name: value for name in type(self).model_fields if (value := getattr(self, name)) is not None}

    def get(self, name: str) -> CheckConfig | None:
        value = getattr(self, name, None)
        return value if isinstance(value, CheckConfig) else None


def section_model(stage: Stage) -> type[CheckSection]:
    fields: dict[str, Any] = {
        entry.name: (entry.config | None, Field(None, description=entry.summary))
        for entry in registered(stage)
    }
    name = f"{stage.capitalize()}Checks"
    return create_model(name, __base__=CheckSection, __doc__=f"checks.{stage}: the {stage} checks", **fields)
