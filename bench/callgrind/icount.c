/* icount.c - instructions per operation, counted by callgrind (stable on
 * noisy machines, unlike times). Run it under
 *
 *	valgrind --tool=callgrind --collect-atstart=no ... smpheap-bench-icount
 *
 * (bench/callgrind/icount.py does, and turns the dumps into figures). Each
 * phase runs N operations between CALLGRIND_ZERO_STATS and
 * CALLGRIND_DUMP_STATS_AT("<phase>"); a baseline phase runs the same loop
 * around an empty function of the same shape, and the script subtracts it,
 * so a figure is the allocator's own instructions per operation (call and
 * return included, loop excluded). Host layout, one thread, warmed up.
 *
 * Phases (issue 2's figures, then the peers' 64 B pair for scale):
 *   sys_alloc            smpheap_alloc(SYS, 16)            vs base_direct
 *   runtime64_pair       smpheap_alloc(RUNTIME, 64) + free  vs base_direct_pair
 *   buffer4k_pair        smpheap_alloc(BUFFER, 4096) + free vs base_direct_pair
 *   buffer256k_pair      the same for 256 KiB (and tgl_* for both on tgl)
 *   runtime64_pair_nocache  the runtime pair with the word-claim cache off
 *   <strategy>_64_pair   through the strategy interface     vs base_iface_pair
 *                        (smpheap, blockmap-lock, the peers)
 * Without valgrind the client requests are no-ops and it just runs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "peers.h"
#include "smpheap/host.h"
#include "strategy.h"

#define N 20000
#define WARM 2000

/* the empty stand-ins the baselines call: same arguments, same call shape */
__attribute__((noinline)) static void *null_alloc(struct smpheap *h, enum smpheap_zone z,
						  uint32_t caps, size_t size)
{
	__asm__ __volatile__("" ::"r"(h), "r"(z), "r"(caps), "r"(size) : "memory");
	return h;
}

__attribute__((noinline)) static int null_free(struct smpheap *h, void *p)
{
	__asm__ __volatile__("" ::"r"(h), "r"(p) : "memory");
	return 0;
}

static void *(*volatile alloc_fn)(struct smpheap *, enum smpheap_zone, uint32_t, size_t);
static int (*volatile free_fn)(struct smpheap *, void *);

/* Calls go through volatile function pointers in both the measured and
 * the baseline loops, so both loops compile to the same code. */
__attribute__((noinline)) static void loop_alloc(struct smpheap *h, enum smpheap_zone z,
						 size_t size, unsigned n)
{
	void *(*a)(struct smpheap *, enum smpheap_zone, uint32_t, size_t) = alloc_fn;

	for (unsigned i = 0; i < n; i++)
		__asm__ __volatile__("" ::"r"(a(h, z, 0, size)) : "memory");
}

__attribute__((noinline)) static void loop_pair(struct smpheap *h, enum smpheap_zone z, size_t size,
						unsigned n)
{
	void *(*a)(struct smpheap *, enum smpheap_zone, uint32_t, size_t) = alloc_fn;
	int (*f)(struct smpheap *, void *) = free_fn;

	for (unsigned i = 0; i < n; i++)
		f(h, a(h, z, 0, size));
}

__attribute__((noinline)) static void loop_iface(struct strategy *s, size_t size, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		strategy_free(s, NULL, strategy_alloc(s, NULL, size, STRAT_RUNTIME), STRAT_RUNTIME);
}

static void *iface_null_alloc(struct strategy *s, void *t, size_t size, enum strat_kind k)
{
	(void)t;
	(void)size;
	(void)k;
	__asm__ __volatile__("" ::"r"(s) : "memory");
	return s;
}

static int iface_null_free(struct strategy *s, void *t, void *p, enum strat_kind k)
{
	(void)s;
	(void)t;
	(void)k;
	__asm__ __volatile__("" ::"r"(p) : "memory");
	return 0;
}

static const struct strategy_ops null_ops = {.alloc = iface_null_alloc, .free = iface_null_free};

static void phase_direct(const char *name, struct smpheap *h, enum smpheap_zone z, size_t size,
			 int pair, int real)
{
	alloc_fn = real ? smpheap_alloc : null_alloc;
	free_fn = real ? smpheap_free : null_free;
	if (pair)
		loop_pair(h, z, size, WARM);
	else if (real)
		smpheap_alloc(h, z, 0, size); /* first touch of the region */
	CALLGRIND_ZERO_STATS;
	if (pair)
		loop_pair(h, z, size, N);
	else
		loop_alloc(h, z, size, N);
	CALLGRIND_DUMP_STATS_AT(name);
}

