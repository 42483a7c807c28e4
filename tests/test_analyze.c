/* lathe — `lathe analyze`, run as a user runs it: the real binary ($LATHE,
 * default ./lathe) on real files written with libsndfile; its JSON is
 * checked by jq's parser (jq -e), not by string matching. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <sndfile.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_RIG_DIR "/tmp/lathe-analyze-XXXXXX"
#include "cli_rig.h"

/* True when jq's filter (shell-quoted here in single quotes) holds on the
 * JSON file `name` in the temporary directory. A document jq cannot parse
 * fails too. */
static bool jq(const char *name, const char *filter)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "jq -e '%s' '%s/%s' > /dev/null", filter, dir, name);
	int status = system(cmd);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* A 1 kHz sine at peak level `dbfs` (-INFINITY: silence), the same in
 * every channel. */
static void write_tone(const char *name, int format, int channels, int rate, double seconds,
		       double dbfs)
{
	char path[256];
	in_dir(path, sizeof(path), name);
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	if (!f)
		fail_msg("%s: %s", name, sf_strerror(NULL));
	double a = pow(10.0, dbfs / 20.0);
	float buf[4800 * 3];
	long long total = llround(seconds * rate), n = 0;
	while (n < total) {
		int count = total - n < 4800 ? (int)(total - n) : 4800;
		for (int i = 0; i < count; i++)
			for (int c = 0; c < channels; c++)
				buf[i * channels + c] = (float)(a * sin(2 * M_PI * 1000.0 * (double)(n + i) / rate));
		assert_int_equal(sf_writef_float(f, buf, count), count);
		n += count;
	}
	sf_close(f);
}

/* Damage a file: `count` bytes of garbage from byte `at`. */
static void scribble(const char *name, long at, int count)
{
	char path[256];
	in_dir(path, sizeof(path), name);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, at, SEEK_SET);
	for (int i = 0; i < count; i++)
		fputc(0x5a ^ (i * 37), f);
	fclose(f);
}

static long file_size(const char *name)
{
	char path[256];
	in_dir(path, sizeof(path), name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fclose(f);
	return size;
}

/* The first `keep` bytes of `from` as `to`: an interrupted copy. */
static void truncate_copy(const char *from, const char *to, long keep)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "head -c %ld '%s/%s' > '%s/%s'", keep, dir, from, dir, to);
	assert_int_equal(system(cmd), 0);
}

/* The number after `label ` in the text output, NAN if absent. */
static double text_number(const char *label)
{
	const char *at = strstr(output, label);
	if (!at)
		return NAN;
	return strtod(at + strlen(label), NULL);
}

