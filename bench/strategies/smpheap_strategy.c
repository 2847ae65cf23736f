/* smpheap_strategy.c - smpheap behind the strategy interface: each kind goes
 * to the zone made for it (SYS -> system heap, RUNTIME -> the runtime shards,
 * BUFFER and runtime requests above the largest class -> the buffer zone).
 * Portable C: the heap is built by the caller (smpheap_host_create() on the
 * host, smpheap_init() on static memory on bare metal). */
#include "smpheap/layout.h"
#include "smpheap/platform.h"
#include "smpheap/smpheap.h"
#include "strategy.h"

static enum smpheap_zone smph_zone(struct strategy *s, size_t size, enum strat_kind kind)
{
	if (kind == STRAT_SYS)
		return SMPHEAP_ZONE_SYS;
	if (kind == STRAT_RUNTIME && size <= s->max_runtime)
		return SMPHEAP_ZONE_RUNTIME;
	return SMPHEAP_ZONE_BUFFER;
}

static void *smph_alloc(struct strategy *s, void *t, size_t size, enum strat_kind kind)
{
	(void)t;
	return smpheap_alloc(s->impl, smph_zone(s, size, kind), 0, size);
}

static int smph_free(struct strategy *s, void *t, void *p, enum strat_kind kind)
{
	(void)t;
	return kind != STRAT_SYS ? smpheap_free(s->impl, p) : 0;
}

static enum smpheap_zone kind_zone(enum strat_kind kind)
{
	return kind == STRAT_SYS       ? SMPHEAP_ZONE_SYS
	       : kind == STRAT_RUNTIME ? SMPHEAP_ZONE_RUNTIME
				       : SMPHEAP_ZONE_BUFFER;
}

/* The caller names the zone (kind) exactly: no rerouting by size, so a
 * RUNTIME request larger than the largest class fails as smpheap says. */
static void *smph_alloc_ex(struct strategy *s, void *t, enum strat_kind kind, uint32_t caps,
			   size_t size, size_t align)
{
	(void)t;
	return align ? smpheap_alloc_aligned(s->impl, kind_zone(kind), caps, size, align)
		     : smpheap_alloc(s->impl, kind_zone(kind), caps, size);
}

static void *smph_realloc(struct strategy *s, void *t, void *p, size_t old_size, size_t size,
			  enum strat_kind kind)
{
	(void)t;
	(void)old_size;
	(void)kind;
	return smpheap_realloc(s->impl, p, size);
}

/* A thread parking for its core's power-down gives back its word-claim
 * cache: blocks it holds there would keep their banks on. */
static void smph_park(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
	smpheap_thread_flush(smph_platform_thread_slot());
}

static void smph_sys_reset(struct strategy *s, unsigned core)
{
	/* the design's only way to drop system memory: the core goes down */
	smpheap_core_down(s->impl, core % s->cores);
	smpheap_core_up(s->impl, core % s->cores);
}

static void *smph_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	/* the calling thread already acts as `core` (the workload bound it) */
	(void)s;
	(void)thread;
	(void)core;
	return NULL;
}

static void smph_thread_fini(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
}

static size_t smph_stat_of(struct smpheap *h, enum smpheap_zone zone, int which)
{
	struct smpheap_stats st;

	if (smpheap_stats(h, zone, &st))
		return 0;
	return which == 0 ? st.capacity : which == 1 ? st.used : st.largest_free;
}

static size_t smph_stat(struct strategy *s, enum strat_kind kind, int which)
{
	return smph_stat_of(s->impl, kind_zone(kind), which);
}

static size_t smph_capacity(struct strategy *s, enum strat_kind kind)
{
	return smph_stat(s, kind, 0);
}

static size_t smph_used(struct strategy *s, enum strat_kind kind)
{
	return smph_stat(s, kind, 1);
}

static size_t smph_largest_free(struct strategy *s, enum strat_kind kind)
{
	return smph_stat(s, kind, 2);
}

static int smph_owns(struct strategy *s, const void *p)
{
	return smpheap_zone_of(s->impl, p) >= 0;
}

static int smph_check(struct strategy *s)
{
	return smpheap_check(s->impl);
}

static const struct strategy_ops smph_ops = {
    .thread_init = smph_thread_init,
    .thread_fini = smph_thread_fini,
    .alloc = smph_alloc,
    .free = smph_free,
    .alloc_ex = smph_alloc_ex,
    .realloc = smph_realloc,
    .park = smph_park,
    .sys_reset = smph_sys_reset,
    .capacity = smph_capacity,
    .used = smph_used,
    .largest_free = smph_largest_free,
    .owns = smph_owns,
    .check = smph_check,
};

static void put_dec(char *buf, unsigned *n, unsigned size, unsigned v)
{
	char tmp[12];
	int k = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k && *n < size - 1)
		buf[(*n)++] = tmp[--k];
	buf[*n] = 0;
}

static void put_str(char *buf, unsigned *n, unsigned size, const char *s)
{
	while (*s && *n < size - 1)
		buf[(*n)++] = *s++;
	buf[*n] = 0;
}

/* The pool bytes the runtime and buffer zones draw from, each byte once: a
 * region both zones share counts once, and quotas that add up to less than
 * that bound it. */
static size_t smph_arena(struct smpheap *h, const struct smpheap_layout *l)
{
	size_t pool = smpheap_layout_pool_bytes(l),
	       zones = smph_stat_of(h, SMPHEAP_ZONE_RUNTIME, 0) +
		       smph_stat_of(h, SMPHEAP_ZONE_BUFFER, 0);

	return zones < pool ? zones : pool;
}

void strategy_smpheap_init(struct strategy *s, struct smpheap *h, const char *extra)
{
	const struct smpheap_layout *l = smpheap_layout(h);
	unsigned n = 0;

	s->name = "smpheap";
	s->ops = &smph_ops;
	s->impl = h;
	s->heap = h;
	s->floor = false;
	s->bounded = true;
	s->arena = smph_arena(h, l);
	s->cores = l->cores;
	s->max_runtime = l->class_count ? l->classes[l->class_count - 1].block_size : 0;
	put_str(s->version, &n, sizeof(s->version), "smpheap ");
	put_dec(s->version, &n, sizeof(s->version), SMPHEAP_VERSION_MAJOR);
	put_str(s->version, &n, sizeof(s->version), ".");
	put_dec(s->version, &n, sizeof(s->version), SMPHEAP_VERSION_MINOR);
	put_str(s->version, &n, sizeof(s->version), ".");
	put_dec(s->version, &n, sizeof(s->version), SMPHEAP_VERSION_PATCH);
	put_str(s->version, &n, sizeof(s->version), " layout ");
	put_str(s->version, &n, sizeof(s->version), l->name);
	if (extra) {
		put_str(s->version, &n, sizeof(s->version), " ");
		put_str(s->version, &n, sizeof(s->version), extra);
	}
}
