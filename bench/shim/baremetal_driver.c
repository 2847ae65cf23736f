/* baremetal_driver.c - runs the shim's registrations with no OS, no malloc,
 * no floating point and no C++, and prints Google Benchmark's JSON schema
 * (context + benchmarks, counters flattened into each benchmark object as
 * Google Benchmark does), so the host's report and compare.py read it as is.
 *
 * Everything it needs from the platform comes through struct
 * bench_baremetal_platform: a putchar, optionally a cycle counter and its
 * frequency, optionally a way to run a body on several cores.
 *
 * Times are kept in cycles and converted to nanoseconds with integer
 * arithmetic; every fractional figure is printed as fixed point with three
 * decimals. Iteration counts grow as Google Benchmark's do: run, and if the
 * run was shorter than the minimum time, predict the count that reaches it
 * (x1.4 margin, at most x10 per step). */
#include <stdatomic.h>

#include "bench_shim_internal.h"

#define BM_MAX_RUN_THREADS 16 /* threads one run may use */

struct bm_counter {
	const char *name; /* NULL: slot unused */
	int64_t milli;	  /* value in thousandths, summed over threads */
	unsigned flags;	  /* BENCH_COUNTER_* */
};

struct bench_state {
	const struct bench_def *def;
	const int64_t *args;	 /* this run's tuple */
	unsigned thread_index;	 /* 0..threads-1 */
	unsigned threads;	 /* threads in this run */
	uint64_t max_iterations; /* iterations this run does */
	uint64_t iterations;	 /* done so far */
	bool started;		 /* keep_running was called once */
	bool running;		 /* timer running (not paused) */
	uint64_t t_start;	 /* cycle count when the timer last (re)started */
	uint64_t cycles;	 /* timed cycles (driver clock) */
	uint64_t manual_cycles;	 /* cycles given by bench_set_iteration_cycles */
	int64_t items, bytes;	 /* processed, for the rate counters */
	const char *error;	 /* set by bench_skip */
	struct bm_counter counters[BENCH_MAX_COUNTERS]; /* named counters */
};

static const struct bench_baremetal_platform *bm;
static struct bench_state bm_states[BM_MAX_RUN_THREADS];

/* A sense-reversing barrier: the threads of a run meet before timing starts
 * and after it ends, as Google Benchmark's threads do. */
static atomic_uint bm_barrier_count;
static atomic_uint bm_barrier_generation;

static void bm_barrier(unsigned threads)
{
	unsigned gen = atomic_load_explicit(&bm_barrier_generation, memory_order_acquire);
	unsigned spins = 0;

	if (threads <= 1)
		return;
	if (atomic_fetch_add_explicit(&bm_barrier_count, 1, memory_order_acq_rel) + 1 == threads) {
		atomic_store_explicit(&bm_barrier_count, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&bm_barrier_generation, 1, memory_order_acq_rel);
		return;
	}
	while (atomic_load_explicit(&bm_barrier_generation, memory_order_acquire) == gen)
		bench_spin_wait(&spins);
}

uint64_t bench_cycles_hz(void)
{
	return bm && bm->cycles_hz ? bm->cycles_hz : 1000000000u;
}

static uint64_t bm_cycles(void)
{
	return bm && bm->cycles ? bm->cycles() : bench_cycles();
}

