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
		smph_word_t w = atomic_load(&o->slabw[gi]);

		if ((w & o->geom[k].live) && atomic_load(&o->pt[gi << o->gshift]) == o->geom[k].tag)
			n += smph_popcount(cached ? atomic_load(&o->cached[gi])
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

/* Before failing, a thread uses its own cached blocks. On one core: once
 * the pool has no room for another 64-byte slab, the only free blocks sit
 * in our cache (128-byte ones), and a 64-byte request must still succeed
 * with one of them. */
static void test_give_back_before_failing(void)
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
	big = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 128);
	CHECK(big != NULL);
	CHECK_EQ(free_in(o, 1, false), 0); /* all in our cache */
	for (n = 0; n < 1024; n++) {
		small[n] = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 64);
		if (!small[n] || smpheap_usable_size(o, small[n]) == 128)
			break;
	}
	CHECK(n < 1024 && small[n] != NULL);
	CHECK_EQ(smpheap_usable_size(o, small[n]), 128);
	CHECK_EQ(smpheap_check(o), 0);
	for (unsigned i = 0; i <= n && i < 1024; i++)
		CHECK_EQ(smpheap_free(o, small[i]), 0);
	CHECK_EQ(smpheap_free(o, big), 0);
	CHECK_EQ(smpheap_check(o), 0);
	smpheap_host_destroy(o);
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

static void *hold_and_park(void *arg)
{
	(void)arg;
	smpheap_host_bind(1);
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	pthread_barrier_wait(&parked); /* parked: core 1 goes down */
	pthread_barrier_wait(&parked);
	/* Back up: the cache refills from the shard. */
	CHECK_EQ(smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64)), 0);
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

	pthread_barrier_init(&parked, NULL, 2);
	pthread_create(&t, NULL, hold_and_park, NULL);
	pthread_barrier_wait(&parked);
	CHECK_EQ(free_in(h, 0, true), main_held + h->geom[0].blocks); /* a word in its cache */
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(free_in(h, 0, true), main_held); /* given back for it */
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	pthread_barrier_wait(&parked);
	pthread_join(t, NULL);
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
	test_flushes();
	smpheap_host_destroy(h);
	test_off();
	test_guessed_word();
	return check_report("test_tcache");
}
