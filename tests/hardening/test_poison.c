/* test_poison.c - SMPHEAP_POISON builds (the asan preset): freed memory is
 * filled with a pattern and checked when handed out again, like the debug
 * fill of legacy firmware. A write after free is caught (counted in the
 * zone's poison_errors), a clean free/alloc cycle is not, and the heap stays
 * usable either way. Built and registered only when SMPHEAP_POISON is on. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "test_heap.h"

#ifndef SMPHEAP_POISON
#error "test_poison needs a SMPHEAP_POISON build"
#endif

static struct smpheap *h;

static size_t poison_errors(enum smpheap_zone z)
{
	struct smpheap_stats st;
	smpheap_stats(h, z, &st);
	return st.poison_errors;
}

/* Allocates `size` from `zone` until `want` comes back (the allocator's
 * choice of block is its own); frees the others. */
static int alloc_until(enum smpheap_zone zone, size_t size, void *want)
{
	void *held[512];
	unsigned n = 0;
	int found = 0;
	while (n < 512) {
		void *p = smpheap_alloc(h, zone, 0, size);
		if (!p)
			break;
		if (p == want) {
			found = 1;
			break;
		}
		held[n++] = p;
	}
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(h, held[i]), 0);
	return found;
}

static void use_after_free(enum smpheap_zone zone, size_t size, size_t offset)
{
	/* Control: free and allocate again without touching: no error. */
	unsigned char *p = smpheap_alloc(h, zone, 0, size);
	CHECK(p != NULL);
	if (!p)
		return;
	memset(p, 0x11, size);
	size_t e0 = poison_errors(zone);
	CHECK_EQ(smpheap_free(h, p), 0);
	CHECK(alloc_until(zone, size, p));
	CHECK_EQ(poison_errors(zone), e0);

	/* The bug: one byte written after the free. */
	CHECK_EQ(smpheap_free(h, p), 0);
	p[offset] = 0x42;
	CHECK(alloc_until(zone, size, p));
	CHECK_EQ(poison_errors(zone), e0 + 1);
	/* Reported, not fatal: the block and the heap work on. */
	memset(p, 0x22, size);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_free(h, p), 0);
	CHECK_EQ(smpheap_free(h, p), -EALREADY);
	CHECK_EQ(smpheap_check(h), 0);
	/* A clean cycle after it counts nothing more. */
	CHECK(alloc_until(zone, size, p));
	CHECK_EQ(poison_errors(zone), e0 + 1);
	CHECK_EQ(smpheap_free(h, p), 0);
}

int main(void)
{
	h = test_heap_create(&smpheap_layout_tgl);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_poison");
	/* Fresh memory counts as poisoned: nothing found on a new heap. */
	void *p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
	void *q = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 64 * 1024);
	CHECK(p && q);
	CHECK_EQ(poison_errors(SMPHEAP_ZONE_RUNTIME) + poison_errors(SMPHEAP_ZONE_BUFFER), 0);
	smpheap_free(h, p);
	smpheap_free(h, q);

	use_after_free(SMPHEAP_ZONE_RUNTIME, 64, 63);	/* last byte of a block */
	use_after_free(SMPHEAP_ZONE_RUNTIME, 768, 0);	/* first byte */
	use_after_free(SMPHEAP_ZONE_BUFFER, 1024, 700); /* inside a run */

	/* A buffer shrunk in place gives its tail back poisoned: a write to
	 * the tail after the shrink is caught when the tail is handed out. */
	unsigned char *b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 4 * 256);
	CHECK(b != NULL);
	if (b) {
		size_t e0 = poison_errors(SMPHEAP_ZONE_BUFFER);
		CHECK(smpheap_realloc(h, b, 256) == b);
		b[3 * 256 + 5] = 0x42; /* the old last page, no longer ours */
		CHECK(alloc_until(SMPHEAP_ZONE_BUFFER, 256, b + 3 * 256));
		CHECK_EQ(poison_errors(SMPHEAP_ZONE_BUFFER), e0 + 1);
		CHECK_EQ(smpheap_free(h, b + 3 * 256), 0);
		CHECK_EQ(smpheap_free(h, b), 0);
	}

	/* Banks powered off and on again (their contents lost) come back
	 * poisoned: no false alarm when core 1's blocks are handed out. */
	size_t e0 = poison_errors(SMPHEAP_ZONE_RUNTIME);
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	static void *all[4096];
	unsigned n = 0;
	while (n < 4096 && (all[n] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64)) != NULL)
		n++; /* every shard's blocks of 64 bytes and up, core 1's included */
	CHECK(n > 0);
	CHECK_EQ(poison_errors(SMPHEAP_ZONE_RUNTIME), e0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(h, all[i]), 0);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
	return check_report("test_poison");
}
