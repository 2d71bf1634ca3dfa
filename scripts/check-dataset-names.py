"""A kind of data set is asked of its registry entry (src/run/dataset_kinds.cpp), never told apart
by its name: prints each comparison of a kind's name outside the registry and exits 1 if any;
`make test` runs it (ctest: dataset_names).

python3 scripts/check-dataset-names.py [REPO_ROOT | --self-test]
"""
import os
import re
import sys
import tempfile

REGISTRY = os.path.join("src", "run", "dataset_kinds.cpp")
KINDS = re.compile(r'\{\s*"([a-z0-9-]+)",\s*\n\s*"[^"]*\(', re.M)  # an entry: its name, its help


def kind_names(root):
    with open(os.path.join(root, REGISTRY)) as source:
        return KINDS.findall(source.read())


def comparisons(root, names):
    """Lines that compare a kind's name: `== "pets"`, `"pets" !=`, `dataset == ...`."""
    literal = "|".join(re.escape(name) for name in names)
    pattern = re.compile(r'(?:[=!]=\s*"(?:%s)")|(?:"(?:%s)"\s*[=!]=)|(?:\bdataset\s*[=!]=)'
                         % (literal, literal))
    found = []
    for top in ("src", "include", "python"):
        for folder, _, files in os.walk(os.path.join(root, top)):
            for name in sorted(files):
                path = os.path.relpath(os.path.join(folder, name), root)
                if path == REGISTRY or not name.endswith((".h", ".cpp", ".py", ".in")):
                    continue
                with open(os.path.join(root, path), errors="replace") as source:
                    for number, line in enumerate(source, 1):
                        if pattern.search(line):
                            found.append(f"{path}:{number}: {line.strip()}")
    return found


def self_test():
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "src", "run"))
        os.makedirs(os.path.join(root, "src", "cli"))
        with open(os.path.join(root, REGISTRY), "w") as registry:
            registry.write('const std::vector<DatasetKind> kKinds = {\n    {"pets",\n     "pets (x)",\n')
        assert kind_names(root) == ["pets"], kind_names(root)
        with open(os.path.join(root, "src", "cli", "a.cpp"), "w") as source:
            source.write('if (config.dataset == "pets") {}\n')
        assert len(comparisons(root, ["pets"])) == 1
    print("dataset names self-test: a comparison of a kind's name is found")


def main():
    if sys.argv[1:] == ["--self-test"]:
        self_test()
        return
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names = kind_names(root)
    found = comparisons(root, names)
    for line in found:
        print(line)
    print(f"dataset names: {len(names)} kinds ({', '.join(names)}), {len(found)} comparison(s) "
          f"outside {REGISTRY}")
    sys.exit(1 if found or len(names) < 2 else 0)


if __name__ == "__main__":
    main()
