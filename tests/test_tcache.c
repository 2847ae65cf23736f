/* test_tcache.c - the word-claim cache: blocks held by a thread count as free,
 * double frees are still caught from any thread, a thread gives its cached
 * blocks back before an allocation fails, and flushes happen on thread exit,
 * on binding to another core and on core_down. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "check.h"
#include "internal.h"
#include "test_heap.h"

/* Two cores, two small cached classes, room for a few threads. */
static const struct smpheap_layout tiny = {
    .name = "tiny-cache",
    .origin = "test",
    .cores = 2,
    .bank_size = 4096,
    .sys_size = {1024, 1024},
    .class_count = 2,
    .classes = {{64, 128, 64}, {128, 64, 64}},
    .page_size = 256,
    .buffer_region_count = 1,
    .buffer_regions = {{SMPHEAP_CAP_HP, 128, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER}},
    .thread_slots = 8,
};

static struct smpheap *h;

/* Blocks of class k free in slab words, or (cached) free in thread caches. */
static uint32_t free_in(const struct smpheap *o, unsigned k, bool cached)
{
	uint32_t n = 0;

	for (uint32_t gi = 0; gi < o->granules; gi++) {
		smph_word_t w = atomic_load(&o->slabw[smph_gidx(o, gi)]);

		if ((w & o->geom[k].live) &&
		    smph_slab_entry_is(atomic_load(&o->pt[gi << o->gshift]), &o->geom[k]))
			n += smph_popcount(cached ? atomic_load(&o->cached[smph_gidx(o, gi)])
						  : w & o->geom[k].full);
	}
	return n;
}

static size_t used(void)
{
	struct smpheap_stats s;

	smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s);
	return s.used;
}

static unsigned my_slot(void)
{
	return smph_platform_thread_slot();
}

static void test_basics(void)
{
	void *p, *q;
	struct smpheap_stats s;

	p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(p != NULL);
	/* The whole word of a new slab went into our cache: all but one free there. */
	CHECK_EQ(free_in(h, 0, false), 0);
	CHECK_EQ(h->tcache[my_slot()].cls[0].held, h->geom[0].blocks - 1);
	CHECK_EQ(used(), 64); /* cached blocks are free, not used */
	smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.allocs, 1);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_usable_size(h, p), 64);
	q = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(q == (char *)p + 64);	 /* the next bit of the held word */
	CHECK_EQ(smpheap_free(h, q), 0); /* back into our cache, no atomic */
	CHECK_EQ(h->tcache[my_slot()].cls[0].held, h->geom[0].blocks - 1);
	CHECK_EQ(smpheap_usable_size(h, q), 0);
	CHECK_EQ(smpheap_free(h, q), -EALREADY);  /* local double free */
	CHECK(smpheap_realloc(h, q, 32) == NULL); /* not live */
	CHECK_EQ(smpheap_free(h, p), 0);
	CHECK_EQ(used(), 0);
	smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.frees, 2);
	CHECK_EQ(s.bad_frees, 2);
	CHECK_EQ(s.largest_free, 128);
	CHECK_EQ(smpheap_check(h), 0);
}

/* Another thread frees a block that sits free in our cache: refused. */
static void *free_it(void *p)
{
	smpheap_host_bind(0);
	return (void *)(intptr_t)smpheap_free(h, p);
}

static int free_from_other_thread(void *p)
{
	pthread_t t;
	void *rc;

	pthread_create(&t, NULL, free_it, p);
	pthread_join(t, &rc);
	return (int)(intptr_t)rc;
}

static void test_cross_thread(void)
{
	void *p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	void *q = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);

	CHECK(p && q);
	CHECK_EQ(smpheap_free(h, p), 0);
	CHECK_EQ(free_from_other_thread(p), -EALREADY); /* free in our cache */
	CHECK_EQ(free_from_other_thread(q), 0);		/* a live block: fine */
	CHECK_EQ(smpheap_free(h, q), -EALREADY);	/* freed there, not here */
	CHECK_EQ(used(), 0);
	CHECK_EQ(smpheap_check(h), 0);
}

/* Blocks other threads free into a word we hold go to its `remote` word,
 * which only our give-back returns to the shard: when they are the only
 * free blocks, an allocation must give our words back and try again before
 * it fails. On one core: every block of both classes handed out to us, then
 * another thread frees five 128-byte ones; a 128-byte request must get one. */
