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
    .buffer_regions = {{SMPHEAP_CAP_HP, 16}},
    .thread_slots = 8,
};

static struct smpheap *h;

static uint32_t free_in_bitmap(unsigned core, unsigned k)
{
	return smph_bitmap2_count_free(&h->shards[core].bm[k]);
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
	/* The whole first leaf word went into our cache: all but one free there. */
	CHECK_EQ(free_in_bitmap(0, 0), 128 - SMPH_WORD_BITS);
	CHECK_EQ(h->tcache[my_slot()].cls[0].held, SMPH_WORD_BITS - 1);
	CHECK_EQ(used(), 64); /* cached blocks are free, not used */
	smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.allocs, 1);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_usable_size(h, p), 64);
	q = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(q == (char *)p + 64);	 /* the next bit of the held word */
	CHECK_EQ(smpheap_free(h, q), 0); /* back into our cache, no atomic */
	CHECK_EQ(h->tcache[my_slot()].cls[0].held, SMPH_WORD_BITS - 1);
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
 * another thread frees five 128-byte ones; a 64-byte request must get one. */
static void *free_five_big(void *arg)
{
	void **big = arg; /* the five blocks before big[63], of the word we hold */

	smpheap_host_bind(0);
	for (unsigned i = 58; i < 63; i++)
		CHECK_EQ(smpheap_free(h, big[i]), 0);
	return NULL;
}

static void test_give_back_before_failing(void)
{
	struct smpheap_layout one = tiny;
	struct smpheap *saved = h;
	void *big[64], *small[128], *p;
	pthread_t t;

	one.cores = 1;
	h = smpheap_host_create(&one);
	CHECK(h != NULL);
	if (!h) {
		h = saved;
		return;
	}
	for (unsigned i = 0; i < 64; i++)
		CHECK((big[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 128)) != NULL);
	for (unsigned i = 0; i < 128; i++)
		CHECK((small[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64)) != NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64) == NULL); /* all taken */
	/* (That failure gave our words back; take the 128-byte word again.) */
	CHECK_EQ(smpheap_free(h, big[63]), 0);
	CHECK((big[63] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 128)) != NULL);
	pthread_create(&t, NULL, free_five_big, big);
	pthread_join(t, NULL);
	CHECK_EQ(smph_bitmap2_count_free(&h->shards[0].bm[1]), 0); /* in `remote` */
	CHECK_EQ(smpheap_check(h), 0);
	p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(p != NULL);
	CHECK_EQ(smpheap_usable_size(h, p), 128);
	CHECK_EQ(smpheap_free(h, p), 0);
	for (unsigned i = 0; i < 64; i++)
		if (i < 58 || i == 63)
			CHECK_EQ(smpheap_free(h, big[i]), 0);
	for (unsigned i = 0; i < 128; i++)
		CHECK_EQ(smpheap_free(h, small[i]), 0);
	CHECK_EQ(used(), 0);
	CHECK_EQ(smpheap_check(h), 0);
	smpheap_host_destroy(h);
	h = saved;
}

/* The blocks a thread holds are taken first, in the class search too: on
 * one core, the only free 128-byte blocks sit in our cache when the 64-byte
 * class runs out, and a 64-byte request must still succeed with one. */
