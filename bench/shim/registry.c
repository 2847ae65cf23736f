/* registry.c - the registration side of the shim, shared by both drivers.
 * Plain C, no malloc: definitions live in a static pool. */
#include "bench_shim_internal.h"

struct bench_def bench_defs[BENCH_MAX_DEFS];
unsigned bench_def_count;
const char *bench_context_keys[BENCH_MAX_CONTEXT];
const char *bench_context_values[BENCH_MAX_CONTEXT];
unsigned bench_context_count;

struct bench_def *bench_register(const char *name, bench_fn fn, void *user)
{
	struct bench_def *d;

	if (bench_def_count >= BENCH_MAX_DEFS)
		return NULL;
	d = &bench_defs[bench_def_count++];
	d->name = name;
	d->fn = fn;
	d->user = user;
	return d;
}

void bench_arg_names(struct bench_def *d, unsigned n, const char *const *names)
{
	if (!d)
		return;
	for (unsigned i = 0; i < n && i < BENCH_MAX_ARGS; i++)
		d->arg_names[i] = names[i];
	d->nargs = n < BENCH_MAX_ARGS ? n : BENCH_MAX_ARGS;
}

void bench_args(struct bench_def *d, unsigned n, const int64_t *values)
{
	if (!d || d->nruns >= BENCH_MAX_RUNS)
		return;
	for (unsigned i = 0; i < n && i < BENCH_MAX_ARGS; i++)
		d->runs[d->nruns][i] = values[i];
	if (n > d->nargs)
		d->nargs = n < BENCH_MAX_ARGS ? n : BENCH_MAX_ARGS;
	d->nruns++;
}

void bench_arg(struct bench_def *d, int64_t value)
{
	bench_args(d, 1, &value);
}

void bench_range(struct bench_def *d, int64_t lo, int64_t hi, int64_t mult)
{
	int64_t v = lo;

	if (mult < 2)
		mult = 2;
	while (v < hi) {
		bench_arg(d, v);
		v *= mult;
	}
	bench_arg(d, hi);
}

void bench_threads(struct bench_def *d, unsigned threads)
{
	if (!d || d->nthreads >= BENCH_MAX_THREADS || threads == 0)
		return;
	d->threads[d->nthreads++] = threads;
}

void bench_manual_time(struct bench_def *d)
{
	if (d)
		d->manual_time = true;
}

void bench_iterations(struct bench_def *d, uint64_t iterations)
{
	if (d)
		d->iterations = iterations;
}

void bench_context(const char *key, const char *value)
{
	for (unsigned i = 0; i < bench_context_count; i++) {
		if (bench_streq(bench_context_keys[i], key)) {
			bench_context_values[i] = value;
			return;
		}
	}
	if (bench_context_count >= BENCH_MAX_CONTEXT)
		return;
	bench_context_keys[bench_context_count] = key;
	bench_context_values[bench_context_count] = value;
	bench_context_count++;
}

int bench_streq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

uint64_t bench_muldiv(uint64_t a, uint64_t b, uint64_t c)
{
	/* a * b / c without a 128-bit type (none on 32-bit targets): split a by
	 * c first; the remainder term fits when b and c are below 2^32. */
	if (c == 0)
		return 0;
	return (a / c) * b + ((a % c) * b) / c;
}

uint64_t bench_cycles_to_ns(uint64_t cycles)
{
	return bench_muldiv(cycles, 1000000000u, bench_cycles_hz());
}

uint64_t bench_cycles_to_ns_milli(uint64_t cycles)
{
	uint64_t hz = bench_cycles_hz();
	uint64_t whole = bench_muldiv(cycles, 1000000000u, hz);
	/* the thousandths come from the remainder of the same division */
	uint64_t rem = (cycles % hz) * 1000000000u % hz;
	return whole * 1000u + rem * 1000u / hz;
}
