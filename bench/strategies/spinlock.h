/* spinlock.h - the one spinlock of the locked strategies (blockmap-lock,
 * tlsf-lock, sysheap-lock): test-and-test-and-set on a 32-bit atomic, as a
 * firmware's k_spinlock or a legacy heap lock is.
 *
 * Xtensa-safe: a plain 32-bit _Atomic (never atomic_flag, which some Xtensa
 * toolchains compile non-atomically, and no 64-bit atomic, which lx106 has
 * no instruction for). It never yields: on a DSP the holder cannot be
 * preempted by another allocating thread, and on an oversubscribed host that
 * is exactly the cost the `threads` workload is there to show. */
#ifndef BENCH_SPINLOCK_H
#define BENCH_SPINLOCK_H

#include <stdatomic.h>
#include <stdint.h>

struct bench_spinlock {
	_Atomic uint32_t held; /* 0 free, 1 held */
};

static inline void bench_spin_init(struct bench_spinlock *l)
{
	/* relaxed: the lock is published with the structure that holds it
	 * (the strategy is set up before any thread starts) */
	atomic_store_explicit(&l->held, 0, memory_order_relaxed);
}

static inline void bench_spin_lock(struct bench_spinlock *l)
{
	for (;;) {
		uint32_t expected = 0;

		/* test first, with relaxed loads: spinning on a CAS would take
		 * the line exclusive on every try and slow the holder down;
		 * nothing is read under the lock until the CAS succeeds */
		while (atomic_load_explicit(&l->held, memory_order_relaxed))
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#else
			;
#endif
		/* acquire on success: what the previous holder wrote before its
		 * release is visible here; relaxed on failure: we only retry */
		if (atomic_compare_exchange_weak_explicit(
			&l->held, &expected, 1, memory_order_acquire, memory_order_relaxed))
			return;
	}
}

static inline void bench_spin_unlock(struct bench_spinlock *l)
{
	/* release: every write made under the lock is visible to the next
	 * holder's acquiring CAS */
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

#endif /* BENCH_SPINLOCK_H */
