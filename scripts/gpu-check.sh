#!/usr/bin/env bash
# The GPU check: reff built against PyTorch's own LibTorch (CUDA), then short runs on the GPU.
# For a machine that has PyTorch with CUDA but neither Debian's packages nor a network:
#   here:      scripts/gpu-check.sh prepare   (Debian's packages of the header-only and image
#                                              libraries and the GIMP patterns, unpacked under
#                                              .deps/, git-ignored)
#   GPU side:  scripts/gpu-check.sh run OUT   (carry .deps/root, .deps/gloo-include and
#                                              data/mnist; builds the cpu preset's stand-in
#                                              backbone, then writes the
#                                              logs and the runs' metrics to OUT)
#              scripts/gpu-check.sh bench OUT (reff bench and bench/peer.py on CUDA side by side:
#                                             ResNet-50 at 224 px, batch 32 (BENCH_BATCH),
#                                             baseline and ReFF,
#                                             fp32 / bf16 / fp16, NCHW and channels-last (the
#                                             peer: fp32 and bf16; BENCH_VARIANTS, e.g.
#                                             "fp32 false|bf16 true", picks reff's); img/s and
#                                             peak GPU memory;
#                                             then the cpu preset, 5 epochs, trained in fp32 and
#                                             bf16 for 2 seeds each: accuracies)
#              scripts/gpu-check.sh epoch OUT (the cpu preset's epochs against their steps, with
#                                             and without the prefetching loader)
#              scripts/gpu-check.sh paper OUT (issue #31's paper scale: a ResNet-50 stand-in
#                                             pretrained at 112 px on all garments, then baseline,
#                                             ReFF and reff-focus fine-tuned at 224 px, 2 seeds,
#                                             chosen on balanced:1:1; PAPER_* sizes them)
#              scripts/gpu-check.sh python OUT (the Python package on PyTorch's torch: pip install
#                                              ., its tests, torch.load of an export, its step's
#                                              speed against reff bench's)
#              scripts/gpu-check.sh sweep OUT LANES SEEDS:CONFIG...
#                                             (the shortcut study's configurations on the GPU,
#                                              e.g. 0,1,2:baseline for three seeds,
#                                              LANES runs at a time, one CPU thread each, for at
#                                              most SWEEP_SECONDS (400); the runs' configs and
#                                              metrics, finished or not, in OUT/sweep.tar.gz)
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
deps="$root/.deps/root/usr"

