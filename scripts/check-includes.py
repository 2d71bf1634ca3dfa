"""The include rule of docs/architecture.md: an area may include its own headers and those of the
areas below it, never one above. Prints each include that breaks the rule and exits 1 if any
does; `make test` runs it (ctest: include_rule).

python3 scripts/check-includes.py [REPO_ROOT]
"""
import os
import re
import sys

# Lowest first. "core" is the files directly under src/ and include/reff/ (errors, names, files).
LAYERS = ["core", "distributed", "data", "models", "explain", "regularizers", "eval", "train",
          "viz", "run", "annotate", "experiment", "report", "cli", "python"]
RANK = {area: rank for rank, area in enumerate(LAYERS)}
INCLUDE = re.compile(r'^\s*#\s*include\s+"reff/(?:([a-z_]+)/)?[^"/]+"', re.M)


def area_of(path):
    """The area of a source or header path relative to the repository root."""
    parts = path.split(os.sep)
    if parts[0] == "python":
        return "python"
    inner = parts[2:] if parts[:2] == ["include", "reff"] else parts[1:]
    return inner[0] if len(inner) > 1 else "core"


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
                        target = match.group(1) or "core"
                        if RANK.get(target, len(LAYERS)) > RANK[area]:
                            found.append(f"{path}: {area} includes {target} (reff/{target}/...), "
                                         f"a higher area")
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    found = violations(os.path.abspath(root))
    for line in found:
        print(line)
    print(f"include rule: {len(found)} violation(s) in {' < '.join(LAYERS)}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
