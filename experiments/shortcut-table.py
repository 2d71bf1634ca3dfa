"""Markdown tables of shortcut-study runs: for each run folder under OUT (or given files), the epoch
chosen on val accuracy (as `reff train` reports it), its accuracy on shift (1, 1) and iid (0, 1),
and the Grad-CAM mass inside the digit per layer on shift (label class, ReLU: the paper's maps).
With --by-config, runs named CONFIG-seedN are pooled: mean +- sample std over the seeds.

python3 experiments/shortcut-table.py [--by-config] runs/shortcut [more folders or files ...]
"""
import json
import os
import re
import statistics
import sys


def runs(paths):
    for path in paths:
        if os.path.isdir(path) and not os.path.exists(os.path.join(path, "metrics.jsonl")):
            for name in sorted(os.listdir(path)):
                metrics = os.path.join(path, name, "metrics.jsonl")
                if os.path.exists(metrics):
                    yield name, metrics
        elif os.path.isdir(path):
            yield os.path.basename(path), os.path.join(path, "metrics.jsonl")
        else:
            yield os.path.basename(path).replace(".metrics.jsonl", ""), path


def chosen(metrics):
    """The run's reported epoch: the first of the best val accuracy. (epoch, epochs, record)"""
    history = [json.loads(line) for line in open(metrics)]
    best = max(history, key=lambda e: e["val"]["accuracy"])
    return best["epoch"], len(history), best


def numbers(record):
    """shift acc, iid acc (None without an iid set), mass inside per layer on shift."""
    shift, iid = record["tests"]["shift"], record["tests"].get("iid")
    return (shift["accuracy"], None if iid is None else iid["accuracy"],
            [layer["mass_inside"] for layer in shift["layers"]])


def text(values, digits=3):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def per_run(paths):
    print("| run | epoch (of) | shift acc | iid acc | mass inside layer1..4 (shift) |")
    print("|---|---|---|---|---|")
    for name, metrics in runs(paths):
        epoch, epochs, record = chosen(metrics)
        shift, iid, masses = numbers(record)
        print(f"| {name} | {epoch} ({epochs}) | {shift:.3f} | {text([iid])} | "
              f"{' / '.join(text([m]) for m in masses)} |")


def by_config(paths):
    pooled = {}
    for name, metrics in runs(paths):
        config, seed = re.fullmatch(r"(.*)-seed(\d+)", name).groups()
        pooled.setdefault(config, {})[int(seed)] = numbers(chosen(metrics)[2])
    print("| configuration | seeds | shift acc | iid acc | mass inside layer1 / layer4 (shift) |")
    print("|---|---|---|---|---|")
    for config, seeds in pooled.items():
        rows = list(seeds.values())
        print(f"| {config} | {','.join(map(str, sorted(seeds)))} | {text([r[0] for r in rows])} | "
              f"{text([r[1] for r in rows])} | {text([r[2][0] for r in rows])} / "
              f"{text([r[2][-1] for r in rows])} |")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--by-config"]:
        by_config(sys.argv[2:])
    else:
        per_run(sys.argv[1:])
