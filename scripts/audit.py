"""`make lint`: known vulnerabilities in the pinned dependencies (requirements.lock).

pip-audit reads the lock as it is (hashes required, no resolving, nothing installed) and asks
PyPI's JSON API which of those exact versions have published advisories: no network beyond
PyPI. Some networks reach PyPI's package index but not that API (or not PyPI at all). Then
nothing can be checked, and this says so plainly and exits 0, so an unreachable advisory
service does not fail every build; set ERCDASH_AUDIT_STRICT=1 to make it an error instead.
A known vulnerability always fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
PROBE = "https://pypi.org/pypi/pip/24.0/json"  # any release: is the per-version API there?
TIMEOUT = 10


def unchecked(reason: str) -> int:
    print(f"pip-audit: NOT CHECKED: {reason}", file=sys.stderr)
    print(
        "pip-audit: known vulnerabilities of the pinned dependencies were not looked up; "
        "run `make lint` where pypi.org's JSON API is reachable before a release.",
        file=sys.stderr,
    )
    return 1 if os.environ.get("ERCDASH_AUDIT_STRICT") == "1" else 0


def main() -> int:
    try:
        with urllib.request.urlopen(PROBE, timeout=TIMEOUT) as response:  # noqa: S310
            response.read(1)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return unchecked(f"PyPI's vulnerability data ({PROBE}) is unreachable here: {exc}.")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--requirement",
            str(LOCK),
            "--require-hashes",
            "--disable-pip",
            "--vulnerability-service",
            "pypi",
            "--format",
            "json",
            "--progress-spinner",
            "off",
            "--timeout",
            str(TIMEOUT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print(completed.stderr, file=sys.stderr)
        return unchecked("pip-audit gave no report (see its messages above).")
    dependencies = report["dependencies"]
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"{dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} pinned package(s) with known vulnerabilities.")
        return 1
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    if skipped:
        return unchecked(
            f"{len(skipped)} of {len(dependencies)} pinned packages could not be looked up "
            f"(first: {skipped[0]['skip_reason']})."
        )
    print(f"pip-audit: no known vulnerabilities in {len(dependencies)} pinned packages.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
