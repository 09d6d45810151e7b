"""YAML loading that remembers where each key sits, so problems can name file, line and key."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

PathPart = str | int
KeyPath = tuple[PathPart, ...]
Reader = Callable[[Any, KeyPath], Any]
T = TypeVar("T")
DocumentReader = Callable[[Any, "Checker"], T | None]
MAX_NODES = 100_000


@dataclass(frozen=True)
class RubricProblem:
    """One thing wrong with a rubric or targets file, precise enough to fix without hunting."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class RubricError(Exception):
    """Raised with every problem found in a file, so one edit-and-retry fixes them all."""

    def __init__(self, problems: Iterable[RubricProblem]) -> None:
        self.problems: list[RubricProblem] = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


@dataclass
class LocatedYaml:
    """Plain YAML data plus the 1-based line of every mapping key and list item."""

    data: Any
    lines: dict[KeyPath, int]
    problems: list[RubricProblem] = field(default_factory=list)


def format_path(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load_located_yaml(text: str, filename: str) -> LocatedYaml:
    """Parse one YAML document; a syntax error becomes a RubricError naming its line."""
    try:
        loader = _SafeLoader(text)
    except yaml.YAMLError as exc:
        raise RubricError([_syntax_problem(exc, text, filename)]) from None
    builder = _Builder(loader, filename)
    try:
        node = loader.get_single_node()
        data = builder.build(node, ()) if node is not None else None
    except yaml.YAMLError as exc:
        raise RubricError([_syntax_problem(exc, text, filename)]) from None
    finally:
        loader.dispose()
    if node is None:
        return LocatedYaml(None, {}, [])
    builder.lines.setdefault((), node.start_mark.line + 1)
    return LocatedYaml(data, builder.lines, builder.problems)


def read_text_file(path: Path | str) -> str:
    """Reads UTF-8 (a byte-order mark is fine); an unreadable file is a problem, not a crash."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        problem = RubricProblem(str(path), None, "", f"cannot read file: {exc}")
        raise RubricError([problem]) from None


def parse_document(text: str, filename: str, read: DocumentReader[T], expected: str) -> T:
    """Loads YAML and hands it to `read`; raises RubricError with every problem found."""
    located = load_located_yaml(text, filename)
    check = Checker(filename, located.lines)
    check.problems.extend(located.problems)
    if located.data is None:
        check.add((), f"the file is empty; expected {expected}")
        raise RubricError(check.problems)
    return read_document(located.data, check, read)


def read_document(data: Any, check: Checker, read: DocumentReader[T]) -> T:
    result = read(data, check)
    if check.problems or result is None:
        raise RubricError(sorted(check.problems, key=lambda problem: problem.line or 0))
    return result


def _syntax_problem(exc: yaml.YAMLError, text: str, filename: str) -> RubricProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    if isinstance(exc, yaml.reader.ReaderError) and isinstance(exc.position, int):
        line = text.count("\n", 0, exc.position) + 1
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}, {reason}" if context else reason
    return RubricProblem(filename, line, "", f"not valid YAML: {detail}")


_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser where PyYAML was built with it (about ten times faster), else PyYAML's."""


class _Builder:
    """Turns a composed node tree into plain values while recording line numbers."""

    def __init__(self, loader: Any, filename: str) -> None:
        self.loader = loader
        self.filename = filename
        self.lines: dict[KeyPath, int] = {}
        self.problems: list[RubricProblem] = []
        self._active: set[int] = set()
        self._budget = MAX_NODES

    def build(self, node: Node, path: KeyPath) -> Any:
        if id(node) in self._active:
            self._problem(node, path, "a YAML alias refers to itself")
            return None
        self._budget -= 1
        if self._budget < 0:
            message = f"more than {MAX_NODES} values (aliases expanding too far?)"
            raise yaml.YAMLError(message)
        self._active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self._item(child, (*path, index)) for index, child in enumerate(node.value)]
            return self.loader.construct_object(node, deep=True)
        finally:
            self._active.discard(id(node))

    def _item(self, node: Node, path: KeyPath) -> Any:
        self.lines[path] = node.start_mark.line + 1
        return self.build(node, path)

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._problem(key_node, path, "a key must be a plain value, not a list or mapping")
                continue
            if key_node.tag == "tag:yaml.org,2002:merge":
                self._problem(key_node, path, "merge keys (<<) are not supported; write keys out")
                continue
            key = self.loader.construct_object(key_node)
            child = (*path, str(key))
            if key in result:
                self._problem(key_node, child, "key appears more than once")
                continue
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result

    def _problem(self, node: Node, path: KeyPath, message: str) -> None:
        line = node.start_mark.line + 1
        self.problems.append(RubricProblem(self.filename, line, format_path(path), message))


