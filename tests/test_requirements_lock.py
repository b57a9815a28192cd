from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import tomllib
import urllib.error
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN_RE = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = PIN_RE.match(line)
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def test_the_lock_pins_every_dependency_of_pyproject_at_its_version():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins = locked()

    drift = {
        canonical(name): (version, pins.get(canonical(name)))
        for name, version in (requirement.split("==") for requirement in declared)
        if pins.get(canonical(name)) != version
    }

    assert drift == {}, "pyproject.toml and requirements.lock disagree: run `make lock`"


def test_every_locked_package_has_hashes():
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text.strip())

    assert entries
    assert [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry] == []


@pytest.fixture
def audit(monkeypatch):
    """scripts/audit.py with its network replaced: audit(report=..., reachable=...) -> rc."""
    spec = importlib.util.spec_from_file_location("audit", ROOT / "scripts" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def run(report: dict | None = None, *, reachable: bool = True) -> int:
        class Probe:
            def __init__(self, *args, **kwargs):
                if not reachable:
                    raise urllib.error.HTTPError(
                        url=args[0], code=404, msg="Not Found", hdrs={}, fp=None
                    )

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def read(self, size):
                return b"{"

        monkeypatch.setattr(module.urllib.request, "urlopen", Probe)
        completed = subprocess.CompletedProcess([], 0, stdout=json.dumps(report or {}), stderr="")
        monkeypatch.setattr(module.subprocess, "run", lambda *a, **k: completed)
        return module.main()

    return run


def test_a_known_vulnerability_fails_lint(audit, capsys):
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}],
            },
            {"name": "orjson", "version": "3.13.0", "vulns": []},
        ]
    }

    assert audit(report) == 1
    assert "django 5.2.0: PYSEC-1 (fixed in 5.2.1)" in capsys.readouterr().out


def test_a_clean_report_passes(audit, capsys):
    assert audit({"dependencies": [{"name": "orjson", "version": "3.13.0", "vulns": []}]}) == 0
    assert "no known vulnerabilities in 1 pinned packages" in capsys.readouterr().out


def test_an_unreachable_advisory_service_is_said_plainly_and_does_not_fail(
    audit, capsys, monkeypatch
):
    monkeypatch.delenv("ERCDASH_AUDIT_STRICT", raising=False)

    assert audit(reachable=False) == 0
    assert "NOT CHECKED" in capsys.readouterr().err


def test_packages_the_service_could_not_look_up_are_not_a_silent_pass(audit, capsys, monkeypatch):
    monkeypatch.setenv("ERCDASH_AUDIT_STRICT", "1")
    report = {"dependencies": [{"name": "orjson", "skip_reason": "Dependency not found on PyPI"}]}

    assert audit(report) == 1
    assert "1 of 1 pinned packages could not be looked up" in capsys.readouterr().err
