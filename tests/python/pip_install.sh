#!/usr/bin/env bash
# The README's "From Python" path: `pip install --no-build-isolation .` (pyproject.toml) into a
# fresh virtual environment that sees Debian's torch (--system-site-packages), no network, reusing
# the build folder's core; then the example, run from outside the repository so that the installed
# package is the one imported.
# pip_install.sh BUILD_DIR REFF_CLI WORK_DIR
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="$1" cli="$2" work="$3"
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
python="$work/venv/bin/python3"
REFF_BUILD_DIR="$build" "$python" -m pip install --no-index --no-build-isolation -q "$root" > "$work/pip.out" 2>&1 ||
  fail "pip install . failed: $(tail -5 "$work/pip.out")"
cd "$work"
where="$("$python" -c 'import reff; print(reff.__file__)')"
case "$where" in "$work/venv/"*) ;; *) fail "imported reff from $where, not the venv" ;; esac
"$cli" data layout-example --dataset folder --count 8 --out "$work/data" > /dev/null
"$python" "$root/examples/python/train_torchvision.py" "$work/data" --epochs 2 > "$work/example.out" ||
  fail "the example failed"
[ "$(grep -c '"test_accuracy"' "$work/example.out")" = 2 ] || fail "no accuracy: $(cat "$work/example.out")"
echo "pip install . and the example: ok ($(tail -1 "$work/example.out"))"
