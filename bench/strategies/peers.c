/* peers.c - the host allocators the suite compares with: glibc, jemalloc,
 * mimalloc, tcmalloc, tbbmalloc (Debian's shared libraries), the process
 * malloc as it is (the stress driver's "malloc": glibc's, or a sanitizer's
 * in those builds), and any allocator a user names as a shared library
 * (--strategy-lib NAME=PATH.so).
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
 * The sanitizer runtimes refuse RTLD_DEEPBIND, so a sanitized build (the
 * stress driver's TSan and ASan runs) opens the libraries with RTLD_LOCAL
 * alone: the entry points are still the library's own (dlsym on its handle,
 * checked with dladdr), only its internal calls to an exported symbol could
 * then bind to the process's. Under ThreadSanitizer a library that was not
 * instrumented (tbbmalloc) synchronises where TSan cannot see it, so every
 * free of a dlopen()ed peer is a release and every allocation an acquire of
 * one sync object: the allocator contract (a free happens before the
 * allocation that reuses the memory), told to TSan.
 *
 * jemalloc and tcmalloc keep their thread state in initial-exec TLS, which a
 * dlopen() can only place in glibc's small static-TLS surplus: the bench
 * binary re-executes itself once with GLIBC_TUNABLES raising that surplus
 * (bench_main.c), which changes nothing else about glibc's malloc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define PEER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define PEER_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define PEER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PEER_TSAN 1
#endif
#endif

#ifdef PEER_SANITIZED
#define PEER_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL)
#else
#define PEER_DLOPEN_FLAGS (RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)
#endif

#ifdef PEER_TSAN
#include <sanitizer/tsan_interface.h>
static char tsan_sync; /* the one sync object of every dlopen()ed peer */
#define PEER_ACQUIRE(p)                                                                            \
	do {                                                                                       \
		if ((p)->handle)                                                                   \
			__tsan_acquire(&tsan_sync);                                                \
	} while (0)
#define PEER_RELEASE(p)                                                                            \
	do {                                                                                       \
		if ((p)->handle)                                                                   \
			__tsan_release(&tsan_sync);                                                \
	} while (0)
#else
#define PEER_ACQUIRE(p) ((void)(p))
#define PEER_RELEASE(p) ((void)(p))
#endif

struct peer {
	void *handle;		     /* dlopen handle (NULL: the process malloc) */
	void *(*malloc_fn)(size_t);  /* the peer's malloc */
	void (*free_fn)(void *);     /* the peer's free */
	size_t (*usable_fn)(void *); /* the peer's usable size of a live block (may be NULL) */
	void *(*realloc_fn)(void *, size_t);	     /* the peer's realloc (may be NULL) */
	int (*memalign_fn)(void **, size_t, size_t); /* posix_memalign-shaped (may be NULL) */
	void *(*aligned_alloc_fn)(size_t, size_t);   /* C11 aligned_alloc (a user library) */
	size_t (*tbb_safer_msize)(void *, size_t (*)(void *)); /* tbbmalloc's own check */
	/* ownership checks, the peer's own */
	int (*mi_is_in_heap_region)(const void *);
	int (*tc_ownership)(const void *); /* MallocExtension_GetOwnership: 1 = owned */
	int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);
	const char *lib;	 /* the shared object that must hold the entry points */
	char path[256];		 /* a user library: the file opened, resolved */
	char name[32];		 /* a user library: the NAME of NAME=PATH.so */
	uintptr_t seg_lo;	 /* a user library: its loaded segments ... */
	uintptr_t seg_hi;	 /* ... span [seg_lo, seg_hi) (a static arena lies there) */
	struct strategy_ops ops; /* peer_ops less what this peer lacks */
};

static struct peer peers[PEER_COUNT];
static struct peer process_malloc;
static struct peer libs[STRATEGY_LIB_MAX];
static unsigned libs_used;
static const char *const peer_names[PEER_COUNT] = {"glibc", "jemalloc", "mimalloc", "tcmalloc",
						   "tbbmalloc"};
