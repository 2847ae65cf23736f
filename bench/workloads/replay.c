/* replay.c - `replay`: a recorded trace, each core's operations on its own
 * thread; a block allocated on one core and freed on another is handed over
 * through its id's slot. */
#include "wl_internal.h"

#define WL_SYS_MAX 4096	      /* sys blocks per thread per replay (strategies without reset) */
#define WL_FAILED ((void *)1) /* an allocation that failed */

static _Atomic(void *) wl_ids[TRACE_MAX_IDS];
static void *wl_sys[STRAT_MAX_THREADS][WL_SYS_MAX];

void wl_replay(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	const struct trace *tr = d->trace;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	unsigned threads = bench_thread_count(st), nsys;
	unsigned spins = 0;
	struct wl_sum done;

	while (bench_keep_running(st)) {
		uint64_t sum = 0;

		nsys = 0;
		for (size_t i = 0; i < tr->count; i++) {
			const struct trace_op *o = &tr->ops[i];
			enum strat_kind kind = (enum strat_kind)o->zone;

			if (o->core % threads != ti)
				continue;
			w->ops++;
			if (!o->is_free) {
				uint64_t t0 = bench_cycles();
				void *p = strategy_alloc(s, t, o->size, kind);
				uint64_t t1 = bench_cycles(), a = wl_net(t1 - t0);

				sum += a;
				w->attempts++;
				hist_record(&w->h[1], a);
				hist_record(&w->h[0], a);
				if (!p)
					w->failures++;
				if (kind == STRAT_SYS) {
					if (p && nsys < WL_SYS_MAX)
						wl_sys[ti][nsys++] = p;
				} else {
					/* release: the block is published to its freer */
					atomic_store_explicit(&wl_ids[o->id], p ? p : WL_FAILED,
							      memory_order_release);
				}
			} else {
				void *p;

				/* acquire: pairs with the allocator's release */
				while (!(
				    p = atomic_load_explicit(&wl_ids[o->id], memory_order_acquire)))
					bench_spin_wait(&spins);
				/* relaxed: the barrier below orders it before the id's reuse */
				atomic_store_explicit(&wl_ids[o->id], NULL, memory_order_relaxed);
				if (p == WL_FAILED)
					continue;
				uint64_t t0 = bench_cycles();
				strategy_free(s, t, p, kind);
				uint64_t t1 = bench_cycles(), f = wl_net(t1 - t0);

				sum += f;
				hist_record(&w->h[2], f);
				hist_record(&w->h[0], f);
			}
		}
		/* a block's id is reused next time round: every free of this
		 * round must be done before any thread allocates again */
		wl_barrier(threads);
		if (nsys && s->ops->sys_reset)
			s->ops->sys_reset(s, ti);
		else
			while (nsys)
				strategy_free(s, t, wl_sys[ti][--nsys], STRAT_RUNTIME);
		bench_set_iteration_cycles(st, sum);
	}
	w->ops = w->ops / (bench_iterations_done(st) ? bench_iterations_done(st) : 1);
	if (wl_end(st, d, t, &done))
		bench_counter(st, "trace_ops", (int64_t)done.ops, BENCH_COUNTER_DEFAULT);
}
