/* cycles.c - the cycle counter the benchmarks use as their clock. */
#include "bench_shim.h"

#if defined(__x86_64__) || defined(__i386__)
uint64_t bench_cycles(void)
{
	uint32_t lo, hi;

	/* lfence before and after: rdtsc is not ordered with the loads and
	 * stores around it, and without the fences the measured operation can
	 * leak out of (or into) the window. */
	__asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}
#elif defined(__XTENSA__)
/* CCOUNT is 32 bits: extend it to 64 on every read, assuming reads are less
 * than one wrap (2^32 cycles) apart, which every benchmark loop satisfies.
 * The extension state is per core only in spirit: benchmarks compare
 * differences taken on one core. */
static uint32_t bench_ccount_last;
static uint64_t bench_ccount_high;

uint64_t bench_cycles(void)
{
	uint32_t c;

	__asm__ __volatile__("rsr.ccount %0" : "=a"(c)::"memory");
	if (c < bench_ccount_last)
		bench_ccount_high += (uint64_t)1 << 32;
	bench_ccount_last = c;
	return bench_ccount_high | c;
}
#elif defined(__aarch64__)
uint64_t bench_cycles(void)
{
	uint64_t v;

	__asm__ __volatile__("isb\n\tmrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}
#else
#error "bench_cycles: no cycle counter known for this architecture"
#endif
