/* lathe tests — the OSC namespace (osc/namespace.c), the allow-list's
 * networks (src/cidr.c) and the state edits OSC makes (src/state.c),
 * without a server: what a path addresses, the listing, the shipped
 * namespace page, and the session's osc_allow lines. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cidr.h"
#include "namespace.h"
#include "session.h"
#include "state.h"

/* Every parameter in every scope, and its /norm twin, parses to what it
 * names and formats back to the same path. */
static void test_every_path_round_trips(void **state)
{
	(void)state;
	int checked = 0;
	for (int target = LATHE_TARGET_SELECTED; target <= LATHE_TARGET_SNAPSHOT(LATHE_SNAPSHOT_COUNT);
	     target++) {
		for (int id = 0; id < LATHE_PARAM_COUNT; id++) {
			if (!lathe_param_in_chain(id) && target != LATHE_TARGET_SELECTED)
				continue;
			for (int norm = 0; norm < 2; norm++) {
				LatheAddress a = { .kind = LATHE_ADDRESS_PARAM, .target = target, .id = id,
						   .norm = norm };
				char path[160];
				lathe_address_format(&a, path, sizeof(path));
				LatheAddress b;
				assert_true(lathe_address_parse(path, &b));
				assert_int_equal(b.kind, LATHE_ADDRESS_PARAM);
				assert_int_equal(b.target, target);
				assert_int_equal(b.id, id);
				assert_int_equal(b.norm, norm);
				checked++;
			}
		}
		LatheAddress order = { .kind = LATHE_ADDRESS_ORDER, .target = target }, back;
		char path[64];
		lathe_address_format(&order, path, sizeof(path));
		assert_true(lathe_address_parse(path, &back));
		assert_int_equal(back.kind, LATHE_ADDRESS_ORDER);
		assert_int_equal(back.target, target);
	}
	/* 3 + 16 scopes of the chain's parameters, the console's once, twice each. */
	assert_int_equal(checked, 2 * ((3 + LATHE_SNAPSHOT_COUNT) * LATHE_CHAIN_PARAM_COUNT +
				       LATHE_CONSOLE_PARAM_COUNT));
}

static void test_actions_and_state(void **state)
{
	(void)state;
	LatheAddress a;
	assert_true(lathe_address_parse("/snapshot/16/recall", &a));
	assert_int_equal(a.kind, LATHE_ADDRESS_ACTION);
	assert_int_equal(a.id, LATHE_ACTION_SNAPSHOT_RECALL);
	assert_int_equal(a.n, 16);
	assert_true(lathe_address_parse("/snapshot/1/store", &a));
	assert_int_equal(a.id, LATHE_ACTION_SNAPSHOT_STORE);
	assert_int_equal(a.n, 1);
	assert_true(lathe_address_parse("/chain/toggle", &a));
	assert_int_equal(a.id, LATHE_ACTION_CHAIN_TOGGLE);
	assert_true(lathe_address_parse("/snapshot/7/stored", &a));
	assert_int_equal(a.kind, LATHE_ADDRESS_STATE);
	assert_int_equal(a.n, 7);
	assert_true(lathe_address_parse("/snapshot/active", &a));
	assert_int_equal(a.id, LATHE_STATE_SNAPSHOT_ACTIVE);
	for (int i = 0; i < LATHE_ACTION_COUNT; i++) {
		char path[64];
		LatheAddress x = { .kind = LATHE_ADDRESS_ACTION, .id = i, .n = 3 }, y;
		lathe_address_format(&x, path, sizeof(path));
		assert_true(lathe_address_parse(path, &y));
		assert_int_equal(y.kind, LATHE_ADDRESS_ACTION);
		assert_int_equal(y.id, i);
	}
}

/* What is not in the namespace is refused, however close. */
static void test_refused_paths(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"/a/monitor/mono",          /* console controls have no chain scope */
		"/snapshot/0/eq/1/gain",    /* snapshots from 1 */
		"/snapshot/17/eq/1/gain",   /* to 16 */
		"/snapshot/03/eq/1/gain",   /* no leading zeros: one path per address */
		"/snapshot/3x/eq/1/gain",
		"/snapshot/+3/store",
		"/snapshot/17/recall",
		"/eq/1/gain/norm/norm",
		"/chain/toggle/norm",       /* actions have no twin */
		"/order/norm",
		"/eq/9/gain",
		"/c/eq/1/gain",
		"eq/1/gain",                /* OSC paths start with / */
		"",
		"/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		LatheAddress a;
		if (lathe_address_parse(bad[i], &a))
			fail_msg("'%s' was taken as an address", bad[i]);
	}
}

