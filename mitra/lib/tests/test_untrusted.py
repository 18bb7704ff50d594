"""The one check on client text and JSON (`mitra.lib.untrusted`) and the form field using it."""

from __future__ import annotations

import json

import pytest
from django import forms
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mitra.lib import untrusted
from mitra.lib.textfield import TextField


@pytest.mark.parametrize(("text", "words"), [
    ("a\x00b", "NUL character (U+0000) at position 1"),
    ("\ud800", "lone surrogate (U+D800) at position 0"),
    ("ok \udfff", "lone surrogate (U+DFFF) at position 3"),
])
def test_nul_and_lone_surrogates_are_named_with_their_position(text, words):
    assert words in untrusted.text_problem(text)
    with pytest.raises(untrusted.Refused) as caught:
        untrusted.check_text("note", text)
    assert caught.value.field == "note" and str(caught.value).startswith("note: ")


@pytest.mark.parametrize("text", ["", "plain", "ไทย", "😀 a real pair", "\ufffd", "x" * 100_000,
                                  "tab\tnew\nline"])
def test_real_text_passes(text):
    assert untrusted.text_problem(text) is None
    assert untrusted.check_text("note", text) == text


def test_check_json_names_the_path_of_the_first_problem_in_document_order():
    document = {"a": [1, {"b": "fine", "c": "x\x00"}], "d": "\ud800"}
    with pytest.raises(untrusted.Refused) as caught:
        untrusted.check_json(document)
    assert caught.value.field == "a[1].c"
    with pytest.raises(untrusted.Refused) as caught:
        untrusted.check_json({"ok": {"\ud800key": 1}})
    assert caught.value.field == "ok.\ufffdkey"


def test_check_json_bounds_the_depth():
    assert untrusted.check_json([[[]]], max_depth=3) == [[[]]]
    with pytest.raises(untrusted.Refused) as caught:
        untrusted.check_json({"a": [[[]]]}, max_depth=3)
    assert caught.value.field == "a[0][0]"
    assert "nested more than 3 levels deep" in caught.value.problem


def test_load_json_refuses_nan_and_infinity_and_passes_not_json_on():
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(untrusted.Refused):
            untrusted.load_json(f'{{"mood": {constant}}}')
    with pytest.raises(ValueError):
        untrusted.load_json(b"not json{")
    with pytest.raises(ValueError):
        untrusted.load_json(b"\xff\xfe")
    assert untrusted.load_json(b'{"note": "\\ud83d\\ude00"}') == {"note": "😀"}


def test_a_document_deeper_than_the_parser_recursion_is_refused_naming_the_path():
    text = '{"item": [' + '{"x": 1, "item": [' * 5000 + "]}" * 5000 + "]}"
    with pytest.raises(untrusted.Refused) as caught:
        untrusted.load_json(text, max_depth=6)
    # The same path check_json names for a shallower one.
    assert caught.value.field == "item[0].item[0].item[0]"


# Any JSON document: nesting, keys and strings that include the text the check refuses.
json_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=5)
documents = st.recursive(
    st.none() | st.booleans() | st.integers() | json_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(json_text, inner, max_size=3),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=documents, max_depth=st.integers(1, 5))
def test_the_text_scan_finds_the_same_too_deep_path_as_the_walk(document, max_depth):
    # `_path_past` reads the text without recursion, for documents the parser cannot take: it
    # must name the path the walk over the parsed document names.
    text = json.dumps(document)
    try:
        untrusted.check_json(document, max_depth=max_depth)
        walked = None
    except untrusted.Refused as exc:
        walked = exc.field if "nested" in exc.problem else "text"
    scanned = untrusted._path_past(text, max_depth)
    if walked == "text":  # a text problem came first in document order; the depth is unknown
        return
    assert scanned == walked


class NoteForm(forms.Form):
    note = TextField(max_length=50, required=False)


@pytest.mark.parametrize("text", ["a\x00b", "a\ud800b"])
def test_the_form_field_refuses_with_the_shared_message_once(text):
    form = NoteForm({"note": text})
    assert not form.is_valid()
    assert form.errors["note"] == [untrusted.text_problem(text)]


def test_the_form_field_takes_real_text():
    form = NoteForm({"note": "  ไทย 😀 "})
    assert form.is_valid() and form.cleaned_data["note"] == "ไทย 😀"
