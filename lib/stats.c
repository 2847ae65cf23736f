/* stats.c - counters, figures and invariant checks.
 *
 * Counters live per (zone, core) on their own cache lines and are updated
 * with relaxed atomics by the threads acting as that core; reading sums them.
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

/* Bytes of class-k blocks of core's shard freed twice and not yet found:
 * free in a holder's cache and in its word's `remote` at once (tcache.h).
 * Both frees were counted; the holder counts the second one as bad when it
 * finds it, and until then stats and check add the bytes back. */
static size_t pending_double_bytes(const struct smpheap *h, unsigned core, unsigned k)
{
	const struct smph_shard *s = &h->shards[core];
	uint32_t n = 0;

	if (!h->cache_on || !h->geom[k].cache_max)
		return 0;
	for (uint32_t li = 0; li < s->bm[k].leaves; li++)
		n += (uint32_t)smph_popcount(
		    atomic_load_explicit(&s->cached[k][li], memory_order_relaxed) &
		    atomic_load_explicit(&s->remote[k][li], memory_order_relaxed));
	return (size_t)n * h->geom[k].block_size;
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

/* Blocks of class k in core's shard that sit free in thread caches or in
 * a held word's `remote` (a block in both counts once). */
static uint32_t cached_count(const struct smpheap *h, unsigned core, unsigned k)
{
	const struct smph_shard *s = &h->shards[core];
	uint32_t n = 0;

	if (!h->cache_on)
		return 0;
	for (uint32_t li = 0; li < s->bm[k].leaves; li++)
		n += (uint32_t)smph_popcount(
		    atomic_load_explicit(&s->cached[k][li], memory_order_relaxed) |
		    atomic_load_explicit(&s->remote[k][li], memory_order_relaxed));
	return n;
}

/* Cache bookkeeping of one class: a block is never free both in the leaf
 * and in a cache or `remote`, and a word nobody holds has nothing cached. */
static int check_cached(const struct smpheap *h, unsigned core, unsigned k)
{
	const struct smph_shard *s = &h->shards[core];

	if (!h->cache_on)
		return 0;
	for (uint32_t li = 0; li < s->bm[k].leaves; li++) {
		smph_word_t cached = atomic_load_explicit(&s->cached[k][li], memory_order_relaxed);
		smph_word_t leaf = atomic_load_explicit(&s->bm[k].leaf[li], memory_order_relaxed);
		smph_word_t remote = atomic_load_explicit(&s->remote[k][li], memory_order_relaxed);

		if (((cached | remote) & leaf) || (cached && !smph_bit_test(s->holder[k], li)))
			return -EUCLEAN;
	}
	return 0;
}

static size_t zone_capacity(const struct smpheap *h, unsigned zone)
{
	size_t cap = 0;

	switch (zone) {
	case SMPHEAP_ZONE_SYS:
		for (unsigned c = 0; c < h->cores; c++)
			cap += h->sys[c].size;
		break;
	case SMPHEAP_ZONE_RUNTIME:
		for (unsigned k = 0; k < h->class_count; k++)
			cap += (size_t)h->geom[k].block_size * h->geom[k].count;
		cap *= h->cores;
		break;
	default:
		for (unsigned r = 0; r < h->region_count; r++)
			cap += (size_t)h->regions[r].pages << h->page_shift;
	}
	return cap;
}

/* Longest run of 1 bits in map[0..bits). */
static uint32_t longest_run(const smph_aword_t *map, uint32_t bits)
{
	uint32_t best = 0, i = smph_bits_find_set(map, bits, 0);

	while (i != SMPH_NO_BIT) {
		uint32_t j = i;

		while (j < bits && smph_bit_test(map, j))
			j++;
		if (j - i > best)
			best = j - i;
		i = j < bits ? smph_bits_find_set(map, bits, j) : SMPH_NO_BIT;
	}
	return best;
}

static size_t zone_largest_free(const struct smpheap *h, unsigned zone)
{
	size_t best = 0;

	switch (zone) {
	case SMPHEAP_ZONE_SYS:
		for (unsigned c = 0; c < h->cores; c++) {
			size_t st = atomic_load_explicit(&h->sys[c].state, memory_order_relaxed);

			/* Allocations take multiples of 16 bytes: a tail
			 * shorter than that holds none (issue 13, item 9). */
			size_t room =
			    (st & SMPH_SYS_DOWN) ? 0 : (h->sys[c].size - st) & ~(size_t)15;

			if (room > best)
				best = room;
		}
		break;
	case SMPHEAP_ZONE_RUNTIME:
		for (unsigned c = 0; c < h->cores; c++) {
			if (!atomic_load_explicit(&h->shards[c].online, memory_order_relaxed))
				continue;
			for (unsigned k = h->class_count; k-- > 0;) {
				if (h->geom[k].block_size <= best)
					break;
				if (smph_bitmap2_count_free(&h->shards[c].bm[k]) ||
				    cached_count(h, c, k))
					best = h->geom[k].block_size;
			}
		}
		break;
	default:
		for (unsigned r = 0; r < h->region_count; r++) {
			size_t run = (size_t)longest_run(h->regions[r].free, h->regions[r].pages)
				     << h->page_shift;

			if (run > best)
				best = run;
		}
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
		for (unsigned c = 0; c < h->cores; c++)
			for (unsigned k = 0; k < h->class_count; k++)
				out->used += pending_double_bytes(h, c, k);
	peak = atomic_load_explicit(&h->peak[zone], memory_order_relaxed);
	out->peak = peak > out->used ? peak : out->used;
	out->largest_free = zone_largest_free(h, zone);
	out->banks_released = atomic_load_explicit(&h->banks_off, memory_order_relaxed);
	out->bank_release_count =
	    atomic_load_explicit(&h->bank_release_count, memory_order_relaxed);
	return 0;
}

/* Pages in use, run by run: every page in use lies in exactly one run that
 * opens with a start mark and closes with an end mark. */
static int check_region(const struct smpheap *h, const struct smph_region *rg, size_t *used)
{
	bool in_run = false;

	(void)h;
	for (uint32_t i = 0; i < rg->pages; i++) {
		bool s = smph_bit_test(rg->start, i), e = smph_bit_test(rg->end, i);
		bool f = smph_bit_test(rg->free, i);

		if (s) {
			if (in_run)
				return -EUCLEAN; /* a run opens inside another */
			in_run = true;
		}
		if (f != !in_run)
			return -EUCLEAN; /* a free page in a run, or a lost page */
		if (!f)
			(*used)++;
		if (e) {
			if (!in_run)
				return -EUCLEAN; /* an end with no start */
			in_run = false;
		}
	}
	for (uint32_t w = smph_words_for(rg->pages) * SMPH_WORD_BITS, i = rg->pages; i < w; i++)
		if (smph_bit_test(rg->free, i) || smph_bit_test(rg->start, i) ||
		    smph_bit_test(rg->end, i))
			return -EUCLEAN; /* bits past the region */
	return in_run ? -EUCLEAN : 0;
}

int smpheap_check(const struct smpheap *h)
{
	size_t used_blocks = 0, used_pages = 0, pending = 0;
	intptr_t runtime, buffer;
	int rc;

	if (!h || h->magic != SMPH_MAGIC || !h->layout || h->cores != h->layout->cores)
		return -EFAULT;
	for (unsigned c = 0; c < h->cores; c++) {
		size_t st = atomic_load_explicit(&h->sys[c].state, memory_order_relaxed);
		size_t off = st & ~SMPH_SYS_DOWN;

		if (off > h->sys[c].size || ((st & SMPH_SYS_DOWN) && off))
			return -EUCLEAN;
		for (unsigned k = 0; k < h->class_count; k++) {
			const struct smph_bitmap2 *bm = &h->shards[c].bm[k];

			rc = smph_bitmap2_check(bm);
			if (!rc)
				rc = check_cached(h, c, k);
			if (rc)
				return rc;
			used_blocks += (size_t)(bm->bits - smph_bitmap2_count_free(bm) -
						cached_count(h, c, k)) *
				       h->geom[k].block_size;
			pending += pending_double_bytes(h, c, k);
		}
	}
	for (unsigned r = 0; r < h->region_count; r++) {
		rc = check_region(h, &h->regions[r], &used_pages);
		if (rc)
			return rc;
	}
	/* What the counters say is live must be what the bitmaps hold (with
	 * the double frees not yet found added back), and never below zero. */
	runtime = zone_net(h, SMPHEAP_ZONE_RUNTIME) + (intptr_t)pending;
	buffer = zone_net(h, SMPHEAP_ZONE_BUFFER);
	if (runtime < 0 || buffer < 0 || used_blocks != (size_t)runtime ||
	    used_pages << h->page_shift != (size_t)buffer)
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
