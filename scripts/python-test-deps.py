"""Puts pytest and hypothesis within reach of another Python that lacks them: they are pure Python,
so their files (and those of everything they require on the target version) are linked into one
folder that goes on the target's PYTHONPATH.

Run by a Python that has them installed (the donor):
    python3 scripts/python-test-deps.py TARGET_VERSION FOLDER [OTHER_DONOR_SITE ...]
TARGET_VERSION is like 3.10.13; requirements are resolved with the target's markers (pytest needs
exceptiongroup and tomli before 3.11), looked up in the donor and then in each OTHER_DONOR_SITE (a
site-packages folder, e.g. Debian's /usr/lib/python3/dist-packages). Prints one JSON line: the
distributions linked, or the ones missing and how to get them."""

import importlib.metadata as metadata
import json
import os
import pathlib
import sys

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOTS = ("pytest", "hypothesis")
DEBIAN_PACKAGE = {"exceptiongroup": "python3-exceptiongroup", "tomli": "python3-tomli"}


def target_environment(version):
    environment = default_environment()
    major_minor = ".".join(version.split(".")[:2])
    environment.update(python_version=major_minor, python_full_version=version, implementation_version=version)
    return environment


def find(name, sites):
    for found in metadata.distributions(name=name):
        return found
    for site in sites:
        for found in metadata.distributions(path=[site], name=name):
            return found
    return None


def closure(version, sites):
    environment = target_environment(version)
    wanted, seen, found, missing = list(ROOTS), set(), [], []
    while wanted:
        name = canonicalize_name(wanted.pop())
        if name in seen:
            continue
        seen.add(name)
        dist = find(name, sites)
        if dist is None:
            missing.append(name)
            continue
        found.append(dist)
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate(dict(environment, extra="")):
                wanted.append(requirement.name)
    return found, missing


def link(dist, folder):
    """Links the distribution's top-level modules and its metadata folder (pytest finds plugins,
    hypothesis's among them, through the entry points there). None when a file is compiled."""
    base = pathlib.Path(dist.locate_file(""))
    tops = set()
    for file in dist.files or ():
        if file.suffix in (".so", ".pyd"):
            return None
        first = file.parts[0]
        if first == "__pycache__" or first.endswith(".pth") or first == "..":
            continue  # caches, path hooks and the scripts installed outside site-packages
        tops.add(first)
    for top in sorted(tops):
        target = folder / top
        if not target.exists():
            os.symlink(base / top, target)
    return sorted(tops)


def main():
    version, folder, *sites = sys.argv[1:]
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    found, missing = closure(version, sites)
    linked, compiled = {}, []
    for dist in found:
        tops = link(dist, folder)
        if tops is None:
            compiled.append(dist.metadata["Name"])
        else:
            linked[dist.metadata["Name"]] = tops
    hint = ", ".join(DEBIAN_PACKAGE.get(name, name) for name in missing)
    print(json.dumps({"linked": linked, "missing": missing, "compiled": compiled,
                      "hint": "install %s (Debian: apt-get install %s)" % (", ".join(missing), hint) if missing else None}))
    return 1 if missing or compiled else 0


if __name__ == "__main__":
    sys.exit(main())
