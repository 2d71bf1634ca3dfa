# What the command-line scripts (cli_contract.sh, own_data.sh, waterbirds.sh) share, sourced by
# them: a scratch folder removed on exit, a failure count, `run NAME args...` (the command must
# succeed; its output is kept in $tmp/NAME.out and .err) and `json FILE EXPR` (a Python expression
# over the file's d).
set -uo pipefail
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
run() {
  local name="$1"; shift
  "$REFF" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || fail "$name exited $?: $(tail -3 "$tmp/$name.err")"
}
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
