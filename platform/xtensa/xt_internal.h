/* Internal declarations shared by the Xtensa platform's own files. */
#ifndef SMPHEAP_XT_INTERNAL_H
#define SMPHEAP_XT_INTERNAL_H

#include <stdint.h>

#ifndef SMPHEAP_XTENSA_CORES
#ifdef SMPHEAP_XTENSA_SMP
#define SMPHEAP_XTENSA_CORES 4
#else
#define SMPHEAP_XTENSA_CORES 1
#endif
#endif
#if SMPHEAP_XTENSA_CORES < 1 || SMPHEAP_XTENSA_CORES > 16
#error "SMPHEAP_XTENSA_CORES must be 1..16 (crt0.S has 16 stack slices)"
#endif

/* Called by crt0.S on every core, never returns. */
void smph_xt_cstart(uint32_t prid);

/* The program's arguments from the simulator (0 and an empty list if none). */
int smph_xt_args(char ***argv);

/* Writes every core's pending console line (at exit). */
void smph_xt_console_flush_all(void);

/* Memory orders as GCC passes them to the atomic library calls (the high
 * bits may carry target flags). */
#define XT_MO(mo) ((mo)&0xffff)
#define XT_MO_ACQUIRES(mo)                                                                         \
	(XT_MO(mo) == __ATOMIC_ACQUIRE || XT_MO(mo) == __ATOMIC_CONSUME ||                         \
	 XT_MO(mo) == __ATOMIC_ACQ_REL || XT_MO(mo) == __ATOMIC_SEQ_CST)
#define XT_MO_RELEASES(mo)                                                                         \
	(XT_MO(mo) == __ATOMIC_RELEASE || XT_MO(mo) == __ATOMIC_ACQ_REL ||                         \
	 XT_MO(mo) == __ATOMIC_SEQ_CST)

static inline unsigned smph_xt_core(void)
{
#ifdef SMPHEAP_XTENSA_SMP
	uint32_t prid;
	__asm__ volatile("rsr.prid %0" : "=a"(prid));
	/* Cores beyond the build's count park at boot and never get here;
	 * the clamp only keeps a stray PRID inside the per-core arrays. */
	return prid < SMPHEAP_XTENSA_CORES ? (unsigned)prid : SMPHEAP_XTENSA_CORES - 1;
#else
	return 0;
#endif
}

#endif
