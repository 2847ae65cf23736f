/* slab.pml - a model of the runtime zone's retire protocol (lib/runtime.c,
 * "The retire protocol"), checked with spin over every interleaving.
 *
 * One slab slot (a granule of the pool) with its block word (LIVE | blocks,
 * 1 = free), its page table entry (pt: NONE, class A or class B) and its
 * pages' pool bit (pfree). Class A has two blocks of one region each; class
 * B has one block covering both regions. Memory is two regions, each with
 * an owner: whoever is handed a block (or a run) owns its regions, and no
 * region may have two owners.
 *
 * Start: the slot holds a slab of class B, all free.
 *   recutter  claims B's block, frees it (the free that makes the slab all
 *             free retires it: CAS LIVE|full -> 0, pt = NONE, pfree = 1),
 *             then cuts the pages as a class-A slab (claim pfree, pt = A,
 *             word = LIVE|3) and claims, uses and frees one A block;
 *   stale     had the slot as its current slab of class B, and claims from
 *             it at any time: a bit of B's mask from a live word, then the
 *             class check (pt == B, else give the block back with an
 *             ordinary free of the slab's real class);
 *   a_user    claims an A block from the slot at any time (the same check);
 *   runner    takes the slot's pages as a buffer run when they are free.
 * Checked: no region has two owners; a free always lands in a live word;
 * a slab is retired only with no block handed out;
 * at the end every block is free and the slot is either retired (word 0,
 * pt NONE, pages free) or a live all-free slab of the class pt says.
 *
 * Two builds must fail (the test runs all three, so the model is shown able
 * to fail): -DNO_CLASS_CHECK drops the class check after the claim (a stale
 * B claimer then holds both regions while an A block is handed out too), and
 * -DSHARED_LIVE gives both classes one fixed LIVE bit, so that B's "all
 * free" equals A's "block 1 taken" and a stale retirer (a_user giving back a
 * B block it claimed by mistake) retires the A slab under a live block.
 *
 * Spin explores sequentially consistent interleavings; the C code's orders
 * (release store of the word after the page table entries, acquire claims,
 * acq_rel retire) are what give this order on real hardware: see the
 * comments in lib/runtime.c and lib/bitmap.c. */
/* Each class's LIVE bit sits just above its blocks (lib/bitmap.h); with
 * -DSHARED_LIVE both use one fixed bit, as a first version did. */
#define LIVE_A 4
#define FULL_A 3
#ifdef SHARED_LIVE
#define LIVE_B 4
#else
#define LIVE_B 2
#endif
#define FULL_B 1
#define LIVE_OF(k) (k == CLASS_A -> LIVE_A : LIVE_B)
#define FULL_OF(k) (k == CLASS_A -> FULL_A : FULL_B)
#define NONE 0
#define CLASS_A 1
#define CLASS_B 2

byte word = LIVE_B | FULL_B;
byte pt = CLASS_B;
bit pfree = 0;
byte region[2]; /* owner id, 0 = nobody */
byte done;

inline own(id, lo, hi) {
	assert(region[lo] == 0); region[lo] = id;
	if :: hi != lo -> assert(region[hi] == 0); region[hi] = id :: else -> skip fi
}
inline disown(lo, hi) {
	region[lo] = 0;
	if :: hi != lo -> region[hi] = 0 :: else -> skip fi
}

/* The free protocol: one OR; the free that makes the slab all free
 * retires it (no hysteresis here: the strongest case). */
/* (Every proctype declares the locals the inlines use: old, fm, won, w, m,
 * real.) */
inline slab_free(b, k) {
	atomic { old = word; word = word | b };
	assert(old & LIVE_OF(k));
	fm = LIVE_OF(k) | FULL_OF(k);
	if
	:: (old | b) == fm ->
		won = 0;
		/* the retire CAS, perhaps long after the OR (a stale retirer) */
		atomic { if :: word == fm -> word = 0; won = 1 :: else -> skip fi };
		if
		:: won -> assert(region[0] == 0 && region[1] == 0);	/* no live block */
			pt = NONE; pfree = 1	/* entries reset, then pages back */
		:: else -> skip
		fi
	:: else -> skip
	fi
}

/* A claim of class k from the slot: a bit of k's mask from a live word,
 * then the class check. got: the bit, or 0. */
inline slab_claim(k, got) {
	got = 0;
	w = word;
	m = w & FULL_OF(k);
	if
	:: (w & LIVE_OF(k)) && m != 0 ->
		m = ((m & 1) -> 1 : 2);
		atomic { if :: word == w -> word = w & ~m; got = m :: else -> skip fi };
#ifndef NO_CLASS_CHECK
		if
		:: got != 0 && pt != k ->
			real = pt;	/* stable: we hold a block */
			if
			:: real != NONE -> slab_free(got, real)
			:: else -> skip	/* a dead word's stray: dropped */
			fi;
			got = 0
		:: else -> skip
		fi
#endif
	:: else -> skip
	fi
}

/* Uses block `got` of class k as its owner `id`, then frees it. */
inline use_and_free(id, k, got) {
	if
	:: k == CLASS_B -> own(id, 0, 1); disown(0, 1)
	:: else -> own(id, got - 1, got - 1); disown(got - 1, got - 1)
	fi;
	slab_free(got, k)
}

#define LOCALS byte old, fm, won, w, m, real

proctype recutter() {
	LOCALS;
	byte got, took;
	slab_claim(CLASS_B, got);
	if :: got != 0 -> use_and_free(1, CLASS_B, got) :: else -> skip fi;
	/* Cut class A once the pages are back in the pool. */
	took = 0;
	atomic { if :: pfree -> pfree = 0; took = 1 :: else -> skip fi };
	if
	:: took ->
		pt = CLASS_A;		/* entries first */
		word = LIVE_A | FULL_A;	/* then the word goes live (release) */
		slab_claim(CLASS_A, got);
		if :: got != 0 -> use_and_free(1, CLASS_A, got) :: else -> skip fi
	:: else -> skip
	fi;
	atomic { done++ }
}

proctype stale() {
	LOCALS;
	byte got;
	slab_claim(CLASS_B, got);
	if :: got != 0 -> use_and_free(2, CLASS_B, got) :: else -> skip fi;
	atomic { done++ }
}

proctype a_user() {
	LOCALS;
	byte got;
	slab_claim(CLASS_A, got);
	if :: got != 0 -> use_and_free(3, CLASS_A, got) :: else -> skip fi;
	atomic { done++ }
}

proctype runner() {
	byte took = 0;
	atomic { if :: pfree -> pfree = 0; took = 1 :: else -> skip fi };
	if
	:: took ->
		assert(word == 0);	/* a free page's word is dead */
		own(4, 0, 1); disown(0, 1);
		pfree = 1
	:: else -> skip
	fi;
	atomic { done++ }
}

init {
	atomic { run recutter(); run stale(); run a_user(); run runner() }
	done == 4;
	assert(region[0] == 0 && region[1] == 0);
	if
	:: word == 0 -> assert(pt == NONE && pfree == 1)
	:: else -> assert(pfree == 0 && ((pt == CLASS_A && word == (LIVE_A | FULL_A)) ||
					(pt == CLASS_B && word == (LIVE_B | FULL_B))))
	fi
}
