/* check.h - the unit tests' tiny harness: portable C, no allocation, prints
 * one line per failed check and a closing "N passed, N failed" line. */
#ifndef SMPHEAP_TEST_CHECK_H
#define SMPHEAP_TEST_CHECK_H

#include <stdio.h>

static unsigned check_passed, check_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (cond) {                                                                        \
			check_passed++;                                                            \
		} else {                                                                           \
			check_failed++;                                                            \
			printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                     \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ == check_b_) {                                                        \
			check_passed++;                                                            \
		} else {                                                                           \
			check_failed++;                                                            \
			printf("FAIL %s:%d: %s == %s (%lld != %lld)\n", __FILE__, __LINE__, #a,    \
			       #b, check_a_, check_b_);                                            \
		}                                                                                  \
	} while (0)

static inline int check_report(const char *name)
{
	printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
