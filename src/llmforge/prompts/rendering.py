"""Template variables: `{{name}}` placeholders, found and replaced in one regex pass.

Pure functions without I/O, reusable by chat. Nothing in a template or in a value is ever
evaluated: no `str.format`, no Jinja, no eval. Each placeholder is replaced by its value exactly
once, and the value is inserted literally, so a value that itself contains `{{other}}` stays as
the user typed it.
"""

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from llmforge.core.errors import InvalidInput
from llmforge.prompts.schemas import TemplateVariable

VARIABLE_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
PLACEHOLDER = re.compile(r"\{\{\s*(" + VARIABLE_NAME + r")\s*\}\}")
MAX_RENDERED_CHARS = 1_000_000


class TemplateSource(Protocol):
    """What a stored template offers to rendering (the ORM row has these columns)."""

    @property
    def body(self) -> str: ...

    @property
    def variables(self) -> list[dict[str, Any]]: ...


class TemplateProblem(InvalidInput):
    """A template or its values cannot be used; `details.variables` names the culprits."""

    def __init__(self, message: str, *, code: str, variables: Iterable[str]) -> None:
        super().__init__(message, code=code, details={"variables": list(variables)})


def _named(names: Sequence[str]) -> str:
    return ", ".join(names)


def placeholders(body: str) -> list[str]:
    """The variable names a body uses, in order of first use, each once."""
    return list(dict.fromkeys(match.group(1) for match in PLACEHOLDER.finditer(body)))


def parse_variables(stored: Iterable[Mapping[str, Any]]) -> list[TemplateVariable]:
    return [TemplateVariable.model_validate(item) for item in stored]


def check_declarations(body: str, variables: Sequence[TemplateVariable]) -> None:
    """Refuse duplicate declarations and placeholders without a declaration. Variables that
    are declared but unused are allowed (a template may keep one for later)."""
    counts = Counter(variable.name for variable in variables)
    duplicates = sorted(name for name, count in counts.items() if count > 1)
    if duplicates:
        raise TemplateProblem(
            f"Each variable may be declared once; declared more than once: {_named(duplicates)}.",
            code="duplicate_variable",
            variables=duplicates,
        )
    undeclared = [name for name in placeholders(body) if name not in counts]
    if undeclared:
        raise TemplateProblem(
            f"The body uses undeclared variables: {_named(undeclared)}. "
            "Declare them or remove their placeholders.",
            code="undeclared_variable",
            variables=undeclared,
        )


def resolve_values(
    variables: Sequence[TemplateVariable], values: Mapping[str, str]
) -> dict[str, str]:
    """Each declared variable's value: the given one, else its default, else "" when optional.
    An empty given value counts as not given (an empty form field). Unknown names and
    missing required values are refused, naming every one of them."""
    declared = {variable.name for variable in variables}
    unknown = sorted(name for name in values if name not in declared)
    if unknown:
        raise TemplateProblem(
            f"Values were given for variables the template does not declare: {_named(unknown)}.",
            code="unknown_variable",
            variables=unknown,
        )
    resolved: dict[str, str] = {}
    missing: list[str] = []
    for variable in variables:
        given = values.get(variable.name)
        if given:
            resolved[variable.name] = given
        elif variable.default is not None and variable.default != "":
            resolved[variable.name] = variable.default
        elif variable.required:
            missing.append(variable.name)
        else:
            resolved[variable.name] = ""
    if missing:
        raise TemplateProblem(
            f"A value is required for: {_named(missing)}.",
            code="missing_variable",
            variables=missing,
        )
    return resolved


def substitute(body: str, resolved: Mapping[str, str]) -> str:
    """Replace every placeholder by its value in one pass; the result is never scanned again.
    Refuses (before building it) a result longer than MAX_RENDERED_CHARS."""
    length = len(body)
    for match in PLACEHOLDER.finditer(body):
        length += len(resolved[match.group(1)]) - len(match.group(0))
    if length > MAX_RENDERED_CHARS:
        raise TemplateProblem(
            f"The rendered text would be {length:,} characters; "
            f"the limit is {MAX_RENDERED_CHARS:,}.",
            code="rendered_too_long",
            variables=[],
        )
    # A function as the replacement: its return value is used verbatim (no backslash escapes,
    # no group references), and re.sub never looks at the text it has inserted.
    return PLACEHOLDER.sub(lambda match: resolved[match.group(1)], body)


def render(
    template: str | TemplateSource,
    variables: Sequence[TemplateVariable] | None,
    values: Mapping[str, str],
) -> str:
    """Render a body (or a stored template, whose own variables are used when `variables` is
    None) with the given values. Raises TemplateProblem (HTTP 422) with a stable code:
    duplicate_variable, undeclared_variable, unknown_variable, missing_variable,
    rendered_too_long."""
    if isinstance(template, str):
        body, declared = template, list(variables or [])
    else:
        body = template.body
        declared = list(variables) if variables is not None else parse_variables(template.variables)
    check_declarations(body, declared)
    return substitute(body, resolve_values(declared, values))