void bench_spin_wait(unsigned *spins)
{
	++*spins;
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

bool bench_keep_running(struct bench_state *st)
{
	if (!st->started) {
		st->started = true;
		bm_barrier(st->threads);
		st->running = true;
		st->t_start = bm_cycles();
	} else {
		st->iterations++;
	}
	if (st->iterations < st->max_iterations && !st->error)
		return true;
	if (st->running) {
		st->cycles += bm_cycles() - st->t_start;
		st->running = false;
	}
	bm_barrier(st->threads);
	return false;
}

int64_t bench_arg_value(const struct bench_state *st, unsigned i)
{
	return i < st->def->nargs ? st->args[i] : 0;
}

void *bench_user(const struct bench_state *st)
{
	return st->def->user;
}

unsigned bench_thread_index(const struct bench_state *st)
{
	return st->thread_index;
}

unsigned bench_thread_count(const struct bench_state *st)
{
	return st->threads;
}

uint64_t bench_iterations_done(const struct bench_state *st)
{
	return st->iterations;
}

void bench_pause(struct bench_state *st)
{
	if (st->running) {
		st->cycles += bm_cycles() - st->t_start;
		st->running = false;
	}
}

void bench_resume(struct bench_state *st)
{
	if (!st->running) {
		st->running = true;
		st->t_start = bm_cycles();
	}
}

void bench_set_iteration_cycles(struct bench_state *st, uint64_t cycles)
{
	st->manual_cycles += cycles;
}

void bench_set_items(struct bench_state *st, int64_t items)
{
	st->items = items;
}

void bench_set_bytes(struct bench_state *st, int64_t bytes)
{
	st->bytes = bytes;
}

static void bm_set_counter(struct bench_state *st, const char *name, int64_t milli, unsigned flags)
{
	for (unsigned i = 0; i < BENCH_MAX_COUNTERS; i++) {
		struct bm_counter *c = &st->counters[i];

		if (!c->name || bench_streq(c->name, name)) {
			c->name = name;
			c->milli = milli;
			c->flags = flags;
			return;
		}
	}
	st->error = "more named counters than BENCH_MAX_COUNTERS";
}

void bench_counter(struct bench_state *st, const char *name, int64_t value, unsigned flags)
{
	bm_set_counter(st, name, value * 1000, flags);
}

void bench_counter_milli(struct bench_state *st, const char *name, int64_t value_milli,
			 unsigned flags)
{
	bm_set_counter(st, name, value_milli, flags);
}

void bench_skip(struct bench_state *st, const char *message)
{
	st->error = message;
}

/* Output: characters through the platform's putchar, numbers by hand. */

static void out_c(char c)
{
	if (bm && bm->putchar)
		bm->putchar(c);
}

static void out_s(const char *s)
{
	while (*s)
		out_c(*s++);
}

static void out_u(uint64_t v)
{
	char buf[21];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		out_c(buf[--n]);
}

static void out_milli(int64_t milli)
{
	uint64_t m;

	if (milli < 0) {
		out_c('-');
		m = (uint64_t)0 - (uint64_t)milli;
	} else {
		m = (uint64_t)milli;
	}
	out_u(m / 1000);
	out_c('.');
	out_c((char)('0' + m / 100 % 10));
	out_c((char)('0' + m / 10 % 10));
	out_c((char)('0' + m % 10));
}

static void out_json_str(const char *s)
{
	out_c('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out_c('\\');
			out_c((char)c);
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";

			out_s("\\u00");
			out_c(hex[c >> 4]);
			out_c(hex[c & 15]);
		} else {
			out_c((char)c);
		}
	}
	out_c('"');
}

/* The run's name, as Google Benchmark builds it:
 * family/arg:value.../iterations:N/manual_time/threads:N */
static char bm_name[256];

static void name_add(unsigned *n, const char *s)
{
	while (*s && *n < sizeof(bm_name) - 1)
		bm_name[(*n)++] = *s++;
	bm_name[*n] = 0;
}

