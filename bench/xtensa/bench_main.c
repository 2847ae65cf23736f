/* The benchmark suite on one emulated Xtensa core (lx106 under QEMU, run
 * with -icount shift=0,sleep=off so that every count repeats exactly):
 * bench/'s workloads through the bare-metal driver of the C shim, over
 * smpheap and the other bounded strategies (blockmap-lock, tlsf-lock,
 * sysheap-lock) on the tgl layout, each in the same layout's bytes, printed
 * as Google Benchmark JSON on stdout (diagnostics go to stderr).
 *
 * Clock: CCOUNT of the 40 MHz core. Under -icount shift=0 QEMU runs one
 * instruction per virtual nanosecond, so one CCOUNT tick is 25 instructions
 * and the JSON's nanoseconds (cycles_hz = 40 MHz) are instructions. The
 * ratio is not taken on trust: calibrate() measures it on a loop of known
 * length, and the figure is in the context (insns_per_tick_milli).
 *
 * The per-operation figures ("insns/<op>/<strategy>"): a tick is too coarse
 * to time one 40-instruction operation, so each figure is the ticks of
 * windows of OPS operations, minus the same loop around a strategy whose
 * operations do nothing (call and return are the allocator's, the loop is
 * not: bench/common/icount_loop.c, the loops bench/callgrind/icount.c counts
 * on the host), times the measured
 * instructions per tick, divided by the operations. The workloads' own
 * per-operation histograms (pair/..., batch-sys/...) are in ticks, so their
 * percentiles come in steps of 25 instructions.
 *
 * The worst case (`fill`, Zephyr's heap stress method, at 50, 90 and 100 %
 * on tgl): every allocation and free counted exactly, in instructions, by
 * the debug option's ICOUNT register (smpheap/xtensa.h), which QEMU keeps
 * per instruction. The counter's own instructions (its start and stop back
 * to back) are taken out, and the count is checked on a run of nops of
 * known length before any benchmark runs.
 *
 *   xtensa_bench [FILTER]   only the benchmarks whose name contains FILTER
 *                           (the JSON then says so, and the report leaves
 *                           the run out) */
#include <stdint.h>
#include <stdio.h>

#include "icount_loop.h"
#include "smpheap/smpheap.h"
#include "smpheap/xtensa.h"
#include "strategy.h"
#include "tgl/memory.h"
#include "workloads.h"

#ifndef SMPHEAP_GIT_REVISION
#define SMPHEAP_GIT_REVISION "unknown"
#endif
#ifndef SMPHEAP_BENCH_DATE
#define SMPHEAP_BENCH_DATE "unknown"
#endif
#ifndef BENCH_C_FLAGS
#define BENCH_C_FLAGS "unknown"
#endif

#define OPS 512	   /* operations per timed window */
#define WINDOWS 16 /* windows per figure */
#define CORE_HZ 40000000u

static unsigned char smph_mem[4u << 20] __attribute__((aligned(64 * 1024)));
/* the other bounded strategies (bench/strategies/bounded.c: blockmap-lock,
 * tlsf-lock, sysheap-lock), each over the same layout's bytes */
static unsigned char bounded_mem[STRATEGY_BOUNDED_COUNT][4u << 20] __attribute__((aligned(64)));
static struct strategy smph, bounded[STRATEGY_BOUNDED_COUNT], nul;
static char bounded_key[STRATEGY_BOUNDED_COUNT][48];

static void out(int c)
{
	putchar(c);
}

/* ---- instructions per CCOUNT tick ----------------------------------------- */

/* 10 x (1 + 1000 x 100) instructions: movi, then per pass addi, 98 nops, bnez. */
static uint32_t calibration_ticks(void)
{
	uint32_t t0 = smpheap_xtensa_ccount();
	for (int k = 0; k < 10; k++)
		__asm__ volatile("movi a8, 1000\n"
				 "1: addi a8, a8, -1\n"
				 ".rept 98\n"
				 "nop\n"
				 ".endr\n"
				 "bnez a8, 1b\n" ::
				     : "a8", "memory");
	return smpheap_xtensa_ccount() - t0;
}
#define CALIBRATION_INSNS (10u * (1u + 1000u * 100u))

static uint64_t insns_per_tick_milli;
static char ipt_text[24], ovh_text[24];

