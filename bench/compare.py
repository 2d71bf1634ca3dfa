"""reff against its PyTorch peer, in one run: `make bench` (python3 bench/compare.py BUILD_DIR;
BENCH_ROUNDS (3) alternating rounds of BENCH_MIN_TIME (2) seconds per case, medians reported).

Runs build/reff_bench (Google Benchmark, JSON) and bench/peer.py on the same shapes and thread
count, then prints one table: images/s of reff and the peer and their ratio, the ReFF/baseline
step ratio, nominal GFLOP/s against the machine's matrix-product rate; one whole epoch of the cpu
preset (batches, steps, evaluation, checkpoints) against the peer's same loop; data generation
and inference against training throughput; then the peak memory (RSS) of baseline and ReFF
steps, one process per case (`reff bench` and peer.py with one case), and what the double
backward adds. Nominal step FLOPs: 3F for a baseline or ABN step (forward, gradients of inputs
and weights), 6F for a ReFF step (forward, the Grad-CAM gradient with its
graph, and the backward pass through both), F = one forward pass's convolution and linear FLOPs.
"""
import json
import os
import statistics
import subprocess
import sys

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN_CASES = ["small/baseline", "small/reff", "small/reff-l1", "small/abn", "small/pix2pix",
               "resnet50/baseline", "resnet50/reff"]
# One whole epoch of the cpu preset (bench/bench_epoch.cpp, peer.py's epoch cases).
EPOCH_CASES = ["epoch/baseline", "epoch/reff"]
EPOCH_COUNTERS = ["epoch_over_steps", "evaluation_share", "train_images", "val_images",
                  "test_images"]
# The same ReFF steps with the loss through the Python package (peer.py --via-package).
PACKAGE_CASES = ["small/reff", "small/reff-l1", "resnet50/reff"]
# glibc's settings that reff.nn.keep_freed_memory() (reff::keep_freed_memory) makes, as variables.
KEPT_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}


def reff_results(build, min_time):
    out = subprocess.run(
        [os.path.join(build, "reff_bench"), "--benchmark_format=json",
         f"--benchmark_min_time={min_time}",
         "--benchmark_filter=TrainStep|AnnotatorStep|Inference|GenerateAllCores/canvas:40|Epoch"],
        check=True, capture_output=True, text=True).stdout
    results = {}
    for b in json.loads(out)["benchmarks"]:
        label = b.get("label") or "generate/40px"
        results[label] = {
            "images_per_s": b["items_per_second"], "ms_per_step": b["real_time"]}
        for counter in EPOCH_COUNTERS:
            if counter in b:
                results[label][counter] = b[counter]
    return results


def peer_results(min_time, threads, cases, env, extra=()):
    out = subprocess.run([PYTHON, os.path.join(HERE, "peer.py"), f"--min-time={min_time}",
                          f"--threads={threads}", f"--cases={cases}", *extra], check=True,
                         capture_output=True, text=True, env=env).stdout
    return {r["case"]: r for r in map(json.loads, out.splitlines())}


def package_results(min_time, threads, env, round_index):
    """The package's ReFF steps against the peer's, each variant of each case in a process of its
    own (a process's earlier cases move a step's time by up to 1.5x through the allocator's
    state), in an order that rotates with the round. The peer with the allocator settings the
    converted path takes (KEPT_MEMORY) is "kept"."""
    peer_env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    variants = [("peer ", peer_env, []), ("package ", env, ["--via-package"]),
                ("converted ", env, ["--via-package", "--convert"]),
                ("kept ", dict(peer_env, **KEPT_MEMORY), [])]
    shift = round_index % len(variants)
    results = {}
    for case in PACKAGE_CASES:
        for prefix, variant_env, flags in variants[shift:] + variants[:shift]:
            result = peer_results(min_time, threads, case, variant_env, flags)
            results[prefix + case] = result[case]
    return results


MEMORY_CASES = {"small": ("cpu", 32), "resnet50": ("paper", 4)}


