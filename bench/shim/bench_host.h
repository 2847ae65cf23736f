/* bench_host.h - host-only helpers of the shim (Linux). */
#ifndef BENCH_HOST_H
#define BENCH_HOST_H

#include "bench_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Cycles per second of bench_cycles(), measured once against CLOCK_MONOTONIC_RAW. */
uint64_t bench_host_calibrate(void);
void bench_host_spin_wait(unsigned *spins);

#ifdef __cplusplus
}
#endif

#endif
