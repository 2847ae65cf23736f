/* What lib/ asks of a platform (smpheap/platform.h), on bare-metal Xtensa.
 *
 * Grace periods: each core has a sequence word that only it writes. The
 * outermost smph_platform_read_lock() makes it odd, the matching unlock
 * makes it even again. smph_platform_synchronize() samples every other
 * core's word and waits, for each core that was odd, until the word moves:
 * that reader's section, which may have begun before the caller's update,
 * has then ended. MEMW on both sides (a seq_cst fence) keeps the
 * reader's "odd" store ordered before its reads of the heap, and the
 * writer's update ordered before its sampling; without both, each side could
 * miss the other (the store-buffering pattern). Readers never wait, so the
 * read side is wait-free; nesting (e.g. from an interrupt handler on the same
 * core) only counts, in a word no other core touches.
 */
#include <stdatomic.h>
#include <string.h>

#include "smpheap/platform.h"
#include "smpheap/xtensa.h"
#include "xt_internal.h"

struct rcu_core {
	_Atomic uint32_t seq;	/* odd while this core is inside a read-side section */
	uint32_t nesting;	/* read_lock depth; touched by this core only */
} __attribute__((aligned(32))); /* one per line: synchronize polls them all */

static struct rcu_core rcu[SMPHEAP_XTENSA_CORES];

unsigned smph_platform_core_id(void)
{
	return smph_xt_core();
}

/* lib/ is built with SMPHEAP_PLATFORM_ONE_CONTEXT_PER_CORE for this
 * platform: one context per core, no allocation from interrupt handlers. */
unsigned smph_platform_core_count(void)
{
	return smpheap_xtensa_cores();
}

void smph_platform_read_lock(void)
{
	struct rcu_core *r = &rcu[smph_xt_core()];
	if (r->nesting++ == 0) {
		uint32_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);
		atomic_store_explicit(&r->seq, s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
	}
}

void smph_platform_read_unlock(void)
{
	struct rcu_core *r = &rcu[smph_xt_core()];
	if (--r->nesting == 0) {
		uint32_t s = atomic_load_explicit(&r->seq, memory_order_relaxed);
		/* Release: the section's reads are done before it is seen to end. */
		atomic_store_explicit(&r->seq, s + 1, memory_order_release);
	}
}

void smph_platform_synchronize(void)
{
	unsigned self = smph_xt_core();
	uint32_t snap[SMPHEAP_XTENSA_CORES];
	atomic_thread_fence(memory_order_seq_cst);
	for (unsigned c = 0; c < SMPHEAP_XTENSA_CORES; c++)
		snap[c] = atomic_load_explicit(&rcu[c].seq, memory_order_relaxed);
	for (unsigned c = 0; c < SMPHEAP_XTENSA_CORES; c++) {
		if (c == self || !(snap[c] & 1))
			continue;
		while (atomic_load_explicit(&rcu[c].seq, memory_order_acquire) == snap[c])
			;
	}
	atomic_thread_fence(memory_order_seq_cst);
}

/* DHWBI / DHI per line; unknown to the lx106 assembler, so bytes with the
 * address fixed in a2 (RRI8, op0 = 2, r = 7 CACHE, t = 5 DHWBI / 6 DHI). */
static void dcache_op(const void *addr, size_t len, bool writeback)
{
#if defined(SMPHEAP_XTENSA_DCACHE_LINE) && SMPHEAP_XTENSA_DCACHE_LINE > 0
	uintptr_t line = SMPHEAP_XTENSA_DCACHE_LINE;
	uintptr_t a = (uintptr_t)addr & ~(line - 1);
	uintptr_t end = (uintptr_t)addr + len;
	for (; a < end; a += line) {
		register uintptr_t a2 __asm__("a2") = a;
		if (writeback)
			__asm__ volatile(".byte 0x52, 0x72, 0x00" ::"r"(a2)
					 : "memory"); /* dhwbi a2, 0 */
		else
			__asm__ volatile(".byte 0x62, 0x72, 0x00" ::"r"(a2)
					 : "memory"); /* dhi a2, 0 */
	}
	__asm__ volatile("memw" ::: "memory");
#else
	/* No data cache on this core (lx106): memory is always coherent. */
	(void)addr;
	(void)len;
	(void)writeback;
#endif
}

void smpheap_xtensa_dcache_wbinv(const void *addr, size_t len)
{
	dcache_op(addr, len, true);
}

void smpheap_xtensa_dcache_inv(const void *addr, size_t len)
{
	dcache_op(addr, len, false);
}

static _Atomic uint32_t bytes_off, bytes_on;

size_t smpheap_xtensa_bytes_powered_off(void)
{
	return atomic_load_explicit(&bytes_off, memory_order_relaxed);
}

size_t smpheap_xtensa_bytes_powered_on(void)
{
	return atomic_load_explicit(&bytes_on, memory_order_relaxed);
}

__attribute__((weak)) void smpheap_xtensa_board_bank_power(uintptr_t addr, size_t len, bool on)
{
	if (on)
		return;
	volatile uint32_t *w = (volatile uint32_t *)addr;
	for (size_t i = 0; i < len / sizeof(uint32_t); i++)
		w[i] = SMPHEAP_XTENSA_LOST_WORD;
}

void smph_platform_bank_power(void *addr, size_t len, bool on)
{
	if (!on) {
		/* Dirty lines of a bank about to lose power must not be written
		 * back into it later (or be read instead of it after power-on). */
		smpheap_xtensa_dcache_wbinv(addr, len);
		smpheap_xtensa_board_bank_power((uintptr_t)addr, len, false);
		atomic_fetch_add_explicit(&bytes_off, (uint32_t)len, memory_order_relaxed);
	} else {
		smpheap_xtensa_board_bank_power((uintptr_t)addr, len, true);
		/* Whatever the cache holds for the bank predates its power-off. */
		smpheap_xtensa_dcache_inv(addr, len);
		atomic_fetch_add_explicit(&bytes_on, (uint32_t)len, memory_order_relaxed);
	}
}
