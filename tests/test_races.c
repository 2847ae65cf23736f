/* test_races.c - races in which the thread that holds a cached word takes
 * part, through the public API only (issue 13, items 1 to 5):
 *
 *   holder_double_free   the holder and another thread free one block at once
 *   giveback_double_free another thread frees a block that sits free in the
 *                        holder's cache while the holder gives its word back
 *   down_frees           a thread bound to core 1 frees while core 1 goes down
 *   down_rebind          a thread bound to core 1 rebinds while it goes down
 *   down_exit            a thread bound to core 1 exits while it goes down
 *   init_vs_exit         heaps are created while threads with slots exit
 *                        (item 5: a race only ThreadSanitizer shows)
 *
 * Each race proves that it raced: both sides bracket their call with a shared
 * in-flight counter, and a round counts as overlapped when one side enters
 * while the other is inside. Too few overlapped rounds fail the test.
 *
 * Usage: test_races [rounds [race]] (default 4000 rounds, every race;
 * CTest passes 30000, fewer in sanitized builds; the core_down races run
 * a quarter, down_exit an eighth; init_vs_exit creates 10000 heaps).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bitmap.h"
#include "check.h"
#include "race.h"
#include "smpheap/host.h"
#include "smpheap/smpheap.h"

/* Two cores, one small cached class and one larger one. */
static const struct smpheap_layout race_layout = {
    .name = "races",
    .origin = "test",
    .cores = 2,
    .bank_size = 4096,
    .sys_size = {1024, 1024},
    .class_count = 2,
    .classes = {{64, 256, 64}, {256, 64, 8}},
    .page_size = 256,
    .buffer_region_count = 1,
    /* the old 16 buffer pages plus the 256 of the old per-core block maps,
     * one pool shared by the runtime and buffer zones */
    .buffer_regions = {{SMPHEAP_CAP_HP, 16 + 256, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER}},
    .thread_slots = 8,
};

static unsigned rounds = 4000;

/* Rounds go on past `rounds` until OVERLAPS_WANTED of them overlapped (on
 * a loaded machine the two racers are often not running at once), for at
 * most RACE_SECONDS, and stop before `rounds` once RACE_SECONDS have passed
 * with OVERLAPS_NEEDED overlapped. A race that overlapped fewer than
 * OVERLAPS_NEEDED times did not test much: it fails (unless it found a bug
 * first). */
#define OVERLAPS_WANTED 300
#define OVERLAPS_NEEDED 30
#define RACE_SECONDS 5

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool keep_racing_for(const struct inflight *f, unsigned r, unsigned want, double started)
{
	double elapsed = now_seconds() - started;

	/* Out of time with the proof of racing in hand: enough (a loaded
	 * machine runs fewer rounds; `make test` must stay short). */
	if (elapsed >= RACE_SECONDS && f->rounds_overlapped >= OVERLAPS_NEEDED)
		return false;
	if (r < want)
		return true;
	return f->rounds_overlapped < OVERLAPS_WANTED && elapsed < RACE_SECONDS;
}

static bool keep_racing(const struct inflight *f, unsigned r, double started)
{
	return keep_racing_for(f, r, rounds, started);
}

static void check_raced(const char *name, const struct inflight *f, unsigned n, bool failed)
{
	printf("%s: %u of %u rounds overlapped\n", name, f->rounds_overlapped, n);
	CHECK(failed || f->rounds_overlapped >= OVERLAPS_NEEDED);
}

static size_t runtime_used(struct smpheap *h)
{
	struct smpheap_stats s;

	CHECK_EQ(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s), 0);
	return s.used;
}

static size_t runtime_bad_frees(struct smpheap *h)
{
	struct smpheap_stats s;

	CHECK_EQ(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s), 0);
	return s.bad_frees;
}

/* Between rounds, with nobody racing: the heap's invariants hold and it
 * holds exactly `live` runtime bytes. Counts the failures and says so. */
static bool quiescent_ok(struct smpheap *h, size_t live)
{
	if (smpheap_check(h) == 0 && runtime_used(h) == live)
		return true;
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(runtime_used(h), live);
	return false;
}

/* ---- 1: the holder and another thread free one block at once ---- */

#define KEEP 64 /* live blocks the holder keeps, to catch a block handed out twice */

