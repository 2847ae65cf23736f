/* test_errors.c - every row of the error table: a clear answer, counted in
 * stats, and the heap unchanged (smpheap_check() and the live blocks' contents
 * prove it after each one). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "test_heap.h"

static struct smpheap *h;
static unsigned char *live_rt, *live_buf;
static unsigned char foreign[256];

static size_t count(enum smpheap_zone z, int bad)
{
	struct smpheap_stats s;

	smpheap_stats(h, z, &s);
	return bad ? s.bad_frees : s.failures;
}

/* Nothing changed: the invariants hold and the live blocks are intact. */
static void unharmed(void)
{
	int ok = 1;

	CHECK_EQ(smpheap_check(h), 0);
	for (int i = 0; i < 64; i++)
		ok &= live_rt[i] == 0x77;
	for (int i = 0; i < 512; i++)
		ok &= live_buf[i] == 0x99;
	CHECK(ok);
	CHECK_EQ(smpheap_usable_size(h, live_rt), 64);
	CHECK_EQ(smpheap_usable_size(h, live_buf), 512);
}

static void test_bad_frees(void)
{
	unsigned char *sys = smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 64);
	unsigned char *freed = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	unsigned char *freed_buf = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 256);
	size_t rt0 = count(SMPHEAP_ZONE_RUNTIME, 1), sys0 = count(SMPHEAP_ZONE_SYS, 1);
	size_t buf0 = count(SMPHEAP_ZONE_BUFFER, 1);

	CHECK(sys && freed && freed_buf);
	CHECK_EQ(smpheap_free(h, freed), 0);
	CHECK_EQ(smpheap_free(h, freed_buf), 0);

	CHECK_EQ(smpheap_free(h, NULL), 0);
	CHECK_EQ(smpheap_free(h, foreign), -EFAULT);
	CHECK_EQ(smpheap_free(h, (void *)(uintptr_t)16), -EFAULT);
	CHECK_EQ(smpheap_free(h, h), -EFAULT); /* the heap's own metadata */
	unharmed();
	CHECK_EQ(smpheap_free(h, sys), -EPERM);
	CHECK_EQ(smpheap_free(h, sys + 8), -EPERM);
	unharmed();
	CHECK_EQ(smpheap_free(h, live_rt + 16), -EINVAL); /* interior */
	CHECK_EQ(smpheap_free(h, live_rt + 1), -EINVAL);
	CHECK_EQ(smpheap_free(h, live_buf + 256), -EINVAL);
	CHECK_EQ(smpheap_free(h, live_buf + 7), -EINVAL);
	unharmed();
	CHECK_EQ(smpheap_free(h, freed), -EALREADY); /* double free */
	CHECK_EQ(smpheap_free(h, freed_buf), -EALREADY);
	unharmed();
	CHECK_EQ(count(SMPHEAP_ZONE_RUNTIME, 1) - rt0, 6);
	CHECK_EQ(count(SMPHEAP_ZONE_SYS, 1) - sys0, 2);
	CHECK_EQ(count(SMPHEAP_ZONE_BUFFER, 1) - buf0, 3);

	/* realloc of what free would reject: NULL, counted, nothing moves. */
	CHECK(smpheap_realloc(h, sys, 128) == NULL);
	CHECK(smpheap_realloc(h, foreign, 128) == NULL);
	CHECK(smpheap_realloc(h, live_rt + 16, 128) == NULL);
	CHECK(smpheap_realloc(h, freed, 128) == NULL);
	CHECK(smpheap_realloc(h, live_buf + 256, 4096) == NULL);
	CHECK(smpheap_realloc(h, freed_buf, 4096) == NULL);
	unharmed();
	CHECK_EQ(count(SMPHEAP_ZONE_RUNTIME, 1) - rt0, 9);
	CHECK_EQ(count(SMPHEAP_ZONE_SYS, 1) - sys0, 3);
	CHECK_EQ(count(SMPHEAP_ZONE_BUFFER, 1) - buf0, 5);
	CHECK(smpheap_strerror(-EALREADY)[0] != 0);
}

