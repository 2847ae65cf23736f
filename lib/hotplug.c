/* hotplug.c - cores going down and coming back, and banks powering off.
 *
 * core_down(c), in this order:
 *   1. the core goes offline (core_is_up says so; a second down is refused);
 *   2. c's current slabs stop being current (all-free ones go back to the
 *      pool); threads' caches are never touched here: a thread bound to c
 *      gives its words back itself (at its next refill, exit or rebind), so
 *      those may run alongside;
 *   3. the system heap is reset (exchange to DOWN|0: a racing bump fails);
 *   4. a grace period, then the system heap's banks are powered off;
 *   5. every pool bank whose pages are all free is powered off too
 *      (smpheap_bank_sweep(), which has its own grace period), whichever
 *      core used it. Frees of c's blocks from other cores go on meanwhile:
 *      a slab is no core's, only pages of the shared pool.
 *
 * Only one controller may take a given core down or up at a time, and no
 * thread may allocate as that core while it goes down (see smpheap.h).
 */
#include <errno.h>

#include "runtime.h"

static bool heap_ok(const struct smpheap *h, unsigned core)
{
	return h && h->magic == SMPH_MAGIC && core < h->cores;
}

/* The banks of core's system heap: [*first, *first + *n). */
static void sys_banks(const struct smpheap *h, unsigned core, uint32_t *first, uint32_t *n)
{
	size_t bank = (size_t)1 << h->bank_shift;

	*first = (uint32_t)((h->sys[core].base - h->zones_base) >> h->bank_shift);
	*n = (uint32_t)(smph_align_up(h->sys[core].size, bank) >> h->bank_shift);
}

static void power_sys(struct smpheap *h, unsigned core, bool on)
{
	uint32_t first, n;

	sys_banks(h, core, &first, &n);
	for (uint32_t b = first; b < first + n; b++) {
		void *a = (void *)(h->zones_base + ((uintptr_t)b << h->bank_shift));

		/* Relaxed: only the core's one controller changes these. */
		if (smph_load(&h->bank_off[b], smph_relaxed) == !on)
			continue;
		smph_platform_bank_power(a, (size_t)1 << h->bank_shift, on);
		smph_store(&h->bank_off[b], on ? 0 : 1, smph_relaxed);
		if (on) {
			smph_fetch_sub(&h->banks_off, 1, smph_relaxed);
		} else {
			smph_fetch_add(&h->banks_off, 1, smph_relaxed);
			smph_fetch_add(&h->bank_release_count, 1, smph_relaxed);
		}
	}
}

int smpheap_core_down(struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	/* seq_cst: the store must be visible to every read-side section that
	 * begins after the grace period below starts. */
	if (!smph_exchange(&h->core[core].online, 0, smph_seq_cst))
		return -EALREADY;
	smph_sample_peak(h, SMPHEAP_ZONE_SYS);
	/* Threads' caches are theirs alone: a thread bound to this core may
	 * be freeing into its cache, exiting or rebinding right now. Each
	 * gives its words back itself (at its next refill, exit or rebind);
	 * their slabs stay cut until then, and a later sweep powers their
	 * banks off. */
	smph_runtime_core_release(h, core);
	smph_sys_reset(&h->sys[core]);
	smph_platform_synchronize();
	power_sys(h, core, false);
	smph_pool_sweep(h);
	return 0;
}

int smpheap_core_sweep(struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	if (smph_load(&h->core[core].online, smph_relaxed))
		return -EAGAIN;
	return smph_pool_sweep(h);
}

int smpheap_bank_sweep(struct smpheap *h)
{
	if (!h || h->magic != SMPH_MAGIC)
		return -EINVAL;
	return smph_pool_sweep(h);
}

int smpheap_core_up(struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	if (smph_load(&h->core[core].online, smph_relaxed))
		return -EALREADY;
	power_sys(h, core, true);
	/* A core coming up will want memory: the banks the sweep took go back
	 * into the pool now rather than at the first exhaustion. */
	smph_pool_wake(h);
	smph_sys_restart(&h->sys[core]);
	/* Release: whoever sees the core up sees its banks powered on. */
	smph_store(&h->core[core].online, 1, smph_release);
	return 0;
}

int smpheap_core_is_up(const struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	return (int)smph_load(&h->core[core].online, smph_relaxed);
}
