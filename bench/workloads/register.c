/* register.c - the registrations: a static pool of defs, their names
 * ("<workload>/<strategy>[/<part>]"), each workload's arguments, thread
 * counts and iteration counts, and the dispatch of a def to its body. */
#include "wl_internal.h"

#define WL_MAX_DEFS 320

static struct wl_def wl_defs[WL_MAX_DEFS];
static unsigned wl_ndefs;

void wl_run(struct bench_state *st)
{
	struct wl_def *d = bench_user(st);

	switch (d->kind) {
	case WL_PAIR:
		wl_pair(st, d);
		break;
	case WL_BATCH:
	case WL_BATCH_SYS:
		wl_batch(st, d);
		break;
	case WL_THREADS:
		wl_threads(st, d);
		break;
	case WL_HANDOFF:
		wl_handoff(st, d);
		break;
	case WL_PIPELINE:
		wl_pipeline(st, d);
		break;
	case WL_CHURN:
		wl_churn(st, d);
		break;
	case WL_REPLAY:
		wl_replay(st, d);
		break;
	case WL_IPC4:
		wl_ipc4_pipelines(st, d);
		break;
	case WL_IPC4_RELOAD:
		wl_ipc4_reload(st, d);
		break;
	case WL_FILL:
		wl_fill(st, d);
		break;
	}
}

static const char *const wl_kind_names[] = {
    [WL_PAIR] = "pair",		  [WL_BATCH] = "batch",
    [WL_BATCH_SYS] = "batch-sys", [WL_THREADS] = "threads",
    [WL_HANDOFF] = "handoff",	  [WL_PIPELINE] = "pipeline",
    [WL_CHURN] = "churn",	  [WL_REPLAY] = "replay",
    [WL_IPC4] = "ipc4-pipelines", [WL_IPC4_RELOAD] = "ipc4-reload",
    [WL_FILL] = "fill",
};

static void wl_name(struct wl_def *d, const char *a, const char *b, const char *c)
{
	unsigned n = 0;
	const char *parts[3] = {a, b, c};

	for (unsigned i = 0; i < 3; i++) {
		const char *p = parts[i];

		if (!p)
			continue;
		if (i && n < sizeof(d->name) - 1)
			d->name[n++] = '/';
		while (*p && n < sizeof(d->name) - 1)
			d->name[n++] = *p++;
	}
	d->name[n] = 0;
}

static struct wl_def *wl_new(enum wl_kind kind, struct strategy *s, const char *tag)
{
	struct wl_def *d;

	if (wl_ndefs >= WL_MAX_DEFS)
		return NULL;
	d = &wl_defs[wl_ndefs++];
	d->kind = kind;
	d->s = s;
	d->trace = NULL;
	wl_name(d, wl_kind_names[kind], s->name, tag);
	return d;
}

/* layout: NULL, or the layout's name as the third name part (then churn
 * runs the runtime zone only) */
