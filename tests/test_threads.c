/* test_threads.c - the whole heap under 16 threads on however many cores the
 * machine has (oversubscribed on 2): random sizes in the runtime and buffer
 * zones, blocks handed through shared slots so most frees are cross-core,
 * buffer reallocs, and every block's whole contents checked before it is
 * freed. At a quiescent point in the middle and at the end: smpheap_check()
 * holds and the stats' used bytes equal the live blocks' sizes; at the end
 * every zone is empty. Run on the host layout and on tgl (where the runtime
 * zone runs out constantly, exercising stealing and failure paths: checked,
 * at least 1 % of runtime requests fail there). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_heap.h"

#define THREADS 16
#define SLOTS 512

struct tag {
	uint32_t magic;	  /* TAG_MAGIC while live */
	uint32_t thread;  /* who wrote it */
	uint64_t seq;	  /* the writer's operation number */
	uint64_t size;	  /* bytes asked for (all of them filled) */
	uint64_t padding; /* keeps the fill 16-byte aligned */
};
#define TAG_MAGIC 0x7a67c0deu

static struct smpheap *heap;
static _Atomic(unsigned char *) slots[SLOTS];
static atomic_int errors;
static unsigned ops_per_thread;
static pthread_barrier_t barrier;

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static unsigned char fill_byte(const struct tag *t, size_t i)
{
	return (unsigned char)(t->seq * 31 + t->thread + i);
}

static void stamp(unsigned char *p, size_t size, uint32_t thread, uint64_t seq)
{
	struct tag *t = (struct tag *)p;

	t->magic = TAG_MAGIC;
	t->thread = thread;
	t->seq = seq;
	t->size = size;
	for (size_t i = sizeof(*t); i < size; i++)
		p[i] = fill_byte(t, i);
}

static int intact(const unsigned char *p, size_t upto)
{
	const struct tag *t = (const struct tag *)p;

	if (t->magic != TAG_MAGIC || t->size < sizeof(*t) || t->size > upto)
		return 0;
	for (size_t i = sizeof(*t); i < t->size; i++)
		if (p[i] != fill_byte(t, i))
			return 0;
	return 1;
}

static void retire(unsigned char *p)
{
	struct tag *t = (struct tag *)p;

	if (!intact(p, smpheap_usable_size(heap, p))) {
		atomic_fetch_add(&errors, 1);
		return;
	}
	t->magic = 0;
	if (smpheap_free(heap, p) != 0)
		atomic_fetch_add(&errors, 1);
}