def memory_results(build, threads):
    """Peak RSS (MiB) of a few steps of each baseline and ReFF case, each in its own process."""
    results = {}
    for model, (preset, batch) in MEMORY_CASES.items():
        for method in ("baseline", "reff"):
            ours = subprocess.run(
                [os.path.join(build, "reff"), "bench", "--preset", preset, "--method", method,
                 "--batch-size", str(batch), "--steps", "3", "--warmup", "1", "--device", "cpu"],
                check=True, capture_output=True, text=True).stdout
            theirs = peer_results(0.5, threads, f"{model}/{method}",
                                  dict(os.environ, OPENBLAS_NUM_THREADS="1"))
            results[f"{model}/{method}"] = (json.loads(ours.splitlines()[-1])["peak_rss_mib"],
                                           theirs[f"{model}/{method}"]["peak_rss_mib"])
    return results


def median_of(rounds):
    """Per case and field, the median over rounds (a shared machine's timings drift)."""
    merged = {}
    for case in rounds[0]:
        merged[case] = {}
        for field, value in rounds[0][case].items():
            if isinstance(value, float):
                merged[case][field] = statistics.median(r[case][field] for r in rounds)
            else:
                merged[case][field] = value
    return merged


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    min_time = float(os.environ.get("BENCH_MIN_TIME", "2"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    threads = os.cpu_count()
    reff_rounds, peer_rounds = [], []
    for r in range(rounds):  # reff and the peer alternate, so drift hits both alike
        print(f"round {r + 1}/{rounds}...", file=sys.stderr, flush=True)
        reff_rounds.append(reff_results(build, min_time))
        # Training as reff runs it: LibTorch's threads, OpenBLAS on one (reff::use_threads). The
        # machine's matrix-product rate: OpenBLAS on every core.
        peer = peer_results(min_time, threads, ",".join(TRAIN_CASES),
                            dict(os.environ, OPENBLAS_NUM_THREADS="1"))
        peer.update(peer_results(min_time, threads, "matmul", dict(os.environ)))
        if EPOCH_CASES[0] in reff_rounds[-1]:
            sizes = reff_rounds[-1][EPOCH_CASES[0]]
            peer.update(peer_results(min_time, threads, ",".join(EPOCH_CASES),
                                     dict(os.environ, OPENBLAS_NUM_THREADS="1"),
                                     ["--epoch-sizes", ",".join(str(int(sizes[k])) for k in (
                                         "train_images", "val_images", "test_images"))]))
        if os.path.isdir(os.path.join(build, "python", "reff")):
            env = dict(os.environ, OPENBLAS_NUM_THREADS="1",
                       PYTHONPATH=os.path.join(build, "python"))
            peer.update(package_results(min_time, threads, env, r))
        peer_rounds.append(peer)
    reff, peer = median_of(reff_rounds), median_of(peer_rounds)
    peak = peer["matmul"]["gflop_per_s"]
    print(f"reff vs PyTorch peer, medians of {rounds} alternating rounds: {threads} threads, LibTorch "
          f"{subprocess.run([PYTHON, '-c', 'import torch; print(torch.__version__)'], capture_output=True, text=True).stdout.strip()}, "
          f"2048^2 float matmul {peak:.0f} GFLOP/s\n")
    print(f"{'step':<20}{'reff img/s':>12}{'peer img/s':>12}{'reff/peer':>11}"
          f"{'vs baseline':>13}{'GFLOP/s':>10}{'of matmul':>11}")
    for case in TRAIN_CASES:
        if case not in reff or case not in peer:
            continue
        model, method = case.split("/")
        ours, theirs = reff[case], peer[case]
        base = reff[f"{model}/baseline"]["ms_per_step"]
        # ABN and pix2pix have no double backward: 3F (pix2pix: F = G's forward plus D's three
        # forward passes, already counted by the peer)
        step_flops = (6 if method.startswith("reff") else 3) * theirs["forward_gflop"]
        gflops = step_flops / (ours["ms_per_step"] / 1000)
        # pix2pix steps take 4 images, not the classifier's batch: no step ratio
        versus = "-" if method == "pix2pix" else f"{ours['ms_per_step'] / base:.2f}x"
        print(f"{case:<20}{ours['images_per_s']:>12.1f}{theirs['images_per_s']:>12.1f}"
              f"{ours['images_per_s'] / theirs['images_per_s']:>10.2f}x"
              f"{versus:>13}{gflops:>10.1f}{gflops / peak:>10.0%}")
    if "package small/reff" in peer:
        print("\nthe Python package (torch model, reff.ExplanationLoss), as it is and with "
              "reff.nn.convert(model), against reff's own step and the peer's:")
        print("(each in a process of its own; converted: reff.nn.convert and "
              "reff.nn.keep_freed_memory; peer kept: the peer with the same allocator settings)")
        print(f"{'step':<16}{'reff':>8}{'package':>9}{'converted':>11}{'peer':>7}{'peer kept':>11}"
              f"{'conv/reff':>11}{'conv/peer kept':>16}{'package/peer':>14}")
        for case in PACKAGE_CASES:
            ours, package, converted = reff[case], peer["package " + case], peer["converted " + case]
            rate, kept = converted["images_per_s"], peer["kept " + case]["images_per_s"]
            alone = peer["peer " + case]["images_per_s"]
            print(f"{case:<16}{ours['images_per_s']:>8.1f}{package['images_per_s']:>9.1f}"
                  f"{rate:>11.1f}{alone:>7.1f}{kept:>11.1f}"
                  f"{rate / ours['images_per_s']:>10.2f}x{rate / kept:>15.2f}x"
                  f"{package['images_per_s'] / alone:>13.2f}x")
    if EPOCH_CASES[0] in reff and EPOCH_CASES[0] in peer:
        sizes = reff[EPOCH_CASES[0]]
        print(f"\none epoch of the cpu preset ({sizes['train_images']:.0f} training images; "
              f"evaluation of {sizes['val_images']:.0f} val and 2 x {sizes['test_images']:.0f} "
              f"test images, Grad-CAM metrics on 256 of each; checkpoints):")
        print(f"{'epoch':<20}{'reff img/s':>12}{'peer img/s':>12}{'reff/peer':>11}"
              f"{'epoch/steps':>13}{'peer':>7}{'evaluation':>12}{'peer':>7}")
        for case in EPOCH_CASES:
            ours, theirs = reff[case], peer[case]
            print(f"{case:<20}{ours['images_per_s']:>12.1f}{theirs['images_per_s']:>12.1f}"
                  f"{ours['images_per_s'] / theirs['images_per_s']:>10.2f}x"
                  f"{ours['epoch_over_steps']:>12.2f}x{theirs['epoch_over_steps']:>6.2f}x"
                  f"{ours['evaluation_share']:>12.0%}{theirs['evaluation_share']:>7.0%}")
    print()
    for model in ["small", "resnet50"]:
        train = reff[f"{model}/baseline"]["images_per_s"]
        if f"{model}/inference-folded" in reff:
            rate = {path: reff[f"{model}/{path}"]["images_per_s"]
                    for path in ("inference", "inference-nhwc", "inference-folded")}
            print(f"{model}: inference as evaluation runs it (InferenceMode, BatchNorm folded, "
                  f"channels-last input) {rate['inference-folded']:.0f} img/s = "
                  f"{rate['inference-folded'] / train:.1f}x the baseline training throughput "
                  f"({train:.0f} img/s); forward() {rate['inference-nhwc']:.0f} img/s, "
                  f"{rate['inference']:.0f} with NCHW input")
    print("\npeak memory (RSS, one process per case: LibTorch, model, batch and the step's graph)")
    print(f"{'step':<20}{'reff MiB':>12}{'peer MiB':>12}{'ReFF - baseline (reff)':>26}")
    memory = memory_results(build, threads)
    for case, (ours, theirs) in memory.items():
        model, method = case.split("/")
        extra = ""
        if method == "reff":
            base = memory[f"{model}/baseline"][0]
            extra = f"+{ours - base:.0f} MiB ({ours / base:.2f}x)"
        print(f"{case:<20}{ours:>12.0f}{theirs:>12.0f}{extra:>26}")
    if "generate/40px" in reff:
        generate = reff["generate/40px"]["images_per_s"]
        print(f"data: Textured MNIST generation {generate:.0f} img/s at 40 px = "
              f"{generate / reff['small/baseline']['images_per_s']:.1f}x baseline training, "
              f"{generate / reff['small/reff']['images_per_s']:.1f}x ReFF training")


if __name__ == "__main__":
    main()
