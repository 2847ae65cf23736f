/* test_grace.c - core_down respects the RCU grace period, and hotplug keeps
 * its promises about frees and banks.
 *
 * 1. Grace period. A stealer scans another core's shard inside a read-side
 *    section (runtime.c: steal()). Here a thread enters that section the way
 *    a stealer does (smph_platform_read_lock(), the platform hook the heap
 *    itself uses) and stays in it. smpheap_core_down(1) must not return, and
 *    must not power off any of core 1's banks, until the reader leaves: we
 *    watch the banks with mincore() (a powered-off bank is
 *    madvise(MADV_DONTNEED) on the host, its pages leave RSS) and with the
 *    stats. Once the reader leaves, core_down returns and the banks go.
 * 2. Frees of a down core's blocks from another core work; core_sweep then
 *    powers off the bank they freed; core_up powers everything back on and
 *    the banks are used again (counted once each time they are released).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "smpheap/host.h"
#include "smpheap/platform.h"

#define BANK (64 * 1024)

/* Two cores; core 1's system heap fills two banks of its own and its shard
 * a few more, so there is something to power off and watch. */
static const struct smpheap_layout layout = {
    .name = "grace",
    .origin = "test_grace: two cores with bank-sized system heaps",
    .cores = 2,
    .bank_size = BANK,
    .sys_size = {BANK, 2 * BANK},
    .sys_caps = SMPHEAP_CAP_HP,
    .class_count = 2,
    .classes = {{64, 1024, 0}, {4096, 32, 0}},
    .runtime_caps = SMPHEAP_CAP_HP,
    .page_size = 4096,
    .buffer_region_count = 1,
    /* the old 64 buffer pages plus the 96 of the old per-core block maps,
     * one pool shared by the runtime and buffer zones */
    .buffer_regions = {{SMPHEAP_CAP_HP, 64 + 96, SMPHEAP_POOL_RUNTIME | SMPHEAP_POOL_BUFFER}},
};

