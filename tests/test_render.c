/* lathe — `lathe render` and `lathe params`, run as a user runs them: the
 * real binary ($LATHE, default ./lathe) on real files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "namespace.h"
#include "params.h"
#include "signals.h"

#define CLI_RIG_DIR "/tmp/lathe-render-XXXXXX"
#include "cli_rig.h"

static void in_dir(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* Write a test file: pink noise and a tone, `channels` channels, peaking
 * near 0 dBFS times `gain`. */
static void write_file_at(const char *name, int format, int channels, int rate, int frames,
			  float gain)
{
	char path[128];
	in_dir(path, sizeof(path), name);
	SF_INFO info = { .samplerate = rate, .channels = channels, .format = format };
	SNDFILE *f = sf_open(path, SFM_WRITE, &info);
	assert_non_null(f);
	float *buf = malloc(sizeof(float) * frames * channels);
	TestPink p[3] = { { .seed = 1 }, { .seed = 2 }, { .seed = 3 } };
	for (int i = 0; i < frames; i++)
		for (int c = 0; c < channels; c++)
			buf[i * channels + c] = gain * (test_pink(&p[c % 3]) +
				0.2f * (float)sin(2 * M_PI * (440.0 + 110 * c) * i / rate));
	assert_int_equal(sf_writef_float(f, buf, frames), frames);
	sf_close(f);
	free(buf);
}

static void write_file(const char *name, int format, int channels, int rate, int frames)
{
	write_file_at(name, format, channels, rate, frames, 1.0f);
}

typedef struct {
	SF_INFO info;
	float *data; /* interleaved */
} Audio;

static Audio read_file(const char *name)
{
	char path[128];
	in_dir(path, sizeof(path), name);
	Audio a = { .info = { 0 } };
	SNDFILE *f = sf_open(path, SFM_READ, &a.info);
	if (!f)
		fail_msg("%s: %s", name, sf_strerror(NULL));
	a.data = malloc(sizeof(float) * a.info.frames * a.info.channels);
	assert_int_equal(sf_readf_float(f, a.data, a.info.frames), a.info.frames);
	sf_close(f);
	return a;
}

static bool exists(const char *name)
{
	char path[128];
	in_dir(path, sizeof(path), name);
	return access(path, F_OK) == 0;
}

/* Default settings: the output is the input, sample for sample, same
 * length, same format. */
