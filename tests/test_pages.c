/* test_pages.c - the page pool under the runtime zone: slabs cut on demand,
 * retired when all free (and not before, while a core's current or a
 * cache's held word), quotas, the bank sweep, and the retire/claim race:
 * many threads (oversubscribed on 2 cores) churning a tiny pool so that
 * slabs are retired and cut again for other classes and for buffer runs
 * all the time, with threads acting as the same core as the slab's owner
 * and as others, blocks handed between threads, and every block's contents
 * checked before it is freed. Run as written under TSan (fewer ops). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "test_heap.h"

/* A pool of 64 pages of 256 bytes (4 banks of 4 KiB), shared by both zones,
 * with classes of different block counts per slab (16 B: 61 to a slab; 48 B:
 * 21; 256 B: 4; 1024 B: 1), so retired slabs are cut again as others. */
static const struct smpheap_layout small = {
    .name = "pages",
    .origin = "test_pages",
    .cores = 2,
    .bank_size = 4096,
    .sys_size = {1024, 1024},
    .class_count = 4,
    .classes = {{16, 0, 0}, {48, 0, 0}, {256, 0, 0}, {1024, 0, 0}},
    .runtime_caps = SMPHEAP_CAP_HP,
    .page_size = 256,
    .buffer_region_count = 1,
    .buffer_regions = {{SMPHEAP_CAP_HP, 64, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER}},
    .slab_bytes = 1024,
};

static uint32_t free_pages(const struct smpheap *h)
{
	return smph_bits_count(h->pfree, h->regions[0].first, h->regions[0].pages);
}

static struct smpheap_stats stats(struct smpheap *h, enum smpheap_zone z)
{
	struct smpheap_stats s;

	smpheap_stats(h, z, &s);
	return s;
}

/* Slabs come from the pool when needed and go back when all free, except
 * the core's current one (hysteresis), until the core lets it go. */
static void test_cut_and_retire(void)
{
	struct smpheap *h = test_heap_create(&small);
	const struct smph_class_geom *g;
	void *p[128];
	uint32_t n, s;

	CHECK(h != NULL);
	if (!h)
		return;
	g = &h->geom[0];
	CHECK_EQ(free_pages(h), 64);
	/* Two slabs and a block of 16-byte blocks. */
	n = 2 * g->blocks + 1;
	for (uint32_t i = 0; i < n; i++) {
		p[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 16);
		CHECK(p[i] != NULL);
	}
	CHECK_EQ(free_pages(h), 64 - 3 * g->pages);
	/* The page table classifies every block, interior pages too. */
	s = smph_pool_page(h, (uintptr_t)p[0]);
	CHECK_EQ(atomic_load(&h->pt[s]), g->tag | smph_gidx(h, s >> h->gshift) << 8);
	CHECK_EQ(atomic_load(&h->pt[s + 1]), SMPH_PT_SLAB_IN_OF(1));
	CHECK_EQ(smpheap_usable_size(h, p[g->blocks - 1]), 16);
	CHECK_EQ(smpheap_free(h, (char *)p[0] + 8), -EINVAL); /* inside a block */
	CHECK_EQ(smpheap_check(h), 0);
	/* The first two slabs are no one's current: all free, they go back. */
	for (uint32_t i = 0; i < 2 * g->blocks; i++)
		CHECK_EQ(smpheap_free(h, p[i]), 0);
	CHECK_EQ(free_pages(h), 64 - g->pages);
	/* A free into a page already back in the pool is refused. */
	CHECK_EQ(smpheap_free(h, p[0]), -EALREADY);
	CHECK_EQ(smpheap_free(h, p[1]), -EALREADY); /* inside a free page */
	CHECK_EQ(smpheap_usable_size(h, p[0]), 0);
	/* The current one stays cut when it empties... */
	CHECK_EQ(smpheap_free(h, p[n - 1]), 0);
	CHECK_EQ(free_pages(h), 64 - g->pages);
	CHECK_EQ(smpheap_check(h), 0);
	/* ...and goes back when the core lets it go. */
	CHECK_EQ(smpheap_core_down(h, 0), 0);
	CHECK_EQ(smpheap_core_up(h, 0), 0);
	CHECK_EQ(free_pages(h), 64);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_RUNTIME).used, 0);
	CHECK_EQ(smpheap_check(h), 0);
	/* The pages serve a run now, the whole pool. */
	p[0] = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 64 * 256);
	CHECK(p[0] != NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 16) == NULL);
	CHECK_EQ(smpheap_free(h, p[0]), 0);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
}

