/* pipeline.c - `pipeline`: synthetic audio pipelines, the same seeded
 * sequence every iteration, created one after another (spread over the
 * cores) until one does not fit, then torn down in reverse order. */
#include "wl_internal.h"

#define WL_PIPE_OBJS 12			   /* allocations per pipeline at most */
#define WL_PIPE_SEED 0x9e3779b97f4a7c15ull /* the one sequence every strategy gets */

struct wl_pobj {
	void *p;	      /* NULL: failed */
	uint32_t size;	      /* bytes asked */
	enum strat_kind kind; /* component struct or period buffer */
};
static struct wl_pobj wl_pobjs[WL_PIPE_MAX][WL_PIPE_OBJS];
static unsigned wl_pcount[WL_PIPE_MAX];
static uint64_t wl_fail_used_milli; /* thousandths of a percent of the arena in use */

/* One synthetic pipeline: 3..8 component structs of 100..600 bytes, and
 * 1..3 period buffers of rate/1000 (1 ms periods) x channels x sample bytes
 * x periods. */
static unsigned wl_pipeline_gen(rng_t *x, struct wl_pobj *o)
{
	static const uint32_t rates[] = {16000, 48000, 48000, 96000};
	static const uint32_t chans[] = {1, 2, 2, 4, 8};
	unsigned n = 0, comps = 3 + rng_below(x, 6), bufs = 1 + rng_below(x, 3);

	for (unsigned i = 0; i < comps; i++, n++) {
		o[n].size = 100 + rng_below(x, 501);
		o[n].kind = STRAT_RUNTIME;
	}
	for (unsigned i = 0; i < bufs; i++, n++) {
		uint32_t rate = rates[rng_below(x, 4)], ch = chans[rng_below(x, 5)];
		uint32_t sb = rng_below(x, 2) ? 4 : 2, periods = 2 + rng_below(x, 3);

		o[n].size = rate / 1000 * ch * sb * periods;
		o[n].kind = STRAT_BUFFER;
	}
	return n;
}

void wl_pipeline(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	unsigned cores = s->cores > 1 ? s->cores : 2;
	struct wl_mem m;
	struct wl_sum sum;

	wl_mem_init(&m, d);
	wl_fail_used_milli = 0;
	while (bench_keep_running(st)) {
		rng_t x = rng_seed(WL_PIPE_SEED, 0);
		uint64_t total = 0, requested = 0;
		unsigned created = 0;

		for (unsigned pi = 0; pi < WL_PIPE_MAX; pi++) {
			struct wl_pobj *o = wl_pobjs[pi];
			unsigned n = wl_pipeline_gen(&x, o), k;
			uint64_t setup = 0, a;

			/* pipelines are spread over the cores; binding is not timed */
			if (wl_platform.bind)
				wl_platform.bind(pi % cores);
			for (k = 0; k < n; k++) {
				o[k].p = wl_mem_alloc(&m, t, o[k].size, o[k].kind, &a);
				w->attempts++;
				hist_record(&w->h[1], a);
				setup += a;
				if (!o[k].p)
					break;
			}
			if (k < n) { /* the first pipeline that does not fit */
				w->failures++;
				/* how full the memory was when it ran out */
				wl_fail_used_milli = wl_mem_fill_milli(&m);
				while (k-- > 0)
					wl_mem_free(&m, t, o[k].p, o[k].kind, NULL);
				total += setup;
				break;
			}
			wl_pcount[pi] = n;
			hist_record(&w->h[0], setup);
			total += setup;
			created++;
			for (k = 0; k < n; k++)
				requested += o[k].size;
			if (wl_mem_used(&m) > w->peak_used)
				w->peak_used = wl_mem_used(&m);
		}
		if (wl_platform.bind)
			wl_platform.bind(ti);
		for (unsigned pi = created; pi-- > 0;) {
			uint64_t down = 0, f;

			for (unsigned k = wl_pcount[pi]; k-- > 0;) {
				struct wl_pobj *o = &wl_pobjs[pi][k];

				wl_mem_free(&m, t, o->p, o->kind, &f);
				down += f;
			}
			hist_record(&w->h[2], down);
			total += down;
		}
		w->pipelines = created;
		w->requested = requested;
		bench_set_iteration_cycles(st, total);
	}
	bench_set_items(st, (int64_t)(bench_iterations_done(st) * w->pipelines));
	if (!wl_end(st, d, t, &sum))
		return;
	wl_report_pipelines(st, &m, &sum, wl_fail_used_milli);
}
