"""Markdown table of shortcut-study runs: for each run folder under OUT (or given files), the epoch
chosen on val accuracy (as `reff train` reports it), its accuracy on shift (1, 1) and iid (0, 1),
and the Grad-CAM mass inside the digit per layer on shift (label class, ReLU: the paper's maps).

python3 experiments/shortcut-table.py runs/shortcut [more folders or metrics.jsonl files ...]
"""
import json
import os
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


def mass(layer):
    value = layer["mass_inside"]
    return "-" if value is None else f"{value:.3f}"


def main():
    print("| run | epoch (of) | shift acc | iid acc | mass inside layer1..4 (shift) |")
    print("|---|---|---|---|---|")
    for name, metrics in runs(sys.argv[1:]):
        history = [json.loads(line) for line in open(metrics)]
        best = max(history, key=lambda e: e["val"]["accuracy"])  # the first of the best
        shift, iid = best["tests"]["shift"], best["tests"].get("iid")
        iid_text = "-" if iid is None else f"{iid['accuracy']:.3f}"
        print(f"| {name} | {best['epoch']} ({len(history)}) | {shift['accuracy']:.3f} | "
              f"{iid_text} | {' / '.join(mass(l) for l in shift['layers'])} |")


if __name__ == "__main__":
    main()
