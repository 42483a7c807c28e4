#!/bin/sh
# The TouchOSC layout (share/touchosc/): the shipped lathe.tosc is what
# make-layout.js makes from the registry (so it cannot go stale), it is a
# zlib stream of well-formed TouchOSC XML, every OSC address it sends or
# receives is in lathe's namespace (osc/README.md), and it has the controls
# it exists for. Run from the repository root: LATHE=./lathe sh tests/test_touchosc.sh
LATHE=${LATHE:-./lathe}
fail() {
	echo "test_touchosc: FAIL: $*" >&2
	exit 1
}
command -v node >/dev/null 2>&1 || fail "node is not installed (apt-get install nodejs, or make deps)"
[ -x "$LATHE" ] || fail "$LATHE is not an executable lathe (build it with make, or set LATHE)"
[ -f share/touchosc/make-layout.js ] || fail "run from the repository root"

tmp=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT INT TERM

# 1. regenerating gives the shipped file, byte for byte (and twice the same).
node share/touchosc/make-layout.js "$LATHE" --out "$tmp/a.tosc" >"$tmp/log" 2>&1 ||
	fail "make-layout.js failed: $(cat "$tmp/log")"
node share/touchosc/make-layout.js "$LATHE" --out "$tmp/b.tosc" >/dev/null 2>&1 ||
	fail "make-layout.js failed the second time"
cmp -s "$tmp/a.tosc" "$tmp/b.tosc" || fail "make-layout.js is not deterministic: two runs differ"
cmp -s "$tmp/a.tosc" share/touchosc/lathe.tosc ||
	fail "share/touchosc/lathe.tosc is stale: it is not what the registry makes now; run 'node share/touchosc/make-layout.js ./lathe' and commit the result"
echo "test_touchosc: share/touchosc/lathe.tosc is what make-layout.js makes ($(wc -c <share/touchosc/lathe.tosc) bytes)"

# 2-4. zlib and XML, the namespace, the controls.
node tests/touchosc_check.js --tosc share/touchosc/lathe.tosc --lathe "$LATHE" --osc-readme osc/README.md ||
	fail "share/touchosc/lathe.tosc does not pass tests/touchosc_check.js (above)"

# The older format (--lexml 3) passes the same checks.
node share/touchosc/make-layout.js "$LATHE" --lexml 3 --out "$tmp/v3.tosc" >/dev/null 2>&1 ||
	fail "make-layout.js --lexml 3 failed"
node tests/touchosc_check.js --tosc "$tmp/v3.tosc" --lathe "$LATHE" --osc-readme osc/README.md >/dev/null ||
	fail "the --lexml 3 layout does not pass tests/touchosc_check.js (above)"

echo "test_touchosc: ok"