static void calibrate(void)
{
	calibration_ticks(); /* first pass: translation, not execution */
	uint32_t ticks = calibration_ticks();
	insns_per_tick_milli = ticks ? (uint64_t)CALIBRATION_INSNS * 1000u / ticks : 0;
	snprintf(ipt_text, sizeof(ipt_text), "%lu", (unsigned long)insns_per_tick_milli);
}

/* ---- the exact instruction counter (ICOUNT) --------------------------------- */

static void insns_start(void)
{
	smpheap_xtensa_icount_start();
}

static uint32_t insns_stop(void)
{
	return smpheap_xtensa_icount_stop();
}

#define SLED_INSNS 100
#define SLED_TEXT(n) SLED_STR(n)
#define SLED_STR(n) #n
/* The counter's own instructions are calibrated in one shape of code (back
 * to back, wl_calibrate_insns) and taken out in another (around the
 * strategy call, wl_mem's): how the compiler keeps the hooks' address at
 * each site moves the split by an instruction or two. */
#define SLED_SLACK 2
static char insns_ovh_text[24];

/* The counter through the workloads' hooks, as fill uses it: a run of
 * SLED_INSNS nops must count as that, to within SLED_SLACK, once the
 * calibrated cost of the counter is taken out. 0 when it does. */
static int insns_check(void)
{
	uint64_t ovh;

	wl_platform.insns_start = insns_start;
	wl_platform.insns_stop = insns_stop;
	ovh = wl_calibrate_insns();
	wl_platform.insns_start();
	__asm__ volatile(".rept " SLED_TEXT(SLED_INSNS) "\n"
							"nop\n"
							".endr\n" ::
							    : "memory");
	uint64_t n = wl_platform.insns_stop();
	snprintf(insns_ovh_text, sizeof(insns_ovh_text), "%lu", (unsigned long)ovh);
	if (n + SLED_SLACK < ovh + SLED_INSNS || n > ovh + SLED_INSNS + SLED_SLACK) {
		fprintf(stderr,
			"xtensa bench: ICOUNT read %lu for %d nops (the counter's own: %lu)\n",
			(unsigned long)n, SLED_INSNS, (unsigned long)ovh);
		return 1;
	}
	return 0;
}

/* ---- the per-operation figures --------------------------------------------- */

enum insn_op { OP_SYS, OP_RUNTIME, OP_BUFFER };

static const size_t op_size[] = {16, 64, 4096};
static const enum strat_kind op_kind[] = {STRAT_SYS, STRAT_RUNTIME, STRAT_BUFFER};

/* Ticks of WINDOWS windows of OPS operations (after one warm-up window). */
static uint64_t op_ticks(struct strategy *s, enum insn_op op)
{
	void *t = s->ops->thread_init(s, 0, 0);
	uint64_t sum = 0;
	for (int w = -1; w < WINDOWS; w++) {
		uint32_t t0 = smpheap_xtensa_ccount();
		if (op == OP_SYS)
			icount_strategy_allocs(s, t, op_size[op], op_kind[op], OPS);
		else
			icount_strategy_pairs(s, t, op_size[op], op_kind[op], OPS);
		uint32_t dt = smpheap_xtensa_ccount() - t0;
		if (w >= 0)
			sum += dt;
		if (op == OP_SYS && s->ops->sys_reset)
			s->ops->sys_reset(s, 0); /* untimed: the core's teardown */
	}
	s->ops->thread_fini(s, t);
	return sum;
}

/* The same through smpheap's own API, as bench/callgrind/icount.c counts it
 * on the host (issue 2's figures), with the same loops (icount_loop.c). */
static struct smpheap *heap;
static const enum smpheap_zone op_zone[] = {SMPHEAP_ZONE_SYS, SMPHEAP_ZONE_RUNTIME,
					    SMPHEAP_ZONE_BUFFER};