static struct {
	struct smpheap *h;
	struct spin_barrier bar;
	struct inflight f;
	void *_Atomic block;
	_Atomic int rc_other;
	bool stop;
} r1;

static void *other_frees(void *arg)
{
	(void)arg;
	smpheap_host_bind(1);
	for (unsigned r = 0;; r++) {
		int rc;

		spin_wait(&r1.bar); /* the block is ready */
		if (r1.stop)
			return NULL;
		stagger(r, false);
		race_enter(&r1.f);
		rc = smpheap_free(r1.h, atomic_load(&r1.block));
		race_leave(&r1.f);
		atomic_store(&r1.rc_other, rc);
		spin_wait(&r1.bar); /* both frees done */
	}
}

/* No block may be live twice: a new block must be none of the kept ones,
 * and a kept block must still hold its tag. */
static bool handed_out_twice(void *const *keep, unsigned n, const void *p)
{
	for (unsigned i = 0; i < n; i++)
		if (keep[i] == p)
			return true;
	return false;
}

static void test_holder_double_free(void)
{
	pthread_t t;
	void *keep[KEEP] = {0};
	unsigned kept = 0, both_won = 0, none_won = 0, twice = 0, n = 0;
	bool failed = false;
	size_t bad_before;
	double started = now_seconds();

	memset(&r1, 0, sizeof(r1));
	r1.h = smpheap_host_create(&race_layout);
	CHECK(r1.h != NULL);
	if (!r1.h)
		return;
	r1.bar.n = 2;
	smpheap_host_bind(0);
	bad_before = runtime_bad_frees(r1.h);
	pthread_create(&t, NULL, other_frees, NULL);
	for (unsigned r = 0; keep_racing(&r1.f, r, started); r++) {
		void *p = smpheap_alloc(r1.h, SMPHEAP_ZONE_RUNTIME, 0, 64);
		unsigned slot = r % KEEP;
		int rc;

		n = r + 1;
		CHECK(p != NULL);
		if (handed_out_twice(keep, KEEP, p))
			twice++;
		atomic_store(&r1.block, p);
		spin_wait(&r1.bar);
		stagger(r, true);
		race_enter(&r1.f);
		rc = smpheap_free(r1.h, p); /* the holder: into its own word */
		race_leave(&r1.f);
		spin_wait(&r1.bar);
		if (rc == 0 && atomic_load(&r1.rc_other) == 0)
			both_won++;
		if (rc != 0 && atomic_load(&r1.rc_other) != 0)
			none_won++;
		CHECK(rc == 0 || rc == -EALREADY);
		race_round_end(&r1.f);
		/* Keep a block live for KEEP rounds: a block handed out twice
		 * shows up as a new block equal to a kept one. */
		if (keep[slot]) {
			CHECK_EQ(*(uint32_t *)keep[slot], r - KEEP);
			CHECK_EQ(smpheap_free(r1.h, keep[slot]), 0);
			kept--;
		}
		keep[slot] = smpheap_alloc(r1.h, SMPHEAP_ZONE_RUNTIME, 0, 64);
		CHECK(keep[slot] != NULL);
		if (keep[slot]) {
			for (unsigned i = 0; i < KEEP; i++)
				if (i != slot && keep[i] == keep[slot])
					twice++;
			*(uint32_t *)keep[slot] = r;
			kept++;
		}
		/* Quiescent: the heap holds exactly the kept blocks. */
		if (!quiescent_ok(r1.h, kept * 64u)) {
			failed = true;
			break;
		}
	}
	r1.stop = true;
	spin_wait(&r1.bar);
	pthread_join(t, NULL);
	printf("holder_double_free: %u rounds both frees got 0 (detected later), %u none\n",
	       both_won, none_won);
	CHECK_EQ(twice, 0);
	CHECK_EQ(none_won, 0); /* a block is never lost */
	/* Give the word back (rebinding does): every double free is found by
	 * then, so exactly one free per round ends up counted as bad. */
	smpheap_host_bind(1);
	smpheap_host_bind(0);
	CHECK_EQ(runtime_bad_frees(r1.h) - bad_before, n);
	for (unsigned i = 0; i < KEEP; i++)
		if (keep[i])
			CHECK_EQ(smpheap_free(r1.h, keep[i]), 0);
	CHECK_EQ(runtime_used(r1.h), 0);
	CHECK_EQ(smpheap_check(r1.h), 0);
	check_raced("holder_double_free", &r1.f, n, failed);
	smpheap_host_destroy(r1.h);
}