static void *free_five_big(void *arg)
{
	void **big = arg; /* the five blocks before big[63], of the slab we hold */

	smpheap_host_bind(0);
	for (unsigned i = 58; i < 63; i++)
		CHECK_EQ(smpheap_free(h, big[i]), 0);
	return NULL;
}

static void test_give_back_before_failing(void)
{
	struct smpheap_layout one = tiny;
	struct smpheap *saved = h;
	static void *big[256], *small[1024];
	unsigned nb = 0, ns = 0;
	void *p;
	pthread_t t;

	one.cores = 1;
	h = smpheap_host_create(&one);
	CHECK(h != NULL);
	if (!h) {
		h = saved;
		return;
	}
	/* Two slabs of 128-byte blocks, then 64-byte ones until the pool is
	 * full (the pool has no count: blocks come until its pages run out). */
	while (nb < 2 * h->geom[1].blocks)
		CHECK((big[nb++] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 128)) != NULL);
	while (ns < 1024 && (small[ns] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64)) != NULL &&
	       smpheap_usable_size(h, small[ns]) == 64)
		ns++;
	CHECK(ns < 1024);
	if (ns < 1024 && small[ns]) /* a 128-byte block (ours): all taken now */
		CHECK_EQ(smpheap_free(h, small[ns]), 0);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64) == NULL); /* all taken */
	/* (That failure gave our words back; take the last 128-byte word again.) */
	CHECK_EQ(smpheap_free(h, big[nb - 1]), 0);
	CHECK((big[nb - 1] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 128)) != NULL);
	pthread_create(&t, NULL, free_five_big, big + nb - 64);
	pthread_join(t, NULL);
	CHECK_EQ(free_in(h, 1, false), 0); /* in `remote` */
	CHECK_EQ(smpheap_check(h), 0);
	p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 128);
	CHECK(p != NULL);
	CHECK_EQ(smpheap_usable_size(h, p), 128);
	CHECK_EQ(smpheap_free(h, p), 0);
	for (unsigned i = 0; i < nb; i++)
		if (i < nb - 6 || i == nb - 1)
			CHECK_EQ(smpheap_free(h, big[i]), 0);
	for (unsigned i = 0; i < ns; i++)
		CHECK_EQ(smpheap_free(h, small[i]), 0);
	CHECK_EQ(used(), 0);
	CHECK_EQ(smpheap_check(h), 0);
	smpheap_host_destroy(h);
	h = saved;
}

/* A request takes its own class only, cached or not: on one core, the only
 * free 128-byte blocks sit in our cache when the 64-byte class and the pool
 * run out; a 64-byte request fails (counted), and a 128-byte one is served
 * from the cache. */
static void test_no_larger_class(void)
{
	struct smpheap_layout one = tiny;
	struct smpheap *o;
	static void *small[1024];
	void *big;
	unsigned n;

	one.cores = 1;
	o = smpheap_host_create(&one);
	CHECK(o != NULL);
	if (!o)
		return;
	struct smpheap_stats s;

	big = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 128);
	CHECK(big != NULL);
	CHECK_EQ(free_in(o, 1, false), 0); /* all in our cache */
	for (n = 0; n < 1024; n++) {
		small[n] = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 64);
		if (!small[n])
			break;
		CHECK_EQ(smpheap_usable_size(o, small[n]), 64);
	}
	CHECK(n > 0 && n < 1024);
	CHECK(smpheap_stats(o, SMPHEAP_ZONE_RUNTIME, &s) == 0 && s.failures == 1);
	CHECK_EQ(smpheap_check(o), 0);
	{
		void *again = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 128);

		CHECK(again != NULL && smpheap_usable_size(o, again) == 128);
		CHECK_EQ(smpheap_free(o, again), 0);
	}
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(o, small[i]), 0);
	CHECK_EQ(smpheap_free(o, big), 0);
	CHECK_EQ(smpheap_check(o), 0);
	smpheap_host_destroy(o);
}

/* The cache's own checks, each on more than one line: a double free of a
 * block free in a held word (ours, another class's, another thread's), and
 * the span test (a pointer of the right class and shard, but outside the
 * held word, must not be taken into it). */
static void *free_all_of(void *arg)
{
	void **p = arg;
	intptr_t bad = 0;

	smpheap_host_bind(1);
	for (unsigned i = 0; p[i]; i++)
		bad += smpheap_free(h, p[i]) != -EALREADY;
	return (void *)bad;
}