static uint64_t direct_ticks(enum insn_op op, bool real)
{
	icount_direct_use(real);
	uint64_t sum = 0;
	for (int w = -1; w < WINDOWS; w++) {
		uint32_t t0 = smpheap_xtensa_ccount();
		if (op == OP_SYS)
			icount_direct_allocs(heap, op_zone[op], op_size[op], OPS);
		else
			icount_direct_pairs(heap, op_zone[op], op_size[op], OPS);
		uint32_t dt = smpheap_xtensa_ccount() - t0;
		if (w >= 0)
			sum += dt;
		if (op == OP_SYS && real) { /* untimed: the core's teardown */
			smpheap_core_down(heap, 0);
			smpheap_core_up(heap, 0);
		}
	}
	return sum;
}

struct insn_def {
	struct strategy *s; /* NULL: smpheap's API directly */
	enum insn_op op;
	char name[48];
};
static struct insn_def insn_defs[(2 + STRATEGY_BOUNDED_COUNT) * 3];

static void bm_insns(struct bench_state *st)
{
	struct insn_def *d = bench_user(st);
	uint64_t ticks = 0, base = 0;
	while (bench_keep_running(st)) {
		ticks = d->s ? op_ticks(d->s, d->op) : direct_ticks(d->op, true);
		base = d->s ? op_ticks(&nul, d->op) : direct_ticks(d->op, false);
		bench_set_iteration_cycles(st, ticks > base ? ticks - base : 0);
	}
	uint64_t ops = (uint64_t)OPS * WINDOWS;
	uint64_t net = ticks > base ? ticks - base : 0;
	bench_counter_milli(st, "insns_per_op", (int64_t)(net * insns_per_tick_milli / ops),
			    BENCH_COUNTER_DEFAULT);
	bench_counter_milli(st, "ticks_per_op", (int64_t)(net * 1000u / ops),
			    BENCH_COUNTER_DEFAULT);
	bench_counter_milli(st, "baseline_insns_per_op",
			    (int64_t)(base * insns_per_tick_milli / ops), BENCH_COUNTER_DEFAULT);
	bench_counter(st, "ops", (int64_t)ops, BENCH_COUNTER_DEFAULT);
	/* each window's and each baseline window's ticks are within one tick:
	 * the figure is within 2 x windows ticks over the ops */
	bench_counter(st, "windows", WINDOWS, BENCH_COUNTER_DEFAULT);
	bench_counter(st, "size", (int64_t)op_size[d->op], BENCH_COUNTER_DEFAULT);
	bench_set_items(st, (int64_t)ops);
}

static void register_insns(unsigned i, struct strategy *s, enum insn_op op)
{
	static const char *const op_name[] = {"sys_alloc", "runtime_pair", "buffer_pair"};
	struct insn_def *d = &insn_defs[i];
	d->s = s;
	d->op = op;
	if (s)
		snprintf(d->name, sizeof(d->name), "insns/%s/%s", op_name[op], s->name);
	else
		snprintf(d->name, sizeof(d->name), "insns-direct/%s/smpheap", op_name[op]);
	struct bench_def *b = bench_register(d->name, bm_insns, d);
	if (b) {
		bench_manual_time(b);
		bench_iterations(b, 1);
	}
}

/* Each strategy must hand out memory of its own, or its figures would be
 * some other allocator's. */
