"""`${VAR}` and `${VAR:-default}` in policy string values; an unset VAR without default is ''."""

from __future__ import annotations

import re
from collections.abc import Mapping

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def expand(value: str, environ: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        found = environ.get(name, "")
        if found == "" and default is not None:
            return default
        return found

    return _REFERENCE.sub(replace, value)


def expand_tree(node: object, environ: Mapping[str, str]) -> object:
    """Expand references in every string of a parsed YAML document (keys are left alone)."""
    if isinstance(node, str):
        return expand(node, environ)
    if isinstance(node, dict):
        return {key: expand_tree(value, environ) for key, value in node.items()}
    if isinstance(node, list):
        return [expand_tree(item, environ) for item in node]
    return node
