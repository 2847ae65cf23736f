/* trace.h - allocation traces for the `replay` workload.
 *
 * Text, one operation per line, fields separated by blanks:
 *
 *	<time> <core> <op> <zone> <size> <id>
 *
 *   time  non-decreasing integer (any unit; the replay keeps only the order)
 *   core  0..TRACE_MAX_CORES-1, the core that performs the operation
 *   op    a (allocate) or f (free)
 *   zone  sys, runtime or buffer
 *   size  bytes (allocations; ignored on frees, conventionally 0)
 *   id    names the block: allocated once, freed at most once, by any core
 *
 * '#' starts a comment; blank lines are ignored. SYS blocks are never freed.
 * Every runtime/buffer block must be freed by the end of the trace so that it
 * can be replayed again and again. The parser works on text in memory (no
 * files: it runs on bare metal too) and fills a caller-provided array. */
#ifndef BENCH_TRACE_H
#define BENCH_TRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRACE_MAX_CORES 8
#define TRACE_MAX_IDS 65536

struct trace_op {
	uint64_t time;	 /* ordering key */
	uint32_t size;	 /* bytes */
	uint32_t id;	 /* block name, < TRACE_MAX_IDS */
	uint8_t core;	 /* acting core */
	uint8_t is_free; /* 1: free, 0: alloc */
	uint8_t zone;	 /* 0 sys, 1 runtime, 2 buffer (enum strat_kind) */
};

struct trace {
	const char *name;     /* for benchmark names */
	struct trace_op *ops; /* parsed operations, in file order */
	size_t count;	      /* operations */
	unsigned cores;	      /* highest core + 1 */
	uint32_t max_id;      /* highest id + 1 */
};

/* Parses `len` bytes of `text` into ops[0..max). 0 on success, else a
 * negative number and, in *err_line, the 1-based line of the first problem
 * (syntax, unknown zone/op, time going backwards, an id allocated twice,
 * freed before it is allocated or twice, a SYS free, a block left live). */
int trace_parse(const char *text, size_t len, struct trace_op *ops, size_t max, struct trace *out,
		unsigned *err_line);

#ifdef __cplusplus
}
#endif

#endif
