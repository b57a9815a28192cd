"""Data flows one way: URL → view/API → selector/service → model. Nothing below imports above."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each layer and the packages it must never import.
FORBIDDEN = {
    "orders/rules": ("orders.models", "orders.selectors", "orders.services", "orders.documents",
                     "orders.api", "orders.console", "orders.admin"),
    "orders/models.py": ("orders.selectors", "orders.services", "orders.documents", "orders.api",
                         "orders.console", "orders.admin"),
    "orders/documents": ("orders.selectors", "orders.services", "orders.api", "orders.console",
                         "orders.admin"),
    "orders/selectors.py": ("orders.services", "orders.api", "orders.console", "orders.admin"),
    "orders/services": ("orders.api", "orders.console", "orders.admin"),
    "orders/api": ("orders.console", "orders.admin"),
    "orders/console": ("orders.api", "orders.admin"),
    "orders/integrations": ("orders.api", "orders.console", "orders.admin"),
}  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer):
    target = ROOT / layer
    files = [target] if target.is_file() else sorted(target.rglob("*.py"))
    offences = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])
    ]
    assert offences == []
