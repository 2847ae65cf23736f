/* test_contract.c - the documented contract, through the public API only
 * (issue 13, items 6 to 9):
 *
 *   peak       exact on one thread, also across an in-place buffer growth
 *              and a rebind to another core (smpheap.h)
 *   not_a_heap every public function given NULL or a pointer that is not a
 *              heap answers NULL / an error and touches nothing (README)
 *   small_bank a layout whose banks are too small for its metadata or its
 *              blocks' natural alignment is rejected with a reason, and one
 *              that passes keeps layout.h's alignment promise in an arena
 *              aligned exactly to smpheap_alignment()
 *   sys_room   the system zone's largest_free is what an allocation can get
 *   run_page   freeing a page of a run that is free already: -EALREADY
 *
 * Usage: test_contract [name] (default: all).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "smpheap/host.h"
#include "smpheap/smpheap.h"

static const struct smpheap_layout base_layout = {
    .name = "contract",
    .origin = "test",
    .cores = 2,
    .bank_size = 4096,
    .sys_size = {1000, 1024},
    .class_count = 2,
    .classes = {{64, 128, 64}, {256, 32, 8}},
    .page_size = 256,
    .buffer_region_count = 1,
    /* the old 64 buffer pages plus the 128 of the old per-core block maps,
     * one pool shared by the runtime and buffer zones */
    .buffer_regions = {{SMPHEAP_CAP_HP, 64 + 128, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER}},
    .thread_slots = 8,
};

static struct smpheap_stats stats_of(struct smpheap *h, enum smpheap_zone z)
{
	struct smpheap_stats s;

	CHECK_EQ(smpheap_stats(h, z, &s), 0);
	return s;
}

/* ---- item 6 ---- */

static void test_peak(void)
{
	struct smpheap *h = smpheap_host_create(&base_layout);
	void *a, *b, *grown, *x[9];

	CHECK(h != NULL);
	if (!h)
		return;
	smpheap_host_bind(0);
	/* Buffer: 4096 + 1024, free the 1024, grow the 4096 in place to 6144,
	 * then 1024 more: 7168 live at once, with no stats call in between. */
	a = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 4096);
	b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 1024);
	CHECK(a && b);
	CHECK_EQ(smpheap_free(h, b), 0);
	grown = smpheap_realloc(h, a, 6144);
	CHECK(grown == a); /* in place */
	b = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 1024);
	CHECK(b != NULL);
	CHECK_EQ(smpheap_free(h, b), 0);
	grown = smpheap_realloc(h, grown, 1024); /* shrinks in place */
	CHECK_EQ(smpheap_free(h, grown), 0);
	CHECK_EQ(stats_of(h, SMPHEAP_ZONE_BUFFER).used, 0);
	CHECK_EQ(stats_of(h, SMPHEAP_ZONE_BUFFER).peak, 7168);

	/* Runtime: 8 blocks, one freed, a rebind, two more: 9 live. */
	for (unsigned i = 0; i < 8; i++)
		x[i] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	CHECK_EQ(smpheap_free(h, x[7]), 0);
	smpheap_host_bind(1);
	x[7] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	x[8] = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);
	for (unsigned i = 0; i < 9; i++)
		CHECK_EQ(smpheap_free(h, x[i]), 0);
	smpheap_host_bind(0);
	CHECK_EQ(stats_of(h, SMPHEAP_ZONE_RUNTIME).used, 0);
	CHECK_EQ(stats_of(h, SMPHEAP_ZONE_RUNTIME).peak, 9 * 64);
	CHECK_EQ(smpheap_check(h), 0);
	smpheap_host_destroy(h);
}

/* ---- item 7 ---- */

/* Every call that takes a heap, given `h` that is not one. */
static void calls_on_non_heap(struct smpheap *h, const char *what)
{
	struct smpheap_stats s;
	char block[64];

	printf("not_a_heap: %s\n", what);
	CHECK(smpheap_layout(h) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 64) == NULL);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 64) == NULL);
	CHECK(smpheap_alloc_aligned(h, SMPHEAP_ZONE_RUNTIME, 0, 64, 64) == NULL);
	CHECK(smpheap_realloc(h, NULL, 64) == NULL);
	CHECK(smpheap_realloc(h, block, 64) == NULL);
	CHECK_EQ(smpheap_free(h, NULL), 0);
	CHECK_EQ(smpheap_free(h, block), -EFAULT);
	CHECK_EQ(smpheap_usable_size(h, block), 0);
	CHECK_EQ(smpheap_zone_of(h, block), -EFAULT);
	CHECK_EQ(smpheap_core_down(h, 0), -EINVAL);
	CHECK_EQ(smpheap_core_up(h, 0), -EINVAL);
	CHECK_EQ(smpheap_core_sweep(h, 0), -EINVAL);
	CHECK_EQ(smpheap_core_is_up(h, 0), -EINVAL);
	CHECK_EQ(smpheap_stats(h, SMPHEAP_ZONE_RUNTIME, &s), -EINVAL);
	CHECK(smpheap_check(h) < 0);
	smpheap_fini(h); /* nothing to retire */
}

