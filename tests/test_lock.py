"""requirements.lock (what `make run` / `make test` install) agrees with pyproject.toml's ranges."""
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)$")


def locked() -> dict[str, Version]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        m = PIN.match(line)
        assert m, f"requirements.lock: {line!r} is not pinned as name==version"
        pins[canonicalize_name(m[1])] = Version(m[2])
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]   # test, cluster
    return [Requirement(r) for r in project["dependencies"] + extras]


def test_every_declared_dependency_is_locked_within_its_range():
    pins = locked()
    for req in declared():
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is in pyproject.toml but not in requirements.lock: refresh the lock"
        assert req.specifier.contains(pins[name], prereleases=True), \
            f"requirements.lock pins {req.name}=={pins[name]}, outside pyproject.toml's {req.specifier}"


def test_the_lock_holds_torchs_cpu_build():
    # a CUDA build would pull gigabytes of nvidia-* wheels; the CPU one is what the numbers were checked on
    pins = locked()
    assert pins["torch"].public == "2.13.0" and pins["torch"].local in (None, "cpu")
    assert not [name for name in pins if name.startswith("nvidia-")]


@pytest.mark.parametrize("requirement", declared(), ids=lambda r: r.name)
def test_the_installed_stack_is_the_locked_one(requirement):
    """What this suite runs on is what the lock pins (make test installs from it)."""
    try:
        installed = Version(version(requirement.name))
    except PackageNotFoundError:
        pytest.fail(f"{requirement.name} is not installed: run `make test`, which installs requirements.lock")
    assert installed == locked()[canonicalize_name(requirement.name)], \
        f"{requirement.name} {installed} is installed, the lock pins another: reinstall with `make test`"
