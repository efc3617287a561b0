"""The lock files pin what requirements*.txt ask for, each with sha256 hashes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.M)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    return {normalise(name): version for name, version in PIN.findall(path.read_text())}


def locked(path: Path) -> dict[str, tuple[str, int]]:
    """Return name -> (version, number of hashes) for each requirement of a lock file."""
    entries: dict[str, tuple[str, int]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", path.read_text()):
        match = PIN.match(block)
        if match:
            entries[normalise(match.group(1))] = (match.group(2), block.count("--hash=sha256:"))
    return entries


def test_every_runtime_pin_is_in_the_runtime_lock_at_the_same_version():
    lock = locked(ROOT / "requirements.lock")
    for name, version in pins(ROOT / "requirements.txt").items():
        assert name in lock, f"{name} missing from requirements.lock: run pip-compile"
        assert lock[name][0] == version, f"{name}: lock has {lock[name][0]}, wants {version}"


def test_every_development_pin_is_in_the_development_lock_at_the_same_version():
    lock = locked(ROOT / "requirements-dev.lock")
    wanted = pins(ROOT / "requirements.txt") | pins(ROOT / "requirements-dev.txt")
    for name, version in wanted.items():
        assert lock.get(name, ("missing",))[0] == version, f"{name} in requirements-dev.lock"


def test_every_locked_package_carries_hashes_so_pip_can_require_them():
    for lock_file in ("requirements.lock", "requirements-dev.lock"):
        entries = locked(ROOT / lock_file)
        assert len(entries) > 20
        unhashed = [name for name, (_version, hashes) in entries.items() if hashes == 0]
        assert unhashed == [], f"{lock_file}: {unhashed}"
