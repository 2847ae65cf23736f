/* atomics.h - the one seam between the lock-free code and its atomics.
 *
 * bitmap.c/.h, buffer.c and system.c reach every atomic through the names
 * below: an atomic type, the memory orders, and load, store, CAS (weak and
 * strong), fetch_or, fetch_and, fetch_add, fetch_sub and exchange, each with
 * its order spelled out at the call.
 *
 * In every real build these are the C11 <stdatomic.h> operations themselves
 * (macros, so the generated code is the same instruction for instruction).
 *
 * In a model build (SMPH_MODEL, C++ under the Relacy checker, tests/model/)
 * they are Relacy's rl::atomic operations, so that the real sources compile
 * inside a Relacy test and are checked under the C++11/C11 memory model.
 * The test includes <relacy/relacy.hpp> before any lib/ file.
 */
#ifndef SMPH_ATOMICS_H
#define SMPH_ATOMICS_H

#ifndef SMPH_MODEL

#include <stdalign.h>
#include <stdatomic.h>

#define SMPH_ATOMIC(T) _Atomic(T)
typedef memory_order smph_order;
#define smph_relaxed memory_order_relaxed
#define smph_acquire memory_order_acquire
#define smph_release memory_order_release
#define smph_acq_rel memory_order_acq_rel
#define smph_seq_cst memory_order_seq_cst

#define smph_load(p, mo) atomic_load_explicit(p, mo)
#define smph_store(p, v, mo) atomic_store_explicit(p, v, mo)
#define smph_cas_weak(p, expected, desired, mo_ok, mo_fail)                                        \
	atomic_compare_exchange_weak_explicit(p, expected, desired, mo_ok, mo_fail)
#define smph_cas_strong(p, expected, desired, mo_ok, mo_fail)                                      \
	atomic_compare_exchange_strong_explicit(p, expected, desired, mo_ok, mo_fail)
#define smph_fetch_or(p, v, mo) atomic_fetch_or_explicit(p, v, mo)
#define smph_fetch_and(p, v, mo) atomic_fetch_and_explicit(p, v, mo)
#define smph_fetch_add(p, v, mo) atomic_fetch_add_explicit(p, v, mo)
#define smph_fetch_sub(p, v, mo) atomic_fetch_sub_explicit(p, v, mo)
#define smph_exchange(p, v, mo) atomic_exchange_explicit(p, v, mo)

/* A platform may give its 4-byte read-modify-writes as functions of its
 * own (SMPHEAP_PLATFORM_RMW32, smpheap/platform.h): for 4-byte objects the
 * operations above become calls of those, which a link-time-optimised
 * build inlines (the Xtensa build: GCC only calls its __atomic_* functions
 * there, and a call in the call0 ABI costs the spill of every value live
 * across it). Other sizes keep the C11 operations. Same orders. */
#ifdef SMPHEAP_PLATFORM_RMW32
#include <stdbool.h>

#include "smpheap/platform.h"

static inline bool smph_rmw32_cas(void *p, void *expected, unsigned desired, int smo, int fmo)
{
	unsigned e = *(unsigned *)expected, seen = smph_platform_cas32(p, e, desired, smo, fmo);

	if (seen == e)
		return true;
	*(unsigned *)expected = seen;
	return false;
}
#define SMPH_RMW32(p, call32, c11) __builtin_choose_expr(sizeof(*(p)) == 4, call32, c11)
#undef smph_cas_weak
#undef smph_cas_strong
#undef smph_fetch_or
#undef smph_fetch_and
#undef smph_fetch_add
#undef smph_fetch_sub
#undef smph_exchange
/* A weak CAS may fail spuriously; the platform's never does. */
#define smph_cas_weak(p, expected, desired, mo_ok, mo_fail)                                        \
	SMPH_RMW32(                                                                                \
	    p,                                                                                     \
	    smph_rmw32_cas((void *)(p), (void *)(expected), (unsigned)(desired), mo_ok, mo_fail),  \
	    atomic_compare_exchange_weak_explicit(p, expected, desired, mo_ok, mo_fail))
#define smph_cas_strong(p, expected, desired, mo_ok, mo_fail)                                      \
	SMPH_RMW32(                                                                                \
	    p,                                                                                     \
	    smph_rmw32_cas((void *)(p), (void *)(expected), (unsigned)(desired), mo_ok, mo_fail),  \
	    atomic_compare_exchange_strong_explicit(p, expected, desired, mo_ok, mo_fail))
