"""Loading firmware profiles: the built-in TOML files plus the folders the agent configures.

Adding a camera model is adding a TOML file: `load_profiles` reads every `*.toml`
of `firmware_profiles/profiles/` (sorted by file name), then of each extra
folder in the order given. A profile whose name was already loaded replaces the
earlier one (a site can override a built-in). A profile may `extends = "name"` a
profile loaded before it and set only what differs: tables merge key by key,
arrays and values are replaced (Frigate's per-camera overrides work the same
way). Any problem raises `ProfileError`
naming the file and the field, e.g.
`extra/cam.toml: field 'clips.globz': unknown field (allowed here: case_sensitive, globs, sidecars)`.
"""

from __future__ import annotations

import logging
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from firmware_profiles.errors import ProfileError
from firmware_profiles.profile import Profile

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).with_name("profiles")
_FIELD_PREFIX = re.compile(r"^([a-z_][a-z0-9_.]*): (.*)$", re.DOTALL)


def load_profile_file(path: Path) -> Profile:
    """Parse and validate one profile file (one that `extends` another needs `load_profiles`)."""
    return _load(Path(path), {})[0]


def _load(path: Path, bases: dict[str, dict]) -> tuple[Profile, dict]:
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: not valid TOML: {exc}", path=str(path)) from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc.strerror or exc}", path=str(path)) from None
    base_name = data.get("extends")
    if base_name is not None:
        if base_name not in bases:
            known = ", ".join(sorted(bases)) or "none"
            raise ProfileError(
                f"{path}: field 'extends': no profile {base_name!r} was loaded before this file "
                f"(loaded: {known})",
                path=str(path),
                field="extends",
            )
        data = _merge(bases[base_name], data)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise _profile_error(path, exc) from None
    profile._source = str(path)
    return profile, data


def _merge(base: dict, override: dict) -> dict:
    """`override` on top of `base`: tables merge key by key; arrays and values are replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_profiles(extra_dirs: Sequence[Path] = ()) -> list[Profile]:
    """The built-in profiles followed by those of `extra_dirs`; a later name overrides an earlier one."""
    by_name: dict[str, Profile] = {}
    raw: dict[str, dict] = {}  # validated data by name, what a later profile may extend
    for folder in (BUILTIN_DIR, *map(Path, extra_dirs)):
        if not folder.is_dir():
            raise ProfileError(
                f"{folder}: profile folder does not exist or is not a folder", path=str(folder)
            )
        for path in sorted(folder.glob("*.toml")):
            profile, data = _load(path, raw)
            if profile.name in by_name:
                log.info(
                    "profile %s from %s overrides the one from %s",
                    profile.name,
                    path,
                    by_name[profile.name].source_file,
                )
                del by_name[profile.name]  # re-inserted last: later folders win ties when matching
            by_name[profile.name] = profile
            raw[profile.name] = data
    return list(by_name.values())


def check_profile_files(paths: Sequence[Path]) -> list[tuple[Path, ProfileError | None]]:
    """Validate profile files (folders: their *.toml) on top of the built-ins; every error, not the first."""
    raw: dict[str, dict] = {}
    for path in sorted(BUILTIN_DIR.glob("*.toml")):
        profile, data = _load(path, raw)
        raw[profile.name] = data
    results: list[tuple[Path, ProfileError | None]] = []
    for target in map(Path, paths):
        for path in sorted(target.glob("*.toml")) if target.is_dir() else [target]:
            try:
                profile, data = _load(path, raw)
            except ProfileError as exc:
                results.append((path, exc))
                continue
            raw[profile.name] = data
            results.append((path, None))
    return results


def get_profile(name: str, profiles: Sequence[Profile]) -> Profile:
    for profile in profiles:
        if profile.name == name:
            return profile
    known = ", ".join(sorted(p.name for p in profiles)) or "none"
    raise ProfileError(f"unknown profile {name!r} (known: {known})", field="name")


def _profile_error(path: Path, exc: ValidationError) -> ProfileError:
    lines, fields = [], []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        field = ".".join(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = _allowed_fields(err["loc"][:-1])
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            msg = f"unknown field{hint}"
        elif err["type"] == "missing":
            msg = "required but missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
            named = None if loc else _FIELD_PREFIX.match(msg)
            if named:  # a cross-field check names its field at the start of its message
                field, msg = named.group(1), named.group(2)
        fields.append(field)
        lines.append(f"field '{field}': {msg}")
    summary = f"{path}: " + "; ".join(lines)
    return ProfileError(summary, path=str(path), field=fields[0] if fields else None)


def _allowed_fields(loc: tuple) -> list[str]:
    """The field names the schema allows at `loc` (a pydantic error location without its last part)."""
    model: type[BaseModel] | None = Profile
    dict_key_next = False
    for part in loc:
        if model is None:
            return []
        if isinstance(part, int) or dict_key_next:
            dict_key_next = False
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if typing.get_origin(annotation) is dict:
            annotation, dict_key_next = typing.get_args(annotation)[1], True
        model = _model_in(annotation)
    return sorted(model.model_fields) if model else []


def _model_in(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found:
                return found
    return None