static void test_not_a_heap(void)
{
	/* Page aligned, as a heap would be: zeros, then noise, then a heap
	 * retired by smpheap_fini(). */
	size_t len = 1 << 16;
	unsigned char *mem =
	    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct smpheap *h;

	CHECK(mem != MAP_FAILED);
	if (mem == MAP_FAILED)
		return;
	calls_on_non_heap(NULL, "NULL");
	calls_on_non_heap((struct smpheap *)mem, "zeroed memory");
	CHECK_EQ(mem[0] | mem[len - 1], 0); /* untouched */
	srand(13);
	for (size_t i = 0; i < len; i++)
		mem[i] = (unsigned char)rand();
	mem[0] ^= 0x5a; /* whatever the noise: not the magic */
	calls_on_non_heap((struct smpheap *)mem, "random bytes");
	munmap(mem, len);

	h = smpheap_host_create(&base_layout);
	CHECK(h != NULL);
	if (h) {
		const struct smpheap_layout *l = smpheap_layout(h);

		CHECK(l == &base_layout);
		smpheap_fini(h);
		calls_on_non_heap(h, "a retired heap");
		munmap(h, smpheap_size(l));
	}
	smpheap_host_destroy(NULL);
}

/* ---- item 8 ---- */

static void test_small_bank(void)
{
	struct smpheap_layout l = base_layout;
	const char *why = NULL;
	size_t size, align;
	unsigned char *map;
	uintptr_t mem;
	struct smpheap *h;

	l.page_size = 256;
	l.bank_size = 512;
	CHECK_EQ(smpheap_layout_validate(&l, &why), -EINVAL);
	CHECK(why && strstr(why, "bank_size"));
	CHECK_EQ(smpheap_size(&l), 0);
	printf("small_bank: 512: %s\n", why ? why : "(none)");
	/* 1024-byte banks hold the metadata, but not 4096-byte blocks at
	 * their natural alignment. */
	l.bank_size = 1024;
	l.classes[1].block_size = 4096;
	l.classes[1].count = 4;
	CHECK_EQ(smpheap_layout_validate(&l, &why), -EINVAL);
	CHECK(why && strstr(why, "alignment"));
	printf("small_bank: 1024 with 4096-byte blocks: %s\n", why ? why : "(none)");
	/* With 1024-byte blocks it works, in an arena aligned to exactly
	 * smpheap_alignment() and no more. */
	l.classes[1].block_size = 1024;
	CHECK_EQ(smpheap_layout_validate(&l, &why), 0);
	size = smpheap_size(&l);
	align = smpheap_alignment(&l);
	CHECK_EQ(align, 1024);
	map = mmap(NULL, size + 4 * align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	CHECK(map != MAP_FAILED);
	if (map == MAP_FAILED)
		return;
	mem = ((uintptr_t)map + 2 * align - 1) & ~(uintptr_t)(2 * align - 1);
	mem += align; /* aligned to 1024, not to 2048 */
	h = smpheap_init((void *)mem, size, &l);
	CHECK(h != NULL);
	if (h) {
		void *p = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 1024);
		void *q = smpheap_alloc(h, SMPHEAP_ZONE_RUNTIME, 0, 64);

		CHECK(p && ((uintptr_t)p & 1023) == 0);
		CHECK(q && ((uintptr_t)q & 63) == 0);
		CHECK_EQ(smpheap_free(h, p), 0);
		CHECK_EQ(smpheap_free(h, q), 0);
		CHECK_EQ(smpheap_check(h), 0);
		smpheap_fini(h);
	}
	munmap(map, size + 4 * align);
}

/* ---- item 9 ---- */

static void test_sys_room(void)
{
	struct smpheap *h = smpheap_host_create(&base_layout);
	struct smpheap_stats s;

	CHECK(h != NULL);
	if (!h)
		return;
	smpheap_host_bind(0); /* core 0: a 1000-byte system heap */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 992) != NULL);
	s = stats_of(h, SMPHEAP_ZONE_SYS);
	CHECK_EQ(s.used, 992);
	/* 8 bytes are left on core 0, but no allocation can have them;
	 * core 1's heap is untouched. */
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 8) == NULL);
	CHECK_EQ(s.largest_free, 1024);
	smpheap_host_bind(1);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 1024) != NULL);
	CHECK_EQ(stats_of(h, SMPHEAP_ZONE_SYS).largest_free, 0);
	smpheap_host_bind(0);
	CHECK(smpheap_alloc(h, SMPHEAP_ZONE_SYS, 0, 8) == NULL);
	smpheap_host_destroy(h);
}

static void test_run_page(void)
{
	struct smpheap *h = smpheap_host_create(&base_layout);
	char *run;

	CHECK(h != NULL);
	if (!h)
		return;
	run = smpheap_alloc(h, SMPHEAP_ZONE_BUFFER, 0, 4 * 256);
	CHECK(run != NULL);
	if (run) {
		CHECK_EQ(smpheap_free(h, run + 256), -EINVAL); /* inside a live run */
		CHECK_EQ(smpheap_free(h, run), 0);
		CHECK_EQ(smpheap_free(h, run), -EALREADY);	 /* the run again */
		CHECK_EQ(smpheap_free(h, run + 512), -EALREADY); /* a page of it */
		CHECK_EQ(smpheap_free(h, run + 16), -EINVAL);	 /* not a page start */
	}
	CHECK_EQ(stats_of(h, SMPHEAP_ZONE_BUFFER).bad_frees, 4);
	CHECK_EQ(smpheap_check(h), 0);
	smpheap_host_destroy(h);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} tests[] = {{"peak", test_peak},
		     {"not_a_heap", test_not_a_heap},
		     {"small_bank", test_small_bank},
		     {"sys_room", test_sys_room},
		     {"run_page", test_run_page}};

	setvbuf(stdout, NULL, _IONBF, 0);
	for (unsigned i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (argc < 2 || !strcmp(argv[1], tests[i].name))
			tests[i].run();
	return check_report("test_contract");
}