static void test_cached_blocks_serve_larger(void)
{
	struct smpheap_layout one = tiny;
	struct smpheap *o;
	void *big, *small[128], *p;

	one.cores = 1;
	o = smpheap_host_create(&one);
	CHECK(o != NULL);
	if (!o)
		return;
	big = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 128);
	CHECK(big != NULL);
	CHECK_EQ(smph_bitmap2_count_free(&o->shards[0].bm[1]), 64 - SMPH_WORD_BITS);
	for (unsigned i = 0; i < 128; i++) {
		small[i] = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 64);
		CHECK(small[i] && smpheap_usable_size(o, small[i]) == 64);
	}
	p = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK(p != NULL);
	CHECK_EQ(smpheap_usable_size(o, p), 128);
	CHECK_EQ(smpheap_check(o), 0);
	for (unsigned i = 0; i < 128; i++)
		CHECK_EQ(smpheap_free(o, small[i]), 0);
	CHECK_EQ(smpheap_free(o, p), 0);
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
	/* The span test: blocks of the same class and shard but of the next
	 * word are not ours to take back; into the bitmap they go, once. */
	first = (uint8_t *)h->tcache[my_slot()].cls[0].base;
	CHECK_EQ(h->tcache[my_slot()].cls[0].leaf, 0);
	{
		void *next[SMPH_WORD_BITS + 1];
		unsigned n = 0;

		/* Take the rest of word 0, then one block of word 1. */
		while (n < SMPH_WORD_BITS + 1 && h->tcache[my_slot()].cls[0].leaf == 0)
			next[n++] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
		CHECK_EQ(h->tcache[my_slot()].cls[0].leaf, 1);
		/* Word 0 was given back at the refill: a[0], a[3] live there. */
		CHECK_EQ(smpheap_free(h, a[0]), 0);
		CHECK(first == (uint8_t *)a[0] || first < (uint8_t *)a[0]);
		CHECK_EQ(smph_bitmap2_is_free(&h->shards[0].bm[0], 0), 1); /* not cached */
		CHECK_EQ(smpheap_free(h, a[0]), -EALREADY);
		CHECK_EQ(smpheap_free(h, a[3]), 0);
		CHECK_EQ(smpheap_free(h, a[3]), -EALREADY);
		/* One block before our word's base, one right after its span. */
		CHECK_EQ(smpheap_free(h, (uint8_t *)h->tcache[my_slot()].cls[0].base - 64), 0);
		CHECK_EQ(smpheap_free(h, (uint8_t *)h->tcache[my_slot()].cls[0].base - 64),
			 -EALREADY);
		for (unsigned i = 0; i < n; i++)
			if ((uint8_t *)next[i] != (uint8_t *)h->tcache[my_slot()].cls[0].base - 64)
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
	CHECK_EQ(h->tcache[slot].cls[0].held, SMPH_WORD_BITS);
	smpheap_host_bind(0);
	CHECK_EQ(h->tcache[slot].cls[0].held, 0);
	CHECK_EQ(free_in_bitmap(1, 0), 128);
	return NULL;
}

static void *hold_and_park(void *arg)
{
	(void)arg;
	smpheap_host_bind(1);
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	pthread_barrier_wait(&parked); /* parked: core 1 goes down */
	pthread_barrier_wait(&parked);
	return NULL; /* the exit gives the word back */
}

/* While core 1 is down, a thread bound to it whose held word is empty
 * gives its words back at its next allocation (served by core 0). */
