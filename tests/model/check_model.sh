#!/bin/sh
# Runs spin on bitmap2.pml twice: as written (must verify with no error) and
# without the summary re-read (must find the counterexample).
set -eu
model=$(cd "$(dirname "$0")" && pwd)/bitmap2.pml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
run() { # $1: extra spin flags; prints pan's error count
	cp "$model" m.pml
	spin -a $1 m.pml >/dev/null
	cc -O2 -DSAFETY -o pan pan.c
	./pan -m200000 >out.txt 2>&1 || true
	sed -n 's/.*errors: \([0-9]*\).*/\1/p' out.txt
}
ok=$(run "")
broken=$(run "-DNO_REREAD")
echo "bitmap2 model: $ok errors as written; $broken with the re-read removed (must be > 0)"
[ "$ok" = 0 ] && [ "${broken:-0}" -gt 0 ] && echo "model: 1 passed, 0 failed" && exit 0
echo "model: 0 passed, 1 failed"
exit 1
