/* ipc4_pipelines.c - `ipc4-pipelines` and `ipc4-reload`: the allocation
 * shape of SOF's IPC4 firmware.
 *
 * A pipeline is a chain of modules joined by buffers, built as SOF's IPC4
 * code builds it (src/audio/module_adapter/ in thesofproject/sof):
 *   - per module: its struct processing_module and struct comp_dev
 *     (module_adapter_mem_alloc()), a chunk of resource containers taken on
 *     its first mod_alloc() (container_get() in memory-heap.c: the module
 *     allocator keeps one container per allocation and takes them from the
 *     heap in chunks), and its private data;
 *   - per link between two modules: a buffer descriptor and a data buffer
 *     of 2 x max(ibs, obs), where ibs and obs are one 1 ms period of the
 *     stream on each side (rate / 1000 x channels x sample bytes);
 *   - the key-phrase buffer (KPB) module of a wake-on-voice pipeline also
 *     takes its history buffer.
 * Pipelines go to cores in turn and each is torn down from another core
 * than its own (a buffer shared by two cores' pipelines is freed by the
 * core that unbinds it last), in a random order (streams close in any
 * order): every free of a teardown is a cross-core free.
 *
 * ipc4-pipelines: pipelines from a seeded mix of four shapes, created until
 * one does not fit, then torn down; reports the pipelines that fit, each
 * pipeline's setup latency (all its allocations, in cycles) and the fill
 * at the first failure.
 * ipc4-reload: the same topology (one pipeline of each shape) created and
 * destroyed once per iteration, the loop SOF developers run to hunt leaks
 * (sof issue 3389): used bytes must return to the baseline after every
 * reload (else the benchmark fails with an error); after the loop, the
 * fragmentation left: the largest free block, and the fill at the first
 * failure of an ipc4-pipelines fill run on the reloaded heap. */
#include "wl_internal.h"

/* Module private data: the module heap's high-water mark of each module,
 * as sof-testbench4 prints it for sof-hda-generic.tplg (thesofproject/sof
 * pull request 10593, "Tools: Testbench: Track and print heap usage for
 * modules"), unless marked otherwise. */
#define IPC4_GAIN_PRIV 708   /* sof PR 10593 */
#define IPC4_MIXIN_PRIV 164  /* sof PR 10593 */
#define IPC4_MIXOUT_PRIV 252 /* sof PR 10593 */
#define IPC4_EQIIR_PRIV 316  /* sof PR 10593 */
#define IPC4_EQFIR_PRIV 388  /* sof PR 10593 */
#define IPC4_DRC_PRIV 4316   /* sof PR 10593 */
/* "src-lite with 8 channels has been seen allocating 14k in one go" (the
 * comment on the DP module heap size in module_adapter.c, sof PR 10740):
 * the 8-channel figure, used for every SRC here, so an upper bound. */
#define IPC4_SRC_PRIV (14 * 1024)
/* ASSUMPTION: the copier's is the 280 bytes the Linux driver puts in the
 * topology as the copier's bss size (thesofproject/linux PR 4262 calls it
 * "an unknown number"), not a measurement. */
#define IPC4_COPIER_PRIV 280
/* ASSUMPTION: KPB's private data besides its history buffer (not found
 * measured anywhere). */
#define IPC4_KPB_PRIV 512
/* The KPB history buffer: "kpb_allocate_history_buffer(): allocated 246272
 * bytes" in the log of sof PR 6925 (the wake-on-voice pipeline that needed
 * a larger heap on MTL): 240.5 KiB. */
#define IPC4_KPB_HISTORY 246272
/* ASSUMPTIONS, the firmware's own structs on a 32-bit DSP (sizes not found
 * published): struct processing_module, struct comp_dev, the buffer
 * descriptor (struct comp_buffer). */
#define IPC4_MODULE_STRUCT 384
#define IPC4_COMP_DEV_STRUCT 192
#define IPC4_BUFFER_STRUCT 128
/* A container chunk: a list head and CONTAINERS containers of 20 bytes on a
 * 32-bit DSP (struct module_resource in memory-heap.c: a list item of two
 * pointers, a pointer, a size and a type). ASSUMPTION: 16 containers per
 * chunk (CONFIG_MODULE_MEMORY_API_CONTAINER_CHUNK_SIZE; its default was not
 * found); every module here makes fewer allocations, so one chunk each. */
#define IPC4_CONTAINERS 16
#define IPC4_CHUNK (8 + IPC4_CONTAINERS * 20)

enum ipc4_mod_type { COPIER, GAIN, MIXIN, MIXOUT, EQIIR, EQFIR, DRC, SRC, KPB };

