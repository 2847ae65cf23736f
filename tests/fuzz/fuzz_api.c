/* fuzz_api.c - libFuzzer target: API call sequences decoded from bytes.
 *
 * Each input builds a fresh heap (a small 3-core layout, so exhaustion and
 * hotplug come quickly) and runs up to a few hundred steps: allocations of
 * any size, alignment, zone and caps (valid or not); frees of live, freed,
 * interior, foreign, system and arbitrary pointers; reallocs; core down, up
 * and sweep; switching the core we act as. A shadow model knows every live
 * block and the exact system-heap offsets, and after every step:
 *   - the return code is the one the API's error table promises;
 *   - smpheap_check() == 0;
 *   - per zone, `used` equals the model's bytes (RUNTIME, BUFFER: usable
 *     sizes of live blocks; SYS: the modelled bump offsets), allocs - frees
 *     equals the live blocks, and the failures and bad_frees summed over
 *     zones equal the model's counts;
 *   - no live block overlaps another, and each still holds the bytes we
 *     wrote into it (checked when freed or reallocated).
 * A mismatch is a crash (abort), which libFuzzer reports with the input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smpheap/host.h"
#include "smpheap/platform.h"
#include "smpheap/smpheap.h"

#define BANK 4096u
#define CORES 3u
#define MAX_LIVE 512 /* more than MAX_STEPS can allocate (the pool holds more) */
#define MAX_OLD 64
#define MAX_STEPS 400

static const struct smpheap_layout layout = {
    .name = "fuzz",
    .origin = "fuzz_api: small, three cores, 4 KiB banks",
    .cores = CORES,
    .bank_size = BANK,
    .sys_size = {2048, 1024, 1024},
    .sys_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED,
    .class_count = 7,
    /* the word-claim cache on in some classes, so its paths are fuzzed too */
    .classes =
	{{16, 16, 8}, {48, 8, 4}, {64, 8, 8}, {96, 4, 0}, {256, 4, 2}, {768, 2, 0}, {1024, 2, 0}},
    .runtime_caps = SMPHEAP_CAP_HP | SMPHEAP_CAP_CACHED | SMPHEAP_CAP_DMA,
    .page_size = 256,
    .buffer_region_count = 2,
    /* region 0: the old 24 buffer pages plus the 72 of the old per-core
     * block maps, shared by the runtime and buffer zones */
    .buffer_regions = {{SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_CACHED, 24 + 72,
			SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER},
		       {SMPHEAP_CAP_LP | SMPHEAP_CAP_DMA | SMPHEAP_CAP_UNCACHED, 8,
			SMPHEAP_POOL_BUFFER}},
    .thread_slots = SMPHEAP_THREAD_SLOTS,
    .slab_bytes = 1024,
};

/* ---- the input --------------------------------------------------------- */

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t u16(struct input *in)
{
	return (uint16_t)(u8(in) | u8(in) << 8);
}

/* A size: mostly small and near the classes and pages, sometimes huge. */
static size_t size_of(struct input *in)
{
	uint8_t k = u8(in);
	switch (k >> 5) {
	case 0:
	case 1:
		return k & 63; /* includes 0 */
	case 2:
		return 16u * (1 + (k & 31)) - (u8(in) & 15);
	case 3:
		return 256u * (1 + (k & 15)) - (u8(in) & 255);
	case 4:
		return u16(in);
	case 5:
		return 1024u * (k & 31) + u8(in);
	case 6: {
		static const size_t odd[] = {SIZE_MAX,	    SIZE_MAX - 1,
					     SIZE_MAX - 15, SIZE_MAX - 255,
					     SIZE_MAX / 2,  (size_t)1 << 32,
					     6144,	    8192,
					     24 * 256,	    32 * 256,
					     1025,	    1024,
					     769,	    768,
					     4097,	    4096};
		return odd[k & 15];
	}
	default:
		return 1 + (k & 31);
	}
}

