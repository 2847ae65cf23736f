/* Atomics for a single Xtensa core without S32C1I (lx106): a read-modify-
 * write is atomic if no interrupt can run in the middle of it, so each one
 * raises the interrupt level to 15 (RSIL) and restores PS after. Correct on
 * one core only: another core (or a DMA engine writing the same word) is not
 * held off by masking interrupts. The SMP build uses atomics_smp.c. */
#include "xt_internal.h"

static inline unsigned irq_save(void)
{
	unsigned ps;
	__asm__ volatile("rsil %0, 15" : "=a"(ps)::"memory");
	return ps;
}

static inline void irq_restore(unsigned ps)
{
	__asm__ volatile("wsr.ps %0\n\trsync" ::"a"(ps) : "memory");
}

/* One core, interrupts masked: nothing can observe the RMW half-done, and
 * the "memory" clobbers of RSIL and WSR.PS keep the compiler from moving or
 * caching accesses across it. The pointer is deliberately not volatile: GCC
 * puts a MEMW before every volatile access on Xtensa, two per operation
 * that buy nothing on one core. */
#define XT_RMW(N, T, p, old, new, EXPR, mo)                                                        \
	do {                                                                                       \
		(void)(mo);                                                                        \
		T *w_ = (T *)(p);                                                                  \
		unsigned ps_ = irq_save();                                                         \
		old = *w_;                                                                         \
		new = (EXPR);                                                                      \
		*w_ = new;                                                                         \
		irq_restore(ps_);                                                                  \
	} while (0)

#define XT_CAS(N, T, p, expected, desired, smo, fmo)                                               \
	((void)(smo), (void)(fmo), xt_cas_##N((p), (expected), (desired)))

#define XT_DEFINE_CAS(N, T)                                                                        \
	static inline T xt_cas_##N(volatile void *p, T expected, T desired)                        \
	{                                                                                          \
		T *w = (T *)p;                                                                     \
		unsigned ps = irq_save();                                                          \
		T seen = *w;                                                                       \
		if (seen == expected)                                                              \
			*w = desired;                                                              \
		irq_restore(ps);                                                                   \
		return seen;                                                                       \
	}
XT_DEFINE_CAS(1, unsigned char)
XT_DEFINE_CAS(2, unsigned short)
XT_DEFINE_CAS(4, unsigned int)

#include "atomics_ops.h"