prepare() {
  set -e
  mkdir -p "$root/.deps/debs" "$root/.deps/root" "$root/.deps/gloo-include"
  (cd "$root/.deps/debs" && apt-get download libjpeg62-turbo-dev libjpeg62-turbo libpng-dev \
    libpng16-16 zlib1g-dev libcli11-dev nlohmann-json3-dev libgloo-dev libfreetype-dev \
    libfreetype6 libbrotli1 fonts-dejavu-core)
  for f in "$root"/.deps/debs/*.deb; do dpkg -x "$f" "$root/.deps/root"; done
  # Gloo's headers only where LibTorch lacks its own (-idirafter), never before them.
  rm -rf "$root/.deps/gloo-include/gloo"
  mv "$deps/include/gloo" "$root/.deps/gloo-include/"
  rm -rf "$deps/share/cmake/Gloo" "$deps"/lib/x86_64-linux-gnu/{libgloo*,*.a}
  ln -sf /lib/x86_64-linux-gnu/libz.so.1 "$deps/lib/x86_64-linux-gnu/libz.so"
  # The paper preset's texture bank (gimp-data's patterns) and the garments the cpu preset's
  # stand-in backbone is pretrained on; carry data/mnist too.
  rm -rf "$root/.deps/root/patterns" "$root/.deps/root/fashion-mnist"
  cp -r /usr/share/gimp/2.0/patterns "$root/.deps/root/patterns"
  cp -r /usr/share/datasets/fashion-mnist "$root/.deps/root/fashion-mnist"
}

# The cpu preset's stand-in backbone, pretrained on the GPU into a cache the later runs use.
stand_in() {
  local reff="$1" out="$2"
  export REFF_CACHE=/tmp/reff-gpu-cache
  timeout 200 "$reff" pretrain --preset cpu --device cuda \
    --corpus "$root/.deps/root/fashion-mnist" > "$out/pretrain.log" 2>&1
  echo "stand-in backbone: exit $?"; tail -2 "$out/pretrain.log"
}

build() {
  local out="$1"
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda,
torch.cuda.get_device_name(0))'
  local prefix
  prefix="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"
  echo "c10d backends exported by this LibTorch:" \
    $(grep -rho 'USE_C10D_[A-Z]*' "$prefix/Caffe2" "$prefix/Torch" 2>/dev/null | sort -u)
  export LD_LIBRARY_PATH="$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  # The figures' captions read DejaVu Sans where Debian keeps it.
  local font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
  [ -f "$font" ] || { mkdir -p "$(dirname "$font")" && cp "$root/.deps/root$font" "$font"; }
  local start=$SECONDS
  cmake -S "$root" -B "$root/build-gpu" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$prefix;$deps" -DREFF_BUILD_TESTS=OFF -DREFF_BUILD_BENCH=OFF \
    -DREFF_ANNOTATE_SERVER=OFF -DREFF_PYTHON_MODULE="${GPU_PYTHON_MODULE:-OFF}" -DREFF_PYTHON="$(command -v python3)" \
    -DCMAKE_CXX_FLAGS="-idirafter $root/.deps/gloo-include" > "$out/configure.log" 2>&1 ||
    { tail -30 "$out/configure.log"; return 1; }
  cmake --build "$root/build-gpu" -j "$(nproc)" -- -k 0 > "$out/build.log" 2>&1 ||
    { grep -E 'error|Error' -A3 "$out/build.log" | head -80; return 1; }
  echo "build: $((SECONDS - start)) s"
}

run() {
  local out="$1" runs=/tmp/reff-gpu-runs
  mkdir -p "$out" "$runs"
  build "$out" || return 1
  local reff="$root/build-gpu/reff" textures=(--texture-dir "$root/.deps/root/patterns")
  stand_in "$reff" "$out"
  local small=(--preset cpu --device cuda --epochs 1)
  local paper=("${textures[@]}" --preset paper --device cuda --epochs 1 --max-steps 40 --train-count 1600
               --val-count 256 --test-count 256 --explain-count 32)
  for method in baseline reff; do
    timeout 150 "$reff" train "${paper[@]}" --method "$method" --out "$runs/paper-$method" \
      > "$out/paper-$method.log" 2>&1; echo "paper $method: exit $?"
    tail -3 "$out/paper-$method.log"
    cp "$runs/paper-$method/metrics.jsonl" "$out/paper-$method.jsonl" 2>/dev/null
  done
  timeout 200 "$reff" train --preset cpu --device cuda --method reff --out "$runs/cpu-reff" \
    > "$out/cpu-reff.log" 2>&1; echo "cpu preset reff, 10 epochs on the GPU: exit $?"
  tail -4 "$out/cpu-reff.log"
  cp "$runs/cpu-reff/metrics.jsonl" "$out/cpu-reff.jsonl" 2>/dev/null
  for backend in gloo nccl; do
    timeout 90 "$reff" launch --nproc-per-node 2 -- --dist-backend "$backend" --dist-timeout 60 \
      train "${small[@]}" --max-steps 30 --method reff --out "$runs/launch-$backend" \
      > "$out/launch-$backend.log" 2>&1; echo "2 ranks on one GPU, $backend: exit $?"
    tail -4 "$out/launch-$backend.log"
  done
}

# Every (seed, configuration) pair through experiments/shortcut-study.sh, LANES at a time.
sweep() {
  local out="$1" lanes="$2" runs=/tmp/reff-sweep
  shift 2
  mkdir -p "$out" "$runs"
  build "$out" || return 1
  export REFF="$root/build-gpu/reff --threads 1"
  export TRAIN_ARGS="--device cuda --texture-dir $root/.deps/root/patterns --mnist $root/data/mnist"
  local start=$SECONDS
  local pair seeds
  for pair in "$@"; do
    seeds="${pair%%:*}"
    for seed in ${seeds//,/ }; do echo "$seed ${pair#*:}"; done
  done | timeout "${SWEEP_SECONDS:-400}" xargs -P "$lanes" -L 1 sh -c \
    '"$0"/experiments/shortcut-study.sh "$1/seed$2" "$2" "$3" > /dev/null 2>&1' "$root" "$runs"
  echo "sweep: $((SECONDS - start)) s"
  cat "$runs"/seed*/summary.txt
  (cd "$runs" && find . \( -name metrics.jsonl -o -name config.json -o -name summary.txt \) |
    tar czf "$out/sweep.tar.gz" -T -)
}

