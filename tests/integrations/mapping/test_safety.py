"""User text in a document is data: it must never become code."""

import inspect

from integrations.mapping import codegen, compile_mapping
from tests.integrations.mapping.helpers import document, value

HOSTILE = '__import__("os").system("echo pwned")'


def test_hostile_text_as_a_path_is_only_ever_jmespath(tmp_path):
    marker = tmp_path / "pwned"
    hostile = f'__import__("os").system("touch {marker}")'
    result = compile_mapping(document({"X": {"from": hostile}})).apply({})
    assert not marker.exists()
    (problem,) = result.problems  # JMESPath knows no such function: a problem, not a call
    assert problem.target_path == "X"


def test_hostile_text_as_field_name_and_constant_is_copied_verbatim():
    doc = document({HOSTILE: {"const": HOSTILE}, "k": {"from": "a", "default": HOSTILE}})
    record = compile_mapping(doc).apply({}).record
    assert record == {HOSTILE: HOSTILE, "k": HOSTILE}


def test_hostile_text_as_a_path_key_is_only_a_dictionary_key():
    assert value("a.b", {"a": {"b": "ok"}}) == "ok"
    weird = document({"X": "__class__.__name__"})
    assert compile_mapping(weird).apply({}).record == {}


def test_generated_builder_source_has_no_string_literals():
    source = inspect.getsource(codegen.fast_builder)
    assert "exec(compile(source" in source
    assert codegen._SAFE_SOURCE.fullmatch("out[n0] = value") is not None
    assert codegen._SAFE_SOURCE.fullmatch('out["x"] = 1') is None


def test_prove_safe_refuses_names_that_are_not_ours():
    try:
        codegen._prove_safe("value = open(k0)", {"k0": "x"})
    except AssertionError as exc:
        assert "open" in str(exc)
    else:
        raise AssertionError("an unexpected name was accepted")


def test_no_eval_anywhere_in_the_engine():
    import pathlib

    package = pathlib.Path(codegen.__file__).parent
    for path in package.rglob("*.py"):
        text = path.read_text()
        assert "eval(" not in text, path
        assert "exec(" not in text or path.name == "codegen.py", path
