/* The atomic operations GCC calls instead of inlining them on Xtensa cores
 * (lx106 has no atomic instruction at all; GCC for lx106 does not know that
 * a de212 core has S32C1I), for 1-, 2- and 4-byte objects. Included by
 * atomics_up.c and atomics_smp.c, which supply the two primitives:
 *
 *   XT_RMW(N, T, p, old, new, EXPR, mo): atomically old = *p; new = EXPR;
 *                                         *p = new, with memory order mo
 *   XT_CAS(N, T, p, expected, desired, smo, fmo): compare-and-swap, returning
 *                                         the value seen (== expected: stored)
 *
 * The library-call ABI is libatomic's: the CAS takes (ptr, expected*, desired,
 * success order, failure order) with no `weak` argument, unlike the builtin
 * GCC declares, hence the pragma. Aligned atomic loads, stores and fences
 * are inlined by GCC (plain l32i/s32i with memw); the out-of-line load and
 * store below serve calls GCC makes for them anyway (e.g. through pointers
 * it cannot prove aligned). */
#ifndef SMPHEAP_XT_ATOMICS_OPS_H
#define SMPHEAP_XT_ATOMICS_OPS_H

#include <stdbool.h>

#include "smpheap/platform.h" /* smph_platform_cas32() and friends */

#pragma GCC diagnostic ignored "-Wbuiltin-declaration-mismatch"

#define XT_FETCH_OP(N, T, name, EXPR, RET)                                                         \
	T __atomic_##name##_##N(volatile void *p, T v, int mo)                                     \
	{                                                                                          \
		T old, new;                                                                        \
		XT_RMW(N, T, p, old, new, EXPR, mo);                                               \
		(void)new;                                                                         \
		(void)old;                                                                         \
		return RET;                                                                        \
	}

#define XT_DEFINE_ATOMICS(N, T)                                                                    \
	XT_FETCH_OP(N, T, exchange, v, old)                                                        \
	XT_FETCH_OP(N, T, fetch_add, (T)(old + v), old)                                            \
	XT_FETCH_OP(N, T, fetch_sub, (T)(old - v), old)                                            \
	XT_FETCH_OP(N, T, fetch_and, (T)(old & v), old)                                            \
	XT_FETCH_OP(N, T, fetch_or, (T)(old | v), old)                                             \
	XT_FETCH_OP(N, T, fetch_xor, (T)(old ^ v), old)                                            \
	XT_FETCH_OP(N, T, fetch_nand, (T) ~(old & v), old)                                         \
	XT_FETCH_OP(N, T, add_fetch, (T)(old + v), new)                                            \
	XT_FETCH_OP(N, T, sub_fetch, (T)(old - v), new)                                            \
	XT_FETCH_OP(N, T, and_fetch, (T)(old & v), new)                                            \
	XT_FETCH_OP(N, T, or_fetch, (T)(old | v), new)                                             \
	XT_FETCH_OP(N, T, xor_fetch, (T)(old ^ v), new)                                            \
	XT_FETCH_OP(N, T, nand_fetch, (T) ~(old & v), new)                                         \
                                                                                                   \
	bool __atomic_compare_exchange_##N(volatile void *p, void *expected, T desired, int smo,   \
					   int fmo)                                                \
	{                                                                                          \
		T exp = *(T *)expected;                                                            \
		T seen = XT_CAS(N, T, p, exp, desired, smo, fmo);                                  \
		if (seen == exp)                                                                   \
			return true;                                                               \
		*(T *)expected = seen;                                                             \
		return false;                                                                      \
	}                                                                                          \
                                                                                                   \
	T __atomic_load_##N(const volatile void *p, int mo)                                        \
	{                                                                                          \
		if (XT_MO(mo) == __ATOMIC_SEQ_CST)                                                 \
			__asm__ volatile("memw" ::: "memory");                                     \
		T v = *(const volatile T *)p;                                                      \
		if (XT_MO_ACQUIRES(mo))                                                            \
			__asm__ volatile("memw" ::: "memory");                                     \
		return v;                                                                          \
	}                                                                                          \
                                                                                                   \
	void __atomic_store_##N(volatile void *p, T v, int mo)                                     \
	{                                                                                          \
		if (XT_MO_RELEASES(mo))                                                            \
			__asm__ volatile("memw" ::: "memory");                                     \
		*(volatile T *)p = v;                                                              \
		if (XT_MO(mo) == __ATOMIC_SEQ_CST)                                                 \
			__asm__ volatile("memw" ::: "memory");                                     \
	}                                                                                          \
                                                                                                   \
	T __sync_val_compare_and_swap_##N(volatile void *p, T oldv, T newv)                        \
	{                                                                                          \
		return XT_CAS(N, T, p, oldv, newv, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);            \
	}                                                                                          \
                                                                                                   \
	bool __sync_bool_compare_and_swap_##N(volatile void *p, T oldv, T newv)                    \
	{                                                                                          \
		return XT_CAS(N, T, p, oldv, newv, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST) == oldv;    \
	}

#ifndef SMPH_XT_RMW32
XT_DEFINE_ATOMICS(1, unsigned char)
XT_DEFINE_ATOMICS(2, unsigned short)
XT_DEFINE_ATOMICS(4, unsigned int)

void __sync_synchronize(void)
{
	__asm__ volatile("memw" ::: "memory");
}
#else
/* The same 4-byte operations under the platform's own names
 * (SMPHEAP_PLATFORM_RMW32, smpheap/platform.h): ordinary functions, which
 * the link-time-optimised build of lib/ and this platform inlines into the
 * heap's paths (GCC never inlines its own __atomic_* library calls). They
 * have translation units of their own (rmw32_up.c, rmw32_smp.c, defining
 * SMPH_XT_RMW32), compiled with -flto, while the library functions above
 * stay ordinary code. */
unsigned smph_platform_cas32(volatile void *p, unsigned expected, unsigned desired, int smo,
			     int fmo)
{
	return XT_CAS(4, unsigned int, p, expected, desired, smo, fmo);
}

#define XT_PLATFORM_RMW32(name, EXPR)                                                              \
	unsigned smph_platform_##name##32(volatile void *p, unsigned v, int mo)                    \
	{                                                                                          \
		unsigned old, new;                                                                 \
		XT_RMW(4, unsigned int, p, old, new, EXPR, mo);                                    \
		(void)new;                                                                         \
		return old;                                                                        \
	}
XT_PLATFORM_RMW32(exchange, v)
XT_PLATFORM_RMW32(fetch_add, old + v)
XT_PLATFORM_RMW32(fetch_and, old &v)
XT_PLATFORM_RMW32(fetch_or, old | v)
#endif

#endif