# Runs "$@" while nvidia-smi samples the GPU's used memory; appends the peak (MiB) to the last line
# the command printed, as JSON field "peak_gpu_used_mib" (what the device holds: context, cache,
# tensors alike, so reff and the peer are measured the same way).
with_peak_memory() {
  local samples
  samples="$(mktemp)"
  nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 50 > "$samples" 2>/dev/null &
  local smi=$!
  local line
  line="$("$@" 2>/dev/null | tail -1)"
  kill "$smi" 2>/dev/null; wait "$smi" 2>/dev/null
  local peak
  peak="$(sort -n "$samples" | tail -1)"
  rm -f "$samples"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); d["peak_gpu_used_mib"]=int(sys.argv[2] or 0); print(json.dumps(d))' \
    "$line" "${peak:-0}" 2>/dev/null || echo "{\"failed\": \"$*\"}"
}

bench() {
  local out="$1" runs=/tmp/reff-gpu-bench
  mkdir -p "$out" "$runs"
  build "$out" || return 1
  local reff="$root/build-gpu/reff"
  local batch="${BENCH_BATCH:-32}"
  local steps=(--preset paper --device cuda --batch-size "$batch" --warmup 5 --steps 30)
  {
    for method in baseline reff; do
      IFS='|' read -ra variants <<< "${BENCH_VARIANTS:-fp32 false|bf16 false|bf16 true|fp16 true}"
      for variant in "${variants[@]}"; do
        set -- $variant
        with_peak_memory timeout 120 "$reff" bench "${steps[@]}" --method "$method" \
          --precision "$1" --channels-last "$2"
      done
    done
  } | tee "$out/reff-bench.jsonl"
  for precision in fp32 bf16; do
    for case in resnet50/baseline resnet50/reff; do
      with_peak_memory timeout 120 python3 "$root/bench/peer.py" --device cuda --batch "$batch" \
        --min-time 4 --precision "$precision" --cases "$case"
    done
  done | tee "$out/peer-bench.jsonl"
  [ "${TRAIN_SECONDS:-300}" -gt 0 ] || return 0
  # A short training run per precision and seed: the cpu preset (5 epochs), 4 runs at once.
  stand_in "$reff" "$out"
  for seed in 0 1; do
    for precision in fp32 bf16; do
      echo "$seed $precision"
    done
  done | timeout "${TRAIN_SECONDS:-300}" xargs -P 4 -L 1 sh -c '"$0" --threads 4 train --preset cpu --epochs 5 \
    --device cuda --method reff --background-swap false --seed "$2" --precision "$3" \
    --out "$1/cpu-$3-seed$2" > "$1/cpu-$3-seed$2.log" 2>&1' "$reff" "$runs"
  for log in "$runs"/cpu-*.log; do echo "$(basename "$log" .log): $(tail -2 "$log" | head -1)"; done
  (cd "$runs" && find . -name metrics.jsonl | tar czf "$out/training.tar.gz" -T -)
}

