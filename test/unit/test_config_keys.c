/* test_config_keys.c - the table of configuration keys (common/config_keys.c)
 * and what must agree with it: the loader's errors for every key, the
 * reference in docs/CONFIG.md and the example conf/fjord.ini. Every test
 * loops over the table, so a key added there is tested without an edit
 * here. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/config.h"
#include "common/config_keys.h"
#include "common/err.h"
#include "common/ipc.h"
#include "supervisor/args.h"
#include "worker/args.h"

#include "config_alt.h"

/* The repository's root: where `make unit` runs the tests. */
static const char *src_path(const char *rel, char *out, size_t len)
{
	const char *root = getenv("FJORD_SRC_DIR");
	snprintf(out, len, "%s/%s", root && *root ? root : ".", rel);
	return out;
}

static char path[64];

static void write_ini(const char *text)
{
	snprintf(path, sizeof(path), "/tmp/fjord-test-keys-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct config *load_text(const char *text, int *rc, char *err, size_t err_len)
{
	struct config *c = NULL;
	write_ini(text);
	*rc = config_load(path, NULL, 0, &c, err, err_len);
	unlink(path);
	return c;
}

/* The file that sets k = value on line 4 (a topic key: of [topic.x]). */
static void ini_line4(const struct config_key *k, const char *value, char *out, size_t len)
{
	if (config_key_is_topic(k))
		snprintf(out, len, "[node]\nid = 1\n[topic.x]\n%s = %s\n%s\n", k->key, value,
			 strcmp(k->key, "partitions") == 0 ? "" : "partitions = 1");
	else if (strcmp(k->section, "node") == 0)
		snprintf(out, len, "[node]\n%s\n\n%s = %s\n",
			 strcmp(k->key, "id") == 0 ? "" : "id = 1", k->key, value);
	else
		snprintf(out, len, "[node]\nid = 1\n[%s]\n%s = %s\n", k->section, k->key, value);
}

START_TEST(every_default_in_the_table_parses_and_is_what_a_minimal_file_gets)
{
	int rc;
	char err[1024];
	struct config *c =
	    load_text("[node]\nid = 1\n[topic.x]\npartitions = 1\n", &rc, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	int n_defaults = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		char v[256], why[256];
		if (config_key_default(k, c, v, sizeof(v)) != 0)
			continue; /* required or derived */
		struct config scratch_c;
		struct config_topic scratch_t;
		memset(&scratch_c, 0, sizeof(scratch_c));
		memset(&scratch_t, 0, sizeof(scratch_t));
		void *scratch = config_key_is_topic(k) ? (void *)&scratch_t : (void *)&scratch_c;
		ck_assert_msg(config_key_parse(k, scratch, v, why, sizeof(why)) == 0,
			      "%s.%s: default '%s': %s", k->section, k->key, v, why);
		const void *loaded = config_key_is_topic(k) ? (const void *)&c->topics[0] : c;
		ck_assert_msg(config_key_equal(k, scratch, loaded), "%s.%s: loaded != default",
			      k->section, k->key);
		n_defaults++;
	}
	ck_assert_int_ge(n_defaults, 20);
	config_free(c);
}
END_TEST

START_TEST(every_key_formats_as_the_file_spells_it_and_parses_back)
{
	int rc;
	char err[1024];
	struct config *c =
	    load_text("[node]\nid = 1\n[topic.x]\npartitions = 1\n", &rc, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		void *base = config_key_is_topic(k) ? (void *)&c->topics[0] : (void *)c;
		char alt[CONFIG_PATH_MAX], text[2 * CONFIG_PATH_MAX], back[CONFIG_PATH_MAX];
		config_alt_value(k, base, alt, sizeof(alt));
		ck_assert_int_eq(config_key_parse(k, base, alt, NULL, 0), 0);
		ck_assert_int_eq(config_key_format(k, base, back, sizeof(back)), 0);
		ck_assert_str_eq(back, alt);
		/* And the loader reads the same spelling from a file (but a
		 * replication of 2 needs a second node). */
		if (config_key_is_topic(k) && strcmp(k->key, "replication") == 0)
			continue;
		ini_line4(k, alt, text, sizeof(text));
		struct config *d = load_text(text, &rc, err, sizeof(err));
		if (rc != 0)
			ck_abort_msg("%s.%s = %s: %s", k->section, k->key, alt, err);
		const void *dbase = config_key_is_topic(k) ? (const void *)&d->topics[0] : d;
		ck_assert_msg(config_key_equal(k, base, dbase), "%s.%s", k->section, k->key);
		config_free(d);
	}
	config_free(c);
}
END_TEST

/* A value k refuses: out of range for integers, malformed otherwise. */
static void bad_value(const struct config_key *k, char *out, size_t len)
{
	switch (k->kind) {
	case CONFIG_I32:
	case CONFIG_I64:
	case CONFIG_UNLIM:
		if (k->max < INT64_MAX)
			snprintf(out, len, "%lld", (long long)k->max + 1);
		else
			snprintf(out, len, "%lld", (long long)k->min - 1);
		return;
	case CONFIG_PATH:
		snprintf(out, len, "%s", "");
		return;
	case CONFIG_HOST:
	case CONFIG_NAME:
		snprintf(out, len, "%s", "a b");
		return;
	case CONFIG_ADDR:
		snprintf(out, len, "%s", "host:65536");
		return;
	case CONFIG_LOGLEVEL:
	case CONFIG_SYNC:
	case CONFIG_TSTYPE:
		snprintf(out, len, "%s", "sometimes");
		return;
	}
}

START_TEST(a_bad_value_of_any_key_is_refused_naming_file_line_and_key)
{
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		char bad[64], text[512], err[1024], want[512];
		bad_value(k, bad, sizeof(bad));
		ini_line4(k, bad, text, sizeof(text));
		int rc;
		struct config *c = load_text(text, &rc, err, sizeof(err));
		ck_assert_msg(rc == ERR_CONFIG && c == NULL, "%s.%s = '%s' was accepted",
			      k->section, k->key, bad);
		if (config_key_is_topic(k))
			snprintf(want, sizeof(want), "%s:4: topic.x.%s: ", path, k->key);
		else
			snprintf(want, sizeof(want), "%s:4: %s.%s: ", path, k->section, k->key);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "'%s' does not start '%s'",
			      err, want);
		/* One error, and it quotes the value (all but the empty path). */
		ck_assert_msg(strchr(err, '\n') == NULL, "more than one error: %s", err);
		if (bad[0] != '\0') {
			char quoted[80];
			snprintf(quoted, sizeof(quoted), "got '%s'", bad);
			ck_assert_msg(strstr(err, quoted) != NULL, "'%s' lacks %s", err, quoted);
		}
	}
}
END_TEST

