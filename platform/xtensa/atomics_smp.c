/* Atomics for SMP Xtensa cores with the conditional-store option (S32C1I):
 * every read-modify-write is a load, a compute and an S32C1I that stores
 * only if memory still holds what was loaded (SCOMPARE1), retried until it
 * does. Sub-word objects are changed through a CAS of their aligned word.
 *
 * Ordering: Linux's xtensa port treats an S32C1I read-modify-write as a
 * full barrier (its smp_mb__before/after_atomic are compiler barriers), and
 * QEMU implements it with a host atomic. Rather than lean on how a given
 * core orders it, the memory order asked for is honoured explicitly with
 * MEMW, which orders every load and store: before the RMW for release
 * semantics, after it for acquire, both for acq_rel and seq_cst, none for
 * relaxed (the heap's counters), so its cost is paid only where the C11
 * model asks for it. Needs ATOMCTL set for RAM (crt0.S does). */
#include "xt_internal.h"

/* S32C1I and WSR.SCOMPARE1 are unknown to the lx106 assembler, so they are
 * emitted as bytes with their registers fixed: a5 = compare value, a6 =
 * value to store (and, after, the value memory held), a7 = address.
 *   wsr.scompare1 a5 = 0x130c50 (RSR format, SR 12, t = 5)
 *   s32c1i a6, a7, 0 = 0x00e762 (RRI8 format, r = 0xe, s = 7, t = 6) */
static inline unsigned s32c1i(volatile unsigned *p, unsigned expected, unsigned desired)
{
	register unsigned a5 __asm__("a5") = expected;
	register unsigned a6 __asm__("a6") = desired;
	register volatile unsigned *a7 __asm__("a7") = p;
	__asm__ volatile(".byte 0x50, 0x0c, 0x13\n\t" /* wsr.scompare1 a5 */
			 ".byte 0x62, 0xe7, 0x00"     /* s32c1i a6, a7, 0 */
			 : "+r"(a6)
			 : "r"(a5), "r"(a7)
			 : "memory");
	return a6;
}

static inline void fence_before(int mo)
{
	if (XT_MO_RELEASES(mo))
		__asm__ volatile("memw" ::: "memory");
}

static inline void fence_after(int mo)
{
	if (XT_MO_ACQUIRES(mo))
		__asm__ volatile("memw" ::: "memory");
}

/* Changes the bytes of a 1- or 2-byte object inside its aligned word;
 * returns the object's value seen. Only the object's bytes are compared, so
 * a concurrent change of a neighbour just retries. */
#define XT_DEFINE_SUBWORD_CAS(N, T)                                                                \
	static inline T xt_cas_##N(volatile void *p, T expected, T desired)                        \
	{                                                                                          \
		uintptr_t a = (uintptr_t)p;                                                        \
		volatile unsigned *w = (volatile unsigned *)(a & ~(uintptr_t)3);                   \
		unsigned shift = (unsigned)(a & 3) * 8;                                            \
		if (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)                                        \
			shift = (unsigned)(4 - N - (a & 3)) * 8;                                   \
		unsigned mask = ((1u << (8 * N)) - 1) << shift;                                    \
		unsigned cur = *w;                                                                 \
		for (;;) {                                                                         \
			T seen = (T)((cur & mask) >> shift);                                       \
			if (seen != expected)                                                      \
				return seen;                                                       \
			unsigned next = (cur & ~mask) | ((unsigned)desired << shift);              \
			unsigned got = s32c1i(w, cur, next);                                       \
			if (got == cur)                                                            \
				return expected;                                                   \
			cur = got;                                                                 \
		}                                                                                  \
	}
XT_DEFINE_SUBWORD_CAS(1, unsigned char)
XT_DEFINE_SUBWORD_CAS(2, unsigned short)

static inline unsigned xt_cas_4(volatile void *p, unsigned expected, unsigned desired)
{
	return s32c1i((volatile unsigned *)p, expected, desired);
}

static inline unsigned char xt_cas_ord_1(volatile void *p, unsigned char e, unsigned char d,
					 int smo, int fmo)
{
	fence_before(smo);
	unsigned char seen = xt_cas_1(p, e, d);
	fence_after(seen == e ? smo : fmo);
	return seen;
}

static inline unsigned short xt_cas_ord_2(volatile void *p, unsigned short e, unsigned short d,
					  int smo, int fmo)
{
	fence_before(smo);
	unsigned short seen = xt_cas_2(p, e, d);
	fence_after(seen == e ? smo : fmo);
	return seen;
}

static inline unsigned xt_cas_ord_4(volatile void *p, unsigned e, unsigned d, int smo, int fmo)
{
	fence_before(smo);
	unsigned seen = xt_cas_4(p, e, d);
	fence_after(seen == e ? smo : fmo);
	return seen;
}

#define XT_CAS(N, T, p, expected, desired, smo, fmo)                                               \
	xt_cas_ord_##N((p), (expected), (desired), (smo), (fmo))

/* Load, compute, conditional store; on a lost race the CAS hands back the
 * current value, so the next try needs no extra load. */
#define XT_RMW(N, T, p, old, new, EXPR, mo)                                                        \
	do {                                                                                       \
		volatile T *w_ = (volatile T *)(p);                                                \
		fence_before(mo);                                                                  \
		old = *w_;                                                                         \
		for (;;) {                                                                         \
			new = (EXPR);                                                              \
			T seen_ = xt_cas_##N(w_, old, new);                                        \
			if (seen_ == old)                                                          \
				break;                                                             \
			old = seen_;                                                               \
		}                                                                                  \
		fence_after(mo);                                                                   \
	} while (0)

#include "atomics_ops.h"