/* ---- 2: a double free while the holder gives its word back ---- */

/* Blocks of a held slab of 64-byte blocks: a slab holds a word of blocks
 * less its LIVE bit and two marks (lib/bitmap.h), all cached (cache_max 64). */
#define WORD_BLOCKS SMPH_SLAB_MAX_BLOCKS

static struct {
	struct smpheap *h;
	struct spin_barrier bar;
	struct inflight f;
	void *_Atomic block;
	_Atomic int rc_other;
	_Atomic unsigned accepted;
	bool stop;
} r2;

/* Frees, again, every block of the holder's word (all free in its cache):
 * a burst of double frees across the holder's give-back. */
static void *other_frees_again(void *arg)
{
	(void)arg;
	smpheap_host_bind(1);
	for (unsigned r = 0;; r++) {
		char *base;
		unsigned zeros = 0;

		spin_wait(&r2.bar);
		if (r2.stop)
			return NULL;
		base = atomic_load(&r2.block);
		stagger(r, false);
		race_enter(&r2.f);
		for (unsigned i = 0; i < WORD_BLOCKS; i++) {
			int rc = smpheap_free(r2.h, base + (size_t)i * 64);

			if (rc == 0)
				zeros++;
			else if (rc != -EALREADY)
				atomic_store(&r2.rc_other, rc);
		}
		race_leave(&r2.f);
		atomic_fetch_add(&r2.accepted, zeros);
		spin_wait(&r2.bar);
	}
}

static void test_giveback_double_free(void)
{
	pthread_t t;
	unsigned n = 0, big_n = 0;
	bool failed = false;
	size_t bad_before;
	double started;
	static void *big[512];

	memset(&r2, 0, sizeof(r2));
	r2.h = smpheap_host_create(&race_layout);
	CHECK(r2.h != NULL);
	if (!r2.h)
		return;
	r2.bar.n = 2;
	smpheap_host_bind(0);
	/* A word of 64-byte blocks in our cache, then 256-byte blocks until
	 * the pool has none: an allocation of one then fails, and before it
	 * fails it gives our cached words back (and nothing else it does takes
	 * long: no system call, unlike a rebind). */
	smpheap_free(r2.h, smpheap_alloc(r2.h, SMPHEAP_ZONE_RUNTIME, 0, 64));
	while (big_n < 512 &&
	       (big[big_n] = smpheap_alloc(r2.h, SMPHEAP_ZONE_RUNTIME, 0, 256)) != NULL)
		big_n++;
	CHECK(big_n >= 2 * 64 && big_n < 512);
	bad_before = runtime_bad_frees(r2.h);
	pthread_create(&t, NULL, other_frees_again, NULL);
	started = now_seconds();
	for (unsigned r = 0; keep_racing(&r2.f, r, started); r++) {
		/* A fresh word, all of it free in our cache again. */
		char *p = smpheap_alloc(r2.h, SMPHEAP_ZONE_RUNTIME, 0, 64);

		n = r + 1;
		CHECK(p != NULL);
		CHECK_EQ(smpheap_free(r2.h, p), 0);
		atomic_store(&r2.block, p);
		spin_wait(&r2.bar);
		stagger(r, true);
		race_enter(&r2.f);
		/* Fails, giving the word back first. */
		CHECK(smpheap_alloc(r2.h, SMPHEAP_ZONE_RUNTIME, 0, 256) == NULL);
		race_leave(&r2.f);
		spin_wait(&r2.bar);
		race_round_end(&r2.f);
		CHECK_EQ(atomic_load(&r2.rc_other), 0); /* only 0 and -EALREADY */
		if (!quiescent_ok(r2.h, big_n * 256u)) {
			failed = true;
			break;
		}
	}
	r2.stop = true;
	spin_wait(&r2.bar);
	pthread_join(t, NULL);
	/* A double free accepted in the give-back's window between its
	 * cached[] and leaf stores must be found by the give-back itself:
	 * every one of the other thread's frees ends up counted as bad. */
	printf("giveback_double_free: %u double frees got 0 (detected later)\n",
	       atomic_load(&r2.accepted));
	CHECK_EQ(runtime_bad_frees(r2.h) - bad_before, (size_t)n * WORD_BLOCKS);
	for (unsigned i = 0; i < big_n; i++)
		CHECK_EQ(smpheap_free(r2.h, big[i]), 0);
	CHECK_EQ(runtime_used(r2.h), 0);
	CHECK_EQ(smpheap_check(r2.h), 0);
	check_raced("giveback_double_free", &r2.f, n, failed);
	smpheap_host_destroy(r2.h);
}

