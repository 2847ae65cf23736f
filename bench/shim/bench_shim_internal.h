/* bench_shim_internal.h - what the two drivers share (not for benchmarks). */
#ifndef BENCH_SHIM_INTERNAL_H
#define BENCH_SHIM_INTERNAL_H

#include "bench_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bench_def {
	const char *name;			      /* family name */
	bench_fn fn;				      /* the body */
	void *user;				      /* given back by bench_user() */
	unsigned nargs;				      /* arguments per tuple */
	const char *arg_names[BENCH_MAX_ARGS];	      /* NULL: unnamed */
	unsigned nruns;				      /* tuples registered */
	int64_t runs[BENCH_MAX_RUNS][BENCH_MAX_ARGS]; /* the tuples */
	unsigned nthreads;			      /* thread counts registered (0: 1, unnamed) */
	unsigned threads[BENCH_MAX_THREADS];	      /* the thread counts */
	bool manual_time;			      /* times from bench_set_iteration_cycles() */
	uint64_t iterations;			      /* fixed count, 0: chosen by the driver */
};

extern struct bench_def bench_defs[BENCH_MAX_DEFS];
extern unsigned bench_def_count;
extern const char *bench_context_keys[BENCH_MAX_CONTEXT];
extern const char *bench_context_values[BENCH_MAX_CONTEXT];
extern unsigned bench_context_count;

int bench_streq(const char *a, const char *b);
uint64_t bench_muldiv(uint64_t a, uint64_t b, uint64_t c);

#ifdef __cplusplus
}
#endif

#endif
