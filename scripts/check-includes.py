"""The include rule of docs/architecture.md: an area may include its own headers and those of the
areas below it, never one above. Prints each include that breaks the rule and exits 1 if any
does; `make test` runs it (ctest: include_rule).

python3 scripts/check-includes.py [REPO_ROOT | --self-test]
"""
import os
import re
import sys
import tempfile

# Lowest first. "core" is the files directly under src/ and include/reff/ (errors, names, files),
# except device.h/.cpp, which picks this process's GPU from the process group (distributed).
LAYERS = ["core", "distributed", "device", "data", "models", "explain", "regularizers", "eval",
          "train", "viz", "run", "annotate", "experiment", "report", "cli", "python"]
TOP_LEVEL_AREAS = {"device": "device"}
RANK = {area: rank for rank, area in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"reff/(?:([a-z_]+)/)?[^"/]+"', re.M)


def area_of(path):
    """The area of a source or header path relative to the repository root."""
    parts = path.split(os.sep)
    if parts[0] == "python":
        return "python"
    inner = parts[2:] if parts[:2] == ["include", "reff"] else parts[1:]
    if len(inner) > 1:
        return inner[0]
    return TOP_LEVEL_AREAS.get(os.path.splitext(inner[0])[0], "core")


def violations(root):
    found = []
    for top in ("src", "include", "python"):
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp", ".in")):
                    continue
                path = os.path.relpath(os.path.join(folder, name), root)
                area = area_of(path)
                if area not in RANK:
                    found.append(f"{path}: area '{area}' is not in the layer list")
                    continue
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    for match in INCLUDE.finditer(f.read()):
                        target = match.group(1) or TOP_LEVEL_AREAS.get(
                            os.path.splitext(os.path.basename(match.group(0).split('"')[1]))[0],
                            "core")
                        if RANK.get(target, len(LAYERS)) > RANK[area]:
                            found.append(f"{path}: {area} includes {target} (reff/{target}/...), "
                                         f"a higher area")
    return found


def self_test():
    """The check must fail on a tree where a lower area includes a higher one, and pass without."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "src", "data"))
        source = os.path.join(root, "src", "data", "loader.cpp")
        with open(source, "w") as f:
            f.write('#include "reff/data/loader.h"\n#include "reff/error.h"\n')
        assert violations(root) == [], violations(root)
        with open(source, "a") as f:
            f.write('#include "reff/viz/image_grid.h"\n')
        found = violations(root)
        assert len(found) == 1 and "data includes viz" in found[0], found
    print("include rule self-test: a data -> viz include is found, a clean tree passes")


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    found = violations(os.path.abspath(root))
    for line in found:
        print(line)
    print(f"include rule: {len(found)} violation(s) in {' < '.join(LAYERS)}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
