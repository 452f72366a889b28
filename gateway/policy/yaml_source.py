"""Parse YAML keeping the line of every key, so errors can name `file:line: key.path`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from gateway.errors import PolicyError

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class YamlDocument:
    path: Path
    data: object
    lines: dict[KeyPath, int]

    def line_of(self, key_path: KeyPath) -> int | None:
        """The line of the deepest key of `key_path` that exists in the file (1-based)."""
        for end in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return line
        return None

    def error(self, key_path: KeyPath, problem: str) -> PolicyError:
        dotted = ".".join(str(part) for part in key_path)
        return PolicyError(str(self.path), self.line_of(key_path), dotted, problem)


def read_yaml(path: Path) -> YamlDocument:
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(str(path), line, "", f"invalid YAML: {problem}") from None
    lines: dict[KeyPath, int] = {(): 1}
    if root is not None:
        _collect_lines(root, (), lines)
    return YamlDocument(path=path, data=data, lines=lines)


def _collect_lines(node: yaml.Node, prefix: KeyPath, lines: dict[KeyPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*prefix, str(key_node.value))
            lines[key_path] = key_node.start_mark.line + 1
            _collect_lines(value_node, key_path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            key_path = (*prefix, index)
            lines[key_path] = item.start_mark.line + 1
            _collect_lines(item, key_path, lines)
