/* hotplug.c - cores going down and coming back.
 *
 * core_down(c), in this order:
 *   1. the shard goes offline (no new claims from stealers that look now);
 *   2. the system heap is reset (exchange to DOWN|0: a racing bump fails);
 *   3. a grace period: stealers that saw the shard online before step 1 are
 *      inside an RCU read-side section (runtime.c, steal()); once the grace
 *      period ends none can still be claiming from the shard;
 *   4. every bank of the core's group whose blocks are all free in the
 *      shard's bitmap is powered off. Frees of the shard's blocks go on
 *      meanwhile, from any thread, also from threads bound to the core (they
 *      only set bitmap bits or write their own caches, all outside the
 *      banks); a bank holding a live block, or a block free in some thread's
 *      cache, stays on, and smpheap_core_sweep() can release it later.
 *
 * core_down never touches a thread's cache: a thread bound to the core gives
 * its words back itself, at its next refill (which sees the shard offline),
 * its exit or its rebind, so those may run alongside. Only one controller
 * may take a given core down or up at a time, and no thread may allocate as
 * that core while it goes down (see smpheap.h).
 */
#include <errno.h>

#include "tcache.h"

static bool heap_ok(const struct smpheap *h, unsigned core)
{
	return h && h->magic == SMPH_MAGIC && core < h->cores;
}

/* Powers off the free banks of core's group; returns how many. */
static int release_free_banks(struct smpheap *h, unsigned core)
{
	size_t bank = h->layout->bank_size;
	int released = 0;

	for (uintptr_t lo = h->sys[core].base; lo < h->group_end[core]; lo += bank) {
		uint32_t b = (uint32_t)((lo - h->zones_base) >> h->bank_shift);

		if (h->bank_off[b] || !smph_runtime_range_free(h, core, lo, lo + bank))
			continue;
		smph_platform_bank_power((void *)lo, bank, false);
		h->bank_off[b] = 1;
		/* Relaxed: statistics. */
		atomic_fetch_add_explicit(&h->banks_off, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&h->bank_release_count, 1, memory_order_relaxed);
		released++;
	}
	return released;
}

int smpheap_core_down(struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	/* seq_cst: the store must be visible to every read-side section that
	 * begins after the grace period below starts (liburcu's synchronize
	 * adds the barriers it needs; this keeps the order on any platform). */
	if (!atomic_exchange_explicit(&h->shards[core].online, 0, memory_order_seq_cst))
		return -EALREADY;
	smph_sample_peak(h, SMPHEAP_ZONE_SYS);
	/* Threads' caches are theirs alone: a thread bound to this core may
	 * be freeing into its cache, exiting or rebinding right now. Each
	 * gives its words of this shard back itself (at its next refill, exit
	 * or rebind); their banks stay on until then, and core_sweep()
	 * powers them off after. */
	smph_sys_reset(&h->sys[core]);
	smph_platform_synchronize();
	release_free_banks(h, core);
	return 0;
}

int smpheap_core_sweep(struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	if (atomic_load_explicit(&h->shards[core].online, memory_order_relaxed))
		return -EAGAIN;
	return release_free_banks(h, core);
}

int smpheap_core_up(struct smpheap *h, unsigned core)
{
	size_t bank;

	if (!heap_ok(h, core))
		return -EINVAL;
	if (atomic_load_explicit(&h->shards[core].online, memory_order_relaxed))
		return -EALREADY;
	bank = h->layout->bank_size;
	for (uintptr_t lo = h->sys[core].base; lo < h->group_end[core]; lo += bank) {
		uint32_t b = (uint32_t)((lo - h->zones_base) >> h->bank_shift);

		if (!h->bank_off[b])
			continue;
		smph_platform_bank_power((void *)lo, bank, true);
#ifdef SMPHEAP_POISON
		/* Power-off lost the poison; every block here is free. */
		smph_poison((void *)lo, bank);
#endif
		h->bank_off[b] = 0;
		atomic_fetch_sub_explicit(&h->banks_off, 1, memory_order_relaxed);
	}
	smph_sys_restart(&h->sys[core]);
	/* Release: a stealer that sees the shard online (acquire) also sees
	 * the banks powered on and any poison written above. */
	atomic_store_explicit(&h->shards[core].online, 1, memory_order_release);
	return 0;
}

int smpheap_core_is_up(const struct smpheap *h, unsigned core)
{
	if (!heap_ok(h, core))
		return -EINVAL;
	return (int)atomic_load_explicit(&h->shards[core].online, memory_order_relaxed);
}