static const uint32_t ipc4_priv[] = {
    [COPIER] = IPC4_COPIER_PRIV, [GAIN] = IPC4_GAIN_PRIV,   [MIXIN] = IPC4_MIXIN_PRIV,
    [MIXOUT] = IPC4_MIXOUT_PRIV, [EQIIR] = IPC4_EQIIR_PRIV, [EQFIR] = IPC4_EQFIR_PRIV,
    [DRC] = IPC4_DRC_PRIV,	 [SRC] = IPC4_SRC_PRIV,	    [KPB] = IPC4_KPB_PRIV,
};

/* The pipelines of sof-hda-generic.tplg (the topology of sof PR 10593),
 * plus a capture with SRC and a wake-on-voice pipeline with KPB. */
#define IPC4_SHAPES 4
#define IPC4_MAX_MODS 6
enum ipc4_shape { PLAYBACK_HOST, PLAYBACK_DAI, CAPTURE_SRC, WAKE_ON_VOICE };
static const struct ipc4_shape_def {
	unsigned count;
	enum ipc4_mod_type mod[IPC4_MAX_MODS];
} ipc4_shapes[IPC4_SHAPES] = {
    [PLAYBACK_HOST] = {3, {COPIER, GAIN, MIXIN}},
    [PLAYBACK_DAI] = {6, {MIXOUT, GAIN, EQIIR, EQFIR, DRC, COPIER}},
    [CAPTURE_SRC] = {3, {COPIER, SRC, COPIER}},
    [WAKE_ON_VOICE] = {3, {COPIER, KPB, COPIER}},
};

/* A stream format: the period of 1 ms in bytes is rate/1000 x ch x bytes. */
struct ipc4_fmt {
	uint32_t rate, channels, sample_bytes;
};

static uint32_t ipc4_period(struct ipc4_fmt f)
{
	return f.rate / 1000 * f.channels * f.sample_bytes;
}

/* 4 allocations per module, 2 per link, the history buffer */
#define IPC4_MAX_OBJS (IPC4_MAX_MODS * 4 + (IPC4_MAX_MODS - 1) * 2 + 1)

struct ipc4_obj {
	void *p;
	uint32_t size;
	enum strat_kind kind;
};

struct ipc4_pipeline {
	unsigned n, core;
	struct ipc4_obj o[IPC4_MAX_OBJS];
};
static struct ipc4_pipeline ipc4_pipes[WL_PIPE_MAX];
static unsigned ipc4_order[WL_PIPE_MAX];

static void ipc4_add(struct ipc4_pipeline *p, const struct strategy *s, uint32_t size)
{
	p->o[p->n].size = size;
	p->o[p->n].kind = strategy_kind_for(s, size);
	p->o[p->n].p = NULL;
	p->n++;
}

/* The allocations of one pipeline of `shape` on a stream of format `f`
 * (SRC converts to 16 kHz capture; wake-on-voice runs at 16 kHz). */
static void ipc4_build(struct ipc4_pipeline *p, const struct strategy *s, enum ipc4_shape shape,
		       struct ipc4_fmt f)
{
	const struct ipc4_shape_def *d = &ipc4_shapes[shape];
	struct ipc4_fmt in = f;

	p->n = 0;
	if (shape == WAKE_ON_VOICE)
		in.rate = 16000;
	for (unsigned i = 0; i < d->count; i++) {
		enum ipc4_mod_type t = d->mod[i];
		struct ipc4_fmt out = in;
		uint32_t ibs, obs;

		if (t == SRC)
			out.rate = 16000;
		ibs = ipc4_period(in);
		obs = ipc4_period(out);
		ipc4_add(p, s, IPC4_MODULE_STRUCT);
		ipc4_add(p, s, IPC4_COMP_DEV_STRUCT);
		ipc4_add(p, s, IPC4_CHUNK);
		ipc4_add(p, s, ipc4_priv[t]);
		if (t == KPB)
			ipc4_add(p, s, IPC4_KPB_HISTORY);
		/* the buffer to the next module: 2 x max(ibs, obs) of the
		 * module that writes it (its obs) and the next that reads it
		 * (its ibs, the same format) */
		if (i + 1 < d->count) {
			ipc4_add(p, s, IPC4_BUFFER_STRUCT);
			ipc4_add(p, s, 2 * (ibs > obs ? ibs : obs));
		}
		in = out;
	}
}

/* A seeded pipeline: mostly playback and capture at 48 kHz stereo 32-bit,
 * sometimes other formats, one in 16 a wake-on-voice pipeline with its
 * 240 KiB history buffer. */
