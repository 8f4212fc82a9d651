"""Paths users give for models and adapters: absolute, no `..`, inside an allowed root."""

from pathlib import Path, PurePosixPath

from llmforge.core.errors import InvalidInput


def resolve_inside(raw: str, roots: list[Path], *, field: str = "path") -> Path:
    """The resolved directory `raw` names; 422 (nothing touched) unless it is an absolute path
    without `..` whose real location (symlinks followed) lies inside one of `roots`."""
    if "\x00" in raw:
        raise InvalidInput(f"{field}: the path contains a NUL byte.", code="invalid_path")
    given = PurePosixPath(raw)
    if ".." in given.parts:
        raise InvalidInput(f"{field}: the path may not contain '..'.", code="path_traversal")
    if not given.is_absolute():
        raise InvalidInput(f"{field}: give an absolute path.", code="path_not_absolute")
    resolved = Path(raw).resolve()
    if not any(resolved.is_relative_to(root) for root in roots):
        raise InvalidInput(
            f"{field}: {raw} is outside the allowed directories.",
            code="path_outside_roots",
            details={"roots": [str(root) for root in roots]},
        )
    if not resolved.is_dir():
        raise InvalidInput(f"{field}: {raw} is not a directory.", code="not_a_directory")
    return resolved