START_TEST(an_election_timeout_under_two_heartbeats_is_refused_by_the_loader)
{
	/* A follower must hear a heartbeat before it may campaign. The worker
	 * refused this before the loader did, so such a file used to make
	 * every worker exit 2 and restart for ever. */
	int rc;
	char err[1024];
	struct config *c = load_text("[node]\nid = 1\n[raft]\nelection_timeout_ms = 150\n"
				     "heartbeat_interval_ms = 100\n",
				     &rc, err, sizeof(err));
	ck_assert_int_eq(rc, ERR_CONFIG);
	ck_assert_ptr_null(c);
	char want[256];
	snprintf(want, sizeof(want),
		 "%s:5: raft.heartbeat_interval_ms: must be at most half of "
		 "raft.election_timeout_ms (150)",
		 path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	c = load_text("[node]\nid = 1\n[raft]\nelection_timeout_ms = 200\n"
		      "heartbeat_interval_ms = 100\n",
		      &rc, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	config_free(c);
}
END_TEST

START_TEST(only_live_keys_are_taken_from_an_ipc_config_message)
{
	const char *argv[] = {
	    "fjord-worker", "--ipc-fd", "5",	     "--topic", "t", "--partition", "0",
	    "--dir",	    "/d",	"--node-id", "1",	NULL};
	struct worker_args a;
	FILE *null = fopen("/dev/null", "w");
	ck_assert_int_eq(worker_args_parse(11, (char **)argv, &a, null, null), 0);
	fclose(null);
	int n_live = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->flag == NULL)
			continue;
		void *base = config_key_is_topic(k) ? (void *)&a.topic_cfg : (void *)&a.cfg;
		char name[128], alt[CONFIG_PATH_MAX];
		snprintf(name, sizeof(name), "%s.%s", k->section, k->key);
		config_alt_value(k, base, alt, sizeof(alt));
		/* Through the wire encoding, as the supervisor sends it. */
		struct ipc_msg m = {.type = IPC_CONFIG}, d;
		m.u.config =
		    (struct ipc_config){name, (uint32_t)strlen(name), alt, (uint32_t)strlen(alt)};
		struct buf b;
		buf_init(&b);
		ck_assert_int_eq(ipc_encode(&m, &b), 0);
		ck_assert_int_eq(ipc_decode(b.data, b.len, &d), 0);
		ck_assert_int_eq(d.type, IPC_CONFIG);
		struct worker_args before = a;
		int rc = worker_args_apply_live(&a, &d.u.config);
		buf_free(&b);
		if (k->apply == CONFIG_APPLY_WORKER_LIVE) {
			ck_assert_msg(rc == 0, "%s", name);
			ck_assert_msg(!config_key_equal(k, base,
							config_key_is_topic(k)
							    ? (const void *)&before.topic_cfg
							    : (const void *)&before.cfg),
				      "%s not applied", name);
			n_live++;
		} else {
			ck_assert_msg(rc == ERR_INVALID, "%s applied live", name);
			ck_assert_msg(memcmp(&before, &a, sizeof(a)) == 0, "%s changed", name);
		}
	}
	ck_assert_int_ge(n_live, 1);
	/* A live key with a bad value keeps the old one. */
	int64_t old = a.cfg.raft.snapshot_threshold;
	struct ipc_config bad = {"raft.snapshot_threshold", 23, "0", 1};
	ck_assert_int_eq(worker_args_apply_live(&a, &bad), ERR_INVALID);
	ck_assert_int_eq(a.cfg.raft.snapshot_threshold, old);
}
END_TEST