static const char *const peer_libs[PEER_COUNT] = {"libc.so.6", "libjemalloc.so.2",
						  "libmimalloc.so.2", "libtcmalloc_minimal.so.4",
						  "libtbbmalloc.so.2"};

const char *peer_name(enum peer_id id)
{
	return peer_names[id];
}

static void *peer_alloc(struct strategy *s, void *t, size_t size, enum strat_kind kind)
{
	struct peer *p = s->impl;
	void *q;

	(void)t;
	(void)kind;
	q = p->malloc_fn(size);
	PEER_ACQUIRE(p);
	return q;
}

static int peer_free(struct strategy *s, void *t, void *ptr, enum strat_kind kind)
{
	struct peer *p = s->impl;

	(void)t;
	(void)kind;
	PEER_RELEASE(p);
	p->free_fn(ptr);
	return 0;
}

/* The peers have no memory kinds: caps must be 0. An alignment goes to the
 * peer's posix_memalign (freed by its free, as each documents), or a user
 * library's aligned_alloc with the size rounded up to a multiple of it, as
 * C11 asks. */
static void *peer_alloc_ex(struct strategy *s, void *t, enum strat_kind kind, uint32_t caps,
			   size_t size, size_t align)
{
	struct peer *p = s->impl;
	void *q = NULL;

	if (caps)
		return NULL;
	if (!align)
		return peer_alloc(s, t, size, kind);
	if (align & (align - 1))
		return NULL;
	if (p->memalign_fn) {
		if (p->memalign_fn(&q, align < sizeof(void *) ? sizeof(void *) : align, size))
			q = NULL;
	} else if (p->aligned_alloc_fn && size <= SIZE_MAX - align) {
		q = p->aligned_alloc_fn(align, (size + align - 1) & ~(align - 1));
	}
	PEER_ACQUIRE(p);
	return q;
}

static void *peer_realloc(struct strategy *s, void *t, void *ptr, size_t old_size, size_t size,
			  enum strat_kind kind)
{
	struct peer *p = s->impl;
	void *q;

