"""docs/screenshots/SOURCES.json: the sources each README screenshot was taken from.

Git checkouts reset file times, so staleness is judged by content: the manifest maps each
screenshot to a sha256 of the template and static files it shows. `make screenshots` writes
it (tests/browser, ERCDASH_UPDATE_SCREENSHOTS=1); tests/test_template_source.py recomputes
it and fails when a picture shows older pages than the tree.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
MANIFEST = SCREENSHOTS / "SOURCES.json"

# Every screenshot depends on every template, console asset, admin stylesheet and demo
# picture: coarse, but a change that does not alter a picture costs only one
# `make screenshots`.
CONSOLE_SOURCES = ("templates/**/*.html", "static/console/*", "static/css/*", "static/demo/**/*")


def source_files(patterns: tuple[str, ...] = CONSOLE_SOURCES) -> list[Path]:
    found = {path for pattern in patterns for path in ROOT.glob(pattern) if path.is_file()}
    return sorted(found, key=lambda path: path.relative_to(ROOT).as_posix())


def sources_sha256(patterns: tuple[str, ...] = CONSOLE_SOURCES) -> str:
    """One digest of the files' paths and contents, in path order (line endings as in Git,
    so a checkout that converts them to CRLF computes the same digest)."""
    digest = hashlib.sha256()
    for path in source_files(patterns):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return digest.hexdigest()


def read_manifest() -> dict[str, str]:
    if not MANIFEST.exists():
        return {}
    return json.loads(MANIFEST.read_text())


def record(screenshot: Path) -> None:
    """Note that `screenshot` (in docs/screenshots/) now shows the current sources."""
    manifest = {**read_manifest(), screenshot.name: sources_sha256()}
    partial = MANIFEST.with_suffix(".json.tmp")
    partial.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    os.replace(partial, MANIFEST)
