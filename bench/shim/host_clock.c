/* host_clock.c - the host side of the clock: calibrates the cycle counter
 * against CLOCK_MONOTONIC once, and spins politely. */
#define _GNU_SOURCE
#include <sched.h>
#include <time.h>

#include "bench_host.h"

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t calibrated_hz;

uint64_t bench_host_calibrate(void)
{
	/* 50 ms against the monotonic clock: the bracketing reads cost well
	 * under a microsecond, so the error is below 1e-4. Three tries, the
	 * median, so one preemption in a window does not skew the result. */
	uint64_t hz[3];

	if (calibrated_hz)
		return calibrated_hz;
	for (int i = 0; i < 3; i++) {
		uint64_t n0 = host_ns(), c0 = bench_cycles(), n1, c1;

		do {
			n1 = host_ns();
		} while (n1 - n0 < 50000000u);
		c1 = bench_cycles();
		hz[i] = (uint64_t)((double)(c1 - c0) * 1e9 / (double)(n1 - n0));
	}
	for (int i = 0; i < 2; i++)
		for (int j = i + 1; j < 3; j++)
			if (hz[j] < hz[i]) {
				uint64_t t = hz[i];
				hz[i] = hz[j];
				hz[j] = t;
			}
	calibrated_hz = hz[1];
	return calibrated_hz;
}

void bench_host_spin_wait(unsigned *spins)
{
	/* Spin briefly (the other side is usually a few hundred cycles away),
	 * then yield: with more threads than cores the thread we wait for may
	 * need our CPU to make progress. */
	if (++*spins < 256) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		return;
	}
	*spins = 0;
	sched_yield();
}
