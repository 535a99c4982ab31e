"""MkDocs hook: a repository path that a page names in code (`tests/io/test_serial.py`)
becomes a link to that file in the repository, when the site knows where the repository
is (``repo_url``, set at build time by ``FRAMEWIRE_REPO_URL``); the pages then get an
"edit" link to their source as well.

The site shows the specification and the guides, not the repository; a reader who meets
``python/benchmarks/RESULTS.md`` there needs a way to it. Only paths that exist in the
checkout are linked (a typo stays plain text, and a test notices), and only in prose:
fenced code blocks and code already inside a link are left alone.
"""

import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
TOP_DIRECTORIES = ("tests", "python", "dissectors", "examples", "vectors", "js", "tools")
BRANCH = "main"

_PATH = re.compile(
    r"(?<![\[\w])`(?P<path>(?:" + "|".join(TOP_DIRECTORIES) + r")/[A-Za-z0-9_./-]*)`(?!\])"
)
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def repository_link(repo_url: str, path: str) -> str:
    """The address of ``path`` (a file or a directory) in the repository."""
    kind = "tree" if (ROOT / path).is_dir() else "blob"
    return f"{repo_url.rstrip('/')}/{kind}/{BRANCH}/{path.rstrip('/')}"


def link_paths(markdown: str, repo_url: str) -> str:
    """``markdown`` with each existing repository path in prose code made a link."""

    def link(match: re.Match[str]) -> str:
        path = match.group("path")
        if not (ROOT / path.rstrip("/")).exists():
            return match.group(0)
        return f"[`{path}`]({repository_link(repo_url, path)})"

    lines, fence = [], None
    for line in markdown.splitlines(keepends=True):
        opening = _FENCE.match(line)
        if opening and (fence is None or opening.group(1).startswith(fence)):
            fence = opening.group(1)[0] * 3 if fence is None else None
            lines.append(line)
        elif fence is None and not line.lstrip().startswith("--8<--"):
            lines.append(_PATH.sub(link, line))
        else:
            lines.append(line)
    return "".join(lines)


def on_config(config: Any, **kwargs: Any) -> Any:
    """With ``repo_url``, pages get an "edit" link to their source under ``spec/``."""
    if config.get("repo_url") and not config.get("edit_uri"):
        config["edit_uri"] = f"edit/{BRANCH}/spec/"
    return config


def on_page_markdown(markdown: str, config: Any, **kwargs: Any) -> str:
    """Link repository paths when ``repo_url`` is set."""
    repo_url = config.get("repo_url")
    return link_paths(markdown, repo_url) if repo_url else markdown