/* --- docs/CONFIG.md ----------------------------------------------------- */

struct doc_row {
	char section[64], key[256], dflt[256], reload[256];
	int line;
};

/* The cells of a "| a | b | c | d |" line, trimmed. Returns how many. */
static int cells(const char *line, char out[][256], int max)
{
	int n = 0;
	const char *p = strchr(line, '|');
	while (p != NULL && n < max) {
		const char *q = strchr(p + 1, '|');
		if (q == NULL)
			break;
		const char *s = p + 1, *e = q;
		while (s < e && *s == ' ')
			s++;
		while (e > s && e[-1] == ' ')
			e--;
		snprintf(out[n++], 256, "%.*s", (int)(e - s), s);
		p = q;
	}
	return n;
}

/* The key tables of CONFIG.md: rows "| `key` | default | reload | ... |"
 * under each "## `[section]`" heading ([topic.NAME] counts as "topic"). */
static int read_doc_rows(struct doc_row *rows, int max)
{
	char fn[512];
	FILE *f = fopen(src_path("docs/CONFIG.md", fn, sizeof(fn)), "r");
	ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", fn);
	char line[2048], section[64] = "";
	int n = 0, lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL && lineno < 10000) {
		lineno++;
		if (strncmp(line, "## ", 3) == 0) {
			section[0] = '\0';
			if (strncmp(line, "## `[", 5) == 0) {
				const char *close = strchr(line + 5, ']');
				if (close != NULL)
					snprintf(section, sizeof(section), "%.*s",
						 (int)(close - line - 5), line + 5);
				if (strncmp(section, "topic.", 6) == 0)
					snprintf(section, sizeof(section), "%s",
						 CONFIG_TOPIC_SECTION);
			}
			continue;
		}
		if (section[0] == '\0' || strncmp(line, "| `", 3) != 0)
			continue;
		char c[6][256];
		int nc = cells(line, c, 6);
		ck_assert_msg(
		    nc >= 4, "CONFIG.md:%d: a key row needs key, default, reload, meaning", lineno);
		ck_assert_int_lt(n, max);
		struct doc_row *r = &rows[n++];
		size_t kl = strlen(c[0]);
		snprintf(r->section, sizeof(r->section), "%s", section);
		snprintf(r->key, sizeof(r->key), "%.*s", (int)(kl - 2), c[0] + 1);
		snprintf(r->dflt, sizeof(r->dflt), "%s", c[1]);
		snprintf(r->reload, sizeof(r->reload), "%s", c[2]);
		r->line = lineno;
	}
	fclose(f);
	return n;
}

