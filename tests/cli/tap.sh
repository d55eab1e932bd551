# TAP helpers for the command-line test scripts (sourced): a temporary
# folder removed at exit, ok / not_ok / check, and the closing plan line.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
not_ok() { n=$((n+1)); fail=1; echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
tap_end() { echo "1..$n"; exit $fail; }
