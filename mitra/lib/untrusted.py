"""The one check on text and JSON a client sends, before anything reads or stores it. No Django.

Text may not hold
- a NUL character (U+0000): PostgreSQL's text cannot store one (psycopg raises), SQLite stores
  it and every later reader trips on it;
- a lone UTF-16 surrogate (U+D800-U+DFFF): JSON's "\\ud800" escape decodes to one; it is not a
  character and cannot be written as UTF-8, so the database driver fails on it.

`text_problem` is the test; every way in uses it, so the answer is the same 4xx naming the
field however the text came:
- JSON bodies: `load_json` (the REST API and the FHIR interface, `mitra.api.parsing`; the
  diary's own JSON endpoint) checks every string and key, at any depth, and the depth itself
  (`MAX_DEPTH`): a document nested thousands deep would exhaust the parser's recursion.
- Query parameters of the API (`check_text`, `mitra.api.parsing`).
- Web forms: `mitra.lib.textfield.TextField` (a form post cannot carry a surrogate: Django
  decodes it with replacement characters; a NUL it can).
"""

from __future__ import annotations

import json
import re
from typing import Any

# Containers nested in one another (an object in a list in an object: 3). The deepest
# document Mitra reads is a FHIR QuestionnaireResponse, about 3 + 4 a nesting level of items.
MAX_DEPTH = 64

_UNSAFE = re.compile("[\x00\ud800-\udfff]")


class Refused(Exception):
    """Text or JSON Mitra will not take. `field`: where it was (a form field, a query
    parameter, a JSON path such as `uses[0].product_label`), None for the whole body."""

    def __init__(self, field: str | None, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


def text_problem(value: str) -> str | None:
    """What is wrong with `value` as text, or None when nothing is."""
    found = _UNSAFE.search(value)
    if found is None:
        return None
    char, at = found.group(), found.start()
    if char == "\x00":
        return (f"contains a NUL character (U+0000) at position {at}, which text may not "
                "hold; remove it")
    return (f"contains a lone surrogate (U+{ord(char):04X}) at position {at}, which is not a "
            "character; send the text as UTF-8 (a JSON \\ud800-\\udfff escape must be one "
            "of a pair)")


def check_text(field: str | None, value: str) -> str:
    """`value`, or Refused naming `field`."""
    problem = text_problem(value)
    if problem is not None:
        raise Refused(field, problem)
    return value


def shown_key(key: str) -> str:
    """A JSON key as it may be shown in a path: NUL and surrogates replaced by U+FFFD."""
    return _UNSAFE.sub("\ufffd", key)


def _member(path: str, key: str) -> str:
    key = shown_key(key)
    return f"{path}.{key}" if path else key


def check_json(document: Any, *, max_depth: int = MAX_DEPTH) -> Any:
    """`document` (parsed JSON), or Refused naming the path of the first string or key that is
    not text, or of the first container nested more than `max_depth` deep."""
    # Iterative, so that depth costs no recursion; (value, path, depth).
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            check_text(path or None, value)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > max_depth:
            raise Refused(path or None, f"nested more than {max_depth} levels deep")
        if isinstance(value, dict):
            children = []
            for key, child in value.items():
                check_text(_member(path, key), key)
                children.append((child, _member(path, key), depth + 1))
        else:
            children = [(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(value)]
        stack.extend(reversed(children))  # the first problem in document order is reported
    return document


def _not_json(constant: str) -> Any:
    raise Refused(None, f"{constant} is not a JSON number; send a number, or null")


def load_json(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse and check a JSON body. Refused for what it holds (above) and for NaN or Infinity
    (Python's parser takes them; JSON has none); ValueError when it is not JSON at all."""
    try:
        document = json.loads(raw, parse_constant=_not_json)
    except RecursionError:
        # Nested deeper than the parser's recursion goes (about a thousand): find the path
        # where it passed `max_depth` in the text itself.
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        raise Refused(_path_past(text, max_depth), f"nested more than {max_depth} levels "
                      "deep") from None
    return check_json(document, max_depth=max_depth)


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def _path_past(text: str, max_depth: int) -> str | None:
    """The path (as `check_json` names it) of the first container nested more than
    `max_depth` deep in JSON text, read without recursion; None if there is none."""
    # One frame per open container: [kind, key or index, expecting a key].
    stack: list[list[Any]] = []
    for token in _TOKEN.finditer(text):
        mark = token.group()
        if mark in ("{", "["):
            if len(stack) == max_depth:
                path = ""
                for kind, at, _ in stack:
                    path = _member(path, at) if kind == "{" else f"{path}[{at}]"
                return path or None
            stack.append(["{", "", True] if mark == "{" else ["[", 0, False])
        elif mark in ("}", "]"):
            if stack:
                stack.pop()
        elif not stack:
            continue
        elif mark == ",":
            if stack[-1][0] == "[":
                stack[-1][1] += 1
            else:
                stack[-1][2] = True
        elif stack[-1][0] == "{" and stack[-1][2]:  # a string where an object's key goes
            try:
                stack[-1][1] = str(json.loads(mark))
            except ValueError:
                stack[-1][1] = mark[1:-1]
            stack[-1][2] = False
    return None
