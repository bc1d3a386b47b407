# lib.sh: helpers for the integration tests (sourced by tests/integration/test_*.sh).
# Environment from ctest: C2FLOW (the binary), C2FLOW_SRC, C2FLOW_SHARED_DATA, C2FLOW_TEST_TMP.
set -u
: "${C2FLOW:?run through ctest, or set C2FLOW to the c2flow binary}"
: "${C2FLOW_TEST_TMP:=/tmp}"
mkdir -p "$C2FLOW_TEST_TMP"
WORK=$(mktemp -d "$C2FLOW_TEST_TMP/$(basename "$0" .sh)-XXXXXX")
trap 'rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# expect_status N cmd...: run cmd, fail unless it exits with N
expect_status() {
    local want=$1; shift
    "$@"; local got=$?
    [ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}
# records in a store, counted by reading every record back
count_records() { "$C2FLOW" query --store "$1" -o csv --fields start | tail -n +2 | wc -l; }
# records in a store according to the footers (stat)
stat_records() { "$C2FLOW" stat --store "$1" -o csv | awk -F, 'NR==2 {print $2}'; }