static void test_double_free_checks(void)
{
	void *a[4], *b[3], *theirs[5] = {0};
	uint8_t *first;
	size_t bad_before;
	pthread_t t;
	void *rc;
	struct smpheap_stats s;

	smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s);
	bad_before = s.bad_frees;
	for (unsigned i = 0; i < 4; i++)
		a[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	for (unsigned i = 0; i < 3; i++)
		b[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 128);
	CHECK(a[0] && a[3] && b[0] && b[2]);
	/* Free into our words, in both classes, then free each once more:
	 * after a free of the other class in between, too (the guess of the
	 * last-used word misses, the class lookup finds the block cached). */
	CHECK_EQ(smpheap_free(h, a[1]), 0);
	CHECK_EQ(smpheap_free(h, b[1]), 0);
	CHECK_EQ(smpheap_free(h, a[1]), -EALREADY);
	CHECK_EQ(smpheap_free(h, b[1]), -EALREADY);
	CHECK_EQ(smpheap_free(h, a[2]), 0);
	CHECK_EQ(smpheap_free(h, b[1]), -EALREADY);
	CHECK_EQ(smpheap_free(h, a[2]), -EALREADY);
	/* A block never handed out, free in our held word: refused too. */
	CHECK_EQ(smpheap_free(h, (char *)a[3] + 64), -EALREADY);
	CHECK_EQ(smpheap_free(h, (char *)b[2] + 128), -EALREADY);
	/* Another thread freeing blocks free in our cache: each refused. */
	theirs[0] = a[1];
	theirs[1] = a[2];
	theirs[2] = b[1];
	theirs[3] = (char *)a[3] + 128;
	pthread_create(&t, NULL, free_all_of, theirs);
	pthread_join(t, &rc);
	CHECK_EQ((intptr_t)rc, 0);
	smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.bad_frees - bad_before, 6 + 4);
	/* The span test: blocks of the same class but of another slab are
	 * not ours to take back; into their slab's word they go, once. */
	first = (uint8_t *)h->tcache[my_slot()].cls[0].base;
	{
		static void *next[2 * SMPH_WORD_BITS];
		uint32_t leaf0 = h->tcache[my_slot()].cls[0].leaf;
		unsigned n = 0;

		/* Take the rest of the held slab, then one block of another. */
		while (n < 2 * SMPH_WORD_BITS && h->tcache[my_slot()].cls[0].leaf == leaf0)
			next[n++] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
		CHECK(h->tcache[my_slot()].cls[0].leaf != leaf0);
		/* The first slab was given back at the refill: a[0], a[3] live
		 * there. */
		CHECK_EQ(smpheap_free(h, a[0]), 0);
		CHECK(first == (uint8_t *)a[0] || first < (uint8_t *)a[0]);
		CHECK_EQ(smpheap_usable_size(h, a[0]), 0); /* free in its word, not cached */
		CHECK_EQ(free_in(h, 0, true), h->tcache[my_slot()].cls[0].held);
		CHECK_EQ(smpheap_free(h, a[0]), -EALREADY);
		CHECK_EQ(smpheap_free(h, a[3]), 0);
		CHECK_EQ(smpheap_free(h, a[3]), -EALREADY);
		/* Right after the held slab's span: padding, not a block. */
		CHECK_EQ(smpheap_free(h, (uint8_t *)h->tcache[my_slot()].cls[0].base +
					     h->tcache[my_slot()].cls[0].span),
			 -EINVAL);
		for (unsigned i = 0; i < n; i++)
			CHECK_EQ(smpheap_free(h, next[i]), 0);
	}
	CHECK_EQ(smpheap_free(h, b[0]), 0);
	CHECK_EQ(smpheap_free(h, b[2]), 0);
	CHECK_EQ(used(), 0);
	CHECK_EQ(smpheap_check(h), 0);
}

/* More freed than handed out is a broken invariant, not a used of 0. */
static void test_negative_used(void)
{
	_Atomic size_t *net = &h->tcache[my_slot()].ctr[SMPHEAP_ZONE_RUNTIME].net;

	CHECK_EQ(used(), 0);
	CHECK_EQ(smpheap_check(h), 0);
	atomic_fetch_sub(net, 64); /* as if a double free had been counted */
	CHECK_EQ(used(), 0);	   /* stats clamp it */
	CHECK_EQ(smpheap_check(h), -EUCLEAN);
	atomic_fetch_add(net, 64);
	CHECK_EQ(smpheap_check(h), 0);
}

/* Flushes: thread exit, binding elsewhere, core_down of a parked thread. */
static pthread_barrier_t parked;
static uint32_t main_held; /* blocks the main thread holds in its cache */

