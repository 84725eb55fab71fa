/* test_dialer.c - the shared dialer (common/dialer.h) and its backoff
 * (common/retry.h): the jittered delay sequence, a hello that is
 * acknowledged, refused, answered by the wrong node or never answered, a
 * retry hurried past its backoff, a connect whose SYN was dropped started
 * again when hurried, a refused connection, a name from a hosts file with two addresses
 * (the first refusing), a name that does not resolve (logged, retried), and a lookup whose server
 * never answers leaving the event loop running. The peer is this test on loopback; the DNS server
 * is a UDP socket of this test. */
#include <arpa/inet.h>
#include <check.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "common/buf.h"
#include "common/dialer.h"
#include "common/hello.h"
#include "common/log.h"
#include "common/retry.h"

static struct event_base *base;
static int lfd = -1; /* the peer's raft_listen */
static struct event *accept_ev;
static enum { ANSWER_ACK, ANSWER_ACK_NODE_9, ANSWER_REJECT, ANSWER_NOTHING } answer;
static int n_hellos;
static struct hello last_hello;
static int held[16]; /* accepted sockets left unanswered */
static int n_held;

static int n_connected, n_failed;
static enum dialer_failure last_kind;
static char last_why[160];
static struct bufferevent *got_bev;

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_connected(void *ctx, struct bufferevent *bev)
{
	n_connected++;
	got_bev = bev;
}

static void on_failed(void *ctx, enum dialer_failure kind, const char *why)
{
	n_failed++;
	last_kind = kind;
	snprintf(last_why, sizeof(last_why), "%s", why);
}

static void send_reply(int fd, const struct buf *b)
{
	uint8_t h[4];
	be32_store(h, (uint32_t)b->len);
	ck_assert_int_eq(write(fd, h, 4), 4);
	ck_assert_int_eq(write(fd, b->data, b->len), (ssize_t)b->len);
}

static void hello_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = *(struct event **)arg;
	free(arg);
	event_free(self);
	uint8_t b[HELLO_FRAME_MAX + 4];
	ssize_t n = recv(fd, b, sizeof(b), 0);
	if (n < 4 || (size_t)n != 4 + be32_load(b) ||
	    hello_decode(b + 4, (size_t)n - 4, &last_hello) != 0) {
		close(fd);
		return;
	}
	n_hellos++;
	struct buf r;
	buf_init(&r);
	if (answer == ANSWER_NOTHING) {
		ck_assert_int_lt(n_held, 16);
		held[n_held++] = fd;
		return;
	}
	if (answer == ANSWER_REJECT)
		ck_assert_int_eq(hello_reject_encode("worker restarting", &r), 0);
	else
		ck_assert_int_eq(hello_ack_encode(answer == ANSWER_ACK ? 2 : 9, &r), 0);
	send_reply(fd, &r);
	buf_free(&r);
	close(fd);
}

static void accept_cb(evutil_socket_t fd, short what, void *arg)
{
	int c = accept(fd, NULL, NULL);
	if (c < 0)
		return;
	struct event **slot = malloc(sizeof(*slot));
	*slot = event_new(base, c, EV_READ, hello_cb, slot);
	event_add(*slot, NULL);
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	return ntohs(sa.sin_port);
}

static void setup(void)
{
	log_set_level(LOG_INFO);
	base = event_base_new();
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 16), 0);
	accept_ev = event_new(base, lfd, EV_READ | EV_PERSIST, accept_cb, NULL);
	event_add(accept_ev, NULL);
	answer = ANSWER_ACK;
	n_hellos = n_held = n_connected = n_failed = 0;
	last_kind = 0;
	last_why[0] = '\0';
	got_bev = NULL;
}

static void teardown(void)
{
	if (got_bev != NULL)
		bufferevent_free(got_bev);
	for (int i = 0; i < n_held; i++)
		close(held[i]);
	event_free(accept_ev);
	close(lfd);
	event_base_free(base);
}