# An epoch against its steps on the GPU (issue #22, item 4): the cpu preset from scratch, baseline
# and ReFF, with and without the prefetching loader; epoch_over_steps from each run's metrics.
epoch() {
  local out="$1" runs=/tmp/reff-gpu-epoch
  mkdir -p "$out" "$runs"
  build "$out" || return 1
  local reff="$root/build-gpu/reff"
  for method in baseline reff; do
    for prefetch in true false; do
      timeout 120 "$reff" train --preset cpu --device cuda --pretrained none --method "$method" \
        --epochs 3 --train-count 4000 --val-count 500 --test-count 500 --prefetch "$prefetch" \
        --out "$runs/$method-$prefetch" > "$out/$method-$prefetch.log" 2>&1
      echo "$method, prefetch $prefetch: exit $?"
      python3 -c 'import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    print("  epoch", e["epoch"], "median step", e["train"].get("step_median_seconds"),
          "epoch_over_steps", e["train"].get("epoch_over_steps"))' "$runs/$method-$prefetch/metrics.jsonl"
      cp "$runs/$method-$prefetch/metrics.jsonl" "$out/$method-$prefetch.jsonl" 2>/dev/null
    done
  done
}

# Issue #31, item 4: the paper scale in one device call (build included). A stronger stand-in:
# a ResNet-50 pretrained at 112 px on every garment (a ResNet is resolution-agnostic), exported
# without its head; then baseline, paper-form ReFF and reff-focus fine-tuned from it at 224 px
# for PAPER_SEEDS seeds, each run's best epoch chosen on the shift-free split balanced:1:1, the
# explanation metrics on PAPER_EXPLAIN images so that evaluation does not dominate the epoch.
# Logs, metrics and each phase's img/s in OUT. A dry run on the CPU with tiny sizes:
#   REFF=build/reff PYTHON=/usr/bin/python3 PAPER_DEVICE=cpu PAPER_PRETRAIN_COUNT=64 PAPER_TRAIN_COUNT=64 PAPER_EVAL=32 \
#     PAPER_EPOCHS=1 PAPER_PRETRAIN_EPOCHS=1 PAPER_SEEDS=0 PAPER_MODEL=resnet18 \
#     scripts/gpu-check.sh paper OUT
paper() {
  local out="$1" runs=/tmp/reff-gpu-paper device="${PAPER_DEVICE:-cuda}"
  rm -rf "$runs"; mkdir -p "$out" "$runs"
  local reff="${REFF:-}"
  if [ -z "$reff" ]; then build "$out" || return 1; reff="$root/build-gpu/reff"; fi
  local garments="${PAPER_GARMENTS:-$root/.deps/root/fashion-mnist}" eval="${PAPER_EVAL:-1000}"
  local precision="${PAPER_PRECISION:-bf16}"
  [ "$device" = cpu ] && precision=fp32
  local model=(--model "${PAPER_MODEL:-resnet50}" --device "$device" --precision "$precision"
               --textures varied --luminance-offset 0.5 --stretch-textures true
               --mask-threshold 0.2 --explain-count "${PAPER_EXPLAIN:-64}")
  local start=$SECONDS
  timeout "${PAPER_PRETRAIN_SECONDS:-150}" "$reff" train --preset paper "${model[@]}" \
    --canvas 112 --digit-size 78 --method baseline --pretrained none --mnist "$garments" \
    --p 1 --q 1 --test garments:1:1 --train-count "${PAPER_PRETRAIN_COUNT:-0}" \
    --val-count "$eval" --test-count "$eval" --epochs "${PAPER_PRETRAIN_EPOCHS:-3}" \
    --batch-size 128 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --out "$runs/stand-in" \
    > "$out/stand-in.log" 2>&1
  echo "stand-in (112 px): exit $?, $((SECONDS - start)) s"; tail -2 "$out/stand-in.log"
  cp "$runs/stand-in/metrics.jsonl" "$out/stand-in.jsonl" 2>/dev/null
  "$reff" export "$runs/stand-in" --checkpoint best --out "$runs/stand-in.pth" > /dev/null &&
    "${PYTHON:-python3}" -c 'import sys, torch
d = torch.load(sys.argv[1])
torch.save({k: v for k, v in d.items() if not k.startswith("fc.")}, sys.argv[2])' \
      "$runs/stand-in.pth" "$runs/backbone.pth" || { echo "no backbone"; return 1; }
  for seed in ${PAPER_SEEDS:-0 1}; do
    for method in baseline reff reff-focus; do
      start=$SECONDS
      timeout "${PAPER_SECONDS:-120}" "$reff" train --preset paper "${model[@]}" \
        --digit-size 157 --method "$method" --seed "$seed" --pretrained "$runs/backbone.pth" \
        --val balanced:1:1 --train-count "${PAPER_TRAIN_COUNT:-4000}" --val-count "$eval" \
        --test-count "$eval" --epochs "${PAPER_EPOCHS:-6}" --out "$runs/$method-$seed" \
        > "$out/$method-$seed.log" 2>&1
      echo "$method seed $seed: exit $?, $((SECONDS - start)) s"; tail -2 "$out/$method-$seed.log"
      cp "$runs/$method-$seed/metrics.jsonl" "$out/$method-$seed.jsonl" 2>/dev/null
    done
  done
  "$reff" report "$runs" > /dev/null && cp "$runs/report.html" "$out/paper-runs.html"
}

