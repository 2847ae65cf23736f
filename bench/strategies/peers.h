/* peers.h - the host's allocators (glibc, jemalloc, mimalloc, tcmalloc),
 * each measured through its own library: see peers.c. Host only. */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include <stddef.h>

#include "strategy.h"

#ifdef __cplusplus
extern "C" {
#endif

enum peer_id { PEER_GLIBC, PEER_JEMALLOC, PEER_MIMALLOC, PEER_TCMALLOC };
#define PEER_COUNT 4

const char *peer_name(enum peer_id id);
/* Opens the peer, checks that its blocks are its own. 0, or -1 with a reason in err. */
int strategy_peer_init(struct strategy *s, enum peer_id id, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
