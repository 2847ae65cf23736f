/* The heap on 4 de212 cores at once (S32C1I atomics, multi-threaded TCG),
 * through the public API only, on the tgl layout.
 *
 * Phase 1: every core allocates runtime and buffer blocks of mixed sizes,
 * fills each with a pattern naming it, and hands it to the next core through
 * a ring; the receiver checks the pattern and frees it (a cross-core free).
 * Two live blocks that overlapped, or a block handed out twice, would show as
 * a damaged pattern. Phase 2: core 3 holds blocks and goes down (core 0 is
 * the controller); cores 1 and 2 free core 3's blocks while they go on
 * working, core 0 sweeps meanwhile, then every bank of core 3 must be off.
 * Core 3 comes back up and allocates again. At the end every zone is empty,
 * the counts match, and smpheap_check() passes. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "../../../tests/check.h"
#include "smpheap/smpheap.h"
#include "smpheap/xtensa.h"
#include "tgl/memory.h"

#define CORES 4
#define PHASE1_OPS 20000
#define PHASE2_OPS 8000
#define HELD 40
#define RING 32 /* power of two */

struct item {
	uint32_t *p;  /* block */
	uint32_t len; /* bytes filled */
	uint32_t tag; /* pattern seed */
};

struct ring {
	_Alignas(32) _Atomic unsigned head; /* next to pop: the receiver writes */
	_Alignas(32) _Atomic unsigned tail; /* next to push: the sender writes */
	struct item slot[RING];
};

static unsigned char arena[4u << 20] __attribute__((aligned(64 * 1024)));
static struct smpheap *h;
static struct ring rings[CORES]; /* rings[c]: into core c */
static struct item held[HELD];	 /* core 3's blocks while it is down */
static _Atomic uint32_t bad_pattern, bad_free, bad_usable, nulls, allocs, frees, down_frees;

static const uint32_t rt_sizes[] = {16,	 48,  64,  100,	 128,  200, 256,
				    500, 600, 768, 1000, 2048, 4096};
static const uint32_t buf_sizes[] = {256, 1000, 3000, 8192};

static void fill(const struct item *it)
{
	for (uint32_t i = 0; i < it->len / 4; i++)
		it->p[i] = it->tag ^ (i * 0x9e3779b1u);
}

static void check_and_free(const struct item *it, bool from_down_core)
{
	for (uint32_t i = 0; i < it->len / 4; i++)
		if (it->p[i] != (it->tag ^ (i * 0x9e3779b1u))) {
			atomic_fetch_add(&bad_pattern, 1);
			break;
		}
	if (smpheap_free(h, it->p) != 0)
		atomic_fetch_add(&bad_free, 1);
	atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
	if (from_down_core)
		atomic_fetch_add_explicit(&down_frees, 1, memory_order_relaxed);
}