static size_t align_of(struct input *in)
{
	uint8_t k = u8(in);
	if (k < 128)
		return 0; /* plain smpheap_alloc */
	if (k < 232)
		return (size_t)1 << (k % 14); /* 1 .. 8192 */
	static const size_t odd[] = {3, 24, 48, 100, 4095, 6144, (size_t)1 << 20, SIZE_MAX / 2 + 1};
	return odd[k & 7];
}

static uint32_t caps_of(struct input *in)
{
	static const uint32_t table[] = {
	    0,
	    0,
	    0,
	    0,
	    SMPHEAP_CAP_HP,
	    SMPHEAP_CAP_LP,
	    SMPHEAP_CAP_DMA,
	    SMPHEAP_CAP_CACHED,
	    SMPHEAP_CAP_UNCACHED,
	    SMPHEAP_CAP_HP | SMPHEAP_CAP_DMA,
	    SMPHEAP_CAP_LP | SMPHEAP_CAP_UNCACHED,
	    SMPHEAP_CAP_HP | SMPHEAP_CAP_LP, /* in the zone's union, in no region */
	    SMPHEAP_CAP_CACHED | SMPHEAP_CAP_UNCACHED,
	    1u << 5,
	    1u << 31,
	    0xffffffffu,
	};
	return table[u8(in) & 15];
}

/* ---- the model --------------------------------------------------------- */

struct block {
	uint8_t *p;
	size_t len; /* usable size */
	int zone;
	uint8_t fill; /* byte pattern written over the whole block */
};

static struct {
	struct smpheap *h;
	uintptr_t lo, hi; /* the memory given to smpheap_init */
	struct block live[MAX_LIVE];
	unsigned nlive;
	uint8_t *old[MAX_OLD]; /* pointers freed at some point */
	unsigned nold;
	uint8_t *sysp[MAX_OLD]; /* system pointers handed out */
	unsigned nsys;
	size_t sys_off[CORES];	   /* bump offset per core */
	uintptr_t sys_base[CORES]; /* learnt from the first allocation */
	bool up[CORES];
	unsigned core; /* the core we act as */
	size_t failures, bad_frees;
	uint8_t fill;
} m;

static unsigned char mem[1 << 20] __attribute__((aligned(BANK)));

#define FUZZ_ASSERT(c)                                                                             \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_api: %s:%d: %s\n", __FILE__, __LINE__, #c);          \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static bool is_pow2(size_t x)
{
	return x && !(x & (x - 1));
}

static size_t round_up(size_t x, size_t a)
{
	return (x + a - 1) & ~(a - 1);
}

static int find_live(const void *p)
{
	for (unsigned i = 0; i < m.nlive; i++)
		if (m.live[i].p == p)
			return (int)i;
	return -1;
}

/* The live block containing p (not necessarily at its start), or -1. */
static int live_containing(uintptr_t p)
{
	for (unsigned i = 0; i < m.nlive; i++)
		if (p >= (uintptr_t)m.live[i].p && p < (uintptr_t)m.live[i].p + m.live[i].len)
			return (int)i;
	return -1;
}

static void check_fill(const struct block *b)
{
	for (size_t i = 0; i < b->len; i++)
		FUZZ_ASSERT(b->p[i] == b->fill); /* a live block was written by someone else */
}

static void remember_old(uint8_t *p)
{
	if (m.nold < MAX_OLD)
		m.old[m.nold++] = p;
	else
		m.old[p[0] % MAX_OLD] = p; /* any slot: the list is a sample */
}

static void add_live(uint8_t *p, size_t len, int zone)
{
	FUZZ_ASSERT(len > 0);
	for (unsigned i = 0; i < m.nlive; i++) /* no overlap with any live block */
		FUZZ_ASSERT((uintptr_t)p + len <= (uintptr_t)m.live[i].p ||
			    (uintptr_t)m.live[i].p + m.live[i].len <= (uintptr_t)p);
	FUZZ_ASSERT(m.nlive < MAX_LIVE);
	struct block *b = &m.live[m.nlive++];
	b->p = p;
	b->len = len;
	b->zone = zone;
	b->fill = ++m.fill;
	memset(p, b->fill, len);
}

