/* test_trace.c - the trace parser: good traces, each kind of bad line, and
 * the two example traces shipped in results/traces/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "trace.h"

static struct trace_op ops[200000];

static int parse(const char *text, struct trace *t, unsigned *line)
{
	return trace_parse(text, strlen(text), ops, sizeof(ops) / sizeof(ops[0]), t, line);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len + 1);
	if (buf && fread(buf, 1, *len, f) != *len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int main(void)
{
	struct trace t;
	unsigned line;

	CHECK_EQ(parse("# a comment\n"
		       "0 0 a sys 128 1\n"
		       "\n"
		       "5 1 a runtime 64 2   # trailing comment\n"
		       "5 0 a buffer 4096 3\n"
		       "9 0 f runtime 0 2\n"
		       "12\t1\tf\tbuffer\t0\t3",
		       &t, &line),
		 0);
	CHECK_EQ(t.count, 5);
	CHECK_EQ(t.cores, 2);
	CHECK_EQ(t.max_id, 4);
	CHECK_EQ(ops[0].zone, 0);
	CHECK_EQ(ops[0].size, 128);
	CHECK_EQ(ops[1].core, 1);
	CHECK_EQ(ops[1].zone, 1);
	CHECK_EQ(ops[2].zone, 2);
	CHECK_EQ(ops[2].size, 4096);
	CHECK_EQ(ops[3].is_free, 1);
	CHECK_EQ(ops[3].id, 2);
	CHECK_EQ(ops[4].time, 12);
	CHECK_EQ(ops[4].core, 1);

	/* each error, and the line it is on */
	CHECK_EQ(parse("0 0 a sys 16 1\n1 0 x sys 16 2\n", &t, &line), -1);
	CHECK_EQ(line, 2);
	CHECK_EQ(parse("0 0 a heap 16 1\n", &t, &line), -1);
	CHECK_EQ(parse("0 0 a sys 16\n", &t, &line), -1);
	CHECK_EQ(parse("0 0 a sys 16 1 junk\n", &t, &line), -1);
	CHECK_EQ(parse("0 0 a sys 1x6 1\n", &t, &line), -1);
	CHECK_EQ(parse("5 0 a sys 16 1\n4 0 a sys 16 2\n", &t, &line), -3);
	CHECK_EQ(line, 2);
	CHECK_EQ(parse("0 9 a sys 16 1\n", &t, &line), -3);
	CHECK_EQ(parse("0 0 a runtime 16 1\n1 0 a runtime 16 1\n", &t, &line), -4);
	CHECK_EQ(parse("0 0 a runtime 0 1\n", &t, &line), -4);
	CHECK_EQ(parse("0 0 f runtime 0 1\n", &t, &line), -5);
	CHECK_EQ(parse("0 0 a sys 16 1\n1 0 f sys 0 1\n", &t, &line), -5);
	CHECK_EQ(parse("0 0 a runtime 16 1\n1 0 f buffer 0 1\n", &t, &line), -5);
	CHECK_EQ(parse("0 0 a runtime 16 1\n1 0 f runtime 0 1\n2 0 f runtime 0 1\n", &t, &line),
		 -5);
	CHECK_EQ(line, 3);
	CHECK_EQ(parse("0 0 a runtime 16 1\n", &t, &line), -6);
	CHECK_EQ(parse("# nothing\n", &t, &line), -7);
	CHECK_EQ(trace_parse("0 0 a sys 16 1\n1 0 a sys 16 2\n", 30, ops, 1, &t, &line), -2);

	/* the shipped traces parse and use the cores they say */
	{
		static const char *const names[] = {"sof-pipelines-2core", "kpb-handoff-4core"};
		static const unsigned cores[] = {2, 4};

		for (unsigned i = 0; i < 2; i++) {
			char path[512];
			size_t len = 0;
			char *text;

			snprintf(path, sizeof(path), "%s/%s.trace", BENCH_TRACE_DIR, names[i]);
			text = slurp(path, &len);
			CHECK(text != NULL);
			if (!text)
				continue;
			CHECK_EQ(
			    trace_parse(text, len, ops, sizeof(ops) / sizeof(ops[0]), &t, &line),
			    0);
			CHECK_EQ(t.cores, cores[i]);
			CHECK(t.count >= 1000);
			free(text);
		}
	}
	return check_report("bench_trace");
}