# The Python package against PyTorch's own torch (issue #33): reff and reff._core built in one
# CMake folder, `pip install .` from it, the package's tests, an exported .pth through torch.load's
# default (weights_only from PyTorch 2.6), and a ResNet-50 ReFF step through the package against
# reff bench's and the plain peer's (224 px, batch BENCH_BATCH, fp32 and bf16).
python_check() {
  local out="$1" runs=/tmp/reff-gpu-python
  mkdir -p "$out" "$runs"
  GPU_PYTHON_MODULE=ON build "$out" ||
    { echo "the build with reff._core failed; without it:"; GPU_PYTHON_MODULE=OFF build "$out" || return 1; }
  local reff="$root/build-gpu/reff"
  REFF_BUILD_DIR="$root/build-gpu" python3 -m pip install --no-index --no-build-isolation --no-deps \
    "$root" > "$out/pip.log" 2>&1; echo "pip install .: exit $?"; tail -2 "$out/pip.log"
  (cd /tmp && python3 -c 'import reff, torch; print("reff", reff.__version__, "from", reff.__file__, "torch", torch.__version__)')
  (cd /tmp && REFF_TEST_WORK="$runs/api" REFF_CLI="$reff" timeout 120 python3 "$root/tests/python/test_api.py" 2>&1 | tail -4)
  timeout 60 "$reff" train --preset cpu --pretrained none --epochs 1 --max-steps 2 --train-count 64 \
    --val-count 32 --test-count 32 --explain-count 8 --device cuda --out "$runs/tiny" > "$out/tiny.log" 2>&1
  "$reff" export "$runs/tiny" --out "$runs/tiny.pth" > /dev/null &&
    python3 -c 'import sys, torch; d = torch.load(sys.argv[1]); print("torch.load (default) of reff export:", len(d), "tensors")' "$runs/tiny.pth"
  local batch="${BENCH_BATCH:-32}"
  for precision in fp32 bf16; do
    timeout 90 "$reff" bench --preset paper --device cuda --batch-size "$batch" --warmup 5 --steps 30 \
      --method reff --precision "$precision" | tail -1
    for via in "" --via-package; do
      timeout 90 python3 "$root/bench/peer.py" --device cuda --batch "$batch" --min-time 4 \
        --precision "$precision" --cases resnet50/reff $via
    done
  done | tee "$out/python-bench.jsonl"
}

case "${1:-}" in
  prepare) prepare ;;
  paper) paper "${2:?paper OUT}" ;;
  python) python_check "${2:?python OUT}" ;;
  run) run "${2:?run OUT}" ;;
  bench) bench "${2:?bench OUT}" ;;
  epoch) epoch "${2:?epoch OUT}" ;;
  sweep) sweep "${2:?sweep OUT}" "${3:?LANES}" "${@:4}" ;;
  *) echo "usage: $0 prepare | run OUT | bench OUT | epoch OUT | paper OUT | python OUT | sweep OUT LANES SEEDS:CONFIG..." >&2
     exit 2 ;;
esac