static struct smpheap *heap;
static atomic_int reader_in, reader_release, down_done, down_rc;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Pages of [p, p+len) resident in RAM. */
static size_t resident(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, r = 0;
	unsigned char vec[BANK / 4096 * 4];
	if (n > sizeof(vec) || mincore((void *)p, len, vec))
		return (size_t)-1;
	for (size_t i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

static size_t banks_released(void)
{
	struct smpheap_stats st;
	smpheap_stats(heap, SMPHEAP_ZONE_RUNTIME, &st);
	return st.banks_released;
}

static size_t bank_release_count(void)
{
	struct smpheap_stats st;
	smpheap_stats(heap, SMPHEAP_ZONE_RUNTIME, &st);
	return st.bank_release_count;
}

/* A stealer acting as core 0, parked inside its read-side section. */
static void *reader(void *arg)
{
	(void)arg;
	smpheap_host_bind(0);
	smph_platform_read_lock();
	atomic_store(&reader_in, 1);
	while (!atomic_load(&reader_release))
		sleep_ms(1);
	smph_platform_read_unlock();
	return NULL;
}

static void *downer(void *arg)
{
	(void)arg;
	smpheap_host_bind(0);
	atomic_store(&down_rc, smpheap_core_down(heap, 1));
	atomic_store(&down_done, 1);
	return NULL;
}

static void test_grace_period(void)
{
	/* Touch core 1's system banks so they are resident. */
	smpheap_host_bind(1);
	char *sys = smpheap_alloc(heap, SMPHEAP_ZONE_SYS, 0, 2 * BANK - 64);
	CHECK(sys != NULL);
	if (!sys)
		return;
	char *bank0 = (char *)((uintptr_t)sys & ~(uintptr_t)(BANK - 1));
	memset(sys, 0x5a, 2 * BANK - 64);
	CHECK(resident(bank0, BANK) > 0);
	smpheap_host_bind(0);

	pthread_t r, d;
	pthread_create(&r, NULL, reader, NULL);
	while (!atomic_load(&reader_in))
		sleep_ms(1);
	double t0 = now_s();
	pthread_create(&d, NULL, downer, NULL);

	/* For 300 ms the reader stays inside: core_down must wait. */
	sleep_ms(300);
	CHECK_EQ(atomic_load(&down_done), 0);
	CHECK_EQ(banks_released(), 0);
	CHECK(resident(bank0, BANK) > 0);		/* not powered off */
	CHECK_EQ((unsigned char)bank0[BANK / 2], 0x5a); /* still holds its data */
	/* Meanwhile the shard is already offline: nothing new comes from it. */
	CHECK_EQ(smpheap_core_is_up(heap, 1), 0);

	atomic_store(&reader_release, 1);
	pthread_join(d, NULL);
	pthread_join(r, NULL);
	double waited = now_s() - t0;
	CHECK_EQ(atomic_load(&down_rc), 0);
	CHECK(waited >= 0.3);
	CHECK(banks_released() >= 2);		/* the two system banks at least */
	CHECK_EQ(resident(bank0, 2 * BANK), 0); /* gone from RAM */
	printf("  core_down waited %.0f ms for the reader; then released %zu banks\n",
	       waited * 1000, banks_released());

	/* Without a reader it does not wait for one. */
	CHECK_EQ(smpheap_core_up(heap, 1), 0);
	CHECK_EQ(banks_released(), 0);
	t0 = now_s();
	CHECK_EQ(smpheap_core_down(heap, 1), 0);
	printf("  core_down without a reader: %.1f ms\n", (now_s() - t0) * 1000);
	CHECK_EQ(smpheap_core_up(heap, 1), 0);
}

static void test_frees_while_down(void)
{
	enum { N = 40 };
	void *big[N];
	size_t count0 = bank_release_count();

	/* Core 1's 4 KiB blocks, live when it goes down. */
	smpheap_host_bind(1);
	unsigned n = 0;
	for (; n < N; n++) {
		big[n] = smpheap_alloc(heap, SMPHEAP_ZONE_RUNTIME, 0, 4096);
		if (!big[n])
			break;
		memset(big[n], (int)n, 4096);
	}
	CHECK(n >= 16);
	smpheap_host_bind(0);
	CHECK_EQ(smpheap_core_down(heap, 1), 0);
	size_t after_down = banks_released();
	CHECK(after_down >= 2);
	/* A bank holding a live block stays on, with its data. */
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(((unsigned char *)big[i])[100], i & 0xff);

	/* Core 0 frees them while core 1 is down; double frees still caught. */
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(heap, big[i]), 0);
	CHECK_EQ(smpheap_free(heap, big[0]), -EALREADY);
	CHECK_EQ(smpheap_check(heap), 0);
	int swept = smpheap_core_sweep(heap, 1);
	CHECK(swept >= 1);
	CHECK_EQ(banks_released(), after_down + (size_t)swept);
	CHECK_EQ(smpheap_core_sweep(heap, 1), 0); /* nothing more to release */
	CHECK_EQ(bank_release_count(), count0 + after_down + (size_t)swept);
	printf("  %u blocks of the down core freed from core 0; sweep released %d more banks\n", n,
	       swept);

	/* Back up: every bank on, and used again. */
	CHECK_EQ(smpheap_core_up(heap, 1), 0);
	CHECK_EQ(banks_released(), 0);
	CHECK_EQ(bank_release_count(), count0 + after_down + (size_t)swept);
	smpheap_host_bind(1);
	for (unsigned i = 0; i < n; i++) {
		big[i] = smpheap_alloc(heap, SMPHEAP_ZONE_RUNTIME, 0, 4096);
		CHECK(big[i] != NULL);
		if (big[i])
			memset(big[i], 0x77, 4096);
	}
	char *sys = smpheap_alloc(heap, SMPHEAP_ZONE_SYS, 0, BANK);
	CHECK(sys != NULL);
	if (sys)
		memset(sys, 1, BANK);
	for (unsigned i = 0; i < n; i++)
		if (big[i])
			CHECK_EQ(((unsigned char *)big[i])[4095], 0x77);
	smpheap_host_bind(0);
	for (unsigned i = 0; i < n; i++)
		CHECK_EQ(smpheap_free(heap, big[i]), 0);
	CHECK_EQ(smpheap_check(heap), 0);
}

int main(void)
{
	const char *why;
	CHECK_EQ(smpheap_layout_validate(&layout, &why), 0);
	heap = smpheap_host_create(&layout);
	CHECK(heap != NULL);
	if (!heap)
		return check_report("test_grace");
	test_grace_period();
	test_frees_while_down();
	smpheap_host_destroy(heap);
	return check_report("test_grace");
}