static void drop_live(unsigned i)
{
	remember_old(m.live[i].p);
	m.live[i] = m.live[--m.nlive];
}

/* Caps some region of the zone has in full. */
static bool caps_ok(int zone, uint32_t caps)
{
	if (zone == SMPHEAP_ZONE_SYS)
		return (caps & ~layout.sys_caps) == 0;
	if (zone == SMPHEAP_ZONE_RUNTIME)
		return (caps & ~layout.runtime_caps) == 0;
	for (unsigned r = 0; r < layout.buffer_region_count; r++)
		if ((caps & ~layout.buffer_regions[r].caps) == 0)
			return true;
	return false;
}

static size_t zone_live_bytes(int zone, size_t *blocks)
{
	size_t bytes = 0;
	*blocks = 0;
	for (unsigned i = 0; i < m.nlive; i++)
		if (m.live[i].zone == zone) {
			bytes += m.live[i].len;
			(*blocks)++;
		}
	return bytes;
}

/* Everything the heap says must agree with the model. */
static void check_all(void)
{
	FUZZ_ASSERT(smpheap_check(m.h) == 0);
	size_t failures = 0, bad = 0, sys_used = 0;
	for (unsigned c = 0; c < CORES; c++) {
		sys_used += m.sys_off[c];
		FUZZ_ASSERT(smpheap_core_is_up(m.h, c) == (int)m.up[c]);
	}
	for (int z = 0; z < SMPHEAP_ZONE_COUNT; z++) {
		struct smpheap_stats st;
		FUZZ_ASSERT(smpheap_stats(m.h, (enum smpheap_zone)z, &st) == 0);
		failures += st.failures;
		bad += st.bad_frees;
		FUZZ_ASSERT(st.poison_errors == 0);
		FUZZ_ASSERT(st.used <= st.capacity);
		FUZZ_ASSERT(st.peak >= st.used);
		if (z == SMPHEAP_ZONE_SYS) {
			FUZZ_ASSERT(st.used == sys_used);
			continue;
		}
		size_t blocks, bytes = zone_live_bytes(z, &blocks);
		FUZZ_ASSERT(st.used == bytes);
		FUZZ_ASSERT(st.allocs - st.frees == blocks);
	}
	FUZZ_ASSERT(failures == m.failures);
	FUZZ_ASSERT(bad == m.bad_frees);
}

/* ---- the steps ------------------------------------------------------------- */

