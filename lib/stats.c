/* stats.c - counters, figures and invariant checks.
 *
 * Counters live per (zone, core) on their own cache lines and are updated
 * with relaxed atomics by the threads acting as that core (or per thread
 * slot, by its one thread); reading sums them.
 * A shared counter would serialise every core on one line.
 *
 * Peak: an exact peak of a sum of per-core figures needs a global
 * serialisation point, which a lock-free heap refuses on its fast path. So the
 * zone's peak is sampled: whenever a core's own net allocation reaches a new
 * high and then frees (its local maximum), whenever it grows 1/8 beyond the
 * last sample, at every failure and every stats call. On one thread that is
 * exact; under concurrency it can miss a peak between samples by a little.
 */
#include <errno.h>

#include "internal.h"

/* Bytes of runtime blocks freed twice and not yet found: free in a
 * holder's cache and in its slab's `remote` at once (tcache.h). Both frees
 * were counted; the holder counts the second one as bad when it finds it,
 * and until then stats and check add the bytes back. */
static size_t pending_double_bytes(const struct smpheap *h)
{
	size_t n = 0;

	if (!h->cache_on)
		return 0;
	for (uint32_t gi = 0; gi < h->granules; gi++) {
		smph_word_t d = smph_load(&h->cached[smph_gidx(h, gi)], smph_relaxed) &
				smph_load(&h->remote[smph_gidx(h, gi)], smph_relaxed) &
				~SMPH_REMOTE_HELD;
		uint32_t e = smph_load(&h->pt[gi << h->gshift], smph_relaxed);

		if (d && SMPH_PT_KIND(e) == SMPH_PT_SLAB)
			n += (size_t)smph_popcount(d) * h->geom[SMPH_PT_CLASS(e)].block_size;
	}
	return n;
}

/* The zone's bytes in use by the counters, as a signed sum: below zero
 * only if more was freed than handed out, which smpheap_check() reports. */
static intptr_t zone_net(const struct smpheap *h, unsigned zone)
{
	size_t net = 0;

	if (zone == SMPHEAP_ZONE_SYS) {
		for (unsigned c = 0; c < h->cores; c++)
			net += atomic_load_explicit(&h->sys[c].state, memory_order_relaxed) &
			       ~SMPH_SYS_DOWN;
		return (intptr_t)net;
	}
	/* Relaxed throughout: statistics, not synchronisation. Unsigned
	 * wrap-around makes the sum right although one core may have freed
	 * more than it allocated. */
	for (unsigned c = 0; c < h->cores; c++) {
		const struct smph_counters *k = smph_ctr(h, zone, c);

		net += atomic_load_explicit(&k->net, memory_order_relaxed);
	}
	for (unsigned t = 0; t < h->tcache_slots; t++) {
		const struct smph_counters *k = &h->tcache[t].ctr[zone];

		net += atomic_load_explicit(&k->net, memory_order_relaxed);
	}
	return (intptr_t)net;
}

/* Bytes in use, clamped at 0 for stats (check reports a negative sum). */
static size_t zone_used(const struct smpheap *h, unsigned zone)
{
	intptr_t net = zone_net(h, zone);

	return net < 0 ? 0 : (size_t)net;
}