/* ---- 3 and 4: core_down(1) against threads bound to core 1 ---- */

#define BATCH 48 /* blocks a bound thread holds when its core goes down */

enum down_mode { DOWN_FREES, DOWN_REBIND, DOWN_EXIT };

static struct {
	struct smpheap *h;
	struct spin_barrier bar;
	struct inflight f;
	enum down_mode mode;
	bool stop;
} r3;

/* Allocates a batch as core 1 (only while it is up), frees half (into the
 * cache), then, in the racing phase, frees the rest, rebinds or exits. */
/* check.h counts in plain variables: other threads count here. */
static _Atomic unsigned bound_failures;

static void bound_prepare(void **batch)
{
	for (unsigned i = 0; i < BATCH; i++) {
		batch[i] = smpheap_alloc(r3.h, SMPHEAP_ZONE_RUNTIME, 0, i % 3 ? 64 : 256);
		if (!batch[i])
			atomic_fetch_add(&bound_failures, 1);
	}
	for (unsigned i = 0; i < BATCH / 2; i++)
		if (smpheap_free(r3.h, batch[i]) != 0)
			atomic_fetch_add(&bound_failures, 1);
}

static void bound_free_rest(void **batch)
{
	for (unsigned i = BATCH / 2; i < BATCH; i++)
		if (smpheap_free(r3.h, batch[i]) != 0)
			atomic_fetch_add(&bound_failures, 1);
}

static void *bound_thread(void *arg)
{
	void *batch[BATCH];

	(void)arg;
	smpheap_host_bind(1);
	for (unsigned r = 0;; r++) {
		bound_prepare(batch);
		bound_free_rest(batch); /* all free: some in the cache */
		if (r3.mode == DOWN_FREES)
			bound_prepare(batch);
		spin_wait(&r3.bar); /* ready */
		if (r3.mode != DOWN_EXIT)
			stagger(r, false);
		race_enter(&r3.f);
		if (r3.mode == DOWN_FREES)
			bound_free_rest(batch);
		else if (r3.mode == DOWN_REBIND)
			smpheap_host_bind(0);
		else
			return NULL; /* the exit's cleanup gives the cache back */
		race_leave(&r3.f);
		spin_wait(&r3.bar); /* raced */
		spin_wait(&r3.bar); /* core 1 is up again */
		if (r3.stop)
			return NULL;
		if (r3.mode == DOWN_REBIND)
			smpheap_host_bind(1);
	}
}

