#!/bin/sh
# test_help.sh - every binary in $FJORD_BIN answers --help with a man-page
# style text on stdout and exit status 0: a NAME line naming the binary,
# then SYNOPSIS, DESCRIPTION, OPTIONS and EXIT STATUS sections, in that
# order, and nothing on stderr. fjord-supervisor, fjord-worker and
# fjord-bench must be there; any other binary found is checked the same way.
ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
BIN=${FJORD_BIN:-$ROOT/bin}
out=$(mktemp /tmp/fjord-it-help-XXXXXX) || exit 1
err=$(mktemp /tmp/fjord-it-help-XXXXXX) || exit 1
trap 'rm -f "$out" "$err"' EXIT
failed=0
checked=0
fail() {
	echo "  $1: $2"
	failed=$((failed + 1))
}
for required in fjord-supervisor fjord-worker fjord-bench; do
	[ -x "$BIN/$required" ] || fail "$required" "missing from $BIN"
done
for b in "$BIN"/*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	name=$(basename "$b")
	checked=$((checked + 1))
	timeout 10 "$b" --help >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || fail "$name" "--help exited $rc"
	[ -s "$err" ] && fail "$name" "--help wrote to stderr: $(head -c 200 "$err")"
	# The section headings, each on a line of its own, in man-page order.
	order=$(grep -nxE 'NAME|SYNOPSIS|DESCRIPTION|OPTIONS|EXIT STATUS' "$out" | cut -d: -f2 | tr '\n' ',')
	[ "$order" = "NAME,SYNOPSIS,DESCRIPTION,OPTIONS,EXIT STATUS," ] ||
		fail "$name" "sections are '$order', want NAME,SYNOPSIS,DESCRIPTION,OPTIONS,EXIT STATUS"
	# The line after NAME is "    <name> - what it does".
	sed -n '/^NAME$/{n;p;q}' "$out" | grep -Eq "^ +$name - [a-z]" ||
		fail "$name" "the NAME section does not start with '$name - ...'"
	# The synopsis shows how to call this very binary.
	sed -n '/^SYNOPSIS$/{n;p;q}' "$out" | grep -Eq "^ +$name( |$)" ||
		fail "$name" "the SYNOPSIS does not start with '$name'"
	[ "$(wc -l <"$out")" -ge 15 ] || fail "$name" "only $(wc -l <"$out") lines of help"
done
[ $checked -ge 3 ] || fail "$BIN" "only $checked binaries found"
if [ $failed -ne 0 ]; then
	echo "FAIL help: $failed problem(s) in $checked binaries"
	exit 1
fi
echo "PASS help: $checked binaries in $BIN answer --help"