static int owns_check(struct strategy *s)
{
	void *t = s->ops->thread_init(s, 0, 0);
	int bad = 0;
	for (unsigned op = 0; op < 3; op++) {
		void *p = strategy_alloc(s, t, op_size[op], op_kind[op]);
		if (!p || !s->ops->owns(s, p)) {
			fprintf(stderr, "xtensa bench: %s does not own its %lu-byte block\n",
				s->name, (unsigned long)op_size[op]);
			bad = 1;
		}
		if (p && op_kind[op] != STRAT_SYS)
			strategy_free(s, t, p, op_kind[op]);
	}
	if (s->ops->sys_reset)
		s->ops->sys_reset(s, 0);
	s->ops->thread_fini(s, t);
	return bad;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	const struct smpheap_layout *l = &smpheap_layout_tgl;
	size_t need = smpheap_size(l);
	struct smpheap *h =
	    need && need <= sizeof(smph_mem) ? smpheap_init(smph_mem, need, l) : NULL;
	if (!h) {
		fprintf(stderr, "xtensa bench: cannot build smpheap on tgl (%lu bytes)\n",
			(unsigned long)need);
		return 1;
	}
	strategy_smpheap_init(&smph, h, SMPHEAP_GIT_REVISION);
	heap = h;
	icount_null_strategy_init(&nul);
	if (owns_check(&smph))
		return 1;
	for (unsigned i = 0; i < STRATEGY_BOUNDED_COUNT; i++) {
		const struct strategy_bounded *b = &strategy_bounded_list[i];
		size_t len = b->size(l);

		if (!len || len > sizeof(bounded_mem[i]) ||
		    b->init(&bounded[i], bounded_mem[i], len, l)) {
			fprintf(stderr, "xtensa bench: cannot build %s on tgl (%lu bytes)\n",
				b->name, (unsigned long)len);
			return 1;
		}
		if (owns_check(&bounded[i]))
			return 1;
	}

	calibrate();
	wl_calibrate_timer();
	if (insns_check())
		return 1;
	bench_context("platform", "qemu-system-xtensa -M sim -cpu lx106 -icount shift=0,sleep=off "
				  "(one core, bare metal, picolibc)");
	bench_context("compiler", "xtensa-lx106-elf-gcc " __VERSION__);
	bench_context("compiler_flags", BENCH_C_FLAGS);
	bench_context("git_revision", SMPHEAP_GIT_REVISION);
	bench_context("date", SMPHEAP_BENCH_DATE);
	bench_context("machine", "xtensa-qemu-lx106");
	bench_context("cycle_counter", "CCOUNT of a 40 MHz lx106 under -icount shift=0 "
				       "(1 instruction per virtual ns)");
	bench_context("cycle_counter_step", "1 tick = 25 instructions (insns_per_tick_milli)");
	snprintf(ovh_text, sizeof(ovh_text), "%lu", (unsigned long)wl_timer_overhead());
	bench_context("timer_overhead_cycles", ovh_text);
	bench_context("layout", l->name);
	bench_context("cycles", "CCOUNT ticks of a 40 MHz core; with -icount shift=0 one tick is "
				"insns_per_tick_milli/1000 instructions and the reported ns are "
				"instructions");
	bench_context("insns_per_tick_milli", ipt_text);
	bench_context("insns_counter", "ICOUNT (Xtensa debug option), exact per instruction; "
				       "fill's *_insns counters, the counter's own instructions "
				       "(insns_counter_overhead) taken out, to within 2 "
				       "instructions of the call's own");
	bench_context("insns_counter_overhead", insns_ovh_text);
	if (filter)
		bench_context("benchmark_filter", filter);
	bench_context("strategy.smpheap", smph.version);
	struct strategy *set[1 + STRATEGY_BOUNDED_COUNT] = {&smph};
	for (unsigned i = 0; i < STRATEGY_BOUNDED_COUNT; i++) {
		snprintf(bounded_key[i], sizeof(bounded_key[i]), "strategy.%s", bounded[i].name);
		bench_context(bounded_key[i], bounded[i].version);
		set[1 + i] = &bounded[i];
	}

	unsigned nset = sizeof(set) / sizeof(set[0]);
	for (unsigned i = 0; i < nset; i++)
		for (unsigned op = 0; op < 3; op++)
			register_insns(i * 3 + op, set[i], (enum insn_op)op);
	for (unsigned op = 0; op < 3; op++)
		register_insns(nset * 3 + op, NULL, (enum insn_op)op);
	for (unsigned i = 0; i < nset; i++) {
		wl_register(WL_PAIR, set[i], false);
		wl_register(WL_BATCH_SYS, set[i], false);
		wl_register(WL_BATCH, set[i], false);
	}
	for (unsigned i = 0; i < nset; i++) /* the worst case, counted by ICOUNT */
		wl_register(WL_FILL, set[i], false);

	struct bench_baremetal_platform p = {
	    .putchar = out,
	    .cycles_hz = CORE_HZ,
	    .min_cycles = CORE_HZ / 200, /* 5 ms of virtual time: 5 M instructions */
	    .filter = filter,
	};
	int rc = bench_baremetal_run(&p);
	fflush(stdout);
	int hc = smpheap_check(h);
	if (hc) {
		fprintf(stderr, "xtensa bench: smpheap_check after the run: %d\n", hc);
		return 1;
	}
	if (insns_per_tick_milli == 0) {
		fprintf(stderr, "xtensa bench: CCOUNT did not move\n");
		return 1;
	}
	return rc;
}
