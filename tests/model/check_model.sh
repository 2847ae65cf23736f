#!/bin/sh
# Runs spin on a model twice or more: as written (must verify with no
# error) and once per broken variant named after it (a -D flag that removes
# a step of the protocol: spin must find the counterexample).
#   check_model.sh [MODEL.pml [VARIANT...]]
# With no arguments: bitmap2.pml and its NO_REREAD variant.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
	set -- bitmap2.pml NO_REREAD
fi
model=$dir/$1
shift
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
name=$(basename "$model" .pml)
ok=$(run "")
pass=1
echo "$name model: $ok errors as written (must be 0)"
[ "$ok" = 0 ] || pass=0
for v in "$@"; do
	broken=$(run "-D$v")
	echo "$name model: $broken errors with -D$v (must be > 0)"
	[ "${broken:-0}" -gt 0 ] || pass=0
done
if [ $pass = 1 ]; then
	echo "model: 1 passed, 0 failed"
	exit 0
fi
echo "model: 0 passed, 1 failed"
exit 1
