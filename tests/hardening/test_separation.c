/* test_separation.c - system and runtime memory stay apart.
 *
 * A system pointer is never freeable: not by free(), not by realloc(p, 0),
 * not through realloc(p, n), at its start or anywhere inside it, live or
 * left over from a core that went down; each attempt is refused (-EPERM or
 * NULL), counted as a bad free, and changes nothing: the system heap's bytes,
 * its offset (the next system allocation lands right after the last one) and
 * every figure stay as they were. And no runtime or buffer free, however
 * many, gives system memory back. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "test_heap.h"

static struct smpheap *h;

static struct smpheap_stats zstats(enum smpheap_zone z)
{
	struct smpheap_stats st;
	smpheap_stats(h, z, &st);
	return st;
}

int main(void)
{
	const struct smpheap_layout *l = &smpheap_layout_tgl;
	h = test_heap_create(l);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_separation");
#ifdef SMPHEAP_TEST_HOSTED
	smpheap_host_bind(0);
#endif

	/* Core 0's system heap, half full, every byte known. */
	enum { N = 40, SZ = 208 };
	unsigned char *sys[N];
	for (int i = 0; i < N; i++) {
		sys[i] = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, SZ);
		CHECK(sys[i] != NULL);
		if (!sys[i])
			return check_report("test_separation");
		memset(sys[i], 0x40 + i, SZ);
	}
	unsigned char *base = sys[0];
	size_t sys_size = l->sys_size[0];
	struct smpheap_stats s0 = zstats(SMPHEAP_ZONE_SYS);
	CHECK_EQ(s0.used, (size_t)N * SZ);

	/* Runtime and buffer traffic around it. */
	void *rt[64], *buf[8];
	for (int i = 0; i < 64; i++)
		rt[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 16 + 16 * (i % 8));
	for (int i = 0; i < 8; i++)
		buf[i] = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 700);

	/* Every 16-byte step of the whole system heap, in use or not. */
	size_t bad0 = zstats(SMPHEAP_ZONE_SYS).bad_frees, tries = 0;
	int all_eperm = 1, all_null = 1, all_zero = 1;
	for (size_t off = 0; off < sys_size; off += 16) {
		unsigned char *p = base + off;
		all_eperm &= smpheap_free(h, p) == -EPERM;
		all_null &= smpheap_realloc(h, p, 64) == NULL;
		all_null &= smpheap_realloc(h, p, 0) == NULL;
		all_zero &= smpheap_usable_size(h, p) == 0;
		all_zero &= smpheap_zone_of(h, p) == SMPHEAP_ZONE_SYS;
		tries += 3;
	}
	CHECK(all_eperm);
	CHECK(all_null);
	CHECK(all_zero);
	CHECK_EQ(zstats(SMPHEAP_ZONE_SYS).bad_frees, bad0 + tries);

	/* Runtime and buffer frees (and reallocs) give nothing of it back. */
	for (int i = 0; i < 64; i++)
		if (rt[i])
			CHECK_EQ(smpheap_free(h, rt[i]), 0);
	for (int i = 0; i < 8; i++)
		if (buf[i])
			CHECK(smpheap_realloc(h, buf[i], 0) == NULL); /* frees it */

	/* Nothing changed: bytes, offset, figures. */
	int intact = 1;
	for (int i = 0; i < N; i++)
		for (int k = 0; k < SZ; k++)
			intact &= sys[i][k] == (unsigned char)(0x40 + i);
	CHECK(intact);
	struct smpheap_stats s1 = zstats(SMPHEAP_ZONE_SYS);
	CHECK_EQ(s1.used, s0.used);
	CHECK_EQ(s1.allocs, s0.allocs);
	CHECK_EQ(s1.frees, 0);
	unsigned char *next = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16);
	CHECK(next == base + (size_t)N * SZ); /* no hole was reused */
	CHECK_EQ(smpheap_check(h), 0);

	/* Another core going down and up leaves core 0's system heap alone. */
	CHECK_EQ(smpheap_core_down(h, 1), 0);
	CHECK_EQ(smpheap_core_up(h, 1), 0);
	CHECK_EQ(zstats(SMPHEAP_ZONE_SYS).used, s0.used + 16);
	CHECK_EQ(sys[N - 1][SZ - 1], (unsigned char)(0x40 + N - 1));

	/* Its own core going down resets it; its old pointers are still
	 * system pointers, and still never freeable. */
	CHECK_EQ(smpheap_core_down(h, 0), 0);
	CHECK_EQ(zstats(SMPHEAP_ZONE_SYS).used, 0);
	CHECK_EQ(smpheap_free(h, sys[3]), -EPERM);
	CHECK(smpheap_realloc(h, sys[3], 32) == NULL);
	CHECK_EQ(smpheap_core_up(h, 0), 0);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 16) == base); /* starts over */
	CHECK_EQ(smpheap_free(h, base), -EPERM);
	CHECK_EQ(smpheap_check(h), 0);

	test_heap_destroy(h);
	return check_report("test_separation");
}