static void name_add_i(unsigned *n, int64_t v)
{
	char buf[22];
	int k = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		buf[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[k++] = '-';
	while (k && *n < sizeof(bm_name) - 1)
		bm_name[(*n)++] = buf[--k];
	bm_name[*n] = 0;
}

static void make_name(const struct bench_def *d, const int64_t *args, unsigned threads,
		      bool threads_named)
{
	unsigned n = 0;

	name_add(&n, d->name);
	for (unsigned a = 0; a < d->nargs; a++) {
		name_add(&n, "/");
		if (d->arg_names[a] && d->arg_names[a][0]) {
			name_add(&n, d->arg_names[a]);
			name_add(&n, ":");
		}
		name_add_i(&n, args[a]);
	}
	if (d->iterations) {
		name_add(&n, "/iterations:");
		name_add_i(&n, (int64_t)d->iterations);
	}
	if (d->manual_time)
		name_add(&n, "/manual_time");
	if (threads_named) {
		name_add(&n, "/threads:");
		name_add_i(&n, threads);
	}
}

static bool name_selected(const char *filter)
{
	/* substring match: the bare-metal stand-in for --benchmark_filter */
	if (!filter || !*filter)
		return true;
	for (const char *s = bm_name; *s; s++) {
		const char *a = s, *b = filter;

		while (*a && *b && *a == *b) {
			a++;
			b++;
		}
		if (!*b)
			return true;
	}
	return false;
}

struct bm_run {
	const struct bench_def *def;
	const int64_t *args;
	unsigned threads;
	uint64_t iterations;
};

static struct bm_run bm_current;

static void bm_body(void *arg, unsigned i)
{
	struct bm_run *r = arg;
	struct bench_state *st = &bm_states[i];
	struct bench_state zero = {0};

	*st = zero;
	st->def = r->def;
	st->args = r->args;
	st->thread_index = i;
	st->threads = r->threads;
	st->max_iterations = r->iterations;
	r->def->fn(st);
	if (st->running) /* body returned without finishing the loop */
		bench_pause(st);
}

/* Runs one (def, args, threads) once with `iterations`; 0 or an error text. */
static const char *bm_run_once(uint64_t iterations)
{
	bm_current.iterations = iterations;
	if (bm_current.threads == 1) {
		bm_body(&bm_current, 0);
	} else {
		if (!bm->run_parallel)
			return "more than one thread and no run_parallel hook";
		if (bm->run_parallel(bm_current.threads, bm_body, &bm_current))
			return "run_parallel failed";
	}
	for (unsigned t = 0; t < bm_current.threads; t++)
		if (bm_states[t].error)
			return bm_states[t].error;
	return 0;
}

/* The run's time: each thread's own time, averaged over threads (as
 * Google Benchmark does for real and manual time). */
static uint64_t bm_run_cycles(void)
{
	uint64_t sum = 0;

	for (unsigned t = 0; t < bm_current.threads; t++)
		sum +=
		    bm_current.def->manual_time ? bm_states[t].manual_cycles : bm_states[t].cycles;
	return sum / bm_current.threads;
}

static unsigned bm_family, bm_instance;
static bool bm_first_result;

static void out_counter(const char *name, int64_t milli)
{
	out_s(",\n      ");
	out_json_str(name);
	out_s(": ");
	out_milli(milli);
}

static void bm_report(const char *error)
{
	uint64_t iters = 0, cyc = bm_run_cycles();
	uint64_t ns = bench_cycles_to_ns(cyc);
	int64_t items = 0, bytes = 0;

	for (unsigned t = 0; t < bm_current.threads; t++) {
		iters += bm_states[t].iterations;
		items += bm_states[t].items;
		bytes += bm_states[t].bytes;
	}
	out_s(bm_first_result ? "\n    {\n" : ",\n    {\n");
	bm_first_result = false;
	out_s("      \"name\": ");
	out_json_str(bm_name);
	out_s(",\n      \"family_index\": ");
	out_u(bm_family);
	out_s(",\n      \"per_family_instance_index\": ");
	out_u(bm_instance);
	out_s(",\n      \"run_name\": ");
	out_json_str(bm_name);
	out_s(",\n      \"run_type\": \"iteration\",\n      \"repetitions\": 1,\n"
	      "      \"repetition_index\": 0,\n      \"threads\": ");
	out_u(bm_current.threads);
	out_s(",\n      \"iterations\": ");
	out_u(iters);
	if (error) {
		out_s(",\n      \"error_occurred\": true,\n      \"error_message\": ");
		out_json_str(error);
		out_s("\n    }");
		return;
	}
	/* per-iteration time in thousandths of a ns */
	uint64_t per_iter_milli = iters ? ns * 1000u / iters : 0;
	out_s(",\n      \"real_time\": ");
	out_milli((int64_t)per_iter_milli);
	out_s(",\n      \"cpu_time\": ");
	out_milli((int64_t)per_iter_milli);
	out_s(",\n      \"time_unit\": \"ns\"");
	out_counter("cycles_per_iteration", iters ? (int64_t)(cyc * 1000u / iters) : 0);
	if (bytes && ns)
		out_counter("bytes_per_second",
			    (int64_t)bench_muldiv((uint64_t)bytes, 1000000000000u, ns));
	if (items && ns)
		out_counter("items_per_second",
			    (int64_t)bench_muldiv((uint64_t)items, 1000000000000u, ns));
	/* counters: merged over threads by name (summed), then scaled by flags */
	for (unsigned i = 0; i < BENCH_MAX_COUNTERS; i++) {
		const char *name = 0;
		int64_t sum = 0;
		unsigned flags = 0;

		for (unsigned t = 0; t < bm_current.threads && !name; t++)
			if (bm_states[t].counters[i].name)
				name = bm_states[t].counters[i].name;
		if (!name)
			continue;
		/* only the first thread holding this name at slot i starts the merge */
		bool seen = false;
		for (unsigned t = 0; t < bm_current.threads && !seen; t++)
			for (unsigned j = 0; j < i; j++)
				if (bm_states[t].counters[j].name &&
				    bench_streq(bm_states[t].counters[j].name, name))
					seen = true;
		if (seen)
			continue;
		for (unsigned t = 0; t < bm_current.threads; t++)
			for (unsigned j = 0; j < BENCH_MAX_COUNTERS; j++)
				if (bm_states[t].counters[j].name &&
				    bench_streq(bm_states[t].counters[j].name, name)) {
					sum += bm_states[t].counters[j].milli;
					flags = bm_states[t].counters[j].flags;
				}
		if ((flags & BENCH_COUNTER_RATE) && ns) {
			uint64_t m = sum < 0 ? (uint64_t)0 - (uint64_t)sum : (uint64_t)sum;

			m = bench_muldiv(m, 1000000000u, ns);
			sum = sum < 0 ? -(int64_t)m : (int64_t)m;
		}
		if (flags & BENCH_COUNTER_AVG_THREADS)
			sum /= (int64_t)bm_current.threads;
		if ((flags & BENCH_COUNTER_AVG_ITERS) && iters)
			sum /= (int64_t)iters;
		out_counter(name, sum);
	}
	out_s("\n    }");
}

static void bm_run_instance(void)
{
	uint64_t min_cycles = bm->min_cycles ? bm->min_cycles : bench_cycles_hz() / 100;
	uint64_t max_iters = bm->max_iterations ? bm->max_iterations : 1000000000u;
	uint64_t iters = bm_current.def->iterations ? bm_current.def->iterations : 1;
	const char *error;

	for (;;) {
		uint64_t cyc, next;

		error = bm_run_once(iters);
		if (error || bm_current.def->iterations)
			break;
		cyc = bm_run_cycles();
		if (cyc >= min_cycles || iters >= max_iters)
			break;
		/* predict the count that reaches min_cycles, with margin */
		next = cyc ? bench_muldiv(iters, min_cycles * 14 / 10, cyc) : iters * 10;
		if (next > iters * 10)
			next = iters * 10;
		if (next <= iters)
			next = iters + 1;
		iters = next > max_iters ? max_iters : next;
	}
	bm_report(error);
}

int bench_baremetal_run(const struct bench_baremetal_platform *platform)
{
	bm = platform;
	bm_first_result = true;
	out_s("{\n  \"context\": {\n    \"executable\": \"baremetal\",\n    \"num_cpus\": 1,\n"
	      "    \"mhz_per_cpu\": ");
	out_u(bench_cycles_hz() / 1000000u);
	out_s(",\n    \"cpu_scaling_enabled\": false,\n    \"caches\": [],\n"
	      "    \"library_build_type\": \"release\",\n    \"driver\": \"baremetal\",\n"
	      "    \"cycles_hz\": \"");
	out_u(bench_cycles_hz());
	out_s(bm->cycles_hz ? "\"" : " (assumed)\"");
	for (unsigned i = 0; i < bench_context_count; i++) {
		out_s(",\n    ");
		out_json_str(bench_context_keys[i]);
		out_s(": ");
		out_json_str(bench_context_values[i]);
	}
	out_s("\n  },\n  \"benchmarks\": [");
	bm_family = 0;
	for (unsigned i = 0; i < bench_def_count; i++) {
		const struct bench_def *d = &bench_defs[i];
		static const int64_t no_args[BENCH_MAX_ARGS];
		unsigned nruns = d->nruns ? d->nruns : 1;
		unsigned nthreads = d->nthreads ? d->nthreads : 1;
		bool any = false;

		bm_instance = 0;
		for (unsigned r = 0; r < nruns; r++) {
			for (unsigned t = 0; t < nthreads; t++) {
				unsigned threads = d->nthreads ? d->threads[t] : 1;

				bm_current.def = d;
				bm_current.args = d->nruns ? d->runs[r] : no_args;
				bm_current.threads = threads;
				make_name(d, bm_current.args, threads, d->nthreads != 0);
				if (!name_selected(bm->filter))
					continue;
				any = true;
				if (threads > BM_MAX_RUN_THREADS) {
					bm_current.threads = 1;
					bm_report("too many threads for the bare-metal driver");
				} else {
					bm_run_instance();
				}
				bm_instance++;
			}
		}
		if (any)
			bm_family++;
	}
	out_s("\n  ]\n}\n");
	return 0;
}