static void test_core_down_against(enum down_mode mode, const char *name)
{
	pthread_t t;
	unsigned n = 0;
	bool failed = false;
	double started = now_seconds();

	memset(&r3, 0, sizeof(r3));
	r3.h = smpheap_host_create(&race_layout);
	CHECK(r3.h != NULL);
	if (!r3.h)
		return;
	r3.bar.n = 2;
	r3.mode = mode;
	smpheap_host_bind(0);
	if (mode != DOWN_EXIT)
		pthread_create(&t, NULL, bound_thread, NULL);
	for (unsigned r = 0; !r3.stop; r++) {
		n = r + 1;
		if (mode == DOWN_EXIT)
			pthread_create(&t, NULL, bound_thread, NULL);
		spin_wait(&r3.bar);
		if (mode == DOWN_EXIT) /* the exit's cleanup runs microseconds later */
			for (volatile unsigned i = 0; i < (r % 64) * 64; i++)
				;
		else
			stagger(r, true);
		race_enter(&r3.f);
		CHECK_EQ(smpheap_core_down(r3.h, 1), 0);
		race_leave(&r3.f);
		if (mode == DOWN_EXIT) {
			pthread_join(t, NULL);
			race_leave(&r3.f); /* the exited thread's side ends with its cleanup */
		} else {
			spin_wait(&r3.bar);
		}
		race_round_end(&r3.f);
		if (!quiescent_ok(r3.h, 0))
			failed = true;
		CHECK_EQ(smpheap_core_up(r3.h, 1), 0);
		/* A quarter of the rounds (a broken heap fails in the first
		 * few), an eighth with a thread per round to exit. */
		r3.stop = failed ||
			  !keep_racing_for(&r3.f, r + 1,
					   mode == DOWN_EXIT ? rounds / 8 : rounds / 4, started);
		if (mode != DOWN_EXIT)
			spin_wait(&r3.bar);
	}
	if (mode != DOWN_EXIT)
		pthread_join(t, NULL);
	CHECK_EQ(atomic_load(&bound_failures), 0);
	/* Every block came back: the whole shard can be powered off. */
	CHECK_EQ(smpheap_core_down(r3.h, 1), 0);
	CHECK_EQ(smpheap_core_sweep(r3.h, 1) >= 0, 1);
	CHECK_EQ(runtime_used(r3.h), 0);
	CHECK_EQ(smpheap_check(r3.h), 0);
	check_raced(name, &r3.f, n, failed);
	smpheap_host_destroy(r3.h);
}

/* ---- 5: heaps created while threads with slots exit ---- */

static struct {
	struct smpheap *keep; /* gives the exiting threads a slot */
	_Atomic bool stop;
	_Atomic unsigned exits;
} r5;

static void *short_lived(void *arg)
{
	(void)arg;
	smpheap_free(r5.keep, smpheap_alloc(r5.keep, SMPHEAP_ZONE_RUNTIME, 0, 64));
	atomic_fetch_add(&r5.exits, 1);
	return NULL; /* the exit walks the registry of heaps */
}

static void *spawner(void *arg)
{
	(void)arg;
	while (!atomic_load(&r5.stop)) {
		pthread_t t;

		pthread_create(&t, NULL, short_lived, NULL);
		pthread_join(t, NULL);
	}
	return NULL;
}

/* TSan sees the race if init publishes a heap before its slot count (in
 * every run with this many heaps; fewer missed it). */
#define INIT_ROUNDS 10000
static void test_init_vs_exit(void)
{
	pthread_t t;
	unsigned created = 0;
	double started = now_seconds();

	r5.keep = smpheap_host_create(&race_layout);
	CHECK(r5.keep != NULL);
	if (!r5.keep)
		return;
	pthread_create(&t, NULL, spawner, NULL);
	while ((created < INIT_ROUNDS || atomic_load(&r5.exits) < 100) &&
	       now_seconds() - started < RACE_SECONDS) {
		struct smpheap *h = smpheap_host_create(&race_layout);

		CHECK(h != NULL);
		smpheap_host_destroy(h);
		created++;
	}
	atomic_store(&r5.stop, true);
	pthread_join(t, NULL);
	printf("init_vs_exit: %u heaps created while %u threads exited\n", created,
	       atomic_load(&r5.exits));
	CHECK(atomic_load(&r5.exits) >= 100);
	CHECK_EQ(smpheap_check(r5.keep), 0);
	smpheap_host_destroy(r5.keep);
}

static const char *only; /* run only this race (argv[2]) */

static bool wanted(const char *name)
{
	return !only || !strcmp(only, name);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1)
		rounds = (unsigned)strtoul(argv[1], NULL, 10);
	if (!rounds)
		rounds = 1;
	only = argc > 2 ? argv[2] : NULL;
	if (wanted("holder_double_free"))
		test_holder_double_free();
	if (wanted("giveback_double_free"))
		test_giveback_double_free();
	if (wanted("down_frees"))
		test_core_down_against(DOWN_FREES, "down_frees");
	if (wanted("down_rebind"))
		test_core_down_against(DOWN_REBIND, "down_rebind");
	if (wanted("down_exit"))
		test_core_down_against(DOWN_EXIT, "down_exit");
	if (wanted("init_vs_exit"))
		test_init_vs_exit();
	return check_report("test_races");
}
