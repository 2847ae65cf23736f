#!/bin/sh
# Runs a bare-metal Xtensa ELF on one emulated lx106 core; the program's
# exit code (main's return, or 100 + EXCCAUSE on a crash) is ours, 124 on
# timeout. CTest uses this as CMAKE_CROSSCOMPILING_EMULATOR.
#   SMPHEAP_QEMU_TIMEOUT  seconds before the run is killed (default 60)
#   SMPHEAP_QEMU_ARGS     extra QEMU options, e.g. "-icount shift=0,sleep=off"
set -u
elf=${1:-}
[ -n "$elf" ] && [ -f "$elf" ] || { echo "$0: no ELF file '$elf'" >&2; exit 2; }
shift
# Without a kernel QEMU would wait forever; without -semihosting the program
# could neither print nor exit.
# Arguments reach main() through semihosting (commas doubled: QEMU's
# option syntax); argv[0] is the ELF.
semi="enable=on,arg=$(printf '%s' "$elf" | sed 's/,/,,/g')"
for a in "$@"; do
	semi="$semi,arg=$(printf '%s' "$a" | sed 's/,/,,/g')"
done
# shellcheck disable=SC2086
exec timeout "${SMPHEAP_QEMU_TIMEOUT:-60}" qemu-system-xtensa -M sim -cpu lx106 \
	-display none -monitor none -serial none -semihosting-config "$semi" ${SMPHEAP_QEMU_ARGS:-} -kernel "$elf"
