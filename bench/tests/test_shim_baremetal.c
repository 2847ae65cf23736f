/* test_shim_baremetal.c - the bare-metal driver's arithmetic and output:
 * a fake cycle counter makes every time exact, so names, iteration counts,
 * times, rates, and counter merging over threads can be checked to the digit. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench_shim.h"
#include "check.h"

static char out[1 << 16];
static size_t nout;
static uint64_t fake_now;

static void put(int c)
{
	if (nout < sizeof(out) - 1)
		out[nout++] = (char)c;
}

static uint64_t fake_cycles(void)
{
	return __atomic_load_n(&fake_now, __ATOMIC_SEQ_CST);
}

static void bm_manual(struct bench_state *st)
{
	while (bench_keep_running(st))
		bench_set_iteration_cycles(st, 1000 + (uint64_t)bench_arg_value(st, 1));
	bench_counter(st, "arg0", bench_arg_value(st, 0), BENCH_COUNTER_DEFAULT);
	bench_counter_milli(st, "third", 333, BENCH_COUNTER_DEFAULT);
	bench_counter_milli(st, "negative", -1500, BENCH_COUNTER_DEFAULT);
	bench_set_items(st, (int64_t)bench_iterations_done(st));
}

static void bm_clock(struct bench_state *st)
{
	/* driver clock: each iteration advances the fake counter by 250 */
	while (bench_keep_running(st)) {
		__atomic_add_fetch(&fake_now, 250, __ATOMIC_SEQ_CST);
		bench_pause(st);
		__atomic_add_fetch(&fake_now, 1000000, __ATOMIC_SEQ_CST); /* not timed */
		bench_resume(st);
	}
}

static void bm_threads(struct bench_state *st)
{
	while (bench_keep_running(st))
		bench_set_iteration_cycles(st, 500);
	bench_counter(st, "per_thread", 10, BENCH_COUNTER_AVG_THREADS);
	bench_counter(st, "summed", 10, BENCH_COUNTER_DEFAULT);
	bench_counter(st, "index_sum", bench_thread_index(st), BENCH_COUNTER_DEFAULT);
}

static void bm_fail(struct bench_state *st)
{
	while (bench_keep_running(st))
		bench_skip(st, "it \"failed\"");
}

struct par {
	void (*body)(void *, unsigned);
	void *arg;
	unsigned i;
};

static void *par_main(void *a)
{
	struct par *p = a;

	p->body(p->arg, p->i);
	return NULL;
}

static int run_parallel(unsigned n, void (*body)(void *, unsigned), void *arg)
{
	pthread_t th[8];
	struct par ps[8];

	for (unsigned i = 0; i < n; i++) {
		ps[i] = (struct par){body, arg, i};
		pthread_create(&th[i], NULL, par_main, &ps[i]);
	}
	for (unsigned i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return 0;
}

static int has(const char *s)
{
	if (strstr(out, s))
		return 1;
	printf("missing: %s\n", s);
	return 0;
}

int main(void)
{
	static const char *const names[] = {"x", "y"};
	static const int64_t a1[] = {7, 0}, a2[] = {9, 1000};
	struct bench_def *d;
	struct bench_baremetal_platform p = {0};

	d = bench_register("manual", bm_manual, NULL);
	bench_arg_names(d, 2, names);
	bench_args(d, 2, a1);
	bench_args(d, 2, a2);
	bench_manual_time(d);
	bench_iterations(d, 1000);
	d = bench_register("clock", bm_clock, NULL);
	bench_range(d, 8, 64, 4);
	d = bench_register("threads", bm_threads, NULL);
	bench_threads(d, 2);
	bench_manual_time(d);
	bench_iterations(d, 10);
	d = bench_register("fail", bm_fail, NULL);
	bench_context("key", "va\"lue");

	p.putchar = put;
	p.cycles = fake_cycles;
	p.cycles_hz = 1000000000; /* 1 cycle = 1 ns */
	p.run_parallel = run_parallel;
	p.min_cycles = 100000;
	CHECK_EQ(bench_baremetal_run(&p), 0);
	out[nout] = 0;
	fputs(out, stdout);

	CHECK(has("\"key\": \"va\\\"lue\""));
	CHECK(has("\"cycles_hz\": \"1000000000\""));
	/* names as Google Benchmark builds them */
	CHECK(has("\"name\": \"manual/x:7/y:0/iterations:1000/manual_time\""));
	CHECK(has("\"run_name\": \"manual/x:9/y:1000/iterations:1000/manual_time\""));
	CHECK(has("\"name\": \"clock/8\""));
	CHECK(has("\"name\": \"clock/32\""));
	CHECK(has("\"name\": \"clock/64\""));
	CHECK(!strstr(out, "\"clock/128\""));
	CHECK(has("\"name\": \"threads/iterations:10/manual_time/threads:2\""));
	/* manual time: 1000 cycles = 1000 ns per iteration; then 2000 */
	CHECK(has("\"iterations\": 1000,\n      \"real_time\": 1000.000"));
	CHECK(has("\"real_time\": 2000.000"));
	CHECK(has("\"items_per_second\": 1000000.000"));
	CHECK(has("\"items_per_second\": 500000.000"));
	CHECK(has("\"arg0\": 9.000"));
	CHECK(has("\"third\": 0.333"));
	CHECK(has("\"negative\": -1.500"));
	/* driver clock: paused time excluded; grows to >= min_cycles (100000 ns
	 * at 250 per iteration: 400 iterations at least) */
	CHECK(has("\"real_time\": 250.000"));
	/* threads: iterations summed (2 x 10), time averaged, counters merged */
	CHECK(has("\"threads\": 2,\n      \"iterations\": 20,\n      \"real_time\": 250.000"));
	CHECK(has("\"per_thread\": 10.000"));
	CHECK(has("\"summed\": 20.000"));
	CHECK(has("\"index_sum\": 1.000"));
	CHECK(has("\"error_occurred\": true"));
	CHECK(has("\"error_message\": \"it \\\"failed\\\"\""));
	CHECK(has("\"family_index\": 3"));
	return check_report("bench_shim_baremetal");
}