static void *refill_while_down(void *arg)
{
	void *p[SMPH_WORD_BITS + 1];

	(void)arg;
	smpheap_host_bind(1);
	smpheap_free(h, smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	pthread_barrier_wait(&parked);
	pthread_barrier_wait(&parked); /* core 1 is down */
	for (unsigned i = 0; i <= SMPH_WORD_BITS; i++)
		p[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	/* The held word ran out, so the refill saw the shard offline. */
	CHECK_EQ(h->tcache[my_slot()].cls[0].held, 0);
	CHECK_EQ(free_in_bitmap(1, 0), 128 - SMPH_WORD_BITS); /* the word's blocks are live */
	CHECK((uintptr_t)p[SMPH_WORD_BITS] - h->shards[0].base < h->shard_bytes); /* core 0's */
	for (unsigned i = 0; i <= SMPH_WORD_BITS; i++)
		CHECK_EQ(smpheap_free(h, p[i]), 0);
	return NULL;
}

static void test_flushes(void)
{
	pthread_t t;

	pthread_create(&t, NULL, hold_and_exit, NULL);
	pthread_join(t, NULL);
	CHECK_EQ(free_in_bitmap(1, 0), 128);
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
	CHECK_EQ(free_in_bitmap(1, 0), 128 - SMPH_WORD_BITS); /* a word is in its cache */
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(free_in_bitmap(1, 0), 128 - SMPH_WORD_BITS); /* still there */
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(used(), 0);
	pthread_barrier_wait(&parked);
	pthread_join(t, NULL);
	CHECK_EQ(free_in_bitmap(1, 0), 128); /* the exit gave it back */
	CHECK(smpheap_core_sweep(h, 1) > 0); /* the bank it kept on */
	CHECK_EQ(smpheap_core_sweep(h, 1), 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	CHECK_EQ(smpheap_check(h), 0);

	pthread_create(&t, NULL, refill_while_down, NULL);
	pthread_barrier_wait(&parked);
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	pthread_barrier_wait(&parked);
	pthread_join(t, NULL);
	CHECK(smpheap_core_sweep(h, 1) > 0);
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
	CHECK_EQ(smph_bitmap2_count_free(&o->shards[0].bm[0]), 127);
	CHECK_EQ(smpheap_free(o, p), 0);
	CHECK_EQ(smpheap_check(o), 0);
	smpheap_host_destroy(o);
}

/* free() looks first in the word the thread used last, by address alone:
 * that guess must take only block starts of that word. A class of 48-byte
 * blocks (a multiply, not a shift, finds the index) with a word and 6
 * blocks, so its second word is short and padding follows it. */
#define ODD_COUNT (SMPH_WORD_BITS + 6)
static void test_guessed_word(void)
{
	static const struct smpheap_layout odd = {
	    .name = "odd-cache",
	    .origin = "test",
	    .cores = 1,
	    .bank_size = 4096,
	    .sys_size = {1024},
	    .class_count = 2,
	    .classes = {{48, ODD_COUNT, 64}, {256, 8, 8}},
	    .page_size = 256,
	    .buffer_region_count = 1,
	    .buffer_regions = {{SMPHEAP_CAP_HP, 16}},
	    .thread_slots = 8,
	};
	struct smpheap *o = smpheap_host_create(&odd);
	struct smph_tcache_class *c;
	char *p, *first[SMPH_WORD_BITS];
	struct smpheap_stats s;

	CHECK(o != NULL);
	if (!o)
		return;
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
	CHECK_EQ(c->held, SMPH_WORD_BITS);
	CHECK_EQ(smpheap_check(o), 0);

	/* Take the whole first word, then the short second one. */
	for (unsigned i = 0; i < SMPH_WORD_BITS; i++)
		first[i] = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 48);
	p = smpheap_alloc(o, SMPHEAP_ZONE_RUNTIME, 0, 48);
	CHECK(p != NULL);
	CHECK_EQ(c->leaf, 1);
	CHECK_EQ(c->span, 6 * 48);
	CHECK_EQ(c->held, 6 - 1);
	/* Right after the class's last block: padding, not a block of the
	 * word, though a multiple of 48 from its base. */
	CHECK_EQ(smpheap_free(o, (char *)c->base + c->span), -EINVAL);
	CHECK_EQ(c->bits >> 6, 0);
	/* A block of the first word, no longer held: back to the bitmap. */
	CHECK_EQ(smpheap_free(o, first[5]), 0);
	CHECK_EQ(smph_bitmap2_is_free(&o->shards[0].bm[0], 5), 1);
	CHECK_EQ(smpheap_free(o, first[5]), -EALREADY);
	CHECK_EQ(smpheap_free(o, p), 0);
	for (unsigned i = 0; i < SMPH_WORD_BITS; i++)
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
	test_cached_blocks_serve_larger();
	test_double_free_checks();
	test_negative_used();
	test_flushes();
	smpheap_host_destroy(h);
	test_off();
	test_guessed_word();
	return check_report("test_tcache");
}