static void do_alloc(struct input *in)
{
	int zone = u8(in) % 5; /* 3, 4: no such zone */
	if (zone == 4)
		zone = 0x7fffffff;
	uint32_t caps = caps_of(in);
	size_t size = size_of(in), align = align_of(in);
	bool aligned = align != 0;
	void *p = aligned ? smpheap_alloc_aligned(m.h, (enum smpheap_zone)zone, caps, size, align)
			  : smpheap_alloc(m.h, (enum smpheap_zone)zone, caps, size);
	size_t a = aligned ? align : 1;
	bool invalid = zone >= SMPHEAP_ZONE_COUNT || size == 0 || !is_pow2(a) || a > BANK ||
		       size > SIZE_MAX - a || !caps_ok(zone, caps);
	if (!p) {
		m.failures++;
		if (invalid)
			return;
		/* Must it have succeeded? Where the model is exact, yes. */
		if (zone == SMPHEAP_ZONE_SYS) {
			size_t start = round_up(m.sys_off[m.core], a < 16 ? 16 : a);
			FUZZ_ASSERT(!m.up[m.core] || size > layout.sys_size[m.core] ||
				    start + round_up(size, 16) > layout.sys_size[m.core]);
		} else {
			size_t blocks, others;
			/* One pool serves both zones: empty means both empty. */
			zone_live_bytes(zone, &blocks);
			zone_live_bytes(zone == SMPHEAP_ZONE_RUNTIME ? SMPHEAP_ZONE_BUFFER
								     : SMPHEAP_ZONE_RUNTIME,
					&others);
			blocks += others;
			bool any_up = false;
			for (unsigned c = 0; c < CORES; c++)
				any_up |= m.up[c];
			if (zone == SMPHEAP_ZONE_RUNTIME && !blocks && any_up && size <= 1024 &&
			    a <= 256)
				FUZZ_ASSERT(!"runtime alloc failed on an empty zone");
			if (zone == SMPHEAP_ZONE_BUFFER && !blocks && caps == 0 && size <= 24 * 256)
				FUZZ_ASSERT(!"buffer alloc failed on an empty zone");
		}
		return;
	}
	FUZZ_ASSERT(!invalid);
	FUZZ_ASSERT(smpheap_zone_of(m.h, p) == zone);
	FUZZ_ASSERT(((uintptr_t)p & ((a < 16 ? 16 : a) - 1)) == 0);
	if (zone == SMPHEAP_ZONE_SYS) {
		FUZZ_ASSERT(m.up[m.core] && size <= layout.sys_size[m.core]);
		size_t start = round_up(m.sys_off[m.core], a < 16 ? 16 : a);
		if (!m.sys_base[m.core])
			m.sys_base[m.core] = (uintptr_t)p - start;
		FUZZ_ASSERT((uintptr_t)p == m.sys_base[m.core] + start); /* the exact bump */
		m.sys_off[m.core] = start + round_up(size, 16);
		FUZZ_ASSERT(m.sys_off[m.core] <= layout.sys_size[m.core]);
		FUZZ_ASSERT(smpheap_usable_size(m.h, p) == 0);
		memset(p, 0xee, size); /* all ours until the core goes down */
		if (m.nsys < MAX_OLD)
			m.sysp[m.nsys++] = p;
		return;
	}
	size_t len = smpheap_usable_size(m.h, p);
	FUZZ_ASSERT(len >= size);
	if (zone == SMPHEAP_ZONE_BUFFER) {
		FUZZ_ASSERT(len == round_up(size, layout.page_size));
		FUZZ_ASSERT(((uintptr_t)p & (layout.page_size - 1)) == 0);
	} else {
		FUZZ_ASSERT(len <= 1024);
	}
	add_live(p, len, zone);
}

/* A pointer to free, and what freeing it must give. */
static uint8_t *pick_pointer(struct input *in, int *expect, int *live_idx)
{
	uint8_t k = u8(in);
	*live_idx = -1;
	switch (k % 9) {
	case 0:
	case 1:
	case 2: /* a live block */
		if (m.nlive) {
			*live_idx = (int)(u8(in) % m.nlive);
			*expect = 0;
			return m.live[*live_idx].p;
		}
		break;
	case 3: /* a freed pointer */
		if (m.nold) {
			uint8_t *p = m.old[u8(in) % m.nold];
			int i = find_live(p);
			if (i >= 0) { /* handed out again since: live */
				*live_idx = i;
				*expect = 0;
			} else {
				/* Not in a live block: free, or its pages cut again
				 * since (runtime slabs come and go on demand) for a
				 * geometry where it starts no block: either answer. */
				*expect = live_containing((uintptr_t)p) >= 0 ? -EINVAL : 1;
			}
			return p;
		}
		break;
	case 4: /* inside a live block */
		if (m.nlive) {
			struct block *b = &m.live[u8(in) % m.nlive];
			if (b->len > 1) {
				*expect = -EINVAL;
				return b->p + 1 + u16(in) % (b->len - 1);
			}
		}
		break;
	case 5: /* a system pointer, maybe interior, maybe of a reset heap */
		if (m.nsys) {
			*expect = -EPERM;
			return m.sysp[u8(in) % m.nsys] + (u8(in) & 7);
		}
		break;
	case 6: { /* outside the heap */
		static int on_stack_is_gone;
		uint8_t *odd[] = {(uint8_t *)&on_stack_is_gone,
				  (uint8_t *)1,
				  (uint8_t *)m.lo - 1,
				  (uint8_t *)m.hi,
				  (uint8_t *)m.h, /* the heap's own header */
				  (uint8_t *)m.h + 64,
				  (uint8_t *)(uintptr_t)-16,
				  (uint8_t *)&m};
		*expect = -EFAULT;
		return odd[u8(in) % 8];
	}
	default: /* anywhere in the heap's memory */
		break;
	}
	uintptr_t p = m.lo + ((uintptr_t)u16(in) << 4) % (m.hi - m.lo);
	p += u8(in) & 15 ? 0 : 8;
	int z = smpheap_zone_of(m.h, (void *)p);
	int i = find_live((void *)p);
	if (i >= 0) {
		*live_idx = i;
		*expect = 0;
	} else if (z == -EFAULT) {
		*expect = -EFAULT;
	} else if (z == SMPHEAP_ZONE_SYS) {
		*expect = -EPERM;
	} else if (live_containing(p) >= 0) {
		*expect = -EINVAL;
	} else {
		*expect = 1; /* a free spot: -EINVAL or -EALREADY, by geometry */
	}
	return (uint8_t *)p;
}