static void test_bad_allocs(void)
{
	size_t rt0 = count(SMPHEAP_ZONE_RUNTIME, 0), buf0 = count(SMPHEAP_ZONE_BUFFER, 0);
	size_t sys0 = count(SMPHEAP_ZONE_SYS, 0);

	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 0) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 0) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 0) == NULL);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_RUNTIME, 0, 64, 48) == NULL);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, 0, 64, 0) == NULL);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_SYS, 0, 64, 3) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, SIZE_MAX) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, SIZE_MAX) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, SIZE_MAX) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, SIZE_MAX - 8) == NULL);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_BUFFER, 0, SIZE_MAX - 100, 4096) == NULL);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_SYS, 0, SIZE_MAX - 100, 4096) == NULL);
	CHECK(smpheap_alloc(h, (enum smpheap_zone)3, 0, 64) == NULL);
	CHECK(smpheap_alloc(h, (enum smpheap_zone) - 1, 0, 64) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, SMPHEAP_CAP_LP, 64) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 1u << 30, 64) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, SMPHEAP_CAP_DMA, 64) == NULL);
	unharmed();
	CHECK_EQ(count(SMPHEAP_ZONE_RUNTIME, 0) - rt0, 6);
	CHECK_EQ(count(SMPHEAP_ZONE_BUFFER, 0) - buf0, 5);
	CHECK_EQ(count(SMPHEAP_ZONE_SYS, 0) - sys0, 6);
	CHECK(smpheap_stats(h, (enum smpheap_zone)7, &(struct smpheap_stats){0}) == -EINVAL);
	CHECK(smpheap_stats(h, SMPHEAP_ZONE_SYS, NULL) == -EINVAL);
}

static void test_bad_heap(void)
{
	static unsigned char junk[4096] __attribute__((aligned(64)));

	/* A pointer that is not a heap at all gets errors, not a crash. */
	CHECK(smpheap_alloc(NULL, SMPHEAP_ZONE_RUNTIME, 0, 16) == NULL);
	CHECK(smpheap_alloc((struct smpheap *)junk, SMPHEAP_ZONE_RUNTIME, 0, 16) == NULL);
	CHECK_EQ(smpheap_free((struct smpheap *)junk, junk), -EFAULT);
	CHECK_EQ(smpheap_check((struct smpheap *)junk), -EFAULT);
	CHECK_EQ(smpheap_check(NULL), -EFAULT);
	CHECK_EQ(smpheap_core_down(NULL, 0), -EINVAL);
	CHECK_EQ(smpheap_core_down(h, 99), -EINVAL);
	CHECK_EQ(smpheap_core_up(h, 99), -EINVAL);
	CHECK_EQ(smpheap_core_up(h, 0), -EALREADY);
	CHECK_EQ(smpheap_core_sweep(h, 0), -EAGAIN);
	CHECK_EQ(smpheap_core_is_up(h, 99), -EINVAL);
	CHECK_EQ(smpheap_usable_size(h, foreign), 0);
	CHECK_EQ(smpheap_zone_of(h, foreign), -EFAULT);
	unharmed();
}

int main(void)
{
	if (test_act_as(0))
		return 1;
	h = test_heap_create(&smpheap_layout_tgl);
	CHECK(h != NULL);
	if (!h)
		return check_report("test_errors");
	live_rt = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	live_buf = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 512);
	CHECK(live_rt && live_buf);
	if (!live_rt || !live_buf)
		return check_report("test_errors");
	memset(live_rt, 0x77, 64);
	memset(live_buf, 0x99, 512);
	test_bad_frees();
	test_bad_allocs();
	test_bad_heap();
	CHECK_EQ(smpheap_free(h, live_rt), 0);
	CHECK_EQ(smpheap_free(h, live_buf), 0);
	CHECK_EQ(smpheap_check(h), 0);
	test_heap_destroy(h);
	return check_report("test_errors");
}
