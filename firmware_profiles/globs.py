"""Path globs and name templates of firmware profiles.

Globs are relative to the volume root, matched segment by segment: `*` and `?`
never cross a `/`, `**` spans any number of folders, `[...]` is a character
class. FAT volumes ignore case, so profiles match case-insensitively unless they
say otherwise. Templates are `str.format` strings; `render` refuses results that
would leave the volume (absolute paths, `..`).
"""

from __future__ import annotations

import re
import string
from functools import lru_cache
from pathlib import PurePosixPath


def _segment_regex(segment: str) -> str:
    out, i = [], 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.find("]", i + 2)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = segment[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


@lru_cache(maxsize=256)
def compile_glob(glob: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """Compile a volume-relative glob to a regex matched against a POSIX relative path."""
    segments = glob.strip("/").split("/")
    regex = ""
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            regex += ".+" if last else "(?:[^/]+/)*"
        else:
            regex += _segment_regex(segment) + ("" if last else "/")
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile(regex, flags)


def glob_matches(glob: str, relpath: PurePosixPath | str, case_sensitive: bool = False) -> bool:
    return compile_glob(glob, case_sensitive).fullmatch(str(relpath)) is not None


def check_glob(glob: str) -> str:
    """Validate a glob for the schema; returns it unchanged."""
    if not glob or glob.startswith("/") or ".." in PurePosixPath(glob).parts:
        raise ValueError(f"glob {glob!r} must be relative to the volume root and must not contain '..'")
    compile_glob(glob)
    return glob


def template_fields(template: str) -> set[str]:
    """The replacement field names a `str.format` template uses."""
    try:
        return {
            name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template)
            if name is not None
        }
    except ValueError as exc:
        raise ValueError(f"template {template!r} is not a valid format string: {exc}") from None


def check_relative(path: str, what: str, *, root_anchor: bool = False) -> str:
    """Validate a volume-relative path or path template: not absolute, no '..'.

    With `root_anchor`, one leading '/' is allowed and means "from the volume root".
    """
    p = PurePosixPath(path[1:] if root_anchor and path.startswith("/") else path)
    if not path or p.is_absolute() or ".." in p.parts:
        raise ValueError(f"{what} {path!r} must stay inside the volume (relative, no '..')")
    return path


def safe_relpath(text: str) -> PurePosixPath:
    """A rendered path that must stay inside the volume; raises ValueError otherwise."""
    p = PurePosixPath(text)
    if p.is_absolute() or ".." in p.parts or str(p) in ("", "."):
        raise ValueError(f"path {text!r} leaves the volume")
    return p
