/* smpheap/xtensa_core_id.h - the calling core, inline, for lib/.
 *
 * lib/ is built for this platform with SMPHEAP_PLATFORM_CORE_ID_INLINE
 * naming this header (lib/CMakeLists.txt), so that the heap reads the core
 * id on every allocation and free without a call: in the call0 ABI of
 * lx106 a call costs its return address's spill and those of every value
 * live across it. The value is PRID, which every core of this platform has
 * (crt0.S picks each core's stack by it): on the SMP build what
 * smph_platform_core_id() returns, on the single-core build 0, as there
 * (one core, which QEMU numbers 0). lib/ reduces it to the layout's cores.
 * No `volatile`: a core's PRID never changes, so the compiler may reuse it.
 */
#ifndef SMPHEAP_XTENSA_CORE_ID_H
#define SMPHEAP_XTENSA_CORE_ID_H

#include <stdint.h>

static inline unsigned smph_platform_core_id_inline(void)
{
	uint32_t prid;

	__asm__("rsr.prid %0" : "=a"(prid));
	return prid;
}

#endif