static void test_default_render_is_identity(void **state)
{
	(void)state;
	write_file("in.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 48000, 48000);
	assert_int_equal(lathe_run("render in.wav out.wav"), 0);
	Audio in = read_file("in.wav"), out = read_file("out.wav");
	assert_int_equal(out.info.frames, in.info.frames);
	assert_int_equal(out.info.format, in.info.format);
	assert_int_equal(out.info.samplerate, 48000);
	assert_memory_equal(in.data, out.data, sizeof(float) * 2 * in.info.frames);
	free(in.data), free(out.data);
}

/* With latency in the chain (limiter, 8x saturation, linear-phase EQ), the
 * output is still aligned and of the same length: a neutral setting of
 * those modules nulls against the input. */
static void test_latency_removed(void **state)
{
	(void)state;
	/* -10 dB: peaks stay clear of the limiter's 0 dBTP ceiling. */
	write_file_at("quiet.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 44100, 30000, 0.316f);
	assert_int_equal(lathe_run("render --set /limiter/enable=on --set /limiter/ceiling=0 "
				   "--set /saturate/enable=on --set /saturate/mix=0 "
				   "--set /saturate/oversample=8x --set /eq/enable=on "
				   "--set /eq/mode=linear-phase quiet.wav aligned.wav"), 0);
	Audio in = read_file("quiet.wav"), out = read_file("aligned.wav");
	assert_int_equal(out.info.frames, in.info.frames);
	/* -120 dBFS: the null bound (float precision of the FFT path). */
	double d = test_peak_diff(in.data, out.data, 2 * (int)in.info.frames);
	print_message("aligned render null: %.1f dBFS\n", test_db(d));
	assert_true(d < 1e-6);
	free(in.data), free(out.data);
}

/* A session with two chains renders the selected one; a plain --set edits
 * that chain, /a/ and /b/ one chain each. */
static void test_renders_selected_chain(void **state)
{
	(void)state;
	write_file_at("ab.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 48000, 4800, 0.5f);
	char path[128];
	in_dir(path, sizeof(path), "ab.session");
	FILE *f = fopen(path, "w");
	fputs("/input/enable on\n/a/input/trim -6\n/b/input/trim -12\n/chain b\n", f);
	fclose(f);
	Audio in = read_file("ab.wav");
	const struct { const char *args; double gain_db; } cases[] = {
		{ "", -12.0 },                    /* B, selected in the session */
		{ "--set /chain=a", -6.0 },
		{ "--set /input/trim=-3", -3.0 }, /* plain: the selected chain, B */
		{ "--set /a/input/trim=-1", -12.0 },
		{ "--set /b/input/trim=-1", -1.0 },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		assert_int_equal(lathe_run("render --session ab.session %s ab.wav sel.wav",
					   cases[k].args), 0);
		Audio out = read_file("sel.wav");
		/* A render starts at rest at the session's values: no glide. */
		double db = test_db(fabs((double)out.data[1000] / in.data[1000]));
		if (fabs(db - cases[k].gain_db) > 1e-4)
			fail_msg("'%s': %.4f dB, expected %.1f", cases[k].args, db, cases[k].gain_db);
		free(out.data);
	}
	free(in.data);
}

/* The period size changes nothing. */
static void test_block_sizes_identical(void **state)
{
	(void)state;
	write_file("prog.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 48000, 96000);
	char preset[1024];
	if (!realpath("share/presets/full.preset", preset))
		fail_msg("share/presets/full.preset not found");
	const int blocks[] = { 1, 64, 1000 };
	for (int b = 0; b < 3; b++)
		assert_int_equal(lathe_run("render --quiet --block %d --session '%s' prog.wav b%d.wav",
					   blocks[b], preset, blocks[b]), 0);
	Audio a = read_file("b1.wav"), b = read_file("b64.wav"), c = read_file("b1000.wav");
	assert_int_equal(a.info.frames, 96000);
	assert_memory_equal(a.data, b.data, sizeof(float) * 2 * 96000);
	assert_memory_equal(a.data, c.data, sizeof(float) * 2 * 96000);
	free(a.data), free(b.data), free(c.data);
}

/* Dither to 16 bits lands on the 16-bit grid, and a 16-bit file written by
 * render holds exactly those values (no second, undithered rounding). */
static void test_dither_reaches_the_file_exactly(void **state)
{
	(void)state;
	write_file("hi.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 44100, 20000);
	const char *set = "--set /dither/enable=on --set /dither/bits=16";
	assert_int_equal(lathe_run("render %s hi.wav d_float.wav", set), 0);
	assert_int_equal(lathe_run("render %s --bits 16 hi.wav d16.wav", set), 0);
	Audio f = read_file("d_float.wav"), p = read_file("d16.wav");
	assert_int_equal(p.info.format, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
	for (int i = 0; i < 2 * 20000; i++) {
		double q = f.data[i] * 32768.0;
		assert_true(q == floor(q)); /* on the grid */
	}
	assert_memory_equal(f.data, p.data, sizeof(float) * 2 * 20000);
	free(f.data), free(p.data);
}

static void test_formats(void **state)
{
	(void)state;
	write_file("in.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 96000, 9600);
	assert_int_equal(lathe_run("render in.flac out.flac"), 0);
	Audio a = read_file("out.flac");
	assert_int_equal(a.info.format, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
	assert_int_equal(a.info.samplerate, 96000);
	free(a.data);
	/* The extension chooses the container; the word length follows the input. */
	assert_int_equal(lathe_run("render in.flac out.aiff"), 0);
	a = read_file("out.aiff");
	assert_int_equal(a.info.format, SF_FORMAT_AIFF | SF_FORMAT_PCM_24);
	free(a.data);
	/* Mono in, mono out, processed as dual mono. */
	write_file("mono.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100, 4410);
	assert_int_equal(lathe_run("render --set /input/enable=on --set /input/trim=-6 mono.wav m.wav"), 0);
	Audio in = read_file("mono.wav"), out = read_file("m.wav");
	assert_int_equal(out.info.channels, 1);
	assert_int_equal(out.info.frames, 4410);
	/* -6 dB applied: within one 16-bit step of the exact value. */
	for (int i = 0; i < 4410; i++)
		assert_true(fabs(out.data[i] - in.data[i] * 0.501187f) <= 1.0 / 32768 + 1e-7);
	free(in.data), free(out.data);
}

/* Bad input: a clear message, a non-zero exit, no output file. */
static void test_bad_input(void **state)
{
	(void)state;
	write_file("three.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3, 48000, 480);
	assert_int_not_equal(lathe_run("render three.wav x.wav"), 0);
	assert_non_null(strstr(output, "3 channels"));
	assert_false(exists("x.wav"));

	char path[128];
	in_dir(path, sizeof(path), "garbage.wav");
	FILE *f = fopen(path, "w");
	fputs("RIFF this is not a wave file at all", f);
	fclose(f);
	assert_int_not_equal(lathe_run("render garbage.wav x.wav"), 0);
	assert_non_null(strstr(output, "garbage.wav"));
	assert_false(exists("x.wav"));

	/* Damaged past the header: a FLAC stream with garbage in its middle is
	 * an error, not a render with a silent stretch. */
	write_file("whole.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 44100, 9600);
	in_dir(path, sizeof(path), "whole.flac");
	f = fopen(path, "r+b");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	for (int i = 0; i < 4000; i++)
		fputc(0x5a ^ i, f);
	fclose(f);
	assert_int_not_equal(lathe_run("render whole.flac x.wav"), 0);
	assert_non_null(strstr(output, "read error"));
	assert_false(exists("x.wav"));

	assert_int_not_equal(lathe_run("render missing.wav x.wav"), 0);
	assert_non_null(strstr(output, "missing.wav"));

	write_file("ok.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 480);
	assert_int_not_equal(lathe_run("render --set /eq/3/gian=2 ok.wav x.wav"), 0);
	assert_non_null(strstr(output, "did you mean '/eq/3/gain'"));
	assert_false(exists("x.wav"));

	assert_int_not_equal(lathe_run("render --set /eq/3/gain=loud ok.wav x.wav"), 0);
	assert_non_null(strstr(output, "not a number"));

	assert_int_not_equal(lathe_run("render ok.wav ok.wav"), 0);
	assert_non_null(strstr(output, "overwrite the input"));

	/* Out of range: clamped with a warning, and the render goes on. */
	assert_int_equal(lathe_run("render --set /eq/3/gain=40 ok.wav y.wav"), 0);
	assert_non_null(strstr(output, "warning"));
	assert_non_null(strstr(output, "using 18"));
	assert_true(exists("y.wav"));

	in_dir(path, sizeof(path), "bad.session");
	f = fopen(path, "w");
	fputs("/limiter/enable on\n/limiter/celing -1\n", f);
	fclose(f);
	assert_int_not_equal(lathe_run("render --session bad.session ok.wav z.wav"), 0);
	assert_non_null(strstr(output, "bad.session:2:"));
	assert_false(exists("z.wav"));
}

static void test_params_listing(void **state)
{
	(void)state;
	assert_int_equal(lathe_run("params"), 0);
	assert_non_null(strstr(output, "/eq/8/gain"));
	assert_int_equal(lathe_run("params --json > params.json"), 0);
	/* Valid JSON with one object per parameter, then the OSC actions and
	 * reported state: jq's parser decides. */
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "jq -e '([.[] | select(.scope == \"chain\" or .scope == \"console\")] | length) == %d "
		 "and length == %d and .[0].path == \"/input/enable\" and "
		 "(.[] | select(.path == \"/eq/mode\") | .values[1] == \"linear-phase\") and "
		 "(.[] | select(.path == \"/snapshot/N/recall\") | .scope == \"action\")' "
		 "'%s/params.json' > /dev/null", LATHE_PARAM_COUNT,
		 LATHE_PARAM_COUNT + LATHE_ACTION_COUNT + LATHE_STATE_ADDRESS_COUNT, dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_render_is_identity),
		cmocka_unit_test(test_latency_removed),
		cmocka_unit_test(test_block_sizes_identical),
		cmocka_unit_test(test_renders_selected_chain),
		cmocka_unit_test(test_dither_reaches_the_file_exactly),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_params_listing),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
