/* test_strategies.c - every strategy allocates, keeps contents, and frees:
 * one thread with many live blocks of many sizes; then, for the bounded
 * ones (smpheap, blockmap-lock), four threads with cross-thread frees
 * through the handoff ring, exhaustion and recovery, and invariants after. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "peers.h"
#include "rng.h"
#include "smpheap/host.h"
#include "spsc_ring.h"
#include "workloads.h"

#define LIVE 600

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;

#define TCHECK(cond)                                                                               \
	do {                                                                                       \
		pthread_mutex_lock(&check_lock);                                                   \
		CHECK(cond);                                                                       \
		pthread_mutex_unlock(&check_lock);                                                 \
	} while (0)

static size_t rsize(rng_t *x)
{
	/* 16 B .. 128 KiB, log-uniform */
	return (size_t)rng_log_size(x, 4, 17);
}

static void fill(void *p, size_t n, unsigned char tag)
{
	memset(p, tag, n);
}

static int intact(const void *p, size_t n, unsigned char tag)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != tag)
			return 0;
	return 1;
}

static void single_thread(struct strategy *s)
{
	static void *p[LIVE];
	static size_t n[LIVE];
	rng_t x = rng_seed(88172645463325252ull, 0);
	void *t = s->ops->thread_init(s, 0, 0);
	unsigned got = 0;

	for (unsigned i = 0; i < LIVE; i++) {
		n[i] = rsize(&x) / (s->bounded ? 4 : 1);
		p[i] = strategy_alloc(s, t, n[i], strategy_kind_for(s, n[i]));
		if (!p[i])
			continue;
		got++;
		TCHECK(s->ops->owns(s, p[i]));
		fill(p[i], n[i], (unsigned char)i);
	}
	TCHECK(got > LIVE / 2);
	for (unsigned i = 0; i < LIVE; i++)
		if (p[i])
			TCHECK(intact(p[i], n[i], (unsigned char)i));
	for (unsigned i = 0; i < LIVE; i += 2)
		if (p[i])
			strategy_free(s, t, p[i], strategy_kind_for(s, n[i]));
	for (unsigned i = 1; i < LIVE; i += 2)
		if (p[i]) {
			TCHECK(intact(p[i], n[i], (unsigned char)i));
			strategy_free(s, t, p[i], strategy_kind_for(s, n[i]));
		}
	if (s->bounded) {
		TCHECK(s->ops->used(s, STRAT_RUNTIME) == 0);
		TCHECK(s->ops->used(s, STRAT_BUFFER) == 0);
		TCHECK(s->ops->check(s) == 0);
		/* system blocks: allocated, never freed, dropped by a reset */
		void *a = strategy_alloc(s, t, 100, STRAT_SYS);
		TCHECK(a != NULL);
		if (a)
			fill(a, 100, 0x5a);
		TCHECK(s->ops->used(s, STRAT_SYS) >= 100);
		s->ops->sys_reset(s, 0);
		TCHECK(s->ops->used(s, STRAT_SYS) == 0);
	}
	s->ops->thread_fini(s, t);
}

static void exhaust(struct strategy *s)
{
	static void *p[1 << 16];
	unsigned n = 0;
	void *t = s->ops->thread_init(s, 0, 0);

	while (n < (1u << 16) && (p[n] = strategy_alloc(s, t, 4096, STRAT_BUFFER)))
		n++;
	TCHECK(n > 0 && n < (1u << 16));
	TCHECK(s->ops->largest_free(s, STRAT_BUFFER) < 4096);
	for (unsigned i = 0; i < n; i++)
		strategy_free(s, t, p[i], STRAT_BUFFER);
	TCHECK(s->ops->used(s, STRAT_BUFFER) == 0);
	TCHECK(s->ops->largest_free(s, STRAT_BUFFER) >= 4096);
	p[0] = strategy_alloc(s, t, 4096, STRAT_BUFFER);
	TCHECK(p[0] != NULL);
	strategy_free(s, t, p[0], STRAT_BUFFER);
	TCHECK(s->ops->check(s) == 0);
	s->ops->thread_fini(s, t);
}

struct mt {
	struct strategy *s;
	unsigned id;
};

#define RING_SLOTS 64

static struct ring {
	struct spsc_ring idx;
	void *slot[RING_SLOTS];
} rings[2];

/* Threads 0 and 2 produce, 1 and 3 consume and free what they are handed;
 * everyone also allocates and frees privately, checking contents. */
