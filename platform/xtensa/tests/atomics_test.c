/* The atomic operations GCC calls on Xtensa (atomics_up.c / atomics_smp.c),
 * through the C11 <stdatomic.h> calls the heap uses: first their results one
 * by one, then all cores hammering the same words at once, where a lost
 * update shows as a wrong count. Built for one lx106 core and for 4 de212
 * cores; the 4-core run also checks that the cores really ran at the same
 * time, so a pass is not an accident of scheduling. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "../../../tests/check.h"
#include "smpheap/xtensa.h"

#define ITERS 50000u		/* iterations each core does at least */
#define MAX_ITERS (40u * ITERS) /* ... and at most, waiting to see the cores overlap */
#define OVERLAPS 64u		/* interleavings to see before a core may stop early */

static _Atomic uint32_t ready, cas_ctr, add_ctr, sub_ctr, flips, slot, interleaved;
static _Atomic uint32_t owned_bits;
static _Atomic uint32_t tokens_out[16];
static _Atomic uint32_t bad_or[16], bad_and[16];
static _Atomic uint8_t byte_ctr[4];  /* four counters in one word: sub-word CAS */
static _Atomic uint16_t half_ctr[2]; /* two in one word */
static volatile uint32_t racy;	     /* not atomic: only shows the cores overlapped */
static uint32_t iters_done[16];	     /* iterations each core did */

static void worker(unsigned core, void *arg)
{
	(void)arg;
	unsigned n = smpheap_xtensa_cores();
	uint32_t bit = 1u << core;
	atomic_fetch_add(&ready, 1);
	while (atomic_load(&ready) < n)
		;
	uint32_t sum_out = 0, i;
	/* On a busy host one emulated core can run its whole loop inside one
	 * time slice; keep going (bounded) until the cores have been seen to
	 * run at the same time, so that a pass says something about SMP. */
	for (i = 0;
	     i < ITERS || (n > 1 && i < MAX_ITERS &&
			   atomic_load_explicit(&interleaved, memory_order_relaxed) < OVERLAPS);
	     i++) {
		uint32_t seen = atomic_load_explicit(&cas_ctr, memory_order_relaxed);
		while (!atomic_compare_exchange_weak_explicit(
		    &cas_ctr, &seen, seen + 1, memory_order_acq_rel, memory_order_relaxed))
			;
		uint32_t before = atomic_fetch_add_explicit(&add_ctr, 1, memory_order_relaxed);
		uint32_t after = atomic_load_explicit(&add_ctr, memory_order_relaxed);
		if (after - before > 1)
			atomic_fetch_add_explicit(&interleaved, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&sub_ctr, 3, memory_order_release);
		/* Each core owns one bit of a word every core changes: setting it
		 * must find it clear and clearing it must find it set. */
		if (atomic_fetch_or_explicit(&owned_bits, bit, memory_order_acquire) & bit)
			atomic_fetch_add(&bad_or[core], 1);
		if (!(atomic_fetch_and_explicit(&owned_bits, ~bit, memory_order_release) & bit))
			atomic_fetch_add(&bad_and[core], 1);
		atomic_fetch_xor_explicit(&flips, 1u << (core * 8), memory_order_relaxed);
		/* Tokens are conserved: what goes into the slot comes out once. */
		sum_out += atomic_exchange(&slot, (core << 24) | (i + 1));
		atomic_fetch_add_explicit(&byte_ctr[core & 3], 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&half_ctr[core & 1], 1, memory_order_relaxed);
		racy = racy + 1;
	}
	atomic_store(&tokens_out[core], sum_out);
	iters_done[core] = i; /* read after the join (its release/acquire) */
}