	(void)t;
	(void)old_size;
	(void)kind;
	PEER_RELEASE(p);
	q = p->realloc_fn(ptr, size);
	PEER_ACQUIRE(p);
	return q;
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

static size_t no_msize(void *p)
{
	(void)p;
	return 0;
}

static int peer_owns(struct strategy *s, const void *ptr)
{
	struct peer *p = s->impl;
	uintptr_t a = (uintptr_t)ptr;

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
	/* tbbmalloc's "safer" size (what its malloc-replacing proxy uses to
	 * tell its blocks from the system's): 0 for a block it does not know,
	 * when given no fallback for foreign blocks */
	if (p->tbb_safer_msize)
		return p->tbb_safer_msize((void *)ptr, no_msize) > 0;
	/* a user library: a block inside its own segments (a static arena) is
	 * its own; else its usable size must know the block */
	if (p->seg_hi)
		return (a >= p->seg_lo && a < p->seg_hi) ||
		       (p->usable_fn && p->usable_fn((void *)ptr) > 0);
	/* glibc: its chunk header says how much is usable */
	return malloc_usable_size((void *)ptr) > 0;
}

static const struct strategy_ops peer_ops = {
    .thread_init = peer_thread_init,
    .thread_fini = peer_thread_fini,
    .alloc = peer_alloc,
    .free = peer_free,
    .alloc_ex = peer_alloc_ex,
    .realloc = peer_realloc,
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

/* An optional symbol the library itself defines, else NULL: dlsym also
 * searches its dependencies (libc, a sanitizer runtime), whose aligned_alloc
 * or malloc_usable_size know nothing of its blocks. */
static void *sym_opt(struct peer *p, const char *name)
{
	void *f = dlsym(p->handle, name);

	return f && in_object(f, p->lib) ? f : NULL;
}

/* The strategy fields every peer shares. */
static void peer_fill(struct strategy *s, struct peer *p, const char *name)
{
	size_t n = strlen(s->version);
	Dl_info di;

	if (dladdr((void *)p->malloc_fn, &di) && di.dli_fname)
		snprintf(s->version + n, sizeof(s->version) - n, " (%s)", di.dli_fname);
	p->ops = peer_ops;
	if (!p->realloc_fn)
		p->ops.realloc = NULL; /* the callers allocate, copy and free */
	if (!p->usable_fn)
		p->ops.usable = NULL; /* the request is what counts */
	if (!p->memalign_fn && !p->aligned_alloc_fn)
		p->ops.alloc_ex = NULL; /* no alignment is asked */
#ifdef PEER_TSAN
	/* a realloc that moves copies into its new block inside the library,
	 * before the acquire that would order it after the old owner's free */
	if (p->handle)
		p->ops.realloc = NULL;
#endif
	s->name = name;
	s->ops = &p->ops;
	s->impl = p;
	s->heap = NULL;
	s->floor = false;
	s->bounded = false;
	s->max_runtime = 0;
	s->arena = 0;
	s->cores = 1;
}

/* The process malloc, the one every binary of the suite runs on. */
static void process_malloc_fill(struct peer *p)
{
	p->malloc_fn = malloc;
	p->free_fn = free;
	p->usable_fn = malloc_usable_size;
	p->realloc_fn = realloc;
	p->memalign_fn = posix_memalign;
}

static int peer_open(enum peer_id id, struct strategy *s, char *err, size_t errlen)
{
	struct peer *p = &peers[id];

	memset(p, 0, sizeof(*p));
	p->lib = peer_libs[id];
	if (id == PEER_GLIBC) {
		process_malloc_fill(p);
		if (!in_object((void *)malloc, p->lib) || !in_object((void *)free, p->lib)) {
			snprintf(err, errlen, "the process malloc is not glibc's");
			return -1;
		}
		snprintf(s->version, sizeof(s->version), "glibc %s", gnu_get_libc_version());
		peer_fill(s, p, peer_names[id]);
		return 0;
	}
	p->handle = dlopen(p->lib, PEER_DLOPEN_FLAGS);
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
		p->realloc_fn = (void *(*)(void *, size_t))sym(p, "realloc", err, errlen);
		p->memalign_fn =
		    (int (*)(void **, size_t, size_t))sym(p, "posix_memalign", err, errlen);
		p->je_mallctl = (int (*)(const char *, void *, size_t *, void *, size_t))sym(
		    p, "mallctl", err, errlen);
		if (p->je_mallctl)
			p->je_mallctl("version", &v, &len, NULL, 0);
		snprintf(s->version, sizeof(s->version), "jemalloc %.60s", v);
	} else if (id == PEER_MIMALLOC) {
		int (*ver)(void) = (int (*)(void))sym(p, "mi_version", err, errlen);
		int v = ver ? ver() : 0;

		p->malloc_fn = (void *(*)(size_t))sym(p, "mi_malloc", err, errlen);
		p->free_fn = (void (*)(void *))sym(p, "mi_free", err, errlen);
		p->usable_fn = (size_t(*)(void *))sym(p, "mi_usable_size", err, errlen);
		p->realloc_fn = (void *(*)(void *, size_t))sym(p, "mi_realloc", err, errlen);
		p->memalign_fn =
		    (int (*)(void **, size_t, size_t))sym(p, "mi_posix_memalign", err, errlen);
		p->mi_is_in_heap_region =
		    (int (*)(const void *))sym(p, "mi_is_in_heap_region", err, errlen);
		snprintf(s->version, sizeof(s->version), "mimalloc %d.%d.%d", v / 100, v / 10 % 10,
			 v % 10);
	} else if (id == PEER_TCMALLOC) {
		const char *(*ver)(int *, int *, const char **) =
		    (const char *(*)(int *, int *, const char **))sym(p, "tc_version", err, errlen);
		int a = 0, b = 0;
		const char *c = "";

		p->malloc_fn = (void *(*)(size_t))sym(p, "tc_malloc", err, errlen);
		p->free_fn = (void (*)(void *))sym(p, "tc_free", err, errlen);
		p->usable_fn = (size_t(*)(void *))sym(p, "tc_malloc_size", err, errlen);
		p->realloc_fn = (void *(*)(void *, size_t))sym(p, "tc_realloc", err, errlen);
		p->memalign_fn =
		    (int (*)(void **, size_t, size_t))sym(p, "tc_posix_memalign", err, errlen);
		p->tc_ownership =
		    (int (*)(const void *))sym(p, "MallocExtension_GetOwnership", err, errlen);
		snprintf(s->version, sizeof(s->version), "tcmalloc %s",
			 ver ? ver(&a, &b, &c) : "?");
	} else {
		/* oneTBB's scalable allocator: its own entry points (it exports
		 * no malloc; libtbbmalloc_proxy would replace the process's) */
		char real[256];
		Dl_info di;
		const char *so;

		p->malloc_fn = (void *(*)(size_t))sym(p, "scalable_malloc", err, errlen);
		p->free_fn = (void (*)(void *))sym(p, "scalable_free", err, errlen);
		p->usable_fn = (size_t(*)(void *))sym(p, "scalable_msize", err, errlen);
		p->realloc_fn = (void *(*)(void *, size_t))sym(p, "scalable_realloc", err, errlen);
		p->memalign_fn = (int (*)(void **, size_t, size_t))sym(p, "scalable_posix_memalign",
								       err, errlen);
		p->tbb_safer_msize = (size_t(*)(void *, size_t (*)(void *)))sym(
		    p, "__TBB_malloc_safer_msize", err, errlen);
		/* it has no version call: the file's version is the library's
		 * (libtbbmalloc.so.2.8 is oneTBB 2021.8) */
		so = p->malloc_fn && dladdr((void *)p->malloc_fn, &di) && di.dli_fname &&
			     realpath(di.dli_fname, real)
			 ? strrchr(real, '/')
			 : NULL;
		snprintf(s->version, sizeof(s->version), "tbbmalloc %.60s", so ? so + 1 : "?");
	}
	if (!p->malloc_fn || !p->free_fn || !p->usable_fn || err[0])
		return -1;
	peer_fill(s, p, peer_names[id]);
	return 0;
}

/* Allocations of a few sizes must belong to the named library. */
static int peer_verify(struct strategy *s, char *err, size_t errlen)
{
	static const size_t sizes[] = {16, 64, 1000, 4096, 65536, 262144};

	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		void *ptr = strategy_alloc(s, NULL, sizes[i], STRAT_RUNTIME);
		int ok = ptr && s->ops->owns(s, ptr);
		size_t usable = ptr && ok && s->ops->usable ? s->ops->usable(s, ptr) : sizes[i];

		if (ptr)
			strategy_free(s, NULL, ptr, STRAT_RUNTIME);
		if (!ok || usable < sizes[i]) {
			snprintf(err, errlen,
				 !ptr  ? "%s: a %zu-byte allocation failed"
				 : !ok ? "%s: a %zu-byte block does not belong to it"
				       : "%s: a %zu-byte block's usable size is smaller",
				 s->name, sizes[i]);
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

int strategy_malloc_init(struct strategy *s)
{
	struct peer *p = &process_malloc;

	memset(p, 0, sizeof(*p));
	p->lib = "the process";
	process_malloc_fill(p);
	snprintf(s->version, sizeof(s->version), "the process malloc (glibc %s%s)",
		 gnu_get_libc_version(),
#ifdef PEER_SANITIZED
		 ", behind the sanitizer's"
#else
		 ""
#endif
	);
	peer_fill(s, p, "malloc");
	return 0;
}

/* The span of the loaded segments of the object whose base is `data`. */
static int find_segments(struct dl_phdr_info *info, size_t size, void *data)
{
	struct peer *p = data;

	(void)size;
	if (!info->dlpi_name || strcmp(info->dlpi_name, p->path) != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		if (!p->seg_hi || lo < p->seg_lo)
			p->seg_lo = lo;
		if (hi > p->seg_hi)
			p->seg_hi = hi;
	}
	return 1;
}

int strategy_lib_init(struct strategy *s, const char *spec, char *err, size_t errlen)
{
	const char *eq = spec ? strchr(spec, '=') : NULL;
	struct peer *p;
	size_t n;
	struct link_map *lm = NULL;

	err[0] = 0;
	if (!eq || eq == spec || !eq[1]) {
		snprintf(err, errlen, "--strategy-lib takes NAME=PATH.so, not '%s'",
			 spec ? spec : "");
		return -1;
	}
	n = (size_t)(eq - spec);
	if (libs_used == STRATEGY_LIB_MAX) {
		snprintf(err, errlen, "at most %d --strategy-lib libraries", STRATEGY_LIB_MAX);
		return -1;
	}
	p = &libs[libs_used];
	memset(p, 0, sizeof(*p));
	if (n >= sizeof(p->name)) {
		snprintf(err, errlen, "--strategy-lib: NAME '%.*s' is longer than %zu characters",
			 (int)n, spec, sizeof(p->name) - 1);
		return -1;
	}
	memcpy(p->name, spec, n);
	for (size_t i = 0; i < n; i++)
		if (!((p->name[i] >= 'a' && p->name[i] <= 'z') ||
		      (p->name[i] >= 'A' && p->name[i] <= 'Z') ||
		      (p->name[i] >= '0' && p->name[i] <= '9') || strchr("-_.+", p->name[i]))) {
			snprintf(err, errlen,
				 "--strategy-lib: NAME '%s' may hold only letters, digits and "
				 "-_.+ (it goes into benchmark names)",
				 p->name);
			return -1;
		}
	if (!realpath(eq + 1, p->path)) {
		snprintf(err, errlen, "--strategy-lib %s: %s: %s", p->name, eq + 1,
			 strerror(errno));
		return -1;
	}
	p->lib = p->path;
	p->handle = dlopen(p->path, PEER_DLOPEN_FLAGS);
	if (!p->handle) {
		snprintf(err, errlen, "--strategy-lib %s: %s", p->name, dlerror());
		return -1;
	}
	/* the loaded object must be this file (not one loaded before it) */
	if (dlinfo(p->handle, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name)
		snprintf(p->path, sizeof(p->path), "%s", lm->l_name);
	p->malloc_fn = (void *(*)(size_t))sym(p, "malloc", err, errlen);
	if (p->malloc_fn)
		p->free_fn = (void (*)(void *))sym(p, "free", err, errlen);
	p->usable_fn = (size_t(*)(void *))sym_opt(p, "malloc_usable_size");
	p->aligned_alloc_fn = (void *(*)(size_t, size_t))sym_opt(p, "aligned_alloc");
	if (err[0]) {
		char why[200];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen,
			 "--strategy-lib %s: %s (it must export malloc and free, and may export "
			 "malloc_usable_size and aligned_alloc, all its own)",
			 p->name, why);
		dlclose(p->handle);
		return -1;
	}
	dl_iterate_phdr(find_segments, p);
	snprintf(s->version, sizeof(s->version), "user library%s%s",
		 p->usable_fn ? ", usable size" : "", p->aligned_alloc_fn ? ", aligned_alloc" : "");
	peer_fill(s, p, p->name);
	if (peer_verify(s, err, errlen)) {
		if (!p->usable_fn)
			strncat(err,
				" (its blocks lie outside the library's own segments, and it "
				"exports no malloc_usable_size to tell them apart)",
				errlen - strlen(err) - 1);
		dlclose(p->handle);
		return -1;
	}
	libs_used++;
	return 0;
}
