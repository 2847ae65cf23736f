/* test_race.c - racing double frees: of N threads freeing the same block at
 * the same moment, exactly one gets 0 and every other one is refused, and
 * the heap ends exactly as if the block had been freed once (used, counts,
 * smpheap_check). Runtime blocks (word-claim cache on, as in the host
 * layout: the blocks come out of the allocating thread's cache and are freed
 * by threads acting as other cores) and buffer runs.
 *
 * A double free is a caller's bug; what the heap promises is that it is
 * caught and harmless, also when the two frees race. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "smpheap/host.h"

#define THREADS 4
#define BATCH 64
#define ROUNDS 600

static struct smpheap *heap;
static void *batch[BATCH];
static int rc[THREADS][BATCH];
static pthread_barrier_t start, done;
static atomic_int quit;

static void *racer(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	smpheap_host_bind(t % 2);
	for (;;) {
		pthread_barrier_wait(&start);
		if (atomic_load(&quit))
			return NULL;
		/* each thread its own order, so the races differ */
		for (unsigned k = 0; k < BATCH; k++) {
			unsigned i = (k * (2 * t + 1) + t * 7) % BATCH;
			rc[t][i] = smpheap_free(heap, batch[i]);
		}
		pthread_barrier_wait(&done);
	}
}

static size_t used(enum smpheap_zone z)
{
	struct smpheap_stats st;
	smpheap_stats(heap, z, &st);
	return st.used;
}

static void race(enum smpheap_zone zone, const char *name)
{
	pthread_t tid[THREADS];
	unsigned rounds = 0, wins = 0, refused_other = 0, bad = 0;
	atomic_store(&quit, 0);
	for (unsigned t = 0; t < THREADS; t++)
		pthread_create(&tid[t], NULL, racer, (void *)(uintptr_t)t);
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < BATCH; i++) {
			size_t size =
			    zone == SMPHEAP_ZONE_RUNTIME ? 16 + 16 * (i % 12) : 1024 * (1 + i % 3);
			batch[i] = smpheap_alloc(heap, zone, 0, size);
			CHECK(batch[i] != NULL);
		}
		pthread_barrier_wait(&start);
		pthread_barrier_wait(&done);
		for (unsigned i = 0; i < BATCH; i++) {
			unsigned zero = 0;
			for (unsigned t = 0; t < THREADS; t++) {
				if (rc[t][i] == 0)
					zero++;
				else if (rc[t][i] != -EALREADY) {
					/* a loser that saw the run half given back */
					refused_other++;
					if (zone != SMPHEAP_ZONE_BUFFER || rc[t][i] != -EINVAL)
						bad++;
				}
			}
			wins += zero == 1;
			if (zero != 1)
				printf("  %s round %u block %u: %u frees succeeded\n", name, r, i,
				       zero);
		}
		rounds++;
		if (used(zone) != 0 || smpheap_check(heap) != 0)
			break;
	}
	atomic_store(&quit, 1);
	pthread_barrier_wait(&start);
	for (unsigned t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	CHECK_EQ(rounds, ROUNDS);
	CHECK_EQ(wins, ROUNDS * BATCH);
	CHECK_EQ(bad, 0);
	CHECK_EQ(used(zone), 0);
	CHECK_EQ(smpheap_check(heap), 0);
	struct smpheap_stats st;
	smpheap_stats(heap, zone, &st);
	CHECK_EQ(st.allocs, st.frees);
	printf("  %s: %u blocks freed by %u threads at once: one free each, %u losers refused "
	       "with another code than -EALREADY\n",
	       name, wins, THREADS, refused_other);
}

int main(void)
{
	heap = smpheap_host_create(smpheap_layout_by_name("host"));
	CHECK(heap != NULL);
	if (!heap)
		return check_report("test_race");
	smpheap_host_bind(0);
	pthread_barrier_init(&start, NULL, THREADS + 1);
	pthread_barrier_init(&done, NULL, THREADS + 1);
	race(SMPHEAP_ZONE_RUNTIME, "runtime");
	race(SMPHEAP_ZONE_BUFFER, "buffer");
	smpheap_host_destroy(heap);
	return check_report("test_race");
}