typedef struct {
	char text[2048];
} Children;

static void collect(const char *child, void *data)
{
	Children *c = data;
	strcat(c->text, child);
	strcat(c->text, " ");
}

static const char *children(const char *path)
{
	static Children c;
	c.text[0] = '\0';
	lathe_namespace_children(path, collect, &c);
	return c.text;
}

static void test_listing(void **state)
{
	(void)state;
	const char *root = children("/");
	/* Containers end in '/', each listed once. */
	static const char *const top[] = { "input/ ", "eq/ ", "a/ ", "b/ ", "snapshot/ ", "monitor/ ",
					   "oscillator/ ", "lathe/ ", "copy/ ", "session/ ", "chain ",
					   "source ", "order " };
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		if (!strstr(root, top[i]))
			fail_msg("the root's children lack '%s': %s", top[i], root);
	assert_null(strstr(strstr(root, "eq/ ") + 1, " eq/ "));
	/* A parameter is a leaf, though its /norm twin is below it; "chain" is
	 * both a parameter and the container of "toggle". */
	assert_string_equal(children("/eq/3"), "enable type freq gain q slope channels ");
	assert_string_equal(children("/eq/3/gain"), "norm ");
	assert_string_equal(children("/chain/"), "norm toggle ");
	const char *snap = children("/snapshot/3");
	assert_non_null(strstr(snap, "limiter/ "));
	assert_non_null(strstr(snap, "order "));
	assert_non_null(strstr(snap, "store recall stored "));
	const char *snaps = children("/snapshot");
	assert_non_null(strstr(snaps, "1/ "));
	assert_non_null(strstr(snaps, "16/ "));
	assert_non_null(strstr(snaps, "active "));
	assert_null(strstr(snaps, "17/"));
	assert_int_equal(lathe_namespace_children("/nothing", collect, &(Children){ 0 }), 0);
	assert_int_equal(lathe_namespace_children("/eq/3/gain/norm", collect, &(Children){ 0 }), 0);
}

/* The shipped page is what the registry says now: a changed parameter
 * without a regenerated share/osc.md fails here. */
static void test_shipped_doc_is_current(void **state)
{
	(void)state;
	char *doc = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&doc, &size);
	lathe_namespace_doc(f);
	fclose(f);
	FILE *shipped = fopen("share/osc.md", "rb");
	if (!shipped)
		fail_msg("share/osc.md is missing (run from the source tree)");
	char *text = malloc(size + 2);
	size_t got = fread(text, 1, size + 1, shipped);
	fclose(shipped);
	if (got != size || memcmp(text, doc, size) != 0)
		fail_msg("share/osc.md differs from `lathe --osc-doc`: regenerate it with "
			 "./lathe --osc-doc > share/osc.md");
	/* And it documents every parameter. */
	for (int id = 0; id < LATHE_PARAM_COUNT; id++) {
		char want[128];
		snprintf(want, sizeof(want), "| `%s` |", lathe_params[id].path);
		if (!strstr(doc, want))
			fail_msg("the namespace page lacks %s", lathe_params[id].path);
	}
	free(text);
	free(doc);
}

static struct sockaddr_storage v4(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	a->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, text, &a->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *text)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	a->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, text, &a->sin6_addr), 1);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void test_networks(void **state)
{
	(void)state;
	LatheCidr net;
	assert_true(lathe_cidr_parse("192.168.1.0/24", &net));
	struct sockaddr_storage in = v4("192.168.1.77"), out = v4("192.168.2.1");
	assert_true(lathe_cidr_contains(&net, SA(in)));
	assert_false(lathe_cidr_contains(&net, SA(out)));
	/* An IPv4 sender on the dual-stack socket looks like ::ffff:a.b.c.d. */
	struct sockaddr_storage mapped = v6("::ffff:192.168.1.5");
	assert_true(lathe_cidr_contains(&net, SA(mapped)));
	assert_true(lathe_cidr_parse("10.0.0.7", &net));
	struct sockaddr_storage seven = v4("10.0.0.7"), eight = v4("10.0.0.8");
	assert_true(lathe_cidr_contains(&net, SA(seven)));
	assert_false(lathe_cidr_contains(&net, SA(eight)));
	assert_true(lathe_cidr_parse("fd00::/8", &net));
	struct sockaddr_storage ula = v6("fd12::1"), global = v6("2001:db8::1");
	assert_true(lathe_cidr_contains(&net, SA(ula)));
	assert_false(lathe_cidr_contains(&net, SA(global)));
	assert_false(lathe_cidr_contains(&net, SA(in))); /* families do not mix */
	assert_true(lathe_cidr_parse("0.0.0.0/0", &net));
	assert_true(lathe_cidr_contains(&net, SA(out)));
	static const char *const bad[] = { "10.0.0.1/8", "10.0.0.0/33", "10.0.0/8", "banana",
					   "10.0.0.0/", "10.0.0.0/-1", "/8", "", "::1/129" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lathe_cidr_parse(bad[i], &net))
			fail_msg("'%s' was taken as a network", bad[i]);
	struct sockaddr_storage lo4 = v4("127.3.2.1"), lo6 = v6("::1"), lo_mapped = v6("::ffff:127.0.0.1");
	assert_true(lathe_address_loopback(SA(lo4)));
	assert_true(lathe_address_loopback(SA(lo6)));
	assert_true(lathe_address_loopback(SA(lo_mapped)));
	assert_false(lathe_address_loopback(SA(in)));
	assert_false(lathe_address_loopback(SA(mapped)));
}

