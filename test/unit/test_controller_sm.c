/* test_controller_sm.c - the catalog as a state machine over the LMDB
 * store: applied commands survive a reopen through save, a snapshot
 * compacts the log and keeps the catalog at its start, and a follower
 * installs a leader's start state. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/catalog.h"
#include "common/kafka/kerr.h"
#include "testdir.h"
#include "worker/controller_sm.h"
#include "worker/store.h"

static char *dir;
static struct store *st;
static struct controller_sm cs;
static struct sm m;
static uint64_t last_cb_index;
static int16_t last_cb_error;

static void on_applied(void *ctx, uint64_t index, const struct catalog_result *res)
{
	last_cb_index = index;
	last_cb_error = res->error;
}

static void open_all(void)
{
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir, &o, &st), 0);
	ck_assert_int_eq(controller_sm_open(&cs, st, on_applied, NULL), 0);
	m = controller_sm_sm(&cs);
}

static void close_all(void)
{
	controller_sm_close(&cs);
	store_close(st);
}

static void setup(void)
{
	dir = testdir_new("controller_sm");
	ck_assert_ptr_nonnull(dir);
	open_all();
}

static void teardown(void)
{
	close_all();
	testdir_free(dir);
}

/* Stores cmd as entry `index` of term 1, commits it and applies it, as the
 * driver would (append and save in one transaction, apply after). */
static void commit_apply(uint64_t index, const struct buf *cmd)
{
	struct store_entry e = {.index = index,
				.term = 1,
				.kind = STORE_KIND_DATA,
				.base_offset = -1,
				.data = cmd->data,
				.len = cmd->len};
	ck_assert_int_eq(store_txn_begin(st), 0);
	ck_assert_int_eq(store_append(st, &e, 1), 0);
	ck_assert_int_eq(m.ops->save(m.ctx), 0);
	ck_assert_int_eq(store_txn_commit(st), 0);
	struct sm_entry se = {index, 1, STORE_KIND_DATA, cmd->data, cmd->len};
	ck_assert_int_eq(m.ops->apply(m.ctx, &se), 0);
}

static void flush_save(void)
{
	ck_assert_int_eq(store_txn_begin(st), 0);
	ck_assert_int_eq(m.ops->save(m.ctx), 0);
	ck_assert_int_eq(store_txn_commit(st), 0);
}

static void add_node_and_topic(void)
{
	struct buf b;
	buf_init(&b);
	struct catalog_node nd = {.id = 1, .kafka = "h:1", .raft = "h:2"};
	catalog_cmd_register_node(&nd, &b);
	commit_apply(1, &b);
	buf_reset(&b);
	struct catalog_topic_spec t = {.name = "t", .partitions = 3, .replication = 1};
	memset(t.id, 5, 16);
	catalog_cmd_create_topic(&t, false, &b);
	commit_apply(2, &b);
	buf_free(&b);
}

START_TEST(applied_commands_survive_a_reopen)
{
	add_node_and_topic();
	ck_assert_uint_eq(last_cb_index, 2);
	ck_assert_int_eq(last_cb_error, KERR_NONE);
	ck_assert_uint_eq(m.ops->applied(m.ctx), 2);
	flush_save();
	close_all();
	open_all();
	ck_assert_uint_eq(m.ops->applied(m.ctx), 2);
	const struct catalog_topic *t = catalog_find(&cs.cat, "t", 1);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(t->partitions, 3);
	ck_assert_int_eq(cs.cat.n_nodes, 1);
}
END_TEST

START_TEST(a_refused_command_still_moves_the_version)
{
	add_node_and_topic();
	struct buf b;
	buf_init(&b);
	struct catalog_topic_spec t = {.name = "t", .partitions = 3, .replication = 1};
	memset(t.id, 6, 16);
	catalog_cmd_create_topic(&t, false, &b);
	commit_apply(3, &b);
	buf_free(&b);
	ck_assert_int_eq(last_cb_error, KERR_TOPIC_ALREADY_EXISTS);
	ck_assert_uint_eq(m.ops->applied(m.ctx), 3);
}
END_TEST

START_TEST(snapshot_compacts_and_a_follower_installs_the_start_state)
{
	add_node_and_topic();
	flush_save();
	ck_assert_int_eq(store_txn_begin(st), 0);
	ck_assert_int_eq(m.ops->snapshot(m.ctx), 0);
	ck_assert_int_eq(store_txn_commit(st), 0);
	struct store_log_start ls;
	store_log_start(st, &ls);
	ck_assert_uint_eq(ls.index, 2);
	const uint8_t *data;
	size_t len;
	m.ops->start_state(m.ctx, &data, &len);
	struct buf copy;
	buf_init(&copy);
	buf_put(&copy, data, len);

	/* A second, empty replica takes it. */
	char *dir2 = testdir_new("controller_sm2");
	struct store *st2;
	struct store_options o = {.map_size = 64u << 20, .sync = false};
	ck_assert_int_eq(store_open(dir2, &o, &st2), 0);
	struct controller_sm cs2;
	ck_assert_int_eq(controller_sm_open(&cs2, st2, on_applied, NULL), 0);
	struct sm m2 = controller_sm_sm(&cs2);
	ck_assert_int_eq(store_txn_begin(st2), 0);
	ck_assert_int_eq(m2.ops->install_store(m2.ctx, 2, 1, copy.data, copy.len), 0);
	ck_assert_int_eq(store_txn_commit(st2), 0);
	m2.ops->install(m2.ctx, 2, copy.data, copy.len);
	ck_assert_uint_eq(m2.ops->applied(m2.ctx), 2);
	ck_assert_ptr_nonnull(catalog_find(&cs2.cat, "t", 1));
	controller_sm_close(&cs2);
	store_close(st2);
	/* And after a reopen. */
	ck_assert_int_eq(store_open(dir2, &o, &st2), 0);
	ck_assert_int_eq(controller_sm_open(&cs2, st2, on_applied, NULL), 0);
	ck_assert_uint_eq(cs2.cat.version, 2);
	ck_assert_ptr_nonnull(catalog_find(&cs2.cat, "t", 1));
	controller_sm_close(&cs2);
	store_close(st2);
	testdir_free(dir2);
	buf_free(&copy);
}
END_TEST

Suite *controller_sm_suite(void)
{
	Suite *s = suite_create("controller_sm");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, applied_commands_survive_a_reopen);
	tcase_add_test(tc, a_refused_command_still_moves_the_version);
	tcase_add_test(tc, snapshot_compacts_and_a_follower_installs_the_start_state);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(controller_sm_suite)
