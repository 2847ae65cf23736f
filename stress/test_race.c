/* test_race.c - racing double frees: N threads free the same blocks at the
 * same moment, and so does the thread that allocated them, which holds their
 * words in its word-claim cache (runtime, host layout) or owns nothing
 * special (buffer runs). The heap must end exactly as if each block had
 * been freed once: used 0, smpheap_check() clean, and of the N + 1 frees of
 * a block exactly one counted as good. For buffer runs exactly one free
 * returns 0. For runtime blocks the holder's own free into its cache and
 * one other thread's free may both return 0 (README, the word-claim cache);
 * the holder then finds the second at its give-back and counts it as bad.
 *
 * The test proves that it raced: every racer brackets its burst with a
 * shared in-flight counter, rounds go on until enough of them overlapped
 * (or a time limit, which also ends a slow run early once it has proof of
 * racing), and too few overlapped rounds fail.
 *
 * A double free is a caller's bug; what the heap promises is that it is
 * caught and harmless, also when the frees race. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "race.h"
#include "smpheap/host.h"

#define THREADS 3 /* racers besides the holder */
#define BATCH 64
#define ROUNDS 600	    /* at least */
#define OVERLAPS_WANTED 300 /* rounds go on until this many overlapped... */
#define OVERLAPS_NEEDED 60  /* ...and fail with fewer than this */
#define RACE_SECONDS 8

static struct smpheap *heap;
static void *batch[BATCH];
static int rc[THREADS + 1][BATCH];
static struct spin_barrier bar = {.n = THREADS + 1};
static struct inflight flight;
static atomic_int quit;

/* Each thread its own order, so the races differ. */
static void free_batch(unsigned t, unsigned round)
{
	stagger(round + t, t & 1);
	race_enter(&flight);
	for (unsigned k = 0; k < BATCH; k++) {
		unsigned i = (k * (2 * t + 1) + t * 7) % BATCH;
		rc[t][i] = smpheap_free(heap, batch[i]);
	}
	race_leave(&flight);
}

static void *racer(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg;
	smpheap_host_bind(t % 2);
	for (unsigned r = 0;; r++) {
		spin_wait(&bar); /* the batch is ready */
		if (atomic_load(&quit))
			return NULL;
		free_batch(t, r);
		spin_wait(&bar); /* all done */
	}
}

static struct smpheap_stats stats(enum smpheap_zone z)
{
	struct smpheap_stats st;
	smpheap_stats(heap, z, &st);
	return st;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void race(enum smpheap_zone zone, const char *name)
{
	pthread_t tid[THREADS];
	unsigned rounds = 0, lost = 0, both = 0, other = 0, bad = 0;
	size_t bad_before = stats(zone).bad_frees;
	double started = seconds();
	bool broken = false;
	memset(&flight, 0, sizeof(flight));
	atomic_store(&quit, 0);
	/* Racers 1..THREADS are threads; racer 0 is us, the blocks' holder. */
	for (unsigned t = 0; t < THREADS; t++)
		pthread_create(&tid[t], NULL, racer, (void *)(uintptr_t)(t + 1));
	/* Out of time with the proof of racing in hand, a loaded machine stops
	 * before ROUNDS. */
	while (
	    !(seconds() - started >= RACE_SECONDS && flight.rounds_overlapped >= OVERLAPS_NEEDED) &&
	    (rounds < ROUNDS ||
	     (flight.rounds_overlapped < OVERLAPS_WANTED && seconds() - started < RACE_SECONDS))) {
		for (unsigned i = 0; i < BATCH; i++) {
			size_t size =
			    zone == SMPHEAP_ZONE_RUNTIME ? 16 + 16 * (i % 12) : 1024 * (1 + i % 3);
			batch[i] = smpheap_alloc(heap, zone, 0, size);
			CHECK(batch[i] != NULL);
		}
		spin_wait(&bar);
		free_batch(0, rounds);
		spin_wait(&bar);
		race_round_end(&flight);
		for (unsigned i = 0; i < BATCH; i++) {
			unsigned zero = 0;
			for (unsigned t = 0; t <= THREADS; t++) {
				if (rc[t][i] == 0)
					zero++;
				else if (rc[t][i] != -EALREADY) {
					/* a loser that saw the run half given back */
					other++;
					if (zone != SMPHEAP_ZONE_BUFFER || rc[t][i] != -EINVAL)
						bad++;
				}
			}
			lost += zero == 0;
			/* Two winners: the holder's cached free and one other;
			 * only the runtime zone has a cache. */
			if (zero == 2 && zone == SMPHEAP_ZONE_RUNTIME && rc[0][i] == 0)
				both++;
			else if (zero > 1) {
				bad++;
				printf("  %s round %u block %u: %u frees succeeded\n", name, rounds,
				       i, zero);
			}
		}
		rounds++;
		/* Give the held words back (a rebind does), so every double
		 * free accepted into a cache is found and counted now. */
		smpheap_host_bind(1);
		smpheap_host_bind(0);
		if (stats(zone).used != 0 || smpheap_check(heap) != 0 ||
		    stats(zone).bad_frees - bad_before != (size_t)rounds * BATCH * THREADS) {
			broken = true;
			break;
		}
	}
	atomic_store(&quit, 1);
	spin_wait(&bar);
	for (unsigned t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	CHECK(!broken);
	CHECK_EQ(lost, 0);
	CHECK_EQ(bad, 0);
	CHECK_EQ(stats(zone).used, 0);
	CHECK_EQ(smpheap_check(heap), 0);
	/* Of THREADS + 1 frees of each block, exactly one counted as good. */
	CHECK_EQ(stats(zone).bad_frees - bad_before, (size_t)rounds * BATCH * THREADS);
	CHECK_EQ(stats(zone).allocs, stats(zone).frees);
	CHECK(flight.rounds_overlapped >= OVERLAPS_NEEDED);
	printf("  %s: %u rounds of %u blocks freed by %u threads and their holder at once, "
	       "%u overlapped; %u blocks freed twice into the holder's cache and found at "
	       "its give-back; %u losers refused with another code than -EALREADY\n",
	       name, rounds, BATCH, THREADS, flight.rounds_overlapped, both, other);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	heap = smpheap_host_create(smpheap_layout_by_name("host"));
	CHECK(heap != NULL);
	if (!heap)
		return check_report("test_race");
	smpheap_host_bind(0);
	race(SMPHEAP_ZONE_RUNTIME, "runtime");
	race(SMPHEAP_ZONE_BUFFER, "buffer");
	smpheap_host_destroy(heap);
	return check_report("test_race");
}
