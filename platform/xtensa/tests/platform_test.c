/* The platform hooks the heap calls (smpheap/platform.h) and the helpers
 * under them: core ids, the grace period (which must really wait for a
 * reader on another core, nested or not, and must not wait for its own
 * core), bank power-off, and the integer helpers of libgcc_shim.c. Built for
 * one lx106 core and for 4 de212 cores. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "../../../tests/check.h"
#include "smpheap/platform.h"
#include "smpheap/xtensa.h"

static _Atomic uint32_t core_seen[16], in_section, sync_started, left_section;

static void record_core(unsigned core, void *arg)
{
	(void)arg;
	atomic_store(&core_seen[core], 0x100 | smph_platform_core_id());
}

static void spin(uint32_t n)
{
	for (volatile uint32_t i = 0; i < n; i++)
		;
}

/* A reader that is inside its section when synchronize() starts, and only
 * leaves well after. `arg` is the nesting depth. */
static void reader(unsigned core, void *arg)
{
	unsigned depth = (unsigned)(uintptr_t)arg;
	(void)core;
	for (unsigned i = 0; i < depth; i++)
		smph_platform_read_lock();
	atomic_store(&in_section, 1);
	while (!atomic_load(&sync_started))
		;
	if (depth > 1)
		smph_platform_read_unlock(); /* still inside: the outer section holds */
	spin(200000);
	atomic_store(&left_section, 1);
	for (unsigned i = depth > 1 ? 1 : 0; i < depth; i++)
		smph_platform_read_unlock();
}

static void grace_period_waits(unsigned reader_core, unsigned depth)
{
	atomic_store(&in_section, 0);
	atomic_store(&sync_started, 0);
	atomic_store(&left_section, 0);
	CHECK_EQ(smpheap_xtensa_run(reader_core, reader, (void *)(uintptr_t)depth), 0);
	while (!atomic_load(&in_section))
		;
	atomic_store(&sync_started, 1);
	uint32_t t0 = smpheap_xtensa_ccount();
	smph_platform_synchronize();
	uint32_t waited = smpheap_xtensa_ccount() - t0;
	CHECK_EQ(atomic_load(&left_section), 1);
	smpheap_xtensa_join(reader_core);
	printf("grace period with a reader on core %u (depth %u): %lu ticks\n", reader_core, depth,
	       (unsigned long)waited);
}

static void libgcc_helpers(void)
{
	volatile uint32_t a = 4000000007u, b = 13;
	volatile int32_t sa = -1000003, sb = 7;
	volatile uint64_t A = 0xfedcba9876543210ull, B = 0x12345ull;
	volatile int64_t SA = -123456789012345ll, SB = 1000;
	CHECK_EQ(a / b, 307692308u);
	CHECK_EQ(a % b, 3u);
	CHECK_EQ(sa / sb, -142857);
	CHECK_EQ(sa % sb, -4);
	CHECK(A / B == 0xe0004fa01c4dull);
	CHECK(A % B == 0xfedcba9876543210ull - 0xe0004fa01c4dull * 0x12345ull);
	CHECK(A * B == 0x999999999999ae50ull);
	CHECK((uint64_t)a * b == 52000000091ull);
	CHECK(SA / SB == -123456789012ll);
	CHECK(SA % SB == -345);
	CHECK_EQ(a / 0x10001u, 61034u);
	/* Edge cases, then q * d + r == n with r < d over many pseudo-random
	 * pairs (multiplication is native, so it checks the division). */
	volatile uint32_t one = 1, big = 0xffffffffu, top = 0x80000000u, z = 0;
	CHECK_EQ(big / one, 0xffffffffu);
	CHECK_EQ(big / big, 1);
	CHECK_EQ(big % top, 0x7fffffffu);
	CHECK_EQ(top / big, 0);
	CHECK_EQ(z / big, 0);
	unsigned bad = 0;
	uint32_t x = 0x12345678u;
	for (unsigned i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		volatile uint32_t n = x, d = (x * 2654435761u) >> (x & 31);
		if (d == 0)
			continue;
		uint32_t q = n / d, r = n % d;
		if (r >= d || q * d + r != n)
			bad++;
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	unsigned n = smpheap_xtensa_cores();
	if (smpheap_xtensa_cores_up() != n) {
		printf("FAIL: %u cores expected, %u came up (qemu -smp?)\n", n,
		       smpheap_xtensa_cores_up());
		return 1;
	}
	CHECK_EQ(smph_platform_core_id(), 0);
	CHECK_EQ(smpheap_xtensa_core(), 0);
	for (unsigned c = 1; c < n; c++)
		CHECK_EQ(smpheap_xtensa_run(c, record_core, NULL), 0);
	for (unsigned c = 1; c < n; c++) {
		smpheap_xtensa_join(c);
		CHECK_EQ(atomic_load(&core_seen[c]), 0x100 | c);
	}
	CHECK_EQ(smpheap_xtensa_run(0, record_core, NULL), -22 /* -EINVAL */);
	CHECK_EQ(smpheap_xtensa_run(n, record_core, NULL), -22);

	/* No reader anywhere; and the caller's own section never blocks it. */
	smph_platform_synchronize();
	smph_platform_read_lock();
	smph_platform_read_lock();
	smph_platform_synchronize();
	smph_platform_read_unlock();
	smph_platform_read_unlock();
	CHECK(1); /* reached: synchronize() did not wait for its own core */
	for (unsigned c = 1; c < n; c++)
		grace_period_waits(c, c == 2 ? 3 : 1);

	/* Bank power: off loses the contents (emulated), both are counted. */
	static uint32_t bank[1024] __attribute__((aligned(4096)));
	for (unsigned i = 0; i < 1024; i++)
		bank[i] = i;
	smph_platform_bank_power(bank, sizeof(bank), false);
	unsigned lost = 0;
	for (unsigned i = 0; i < 1024; i++)
		lost += bank[i] == SMPHEAP_XTENSA_LOST_WORD;
	CHECK_EQ(lost, 1024);
	CHECK_EQ(smpheap_xtensa_bytes_powered_off(), sizeof(bank));
	smph_platform_bank_power(bank, sizeof(bank), true);
	CHECK_EQ(smpheap_xtensa_bytes_powered_on(), sizeof(bank));
	/* Powering on does not bring the contents back, and the whole bank
	 * takes new contents again. */
	lost = 0;
	for (unsigned i = 0; i < 1024; i++)
		lost += bank[i] == SMPHEAP_XTENSA_LOST_WORD;
	CHECK_EQ(lost, 1024);
	for (unsigned i = 0; i < 1024; i++)
		bank[i] = i * 0x9e3779b1u;
	unsigned kept = 0;
	for (unsigned i = 0; i < 1024; i++)
		kept += bank[i] == i * 0x9e3779b1u;
	CHECK_EQ(kept, 1024);

	libgcc_helpers();
	uint32_t t0 = smpheap_xtensa_ccount();
	spin(1000);
	CHECK(smpheap_xtensa_ccount() != t0);

	/* ICOUNT counts every instruction in between, exactly: 20 nops read
	 * 20 more than none (the fill worst case relies on it) */
	smpheap_xtensa_icount_start();
	uint32_t none = smpheap_xtensa_icount_stop();
	smpheap_xtensa_icount_start();
	__asm__ volatile(".rept 20\n"
			 "nop\n"
			 ".endr\n" ::
			     : "memory");
	uint32_t twenty = smpheap_xtensa_icount_stop();
	CHECK_EQ(twenty - none, 20);
	return check_report("xtensa_platform");
}