static void phase_iface(const char *name, struct strategy *s)
{
	loop_iface(s, 64, WARM);
	CALLGRIND_ZERO_STATS;
	loop_iface(s, 64, N);
	CALLGRIND_DUMP_STATS_AT(name);
}

int main(int argc, char **argv)
{
	const struct smpheap_layout *l = smpheap_layout_by_name("host");
	struct smpheap *h;
	struct strategy smph, null = {.name = "null", .ops = &null_ops}, peer;
	char err[256], name[64];

	(void)argc;
	(void)argv;
	smpheap_host_bind(0);
	h = l ? smpheap_host_create(l) : NULL;
	if (!h) {
		fprintf(stderr, "smpheap-bench-icount: cannot create the host heap\n");
		return 1;
	}
	printf("icount: N=%d operations per phase\n", N);
	phase_direct("base_direct", h, SMPHEAP_ZONE_SYS, 16, 0, 0);
	phase_direct("sys_alloc", h, SMPHEAP_ZONE_SYS, 16, 0, 1);
	phase_direct("base_direct_pair", h, SMPHEAP_ZONE_RUNTIME, 64, 1, 0);
	phase_direct("runtime64_pair", h, SMPHEAP_ZONE_RUNTIME, 64, 1, 1);
	phase_direct("buffer4k_pair", h, SMPHEAP_ZONE_BUFFER, 4096, 1, 1);
	/* Issue 11's target: a run's cost must not grow with its length. */
	phase_direct("buffer256k_pair", h, SMPHEAP_ZONE_BUFFER, 256 * 1024, 1, 1);
	{
		/* The same two on the DSP layout (256-byte pages). */
		struct smpheap *ht = smpheap_host_create(smpheap_layout_by_name("tgl"));

		if (!ht) {
			fprintf(stderr, "smpheap-bench-icount: cannot create the tgl heap\n");
			return 1;
		}
		phase_direct("tgl_buffer4k_pair", ht, SMPHEAP_ZONE_BUFFER, 4096, 1, 1);
		phase_direct("tgl_buffer256k_pair", ht, SMPHEAP_ZONE_BUFFER, 256 * 1024, 1, 1);
		smpheap_host_destroy(ht);
	}
	{
		/* The same pair with the word-claim cache off: the pure
		 * lock-free path (one CAS to claim, one OR to release). */
		static struct smpheap_layout nocache;
		struct smpheap *hn;

		nocache = *l;
		nocache.name = "host-nocache";
		for (unsigned k = 0; k < nocache.class_count; k++)
			nocache.classes[k].cache_max = 0;
		hn = smpheap_host_create(&nocache);
		if (!hn) {
			fprintf(stderr,
				"smpheap-bench-icount: cannot create the host-nocache heap\n");
			return 1;
		}
		phase_direct("runtime64_pair_nocache", hn, SMPHEAP_ZONE_RUNTIME, 64, 1, 1);
		smpheap_host_destroy(hn);
	}

	phase_iface("base_iface_pair", &null);
	strategy_smpheap_init(&smph, h, NULL);
	phase_iface("smpheap_64_pair", &smph);
	{
		size_t len = blockmap_lock_size(l);
		void *mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
		struct strategy bml;

		if (!mem || strategy_blockmap_lock_init(&bml, mem, len, l)) {
			fprintf(stderr, "icount: cannot build blockmap-lock\n");
			return 1;
		}
		phase_iface("blockmap-lock_64_pair", &bml);
		free(mem);
	}
	for (int i = 0; i < PEER_COUNT; i++) {
		if (strategy_peer_init(&peer, (enum peer_id)i, err, sizeof(err))) {
			fprintf(stderr, "icount: %s left out: %s\n", peer_name((enum peer_id)i),
				err);
			continue;
		}
		snprintf(name, sizeof(name), "%s_64_pair", peer_name((enum peer_id)i));
		phase_iface(name, &peer);
		printf("icount: %s = %s\n", peer_name((enum peer_id)i), peer.version);
	}
	if (smpheap_check(h)) {
		fprintf(stderr, "icount: smpheap_check failed\n");
		return 1;
	}
	return 0;
}
