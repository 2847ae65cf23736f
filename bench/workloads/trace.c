/* trace.c - the trace parser (see trace.h). No libc: it runs on bare metal. */
#include "trace.h"

/* id states while checking: 0 never seen, 10 + zone live, 2 freed (or sys) */
static uint8_t trace_state[TRACE_MAX_IDS];

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	return p;
}

static const char *parse_u64(const char *p, const char *end, uint64_t *v, int *ok)
{
	uint64_t r = 0;
	const char *s = p;

	while (p < end && *p >= '0' && *p <= '9') {
		uint64_t d = (uint64_t)(*p - '0');

		if (r > (UINT64_MAX - d) / 10) {
			*ok = 0;
			return p;
		}
		r = r * 10 + d;
		p++;
	}
	if (p == s || (p < end && !is_blank(*p) && *p != '\n' && *p != '#'))
		*ok = 0;
	*v = r;
	return p;
}

static const char *parse_word(const char *p, const char *end, char *w, unsigned size)
{
	unsigned n = 0;

	while (p < end && !is_blank(*p) && *p != '\n' && *p != '#') {
		if (n < size - 1)
			w[n++] = *p;
		p++;
	}
	w[n] = 0;
	return p;
}

static int word_is(const char *w, const char *s)
{
	while (*w && *w == *s) {
		w++;
		s++;
	}
	return *w == *s;
}

int trace_parse(const char *text, size_t len, struct trace_op *ops, size_t max, struct trace *out,
		unsigned *err_line)
{
	const char *p = text, *end = text + len;
	unsigned line = 0;
	uint64_t last_time = 0;
	size_t n = 0;

	out->ops = ops;
	out->count = 0;
	out->cores = 0;
	out->max_id = 0;
	for (unsigned i = 0; i < TRACE_MAX_IDS; i++)
		trace_state[i] = 0;
	while (p < end) {
		uint64_t t, core, size, id;
		char op[8], zone[16];
		int ok = 1;
		struct trace_op *o;

		line++;
		*err_line = line;
		p = skip_blanks(p, end);
		if (p == end)
			break;
		if (*p == '\n' || *p == '#') {
			while (p < end && *p != '\n')
				p++;
			if (p < end)
				p++;
			continue;
		}
		p = skip_blanks(parse_u64(p, end, &t, &ok), end);
		p = skip_blanks(parse_u64(p, end, &core, &ok), end);
		p = skip_blanks(parse_word(p, end, op, sizeof(op)), end);
		p = skip_blanks(parse_word(p, end, zone, sizeof(zone)), end);
		p = skip_blanks(parse_u64(p, end, &size, &ok), end);
		p = skip_blanks(parse_u64(p, end, &id, &ok), end);
		if (p < end && *p == '#')
			while (p < end && *p != '\n')
				p++;
		if (p < end && *p != '\n')
			return -1; /* trailing garbage */
		if (p < end)
			p++;
		if (!ok)
			return -1;
		if (n >= max)
			return -2;
		if (t < last_time || core >= TRACE_MAX_CORES || id >= TRACE_MAX_IDS ||
		    size > UINT32_MAX)
			return -3;
		last_time = t;
		o = &ops[n];
		o->time = t;
		o->core = (uint8_t)core;
		o->size = (uint32_t)size;
		o->id = (uint32_t)id;
		if (word_is(op, "a"))
			o->is_free = 0;
		else if (word_is(op, "f"))
			o->is_free = 1;
		else
			return -1;
		if (word_is(zone, "sys"))
			o->zone = 0;
		else if (word_is(zone, "runtime"))
			o->zone = 1;
		else if (word_is(zone, "buffer"))
			o->zone = 2;
		else
			return -1;
		if (!o->is_free) {
			if (trace_state[id] != 0 || size == 0)
				return -4; /* allocated twice, or of size 0 */
			trace_state[id] = o->zone == 0 ? 2 : (uint8_t)(10 + o->zone);
		} else {
			if (o->zone == 0 || trace_state[id] != 10 + o->zone)
				return -5; /* sys free, free before alloc, double free, zone
					      mismatch */
			trace_state[id] = 2;
		}
		if (core + 1 > out->cores)
			out->cores = (unsigned)core + 1;
		if (id + 1 > out->max_id)
			out->max_id = (uint32_t)id + 1;
		n++;
	}
	for (uint32_t i = 0; i < out->max_id; i++)
		if (trace_state[i] >= 10) {
			*err_line = line;
			return -6; /* left live at the end */
		}
	out->count = n;
	*err_line = 0;
	return n ? 0 : -7;
}
