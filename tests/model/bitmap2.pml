/* bitmap2.pml - a model of the two-level bitmap protocol (lib/bitmap.c),
 * checked with spin over every interleaving of THREADS threads.
 *
 * One leaf of BITS blocks under one summary bit (1 = free). Each thread
 * claims a block and releases it, ROUNDS times:
 *   claim:   read the summary; read the leaf; CAS the lowest free bit away;
 *            if that emptied the leaf (or the leaf was found empty):
 *            summary_clear = AND the summary bit away, re-read the leaf,
 *            OR the bit back if the leaf is not empty.
 *   release: old = fetch_or(leaf, bit); if old == 0: OR the summary bit.
 * Checked: a block has one owner at a time, and at the end (every thread
 * done, every block free) the summary shows the leaf: the invariant whose
 * loss would make free blocks invisible. Build with -DNO_REREAD to drop the
 * re-read: spin must then find the lost-summary interleaving (the test
 * runs both, so the model is shown able to fail).
 *
 * Spin explores sequentially consistent interleavings; the C code's memory
 * orders (acq_rel AND, release OR) are what give this order on real
 * hardware: see the comment on smph_bitmap2_summary_clear(). */
#ifndef THREADS
#define THREADS 3
#endif
#define BITS 2
#define FULL 3
#define ROUNDS 2

byte leaf = FULL;
bit summary = 1;
byte owner[BITS];
byte done;

inline summary_clear() {
	summary = 0;		/* atomic AND (one step) */
#ifndef NO_REREAD
	if
	:: leaf != 0 -> summary = 1	/* re-read, OR back */
	:: else -> skip
	fi
#endif
}

proctype worker(byte id) {
	byte r, w, low, got, old;
	for (r : 1 .. ROUNDS) {
		got = 255;
		if
		:: summary == 1 ->
			w = leaf;
			if
			:: w == 0 -> summary_clear()
			:: else ->
				low = ((w & 1) -> 1 : 2);
				atomic {
					if
					:: leaf == w -> leaf = w & ~low; got = (low == 1 -> 0 : 1)
					:: else -> skip	/* CAS failed: give up this round */
					fi
				}
				if
				:: got != 255 && (w & ~low) == 0 -> summary_clear()
				:: else -> skip
				fi
			fi
		:: else -> skip
		fi;
		if
		:: got != 255 ->
			assert(owner[got] == 0);
			owner[got] = id;
			owner[got] = 0;
			atomic { old = leaf; leaf = leaf | (1 << got) };
			assert((old & (1 << got)) == 0);
			if
			:: old == 0 -> summary = 1
			:: else -> skip
			fi
		:: else -> skip
		fi
	}
	atomic { done++ }
}

init {
	byte i;
	atomic {
		for (i : 1 .. THREADS) { run worker(i) }
	}
	done == THREADS;
	assert(leaf == FULL);
	assert(summary == 1);
}
