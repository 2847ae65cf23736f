/* test_zones.c - each zone on its own: sizes, alignment, contents, caps,
 * exhaustion and recovery, realloc, stats. Runs as core 0 on the tgl layout. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "test_heap.h"

#define TGL smpheap_layout_tgl

static struct smpheap_stats stats(struct smpheap *h, enum smpheap_zone z)
{
	struct smpheap_stats s;

	CHECK_EQ(smpheap_stats(h, z, &s), 0);
	return s;
}

static void test_system(struct smpheap *h)
{
	unsigned char *p, *q;
	struct smpheap_stats s = stats(h, SMPHEAP_ZONE_SYS);

	CHECK_EQ(s.capacity, 32 * 1024 + 3 * 24 * 1024);
	CHECK_EQ(s.used, 0);
	p = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 100);
	q = smpheap_alloc(h, SMPHEAP_ZONE_SYS, SMPHEAP_CAP_HP, 1);
	CHECK(p && q);
	CHECK_EQ((uintptr_t)p % 16, 0);
	CHECK_EQ((uintptr_t)q % 16, 0);
	CHECK(q >= p + 100); /* bump order, no overlap */
	CHECK_EQ(smpheap_zone_of(h, p), SMPHEAP_ZONE_SYS);
	memset(p, 0xab, 100);
	/* 100 and 1 bytes take whole 16-byte units, back to back. */
	CHECK_EQ(stats(h, SMPHEAP_ZONE_SYS).used, 112 + 16);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_SYS).allocs, 2);
	/* Alignment up to the bank. */
	p = smpheap_alloc_aligned(h, SMPHEAP_ZONE_SYS, 0, 64, 4096);
	CHECK(p && (uintptr_t)p % 4096 == 0);
	/* The system zone has no DMA or LP memory on tgl. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, SMPHEAP_CAP_DMA, 16) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, SMPHEAP_CAP_LP, 16) == NULL);
	/* Fill core 0's heap: allocation "always succeeds by sizing", so the
	 * end is a clean NULL, and the heap stays usable for smaller asks. */
	while (smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 1000))
		;
	s = stats(h, SMPHEAP_ZONE_SYS);
	CHECK(s.used > 32 * 1024 - 1000 && s.used <= 32 * 1024);
	CHECK(s.failures >= 1);
	CHECK(s.largest_free >= 24 * 1024); /* the other cores' heaps */
	CHECK_EQ(smpheap_free(h, q), -EPERM);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_SYS).bad_frees, 1);
	CHECK_EQ(smpheap_check(h), 0);
}

static void test_runtime(struct smpheap *h)
{
	struct smpheap_stats s;

	/* Size classes: the smallest block that holds the request. */
	struct {
		size_t ask, block;
	} fits[] = {{1, 16}, {64, 64}, {65, 80}, {257, 320}, {600, 640}, {769, 896}, {4096, 4096}};
	for (unsigned i = 0; i < sizeof(fits) / sizeof(fits[0]); i++) {
		void *p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, fits[i].ask);

		CHECK(p != NULL);
		CHECK_EQ(smpheap_usable_size(h, p), fits[i].block);
		CHECK_EQ((uintptr_t)p % 16, 0);
		CHECK_EQ(smpheap_zone_of(h, p), SMPHEAP_ZONE_RUNTIME);
		memset(p, 0x5a, fits[i].ask);
		CHECK_EQ(smpheap_free(h, p), 0);
		CHECK_EQ(smpheap_usable_size(h, p), 0);
	}
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4097) == NULL);
	s = stats(h, SMPHEAP_ZONE_RUNTIME);
	CHECK_EQ(s.used, 0);
	CHECK_EQ(s.allocs, 7);
	CHECK_EQ(s.frees, 7);
	CHECK_EQ(s.failures, 1);
	CHECK_EQ(s.peak, 4096);

	/* Natural alignment: a 4096-aligned request gets a 4096 block. */
	{
		void *p = smpheap_alloc_aligned(h, SMPHEAP_ZONE_RUNTIME, 0, 100, 1024);

		CHECK(p && (uintptr_t)p % 1024 == 0);
		CHECK_EQ(smpheap_usable_size(h, p), 1024);
		CHECK_EQ(smpheap_free(h, p), 0);
		CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_RUNTIME, 0, 16, 8192) == NULL);
	}

	/* realloc within the zone: in place while the block holds it. */
	{
		unsigned char *p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 100), *q;

		CHECK(p != NULL);
		memset(p, 0x11, 100);
		q = smpheap_realloc(h, p, 110); /* 112-byte block: in place */
		CHECK(q == p);
		q = smpheap_realloc(h, p, 3000);
		CHECK(q && q != p && smpheap_usable_size(h, q) == 3072);
		CHECK(q && q[0] == 0x11 && q[99] == 0x11);
		CHECK_EQ(smpheap_free(h, p), -EALREADY);    /* moved: the old one is free */
		CHECK(smpheap_realloc(h, q, 5000) == NULL); /* beyond the zone: q stays */
		CHECK_EQ(smpheap_usable_size(h, q), 3072);
		CHECK(smpheap_realloc(h, q, 0) == NULL); /* frees */
		CHECK_EQ(smpheap_usable_size(h, q), 0);
		p = smpheap_realloc(h, NULL, 10); /* allocates */
		CHECK(p && smpheap_zone_of(h, p) == SMPHEAP_ZONE_RUNTIME);
		CHECK_EQ(smpheap_free(h, p), 0);
	}
	CHECK_EQ(stats(h, SMPHEAP_ZONE_RUNTIME).used, 0);
	CHECK_EQ(smpheap_check(h), 0);
}

