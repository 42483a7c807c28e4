/* lathe — session files: round trip, damaged files, atomic save, presets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lathe-session-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void path_in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Arbitrary valid values for every chain parameter, and a reversed order. */
static void randomise(LatheSettings *s, uint32_t seed)
{
	lathe_settings_default(s);
	for (int i = 0; i < LATHE_CHAIN_PARAM_COUNT; i++) {
		seed = seed * 1664525u + 1013904223u;
		s->value[i] = lathe_param_from_norm(&lathe_params[i], (seed >> 8) / 16777216.0);
	}
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		s->order[k] = (LatheModuleId)((k + seed) % LATHE_MODULE_COUNT);
}

/* Both chains, every console control and two snapshots at arbitrary valid
 * values survive save and load exactly; empty snapshots stay empty. */
static void test_round_trip(void **state)
{
	(void)state;
	static LatheSession s, back;
	lathe_session_default(&s);
	randomise(&s.chain[0], 1);
	randomise(&s.chain[1], 2);
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		s.console[k] = lathe_param_from_norm(&lathe_params[LATHE_CONSOLE_ID(k)], (k % 4) / 3.0);
	randomise(&s.snapshot[2], 3);
	s.stored[2] = true;
	randomise(&s.snapshot[15], 4);
	s.stored[15] = true;
	char file[128], err[512];
	/* Connections, a peer name with a space included (JACK allows it). */
	assert_true(lathe_session_connect(&s, "in_L", "system:capture_1", err, sizeof(err)));
	assert_true(lathe_session_connect(&s, "mon_R", "my player:out 2", err, sizeof(err)));
	assert_true(lathe_session_connect(&s, "in_L", "system:capture_1", err, sizeof(err)));
	assert_int_equal(s.connections, 2);
	assert_false(lathe_session_connect(&s, "in_X", "system:capture_1", err, sizeof(err)));
	assert_non_null(strstr(err, "in_X"));
	path_in_dir(file, sizeof(file), "round.session");
	assert_true(lathe_session_save(file, &s, err, sizeof(err)));
	lathe_session_default(&back);
	assert_true(lathe_session_load(file, &back, stderr, err, sizeof(err)));
	assert_memory_equal(&s, &back, sizeof(s));

	/* Saved with the permissions of any new file (umask 022 -> 0644), and
	 * no temporary file left behind. */
	umask(022);
	assert_true(lathe_session_save(file, &s, err, sizeof(err)));
	struct stat st;
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	char pattern[160];
	snprintf(pattern, sizeof(pattern), "%s/*.tmp.*", dir);
	glob_t g;
	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
}

static float value(const LatheSettings *s, const char *path)
{
	return s->value[lathe_param_find(path)];
}

/* Where each kind of path goes: plain to both chains in a file, to the
 * selected chain in a live edit; /a and /b to one; /snapshot/N to the
 * bank; console controls to the console. */
static void test_paths(void **state)
{
	(void)state;
	static LatheSession s;
	char file[128], err[512];
	path_in_dir(file, sizeof(file), "paths.session");
	write_text(file, "/eq/1/gain 2\n/b/eq/1/gain 4\n/chain b\n/monitor/dim on\n"
			 "/snapshot/3/limiter/ceiling -2\n"
			 "/a/order dither limiter imager saturate deesser multiband comp eq input\n");
	assert_true(lathe_session_load(file, &s, NULL, err, sizeof(err)));
	assert_true(value(&s.chain[0], "/eq/1/gain") == 2.0f);
	assert_true(value(&s.chain[1], "/eq/1/gain") == 4.0f);
	assert_int_equal(lathe_session_selected(&s), LATHE_CHAIN_B);
	assert_true(s.console[LATHE_CONSOLE_DIM] == 1.0f);
	assert_true(s.stored[2] && !s.stored[0]);
	assert_true(value(&s.snapshot[2], "/limiter/ceiling") == -2.0f);
	assert_int_equal(s.chain[0].order[0], LATHE_MODULE_DITHER);
	assert_int_equal(s.chain[1].order[0], LATHE_MODULE_INPUT);

	bool clamped;
	assert_true(lathe_session_assign(&s, "/eq/1/gain", "-3", LATHE_PLAIN_SELECTED, &clamped, err,
					 sizeof(err)));
	assert_true(value(&s.chain[1], "/eq/1/gain") == -3.0f); /* B is selected */
	assert_true(value(&s.chain[0], "/eq/1/gain") == 2.0f);

	/* Copy, store and recall move whole chains, order included. */
	lathe_session_copy(&s, LATHE_CHAIN_A, LATHE_CHAIN_B);
	assert_memory_equal(&s.chain[1], &s.chain[0], sizeof(LatheSettings));
	assert_true(lathe_session_store(&s, 16, LATHE_CHAIN_A));
	assert_true(lathe_session_recall(&s, 3, LATHE_CHAIN_A));
	assert_true(value(&s.chain[0], "/limiter/ceiling") == -2.0f);
	assert_int_equal(s.chain[0].order[0], LATHE_MODULE_INPUT);
	assert_true(lathe_session_recall(&s, 16, LATHE_CHAIN_A));
	assert_memory_equal(&s.chain[0], &s.chain[1], sizeof(LatheSettings));
	LatheSettings before = s.chain[0];
	assert_false(lathe_session_recall(&s, 5, LATHE_CHAIN_A)); /* empty */
	assert_false(lathe_session_recall(&s, 17, LATHE_CHAIN_A));
	assert_false(lathe_session_store(&s, 0, LATHE_CHAIN_A));
	assert_memory_equal(&s.chain[0], &before, sizeof(LatheSettings));

	/* A chain parameter through a console path and the reverse are refused. */
	LatheSettings c;
	lathe_settings_default(&c);
	assert_false(lathe_settings_assign(&c, "/monitor/mono", "on", &clamped, err, sizeof(err)));
	assert_non_null(strstr(err, "console control"));
}