static void do_free(struct input *in)
{
	int expect, i;
	uint8_t *p = pick_pointer(in, &expect, &i);
	if (i >= 0)
		check_fill(&m.live[i]);
	int rc = smpheap_free(m.h, p);
	if (expect == 1)
		FUZZ_ASSERT(rc == -EINVAL || rc == -EALREADY);
	else
		FUZZ_ASSERT(rc == expect);
	if (rc == 0)
		drop_live((unsigned)i);
	else
		m.bad_frees++;
	/* free(NULL) is 0 and changes nothing */
	FUZZ_ASSERT(smpheap_free(m.h, NULL) == 0);
}

static void do_realloc(struct input *in)
{
	int expect, i;
	uint8_t *p;
	if (u8(in) % 8 == 0) {
		p = NULL; /* realloc(NULL, n): a runtime allocation */
		i = -1;
		expect = 0;
	} else {
		p = pick_pointer(in, &expect, &i);
	}
	size_t size = size_of(in);
	struct block old = i >= 0 ? m.live[i] : (struct block){0};
	if (i >= 0)
		check_fill(&old);
	uint8_t *q = smpheap_realloc(m.h, p, size);
	if (!p) {
		if (!q) {
			m.failures++;
			return;
		}
		size_t len = smpheap_usable_size(m.h, q);
		FUZZ_ASSERT(smpheap_zone_of(m.h, q) == SMPHEAP_ZONE_RUNTIME && len >= size);
		add_live(q, len, SMPHEAP_ZONE_RUNTIME);
		return;
	}
	if (expect != 0) { /* not a live block: NULL, a bad free, no change */
		FUZZ_ASSERT(q == NULL);
		m.bad_frees++;
		return;
	}
	if (size == 0) { /* frees it */
		FUZZ_ASSERT(q == NULL);
		drop_live((unsigned)i);
		return;
	}
	if (!q) { /* could not grow it: still live and untouched */
		m.failures++;
		FUZZ_ASSERT(smpheap_usable_size(m.h, p) == old.len);
		check_fill(&old);
		return;
	}
	size_t len = smpheap_usable_size(m.h, q);
	FUZZ_ASSERT(len >= size && smpheap_zone_of(m.h, q) == old.zone);
	size_t keep = old.len < size ? old.len : size;
	for (size_t k = 0; k < keep; k++)
		FUZZ_ASSERT(q[k] == old.fill); /* contents kept */
	if (old.zone == SMPHEAP_ZONE_RUNTIME && size <= old.len)
		FUZZ_ASSERT(q == p && len == old.len); /* the block already holds it */
	if (old.zone == SMPHEAP_ZONE_BUFFER)
		FUZZ_ASSERT(len == round_up(size, layout.page_size));
	if (q != p)
		remember_old(p);
	m.live[i] = m.live[--m.nlive];
	add_live(q, len, old.zone);
}