/* On a fresh heap: no class holds a current slab yet. */
static void test_runtime_fill(struct smpheap *h)
{
	static void *blocks[2048];
	unsigned n = 0;
	struct smpheap_stats s;

	/* Exhaust the pool with 4096-byte blocks (one to a slab, 4 KiB
	 * aligned): on tgl they tile the whole shared HP pool, from any core. */
	for (n = 0; n < sizeof(blocks) / sizeof(blocks[0]); n++) {
		blocks[n] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096);
		if (!blocks[n])
			break;
		memset(blocks[n], (int)n, 4096);
	}
	s = stats(h, SMPHEAP_ZONE_RUNTIME);
	CHECK_EQ((size_t)n * 4096, s.capacity);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64) == NULL); /* no page left */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 256) == NULL); /* shared */
	CHECK_EQ(s.used, s.capacity);
	CHECK_EQ(s.largest_free, 0);
	CHECK_EQ(smpheap_check(h), 0);
	for (unsigned i = 0; i < n; i++) {
		unsigned char *b = blocks[i];
		int ok = 1;

		for (size_t j = 0; j < 4096; j++)
			ok &= b[j] == (unsigned char)i;
		CHECK(ok);
	}
	/* Recovery: one free makes one allocation possible again (the freed
	 * block's slab, all free, goes back to the pool, and a small request
	 * cuts its own class's slab from those pages). */
	CHECK_EQ(smpheap_free(h, blocks[20]), 0);
	blocks[20] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(blocks[20] != NULL);
	CHECK_EQ(smpheap_usable_size(h, blocks[20]), 64);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(h, blocks[i]), 0);
	s = stats(h, SMPHEAP_ZONE_RUNTIME);
	CHECK_EQ(s.used, 0);
	CHECK_EQ(s.peak, s.capacity);
	CHECK_EQ(s.largest_free, 4096);
	CHECK_EQ(smpheap_check(h), 0);
}

