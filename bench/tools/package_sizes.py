"""Prints JSON lines for the benchmark's footprint table: the on-disk size of
the pure-Python clients' packages (.py and data files, caches left out).

    python bench/tools/package_sizes.py
"""

from __future__ import annotations

import importlib.util
import json
import os

PACKAGES = {
    "official SDK: the `engagelab` package (pure Python, .py files)": ["engagelab"],
    "`requests` with urllib3, idna, charset_normalizer, certifi (.py and data files)": [
        "requests",
        "urllib3",
        "idna",
        "charset_normalizer",
        "certifi",
    ],
}


def tree(modules: list[str]) -> int:
    total = 0
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        if spec.submodule_search_locations:
            top = os.path.dirname(spec.origin)
        else:
            top = spec.origin
        for dirpath, _, files in os.walk(top):
            if "__pycache__" not in dirpath:
                total += sum(os.path.getsize(os.path.join(dirpath, f)) for f in files)
    return total


if __name__ == "__main__":
    for label, modules in PACKAGES.items():
        print(json.dumps({"section": "size", "label": label, "bytes": tree(modules)}))
