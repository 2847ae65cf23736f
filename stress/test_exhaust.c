/* test_exhaust.c - every zone driven to exhaustion, again and again: the
 * allocation that does not fit gets NULL and is counted, the heap stays
 * consistent, a freed block is immediately allocatable again, and once
 * everything is given back the next round fits exactly as much as the first.
 * Over the stress driver's "small" layout and the DSP-like "tgl". */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "smpheap/host.h"
#include "stress_layouts.h"

#define MAX_BLOCKS 65536

static void *blocks[MAX_BLOCKS];

static size_t failures(struct smpheap *h, enum smpheap_zone z)
{
	struct smpheap_stats st;
	smpheap_stats(h, z, &st);
	return st.failures;
}

static size_t used(struct smpheap *h, enum smpheap_zone z)
{
	struct smpheap_stats st;
	smpheap_stats(h, z, &st);
	return st.used;
}

/* Size of the i-th request of a round: a fixed cycle, so every round asks
 * the same. */
static size_t req_size(const struct smpheap_layout *l, enum smpheap_zone z, unsigned i)
{
	switch (z) {
	case SMPHEAP_ZONE_SYS:
		return 16 + (i * 40) % 200;
	case SMPHEAP_ZONE_RUNTIME:
		return 1 + (i * 97) % l->classes[l->class_count - 1].block_size;
	default:
		return l->page_size * (1 + i % 5) - i % 7;
	}
}

/* The smallest request of a zone's granule: once it fails, nothing is left. */
static size_t min_size(const struct smpheap_layout *l, enum smpheap_zone z)
{
	return z == SMPHEAP_ZONE_BUFFER ? l->page_size : 16;
}

/* Bytes the zone holds when full, for requests with `caps`, as core 0. */
static size_t full_bytes(struct smpheap *h, enum smpheap_zone z, uint32_t caps)
{
	const struct smpheap_layout *l = smpheap_layout(h);
	struct smpheap_stats st;
	smpheap_stats(h, z, &st);
	if (z == SMPHEAP_ZONE_SYS)
		return l->sys_size[0]; /* only core 0's own system heap serves it */
	if (z == SMPHEAP_ZONE_RUNTIME || !caps)
		return st.capacity; /* every shard (stealing), every region */
	size_t bytes = 0;
	for (unsigned r = 0; r < l->buffer_region_count; r++)
		if ((l->buffer_regions[r].caps & caps) == caps)
			bytes += (size_t)l->buffer_regions[r].pages * l->page_size;
	return bytes;
}

/* Allocates the round's sizes until NULL, then the smallest size until NULL
 * (what is left); returns how many succeeded, from blocks[0]. */
static unsigned fill(struct smpheap *h, enum smpheap_zone z, uint32_t caps, unsigned *failed_at)
{
	const struct smpheap_layout *l = smpheap_layout(h);
	unsigned n = 0;
	bool small = false;
	for (;;) {
		size_t f0 = failures(h, z);
		size_t size = small ? min_size(l, z) : req_size(l, z, n);
		void *p = smpheap_alloc(h, z, caps, size);
		if (!p) {
			CHECK_EQ(failures(h, z), f0 + 1); /* counted */
			if (z == SMPHEAP_ZONE_RUNTIME || z == SMPHEAP_ZONE_BUFFER) {
				struct smpheap_stats st;
				smpheap_stats(h, z, &st);
				/* largest_free promises what could succeed: not this */
				size_t need = z == SMPHEAP_ZONE_BUFFER
						  ? (size + l->page_size - 1) & ~(l->page_size - 1)
						  : size;
				/* (the runtime zone serves a request from its
				 * own class only, so a larger class may still
				 * have a block: then that block is the promise) */
				if (caps == 0 && z == SMPHEAP_ZONE_BUFFER)
					CHECK(st.largest_free < need);
				if (caps == 0 && z == SMPHEAP_ZONE_RUNTIME &&
				    st.largest_free >= need) {
					void *q = smpheap_alloc(h, z, 0, st.largest_free);

					CHECK(q != NULL);
					CHECK(q && smpheap_free(h, q) == 0);
				}
			}
			if (!small) {
				*failed_at = n;
				small = true;
				continue;
			}
			/* the smallest request failed: the zone is full (the
			 * runtime zone's slabs leave some: blocks do not tile
			 * a slab's pages exactly, and each class's last slab
			 * may hold free blocks no other class takes; on tgl,
			 * 28 classes of slabs up to 4 KiB: 92 % in use) */
			if (z == SMPHEAP_ZONE_RUNTIME)
				CHECK(used(h, z) >=
				      full_bytes(h, z, caps) - full_bytes(h, z, caps) / 10);
			else
				CHECK_EQ(used(h, z), full_bytes(h, z, caps));
			return n;
		}
		memset(p, 0xa5, size); /* the block is really usable */
		if (n == MAX_BLOCKS) {
			CHECK(!"layout larger than the test expects");
			return n;
		}
		blocks[n++] = p;
	}
}

