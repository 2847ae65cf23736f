/* bounded.c - the bounded strategies built over a layout (strategy.h). */
#include "strategy.h"

const struct strategy_bounded strategy_bounded_list[STRATEGY_BOUNDED_COUNT] = {
    {"blockmap-lock", blockmap_lock_size, strategy_blockmap_lock_init},
    {"tlsf-lock", tlsf_lock_size, strategy_tlsf_lock_init},
    {"sysheap-lock", sysheap_lock_size, strategy_sysheap_lock_init},
};
const unsigned strategy_bounded_count =
    sizeof(strategy_bounded_list) / sizeof(strategy_bounded_list[0]);

const struct strategy_bounded *strategy_bounded_find(const char *name)
{
	for (unsigned i = 0; i < strategy_bounded_count; i++) {
		const char *a = strategy_bounded_list[i].name, *b = name;

		while (*a && *a == *b)
			a++, b++;
		if (!*a && !*b)
			return &strategy_bounded_list[i];
	}
	return NULL;
}