static void *hold_and_exit(void *arg)
{
	(void)arg;
	smpheap_host_bind(1);
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	return NULL;
}

static void *hold_and_rebind(void *arg)
{
	unsigned slot;

	(void)arg;
	smpheap_host_bind(1);
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	slot = smph_platform_thread_slot();
	CHECK_EQ(h->tcache[slot].cls[0].held, h->geom[0].blocks);
	smpheap_host_bind(0);
	CHECK_EQ(h->tcache[slot].cls[0].held, 0);
	CHECK_EQ(free_in(h, 0, true), main_held);
	return NULL;
}

static uintptr_t parked_block; /* a block of the parked thread's held slab */

/* Whether the bank holding p has every page free in the pool. */
static uintptr_t given_back_block;

static bool bank_free(uintptr_t p)
{
	uintptr_t bank = p & ~(uintptr_t)(tiny.bank_size - 1);
	uint32_t first = smph_pool_page(h, bank), n = (uint32_t)(tiny.bank_size >> h->page_shift);

	return smph_bits_count(h->pfree, first, n) == n;
}

static void *hold_and_park(void *arg)
{
	void *p;

	(void)arg;
	smpheap_host_bind(1);
	p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	parked_block = (uintptr_t)p;
	smpheap_free(h, p);
	pthread_barrier_wait(&parked); /* parked: core 1 goes down */
	pthread_barrier_wait(&parked);
	return NULL; /* the exit gives the word back */
}

/* While core 1 is down, a thread bound to it whose held word is empty
 * gives its words back at its next allocation (served by core 0). */