static void test_buffer(struct smpheap *h)
{
	struct smpheap_stats s = stats(h, SMPHEAP_ZONE_BUFFER);
	unsigned char *a, *b, *c, *d;
	size_t hp = SMPHEAP_TGL_RUNTIME_BYTES + SMPHEAP_TGL_BUFFER_BYTES, lp = 64 * 1024;

	CHECK_EQ(s.capacity, hp + lp);
	CHECK_EQ(s.largest_free, hp);
	/* No caps asked: the region only buffers may use (LP) first, so that
	 * the pool both zones share stays for either. */
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 256);
	CHECK(a && smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_LP, 256) == a + 256);
	CHECK(a && smpheap_free(h, a) == 0 && smpheap_free(h, a + 256) == 0);
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 1000); /* 4 pages */
	b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA, 256);
	CHECK(a && b);
	CHECK_EQ((uintptr_t)a % 256, 0);
	CHECK(b == a + 1024); /* first fit, no header between runs */
	CHECK_EQ(smpheap_usable_size(h, a), 1024);
	CHECK_EQ(smpheap_zone_of(h, a), SMPHEAP_ZONE_BUFFER);
	memset(a, 1, 1000);
	memset(b, 2, 256);
	/* Caps: LP comes from the LP region only. */
	c = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_LP, 4096);
	CHECK(c != NULL);
	CHECK(c && smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_LP | SMPHEAP_CAP_CACHED, 16) ==
		       NULL);
	/* Alignment up to the bank size. */
	d = smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, 0, 300, 64 * 1024);
	CHECK(d && (uintptr_t)d % (64 * 1024) == 0);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, 0, 300, 128 * 1024) == NULL);
	CHECK_EQ(smpheap_free(h, d), 0);
	/* Interior pointers and double frees. */
	CHECK_EQ(smpheap_free(h, a + 256), -EINVAL);
	CHECK_EQ(smpheap_free(h, a + 1), -EINVAL);
	CHECK_EQ(smpheap_free(h, d), -EALREADY);
	CHECK_EQ(smpheap_check(h), 0);

	/* realloc: grows into free pages after it, else moves. */
	CHECK_EQ(smpheap_free(h, b), 0);
	b = smpheap_realloc(h, a, 2000); /* pages after a are free now */
	CHECK(b == a);
	CHECK_EQ(smpheap_usable_size(h, a), 2048);
	CHECK(a[0] == 1 && a[999] == 1);
	b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 256); /* right after a */
	CHECK(b == a + 2048);
	d = smpheap_realloc(h, a, 4000); /* blocked by b: moves */
	CHECK(d && d != a);
	CHECK(d && d[0] == 1 && d[999] == 1);
	CHECK_EQ(smpheap_usable_size(h, a), 0);
	a = smpheap_realloc(h, d, 300); /* shrinks in place, frees the tail */
	CHECK(a == d);
	CHECK_EQ(smpheap_usable_size(h, a), 512);
	CHECK_EQ(smpheap_check(h), 0);
	/* realloc keeps the region: an LP buffer stays LP. */
	d = smpheap_realloc(h, c, 8192);
	CHECK(d != NULL);
	CHECK_EQ(smpheap_check(h), 0);
	s = stats(h, SMPHEAP_ZONE_BUFFER);
	CHECK_EQ(s.used, 512 + 256 + 8192);
	CHECK_EQ(smpheap_free(h, a), 0);
	CHECK_EQ(smpheap_free(h, b), 0);
	CHECK_EQ(smpheap_free(h, d), 0);

	/* Exhaustion and recovery with whole-region runs. */
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, hp);
	CHECK(a != NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 256) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, hp + 1) == NULL);
	s = stats(h, SMPHEAP_ZONE_BUFFER);
	CHECK_EQ(s.largest_free, lp);
	CHECK_EQ(smpheap_free(h, a), 0);
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 256);
	CHECK(a != NULL);
	CHECK_EQ(smpheap_free(h, a), 0);
	s = stats(h, SMPHEAP_ZONE_BUFFER);
	CHECK_EQ(s.used, 0);
	CHECK_EQ(s.peak, hp);
	CHECK(s.failures >= 3);
	CHECK_EQ(smpheap_check(h), 0);
}

int main(void)
{
	struct smpheap *h;

	if (test_act_as(0))
		return 1;
	h = test_heap_create(&TGL);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_zones");
	test_system(h);
	test_runtime(h);
	/* A fresh heap: the runtime zone's current slabs (kept by hysteresis)
	 * would hold pages of the shared pool. */
	test_heap_destroy(h);
	h = test_heap_create(&TGL);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_zones");
	test_runtime_fill(h);
	test_heap_destroy(h);
	h = test_heap_create(&TGL);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_zones");
	test_buffer(h);
	test_heap_destroy(h);
	return check_report("test_zones");
}