/* A request the pool cannot hold until the runtime zone gives back the
 * core's current slab (all free, kept by hysteresis): the retry after the
 * reclaim searches only where a run can take the slab's pages, and must
 * find a run that takes them and free pages beside them, in either order. */
static void test_reclaim_window(void)
{
	for (int side = 0; side < 2; side++) {
		struct smpheap *h = test_heap_create(&small);
		const struct smph_class_geom *g;
		void *run[64] = {0}, *p, *big;
		uint32_t s, n = 0, gap;

		CHECK(h != NULL);
		if (!h)
			return;
		g = &h->geom[3]; /* 1024 B: one block, a slab of 4 pages */
		/* Runs first, so that the slab is not at the pool's start. */
		for (; n < 4; n++) {
			run[n] = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 256);
			CHECK(run[n] != NULL);
		}
		p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 1024);
		CHECK(p != NULL);
		s = smph_pool_page(h, (uintptr_t)p);
		CHECK_EQ(smpheap_free(h, p), 0);
		CHECK_EQ(free_pages(h), 64 - 4 - g->pages); /* still the core's current */
		CHECK(s >= 4);
		/* Every other page as a one-page run. */
		while (free_pages(h) && n < 64) {
			run[n] = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 256);
			CHECK(run[n] != NULL);
			n++;
		}
		CHECK_EQ(n, 64 - g->pages);
		CHECK_EQ(smpheap_check(h), 0);
		/* Two free pages beside the slab: after it, or before it. */
		gap = side == 0 ? s + g->pages : s - 2;
		for (uint32_t i = 0; i < n; i++)
			if (run[i] && (smph_pool_page(h, (uintptr_t)run[i]) == gap ||
				       smph_pool_page(h, (uintptr_t)run[i]) == gap + 1)) {
				CHECK_EQ(smpheap_free(h, run[i]), 0);
				run[i] = NULL;
			}
		CHECK_EQ(free_pages(h), 2);
		/* Six pages: only the slab's four and the two beside them. */
		big = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 6 * 256);
		CHECK(big != NULL);
		if (big) {
			uint32_t b = smph_pool_page(h, (uintptr_t)big);

			CHECK(b <= s && s + g->pages <= b + 6);
			CHECK_EQ(free_pages(h), 0);
			CHECK_EQ(smpheap_check(h), 0);
			CHECK_EQ(smpheap_free(h, big), 0);
		}
		for (uint32_t i = 0; i < n; i++)
			if (run[i])
				CHECK_EQ(smpheap_free(h, run[i]), 0);
		CHECK_EQ(smpheap_check(h), 0);
		test_heap_destroy(h);
	}
}

/* tgl-split: the runtime zone stops at its quota although the pool has room. */
static void test_quota(void)
{
	const struct smpheap_layout *l = &smpheap_layout_tgl_split;
	struct smpheap *h = test_heap_create(l);
	static void *p[1024];
	unsigned n = 0;
	void *buf;

	CHECK(h != NULL);
	if (!h)
		return;
	while (n < 1024 && (p[n] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 4096)) != NULL)
		n++;
	CHECK(n < 1024);
	CHECK((size_t)n * 4096 <= l->runtime_quota);
	CHECK((size_t)n * 4096 + 2 * 4096 > l->runtime_quota);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_RUNTIME).capacity, l->runtime_quota);
	/* The buffer zone still has its own bytes. */
	buf = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 34 * 64 * 1024);
	CHECK(buf != NULL);
	p[n] = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_LP, 64 * 1024);
	CHECK(p[n] != NULL);
	/* HP pages are free, but the buffer zone is at its quota. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, SMPHEAP_CAP_HP, 256) == NULL);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_free(h, buf), 0);
	CHECK_EQ(smpheap_free(h, p[n]), 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(h, p[i]), 0);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
}

/* Every fully free bank is powered off, whoever used it; the pool powers
 * banks on again before it reports exhaustion. */
static void test_bank_sweep(void)
{
	struct smpheap *h = test_heap_create(&small);
	unsigned char *a, *b;

	CHECK(h != NULL);
	if (!h)
		return;
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 256); /* bank 0 */
	CHECK(a != NULL);
	CHECK_EQ(smpheap_bank_sweep(h), 3);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_BUFFER).banks_released, 3);
	CHECK_EQ(smpheap_bank_sweep(h), 0);
	CHECK_EQ(smpheap_check(h), 0);
	/* Bank 0 has room for this; no bank wakes. */
	b = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 16);
	CHECK(b != NULL);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_BUFFER).banks_released, 3);
	CHECK_EQ(smpheap_free(h, b), 0);
	/* A run longer than what is on: the pool wakes the banks. */
	b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 32 * 256);
	CHECK(b != NULL);
	if (b)
		memset(b, 0x3c, 32 * 256); /* powered-on memory is writable */
	CHECK_EQ(stats(h, SMPHEAP_ZONE_BUFFER).banks_released, 0);
	CHECK_EQ(stats(h, SMPHEAP_ZONE_BUFFER).bank_release_count, 3);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_free(h, a), 0);
	CHECK_EQ(smpheap_free(h, b), 0);
	CHECK_EQ(smpheap_bank_sweep(h), 3); /* bank 0 holds core 0's current slab */
	CHECK_EQ(smpheap_bank_sweep(NULL), -EINVAL);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
}

