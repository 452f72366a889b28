"""Every file the gateway reads at run time ships with it: a non-editable install (`pip install .`,
a wheel) carries only the package data that pyproject.toml lists, so a model or template
missing from that list works in a checkout and is absent in production."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_data_file_under_the_package_is_listed_as_package_data() -> None:
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {
        path
        for package, patterns in listed.items()
        for pattern in patterns
        for path in (ROOT / package.replace(".", "/")).glob(pattern)  # as setuptools globs them
    }
    data = {
        path
        for path in (ROOT / "gateway").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert sorted(str(path.relative_to(ROOT)) for path in data - shipped) == []