static void do_core(struct input *in)
{
	uint8_t k = u8(in);
	unsigned c = (k >> 2) % (CORES + 1); /* CORES: no such core */
	int rc;
	switch (k & 3) {
	case 0: /* down; never the core we act as (the API contract) */
		if (c == m.core)
			return;
		rc = smpheap_core_down(m.h, c);
		if (c >= CORES) {
			FUZZ_ASSERT(rc == -EINVAL);
		} else if (!m.up[c]) {
			FUZZ_ASSERT(rc == -EALREADY);
		} else {
			FUZZ_ASSERT(rc == 0);
			m.up[c] = false;
			m.sys_off[c] = 0;
		}
		break;
	case 1:
		rc = smpheap_core_up(m.h, c);
		if (c >= CORES) {
			FUZZ_ASSERT(rc == -EINVAL);
		} else if (m.up[c]) {
			FUZZ_ASSERT(rc == -EALREADY);
		} else {
			FUZZ_ASSERT(rc == 0);
			m.up[c] = true;
		}
		break;
	case 2:
		rc = smpheap_core_sweep(m.h, c);
		if (c >= CORES)
			FUZZ_ASSERT(rc == -EINVAL);
		else if (m.up[c])
			FUZZ_ASSERT(rc == -EAGAIN);
		else
			FUZZ_ASSERT(rc >= 0);
		break;
	default: /* act as another core, if it is up */
		if (c < CORES && m.up[c]) {
			m.core = c;
			smpheap_host_bind(c);
		}
		break;
	}
}

static void do_query(struct input *in)
{
	int expect, i;
	uint8_t *p = pick_pointer(in, &expect, &i);
	size_t u = smpheap_usable_size(m.h, p);
	if (i >= 0)
		FUZZ_ASSERT(u == m.live[i].len);
	else
		FUZZ_ASSERT(u == 0);
	struct smpheap_stats st;
	FUZZ_ASSERT(smpheap_stats(m.h, (enum smpheap_zone)3, &st) == -EINVAL);
	FUZZ_ASSERT(smpheap_stats(m.h, SMPHEAP_ZONE_RUNTIME, NULL) == -EINVAL);
	FUZZ_ASSERT(smpheap_core_is_up(m.h, CORES) == -EINVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t need;
	if (!need) {
		need = smpheap_size(&layout);
		FUZZ_ASSERT(need && need <= sizeof(mem));
		FUZZ_ASSERT(smpheap_alignment(&layout) <= BANK);
		/* too small or misaligned memory is refused */
		FUZZ_ASSERT(smpheap_init(mem, need - 1, &layout) == NULL);
		FUZZ_ASSERT(smpheap_init(mem + 16, need, &layout) == NULL);
	}
	memset(&m, 0, sizeof(m));
	m.h = smpheap_init(mem, need, &layout);
	FUZZ_ASSERT(m.h != NULL);
	m.lo = (uintptr_t)mem;
	m.hi = (uintptr_t)mem + need;
	for (unsigned c = 0; c < CORES; c++)
		m.up[c] = true;
	smpheap_host_bind(0);
	check_all();

	struct input in = {data, size};
	for (unsigned step = 0; step < MAX_STEPS && in.n; step++) {
		switch (u8(&in) % 8) {
		case 0:
		case 1:
		case 2:
			do_alloc(&in);
			break;
		case 3:
		case 4:
			do_free(&in);
			break;
		case 5:
			do_realloc(&in);
			break;
		case 6:
			do_core(&in);
			break;
		default:
			do_query(&in);
			break;
		}
		check_all();
	}
	/* Give everything back: the zones must be empty again. */
	for (unsigned i = m.nlive; i-- > 0;) {
		check_fill(&m.live[i]);
		FUZZ_ASSERT(smpheap_free(m.h, m.live[i].p) == 0);
		drop_live(i);
	}
	for (unsigned c = 0; c < CORES; c++)
		if (!m.up[c]) {
			FUZZ_ASSERT(smpheap_core_up(m.h, c) == 0);
			m.up[c] = true;
		}
	check_all();
	/* Retire it: this thread's cache lets go of it before the memory is
	 * reused by the next input's heap. */
	smpheap_fini(m.h);
	FUZZ_ASSERT(smpheap_check(m.h) != 0);
	FUZZ_ASSERT(smpheap_alloc(m.h, SMPHEAP_ZONE_RUNTIME, 0, 16) == NULL);
	return 0;
}