class Checker:
    """Collects problems against key paths, and reads typed values without stopping at the first."""

    def __init__(self, filename: str, lines: Mapping[KeyPath, int] | None = None) -> None:
        self.filename = filename
        self.lines = dict(lines or {})
        self.problems: list[RubricProblem] = []

    def line_for(self, path: KeyPath) -> int | None:
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None

    def add(self, path: KeyPath, message: str) -> None:
        problem = RubricProblem(self.filename, self.line_for(path), format_path(path), message)
        self.problems.append(problem)

    def mapping(
        self, value: Any, path: KeyPath, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Any] | None:
        """Check a mapping's keys: report missing required keys and refuse unknown ones."""
        if not isinstance(value, dict):
            self.add(path, f"must be a mapping of keys, not {describe(value)}")
            return None
        required = list(required)
        allowed = set(required) | set(optional)
        for key in required:
            if key not in value:
                self.add((*path, key), "required key is missing")
        for key in value:
            if key not in allowed:
                self.add((*path, str(key)), _unknown_key_message(str(key), allowed))
        return {str(key): item for key, item in value.items() if key in allowed}

    def get(
        self, mapping: dict[str, Any], key: str, path: KeyPath, read: Reader, default: Any = None
    ) -> Any:
        """Reads `mapping[key]` with `read`; a missing key falls back to `default`, unchecked."""
        return read(mapping[key], (*path, key)) if key in mapping else default

    def records(
        self, raw: Any, path: KeyPath, required: Iterable[str], optional: Iterable[str] = ()
    ) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
        """Each well-formed mapping in a non-empty list, with its path."""
        items = self.sequence(raw, path) or []
        for index, item in enumerate(items):
            record = self.mapping(item, (*path, index), required, optional)
            if record is not None:
                yield (*path, index), record

    def sequence(self, value: Any, path: KeyPath, non_empty: bool = True) -> list[Any] | None:
        if not isinstance(value, list):
            self.add(path, f"must be a list, not {describe(value)}")
            return None
        if non_empty and not value:
            self.add(path, "must not be empty")
        return value

    def string(
        self, value: Any, path: KeyPath, pattern: tuple[str, str] | None = None
    ) -> str | None:
        """Non-blank text; `pattern` is (regex, what it means in words)."""
        if not isinstance(value, str):
            hint = f' (quote it: "{value}")' if isinstance(value, int | float) else ""
            self.add(path, f"must be text, not {describe(value)}{hint}")
            return None
        if not value.strip():
            self.add(path, "must not be blank")
            return None
        if pattern is not None and not re.fullmatch(pattern[0], value):
            self.add(path, f"{value!r} must be {pattern[1]}")
            return None
        return value.strip()

    def choice(self, value: Any, path: KeyPath, choices: Iterable[str]) -> str | None:
        options = list(choices)
        if value not in options:
            self.add(path, f"must be one of {', '.join(options)}, not {value!r}")
            return None
        return str(value)

    def integer(self, value: Any, path: KeyPath, minimum: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"must be a whole number, not {describe(value)}")
            return None
        if minimum is not None and value < minimum:
            self.add(path, f"must be at least {minimum}, not {value}")
            return None
        return value

    def number(
        self, value: Any, path: KeyPath, positive: bool = False, at_most: float | None = None
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, f"must be a number, not {describe(value)}")
            return None
        if positive and not value > 0:
            self.add(path, f"must be greater than 0, not {value}")
            return None
        if not positive and value < 0:
            self.add(path, f"must not be negative, not {value}")
            return None
        if at_most is not None and value > at_most:
            self.add(path, f"must be at most {at_most:g}, not {value}")
            return None
        return float(value)

    def boolean(self, value: Any, path: KeyPath) -> bool | None:
        if not isinstance(value, bool):
            self.add(path, f"must be true or false, not {describe(value)}")
            return None
        return value


def _unknown_key_message(key: str, allowed: set[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key (allowed here: {', '.join(sorted(allowed))})"


def describe(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return f"true/false ({value})"
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        int: "a whole number",
        float: "a number",
    }
    name = names.get(type(value), f"a {type(value).__name__}")
    return name if isinstance(value, dict | list) else f"{name} ({value!r})"
