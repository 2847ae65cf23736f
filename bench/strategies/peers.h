/* peers.h - the host's allocators (glibc, jemalloc, mimalloc, tcmalloc,
 * tbbmalloc), each measured through its own library, and any allocator a
 * user names as a shared library (--strategy-lib): see peers.c. Host only. */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include <stddef.h>

#include "strategy.h"

#ifdef __cplusplus
extern "C" {
#endif

enum peer_id { PEER_GLIBC, PEER_JEMALLOC, PEER_MIMALLOC, PEER_TCMALLOC, PEER_TBBMALLOC };
#define PEER_COUNT 5

const char *peer_name(enum peer_id id);
/* Opens the peer, checks that its blocks are its own. 0, or -1 with a reason in err. */
int strategy_peer_init(struct strategy *s, enum peer_id id, char *err, size_t errlen);

/* The process malloc as it is, named "malloc": glibc's, or a sanitizer's in
 * those builds (the stress driver's baseline; no ownership to check). */
int strategy_malloc_init(struct strategy *s);

/* A user's allocator: `spec` is "NAME=PATH.so", a shared library exporting
 * malloc and free and, optionally, malloc_usable_size or aligned_alloc. It
 * is dlopen()ed and verified as the peers are (its blocks must be its own);
 * s->name is NAME. 0, or -1 with a reason in err. Up to STRATEGY_LIB_MAX. */
#define STRATEGY_LIB_MAX 4
int strategy_lib_init(struct strategy *s, const char *spec, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
