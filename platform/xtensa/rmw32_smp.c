/* The SMP atomics' 4-byte operations under the platform's own names
 * (atomics_ops.h), compiled with -flto so that lib/ inlines them. */
#define SMPH_XT_RMW32 1
#include "atomics_smp.c"