static void *refill_while_down(void *arg)
{
	void *p[SMPH_WORD_BITS + 1];
	unsigned n;

	(void)arg;
	smpheap_host_bind(1);
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	n = h->geom[0].blocks;
	pthread_barrier_wait(&parked);
	pthread_barrier_wait(&parked); /* core 1 is down */
	for (unsigned i = 0; i <= n; i++)
		p[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	given_back_block = (uintptr_t)p[0]; /* of the word the refill gave back */
	/* The held word ran out, so the refill saw the core down and gave
	 * the word back: the last block came from the pure path. */
	CHECK_EQ(h->tcache[my_slot()].cls[0].held, 0);
	CHECK_EQ(h->tcache[my_slot()].cls[0].leaf, SMPH_NO_BIT);
	CHECK(p[n] != NULL);
	for (unsigned i = 0; i <= n; i++)
		CHECK_EQ(smpheap_free(h, p[i]), 0);
	return NULL;
}

static void test_flushes(void)
{
	pthread_t t;

	main_held = h->tcache[my_slot()].cls[0].held;
	pthread_create(&t, NULL, hold_and_exit, NULL);
	pthread_join(t, NULL);
	CHECK_EQ(free_in(h, 0, true), main_held);
	CHECK_EQ(smpheap_check(h), 0);

	pthread_create(&t, NULL, hold_and_rebind, NULL);
	pthread_join(t, NULL);
	CHECK_EQ(smpheap_check(h), 0);

	/* core_down never touches another thread's cache (that thread may be
	 * freeing, exiting or rebinding right now): the word stays cached,
	 * its bank stays on, and the exit gives it back; sweep then powers
	 * the bank off. */
	pthread_barrier_init(&parked, NULL, 2);
	pthread_create(&t, NULL, hold_and_park, NULL);
	pthread_barrier_wait(&parked);
	CHECK_EQ(free_in(h, 0, true), main_held + h->geom[0].blocks); /* a word in its cache */
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(free_in(h, 0, true), main_held + h->geom[0].blocks); /* still there */
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(used(), 0);
	pthread_barrier_wait(&parked);
	pthread_join(t, NULL);
	CHECK_EQ(free_in(h, 0, true), main_held); /* the exit gave it back */
	/* The bank its slab kept on (unless another slab shares it: 32-bit
	 * words make slabs smaller than a bank). */
	CHECK(!bank_free(parked_block) || smpheap_core_sweep(h, 1) > 0);
	CHECK_EQ(smpheap_core_sweep(h, 1), 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	CHECK_EQ(smpheap_check(h), 0);

	pthread_create(&t, NULL, refill_while_down, NULL);
	pthread_barrier_wait(&parked);
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	pthread_barrier_wait(&parked);
	pthread_join(t, NULL);
	/* Its bank, free unless the pure path's slab shares it, sweeps off. */
	CHECK(!bank_free(given_back_block) || smpheap_core_sweep(h, 1) > 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	pthread_barrier_destroy(&parked);
	CHECK_EQ(used(), 0);
	CHECK_EQ(smpheap_check(h), 0);
}

/* A heap with cache_max 0 everywhere takes the pure path, slots or not. */
static void test_off(void)
{
	struct smpheap_layout off = tiny;
	struct smpheap *o;
	void *p;

	off.classes[0].cache_max = off.classes[1].cache_max = 0;
	o = smpheap_host_create(&off);
	CHECK(o != NULL);
	if (!o)
		return;
	p = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK_EQ(free_in(o, 0, false), o->geom[0].blocks - 1);
	CHECK_EQ(smpheap_free(o, p), 0);
	CHECK_EQ(smpheap_check(o), 0);
	smpheap_host_destroy(o);
}

/* free() looks first in the word the thread used last, by address alone:
 * that guess must take only block starts of that word. A class of 48-byte
 * blocks (a multiply, not a shift, finds the index), whose slab ends short
 * of its last page, so padding follows its last block. */
static void test_guessed_word(void)
{
	static const struct smpheap_layout odd = {
	    .name = "odd-cache",
	    .origin = "test",
	    .cores = 1,
	    .bank_size = 4096,
	    .sys_size = {1024},
	    .class_count = 2,
	    .classes = {{48, 0, 64}, {256, 0, 8}},
	    .page_size = 256,
	    .buffer_region_count = 1,
	    .buffer_regions = {{SMPHEAP_CAP_HP, 128, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER}},
	    .thread_slots = 8,
	};
	struct smpheap *o = smpheap_host_create(&odd);
	struct smph_tcache_class *c;
	char *p, *first[SMPH_WORD_BITS];
	struct smpheap_stats s;
	uint32_t n;

	CHECK(o != NULL);
	if (!o)
		return;
	n = o->geom[0].blocks;
	CHECK(o->geom[0].span < (o->geom[0].pages << o->page_shift)); /* padding after */
	c = &o->tcache[my_slot()].cls[0];
	p = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 40);
	CHECK(p != NULL && o->tcache[my_slot()].last == c);
	/* Inside the held word's span, not a block start: refused. */
	CHECK_EQ(smpheap_free(o, p + 16), -EINVAL);
	CHECK_EQ(smpheap_free(o, p + 47), -EINVAL);
	/* A block of the word that is free in it: a double free. */
	CHECK_EQ(smpheap_free(o, p + 48), -EALREADY);
	CHECK_EQ(smpheap_free(o, p), 0);
	CHECK_EQ(smpheap_free(o, p), -EALREADY);
	CHECK_EQ(c->held, n);
	CHECK_EQ(smpheap_check(o), 0);

	/* Take the whole first slab, then one of a second. */
	for (unsigned i = 0; i < n; i++)
		first[i] = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 48);
	p = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 48);
	CHECK(p != NULL);
	CHECK(c->base == (uintptr_t)p);
	CHECK_EQ(c->span, n * 48);
	CHECK_EQ(c->held, n - 1);
	/* Right after the slab's last block: padding, not a block of the
	 * word, though a multiple of 48 from its base. */
	CHECK_EQ(smpheap_free(o, (char *)c->base + c->span), -EINVAL);
	/* A block of the first slab, no longer held: back to its word. */
	CHECK_EQ(smpheap_free(o, first[5]), 0);
	CHECK_EQ(smpheap_free(o, first[5]), -EALREADY);
	CHECK_EQ(smpheap_free(o, p), 0);
	for (unsigned i = 0; i < n; i++)
		if (i != 5)
			CHECK_EQ(smpheap_free(o, first[i]), 0);
	smpheap_stats(o, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.used, 0);
	CHECK_EQ(s.bad_frees, 6);
	CHECK_EQ(s.allocs, s.frees);
	CHECK_EQ(smpheap_check(o), 0);
	smpheap_host_destroy(o);
}

int main(void)
{
	smpheap_host_bind(0);
	h = smpheap_host_create(&tiny);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_tcache");
	CHECK(h->cache_on && h->tcache_slots == 8);
	test_basics();
	test_cross_thread();
	test_give_back_before_failing();
	test_no_larger_class();
	test_double_free_checks();
	test_negative_used();
	test_flushes();
	smpheap_host_destroy(h);
	test_off();
	test_guessed_word();
	return check_report("test_tcache");
}
