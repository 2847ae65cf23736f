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
 * return included, loop excluded): the loops are the suite's one
 * (bench/common/icount_loop.c), which the Xtensa bench times with CCOUNT.
 * Host layout, one thread, warmed up.
 *
 * Phases (issue 2's figures, then the peers' 64 B pair for scale):
 *   sys_alloc            smpheap_alloc(SYS, 16)            vs base_direct
 *   runtime64_pair       smpheap_alloc(RUNTIME, 64) + free  vs base_direct_pair
 *   buffer4k_pair        smpheap_alloc(BUFFER, 4096) + free vs base_direct_pair
 *   buffer256k_pair      the same for 256 KiB (and tgl_* for both on tgl)
 *   runtime64_pair_nocache  the runtime pair with the word-claim cache off
 *   tgl_runtime64_pair   the same on the tgl layout (issue 12's pure path)
 *   <strategy>_64_pair   through the strategy interface     vs base_iface_pair
 *                        (smpheap, blockmap-lock, tlsf-lock,
 *                        sysheap-lock, the peers)
 * Without valgrind the client requests are no-ops and it just runs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "icount_loop.h"
#include "peers.h"
#include "smpheap/host.h"
#include "strategy.h"

#define N 20000
#define WARM 2000

static void phase_direct(const char *name, struct smpheap *h, enum smpheap_zone z, size_t size,
			 int pair, int real)
{
	icount_direct_use(real);
	if (pair)
		icount_direct_pairs(h, z, size, WARM);
	else if (real)
		smpheap_alloc(h, z, 0, size); /* first touch of the region */
	CALLGRIND_ZERO_STATS;
	if (pair)
		icount_direct_pairs(h, z, size, N);
	else
		icount_direct_allocs(h, z, size, N);
	CALLGRIND_DUMP_STATS_AT(name);
}

static void phase_iface(const char *name, struct strategy *s)
{
	icount_strategy_pairs(s, NULL, 64, STRAT_RUNTIME, WARM);
	CALLGRIND_ZERO_STATS;
	icount_strategy_pairs(s, NULL, 64, STRAT_RUNTIME, N);
	CALLGRIND_DUMP_STATS_AT(name);
}

/* The runtime 64 B pair on a copy of layout `from` with the word-claim
 * cache off (the pure lock-free path: one CAS to claim, one OR to release),
 * as phase `name`. 0, or 1 when the heap cannot be built. */
static int phase_pure(const char *name, const struct smpheap_layout *from,
		      struct smpheap_layout *copy, const char *copy_name)
{
	struct smpheap *h;

	if (!from)
		return 1;
	*copy = *from;
	copy->name = copy_name;
	for (unsigned k = 0; k < copy->class_count; k++)
		copy->classes[k].cache_max = 0;
	h = smpheap_host_create(copy);
	if (!h) {
		fprintf(stderr, "smpheap-bench-icount: cannot create the %s heap\n", copy_name);
		return 1;
	}
	phase_direct(name, h, SMPHEAP_ZONE_RUNTIME, 64, 1, 1);
	smpheap_host_destroy(h);
	return 0;
}

int main(int argc, char **argv)
{
	const struct smpheap_layout *l = smpheap_layout_by_name("host");
	struct smpheap *h;
	struct strategy smph, null, peer;
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

		if (phase_pure("runtime64_pair_nocache", l, &nocache, "host-nocache"))
			return 1;
	}
	{
		/* Issue 12's DSP path on the host: the tgl layout, cache off
		 * (the pure path bare metal runs). */
		static struct smpheap_layout tgl_pure;

		if (phase_pure("tgl_runtime64_pair", smpheap_layout_by_name("tgl"), &tgl_pure,
			       "tgl-nocache"))
			return 1;
	}

	icount_null_strategy_init(&null);
	phase_iface("base_iface_pair", &null);
	strategy_smpheap_init(&smph, h, NULL);
	phase_iface("smpheap_64_pair", &smph);
	for (unsigned i = 0; i < strategy_bounded_count; i++) {
		size_t len = strategy_bounded_list[i].size(l);
		void *mem = aligned_alloc(64, (len + 63) & ~(size_t)63);
		struct strategy bs;

		if (!mem || strategy_bounded_list[i].init(&bs, mem, len, l)) {
			fprintf(stderr, "icount: cannot build %s\n", strategy_bounded_list[i].name);
			return 1;
		}
		snprintf(name, sizeof(name), "%s_64_pair", strategy_bounded_list[i].name);
		phase_iface(name, &bs);
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