/* osc_allow lines survive a save and a load; a bad one names its line. */
static void test_session_networks(void **state)
{
	(void)state;
	char dir[] = "/tmp/lathe-namespace-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char file[128], err[512];
	snprintf(file, sizeof(file), "%s/s.session", dir);
	LatheSession *s = malloc(sizeof(*s)), *back = malloc(sizeof(*back));
	lathe_session_default(s);
	assert_true(lathe_session_osc_allow(s, "192.168.1.0/24", err, sizeof(err)));
	assert_true(lathe_session_osc_allow(s, "192.168.1.0/24", err, sizeof(err))); /* once */
	assert_true(lathe_session_osc_allow(s, "fd00::/8", err, sizeof(err)));
	assert_false(lathe_session_osc_allow(s, "10.0.0.1/8", err, sizeof(err)));
	assert_non_null(strstr(err, "not a network"));
	assert_true(lathe_session_save(file, s, err, sizeof(err)));
	assert_true(lathe_session_load(file, back, NULL, err, sizeof(err)));
	assert_int_equal(back->osc_allows, 2);
	assert_string_equal(back->osc_allow[0], "192.168.1.0/24");
	assert_string_equal(back->osc_allow[1], "fd00::/8");
	FILE *f = fopen(file, "w");
	fprintf(f, "/monitor/mono on\nosc_allow everyone\n");
	fclose(f);
	assert_false(lathe_session_load(file, back, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, ":2:"));
	unlink(file);
	rmdir(dir);
	free(s);
	free(back);
}

/* The edits OSC makes: a snapshot is active while the chain equals it. */
static void test_active_snapshot(void **state)
{
	(void)state;
	LatheState *st = lathe_state_new();
	int gain = lathe_param_find("/eq/3/gain");
	assert_int_equal(lathe_state_active_snapshot(st), 0);
	assert_false(lathe_state_recall(st, 2)); /* empty */
	lathe_state_set(st, LATHE_TARGET_SELECTED, gain, 3.0f);
	assert_true(lathe_state_store(st, 2));
	assert_int_equal(lathe_state_active_snapshot(st), 2);
	lathe_state_set(st, LATHE_TARGET_SELECTED, gain, 4.0f);
	assert_int_equal(lathe_state_active_snapshot(st), 0); /* edited since */
	assert_true(lathe_state_recall(st, 2));
	assert_int_equal(lathe_state_active_snapshot(st), 2);
	assert_true(lathe_state_get(st, LATHE_TARGET_A, gain) == 3.0f);
	/* The other chain selected: not the snapshot's any more. */
	lathe_state_toggle_chain(st);
	assert_int_equal(lathe_state_active_snapshot(st), 0);
	/* Writing into an empty snapshot stores it, from the defaults. */
	lathe_state_set(st, LATHE_TARGET_SNAPSHOT(5), gain, -2.0f);
	assert_true(st->session.stored[4]);
	assert_true(lathe_state_get(st, LATHE_TARGET_SNAPSHOT(5), gain) == -2.0f);
	assert_true(lathe_state_get(st, LATHE_TARGET_SNAPSHOT(5), lathe_param_find("/eq/3/freq")) ==
		    lathe_params[lathe_param_find("/eq/3/freq")].def);
	lathe_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_path_round_trips),
		cmocka_unit_test(test_actions_and_state),
		cmocka_unit_test(test_refused_paths),
		cmocka_unit_test(test_listing),
		cmocka_unit_test(test_shipped_doc_is_current),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_session_networks),
		cmocka_unit_test(test_active_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
