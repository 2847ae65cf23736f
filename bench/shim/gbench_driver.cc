// gbench_driver.cc - the shim over Google Benchmark. The only C++ in bench/:
// it turns the C registrations into benchmark::RegisterBenchmark() calls and
// forwards the C state calls to benchmark::State.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_host.h"
#include "bench_shim_internal.h"

struct bench_state {
	benchmark::State *gb;	     // the Google Benchmark state of this thread
	const struct bench_def *def; // the registration
};

static uint64_t driver_hz;

extern "C" uint64_t bench_cycles_hz(void)
{
	if (!driver_hz)
		driver_hz = bench_host_calibrate();
	return driver_hz;
}

extern "C" void bench_spin_wait(unsigned *spins)
{
	bench_host_spin_wait(spins);
}

extern "C" bool bench_keep_running(struct bench_state *st)
{
	return st->gb->KeepRunning();
}

extern "C" int64_t bench_arg_value(const struct bench_state *st, unsigned i)
{
	return i < st->def->nargs ? st->gb->range(i) : 0;
}

extern "C" void *bench_user(const struct bench_state *st)
{
	return st->def->user;
}

extern "C" unsigned bench_thread_index(const struct bench_state *st)
{
	return (unsigned)st->gb->thread_index();
}

extern "C" unsigned bench_thread_count(const struct bench_state *st)
{
	return (unsigned)st->gb->threads();
}

extern "C" uint64_t bench_iterations_done(const struct bench_state *st)
{
	return (uint64_t)st->gb->iterations();
}

extern "C" void bench_pause(struct bench_state *st)
{
	st->gb->PauseTiming();
}

extern "C" void bench_resume(struct bench_state *st)
{
	st->gb->ResumeTiming();
}

extern "C" void bench_set_iteration_cycles(struct bench_state *st, uint64_t cycles)
{
	st->gb->SetIterationTime((double)cycles / (double)bench_cycles_hz());
}

extern "C" void bench_set_items(struct bench_state *st, int64_t items)
{
	st->gb->SetItemsProcessed(items);
}

extern "C" void bench_set_bytes(struct bench_state *st, int64_t bytes)
{
	st->gb->SetBytesProcessed(bytes);
}

static benchmark::Counter::Flags gb_flags(unsigned flags)
{
	int f = benchmark::Counter::kDefaults;

	if (flags & BENCH_COUNTER_RATE)
		f |= benchmark::Counter::kIsRate;
	if (flags & BENCH_COUNTER_AVG_THREADS)
		f |= benchmark::Counter::kAvgThreads;
	if (flags & BENCH_COUNTER_AVG_ITERS)
		f |= benchmark::Counter::kAvgIterations;
	return static_cast<benchmark::Counter::Flags>(f);
}

extern "C" void bench_counter(struct bench_state *st, const char *name, int64_t value,
			      unsigned flags)
{
	st->gb->counters[name] = benchmark::Counter((double)value, gb_flags(flags));
}

extern "C" void bench_counter_milli(struct bench_state *st, const char *name, int64_t value_milli,
				    unsigned flags)
{
	st->gb->counters[name] = benchmark::Counter((double)value_milli / 1000.0, gb_flags(flags));
}

extern "C" void bench_skip(struct bench_state *st, const char *message)
{
	st->gb->SkipWithError(message);
}

static void run_one(benchmark::State &gb, const struct bench_def *def)
{
	struct bench_state st = {&gb, def};

	def->fn(&st);
}

extern "C" int bench_main(int argc, char **argv)
{
	bench_cycles_hz(); // calibrate before any benchmark thread starts
	for (unsigned i = 0; i < bench_context_count; i++)
		benchmark::AddCustomContext(bench_context_keys[i], bench_context_values[i]);
	for (unsigned i = 0; i < bench_def_count; i++) {
		const struct bench_def *d = &bench_defs[i];
		benchmark::internal::Benchmark *b =
		    benchmark::RegisterBenchmark(d->name, run_one, d);

		b->Unit(benchmark::kNanosecond);
		if (d->nargs) {
			std::vector<std::string> names;
			for (unsigned a = 0; a < d->nargs; a++)
				names.push_back(d->arg_names[a] ? d->arg_names[a] : "");
			b->ArgNames(names);
		}
		for (unsigned r = 0; r < d->nruns; r++)
			b->Args(std::vector<int64_t>(d->runs[r], d->runs[r] + d->nargs));
		for (unsigned t = 0; t < d->nthreads; t++)
			b->Threads((int)d->threads[t]);
		if (d->manual_time)
			b->UseManualTime();
		if (d->iterations)
			b->Iterations((benchmark::IterationCount)d->iterations);
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	// the filter in effect (flag or BENCHMARK_FILTER; none: "."): report.py
	// leaves a filtered, partial run out when it picks a machine's newest run
	std::string filter = benchmark::GetBenchmarkFilter();
	benchmark::AddCustomContext("benchmark_filter", filter.empty() ? "." : filter);
	size_t ran = benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return ran ? 0 : 2;
}