static void ipc4_random(struct ipc4_pipeline *p, const struct strategy *s, rng_t *x)
{
	static const uint32_t rates[] = {48000, 48000, 48000, 96000, 16000};
	static const uint32_t chans[] = {2, 2, 2, 4, 8};
	static const uint32_t sbytes[] = {4, 4, 2};
	struct ipc4_fmt f = {rates[rng_below(x, 5)], chans[rng_below(x, 5)],
			     sbytes[rng_below(x, 3)]};
	enum ipc4_shape shape =
	    rng_below(x, 16) == 0 ? WAKE_ON_VOICE : (enum ipc4_shape)rng_below(x, 3);

	ipc4_build(p, s, shape, f);
}

static unsigned ipc4_cores(const struct strategy *s)
{
	return s->cores > 1 ? s->cores : 2;
}

/* Creates pipeline p on its core; true if all of it fitted (else what was
 * allocated is freed again and false returned). Setup cycles in *setup. */
static bool ipc4_create(struct wl_mem *m, void *t, struct wl_thread *w, struct ipc4_pipeline *p,
			uint64_t *setup)
{
	uint64_t a;
	unsigned k;

	if (wl_platform.bind) /* not timed */
		wl_platform.bind(p->core);
	*setup = 0;
	for (k = 0; k < p->n; k++) {
		p->o[k].p = wl_mem_alloc(m, t, p->o[k].size, p->o[k].kind, &a);
		w->attempts++;
		hist_record(&w->h[1], a);
		*setup += a;
		if (!p->o[k].p)
			break;
	}
	if (k == p->n)
		return true;
	w->failures++;
	while (k-- > 0)
		wl_mem_free(m, t, p->o[k].p, p->o[k].kind, NULL);
	return false;
}

/* Tears pipeline p down from the next core after its own; the cycles. */
static uint64_t ipc4_destroy(struct wl_mem *m, void *t, struct wl_thread *w,
			     struct ipc4_pipeline *p, unsigned cores)
{
	uint64_t down = 0, f;

	if (wl_platform.bind)
		wl_platform.bind((p->core + 1) % cores);
	for (unsigned k = p->n; k-- > 0;) {
		wl_mem_free(m, t, p->o[k].p, p->o[k].kind, &f);
		down += f;
	}
	hist_record(&w->h[2], down);
	return down;
}

/* n indices in a seeded random order (Fisher-Yates). */
static void ipc4_shuffle(unsigned *order, unsigned n, rng_t *x)
{
	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rng_below(x, i), tmp = order[i - 1];

		order[i - 1] = order[j];
		order[j] = tmp;
	}
}

#define IPC4_SEED 0x5f0f1f2f3f4f5f6full /* the one mix every strategy gets */

/* Pipelines from the seeded mix until one does not fit; returns how many
 * fitted, the fill at the failure in *fail_milli (0: none failed). Every
 * pipeline's setup goes in h[0] (when `timed`). The pipelines stay up. */
static unsigned ipc4_fill(struct wl_mem *m, void *t, struct wl_thread *w, uint64_t *fail_milli,
			  uint64_t *cycles)
{
	rng_t x = rng_seed(IPC4_SEED, 0);
	unsigned cores = ipc4_cores(m->s), n = 0;
	uint64_t setup;

	*fail_milli = 0;
	for (; n < WL_PIPE_MAX; n++) {
		struct ipc4_pipeline *p = &ipc4_pipes[n];

		ipc4_random(p, m->s, &x);
		p->core = n % cores;
		if (!ipc4_create(m, t, w, p, &setup)) {
			*fail_milli = wl_mem_fill_milli(m);
			*cycles += setup;
			break;
		}
		hist_record(&w->h[0], setup);
		*cycles += setup;
		for (unsigned k = 0; k < p->n; k++)
			w->requested += p->o[k].size;
		if (wl_mem_used(m) > w->peak_used)
			w->peak_used = wl_mem_used(m);
	}
	return n;
}

/* Tears down pipelines 0..n-1 in a seeded random order. */
static uint64_t ipc4_teardown(struct wl_mem *m, void *t, struct wl_thread *w, unsigned n, rng_t *x)
{
	uint64_t cycles = 0;

	ipc4_shuffle(ipc4_order, n, x);
	for (unsigned i = 0; i < n; i++)
		cycles += ipc4_destroy(m, t, w, &ipc4_pipes[ipc4_order[i]], ipc4_cores(m->s));
	return cycles;
}

static uint64_t ipc4_fail_milli;