static void *mt_main(void *arg)
{
	struct mt *m = arg;
	struct strategy *s = m->s;
	void *t;
	rng_t x = rng_seed(0x1234567ull, m->id);
	struct ring *r = &rings[m->id / 2];
	unsigned slot;
	bool producer = m->id % 2 == 0;

	smpheap_host_bind(m->id);
	t = s->ops->thread_init(s, m->id, m->id);
	for (unsigned i = 0; i < 20000; i++) {
		size_t n = 16 + rng_below(&x, 2000);
		void *p = strategy_alloc(s, t, n, strategy_kind_for(s, n));

		if (p) {
			fill(p, n, (unsigned char)(m->id * 31 + i));
			if (!intact(p, n, (unsigned char)(m->id * 31 + i)))
				TCHECK(0);
			strategy_free(s, t, p, strategy_kind_for(s, n));
		}
		if (producer) {
			void *q = strategy_alloc(s, t, 64, STRAT_RUNTIME);

			if (q)
				fill(q, 64, 0xa5);
			while (!spsc_ring_reserve(&r->idx, RING_SLOTS, &slot))
				;
			r->slot[slot] = q;
			spsc_ring_publish(&r->idx);
		} else {
			void *q;

			while (!spsc_ring_peek(&r->idx, RING_SLOTS, &slot))
				;
			q = r->slot[slot];
			spsc_ring_consume(&r->idx);
			if (q) {
				if (!intact(q, 64, 0xa5))
					TCHECK(0);
				strategy_free(s, t, q, STRAT_RUNTIME);
			}
		}
	}
	s->ops->thread_fini(s, t);
	return NULL;
}

static void threads(struct strategy *s)
{
	pthread_t th[4];
	struct mt m[4];

	for (unsigned i = 0; i < 4; i++) {
		m[i] = (struct mt){s, i};
		pthread_create(&th[i], NULL, mt_main, &m[i]);
	}
	for (unsigned i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	TCHECK(s->ops->used(s, STRAT_RUNTIME) == 0);
	TCHECK(s->ops->used(s, STRAT_BUFFER) == 0);
	TCHECK(s->ops->check(s) == 0);
}

static void floors(struct strategy *s)
{
	void *t = s->ops->thread_init(s, 0, 0);
	void *a = strategy_alloc(s, t, 64, STRAT_RUNTIME);
	void *b = strategy_alloc(s, t, 64, STRAT_RUNTIME);

	TCHECK(a && b && a != b);
	TCHECK(s->ops->owns(s, a));
	strategy_free(s, t, a, STRAT_RUNTIME);
	/* the lowest free bit again */
	TCHECK(strategy_alloc(s, t, 64, STRAT_RUNTIME) == a);
	strategy_free(s, t, a, STRAT_RUNTIME);
	strategy_free(s, t, b, STRAT_RUNTIME);
}

int main(void)
{
	static struct strategy fa, fp, sh, st, bh, bt, peer;
	char err[256];
	const char *layouts[] = {"host", "tgl"};
	struct strategy *smph[] = {&sh, &st}, *bml[] = {&bh, &bt};

	smpheap_host_bind(0); /* this thread is core 0: sys_reset(0) drops its system blocks */
	strategy_floor_atomic_init(&fa);
	strategy_floor_plain_init(&fp);
	floors(&fa);
	floors(&fp);
	for (unsigned i = 0; i < 2; i++) {
		const struct smpheap_layout *l = smpheap_layout_by_name(layouts[i]);
		size_t len = blockmap_lock_size(l);
		void *mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
		struct smpheap *h = smpheap_host_create(l);

		CHECK(h != NULL);
		CHECK(strategy_blockmap_lock_init(bml[i], mem, len, l) == 0);
		if (!h)
			continue;
		strategy_smpheap_init(smph[i], h, NULL);
		printf("%s: %s / %s\n", layouts[i], smph[i]->version, bml[i]->version);
		single_thread(smph[i]);
		single_thread(bml[i]);
		threads(smph[i]);
		threads(bml[i]);
	}
	/* exhaustion on the small layout */
	exhaust(&st);
	exhaust(&bt);
	/* the peers: each one's blocks are its own (peer_verify), contents kept
	 * (not under sanitizers: they refuse RTLD_DEEPBIND) */
#ifdef BENCH_NO_PEERS
	(void)peer;
	(void)err;
	for (int i = 0; i < 0; i++) {
#else
	for (int i = 0; i < PEER_COUNT; i++) {
#endif
		int r = strategy_peer_init(&peer, (enum peer_id)i, err, sizeof(err));

		if (r)
			printf("%s: %s\n", peer_name((enum peer_id)i), err);
		CHECK_EQ(r, 0);
		if (r)
			continue;
		printf("%s\n", peer.version);
		single_thread(&peer);
	}
	return check_report("bench_strategies");
}
