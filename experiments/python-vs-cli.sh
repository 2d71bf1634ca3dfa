#!/usr/bin/env bash
# The Python package's example loop (examples/python/train_torchvision.py: torchvision's
# ResNet-18, reff.ExplanationLoss) against reff train with the same settings (cpu preset, an own
# folder, --model resnet18 --pretrained none), baseline and ReFF, several seeds: the last epoch's
# accuracy on the folder's test split and on its shifted test folder (SEEDS: 0 1 2 3 4).
#   experiments/python-vs-cli.sh BUILD_DIR OUT_DIR [EPOCHS] [COUNT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "$1" && pwd)" out="$2" epochs="${3:-3}" count="${4:-150}"
mkdir -p "$out"
data="$out/letters"
[ -d "$data" ] || "$build/reff" data layout-example --dataset folder --count "$count" --out "$data" > /dev/null
for seed in ${SEEDS:-0 1 2 3 4}; do
  for method in baseline reff; do
    run="$out/cli-$method-$seed"
    [ -f "$run/metrics.jsonl" ] && [ "$(wc -l < "$run/metrics.jsonl")" = "$epochs" ] ||
      { rm -rf "$run"; "$build/reff" train --preset cpu --dataset folder --data "$data" --model resnet18 \
          --pretrained none --method "$method" --epochs "$epochs" --seed "$seed" --test test \
          --test "$data/shifted" --out "$run" > /dev/null; }
    [ -s "$out/python-$method-$seed.jsonl" ] ||
      PYTHONPATH="$build/python" /usr/bin/python3 "$root/examples/python/train_torchvision.py" "$data" \
        --method "$method" --epochs "$epochs" --seed "$seed" --test "$data/shifted" \
        > "$out/python-$method-$seed.jsonl"
  done
done
/usr/bin/python3 - "$out" "$epochs" ${SEEDS:-0 1 2 3 4} <<'PY'
import json, statistics, sys
out, epochs, seeds = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3:]]
seed_list = ", ".join(map(str, seeds))
print(f"| method | loop | test (seeds {seed_list}) | mean | shifted (seeds {seed_list}) | mean |")
print("|---|---|---|---|---|---|")
for method in ("baseline", "reff"):
    for loop in ("cli", "python"):
        rows = {"test": [], "shifted": []}
        for seed in seeds:
            if loop == "cli":
                last = [json.loads(l) for l in open(f"{out}/cli-{method}-{seed}/metrics.jsonl")][-1]
                for name in rows:
                    rows[name].append(last["tests"][name]["accuracy"])
            else:
                last = [json.loads(l) for l in open(f"{out}/python-{method}-{seed}.jsonl")][-1]
                for name in rows:
                    rows[name].append(last[f"{name}_accuracy"])
        cells = []
        for name in ("test", "shifted"):
            cells += [", ".join(f"{100 * a:.1f}" for a in rows[name]),
                      f"{100 * statistics.mean(rows[name]):.1f}"]
        label = "reff train" if loop == "cli" else "Python package"
        print(f"| {method} | {label} | " + " | ".join(cells) + " |")
PY
