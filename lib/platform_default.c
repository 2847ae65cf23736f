/* platform_default.c - what a platform may leave out.
 *
 * Weak, so a platform that gives threads slots (the host) overrides it by
 * simply defining the function; one with one context per core (bare metal)
 * needs nothing, and its threads take the pure lock-free path. */
#include "smpheap/platform.h"

__attribute__((weak)) unsigned smph_platform_thread_slot(void)
{
	return SMPHEAP_NO_THREAD_SLOT;
}