#define SMPH_RMW32_OP(name, p, v, mo)                                                              \
	SMPH_RMW32(p, smph_platform_##name##32((void *)(p), (unsigned)(v), mo),                    \
		   atomic_##name##_explicit(p, v, mo))
#define smph_fetch_or(p, v, mo) SMPH_RMW32_OP(fetch_or, p, v, mo)
#define smph_fetch_and(p, v, mo) SMPH_RMW32_OP(fetch_and, p, v, mo)
#define smph_fetch_add(p, v, mo) SMPH_RMW32_OP(fetch_add, p, v, mo)
#define smph_fetch_sub(p, v, mo)                                                                   \
	SMPH_RMW32(p, smph_platform_fetch_add32((void *)(p), 0u - (unsigned)(v), mo),              \
		   atomic_fetch_sub_explicit(p, v, mo))
#define smph_exchange(p, v, mo) SMPH_RMW32_OP(exchange, p, v, mo)
#endif

/* An order that a model test weakens to show that it can fail: `mo` here,
 * `weaker` in the model build named after `site` (see below). */
#define SMPH_ORDER(site, mo, weaker) (mo)

#else /* SMPH_MODEL: C++ under Relacy */

#include <string.h>

#define SMPH_ATOMIC(T) rl::atomic<T>
typedef rl::memory_order smph_order;
#define smph_relaxed rl::mo_relaxed
#define smph_acquire rl::mo_acquire
#define smph_release rl::mo_release
#define smph_acq_rel rl::mo_acq_rel
#define smph_seq_cst rl::mo_seq_cst

/* The weakened build of a test defines SMPH_MODEL_WEAKEN to one site name
 * (a string): that site's order becomes its `weaker` one, or, for the site
 * "rmw_atomicity", every CAS becomes a load, a compare and a store (for
 * protocols whose orders are all relaxed and that rest on atomicity alone). */
#ifndef SMPH_MODEL_WEAKEN
#define SMPH_MODEL_WEAKEN ""
#endif
static inline bool smph_model_weakens(const char *site)
{
	return strcmp(site, SMPH_MODEL_WEAKEN) == 0;
}
#define SMPH_ORDER(site, mo, weaker) (smph_model_weakens(#site) ? (weaker) : (mo))

/* The value parameter takes the atomic's own type (no deduction from it):
 * the C code passes plain integer constants. */
template <class T> struct smph_model_same {
	typedef T type;
};

template <class T>
static inline T smph_model_load(const rl::atomic<T> *p, smph_order mo, rl::debug_info_param info)
{
	return p->load(mo, info);
}
template <class T>
static inline void smph_model_store(rl::atomic<T> *p, typename smph_model_same<T>::type v,
				    smph_order mo, rl::debug_info_param info)
{
	p->store(v, mo, info);
}
template <class T>
static inline bool smph_model_cas(rl::atomic<T> *p, T *expected,
				  typename smph_model_same<T>::type desired, smph_order ok,
				  smph_order fail, bool weak, rl::debug_info_param info)
{
	if (smph_model_weakens("rmw_atomicity")) {
		T cur = p->load(smph_relaxed, info);

		if (cur != *expected) {
			*expected = cur;
			return false;
		}
		p->store(desired, smph_relaxed, info);
		return true;
	}
	if (weak)
		return p->compare_exchange_weak(*expected, desired, ok, info, fail, info);
	return p->compare_exchange_strong(*expected, desired, ok, info, fail, info);
}
/* The read-modify-writes that take a value and return the old one. */
#define SMPH_MODEL_RMW(name, call)                                                                 \
	template <class T>                                                                         \
	static inline T smph_model_##name(rl::atomic<T> *p, typename smph_model_same<T>::type v,   \
					  smph_order mo, rl::debug_info_param info)                \
	{                                                                                          \
		return call;                                                                       \
	}
SMPH_MODEL_RMW(fetch_or, p->fetch_or(v, mo, info))
SMPH_MODEL_RMW(fetch_and, p->fetch_and(v, mo, info))
SMPH_MODEL_RMW(fetch_add, p->fetch_add(v, mo, info))
SMPH_MODEL_RMW(fetch_sub, p->fetch_add((T)0 - v, mo, info))
SMPH_MODEL_RMW(exchange, p->exchange(v, mo, info))

#define smph_load(p, mo) smph_model_load(p, mo, RL_INFO)
#define smph_store(p, v, mo) smph_model_store(p, v, mo, RL_INFO)
#define smph_cas_weak(p, expected, desired, mo_ok, mo_fail)                                        \
	smph_model_cas(p, expected, desired, mo_ok, mo_fail, true, RL_INFO)
#define smph_cas_strong(p, expected, desired, mo_ok, mo_fail)                                      \
	smph_model_cas(p, expected, desired, mo_ok, mo_fail, false, RL_INFO)
#define smph_fetch_or(p, v, mo) smph_model_fetch_or(p, v, mo, RL_INFO)
#define smph_fetch_and(p, v, mo) smph_model_fetch_and(p, v, mo, RL_INFO)
#define smph_fetch_add(p, v, mo) smph_model_fetch_add(p, v, mo, RL_INFO)
#define smph_fetch_sub(p, v, mo) smph_model_fetch_sub(p, v, mo, RL_INFO)
#define smph_exchange(p, v, mo) smph_model_exchange(p, v, mo, RL_INFO)

#endif /* SMPH_MODEL */

#endif /* SMPH_ATOMICS_H */
