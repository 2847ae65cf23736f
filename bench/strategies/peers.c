/* peers.c - the host allocators the suite compares with: glibc, jemalloc,
 * mimalloc, tcmalloc (Debian's shared libraries).
 *
 * None is linked into the benchmark: linking two would make one's malloc
 * interpose the other's, and a figure labelled "jemalloc" could measure
 * glibc. Instead each peer is dlopen()ed with RTLD_LOCAL | RTLD_DEEPBIND, so
 * its own references resolve inside it and nothing else sees its symbols, and
 * it is called through its own entry points. glibc is the process malloc (the
 * binary links no peer). At start-up each strategy checks that an allocation
 * it makes really belongs to the library it names (peer_verify()), and the
 * library's version and file go into the JSON context.
 *
 * jemalloc and tcmalloc keep their thread state in initial-exec TLS, which a
 * dlopen() can only place in glibc's small static-TLS surplus: the bench
 * binary re-executes itself once with GLIBC_TUNABLES raising that surplus
 * (bench_main.c), which changes nothing else about glibc's malloc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

struct peer {
	void *handle;		     /* dlopen handle (NULL: glibc) */
	void *(*malloc_fn)(size_t);  /* the peer's malloc */
	void (*free_fn)(void *);     /* the peer's free */
	size_t (*usable_fn)(void *); /* the peer's usable size of a live block */
	/* ownership checks, the peer's own */
	int (*mi_is_in_heap_region)(const void *);
	int (*tc_ownership)(const void *); /* MallocExtension_GetOwnership: 1 = owned */
	int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);
	const char *lib; /* the shared object that must hold the entry points */
};

static struct peer peers[PEER_COUNT];
static const char *const peer_names[PEER_COUNT] = {"glibc", "jemalloc", "mimalloc", "tcmalloc"};
static const char *const peer_libs[PEER_COUNT] = {"libc.so.6", "libjemalloc.so.2",
						  "libmimalloc.so.2", "libtcmalloc_minimal.so.4"};

const char *peer_name(enum peer_id id)
{
	return peer_names[id];
}

static void *peer_alloc(struct strategy *s, void *t, size_t size, enum strat_kind kind)
{
	struct peer *p = s->impl;

	(void)t;
	(void)kind;
	return p->malloc_fn(size);
}

static int peer_free(struct strategy *s, void *t, void *ptr, enum strat_kind kind)
{
	struct peer *p = s->impl;

	(void)t;
	(void)kind;
	p->free_fn(ptr);
	return 0;
}

static size_t peer_usable(struct strategy *s, const void *ptr)
{
	struct peer *p = s->impl;

	return p->usable_fn((void *)ptr);
}

static void *peer_thread_init(struct strategy *s, unsigned thread, unsigned core)
{
	(void)s;
	(void)thread;
	(void)core;
	return NULL;
}

static void peer_thread_fini(struct strategy *s, void *t)
{
	(void)s;
	(void)t;
}

/* Does the code at `fn` live in a shared object whose file name contains `lib`? */
static int in_object(void *fn, const char *lib)
{
	Dl_info di;

	return dladdr(fn, &di) && di.dli_fname && strstr(di.dli_fname, lib);
}

static int peer_owns(struct strategy *s, const void *ptr)
{
	struct peer *p = s->impl;

	if (p->mi_is_in_heap_region)
		return p->mi_is_in_heap_region(ptr) != 0;
	if (p->tc_ownership)
		return p->tc_ownership(ptr) == 1;
	if (p->je_mallctl) {
		unsigned arena;
		size_t len = sizeof(arena);

		/* arenas.lookup finds the arena of a jemalloc pointer (it must
		 * not be asked about a foreign one: it would crash) */
		return p->je_mallctl("arenas.lookup", &arena, &len, (void *)&ptr, sizeof(ptr)) == 0;
	}
	/* glibc: its chunk header says how much is usable */
	return malloc_usable_size((void *)ptr) > 0;
}

static const struct strategy_ops peer_ops = {
    .thread_init = peer_thread_init,
    .thread_fini = peer_thread_fini,
    .alloc = peer_alloc,
    .free = peer_free,
    .usable = peer_usable,
    .owns = peer_owns,
};

static void *sym(struct peer *p, const char *name, char *err, size_t errlen)
{
	void *f = dlsym(p->handle, name);

	if (!f)
		snprintf(err, errlen, "%s: no symbol %s", p->lib, name);
	else if (!in_object(f, p->lib)) {
		snprintf(err, errlen, "%s resolved outside %s", name, p->lib);
		f = NULL;
	}
	return f;
}