/* ---- the retire/claim race ---- */

#define THREADS 16
#define SLOTS 64

static struct smpheap *race_heap;
static _Atomic(unsigned char *) slots[SLOTS];
static atomic_size_t slot_size[SLOTS];
static atomic_int race_errors;
static unsigned race_ops;

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Fills p[0..size) with a pattern of (seed); checks it. */
static void fill(unsigned char *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

static bool intact(const unsigned char *p, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(seed + i * 7))
			return false;
	return true;
}

static void *racer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint32_t r = 0x9e3779b9u * (id + 1);
	static const size_t sizes[] = {16, 40, 16, 200, 1000, 300, 16, 600};

	/* Threads 0..7 act as core 0 (the slabs' owner: its current), the
	 * others as core 1; a few switch cores on the way. */
	smpheap_host_bind(id < THREADS / 2 ? 0 : 1);
	for (unsigned op = 0; op < race_ops; op++) {
		unsigned k = rnd(&r) % SLOTS;
		size_t size = sizes[rnd(&r) % 6];
		enum smpheap_zone z =
		    size == 300 || size == 2000 ? SMPHEAP_ZONE_BUFFER : SMPHEAP_ZONE_RUNTIME;
		unsigned char *p = smpheap_alloc(race_heap, z, 0, size), *old;

		if (op % 1024 == 1023)
			smpheap_host_bind(rnd(&r) % 2);
		if (p) {
			fill(p, size, (unsigned)(uintptr_t)p);
			atomic_store(&slot_size[k], 0); /* taken below before its size is read */
		}
		/* Hand the block to whoever finds it: frees are cross-thread. */
		old = atomic_exchange(&slots[k], NULL);
		if (old) {
			size_t os = smpheap_usable_size(race_heap, old);

			if (!os || !intact(old, os < 16 ? os : 16, (unsigned)(uintptr_t)old))
				atomic_fetch_add(&race_errors, 1);
			if (smpheap_free(race_heap, old) != 0)
				atomic_fetch_add(&race_errors, 1);
		}
		if (p) {
			old = atomic_exchange(&slots[k], p);
			if (old && smpheap_free(race_heap, old) != 0)
				atomic_fetch_add(&race_errors, 1);
		}
	}
	return NULL;
}

static void race(const struct smpheap_layout *l, const char *what)
{
	pthread_t t[THREADS];
	struct smpheap_stats s;

	race_heap = test_heap_create(l);
	CHECK(race_heap != NULL);
	if (!race_heap)
		return;
	for (unsigned i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, racer, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned k = 0; k < SLOTS; k++) {
		unsigned char *p = atomic_exchange(&slots[k], NULL);

		if (p)
			CHECK_EQ(smpheap_free(race_heap, p), 0);
	}
	CHECK_EQ(atomic_load(&race_errors), 0);
	CHECK_EQ(smpheap_check(race_heap), 0);
	smpheap_stats(race_heap, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.used, 0);
	CHECK_EQ(s.bad_frees, 0);
	smpheap_stats(race_heap, SMPHEAP_ZONE_BUFFER, &s);
	CHECK_EQ(s.used, 0);
	printf("  %s: %u threads x %u ops, %zu runtime failures at exhaustion\n", what, THREADS,
	       race_ops, stats(race_heap, SMPHEAP_ZONE_RUNTIME).failures);
	test_heap_destroy(race_heap);
}

int main(int argc, char **argv)
{
	struct smpheap_layout cached = small;

	race_ops = 5 * (argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 20000);
	if (test_act_as(0))
		return 1;
	test_cut_and_retire();
	test_reclaim_window();
	test_quota();
	test_bank_sweep();
	race(&small, "pure path");
	/* The same with the word-claim cache on: held words (HELD) race the
	 * retire too. */
	cached.thread_slots = SMPHEAP_THREAD_SLOTS;
	for (unsigned k = 0; k < cached.class_count; k++)
		cached.classes[k].cache_max = 8;
	race(&cached, "word-claim cache");
	return check_report("test_pages");
}