static struct wl_def *wl_register_as(enum wl_kind kind, struct strategy *s, bool full,
				     const char *layout)
{
	static const char *const size_name[] = {"size"};
	static const char *const batch_names[] = {"n", "size"};
	static const char *const churn_names[] = {"fill", "zone"};
	bool floor = s->floor;
	struct wl_def *d = wl_new(kind, s, layout);
	struct bench_def *b;

	if (!d || !(b = bench_register(d->name, wl_run, d)))
		return NULL;
	bench_manual_time(b);
	switch (kind) {
	case WL_PAIR:
		bench_arg_names(b, 1, size_name);
		if (floor) {
			/* a floor is the same at every size; a fixed count keeps a
			 * nearly-zero manual time from growing the run without end */
			bench_arg(b, 64);
			bench_iterations(b, full ? 10000000 : 2000000);
		} else if (layout) {
			/* a second layout: the buffer pair at a short and a long
			 * run (issue 11: 256 KiB at most 2x the 4 KiB pair) */
			bench_arg(b, 4096);
			bench_arg(b, 262144);
		} else if (full) {
			bench_range(b, 16, 262144, 2);
		} else {
			int64_t sizes[] = {16, 64, 256, 1024, 4096, 16384, 65536, 262144};

			for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				bench_arg(b, sizes[i]);
		}
		bench_threads(b, 1);
		break;
	case WL_BATCH:
	case WL_BATCH_SYS: {
		int64_t runs[][2] = {{256, 64}, {256, 1024}, {32, 16384}, {1024, 64}, {64, 65536}};
		unsigned nruns = kind == WL_BATCH_SYS ? 2 : full ? 5 : 3;

		bench_arg_names(b, 2, batch_names);
		for (unsigned i = 0; i < nruns; i++)
			bench_args(b, 2, runs[i]);
		bench_threads(b, 1);
		/* smpheap's untimed reset (core_down + core_up) costs far more
		 * than the timed allocations: by time alone the host ran 13 500
		 * to 15 000 resets (11 to 19 s) for 0.07 s of timed work. A
		 * fixed count gives every strategy the same 51 200 timed
		 * allocations (512 000 with FULL=1), a p99.9 over 51 samples;
		 * the Xtensa run, by time, did 100 to 270 iterations. */
		if (kind == WL_BATCH_SYS)
			bench_iterations(b, full ? 2000 : 200);
		break;
	}
	case WL_THREADS:
		bench_arg_names(b, 1, size_name);
		bench_arg(b, 64);
		if (full)
			bench_arg(b, 1024);
		for (unsigned n = 1; n <= 8; n *= 2)
			bench_threads(b, n);
		if (floor)
			bench_iterations(b, full ? 1000000 : 200000);
		break;
	case WL_HANDOFF:
		bench_arg_names(b, 1, size_name);
		bench_arg(b, 64);
		bench_arg(b, 4096);
		if (full)
			bench_arg(b, 65536);
		bench_threads(b, 2);
		if (full)
			bench_threads(b, 4);
		break;
	case WL_PIPELINE:
		bench_threads(b, 1);
		/* every iteration creates the same seeded sequence of pipelines
		 * (each after re-pinning the thread, tens of us, not timed) and
		 * tears them all down, untimed: the count is the same in every
		 * iteration, so a few give it and enough setup samples. On tgl
		 * (86 to 550 pipelines an iteration) 20, as ipc4-pipelines: at
		 * least 1 700 setups for the p99; by time alone blockmap-lock ran
		 * 2 000 iterations (8 s) for 0.05 s of setup time. On a roomy
		 * layout (issue 6's check: the count only, WL_PIPE_MAX setups
		 * an iteration, 0.3 to 0.8 s each for smpheap) 5. */
		bench_iterations(b, layout ? (full ? 50 : 5) : (full ? 100 : 20));
		break;
	case WL_CHURN: {
		int64_t runs[][2] = {{50, 1}, {90, 1}, {50, 2}, {90, 2}};

		bench_arg_names(b, 2, churn_names);
		for (unsigned i = 0; i < 4; i++)
			if (!layout || runs[i][1] == 1)
				bench_args(b, 2, runs[i]);
		bench_threads(b, 1);
		/* The same seeded operation sequence, of the same length, for
		 * every strategy: failure rates compare like for like (a
		 * time-bound run would end after a different count each). */
		bench_iterations(b, full ? 2000000 : 200000);
		break;
	}
	case WL_IPC4:
		bench_threads(b, 1);
		/* the seeded mix is the same every iteration: a few give the
		 * count and enough setup samples (each pipeline re-pins the
		 * thread twice, tens of us not timed) */
		bench_iterations(b, full ? 100 : 20);
		break;
	case WL_IPC4_RELOAD:
		bench_threads(b, 1);
		bench_iterations(b, full ? 1000 : 100); /* the reloads, N */
		break;
	case WL_FILL: {
		static const char *const fill_names[] = {"target"};
		const int64_t targets[] = {50, 90, 100};

		bench_arg_names(b, 1, fill_names);
		for (unsigned i = 0; i < 3; i++)
			bench_arg(b, targets[i]);
		bench_threads(b, 1);
		/* a fixed sequence, as churn: success rates compare like for like */
		bench_iterations(b, full ? 2000000 : 200000);
		break;
	}
	case WL_REPLAY:
		break;
	}
	return d;
}

struct wl_def *wl_register(enum wl_kind kind, struct strategy *s, bool full)
{
	return wl_register_as(kind, s, full, NULL);
}

struct wl_def *wl_register_layout(enum wl_kind kind, struct strategy *s, bool full,
				  const char *layout)
{
	if (kind != WL_PIPELINE && kind != WL_CHURN && kind != WL_PAIR)
		return NULL;
	return wl_register_as(kind, s, full, layout);
}

struct wl_def *wl_register_replay(struct strategy *s, const struct trace *tr, bool full)
{
	struct wl_def *d = wl_new(WL_REPLAY, s, tr->name);
	struct bench_def *b;

	if (!d)
		return NULL;
	d->trace = tr;
	if (!(b = bench_register(d->name, wl_run, d)))
		return NULL;
	bench_manual_time(b);
	bench_threads(b, tr->cores ? tr->cores : 1);
	/* An iteration's wall time is the cores' handovers (a free waits for
	 * its allocation on another thread, oversubscribed when the trace has
	 * more cores than the machine): 3 to 15 ms on 2 cores for 5 to 40 us
	 * of timed operations, so by time alone the 4-core trace ran up to
	 * 4 650 iterations (22 s). A fixed count: every strategy replays the
	 * trace the same number of times, 100 (1000 with FULL=1), at least
	 * 316 000 timed operations: a p99.9 over 316 samples. */
	bench_iterations(b, full ? 1000 : 100);
	return d;
}