START_TEST(config_md_documents_every_key_of_the_table_and_no_other)
{
	struct doc_row rows[128];
	int n = read_doc_rows(rows, 128);
	/* Every documented row is a key of the table ([cluster] node.<id> is
	 * the one key that is not: its name holds the node id). */
	for (int i = 0; i < n; i++) {
		const struct doc_row *r = &rows[i];
		if (strcmp(r->section, "cluster") == 0 && strcmp(r->key, "node.<id>") == 0)
			continue;
		const struct config_key *k = config_key_find(r->section, r->key);
		ck_assert_msg(k != NULL, "CONFIG.md:%d: [%s] %s is not a key of the table", r->line,
			      r->section, r->key);
		/* Its default column shows the table's default. */
		char want[256] = "";
		if (k->def != NULL)
			snprintf(want, sizeof(want), "`%s`", k->def);
		else if (k->inherits != NULL) {
			const char *dot = strchr(k->inherits, '.');
			snprintf(want, sizeof(want), "`[%.*s] %s`", (int)(dot - k->inherits),
				 k->inherits, dot + 1);
		}
		ck_assert_msg(strstr(r->dflt, want) != NULL,
			      "CONFIG.md:%d: %s.%s: default column '%s' lacks %s", r->line,
			      r->section, r->key, r->dflt, want);
		ck_assert_msg(strcmp(r->reload, config_apply_doc(k->apply)) == 0,
			      "CONFIG.md:%d: %s.%s: reload column '%s', the table says '%s'",
			      r->line, r->section, r->key, r->reload, config_apply_doc(k->apply));
	}
	/* Every key of the table is documented exactly once. */
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		int seen = 0;
		for (int j = 0; j < n; j++)
			seen += strcmp(rows[j].section, k->section) == 0 &&
				strcmp(rows[j].key, k->key) == 0;
		ck_assert_msg(seen == 1, "%s.%s is documented %d times in CONFIG.md", k->section,
			      k->key, seen);
	}
}
END_TEST