static void exhaust_zone(const struct smpheap_layout *l, enum smpheap_zone z, uint32_t caps)
{
	struct smpheap *h = smpheap_host_create(l);
	CHECK(h != NULL);
	if (!h)
		return;
	unsigned first = 0, at = 0;
	for (unsigned round = 0; round < 4; round++) {
		unsigned n = fill(h, z, caps, &at);
		CHECK(n > 0);
		CHECK_EQ(smpheap_check(h), 0);
		if (round == 0)
			first = n;
		else if (z != SMPHEAP_ZONE_RUNTIME)
			CHECK_EQ(n, first); /* recovered completely */
		/* (The runtime zone cuts slabs on demand in the order requests
		 * come, so a round may fit more large blocks and fewer small
		 * ones than the last: fill() checks it reached full again.) */
		/* a second and third NULL change nothing */
		CHECK(smpheap_alloc(h, z, caps, req_size(l, z, at)) == NULL);
		CHECK(smpheap_alloc(h, z, caps, req_size(l, z, at)) == NULL);
		CHECK_EQ(smpheap_check(h), 0);
		if (z == SMPHEAP_ZONE_SYS) {
			/* System memory is given back only by taking the core
			 * down; the controller does that, then brings it up. */
			CHECK_EQ(smpheap_core_down(h, 0), 0);
			CHECK_EQ(used(h, z), 0);
			CHECK_EQ(smpheap_core_up(h, 0), 0);
		} else {
			/* Free one block: the same request fits again at once. */
			void *p = blocks[at / 2];
			size_t size = smpheap_usable_size(h, p);
			CHECK_EQ(smpheap_free(h, p), 0);
			void *q = smpheap_alloc(h, z, caps, size);
			CHECK(q != NULL);
			/* the only free space there is (the runtime zone: or a
			 * block its class's last slab still had) */
			if (z != SMPHEAP_ZONE_RUNTIME)
				CHECK(q == p);
			CHECK_EQ(smpheap_usable_size(h, q), size);
			blocks[at / 2] = q;
			for (unsigned i = 0; i < n; i++)
				CHECK_EQ(smpheap_free(h, blocks[i]), 0);
			CHECK_EQ(used(h, z), 0);
		}
		CHECK_EQ(smpheap_check(h), 0);
	}
	printf("  %-5s zone %-7s caps 0x%02x: %u allocations fit, NULL after, 4 rounds alike\n",
	       l->name,
	       z == SMPHEAP_ZONE_SYS	   ? "sys"
	       : z == SMPHEAP_ZONE_RUNTIME ? "runtime"
					   : "buffer",
	       caps, first);
	smpheap_host_destroy(h);
}

int main(void)
{
	const struct smpheap_layout *layouts[] = {&stress_layout_small,
						  smpheap_layout_by_name("tgl")};
	smpheap_host_bind(0);
	for (unsigned i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
		const struct smpheap_layout *l = layouts[i];
		exhaust_zone(l, SMPHEAP_ZONE_SYS, 0);
		exhaust_zone(l, SMPHEAP_ZONE_RUNTIME, 0);
		exhaust_zone(l, SMPHEAP_ZONE_BUFFER, 0);
		/* each buffer region alone, by its caps */
		for (unsigned r = 0; r < l->buffer_region_count; r++)
			exhaust_zone(l, SMPHEAP_ZONE_BUFFER, l->buffer_regions[r].caps);
	}
	return check_report("test_exhaust");
}