static void *worker(void *arg)
{
	uint32_t id = (uint32_t)(intptr_t)arg, seed = id * 2654435761u + 1;

	smpheap_host_bind(id % smpheap_layout(heap)->cores);
	for (int phase = 0; phase < 2; phase++) {
		for (unsigned op = 0; op < ops_per_thread; op++) {
			uint32_t r = rnd(&seed);
			_Atomic(unsigned char *) *slot = &slots[r % SLOTS];
			unsigned char *p = atomic_exchange(slot, NULL), *q;
			size_t size;

			if (p) {
				/* A buffer may be resized before it goes. */
				if (smpheap_zone_of(heap, p) == SMPHEAP_ZONE_BUFFER && (r & 64)) {
					size_t old = ((struct tag *)p)->size, ns = 48 + (r >> 20);

					if (!intact(p, smpheap_usable_size(heap, p)))
						atomic_fetch_add(&errors, 1);
					q = smpheap_realloc(heap, p, ns);
					if (q) {
						((struct tag *)q)->size = old < ns ? old : ns;
						if (!intact(q, smpheap_usable_size(heap, q)))
							atomic_fetch_add(&errors, 1);
						p = q;
					}
				}
				retire(p);
				continue;
			}
			if (r & 1) {
				size = sizeof(struct tag) + (r >> 8) % 2000;
				p = smpheap_alloc(heap, SMPHEAP_ZONE_RUNTIME, 0, size);
			} else {
				size = sizeof(struct tag) + (r >> 8) % 20000;
				p = smpheap_alloc(heap, SMPHEAP_ZONE_BUFFER, 0, size);
			}
			if (!p)
				continue; /* exhaustion is allowed; recovery is tested by going on
					   */
			if (smpheap_usable_size(heap, p) < size)
				atomic_fetch_add(&errors, 1);
			stamp(p, size, id, op);
			q = NULL;
			if (!atomic_compare_exchange_strong(slot, &q, p))
				retire(p);
		}
		pthread_barrier_wait(&barrier); /* quiescent: main checks */
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

static void check_quiescent(void)
{
	size_t live[SMPHEAP_ZONE_COUNT] = {0};
	struct smpheap_stats s;

	CHECK_EQ(smpheap_check(heap), 0);
	for (unsigned i = 0; i < SLOTS; i++) {
		unsigned char *p = atomic_load(&slots[i]);

		if (p) {
			CHECK(intact(p, smpheap_usable_size(heap, p)));
			live[smpheap_zone_of(heap, p)] += smpheap_usable_size(heap, p);
		}
	}
	smpheap_stats(heap, SMPHEAP_ZONE_RUNTIME, &s);
	CHECK_EQ(s.used, live[SMPHEAP_ZONE_RUNTIME]);
	CHECK_EQ(s.bad_frees, 0);
	smpheap_stats(heap, SMPHEAP_ZONE_BUFFER, &s);
	CHECK_EQ(s.used, live[SMPHEAP_ZONE_BUFFER]);
	CHECK_EQ(s.bad_frees, 0);
}

/* tgl-split with a runtime quota of 48 KiB: the runtime zone runs out
 * constantly in this test. */
static struct smpheap_layout tight;

/* exhausts: the runtime zone must run out (`tight`), so that slab retire
 * and re-cut at exhaustion, taking other cores' slabs and the failure
 * paths are what gets raced. */
static void run(const char *layout, bool exhausts)
{
	pthread_t t[THREADS];
	struct smpheap_stats s;

	heap =
	    smpheap_host_create(strcmp(layout, "tight") ? smpheap_layout_by_name(layout) : &tight);
	CHECK(heap != NULL);
	if (!heap)
		return;
	pthread_barrier_init(&barrier, NULL, THREADS + 1);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int phase = 0; phase < 2; phase++) {
		pthread_barrier_wait(&barrier);
		check_quiescent();
		pthread_barrier_wait(&barrier);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (unsigned i = 0; i < SLOTS; i++) {
		unsigned char *p = atomic_exchange(&slots[i], NULL);

		if (p)
			retire(p);
	}
	CHECK_EQ(atomic_load(&errors), 0);
	for (int z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		smpheap_stats(heap, (enum smpheap_zone)z, &s);
		CHECK_EQ(s.used, 0);
		CHECK_EQ(s.allocs, s.frees);
		if (z != SMPHEAP_ZONE_SYS)
			CHECK(s.allocs > 0);
	}
	CHECK_EQ(smpheap_check(heap), 0);
	smpheap_stats(heap, SMPHEAP_ZONE_RUNTIME, &s);
	if (exhausts)
		CHECK(s.failures > 0 && s.failures * 100 >= s.allocs);
	printf("%s: %u ops/thread x %d threads x 2 phases, %zu runtime allocations failed of "
	       "%zu\n",
	       layout, ops_per_thread, THREADS, s.failures, s.allocs + s.failures);
	pthread_barrier_destroy(&barrier);
	smpheap_host_destroy(heap);
}

int main(int argc, char **argv)
{
	ops_per_thread = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
	run("host", false);
	run("tgl", false); /* one shared pool: the runtime zone no longer runs out here */
	tight = *smpheap_layout_by_name("tgl-split");
	tight.name = "tight";
	tight.runtime_quota = 48 * 1024;
	run("tight", true);
	return check_report("test_threads");
}