START_TEST(supervisor_override_flags_are_the_tables_and_documented)
{
	/* CONFIG.md's "Command-line overrides": | `--flag VALUE` | `[section] key` | */
	char fn[512], line[1024];
	FILE *f = fopen(src_path("docs/CONFIG.md", fn, sizeof(fn)), "r");
	ck_assert_msg(f != NULL, "cannot open %s", fn);
	bool in = false;
	int n_rows = 0, lineno = 0;
	while (fgets(line, sizeof(line), f) != NULL && lineno < 10000) {
		lineno++;
		if (strncmp(line, "## ", 3) == 0)
			in = strncmp(line, "## Command-line overrides", 25) == 0;
		if (!in || strncmp(line, "| `--", 5) != 0)
			continue;
		char c[4][256];
		ck_assert_int_ge(cells(line, c, 4), 2);
		char flag[64], section[64], key[64];
		ck_assert_int_eq(sscanf(c[0], "`%63[^ `]", flag), 1);
		ck_assert_int_eq(sscanf(c[1], "`[%63[^]]] %63[^`]`", section, key), 2);
		const struct config_key *k = config_key_find_override(flag);
		ck_assert_msg(k != NULL, "CONFIG.md:%d: %s is not an override of the table", lineno,
			      flag);
		ck_assert_msg(strcmp(k->section, section) == 0 && strcmp(k->key, key) == 0,
			      "CONFIG.md:%d: %s overrides %s.%s, not [%s] %s", lineno, flag,
			      k->section, k->key, section, key);
		n_rows++;
	}
	fclose(f);
	/* And every override of the table is documented there and parsed. */
	int n_ov = 0;
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (k->override == NULL)
			continue;
		n_ov++;
		char *argv[] = {"fjord-supervisor", "-c", "x.ini", (char *)k->override, "v", NULL};
		struct args a;
		char err[256];
		ck_assert_int_eq(args_parse(5, argv, &a, err, sizeof(err)), 0);
		ck_assert_int_eq(a.n_ov, 1);
		ck_assert_str_eq(a.ov[0].section, k->section);
		ck_assert_str_eq(a.ov[0].key, k->key);
		ck_assert_str_eq(a.ov[0].value, "v");
	}
	ck_assert_int_eq(n_rows, n_ov);
	ck_assert_int_ge(n_ov, 6);
}
END_TEST

START_TEST(fjord_ini_lists_every_global_key_with_its_default)
{
	char fn[512];
	FILE *f = fopen(src_path("conf/fjord.ini", fn, sizeof(fn)), "r");
	ck_assert_msg(f != NULL, "cannot open %s", fn);
	char text[16384];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	for (int i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		if (config_key_is_topic(k))
			continue;
		char header[80];
		snprintf(header, sizeof(header), "\n[%s]\n", k->section);
		const char *sec = strstr(text, header);
		ck_assert_msg(sec != NULL, "fjord.ini has no [%s]", k->section);
		const char *end = strstr(sec + 1, "\n[");
		char set[160], commented[160];
		snprintf(set, sizeof(set), "\n%s = ", k->key);
		snprintf(commented, sizeof(commented), "\n;%s = ", k->key);
		const char *at = strstr(sec, set);
		const char *cat = strstr(sec, commented);
		bool in_set = at != NULL && (end == NULL || at < end);
		bool in_com = cat != NULL && (end == NULL || cat < end);
		ck_assert_msg(in_set || in_com, "fjord.ini: [%s] does not list %s", k->section,
			      k->key);
		if (in_set && k->def != NULL) {
			char want[160];
			snprintf(want, sizeof(want), "\n%s = %s\n", k->key, k->def);
			ck_assert_msg(strncmp(at, want, strlen(want)) == 0,
				      "fjord.ini: %s.%s is not set to its default %s", k->section,
				      k->key, k->def);
		}
	}
}
END_TEST

static Suite *config_keys_suite(void)
{
	Suite *s = suite_create("config_keys");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, every_default_in_the_table_parses_and_is_what_a_minimal_file_gets);
	tcase_add_test(tc, every_key_formats_as_the_file_spells_it_and_parses_back);
	tcase_add_test(tc, a_bad_value_of_any_key_is_refused_naming_file_line_and_key);
	tcase_add_test(tc, an_election_timeout_under_two_heartbeats_is_refused_by_the_loader);
	tcase_add_test(tc, only_live_keys_are_taken_from_an_ipc_config_message);
	tcase_add_test(tc, config_md_documents_every_key_of_the_table_and_no_other);
	tcase_add_test(tc, fjord_ini_lists_every_global_key_with_its_default);
	tcase_add_test(tc, supervisor_override_flags_are_the_tables_and_documented);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(config_keys_suite)