void wl_ipc4_pipelines(struct bench_state *st, struct wl_def *d)
{
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_mem m;
	struct wl_sum sum;
	rng_t order = rng_seed(IPC4_SEED, 1);

	wl_mem_init(&m, d);
	while (bench_keep_running(st)) {
		uint64_t cycles = 0;

		w->requested = 0;
		w->pipelines = ipc4_fill(&m, t, w, &ipc4_fail_milli, &cycles);
		cycles += ipc4_teardown(&m, t, w, (unsigned)w->pipelines, &order);
		bench_set_iteration_cycles(st, cycles);
	}
	if (wl_platform.bind)
		wl_platform.bind(ti);
	bench_set_items(st, (int64_t)(bench_iterations_done(st) * w->pipelines));
	if (!wl_end(st, d, t, &sum))
		return;
	wl_report_pipelines(st, &m, &sum, ipc4_fail_milli);
}

/* The topology of ipc4-reload: one pipeline of each shape, at 48 kHz stereo
 * 32-bit, on cores in turn. */
static unsigned ipc4_topology(const struct strategy *s, struct ipc4_pipeline *p)
{
	const struct ipc4_fmt f = {48000, 2, 4};

	for (unsigned i = 0; i < IPC4_SHAPES; i++) {
		ipc4_build(&p[i], s, (enum ipc4_shape)i, f);
		p[i].core = i % ipc4_cores(s);
	}
	return IPC4_SHAPES;
}

static uint64_t ipc4_reload_counts[5];

void wl_ipc4_reload(struct bench_state *st, struct wl_def *d)
{
	struct strategy *s = d->s;
	unsigned ti;
	void *t = wl_begin(st, d, &ti);
	struct wl_thread *w = &wl_t[ti];
	struct wl_mem m;
	struct wl_sum sum;
	rng_t order = rng_seed(IPC4_SEED, 2);
	size_t baseline, lf_before;
	unsigned n = ipc4_topology(s, ipc4_pipes);
	bool failed = false; /* the run was failed with an error */

	wl_mem_init(&m, d);
	baseline = wl_mem_used(&m);
	lf_before = wl_mem_largest_free(&m);
	while (bench_keep_running(st)) {
		uint64_t cycles = 0, setup;
		unsigned up = 0;

		for (; up < n; up++) {
			if (!ipc4_create(&m, t, w, &ipc4_pipes[up], &setup))
				break;
			hist_record(&w->h[0], setup);
			cycles += setup;
		}
		cycles += ipc4_teardown(&m, t, w, up, &order);
		bench_set_iteration_cycles(st, cycles);
		if (up < n) {
			failed = true;
			bench_skip(st, "ipc4-reload: the topology does not fit in an empty heap");
			break;
		}
		if (wl_mem_used(&m) != baseline) {
			failed = true;
			bench_skip(st, "ipc4-reload: used bytes did not return to the baseline");
			break;
		}
	}
	if (wl_platform.bind)
		wl_platform.bind(ti);
	ipc4_reload_counts[0] = bench_iterations_done(st);
	ipc4_reload_counts[1] = baseline;
	ipc4_reload_counts[2] = lf_before;
	ipc4_reload_counts[3] = wl_mem_largest_free(&m);
	if (!failed) {
		/* the fragmentation left: fill the reloaded heap until failure */
		uint64_t cycles = 0;
		struct wl_thread scratch = {0}; /* not part of the reload's figures */
		unsigned fit = ipc4_fill(&m, t, &scratch, &ipc4_fail_milli, &cycles);

		ipc4_teardown(&m, t, &scratch, fit, &order);
		ipc4_reload_counts[4] = fit;
	}
	if (!wl_end(st, d, t, &sum) || failed)
		return;
	bench_counter(st, "reloads", (int64_t)ipc4_reload_counts[0], BENCH_COUNTER_DEFAULT);
	bench_counter(st, "baseline_used_bytes", (int64_t)ipc4_reload_counts[1],
		      BENCH_COUNTER_DEFAULT);
	bench_counter(st, "largest_free_before", (int64_t)ipc4_reload_counts[2],
		      BENCH_COUNTER_DEFAULT);
	bench_counter(st, "largest_free_after", (int64_t)ipc4_reload_counts[3],
		      BENCH_COUNTER_DEFAULT);
	bench_counter(st, "pipelines_after", (int64_t)ipc4_reload_counts[4], BENCH_COUNTER_DEFAULT);
	bench_counter(st, "arena_bytes", (int64_t)m.total, BENCH_COUNTER_DEFAULT);
	bench_counter_milli(st, "used_at_failure_pct", (int64_t)ipc4_fail_milli,
			    BENCH_COUNTER_DEFAULT);
}
