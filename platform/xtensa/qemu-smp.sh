#!/bin/sh
# Runs a bare-metal Xtensa ELF built for SMP on emulated de212 cores (they
# have S32C1I and a data cache; lx106 code runs on them unchanged), all in
# parallel on host threads (multi-threaded TCG). Exit code as qemu-lx106.sh.
#   SMPHEAP_QEMU_CORES    emulated cores (default 4; the ELF expects its
#                         build's SMPHEAP_XTENSA_CORES)
#   SMPHEAP_QEMU_TIMEOUT  seconds before the run is killed (default 60)
#   SMPHEAP_QEMU_CPU      core model (default de212). sample_controller has
#                         S32C1I but no data cache: programs built with the
#                         cache hooks (SMPHEAP_XTENSA_DCACHE_LINE > 0, the
#                         default SMP build) stop there with exit code 100.
set -u
elf=${1:-}
[ -n "$elf" ] && [ -f "$elf" ] || { echo "$0: no ELF file '$elf'" >&2; exit 2; }
shift
# Arguments reach main() through semihosting (commas doubled: QEMU's
# option syntax); argv[0] is the ELF.
semi="enable=on,arg=$(printf '%s' "$elf" | sed 's/,/,,/g')"
for a in "$@"; do
	semi="$semi,arg=$(printf '%s' "$a" | sed 's/,/,,/g')"
done
exec timeout "${SMPHEAP_QEMU_TIMEOUT:-60}" qemu-system-xtensa -M sim -cpu "${SMPHEAP_QEMU_CPU:-de212}" \
	-smp "${SMPHEAP_QEMU_CORES:-4}" -accel tcg,thread=multi \
	-display none -monitor none -serial none -semihosting-config "$semi" -kernel "$elf"
