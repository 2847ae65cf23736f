/* bench_shim.h - write benchmarks in plain C, run them under two drivers.
 *
 * The same registrations run under
 *   - gbench_driver.cc: Google Benchmark (the host; every --benchmark_* flag works), and
 *   - baremetal_driver.c: plain C, no OS, no malloc, no floating point, for
 *     bare-metal targets (Xtensa under QEMU); it prints Google Benchmark's JSON schema.
 *
 * The API has no floating point at all, so a benchmark compiles for a target
 * without an FPU or soft-float helpers: times are cycles of the platform's
 * cycle counter, fractional counters are fixed point (value / 1000).
 *
 * A benchmark body:
 *
 *	static void bm(struct bench_state *st)
 *	{
 *		size_t size = (size_t)bench_arg(st, 0);
 *		while (bench_keep_running(st)) {
 *			uint64_t t0 = bench_cycles();
 *			work(size);
 *			bench_set_iteration_cycles(st, bench_cycles() - t0);
 *		}
 *		bench_counter(st, "p99_cycles", p99, BENCH_COUNTER_DEFAULT);
 *	}
 *
 * registered once, before the driver runs:
 *
 *	struct bench_def *d = bench_register("pair/smpheap", bm, user);
 *	bench_arg_names(d, 1, (const char *[]){"size"});
 *	bench_range(d, 16, 4096, 4);
 *	bench_threads(d, 1);
 *	bench_manual_time(d);
 */
#ifndef BENCH_SHIM_H
#define BENCH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_MAX_DEFS 512    /* registrations per program (static pool: no malloc) */
#define BENCH_MAX_ARGS 4      /* arguments per run */
#define BENCH_MAX_RUNS 24     /* argument tuples per registration */
#define BENCH_MAX_THREADS 8   /* thread counts per registration */
#define BENCH_MAX_COUNTERS 64 /* named counters per benchmark run */
#define BENCH_MAX_CONTEXT 48  /* context key/values per program */

/* Counter flags; the same meaning as benchmark::Counter's. */
#define BENCH_COUNTER_DEFAULT 0u
#define BENCH_COUNTER_RATE (1u << 0)	    /* divided by the run's time (per second) */
#define BENCH_COUNTER_AVG_THREADS (1u << 1) /* divided by the thread count */
#define BENCH_COUNTER_AVG_ITERS (1u << 2)   /* divided by the iteration count */

struct bench_state; /* one per thread per run; owned by the driver */
struct bench_def;   /* one registration; owned by the shim */

typedef void (*bench_fn)(struct bench_state *st);

/* Registration (before bench_main / bench_baremetal_run). `name` and every
 * string given here must outlive the program (string literals, static buffers).
 * Returns NULL when the static pool is full. */
struct bench_def *bench_register(const char *name, bench_fn fn, void *user);
void bench_arg_names(struct bench_def *d, unsigned n, const char *const *names);
void bench_args(struct bench_def *d, unsigned n, const int64_t *values); /* adds one tuple */
void bench_arg(struct bench_def *d, int64_t value);			 /* adds a 1-tuple */
/* Adds 1-tuples lo, lo*mult, ... up to hi (hi itself included). */
void bench_range(struct bench_def *d, int64_t lo, int64_t hi, int64_t mult);
void bench_threads(struct bench_def *d, unsigned threads); /* adds a thread count (default 1) */
/* Iteration times come from bench_set_iteration_cycles() instead of the driver's clock. */
void bench_manual_time(struct bench_def *d);
/* Fixed iteration count (0: the driver chooses, honouring --benchmark_min_time). */
void bench_iterations(struct bench_def *d, uint64_t iterations);

/* Adds a key/value to the JSON context (the host driver also accepts
 * --benchmark_context=k=v). Strings must outlive the program. */
void bench_context(const char *key, const char *value);

/* Inside a benchmark body. */
bool bench_keep_running(struct bench_state *st);
int64_t bench_arg_value(const struct bench_state *st, unsigned i);
void *bench_user(const struct bench_state *st);
unsigned bench_thread_index(const struct bench_state *st);
unsigned bench_thread_count(const struct bench_state *st);
uint64_t bench_iterations_done(const struct bench_state *st); /* after the loop: iterations run */
void bench_pause(struct bench_state *st);
void bench_resume(struct bench_state *st);
void bench_set_iteration_cycles(struct bench_state *st, uint64_t cycles); /* manual time */
void bench_set_items(struct bench_state *st, int64_t items);		  /* items_per_second */
void bench_set_bytes(struct bench_state *st, int64_t bytes);		  /* bytes_per_second */
void bench_counter(struct bench_state *st, const char *name, int64_t value, unsigned flags);
/* A fractional counter: reported as value_milli / 1000. */
void bench_counter_milli(struct bench_state *st, const char *name, int64_t value_milli,
			 unsigned flags);
/* Marks the run as failed (reported with "error_occurred"); the loop ends. */
void bench_skip(struct bench_state *st, const char *message);

/* The cycle counter that manual time and latencies use: rdtsc on x86-64 (with
 * lfence so it is ordered against the measured code), rdtsc elsewhere via the
 * platform hook, CCOUNT on Xtensa. */
uint64_t bench_cycles(void);
/* Cycles per second of bench_cycles() (calibrated once on the host). */
uint64_t bench_cycles_hz(void);
/* Converts cycles to nanoseconds without floating point. */
uint64_t bench_cycles_to_ns(uint64_t cycles);
/* Same, in thousandths of a nanosecond. */
uint64_t bench_cycles_to_ns_milli(uint64_t cycles);
/* A polite spin-wait step for loops waiting on another thread (yields the
 * CPU on the host after a while, so oversubscribed runs make progress). */
void bench_spin_wait(unsigned *spins);

/* Host driver entry: parses --benchmark_* flags, runs what the filter selects,
 * returns the process exit status. */
int bench_main(int argc, char **argv);

/* Bare-metal driver. The platform supplies the hooks it has; missing ones
 * fall back to: putchar -> nothing printed, run_parallel -> benchmarks with
 * more than one thread are skipped (reported as errors). */
struct bench_baremetal_platform {
	void (*putchar)(int c);	  /* one output character */
	uint64_t (*cycles)(void); /* the cycle counter (overrides bench_cycles()) */
	uint64_t cycles_hz;	  /* its frequency; 0: 1 GHz assumed, said in the context */
	/* Runs body(arg, i) for i in 0..n-1, each on its own core/thread, and
	 * returns when all are done; 0 on success. */
	int (*run_parallel)(unsigned n, void (*body)(void *arg, unsigned i), void *arg);
	const char *filter;	 /* only names containing this substring; NULL: all */
	uint64_t min_cycles;	 /* minimum run length in cycles; 0: cycles_hz / 100 */
	uint64_t max_iterations; /* cap on the iteration count; 0: 1e9 */
};
int bench_baremetal_run(const struct bench_baremetal_platform *platform);

#ifdef __cplusplus
}
#endif

#endif /* BENCH_SHIM_H */