static int peer_open(enum peer_id id, struct strategy *s, char *err, size_t errlen)
{
	struct peer *p = &peers[id];
	char where[160] = "";
	Dl_info di;

	memset(p, 0, sizeof(*p));
	p->lib = peer_libs[id];
	if (id == PEER_GLIBC) {
		p->malloc_fn = malloc;
		p->free_fn = free;
		p->usable_fn = malloc_usable_size;
		if (!in_object((void *)malloc, p->lib) || !in_object((void *)free, p->lib)) {
			snprintf(err, errlen, "the process malloc is not glibc's");
			return -1;
		}
		snprintf(s->version, sizeof(s->version), "glibc %s", gnu_get_libc_version());
	} else {
		p->handle = dlopen(p->lib, RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
		if (!p->handle) {
			snprintf(err, errlen, "%s", dlerror());
			return -1;
		}
		if (id == PEER_JEMALLOC) {
			const char *v = "?";
			size_t len = sizeof(v);

			p->malloc_fn = (void *(*)(size_t))sym(p, "malloc", err, errlen);
			p->free_fn = (void (*)(void *))sym(p, "free", err, errlen);
			p->usable_fn = (size_t(*)(void *))sym(p, "malloc_usable_size", err, errlen);
			p->je_mallctl = (int (*)(const char *, void *, size_t *, void *,
						 size_t))sym(p, "mallctl", err, errlen);
			if (p->je_mallctl)
				p->je_mallctl("version", &v, &len, NULL, 0);
			snprintf(s->version, sizeof(s->version), "jemalloc %.60s", v);
		} else if (id == PEER_MIMALLOC) {
			int (*ver)(void) = (int (*)(void))sym(p, "mi_version", err, errlen);
			int v = ver ? ver() : 0;

			p->malloc_fn = (void *(*)(size_t))sym(p, "mi_malloc", err, errlen);
			p->free_fn = (void (*)(void *))sym(p, "mi_free", err, errlen);
			p->usable_fn = (size_t(*)(void *))sym(p, "mi_usable_size", err, errlen);
			p->mi_is_in_heap_region =
			    (int (*)(const void *))sym(p, "mi_is_in_heap_region", err, errlen);
			snprintf(s->version, sizeof(s->version), "mimalloc %d.%d.%d", v / 100,
				 v / 10 % 10, v % 10);
		} else {
			const char *(*ver)(int *, int *, const char **) =
			    (const char *(*)(int *, int *, const char **))sym(p, "tc_version", err,
									      errlen);
			int a = 0, b = 0;
			const char *c = "";

			p->malloc_fn = (void *(*)(size_t))sym(p, "tc_malloc", err, errlen);
			p->free_fn = (void (*)(void *))sym(p, "tc_free", err, errlen);
			p->usable_fn = (size_t(*)(void *))sym(p, "tc_malloc_size", err, errlen);
			p->tc_ownership = (int (*)(const void *))sym(
			    p, "MallocExtension_GetOwnership", err, errlen);
			snprintf(s->version, sizeof(s->version), "tcmalloc %s",
				 ver ? ver(&a, &b, &c) : "?");
		}
		if (!p->malloc_fn || !p->free_fn || !p->usable_fn || err[0])
			return -1;
	}
	if (dladdr((void *)p->malloc_fn, &di) && di.dli_fname)
		snprintf(where, sizeof(where), " (%s)", di.dli_fname);
	strncat(s->version, where, sizeof(s->version) - strlen(s->version) - 1);
	s->name = peer_names[id];
	s->ops = &peer_ops;
	s->impl = p;
	s->heap = NULL;
	s->floor = false;
	s->bounded = false;
	s->max_runtime = 0;
	s->cores = 1;
	return 0;
}

static int peer_verify(struct strategy *s, char *err, size_t errlen)
{
	/* allocations of a few sizes must belong to the named library */
	static const size_t sizes[] = {16, 64, 1000, 4096, 65536, 262144};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *ptr = strategy_alloc(s, NULL, sizes[i], STRAT_RUNTIME);
		int ok = ptr && s->ops->owns(s, ptr);

		if (ptr)
			strategy_free(s, NULL, ptr, STRAT_RUNTIME);
		if (!ok) {
			snprintf(err, errlen, "%s: a %zu-byte block does not belong to it", s->name,
				 sizes[i]);
			return -1;
		}
	}
	return 0;
}

int strategy_peer_init(struct strategy *s, enum peer_id id, char *err, size_t errlen)
{
	err[0] = 0;
	if (peer_open(id, s, err, errlen))
		return -1;
	return peer_verify(s, err, errlen);
}
