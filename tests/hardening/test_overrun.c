/* test_overrun.c - metadata stays out of band: a buffer overrun and a runtime
 * block underrun scribble over their neighbours' memory, yet the allocator's
 * state is untouched (its metadata bytes are identical, every figure and
 * invariant holds) and every later operation is still right, down to
 * reaching the full capacity of both zones again.
 *
 * (An allocator with in-band headers loses its free lists here: the same
 * writes land on the headers of the neighbouring blocks.) */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "test_heap.h"

#define MAX_BLOCKS 262144 /* 16-byte blocks fill the tgl pool with 170k */

static struct smpheap *h;
static void *blocks[MAX_BLOCKS];
static unsigned char meta_before[256 * 1024];

/* The heap's metadata: from its header to the first byte of any zone. */
static size_t meta_len(void)
{
	const unsigned char *p = (const unsigned char *)h;
	size_t n = 0;
	while (n < sizeof(meta_before) && smpheap_zone_of(h, p + n) < 0)
		n += 16;
	return n;
}

static void stats_all(struct smpheap_stats st[SMPHEAP_ZONE_COUNT])
{
	for (int z = 0; z < SMPHEAP_ZONE_COUNT; z++)
		smpheap_stats(h, (enum smpheap_zone)z, &st[z]);
}

/* Allocates `size` from `zone` until NULL, frees it all; returns the count.
 * With the zone full, `used` must be its capacity but for what slabs cannot
 * use (a 64-byte slab holds 61 blocks in 4 KiB, 29 in 2 KiB with 32-bit words) and one current slab
 * per class that hysteresis keeps (the zones share one pool). */
static unsigned fill_and_empty(enum smpheap_zone zone, size_t size)
{
	unsigned n = 0;
	while (n < MAX_BLOCKS && (blocks[n] = smpheap_alloc(h, zone, 0, size)) != NULL) {
		memset(blocks[n], 0x3c, size);
		n++;
	}
	struct smpheap_stats st;
	smpheap_stats(h, zone, &st);
	CHECK(n < MAX_BLOCKS);
	CHECK(st.used + st.capacity / 10 >= st.capacity); /* 32-bit words: 29 of 32 */
	CHECK_EQ(smpheap_check(h), 0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(h, blocks[i]), 0);
	smpheap_stats(h, zone, &st);
	CHECK_EQ(st.used, 0);
	return n;
}

int main(void)
{
	const struct smpheap_layout *l = &smpheap_layout_tgl;
	h = test_heap_create(l);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_overrun");
	size_t page = l->page_size;

	/* Capacity first, on the fresh heap: the reference for later. */
	unsigned rt_full = fill_and_empty(SMPHEAP_ZONE_RUNTIME, 16);
	unsigned buf_full = fill_and_empty(SMPHEAP_ZONE_BUFFER, 1);
	CHECK(rt_full > 0 && buf_full > 0);

	/* Three runtime blocks of one class, and two buffers. */
	unsigned char *r[3], *a, *b;
	for (int i = 0; i < 3; i++) {
		r[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
		CHECK(r[i] != NULL);
	}
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 2 * page);
	b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 3 * page);
	CHECK(a && b && r[0] && r[1] && r[2]);
	if (!(a && b && r[0] && r[1] && r[2]))
		return check_report("test_overrun");
	unsigned char *victim = r[0]; /* the highest of the three */
	for (int i = 1; i < 3; i++)
		if (r[i] > victim)
			victim = r[i];

	struct smpheap_stats before[SMPHEAP_ZONE_COUNT], after[SMPHEAP_ZONE_COUNT];
	stats_all(before);
	size_t ml = meta_len();
	CHECK(ml > 0 && ml < sizeof(meta_before)); /* reached a zone */
	memcpy(meta_before, h, ml);

	/* The bugs: a buffer written a page and a bit past its end, and a
	 * runtime block written 96 bytes before its start (over its
	 * neighbours, where in-band headers would be). */
	memset(a, 0xab, smpheap_usable_size(h, a) + page + 100);
	memset(victim - 96, 0xcd, 96 + 8);

	/* Allocator state: byte for byte the same. */
	CHECK(memcmp(meta_before, h, ml) == 0);
	stats_all(after);
	CHECK(memcmp(before, after, sizeof(before)) == 0);
	CHECK_EQ(smpheap_check(h), 0);
	CHECK_EQ(smpheap_usable_size(h, a), 2 * page);
	CHECK_EQ(smpheap_usable_size(h, b), 3 * page);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(smpheap_usable_size(h, r[i]), 64);

	/* Later operations: all still right. */
	CHECK_EQ(smpheap_free(h, a), 0);
	CHECK_EQ(smpheap_free(h, a), -EALREADY);
	CHECK_EQ(smpheap_free(h, b + page), -EINVAL);
	unsigned char *b2 = smpheap_realloc(h, b, 5 * page);
	CHECK(b2 != NULL);
	if (b2)
		b = b2;
	CHECK_EQ(smpheap_usable_size(h, b), 5 * page);
	CHECK_EQ(smpheap_free(h, b), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(smpheap_free(h, r[i]), 0);
	CHECK_EQ(smpheap_free(h, victim), -EALREADY);
	CHECK_EQ(smpheap_check(h), 0);

	/* And both zones still fill to exactly what they held before. */
	CHECK_EQ(fill_and_empty(SMPHEAP_ZONE_RUNTIME, 16), rt_full);
	CHECK_EQ(fill_and_empty(SMPHEAP_ZONE_BUFFER, 1), buf_full);
	CHECK_EQ(smpheap_check(h), 0);

	test_heap_destroy(h);
	return check_report("test_overrun");
}
