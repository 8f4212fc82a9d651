"""The pure rendering functions: substitution is literal, single-pass and never evaluates."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from llmforge.prompts import rendering
from llmforge.prompts.models import PromptTemplate
from llmforge.prompts.rendering import TemplateProblem, placeholders, render
from llmforge.prompts.schemas import (
    MAX_BODY,
    PreviewRequest,
    PromptTemplateCreate,
    TemplateVariable,
)


def variables(*names: str, **defaults: str) -> list[TemplateVariable]:
    declared = [TemplateVariable(name=name) for name in names]
    declared += [TemplateVariable(name=name, default=value) for name, value in defaults.items()]
    return declared


def problem(body: str, declared: list[TemplateVariable], values: dict[str, str]) -> TemplateProblem:
    with pytest.raises(TemplateProblem) as raised:
        render(body, declared, values)
    return raised.value


def test_placeholder_syntax() -> None:
    assert placeholders("{{a}} {{ b }} {{\tc\n}} {{a}} {{_x9}}") == ["a", "b", "c", "_x9"]
    assert placeholders("{{1a}} {{a-b}} {{ a b }} {a} {{}} {{ä}}") == []
    body = "{{1a}} {{a-b}} {a} {{}} {{{x}}} {{{{x}}}}"
    assert render(body, variables("x"), {"x": "X"}) == "{{1a}} {{a-b}} {a} {{}} {X} {{X}}"


def test_values_defaults_and_optional() -> None:
    declared = [
        TemplateVariable(name="who", required=True),
        TemplateVariable(name="tone", default="friendly"),
        TemplateVariable(name="extra"),
        TemplateVariable(name="unused", required=True, default="fine"),
    ]
    body = "To {{who}} ({{tone}}){{extra}}"
    assert render(body, declared, {"who": "Ada"}) == "To Ada (friendly)"
    assert render(body, declared, {"who": "Ada", "tone": "", "extra": "!"}) == (
        "To Ada (friendly)!"
    )
    missing = problem(body + "{{unused}}", [*declared[1:], declared[0]], {"tone": "x"})
    assert missing.code == "missing_variable" and missing.details == {"variables": ["who"]}
    assert missing.status_code == 422 and "who" in missing.message


def test_every_missing_required_variable_is_named() -> None:
    declared = [TemplateVariable(name=name, required=True) for name in ("a", "b", "c")]
    missing = problem("{{a}}{{b}}{{c}}", declared, {"b": "B"})
    assert missing.details == {"variables": ["a", "c"]} and "a, c" in missing.message


def test_declaration_problems() -> None:
    undeclared = problem("{{a}} {{b}} {{c}} {{a}}", variables("b"), {})
    assert undeclared.code == "undeclared_variable"
    assert undeclared.details == {"variables": ["a", "c"]}
    duplicate = problem("{{a}}", [*variables("a", "b"), TemplateVariable(name="a")], {})
    assert duplicate.code == "duplicate_variable" and duplicate.details == {"variables": ["a"]}
    unknown = problem("{{a}}", variables("a"), {"a": "1", "z": "2"})
    assert unknown.code == "unknown_variable" and unknown.details == {"variables": ["z"]}
    rendering.check_declarations("no placeholders", variables("spare"))  # unused is allowed


def test_output_size_is_bounded_before_building_it() -> None:
    body = "{{x}}" * 1000
    assert len(render(body, variables("x"), {"x": "y" * 1000})) == 1_000_000
    too_long = problem(body, variables("x"), {"x": "y" * 1001})
    assert too_long.code == "rendered_too_long"


def test_renders_a_stored_template() -> None:
    stored = PromptTemplate(
        body="Hi {{ name }}", variables=[{"name": "name", "default": "there", "required": True}]
    )
    assert render(stored, None, {}) == "Hi there"
    assert render(stored, None, {"name": "{{name}}"}) == "Hi {{name}}"


def test_schema_limits() -> None:
    base = {"name": "n", "body": "b"}
    assert PromptTemplateCreate.model_validate({**base, "body": "x" * MAX_BODY}).body
    with pytest.raises(ValidationError):
        PromptTemplateCreate.model_validate({**base, "body": "x" * (MAX_BODY + 1)})
    tags = PromptTemplateCreate.model_validate({**base, "tags": [" a ", "b", "a"]}).tags
    assert tags == ["a", "b"]
    for bad in (
        {"tags": ["t"] * 21},
        {"tags": [""]},
        {"variables": [{"name": f"v{i}"} for i in range(51)]},
        {"variables": [{"name": "has space"}]},
        {"name": "n" * 201},
    ):
        with pytest.raises(ValidationError):
            PromptTemplateCreate.model_validate({**base, **bad})
    with pytest.raises(ValidationError):
        PreviewRequest.model_validate({"body": "b", "values": {f"v{i}": "" for i in range(51)}})


NAMES = ["a", "b", "name", "_x"]
LITERAL = st.text(st.characters(blacklist_characters="{}"), max_size=20)
PART = st.one_of(
    LITERAL.map(lambda text: ("text", text)), st.sampled_from(NAMES).map(lambda name: ("var", name))
)


@given(
    parts=st.lists(PART, max_size=12),
    values=st.fixed_dictionaries({name: st.text(max_size=30) for name in NAMES}),
    spaced=st.booleans(),
)
def test_values_are_inserted_literally_and_never_expanded(
    parts: list[tuple[str, str]], values: dict[str, str], spaced: bool
) -> None:
    """Whatever a value holds ({{other}}, regex escapes, format fields), it appears verbatim,
    exactly where its placeholder was, and nothing else changes."""
    placeholder = "{{ %s }}" if spaced else "{{%s}}"
    body = "".join(placeholder % value if kind == "var" else value for kind, value in parts)
    declared = [TemplateVariable(name=name) for name in NAMES]
    given_values = {name: value for name, value in values.items() if value}
    expected = "".join(values[value] if kind == "var" else value for kind, value in parts)
    assert render(body, declared, given_values) == expected


@given(
    value=st.text(max_size=40).map(lambda text: "{{b}}" + text + "{{ a }}\\g<0>\\1{0}"),
)
def test_a_value_full_of_placeholders_stays_as_typed(value: str) -> None:
    declared = variables("a", "b")
    assert render("<{{a}}|{{b}}>", declared, {"a": value, "b": "B"}) == f"<{value}|B>"