/* A damaged file is refused whole: the error names the file and the line,
 * and the settings passed in are untouched. */
static void expect_refused(const char *text, int line, const char *words)
{
	char file[128], err[512];
	path_in_dir(file, sizeof(file), "damaged.session");
	write_text(file, text);
	static LatheSession s, before;
	lathe_session_default(&s);
	s.chain[0].value[lathe_param_find("/eq/3/gain")] = 5.0f; /* something already loaded */
	before = s;
	assert_false(lathe_session_load(file, &s, NULL, err, sizeof(err)));
	assert_memory_equal(&s, &before, sizeof(s));
	char where[160];
	snprintf(where, sizeof(where), "%s:%d:", file, line);
	if (strncmp(err, where, strlen(where)) != 0 || !strstr(err, words))
		fail_msg("message '%s' should start '%s' and say '%s'", err, where, words);
}

static void test_damaged_files(void **state)
{
	(void)state;
	expect_refused("/eq/1/gain 2\n/eq/3/gian 1\n", 2, "did you mean '/eq/3/gain'");
	expect_refused("# comment\n\n/limiter/ceiling loud\n", 3, "not a number");
	expect_refused("/eq/mode sideways\n", 1, "zero-latency, linear-phase");
	expect_refused("/eq/1/gain\n", 1, "has no value");
	expect_refused("/eq/1/gain nan\n", 1, "not a number");
	expect_refused("order input eq comp\n", 1, "each of the 9 modules");
	expect_refused("order input eq comp multiband deesser saturate imager limiter reverb\n", 1,
		       "unknown module 'reverb'");
	char *garbage = malloc(3000);
	memset(garbage, 'x', 2999);
	garbage[2999] = '\0';
	expect_refused(garbage, 1, "too long");
	free(garbage);
	expect_refused("/eq/1/gain 1\n/c/eq/1/gain 1\n", 2, "unknown parameter '/c/eq/1/gain'");
	expect_refused("/snapshot/17/eq/1/gain 1\n", 1, "numbered 1 to 16");
	expect_refused("/snapshot/x/eq/1/gain 1\n", 1, "numbered 1 to 16");
	expect_refused("/a/eq/1/gian 1\n", 1, "/a/eq/1/gian: unknown parameter");
	expect_refused("/b/order eq\n", 1, "each of the 9 modules");
	expect_refused("/source cd\n", 1, "a, b, input, reference");

	char err[512];
	static LatheSession s;
	assert_false(lathe_session_load("/nonexistent/x.session", &s, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
}

/* Out-of-range values are clamped with a warning naming file and line. */
static void test_clamp_warns(void **state)
{
	(void)state;
	char file[128], err[512], warning[512] = "";
	path_in_dir(file, sizeof(file), "clamp.session");
	write_text(file, "/eq/2/gain 40\n");
	FILE *w = tmpfile();
	static LatheSession s;
	assert_true(lathe_session_load(file, &s, w, err, sizeof(err)));
	rewind(w);
	assert_non_null(fgets(warning, sizeof(warning), w));
	fclose(w);
	assert_true(s.chain[0].value[lathe_param_find("/eq/2/gain")] == 18.0f);
	assert_true(s.chain[1].value[lathe_param_find("/eq/2/gain")] == 18.0f);
	assert_non_null(strstr(warning, ":1: warning:"));
	assert_non_null(strstr(warning, "using 18"));
}

/* A save that cannot complete leaves what was there, and no temporary
 * file. (The target here is a non-empty directory, which rename() refuses:
 * a failure that also happens as root, unlike a permission error.) */
static void test_failed_save_keeps_old_file(void **state)
{
	(void)state;
	char file[128], inside[160], err[512];
	static LatheSession s;
	lathe_session_default(&s);
	path_in_dir(file, sizeof(file), "busy.session");
	assert_int_equal(mkdir(file, 0755), 0);
	snprintf(inside, sizeof(inside), "%s/keep", file);
	write_text(inside, "precious\n");
	assert_false(lathe_session_save(file, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "busy.session"));
	assert_int_equal(access(inside, F_OK), 0);
	char pattern[160];
	snprintf(pattern, sizeof(pattern), "%s/*.tmp.*", dir);
	glob_t g;
	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);

	path_in_dir(file, sizeof(file), "missing-dir/x.session");
	assert_false(lathe_session_save(file, &s, err, sizeof(err)));
	assert_non_null(strstr(err, "No such file"));
}

/* Every shipped preset loads without a warning. */
static void test_presets_load(void **state)
{
	(void)state;
	glob_t g;
	assert_int_equal(glob("share/presets/*.preset", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char err[512];
		FILE *w = tmpfile();
		LatheSettings s;
		if (!lathe_preset_load(g.gl_pathv[i], &s, w, err, sizeof(err)))
			fail_msg("%s", err);
		assert_int_equal(ftell(w), 0); /* nothing clamped */
		fclose(w);
	}
	globfree(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_clamp_warns),
		cmocka_unit_test(test_failed_save_keeps_old_file),
		cmocka_unit_test(test_presets_load),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
