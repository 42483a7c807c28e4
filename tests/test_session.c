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

/* Every parameter at an arbitrary valid value, and an unusual order,
 * survive save and load exactly. */
static void test_round_trip(void **state)
{
	(void)state;
	LatheSettings s, back;
	lathe_settings_default(&s);
	uint32_t seed = 12345;
	for (int i = 0; i < LATHE_CHAIN_PARAM_COUNT; i++) {
		seed = seed * 1664525u + 1013904223u;
		s.value[i] = lathe_param_from_norm(&lathe_params[i], (seed >> 8) / 16777216.0);
	}
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		s.order[k] = (LatheModuleId)(LATHE_MODULE_COUNT - 1 - k);
	char file[128], err[512];
	path_in_dir(file, sizeof(file), "round.session");
	assert_true(lathe_session_save(file, &s, err, sizeof(err)));
	lathe_settings_default(&back);
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

/* A damaged file is refused whole: the error names the file and the line,
 * and the settings passed in are untouched. */
static void expect_refused(const char *text, int line, const char *words)
{
	char file[128], err[512];
	path_in_dir(file, sizeof(file), "damaged.session");
	write_text(file, text);
	LatheSettings s, before;
	lathe_settings_default(&s);
	s.value[lathe_param_find("/eq/3/gain")] = 5.0f; /* something already loaded */
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

	char err[512];
	LatheSettings s;
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
	LatheSettings s;
	assert_true(lathe_session_load(file, &s, w, err, sizeof(err)));
	rewind(w);
	assert_non_null(fgets(warning, sizeof(warning), w));
	fclose(w);
	assert_true(s.value[lathe_param_find("/eq/2/gain")] == 18.0f);
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
	LatheSettings s;
	lathe_settings_default(&s);
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
		if (!lathe_session_load(g.gl_pathv[i], &s, w, err, sizeof(err)))
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
		cmocka_unit_test(test_damaged_files),
		cmocka_unit_test(test_clamp_warns),
		cmocka_unit_test(test_failed_save_keeps_old_file),
		cmocka_unit_test(test_presets_load),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