/* EBU Tech 3341 case 1 as a file: integrated -23.0 LUFS (+-0.1). */
static void test_reference_tone(void **state)
{
	(void)state;
	write_tone("tone.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 48000, 20.0, -23.0);
	assert_int_equal(lathe_run("analyze --json tone.wav > tone.json"), 0);
	assert_true(jq("tone.json", "length == 1 and .[0].file == \"tone.wav\""));
	assert_true(jq("tone.json", ".[0].integrated_lufs >= -23.1 and .[0].integrated_lufs <= -22.9"));
	assert_true(jq("tone.json", ".[0].momentary_max_lufs >= -23.1 and .[0].momentary_max_lufs <= -22.9"));
	assert_true(jq("tone.json", ".[0].short_term_max_lufs >= -23.1 and .[0].short_term_max_lufs <= -22.9"));
	/* A steady tone: no loudness range; its peaks are its level. */
	assert_true(jq("tone.json", ".[0].lra_lu >= 0 and .[0].lra_lu <= 0.5"));
	assert_true(jq("tone.json", ".[0].true_peak_dbtp >= -23.1 and .[0].true_peak_dbtp <= -22.9"));
	assert_true(jq("tone.json", ".[0].sample_peak_dbfs >= -23.01 and .[0].sample_peak_dbfs <= -22.99"));
	assert_true(jq("tone.json", ".[0].plr_db >= -0.2 and .[0].plr_db <= 0.2"));
	/* Exactly the documented keys. */
	assert_true(jq("tone.json", ".[0] | keys == ([\"file\", \"integrated_lufs\", \"lra_lu\", "
				    "\"momentary_max_lufs\", \"short_term_max_lufs\", \"true_peak_dbtp\", "
				    "\"sample_peak_dbfs\", \"plr_db\"] | sort)"));

	/* Text: one line, with units. */
	assert_int_equal(lathe_run("analyze tone.wav"), 0);
	assert_true(strncmp(output, "tone.wav:", 9) == 0);
	assert_float_equal(text_number("integrated "), -23.0, 0.1);
	assert_non_null(strstr(output, " LUFS, LRA "));
	assert_non_null(strstr(output, " dBTP, sample peak "));
	assert_float_equal(text_number("sample peak "), -23.0, 0.05);
	assert_null(strchr(strchr(output, '\n') + 1, '\n')); /* one line */
}

/* Every file is reported, in order; the bad ones as errors; exit 1. */
static void test_good_missing_damaged(void **state)
{
	(void)state;
	write_tone("good.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 2, 44100, 5.0, -20.0);
	/* A WAV header, then garbage where the chunks should be. */
	truncate_copy("good.wav", "damaged.wav", 12);
	char path[256];
	in_dir(path, sizeof(path), "damaged.wav");
	FILE *f = fopen(path, "ab");
	for (int i = 0; i < 3000; i++)
		fputc((i * 7919) & 0xff, f);
	fclose(f);

	assert_int_equal(lathe_run("analyze --json good.wav missing.wav damaged.wav > mix.json"), 1);
	assert_true(jq("mix.json", "length == 3"));
	assert_true(jq("mix.json", "[.[].file] == [\"good.wav\", \"missing.wav\", \"damaged.wav\"]"));
	assert_true(jq("mix.json", ".[0].integrated_lufs | type == \"number\""));
	assert_true(jq("mix.json", ".[0] | has(\"error\") | not"));
	assert_true(jq("mix.json", ".[1].error | test(\"No such file\")"));
	assert_true(jq("mix.json", ".[2].error | type == \"string\" and length > 0"));
	assert_true(jq("mix.json", ".[1] | has(\"integrated_lufs\") | not"));

	/* Text: the good file on stdout, each failure on stderr, named. */
	assert_int_equal(lathe_run("analyze good.wav missing.wav damaged.wav"), 1);
	assert_non_null(strstr(output, "good.wav:"));
	assert_non_null(strstr(output, "lathe analyze: missing.wav: No such file or directory"));
	assert_non_null(strstr(output, "lathe analyze: damaged.wav: "));
	/* Failures first or last, the good file is still measured. */
	assert_float_equal(text_number("integrated "), -20.0, 0.1);
}

/* Damage past the header is an error, not a shorter or partly silent
 * measurement: an interrupted WAV copy and a FLAC stream with garbage in
 * its middle. */
static void test_damage_inside(void **state)
{
	(void)state;
	write_tone("long.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 4.0, -20.0);
	truncate_copy("long.wav", "cut.wav", file_size("long.wav") / 2);
	write_tone("whole.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 48000, 4.0, -20.0);
	scribble("whole.flac", file_size("whole.flac") / 2, 4000);
	write_tone("short.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 48000, 4.0, -20.0);
	truncate_copy("short.flac", "cut.flac", file_size("short.flac") / 2);

	assert_int_equal(lathe_run("analyze --json long.wav cut.wav whole.flac cut.flac > d.json"), 1);
	assert_true(jq("d.json", "length == 4 and (.[0].integrated_lufs | type == \"number\")"));
	assert_true(jq("d.json", ".[1].error | test(\"truncated\")"));
	assert_true(jq("d.json", ".[2].error | type == \"string\""));
	assert_true(jq("d.json", ".[3].error | type == \"string\""));
}

/* Silence: nothing to measure, which JSON says with null, text with -inf. */
static void test_silence(void **state)
{
	(void)state;
	write_tone("silent.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 5.0, -INFINITY);
	assert_int_equal(lathe_run("analyze --json silent.wav > s.json"), 0);
	assert_true(jq("s.json", ".[0] | [.integrated_lufs, .lra_lu, .momentary_max_lufs, "
				 ".short_term_max_lufs, .true_peak_dbtp, .sample_peak_dbfs, .plr_db] "
				 "| all(. == null)"));
	assert_int_equal(lathe_run("analyze silent.wav"), 0);
	assert_non_null(strstr(output, "integrated -inf LUFS"));
	assert_non_null(strstr(output, "true peak -inf dBTP"));
	assert_null(strstr(output, "nan"));
}

/* A mono file is one channel (BS.1770): 3 dB below the same tone in
 * stereo. */
static void test_mono(void **state)
{
	(void)state;
	write_tone("mono.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 1, 48000, 20.0, -23.0);
	assert_int_equal(lathe_run("analyze --json mono.flac > m.json"), 0);
	assert_true(jq("m.json", ".[0].integrated_lufs >= -26.1 and .[0].integrated_lufs <= -25.9"));
	assert_true(jq("m.json", ".[0].sample_peak_dbfs >= -23.01 and .[0].sample_peak_dbfs <= -22.99"));
}

/* Names with JSON's special characters survive: jq parses the document
 * and gives the name back. */
static void test_awkward_names(void **state)
{
	(void)state;
	write_tone("say \"hi\".wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 1.0, -20.0);
	write_tone("back\\slash\ttab.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 1.0, -20.0);
	assert_int_equal(lathe_run("analyze --json 'say \"hi\".wav' \"$(printf 'back\\\\slash\\ttab.wav')\" > q.json"), 0);
	assert_true(jq("q.json", ".[0].file == \"say \\\"hi\\\".wav\""));
	assert_true(jq("q.json", ".[1].file == \"back\\\\slash\\ttab.wav\""));
	assert_true(jq("q.json", "all(.[]; .sample_peak_dbfs | type == \"number\")"));
	/* A missing file with such a name, in an error entry. */
	assert_int_equal(lathe_run("analyze --json 'no \"such\".wav' > q2.json"), 1);
	assert_true(jq("q2.json", ".[0].file == \"no \\\"such\\\".wav\" and (.[0].error | length > 0)"));
}

static void test_three_channels(void **state)
{
	(void)state;
	write_tone("three.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3, 48000, 1.0, -20.0);
	write_tone("two.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 1.0, -20.0);
	assert_int_equal(lathe_run("analyze --json three.wav two.wav > t.json"), 1);
	assert_true(jq("t.json", ".[0].error == \"more than two channels: not supported\""));
	assert_true(jq("t.json", ".[1].sample_peak_dbfs | type == \"number\""));
	assert_int_equal(lathe_run("analyze three.wav"), 1);
	assert_non_null(strstr(output, "lathe analyze: three.wav: more than two channels: not supported"));
}

static void test_usage(void **state)
{
	(void)state;
	assert_int_equal(lathe_run("analyze"), 2);
	assert_non_null(strstr(output, "usage:"));
	assert_int_equal(lathe_run("analyze --json"), 2);
	assert_int_equal(lathe_run("analyze --loud x.wav"), 2);
	assert_non_null(strstr(output, "--loud"));
	/* After --, a name that looks like an option is a file. */
	write_tone("-odd.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 1.0, -20.0);
	assert_int_equal(lathe_run("analyze --json -- -odd.wav > o.json"), 0);
	assert_true(jq("o.json", ".[0].file == \"-odd.wav\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_tone),
		cmocka_unit_test(test_good_missing_damaged),
		cmocka_unit_test(test_damage_inside),
		cmocka_unit_test(test_silence),
		cmocka_unit_test(test_mono),
		cmocka_unit_test(test_awkward_names),
		cmocka_unit_test(test_three_channels),
		cmocka_unit_test(test_usage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
