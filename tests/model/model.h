/* model.h - what every Relacy test of tests/model/ shares.
 *
 * A test is one C++ file that includes this header, then the real lib/
 * sources it checks (compiled as C++ against the atomics seam, lib/atomics.h,
 * with SMPH_MODEL defined), then defines a Relacy test suite and calls
 * smph_model_main() from main().
 *
 * The same test is built twice: as written, where Relacy must find nothing,
 * and with SMPH_MODEL_WEAKEN naming one order of the lib/ code to weaken,
 * where Relacy must report a failure. The program's exit status says whether
 * the outcome was the expected one, so CTest runs both builds as plain tests.
 */
#ifndef SMPH_MODEL_H
#define SMPH_MODEL_H

/* Standard headers first: relacy.hpp defines macros (new, delete, malloc,
 * free, assert, errno) that must not reach them. */
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iostream>

#include <relacy/relacy.hpp>

#include "atomics.h"

/* The lib/ sources use the GNU builtins and C99 idioms that g++ accepts as
 * extensions in C++ (compound literals, designated initialisers). */
#pragma GCC diagnostic ignored "-Wpedantic"

/* argv[i], overridden by the environment variable `env` when it is set. */
static inline unsigned long smph_model_arg(int argc, char **argv, int i, const char *env,
					   unsigned long dflt)
{
	const char *v = getenv(env);

	if (!v || !*v)
		v = argc > i ? argv[i] : NULL;
	return v ? strtoul(v, NULL, 0) : dflt;
}

/* Runs test suite T: argv[1] iterations of the random scheduler, then (when
 * argv[2] is given and not 0) the context-bound scheduler's full search with
 * that many preemptions. SMPHEAP_MODEL_ITERATIONS and SMPHEAP_MODEL_BOUND in
 * the environment override both (`make model`). Exit 0 when the outcome is
 * the expected one: success as written, a reported failure when
 * SMPH_MODEL_WEAKEN names an order. */
template <class T> int smph_model_main(const char *name, int argc, char **argv)
{
	bool weakened = SMPH_MODEL_WEAKEN[0] != '\0';
	unsigned long iterations = smph_model_arg(argc, argv, 1, "SMPHEAP_MODEL_ITERATIONS", 20000);
	unsigned bound = (unsigned)smph_model_arg(argc, argv, 2, "SMPHEAP_MODEL_BOUND", 0);
	bool failed = false;

	for (int pass = 0; pass < 2 && !failed; pass++) {
		rl::test_params p;

		if (pass == 1 && bound == 0)
			break;
		p.search_type = pass == 0 ? rl::sched_random : rl::sched_bound;
		p.iteration_count = pass == 0 ? iterations : 0;
		p.context_bound = bound;
		p.execution_depth_limit = 20000;
		/* A weakened build only needs the failure found, not its history. */
		if (weakened)
			p.output_stream = &std::cerr;
		failed = !rl::simulate<T>(p);
		std::printf("%s: %s scheduler%s: %s after %llu iterations\n", name,
			    pass == 0 ? "random" : "context-bound", weakened ? " (weakened)" : "",
			    failed ? rl::test_result_str(p.test_result) : "no failure",
			    (unsigned long long)p.stop_iteration);
	}
	if (weakened) {
		std::printf("%s: weakened order \"%s\": %s\n", name, SMPH_MODEL_WEAKEN,
			    failed ? "Relacy reports the failure, as it must"
				   : "not caught by this suite");
		return failed ? 0 : 1;
	}
	std::printf("%s: %s\n", name, failed ? "FAILED" : "passed");
	return failed ? 1 : 0;
}

/* The exit status of a program of several suites, from each
 * smph_model_main() status: as written every suite must pass; weakened, the
 * order is shown to matter when at least one suite reports the failure. */
static inline int smph_model_status(std::initializer_list<int> statuses)
{
	bool weakened = SMPH_MODEL_WEAKEN[0] != '\0', all = true, any = false;

	for (int s : statuses) {
		all &= s == 0;
		any |= s == 0;
	}
	if (weakened && !any)
		std::printf("weakened order \"%s\": NOT caught: no suite shows it matters\n",
			    SMPH_MODEL_WEAKEN);
	return (weakened ? any : all) ? 0 : 1;
}

#endif /* SMPH_MODEL_H */