static void single_core_semantics(void)
{
	_Atomic uint32_t w = 5;
	CHECK_EQ(atomic_fetch_add(&w, 3), 5);
	CHECK_EQ(atomic_fetch_sub(&w, 1), 8);
	CHECK_EQ(atomic_fetch_or(&w, 0x30), 7);
	CHECK_EQ(atomic_fetch_and(&w, 0x33), 0x37);
	CHECK_EQ(atomic_fetch_xor(&w, 0xff), 0x33);
	CHECK_EQ(atomic_exchange(&w, 0xffffffffu), 0xcc);
	uint32_t e = 1;
	CHECK(!atomic_compare_exchange_strong(&w, &e, 9));
	CHECK_EQ(e, 0xffffffffu);
	CHECK(atomic_compare_exchange_strong(&w, &e, 9));
	CHECK_EQ(atomic_load(&w), 9);
	CHECK_EQ(__atomic_add_fetch((uint32_t *)&w, 1, __ATOMIC_SEQ_CST), 10);
	CHECK_EQ(__atomic_nand_fetch((uint32_t *)&w, 6, __ATOMIC_SEQ_CST), 0xfffffffdu);
	/* Sub-word operations change their own bytes only. */
	static _Atomic uint8_t b[4];
	static _Atomic uint16_t h[2];
	atomic_store(&b[0], 0x11);
	atomic_store(&b[1], 0x22);
	atomic_store(&b[2], 0x33);
	atomic_store(&b[3], 0x44);
	CHECK_EQ(atomic_fetch_add(&b[2], 0xde), 0x33);
	CHECK_EQ(atomic_load(&b[2]), 0x11);
	uint8_t be = 0x22;
	CHECK(atomic_compare_exchange_strong(&b[1], &be, 0xab));
	be = 0x99;
	CHECK(!atomic_compare_exchange_strong(&b[3], &be, 0));
	CHECK_EQ(be, 0x44);
	CHECK_EQ(atomic_load(&b[0]) | atomic_load(&b[1]) << 8 | atomic_load(&b[3]) << 24,
		 0x4400ab11);
	atomic_store(&h[0], 0xffff);
	atomic_store(&h[1], 0x1234);
	CHECK_EQ(atomic_fetch_add(&h[0], 2), 0xffff);
	CHECK_EQ(atomic_load(&h[0]), 1);
	CHECK_EQ(atomic_exchange(&h[1], 7), 0x1234);
	CHECK_EQ(atomic_load(&h[0]), 1);
}

int main(void)
{
	unsigned n = smpheap_xtensa_cores();
	single_core_semantics();
	if (smpheap_xtensa_cores_up() != n) {
		printf("FAIL: %u cores expected, %u came up (qemu -smp?)\n", n,
		       smpheap_xtensa_cores_up());
		return 1;
	}

	for (unsigned c = 1; c < n; c++)
		CHECK_EQ(smpheap_xtensa_run(c, worker, NULL), 0);
	worker(0, NULL);
	for (unsigned c = 1; c < n; c++)
		smpheap_xtensa_join(c);

	uint32_t total = 0, expect_flips = 0, sum_in = 0, sum_out = atomic_load(&slot);
	uint32_t byte_expect[4] = {0}, half_expect[2] = {0};
	for (unsigned c = 0; c < n; c++) {
		uint32_t it = iters_done[c];
		CHECK(it >= ITERS && it <= MAX_ITERS);
		total += it;
		CHECK_EQ(atomic_load(&bad_or[c]), 0);
		CHECK_EQ(atomic_load(&bad_and[c]), 0);
		if (it & 1)
			expect_flips |= 1u << (c * 8);
		sum_out += atomic_load(&tokens_out[c]);
		for (uint32_t i = 0; i < it; i++)
			sum_in += (c << 24) | (i + 1);
		byte_expect[c & 3] += it;
		half_expect[c & 1] += it;
	}
	CHECK_EQ(atomic_load(&cas_ctr), total);
	CHECK_EQ(atomic_load(&add_ctr), total);
	CHECK_EQ(atomic_load(&sub_ctr), (uint32_t)(0u - 3u * total));
	CHECK_EQ(atomic_load(&owned_bits), 0);
	CHECK_EQ(atomic_load(&flips), expect_flips);
	CHECK_EQ(sum_out, sum_in);
	for (unsigned k = 0; k < 4; k++)
		CHECK_EQ(atomic_load(&byte_ctr[k]), (uint8_t)byte_expect[k]);
	for (unsigned k = 0; k < 2; k++)
		CHECK_EQ(atomic_load(&half_ctr[k]), (uint16_t)half_expect[k]);
	printf("cores=%u iterations=%lu: interleaved increments seen %lu times, racy plain "
	       "counter %lu of %lu\n",
	       n, (unsigned long)total, (unsigned long)atomic_load(&interleaved),
	       (unsigned long)racy, (unsigned long)total);
	if (n > 1)
		CHECK(atomic_load(&interleaved) > 0); /* the cores did run at the same time */
	return check_report("xtensa_atomics");
}