static bool run_until(bool (*cond)(void), int ms)
{
	int64_t deadline = mono_ms() + ms;
	while (!cond() && mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return cond();
}

static void run_for(int ms)
{
	int64_t deadline = mono_ms() + ms;
	while (mono_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

static struct hello our_hello(void)
{
	struct hello h = {.from_node = 1};
	snprintf(h.cluster, sizeof(h.cluster), "c");
	snprintf(h.group, sizeof(h.group), "t/0");
	return h;
}

static struct dialer *new_dialer(struct evdns_base *dns, const char *host, uint16_t port,
				 int handshake_ms)
{
	struct hello h = our_hello();
	struct dialer_config c = {.name = "test peer 2",
				  .host = host,
				  .port = port,
				  .hello = &h,
				  .expect_node = 2,
				  .handshake_ms = handshake_ms,
				  .resolve_ms = 400,
				  .backoff_min_ms = 50,
				  .backoff_max_ms = 100,
				  .user_timeout_ms = 3000,
				  .seed = 7};
	struct dialer *d = dialer_new(base, dns, &c, on_connected, on_failed, NULL);
	ck_assert_ptr_nonnull(d);
	return d;
}

static bool connected(void) { return n_connected > 0; }
static bool failed_once(void) { return n_failed >= 1; }
static bool failed_twice(void) { return n_failed >= 2; }

/* stderr goes to a file while a test step runs, to check what it logs. */
static int saved_stderr = -1;
static FILE *log_file;

static void capture_log(void)
{
	fflush(stderr);
	log_file = tmpfile();
	ck_assert_ptr_nonnull(log_file);
	saved_stderr = dup(2);
	dup2(fileno(log_file), 2);
}

static void logged(char *out, size_t out_len)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	rewind(log_file);
	size_t n = fread(out, 1, out_len - 1, log_file);
	out[n] = '\0';
	fclose(log_file);
}

START_TEST(retry_delays_double_from_min_to_max_with_jitter_in_the_upper_half)
{
	struct retry b;
	retry_init(&b, 100, 2000, 42);
	const int bound[] = {100, 200, 400, 800, 1600, 2000, 2000, 2000};
	int first[8];
	for (int i = 0; i < 8; i++) {
		first[i] = retry_next(&b);
		ck_assert_int_ge(first[i], bound[i] / 2);
		ck_assert_int_le(first[i], bound[i]);
	}
	/* A success starts over at the minimum. */
	retry_reset(&b);
	int d = retry_next(&b);
	ck_assert(d >= 50 && d <= 100);
	/* Same seed, same sequence; over many draws the jitter spreads
	 * across the whole range and never leaves it. */
	retry_init(&b, 100, 2000, 42);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(retry_next(&b), first[i]);
	int lo = 2000, hi = 0;
	for (int i = 0; i < 1000; i++) {
		int x = retry_next(&b);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	ck_assert_int_ge(lo, 1000);
	ck_assert_int_lt(lo, 1100);
	ck_assert_int_le(hi, 2000);
	ck_assert_int_gt(hi, 1900);
}
END_TEST

START_TEST(an_acknowledged_hello_hands_over_the_connection)
{
	struct dialer *d = new_dialer(NULL, "127.0.0.1", port_of(lfd), 2000);
	ck_assert(!dialer_busy(d));
	dialer_start(d);
	ck_assert(dialer_busy(d));
	ck_assert_int_eq(n_hellos, 0); /* nothing happens inside the call */
	ck_assert(run_until(connected, 3000));
	ck_assert_int_eq(n_failed, 0);
	ck_assert_int_eq(n_hellos, 1);
	ck_assert_str_eq(last_hello.cluster, "c");
	ck_assert_int_eq(last_hello.from_node, 1);
	ck_assert_str_eq(last_hello.group, "t/0");
	ck_assert_ptr_nonnull(got_bev);
	ck_assert(!dialer_busy(d));
	/* The owner lost it: a redial comes after the first backoff delay. */
	bufferevent_free(got_bev);
	got_bev = NULL;
	dialer_redial(d);
	ck_assert(dialer_busy(d));
	ck_assert_int_le(dialer_last_delay_ms(d), 50);
	int64_t t0 = mono_ms();
	while (n_connected < 2 && mono_ms() - t0 < 3000)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_int_eq(n_failed, 0);
	ck_assert_int_eq(n_connected, 2);
	ck_assert_int_eq(n_hellos, 2);
	dialer_free(d);
}
END_TEST

START_TEST(a_refused_hello_is_retried_with_backoff_and_logged_once)
{
	answer = ANSWER_REJECT;
	struct dialer *d = new_dialer(NULL, "127.0.0.1", port_of(lfd), 2000);
	capture_log();
	dialer_start(d);
	bool ok = run_until(failed_twice, 3000);
	char text[4096];
	logged(text, sizeof(text));
	ck_assert(ok);
	ck_assert_int_eq(last_kind, DIALER_REJECTED);
	ck_assert_str_eq(last_why, "refused our hello: worker restarting");
	/* The first failure of a kind at info, its repeats at debug only. */
	char *first = strstr(text, "test peer 2 (127.0.0.1:");
	ck_assert_msg(first != NULL, "log was: %s", text);
	ck_assert_ptr_nonnull(strstr(first, "refused our hello: worker restarting; retrying in"));
	ck_assert_ptr_null(strstr(first + 1, "test peer 2 (127.0.0.1:"));
	answer = ANSWER_ACK;
	ck_assert(run_until(connected, 3000));
	ck_assert_int_ge(n_hellos, 3);
	dialer_free(d);
}
END_TEST

START_TEST(an_ack_from_another_node_is_a_failure)
{
	answer = ANSWER_ACK_NODE_9;
	struct dialer *d = new_dialer(NULL, "127.0.0.1", port_of(lfd), 2000);
	dialer_start(d);
	ck_assert(run_until(failed_once, 3000));
	ck_assert_int_eq(last_kind, DIALER_PROTOCOL);
	ck_assert_str_eq(last_why, "answered as node 9");
	ck_assert_int_eq(n_connected, 0);
	dialer_free(d);
}
END_TEST

START_TEST(a_hello_without_answer_times_out_and_is_retried)
{
	answer = ANSWER_NOTHING;
	struct dialer *d = new_dialer(NULL, "127.0.0.1", port_of(lfd), 300);
	int64_t t0 = mono_ms();
	dialer_start(d);
	ck_assert(run_until(failed_once, 3000));
	int64_t took = mono_ms() - t0;
	ck_assert_int_eq(last_kind, DIALER_TIMEOUT);
	ck_assert_str_eq(last_why, "no answer to our hello within 300 ms");
	ck_assert_int_eq(n_hellos, 1);
	ck_assert_int_ge(took, 290);
	ck_assert_int_lt(took, 1500);
	/* The next attempt comes after the backoff (50..100 ms) and times
	 * out the same way. */
	ck_assert(run_until(failed_twice, 3000));
	ck_assert_int_eq(n_hellos, 2);
	ck_assert_int_eq(n_connected, 0);
	dialer_free(d);
}
END_TEST

START_TEST(a_hurried_dialer_skips_its_backoff)
{
	answer = ANSWER_REJECT;
	struct hello h = our_hello();
	struct dialer_config c = {.name = "test peer 2",
				  .host = "127.0.0.1",
				  .port = port_of(lfd),
				  .hello = &h,
				  .expect_node = 2,
				  .handshake_ms = 2000,
				  .backoff_min_ms = 4000,
				  .backoff_max_ms = 4000,
				  .seed = 7};
	struct dialer *d = dialer_new(base, NULL, &c, on_connected, on_failed, NULL);
	ck_assert_ptr_nonnull(d);
	dialer_hurry(d); /* idle, never started: nothing to hurry */
	run_for(100);
	ck_assert_int_eq(n_hellos, 0);
	dialer_start(d);
	ck_assert(run_until(failed_once, 3000));
	ck_assert_int_ge(dialer_last_delay_ms(d), 2000); /* the next try is seconds away */
	answer = ANSWER_ACK;
	/* The peer reached us (its own connection came in): try now. */
	int64_t t0 = mono_ms();
	dialer_hurry(d);
	ck_assert_int_eq(n_hellos, 1); /* nothing happens inside the call */
	ck_assert(run_until(connected, 1500));
	ck_assert_int_lt(mono_ms() - t0, 1000);
	ck_assert_int_eq(n_hellos, 2);
	/* A handed-over connection is left alone. */
	dialer_hurry(d);
	run_for(100);
	ck_assert_int_eq(n_hellos, 2);
	ck_assert(!dialer_busy(d));
	dialer_free(d);
}
END_TEST

/* A connect whose SYN was dropped (here: the peer's accept queue was full;
 * in a network cut, the cut) is retried by the kernel only a second later.
 * Hurried after DIALER_HURRY_STALE_MS, the dialer connects again at once. */
START_TEST(a_hurried_dialer_restarts_a_connect_left_unanswered)
{
	int l2 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(l2, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l2, 0), 0);
	/* One connection fills a backlog of 0; the next SYN is dropped. */
	int blocker = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons(port_of(l2));
	ck_assert_int_eq(connect(blocker, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct dialer *d = new_dialer(NULL, "127.0.0.1", port_of(l2), 3000);
	dialer_start(d);
	run_for(DIALER_HURRY_STALE_MS + 100);
	ck_assert_int_eq(n_connected + n_failed, 0); /* still connecting */
	/* The queue drains; the peer answers hellos from now on. */
	int queued = accept(l2, NULL, NULL);
	ck_assert_int_ge(queued, 0);
	struct event *ev = event_new(base, l2, EV_READ | EV_PERSIST, accept_cb, NULL);
	event_add(ev, NULL);
	int64_t t0 = mono_ms();
	dialer_hurry(d);
	ck_assert(run_until(connected, 3000));
	/* The kernel's own SYN retry comes 1 s after the first SYN, about
	 * 700 ms from here. */
	ck_assert_int_lt(mono_ms() - t0, 400);
	ck_assert_int_eq(n_failed, 0);
	dialer_free(d);
	event_free(ev);
	close(queued);
	close(blocker);
	close(l2);
}
END_TEST

START_TEST(a_refused_connection_says_so)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint16_t port = port_of(fd); /* bound, not listening: refused */
	struct dialer *d = new_dialer(NULL, "127.0.0.1", port, 2000);
	dialer_start(d);
	ck_assert(run_until(failed_once, 3000));
	ck_assert_int_eq(last_kind, DIALER_REFUSED);
	ck_assert_ptr_nonnull(strstr(last_why, "refused"));
	dialer_free(d);
	close(fd);
}
END_TEST

START_TEST(numeric_hosts_need_no_resolver_and_names_do)
{
	ck_assert(dialer_host_is_numeric("10.1.2.3"));
	ck_assert(dialer_host_is_numeric("::1"));
	ck_assert(!dialer_host_is_numeric("node2.example"));
	ck_assert(!dialer_host_is_numeric("[::1]"));
	struct dialer *d = new_dialer(NULL, "node2.example", port_of(lfd), 2000);
	dialer_start(d);
	ck_assert(run_until(failed_once, 3000));
	ck_assert_int_eq(last_kind, DIALER_RESOLVE);
	ck_assert_int_eq(n_hellos, 0);
	dialer_free(d);
}
END_TEST

START_TEST(a_name_from_the_hosts_file_is_dialled_at_each_of_its_addresses_in_turn)
{
	char path[] = "/tmp/fjord-test-hosts-XXXXXX";
	int fd = mkstemp(path);
	/* Nothing listens on the first address: the second is tried at once,
	 * within the same attempt. */
	const char *text = "127.0.0.2 node2.fjord.test\n127.0.0.1 node2.fjord.test\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	struct evdns_base *dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	ck_assert_int_eq(evdns_base_load_hosts(dns, path), 0);
	unlink(path);
	struct dialer *d = new_dialer(dns, "node2.fjord.test", port_of(lfd), 2000);
	dialer_start(d);
	ck_assert(run_until(connected, 3000));
	ck_assert_int_eq(n_failed, 0);
	ck_assert_int_eq(n_hellos, 1);
	dialer_free(d);
	evdns_base_free(dns, 0);
}
END_TEST

/* A DNS server on loopback UDP: answers every query NXDOMAIN, or never. */
static int dns_fd = -1;
static bool dns_silent;
static int n_queries;

static void dns_cb(evutil_socket_t fd, short what, void *arg)
{
	uint8_t q[512];
	struct sockaddr_storage from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &len);
	if (n < 12)
		return;
	n_queries++;
	if (dns_silent)
		return;
	q[2] |= 0x80;		  /* a response */
	q[3] = (q[3] & 0xf0) | 3; /* NXDOMAIN */
	sendto(fd, q, (size_t)n, 0, (struct sockaddr *)&from, len);
}

static struct evdns_base *fake_dns(struct event **ev)
{
	dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(bind(dns_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*ev = event_new(base, dns_fd, EV_READ | EV_PERSIST, dns_cb, NULL);
	event_add(*ev, NULL);
	struct evdns_base *dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	char addr[64];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", (unsigned)port_of(dns_fd));
	ck_assert_int_eq(evdns_base_nameserver_ip_add(dns, addr), 0);
	n_queries = 0;
	return dns;
}

START_TEST(a_name_that_does_not_resolve_is_logged_and_retried)
{
	struct event *ev;
	dns_silent = false;
	struct evdns_base *dns = fake_dns(&ev);
	struct dialer *d = new_dialer(dns, "nosuch.fjord.test", port_of(lfd), 2000);
	capture_log();
	dialer_start(d);
	bool ok = run_until(failed_twice, 3000);
	char text[4096];
	logged(text, sizeof(text));
	ck_assert(ok);
	ck_assert_int_eq(last_kind, DIALER_RESOLVE);
	ck_assert_ptr_nonnull(strstr(last_why, "cannot resolve"));
	ck_assert_msg(strstr(text, "test peer 2 (nosuch.fjord.test:") != NULL &&
			  strstr(text, "cannot resolve") != NULL,
		      "log was: %s", text);
	ck_assert_int_ge(n_queries, 2);
	ck_assert_int_eq(n_hellos, 0);
	dialer_free(d);
	evdns_base_free(dns, 0);
	event_free(ev);
	close(dns_fd);
}
END_TEST

static int ticks;
static void tick_cb(evutil_socket_t fd, short what, void *arg) { ticks++; }

START_TEST(a_lookup_that_hangs_does_not_block_the_loop)
{
	struct event *ev;
	dns_silent = true;
	struct evdns_base *dns = fake_dns(&ev);
	struct dialer *d = new_dialer(dns, "slow.fjord.test", port_of(lfd), 2000);
	struct event *tick = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	struct timeval tv = {0, 10 * 1000};
	event_add(tick, &tv);
	ticks = 0;
	int64_t t0 = mono_ms();
	dialer_start(d);
	ck_assert_int_lt(mono_ms() - t0, 20);
	/* The server got the query and never answers; the loop keeps
	 * serving timers meanwhile. */
	run_for(300);
	ck_assert_int_ge(n_queries, 1);
	ck_assert_int_eq(n_failed, 0);
	ck_assert(dialer_busy(d));
	ck_assert_int_ge(ticks, 10);
	/* resolve_ms (400) bounds the wait; then it is a failure like any. */
	ck_assert(run_until(failed_once, 2000));
	ck_assert_int_eq(last_kind, DIALER_RESOLVE);
	ck_assert_str_eq(last_why, "name resolution took over 400 ms");
	/* Freeing the dialer while a lookup hangs is safe. */
	ck_assert(run_until(failed_twice, 0) == false);
	run_for(150); /* the retry is resolving again */
	dialer_free(d);
	run_for(50);
	event_free(tick);
	evdns_base_free(dns, 0);
	event_free(ev);
	close(dns_fd);
}
END_TEST

static Suite *dialer_suite(void)
{
	Suite *s = suite_create("dialer");
	TCase *tc = tcase_create("dialer");
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, retry_delays_double_from_min_to_max_with_jitter_in_the_upper_half);
	tcase_add_test(tc, an_acknowledged_hello_hands_over_the_connection);
	tcase_add_test(tc, a_refused_hello_is_retried_with_backoff_and_logged_once);
	tcase_add_test(tc, an_ack_from_another_node_is_a_failure);
	tcase_add_test(tc, a_hello_without_answer_times_out_and_is_retried);
	tcase_add_test(tc, a_hurried_dialer_skips_its_backoff);
	tcase_add_test(tc, a_hurried_dialer_restarts_a_connect_left_unanswered);
	tcase_add_test(tc, a_refused_connection_says_so);
	tcase_add_test(tc, numeric_hosts_need_no_resolver_and_names_do);
	tcase_add_test(tc, a_name_from_the_hosts_file_is_dialled_at_each_of_its_addresses_in_turn);
	tcase_add_test(tc, a_name_that_does_not_resolve_is_logged_and_retried);
	tcase_add_test(tc, a_lookup_that_hangs_does_not_block_the_loop);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(dialer_suite)