static bool push(struct ring *r, const struct item *it)
{
	unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (t - atomic_load_explicit(&r->head, memory_order_acquire) == RING)
		return false;
	r->slot[t % RING] = *it;
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

static bool pop(struct ring *r, struct item *it)
{
	unsigned hd = atomic_load_explicit(&r->head, memory_order_relaxed);
	if (hd == atomic_load_explicit(&r->tail, memory_order_acquire))
		return false;
	*it = r->slot[hd % RING];
	atomic_store_explicit(&r->head, hd + 1, memory_order_release);
	return true;
}

static bool alloc_item(unsigned core, uint32_t *rng, struct item *it)
{
	*rng = *rng * 1664525u + 1013904223u;
	uint32_t r = *rng >> 8;
	bool buffer = (r & 7) == 0;
	uint32_t size = buffer ? buf_sizes[(r >> 3) % 4] : rt_sizes[(r >> 3) % 13];
	void *p = smpheap_alloc(h, buffer ? SMPHEAP_ZONE_BUFFER : SMPHEAP_ZONE_RUNTIME, 0, size);
	if (!p) {
		atomic_fetch_add_explicit(&nulls, 1, memory_order_relaxed);
		return false;
	}
	if (smpheap_usable_size(h, p) < size)
		atomic_fetch_add(&bad_usable, 1);
	atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
	it->p = p;
	it->len = size;
	it->tag = (core << 28) ^ *rng;
	fill(it);
	return true;
}

struct work {
	unsigned ops;	    /* operations */
	unsigned to[CORES]; /* ring each core hands its blocks to */
	bool free_held;	    /* cores 1 and 2 also free core 3's held blocks */
};
static struct work work;
static _Atomic unsigned ready;

static void worker(unsigned core, void *arg)
{
	struct work *w = arg;
	uint32_t rng = 0x1234567u * (core + 1);
	struct item it;
	atomic_fetch_add(&ready, 1);
	for (unsigned i = 0; i < w->ops; i++) {
		if (w->free_held && i % 50 == 0) {
			/* core 1 frees the even held blocks, core 2 the odd ones */
			unsigned k = (i / 50) * 2 + (core - 1);
			if (k < HELD)
				check_and_free(&held[k], true);
		}
		for (int d = 0; d < 2 && pop(&rings[core], &it); d++)
			check_and_free(&it, false);
		if (alloc_item(core, &rng, &it) && !push(&rings[w->to[core]], &it))
			check_and_free(&it, false);
	}
}

static void hold_blocks(unsigned core, void *arg)
{
	(void)arg;
	uint32_t rng = 0xabcdefu;
	for (unsigned k = 0; k < HELD;)
		if (alloc_item(core, &rng, &held[k]))
			k++;
}

static void drain_all(void)
{
	struct item it;
	for (unsigned c = 0; c < CORES; c++)
		while (pop(&rings[c], &it))
			check_and_free(&it, false);
}

static void zone_empty(enum smpheap_zone z)
{
	struct smpheap_stats st;
	CHECK_EQ(smpheap_stats(h, z, &st), 0);
	CHECK_EQ(st.used, 0);
	CHECK_EQ(st.bad_frees, 0);
}

int main(void)
{
	const struct smpheap_layout *l = &smpheap_layout_tgl;
	if (smpheap_xtensa_cores() != CORES || l->cores != CORES ||
	    smpheap_xtensa_cores_up() != CORES) {
		printf("FAIL: needs %u cores, %u came up (qemu -smp?)\n", CORES,
		       smpheap_xtensa_cores_up());
		return 1;
	}
	size_t need = smpheap_size(l);
	CHECK(need && need <= sizeof(arena));
	h = smpheap_init(arena, need, l);
	CHECK(h != NULL);
	if (!h)
		return check_report("xtensa_smp_heap");

	/* Phase 1: a ring 0 -> 1 -> 2 -> 3 -> 0, all four cores at once. */
	work = (struct work){.ops = PHASE1_OPS, .to = {1, 2, 3, 0}};
	for (unsigned c = 1; c < CORES; c++)
		CHECK_EQ(smpheap_xtensa_run(c, worker, &work), 0);
	worker(0, &work);
	for (unsigned c = 1; c < CORES; c++)
		smpheap_xtensa_join(c);
	drain_all();
	CHECK_EQ(atomic_load(&ready), CORES);
	CHECK_EQ(smpheap_check(h), 0);
	uint32_t phase1_allocs = atomic_load(&allocs);

	/* Phase 2: core 3 holds blocks and goes down while 1 and 2 free them. */
	CHECK_EQ(smpheap_xtensa_run(3, hold_blocks, NULL), 0);
	smpheap_xtensa_join(3);
	size_t off0 = smpheap_xtensa_bytes_powered_off();
	CHECK_EQ(smpheap_core_down(h, 3), 0);
	CHECK_EQ(smpheap_core_is_up(h, 3), 0);
	CHECK_EQ(smpheap_core_down(h, 3), -EALREADY);
	work = (struct work){.ops = PHASE2_OPS, .to = {0, 2, 1, 0}, .free_held = true};
	for (unsigned c = 1; c <= 2; c++)
		CHECK_EQ(smpheap_xtensa_run(c, worker, &work), 0);
	unsigned sweeps = 0;
	int released = 0;
	while (atomic_load(&down_frees) < HELD) {
		int r = smpheap_core_sweep(h, 3); /* concurrent with the frees */
		CHECK(r >= 0);
		released += r > 0 ? r : 0;
		sweeps++;
	}
	for (unsigned c = 1; c <= 2; c++)
		smpheap_xtensa_join(c);
	drain_all();
	int r = smpheap_core_sweep(h, 3);
	CHECK(r >= 0);
	released += r > 0 ? r : 0;
	/* Nothing of core 3 is live now: every bank of its group is off. The
	 * group's bank count: a fresh core_down with nothing live releases
	 * every one of them, so going up and down again must release exactly
	 * as many as the sweeps left off (no more: none was left on). */
	struct smpheap_stats st;
	CHECK_EQ(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &st), 0);
	size_t off_bytes = smpheap_xtensa_bytes_powered_off() - off0;
	size_t swept_off = st.banks_released;
	CHECK(swept_off >= 1);
	CHECK_EQ(off_bytes, swept_off * l->bank_size);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_core_up(h, 3), 0);
	CHECK_EQ(smpheap_core_down(h, 3), 0);
	CHECK_EQ(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &st), 0);
	CHECK_EQ(st.banks_released, swept_off);

	/* Core 3 comes back and works again, on memory that was powered off. */
	CHECK_EQ(smpheap_core_up(h, 3), 0);
	CHECK_EQ(smpheap_core_is_up(h, 3), 1);
	work = (struct work){.ops = 1000, .to = {3, 3, 3, 3}};
	CHECK_EQ(smpheap_xtensa_run(3, worker, &work), 0);
	smpheap_xtensa_join(3);
	drain_all();

	CHECK_EQ(atomic_load(&bad_pattern), 0);
	CHECK_EQ(atomic_load(&bad_free), 0);
	CHECK_EQ(atomic_load(&bad_usable), 0);
	CHECK_EQ(atomic_load(&down_frees), HELD);
	CHECK_EQ(atomic_load(&allocs), atomic_load(&frees));
	zone_empty(SMPHEAP_ZONE_RUNTIME);
	zone_empty(SMPHEAP_ZONE_BUFFER);
	CHECK_EQ(smpheap_check(h), 0);
	printf("phase 1: %lu blocks across 4 cores; phase 2: %u sweeps while core 3 was down, "
	       "%d banks released by sweeps, %lu bytes powered off; %lu NULLs (exhaustion)\n",
	       (unsigned long)phase1_allocs, sweeps, released, (unsigned long)off_bytes,
	       (unsigned long)atomic_load(&nulls));
	return check_report("xtensa_smp_heap");
}