static void sample_peak(struct smpheap *h, unsigned zone)
{
	size_t used = zone_used(h, zone);
	size_t peak = atomic_load_explicit(&h->peak[zone], memory_order_relaxed);

	while (used > peak &&
	       !atomic_compare_exchange_weak_explicit(&h->peak[zone], &peak, used,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

void *smph_count_new_high(struct smpheap *h, unsigned zone, struct smph_counters *k, size_t net,
			  void *p)
{
	size_t hwm = atomic_load_explicit(&k->hwm, memory_order_relaxed);

	/* Plain stores: with a thread slot these counters have one writer;
	 * per core, a lost update between two threads acting as the core
	 * only delays a sample. */
	atomic_store_explicit(&k->hwm, net, memory_order_relaxed);
	atomic_store_explicit(&k->rising, 1, memory_order_relaxed);
	if (net - hwm > hwm / 8)
		sample_peak(h, zone);
	return p;
}

int smph_count_free_at_max(struct smpheap *h, unsigned zone, struct smph_tally t, size_t bytes)
{
	/* This counter just passed a local maximum: sample before it drops. */
	atomic_store_explicit(&t.k->rising, 0, memory_order_relaxed);
	sample_peak(h, zone);
	return smph_count_free(h, zone, t, bytes);
}

void smph_count_resize(struct smpheap *h, unsigned zone, struct smph_tally t, size_t old_bytes,
		       size_t new_bytes)
{
	/* In the caller's own counters, as its allocations and frees: the
	 * local-maximum sampling watches one counter set, so a thread's
	 * resizes counted elsewhere would hide its peaks (issue 13). */
	if (new_bytes > old_bytes) {
		size_t net = smph_add(&t.k->net, new_bytes - old_bytes, t.single);

		if ((intptr_t)net > (intptr_t)atomic_load_explicit(&t.k->hwm, memory_order_relaxed))
			smph_count_new_high(h, zone, t.k, net, NULL);
	} else if (new_bytes < old_bytes) {
		if (atomic_load_explicit(&t.k->rising, memory_order_relaxed)) {
			atomic_store_explicit(&t.k->rising, 0, memory_order_relaxed);
			sample_peak(h, zone);
		}
		smph_add(&t.k->net, (size_t)0 - (old_bytes - new_bytes), t.single);
	}
}

void smph_count_failure(struct smpheap *h, unsigned zone)
{
	atomic_fetch_add_explicit(&smph_ctr(h, zone, smph_core(h))->failures, 1,
				  memory_order_relaxed);
	sample_peak(h, zone);
}

void smph_count_late_double_frees(struct smpheap *h, unsigned n, size_t block_size)
{
	struct smph_counters *k = smph_ctr(h, SMPHEAP_ZONE_RUNTIME, smph_core(h));

	/* Relaxed: statistics. Both frees were counted; one was bad. */
	atomic_fetch_add_explicit(&k->bad_frees, n, memory_order_relaxed);
	atomic_fetch_sub_explicit(&k->frees, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&k->net, (size_t)n * block_size, memory_order_relaxed);
}

int smph_count_bad_free(struct smpheap *h, unsigned zone, int err)
{
	atomic_fetch_add_explicit(&smph_ctr(h, zone, smph_core(h))->bad_frees, 1,
				  memory_order_relaxed);
	return err;
}

void smph_sample_peak(struct smpheap *h, unsigned zone)
{
	sample_peak(h, zone);
}

/* Bytes of the pools `zone` may draw from (a shared region counts for each
 * zone that may use it), capped by the zone's quota. */
static size_t pool_capacity(const struct smpheap *h, unsigned zone)
{
	size_t cap = 0;

	for (unsigned r = 0; r < h->region_count; r++)
		if (h->regions[r].zones & (1u << zone))
			cap += (size_t)h->regions[r].pages << h->page_shift;
	if (h->quota[zone] && h->quota[zone] < cap)
		cap = h->quota[zone];
	return cap;
}

static size_t zone_capacity(const struct smpheap *h, unsigned zone)
{
	size_t cap = 0;

	if (zone != SMPHEAP_ZONE_SYS)
		return pool_capacity(h, zone);
	for (unsigned c = 0; c < h->cores; c++)
		cap += h->sys[c].size;
	return cap;
}

/* Longest run of free pages in [lo, hi) that starts on a multiple of
 * `align` pages. */
static uint32_t longest_run(const struct smpheap *h, uint32_t lo, uint32_t hi, uint32_t align)
{
	uint32_t best = 0, i = smph_bits_find_set(h->pfree, hi, lo);

	while (i != SMPH_NO_BIT) {
		uint32_t j = i, a = (i + align - 1) / align * align;

		while (j < hi && smph_bit_test(h->pfree, j))
			j++;
		if (a < j && j - a > best)
			best = j - a;
		i = j < hi ? smph_bits_find_set(h->pfree, hi, j) : SMPH_NO_BIT;
	}
	return best;
}

/* Longest free run of pages `zone` could claim now. */
static uint32_t zone_longest_run(const struct smpheap *h, unsigned zone, uint32_t align)
{
	uint32_t best = 0;

	for (unsigned r = 0; r < h->region_count; r++) {
		const struct smph_region *rg = &h->regions[r];
		uint32_t run;

		if (!(rg->zones & (1u << zone)))
			continue;
		run = longest_run(h, rg->first, rg->first + rg->pages, align);
		if (run > best)
			best = run;
	}
	return best;
}

/* A live slab of some class with a free block (in its word or a cache)? */
static bool class_has_free_block(const struct smpheap *h, unsigned k)
{
	for (uint32_t gi = 0; gi < h->granules; gi++) {
		smph_word_t w = smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed);

		if ((w & h->geom[k].live) &&
		    smph_slab_entry_is(smph_load(&h->pt[gi << h->gshift], smph_relaxed),
				       &h->geom[k]) &&
		    ((w & h->geom[k].full) ||
		     smph_load(&h->cached[smph_gidx(h, gi)], smph_relaxed)))
			return true;
	}
	return false;
}

static size_t zone_largest_free(const struct smpheap *h, unsigned zone)
{
	size_t best = 0;

	switch (zone) {
	case SMPHEAP_ZONE_SYS:
		for (unsigned c = 0; c < h->cores; c++) {
			size_t st = smph_load(&h->sys[c].state, smph_relaxed);

			/* Allocations take multiples of 16 bytes: a tail
			 * shorter than that holds none (issue 13, item 9). */
			size_t room =
			    (st & SMPH_SYS_DOWN) ? 0 : (h->sys[c].size - st) & ~(size_t)15;

			if (room > best)
				best = room;
		}
		break;
	case SMPHEAP_ZONE_RUNTIME:
		for (unsigned k = h->class_count; k-- > 0;) {
			const struct smph_class_geom *g = &h->geom[k];

			if (zone_longest_run(h, zone, g->align_pages) >= g->pages ||
			    class_has_free_block(h, k))
				return g->block_size;
		}
		break;
	default:
		best = (size_t)zone_longest_run(h, zone, 1) << h->page_shift;
	}
	return best;
}

int smpheap_stats(const struct smpheap *h, enum smpheap_zone zone, struct smpheap_stats *out)
{
	size_t peak;

	if (!h || h->magic != SMPH_MAGIC || !out || (unsigned)zone >= SMPHEAP_ZONE_COUNT)
		return -EINVAL;
	__builtin_memset(out, 0, sizeof(*out));
	for (unsigned c = 0; c < h->cores + h->tcache_slots; c++) {
		const struct smph_counters *k =
		    c < h->cores ? smph_ctr(h, zone, c) : &h->tcache[c - h->cores].ctr[zone];

		out->allocs += atomic_load_explicit(&k->allocs, memory_order_relaxed);
		out->frees += atomic_load_explicit(&k->frees, memory_order_relaxed);
		out->failures += atomic_load_explicit(&k->failures, memory_order_relaxed);
		out->bad_frees += atomic_load_explicit(&k->bad_frees, memory_order_relaxed);
		out->poison_errors += atomic_load_explicit(&k->poison_errors, memory_order_relaxed);
	}
	out->capacity = zone_capacity(h, zone);
	out->used = zone_used(h, zone);
	if (zone == SMPHEAP_ZONE_RUNTIME)
		out->used += pending_double_bytes(h);
	peak = atomic_load_explicit(&h->peak[zone], memory_order_relaxed);
	out->peak = peak > out->used ? peak : out->used;
	out->largest_free = zone_largest_free(h, zone);
	out->banks_released = atomic_load_explicit(&h->banks_off, memory_order_relaxed);
	out->bank_release_count =
	    atomic_load_explicit(&h->bank_release_count, memory_order_relaxed);
	return 0;
}

/* One slab at page s (class k): its pages, its word, its hint. Adds its
 * live blocks' bytes to *rt. */
static int check_slab(const struct smpheap *h, uint32_t s, unsigned k, size_t *rt)
{
	const struct smph_class_geom *g = &h->geom[k];
	uint32_t gi = s >> h->gshift;
	smph_word_t w, cached, remote;

	if (k >= h->class_count || (s & ((1u << h->gshift) - 1)) || s % g->align_pages ||
	    s + g->pages > h->pool_pages)
		return -EUCLEAN;
	for (uint32_t d = 0; d < g->pages; d++) {
		if (smph_bit_test(h->pfree, s + d))
			return -EUCLEAN; /* a slab's page free in the pool */
		if (d && smph_load(&h->pt[s + d], smph_relaxed) != SMPH_PT_SLAB_IN_OF(d))
			return -EUCLEAN;
	}
	w = smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed);
	cached = smph_load(&h->cached[smph_gidx(h, gi)], smph_relaxed);
	remote = smph_load(&h->remote[smph_gidx(h, gi)], smph_relaxed);
	if (!(remote & SMPH_REMOTE_HELD) != !(w & SMPH_SLAB_HELD))
		return -EUCLEAN; /* the two marks of a hold disagree */
	remote &= ~SMPH_REMOTE_HELD;
	if (!(w & g->live) || (w & ~(g->all | SMPH_SLAB_PIN | SMPH_SLAB_HELD)) ||
	    ((cached | remote) & ~g->full) || ((cached | remote) & w))
		return -EUCLEAN;
	if ((cached | remote) && !(w & SMPH_SLAB_HELD))
		return -EUCLEAN; /* blocks cached by nobody */
	if ((w & g->full) && !smph_bit_test(h->hint[k].leaf, gi))
		return -EUCLEAN; /* a free block no refill can find */
	*rt += (size_t)(g->blocks - smph_popcount(w & g->full) - smph_popcount(cached | remote)) *
	       g->block_size;
	return 0;
}

/* The pool, page by page: the page table against the pool bitmap and the
 * slab words. Adds the bytes of live runtime blocks and of buffer runs. */
static int check_pool(const struct smpheap *h, size_t *rt, size_t *buf)
{
	uint32_t owner_end = 0; /* end of the run or slab that covers this page */

	for (uint32_t i = 0; i < h->pool_pages; i++) {
		uint32_t e = smph_load(&h->pt[i], smph_relaxed);
		bool free = smph_bit_test(h->pfree, i);
		int rc;

		switch (SMPH_PT_KIND(e)) {
		case SMPH_PT_RUN:
			if (i < owner_end || free || !SMPH_PT_DATA(e))
				return -EUCLEAN;
			owner_end = i + SMPH_PT_DATA(e);
			if (owner_end > h->pool_pages)
				return -EUCLEAN;
			for (uint32_t j = i; j < owner_end; j++)
				if (smph_bit_test(h->pfree, j))
					return -EUCLEAN; /* a run's page free */
			*buf += (size_t)SMPH_PT_DATA(e) << h->page_shift;
			break;
		case SMPH_PT_SLAB:
			if (i < owner_end ||
			    SMPH_PT_DATA(e) != smph_gidx(h, i >> h->gshift)) /* its word */
				return -EUCLEAN;
			rc = check_slab(h, i, SMPH_PT_CLASS(e), rt);
			if (rc)
				return rc;
			owner_end = i + h->geom[SMPH_PT_CLASS(e)].pages;
			break;
		case SMPH_PT_SLAB_IN:
			if (i >= owner_end)
				return -EUCLEAN; /* checked with its slab, else stray */
			break;
		default: /* NONE: free, a run's interior, a gap or a bank off */
			if (!free && i >= owner_end) {
				uintptr_t a = smph_page_addr(h, i);
				uint32_t b = (uint32_t)((a - h->zones_base) >> h->bank_shift);
				bool in_region = false;

				for (unsigned r = 0; r < h->region_count; r++)
					in_region |= i - h->regions[r].first < h->regions[r].pages;
				if (in_region && !smph_load(&h->bank_off[b], smph_relaxed))
					return -EUCLEAN; /* a lost page */
			}
		}
		if (free && i < owner_end)
			return -EUCLEAN;
	}
	/* Words are non-zero only at slab starts (check_slab() checked those). */
	for (uint32_t gi = 0; gi <= h->granules; gi++) {
		uint32_t s = gi << h->gshift;

		if (smph_load(&h->slabw[smph_gidx(h, gi)], smph_relaxed) &&
		    (s >= h->pool_pages ||
		     SMPH_PT_KIND(smph_load(&h->pt[s], smph_relaxed)) != SMPH_PT_SLAB))
			return -EUCLEAN;
	}
	return 0;
}

int smpheap_check(const struct smpheap *h)
{
	size_t rt = 0, buf = 0;
	intptr_t runtime, buffer;
	int rc;

	if (!h || h->magic != SMPH_MAGIC || !h->layout || h->cores != h->layout->cores)
		return -EFAULT;
	for (unsigned c = 0; c < h->cores; c++) {
		size_t st = smph_load(&h->sys[c].state, smph_relaxed);
		size_t off = st & ~SMPH_SYS_DOWN;

		if (off > h->sys[c].size || ((st & SMPH_SYS_DOWN) && off))
			return -EUCLEAN;
	}
	for (unsigned k = 0; k < h->class_count; k++)
		if (smph_bitmap2_check(&h->hint[k]))
			return -EUCLEAN;
	rc = check_pool(h, &rt, &buf);
	if (rc)
		return rc;
	/* What the counters say is live must be what the pool holds (with the
	 * double frees not yet found added back), and never below zero. */
	runtime = zone_net(h, SMPHEAP_ZONE_RUNTIME) + (intptr_t)pending_double_bytes(h);
	buffer = zone_net(h, SMPHEAP_ZONE_BUFFER);
	if (runtime < 0 || buffer < 0 || rt != (size_t)runtime || buf != (size_t)buffer)
		return -EUCLEAN;
	return 0;
}

const char *smpheap_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case -EFAULT:
		return "pointer outside the heap";
	case -EPERM:
		return "system-zone memory is never freed";
	case -EINVAL:
		return "not the start of a block, or an invalid argument";
	case -EALREADY:
		return "block already free (double free)";
	case -ENOMEM:
		return "out of memory";
	case -EUCLEAN:
		return "heap invariant broken";
	case -EAGAIN:
		return "core is up";
	case -EOVERFLOW:
		return "layout too large";
	default:
		return "unknown error";
	}
}
