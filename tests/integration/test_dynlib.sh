#!/bin/bash
# The optional libraries (src/dynlib) are not linked into c2flow and are
# opened only by the commands that use them: `query` runs without any of
# them, `detect` opens igraph and nothing else of the six, and a failed
# open would be an error message (unit-tested in tests/dynlib).
. "$(dirname "$0")/lib.sh"

LIBS='libxgboost|libigraph|libcurl|libmicrohttpd|libsqlite3|libmaxminddb'
command -v ldd >/dev/null || skip "ldd not installed"
linked=$(ldd "$C2FLOW" | grep -E "$LIBS" || true)
[ -z "$linked" ] || fail "c2flow links what dynlib should open: $linked"

"$C2FLOW" simulate --scenario "$C2FLOW_SRC/scenarios/tiny.ini" --seed 1 --store "$WORK/st" \
    --feed "$WORK/feed.csv" --quiet || fail "simulate failed"

# LD_DEBUG=files names every object the dynamic loader opens
opened() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -oE "file=($LIBS)[^ ]*" | sort -u; }

q=$(opened "$C2FLOW" query --store "$WORK/st" -f 'dst port 23' --count)
[ -z "$q" ] || fail "query opened $q"
d=$(opened "$C2FLOW" detect --store "$WORK/st" --from 2026-01-05 --to 2026-01-06 \
        --internal 100.64.0.0/20 --intel "$WORK/feed.csv" --out "$WORK/list.csv")
[[ "$d" =~ ^file=libigraph\.so\.[0-9]+$ ]] || fail "detect opened: '$d' (expected igraph alone)"
[ -s "$WORK/list.csv" ] || fail "detect wrote no list"
echo ok
