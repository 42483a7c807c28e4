/* lathe — the compare engine: A/B switching, alignment of the sources,
 * loudness match, the monitor section, the print output's independence
 * from it, and the meter ring. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "meters.h"
#include "session.h"
#include "signals.h"

#define RATE 48000.0

/* --- a rig: input, reference and the four outputs of a run -------------- */

typedef struct {
	int n;
	float *in[2], *ref[2], *out[2], *mon[2];
} Run;

static Run run_new(int n)
{
	Run r = { .n = n };
	for (int ch = 0; ch < 2; ch++) {
		r.in[ch] = calloc((size_t)n, sizeof(float));
		r.ref[ch] = calloc((size_t)n, sizeof(float));
		r.out[ch] = calloc((size_t)n, sizeof(float));
		r.mon[ch] = calloc((size_t)n, sizeof(float));
	}
	return r;
}

static void run_free(Run *r)
{
	for (int ch = 0; ch < 2; ch++) {
		free(r->in[ch]);
		free(r->ref[ch]);
		free(r->out[ch]);
		free(r->mon[ch]);
	}
}

/* Stereo pink noise (independent channels) at about -12 dBFS RMS. */
static void fill_pink(float *const x[2], int from, int to, uint32_t seed)
{
	TestPink p[2] = { { .seed = seed }, { .seed = seed * 7 + 1 } };
	for (int i = from; i < to; i++)
		for (int ch = 0; ch < 2; ch++)
			x[ch][i] = test_pink(&p[ch]);
}

/* Process frames [from, to) in blocks of `block`. */
static void process(LatheEngine *e, Run *r, int from, int to, int block)
{
	for (int i = from; i < to; i += block) {
		int n = to - i < block ? to - i : block;
		lathe_engine_process(e, r->in[0] + i, r->in[1] + i, r->ref[0] + i, r->ref[1] + i,
				     r->out[0] + i, r->out[1] + i, r->mon[0] + i, r->mon[1] + i, n);
	}
}

static float value_of(const char *path, const char *text)
{
	int id = lathe_param_find(path);
	if (id < 0)
		fail_msg("no parameter %s", path);
	float v;
	if (lathe_param_parse(&lathe_params[id], text, &v) == LATHE_VALUE_INVALID)
		fail_msg("%s: bad value %s", path, text);
	return v;
}

static void console(LatheEngine *e, const char *path, const char *text)
{
	int id = lathe_param_find(path);
	assert_false(lathe_param_in_chain(id));
	lathe_engine_set_console(e, id - LATHE_CHAIN_PARAM_COUNT, value_of(path, text));
}

/* Chain settings from "path value" lines; the engine gets them all, with
 * their design work done, and starts from rest. */
static void chain_settings(LatheEngine *e, LatheChainId c, const char *const *lines)
{
	LatheSettings s;
	lathe_settings_default(&s);
	for (int k = 0; lines && lines[k]; k++) {
		char path[64], text[64], err[256];
		bool clamped;
		assert_int_equal(sscanf(lines[k], "%63s %63s", path, text), 2);
		if (!lathe_settings_assign(&s, path, text, &clamped, err, sizeof(err)))
			fail_msg("%s", err);
	}
	lathe_engine_apply(e, c, &s);
	lathe_engine_maintain(e, c, s.value);
}

static LatheEngine *engine(const char *const *a, const char *const *b)
{
	LatheEngine *e = lathe_engine_new(RATE);
	assert_non_null(e);
	chain_settings(e, LATHE_CHAIN_A, a);
	chain_settings(e, LATHE_CHAIN_B, b);
	lathe_engine_snap(e);
	return e;
}

static const char *const working[] = {
	"/eq/enable on", "/eq/2/enable on", "/eq/2/gain 3", "/comp/enable on",
	"/comp/threshold -30", "/comp/ratio 3", "/limiter/enable on", "/limiter/input_gain 6", NULL
};

static bool same(const float *a, const float *b, int n)
{
	return memcmp(a, b, sizeof(float) * (size_t)n) == 0;
}

/* Largest sample-to-sample step: a click shows as a step far above the
 * signal's own. */
static double max_step(const float *x, int from, int to)
{
	double m = 0.0;
	for (int i = from + 1; i < to; i++)
		m = fmax(m, fabs((double)x[i] - x[i - 1]));
	return m;
}

static double power_db(const float *const x[2], int from, int to)
{
	double s = 0.0;
	for (int i = from; i < to; i++)
		s += (double)x[0][i] * x[0][i] + (double)x[1][i] * x[1][i];
	return 10.0 * log10(s / (to - from) + 1e-30);
}

/* --- A/B ------------------------------------------------------------------ */

/* Identical settings: switching chains (and with them the monitor, which
 * listens to the selected chain) leaves both outputs bit for bit as they
 * were without a switch. */
static void test_identical_chains_switch_bit_exact(void **state)
{
	(void)state;
	const int n = (int)RATE * 2;
	Run plain = run_new(n), switched = run_new(n);
	fill_pink(plain.in, 0, n, 1);
	fill_pink(switched.in, 0, n, 1);
	LatheEngine *e1 = engine(working, working), *e2 = engine(working, working);
	process(e1, &plain, 0, n, 256);
	for (int k = 0; k < 20; k++) {
		console(e2, "/chain", k % 2 ? "a" : "b");
		process(e2, &switched, k * n / 20, (k + 1) * n / 20, 256);
	}
	assert_true(lathe_engine_console(e2, LATHE_CONSOLE_SOURCE) == LATHE_SOURCE_A);
	for (int ch = 0; ch < 2; ch++) {
		assert_true(same(plain.out[ch], switched.out[ch], n));
		assert_true(same(plain.mon[ch], switched.mon[ch], n));
	}
	lathe_engine_free(e1);
	lathe_engine_free(e2);
	run_free(&plain);
	run_free(&switched);
}

/* Different settings (B 6 dB louder): the switch is a crossfade, with no
 * step above the sine's own and no bump above the louder chain's level. */
static void test_switch_is_a_crossfade(void **state)
{
	(void)state;
	const char *const louder[] = { "/input/enable on", "/input/trim 6", NULL };
	const int n = (int)RATE;
	Run r = run_new(n);
	for (int i = 0; i < n; i++)
		r.in[0][i] = r.in[1][i] = 0.25f * (float)sin(2 * M_PI * 1000.0 * i / RATE);
	LatheEngine *e = engine(NULL, louder);
	process(e, &r, 0, n / 4, 64);
	console(e, "/chain", "b");
	process(e, &r, n / 4, n / 2, 64);
	console(e, "/source", "input"); /* print stays on B */
	process(e, &r, n / 2, 3 * n / 4, 64);
	console(e, "/source", "b");
	process(e, &r, 3 * n / 4, n, 64);

	/* The louder steady sine: amplitude 0.5, largest step 0.5 * 2 pi f / fs. */
	double sine_step = 0.5 * 2 * M_PI * 1000.0 / RATE;
	int from = n / 8; /* after the chains' start-up */
	for (int ch = 0; ch < 2; ch++) {
		/* 2 %: the amplitude's own change over a 10 ms fade adds 1.3 %. */
		assert_true(max_step(r.out[ch], from, n) < sine_step * 1.02);
		assert_true(max_step(r.mon[ch], from, n) < sine_step * 1.02);
		assert_true(test_peak(r.out[ch] + from, n - from) < 0.5 * 1.001);
		assert_true(test_peak(r.mon[ch] + from, n - from) < 0.5 * 1.001);
	}
	/* The print carried B after the switch, the monitor followed. */
	assert_true(test_peak(r.out[0] + n / 2, n / 4) > 0.49);
	assert_true(test_peak(r.mon[0] + n / 2 + 1000, n / 4 - 1000) < 0.26);
	lathe_engine_free(e);
	run_free(&r);
}

/* --- alignment ------------------------------------------------------------ */

static int peak_at(const float *x, int n)
{
	int at = 0;
	for (int i = 1; i < n; i++)
		if (fabsf(x[i]) > fabsf(x[at]))
			at = i;
	return at;
}

/* An impulse arrives at the same sample from A, B and the input, on the
 * monitor and the print, and that sample is the reported latency; also
 * after B's latency changes (B switched to linear phase mid-run). */
static void test_sources_are_aligned(void **state)
{
	(void)state;
	const char *const linear[] = { "/eq/mode linear-phase", "/eq/enable on", "/limiter/enable on", NULL };
	const int n = (int)RATE * 3, at = 4000;
	LatheEngine *e = engine(linear, NULL);
	int latency = lathe_engine_latency(e);
	assert_true(latency > 9000); /* the linear-phase EQ dominates */
	const char *const sources[] = { "a", "b", "input" };
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 3; k++) {
			Run r = run_new(n);
			r.in[0][at] = r.in[1][at] = 0.25f;
			console(e, "/source", sources[k]);
			console(e, "/chain", k == 1 ? "b" : "a");
			lathe_engine_snap(e);
			process(e, &r, 0, n, 128);
			assert_int_equal(lathe_engine_latency(e), latency);
			assert_int_equal(peak_at(r.mon[0], n), at + latency);
			assert_int_equal(peak_at(r.mon[1], n), at + latency);
			assert_int_equal(peak_at(r.out[0], n), at + latency);
			assert_true(fabsf(r.mon[0][at + latency] - 0.25f) < 1e-4f);
			run_free(&r);
		}
		/* Now B's latency changes to A's: only its compensation moves. */
		chain_settings(e, LATHE_CHAIN_B, linear);
	}
	lathe_engine_free(e);
}

/* --- loudness match ------------------------------------------------------- */

/* A is 6 dB louder than the input (steady pink noise). With match on, the
 * input plays at A's loudness within 0.2 LU once the window has passed; B,
 * 4 dB quieter than A, too. In silence every offset holds. */
static void test_loudness_match(void **state)
{
	(void)state;
	const char *const louder[] = { "/input/enable on", "/input/trim 6", NULL };
	const char *const quieter[] = { "/input/enable on", "/input/trim 2", NULL };
	const int s = (int)RATE, n = 22 * s;
	Run r = run_new(n);
	/* One second of noise, looped: every whole second has the same power,
	 * so the comparison below measures the match, not the noise. */
	fill_pink(r.in, 0, s, 3);
	for (int i = s; i < 12 * s; i++)
		for (int ch = 0; ch < 2; ch++)
			r.in[ch][i] = r.in[ch][i - s];
	LatheEngine *e = engine(louder, quieter);
	console(e, "/monitor/match", "on");
	console(e, "/source", "input");
	process(e, &r, 0, 6 * s, 64);
	console(e, "/source", "a");
	process(e, &r, 6 * s, 8 * s, 64);
	console(e, "/source", "b");
	process(e, &r, 8 * s, 10 * s, 64);
	console(e, "/source", "input");
	process(e, &r, 10 * s, 12 * s, 64);
	/* The same noise in every segment: its power differs by the gains only
	 * (all flat), so power differences are loudness differences. Skip
	 * 0.5 s after each switch. */
	const float *const mon[2] = { r.mon[0], r.mon[1] };
	double input = power_db(mon, 4 * s, 6 * s);
	double a = power_db(mon, (int)(6.5 * s), 8 * s);
	double b = power_db(mon, (int)(8.5 * s), 10 * s);
	print_message("monitor: input %.3f dB, A %.3f dB, B %.3f dB\n", input, a, b);
	assert_true(fabs(input - a) < 0.2);
	assert_true(fabs(b - a) < 0.2);

	LatheEngineStatus st;
	lathe_engine_status(e, &st);
	assert_true(fabs(st.match_offset[LATHE_SOURCE_INPUT] - 6.0) < 0.2);
	assert_true(fabs(st.match_offset[LATHE_SOURCE_B] - 4.0) < 0.2);
	assert_true(st.match_offset[LATHE_SOURCE_A] == 0.0f);
	/* Silence for 10 s (longer than the window): nothing moves. */
	process(e, &r, 12 * s, n, 64);
	LatheEngineStatus after;
	lathe_engine_status(e, &after);
	for (int k = 0; k < LATHE_SOURCE_COUNT; k++)
		assert_true(after.match_offset[k] == st.match_offset[k]);
	/* The print never heard any of it: A, 6 dB above the input. */
	const float *const out[2] = { r.out[0], r.out[1] };
	assert_true(fabs(power_db(out, 4 * s, 6 * s) - (input - 6.0)) > 5.0);
	lathe_engine_free(e);
	run_free(&r);
}

/* --- print vs monitor ------------------------------------------------------- */

/* Every monitor control, moved during a run, leaves the print bit-exact. */
static void test_print_unaffected_by_monitor(void **state)
{
	(void)state;
	static const char *const moves[][2] = {
		{ "/source", "b" }, { "/monitor/match", "on" }, { "/source", "input" },
		{ "/monitor/match_window", "10" }, { "/monitor/delta", "on" }, { "/monitor/band", "2" },
		{ "/monitor/swap", "on" }, { "/monitor/mono", "on" }, { "/monitor/side", "on" },
		{ "/monitor/polarity", "on" }, { "/monitor/left", "on" }, { "/monitor/right", "on" },
		{ "/monitor/dim", "on" }, { "/monitor/dim_level", "-6" }, { "/monitor/mute", "on" },
		{ "/monitor/level", "-12" }, { "/source", "reference" }, { "/monitor/band", "off" },
	};
	const int count = sizeof(moves) / sizeof(moves[0]);
	const int n = (int)RATE * 3;
	Run plain = run_new(n), moved = run_new(n);
	fill_pink(plain.in, 0, n, 5);
	fill_pink(moved.in, 0, n, 5);
	fill_pink(moved.ref, 0, n, 9);
	LatheEngine *e1 = engine(working, NULL), *e2 = engine(working, NULL);
	process(e1, &plain, 0, n, 100);
	for (int k = 0; k <= count; k++) {
		if (k > 0)
			console(e2, moves[k - 1][0], moves[k - 1][1]);
		process(e2, &moved, k * n / (count + 1), (k + 1) * n / (count + 1), 100);
	}
	for (int ch = 0; ch < 2; ch++) {
		assert_true(same(plain.out[ch], moved.out[ch], n));
		/* ...while the monitor did change. */
		assert_false(same(plain.mon[ch], moved.mon[ch], n));
	}
	lathe_engine_free(e1);
	lathe_engine_free(e2);
	run_free(&plain);
	run_free(&moved);
}

/* --- the monitor section ---------------------------------------------------- */

typedef struct {
	LatheEngine *e;
	Run r;
	int pos;
} Monitor;

/* Neutral chains, so the print is the aligned input: every monitor control
 * is checked against what it should do to the print. */
static Monitor monitor_new(void)
{
	Monitor m = { .e = engine(NULL, NULL), .r = run_new((int)RATE * 30) };
	for (int i = 0; i < m.r.n; i++) {
		m.r.in[0][i] = 0.5f * (float)sin(2 * M_PI * 1000.0 * i / RATE);
		m.r.in[1][i] = 0.25f * (float)sin(2 * M_PI * 300.0 * i / RATE);
	}
	console(m.e, "/source", "input");
	return m;
}

/* Set a control, let its fade pass (50 ms), then run 100 ms to look at. */
static int monitor_after(Monitor *m, const char *path, const char *text)
{
	console(m->e, path, text);
	process(m->e, &m->r, m->pos, m->pos + 7200, 64);
	m->pos += 7200;
	return m->pos - 4800;
}

static void expect(const Monitor *m, int from, float (*f)(float l, float r, int ch), double tol)
{
	double worst = 0.0;
	for (int i = from; i < from + 4800; i++)
		for (int ch = 0; ch < 2; ch++)
			worst = fmax(worst, fabs(m->r.mon[ch][i] - f(m->r.out[0][i], m->r.out[1][i], ch)));
	assert_true(worst <= tol);
}

static float f_plain(float l, float r, int ch) { return ch ? r : l; }
static float f_mono(float l, float r, int ch) { (void)ch; return 0.5f * (l + r); }
static float f_side(float l, float r, int ch) { (void)ch; return 0.5f * (l - r); }
static float f_swap(float l, float r, int ch) { return ch ? l : r; }
static float f_invert(float l, float r, int ch) { return ch ? -r : -l; }
static float f_left(float l, float r, int ch) { (void)r; return ch ? 0.0f : l; }
static float f_right(float l, float r, int ch) { (void)l; return ch ? r : 0.0f; }
static float f_dim(float l, float r, int ch) { return 0.1f * (ch ? r : l); }
static float f_level(float l, float r, int ch) { return 0.50118723f * (ch ? r : l); }
static float f_zero(float l, float r, int ch) { (void)l, (void)r, (void)ch; return 0.0f; }

static void test_monitor_controls(void **state)
{
	(void)state;
	Monitor m = monitor_new();
	/* Float precision: each result is one or two float operations away. */
	const double tol = 1e-6;
	expect(&m, monitor_after(&m, "/monitor/mono", "off"), f_plain, 0.0);
	expect(&m, monitor_after(&m, "/monitor/mono", "on"), f_mono, tol);
	expect(&m, monitor_after(&m, "/monitor/side", "on"), f_side, tol); /* side wins */
	monitor_after(&m, "/monitor/mono", "off");
	expect(&m, monitor_after(&m, "/monitor/side", "off"), f_plain, 0.0);
	expect(&m, monitor_after(&m, "/monitor/swap", "on"), f_swap, 0.0);
	monitor_after(&m, "/monitor/swap", "off");
	expect(&m, monitor_after(&m, "/monitor/polarity", "on"), f_invert, 0.0);
	monitor_after(&m, "/monitor/polarity", "off");
	expect(&m, monitor_after(&m, "/monitor/left", "on"), f_left, 0.0);
	monitor_after(&m, "/monitor/left", "off");
	expect(&m, monitor_after(&m, "/monitor/right", "on"), f_right, 0.0);
	monitor_after(&m, "/monitor/right", "off");
	expect(&m, monitor_after(&m, "/monitor/dim", "on"), f_dim, tol);
	expect(&m, monitor_after(&m, "/monitor/mute", "on"), f_zero, 0.0);
	monitor_after(&m, "/monitor/mute", "off");
	monitor_after(&m, "/monitor/dim", "off");
	expect(&m, monitor_after(&m, "/monitor/level", "-6"), f_level, tol);
	monitor_after(&m, "/monitor/level", "0");
	/* Neutral chain: the delta is silence. */
	expect(&m, monitor_after(&m, "/monitor/delta", "on"), f_zero, 0.0);
	monitor_after(&m, "/monitor/delta", "off");
	/* Band 1 of the default multiband (crossover 120 Hz): 1 kHz and
	 * 300 Hz fall 40 dB or more (LR4: 24 dB/octave, 3 octaves and more
	 * above the crossover, and 1.3 octaves for 300 Hz). */
	int from = monitor_after(&m, "/monitor/band", "1");
	assert_true(test_peak(m.r.mon[0] + from, 4800) < 0.5 * 0.01);
	assert_true(test_peak(m.r.mon[1] + from, 4800) < 0.25 * 0.1);
	/* Band 2 (120 to 800 Hz) passes 300 Hz within 1 dB (LR4 is -0.4 dB
	 * there) and takes 1 kHz, above its upper crossover, down by 10 dB. */
	from = monitor_after(&m, "/monitor/band", "2");
	assert_true(fabs(test_db(test_peak(m.r.mon[1] + from, 4800) / 0.25)) < 1.0);
	assert_true(test_peak(m.r.mon[0] + from, 4800) < 0.5 * 0.35);
	expect(&m, monitor_after(&m, "/monitor/band", "off"), f_plain, 0.0);
	/* Every change above faded: no step larger than the signal's own
	 * (the 1 kHz sine at 0.5) anywhere in the monitor. */
	double sine_step = 0.5 * 2 * M_PI * 1000.0 / RATE;
	assert_true(max_step(m.r.mon[0], 0, m.pos) < sine_step * 1.05);
	lathe_engine_free(m.e);
	run_free(&m.r);
}

/* --- block size ------------------------------------------------------------- */

static void test_block_size_invariance(void **state)
{
	(void)state;
	const int n = 64000, blocks[] = { 1, 64, 1000 };
	Run r[3];
	for (int k = 0; k < 3; k++) {
		r[k] = run_new(n);
		fill_pink(r[k].in, 0, n, 11);
		fill_pink(r[k].ref, 0, n, 12);
		LatheEngine *e = engine(working, NULL);
		/* Changes at multiples of 16000 frames, a boundary in every run. */
		console(e, "/monitor/match", "on");
		process(e, &r[k], 0, 16000, blocks[k]);
		console(e, "/chain", "b");
		console(e, "/monitor/band", "2");
		process(e, &r[k], 16000, 32000, blocks[k]);
		console(e, "/source", "reference");
		console(e, "/monitor/mono", "on");
		process(e, &r[k], 32000, 48000, blocks[k]);
		console(e, "/monitor/delta", "on");
		process(e, &r[k], 48000, n, blocks[k]);
		lathe_engine_free(e);
	}
	for (int k = 1; k < 3; k++)
		for (int ch = 0; ch < 2; ch++) {
			assert_true(same(r[0].out[ch], r[k].out[ch], n));
			assert_true(same(r[0].mon[ch], r[k].mon[ch], n));
		}
	for (int k = 0; k < 3; k++)
		run_free(&r[k]);
}

/* --- meter ring --------------------------------------------------------------- */

/* Nobody reads for three seconds: the engine goes on (it drops records and
 * counts them, it never waits). Then the reader catches up and sees the
 * latest values: the newest record ends with the newest monitor output. */
static void test_meter_ring_slow_reader(void **state)
{
	(void)state;
	const int n = (int)RATE * 4;
	Run r = run_new(n);
	fill_pink(r.in, 0, n, 13);
	const char *const limiting[] = { "/limiter/enable on", "/limiter/input_gain 18", NULL };
	LatheEngine *e = engine(limiting, NULL);
	process(e, &r, 0, 3 * n / 4, 64);
	LatheEngineStatus st;
	lathe_engine_status(e, &st);
	assert_true(st.dropped > 0);

	LatheMeters *m = lathe_meters_new(RATE, true);
	assert_non_null(m);
	assert_true(lathe_meters_poll(m, lathe_engine_meter_ring(e)) > 0);
	process(e, &r, 3 * n / 4, n, 64); /* n is a whole number of 10 ms records */
	assert_true(lathe_meters_poll(m, lathe_engine_meter_ring(e)) > 0);
	assert_int_equal(lathe_meters_poll(m, lathe_engine_meter_ring(e)), 0);
	assert_int_equal(m->status.latency, lathe_engine_latency(e));
	assert_true(m->status.dropped >= st.dropped);
	const LatheMeterRecord *rec = (const LatheMeterRecord *)m->buffer;
	const float *mon = (const float *)(rec + 1) + 2 * (size_t)LATHE_TAP_MONITOR * rec->frames;
	for (uint32_t i = 0; i < rec->frames; i++) {
		assert_true(mon[2 * i] == r.mon[0][n - rec->frames + i]);
		assert_true(mon[2 * i + 1] == r.mon[1][n - rec->frames + i]);
	}
	/* A's limiter works hard (18 dB into it): its gain reduction arrives. */
	assert_true(m->status.gr_count[LATHE_CHAIN_A][LATHE_MODULE_LIMITER] == 1);
	assert_true(m->status.gain_reduction[LATHE_CHAIN_A][LATHE_MODULE_LIMITER][0] > 0.5f);
	LatheMeterReading reading;
	lathe_meter_read(m->tap[LATHE_TAP_MONITOR], &reading);
	assert_true(isfinite(reading.momentary));
	lathe_meters_free(m);
	lathe_engine_free(e);
	run_free(&r);
}

/* The line-up oscillator takes the place of the input for everything
 * downstream (both chains, the input source, the print), and switching it
 * off gives the input back bit for bit once the 10 ms crossfade is over. */
static void test_oscillator_replaces_input(void **state)
{
	(void)state;
	LatheEngine *e = engine(NULL, NULL);
	console(e, "/oscillator/mode", "sine");
	lathe_engine_snap(e);
	int n = 48000, d = lathe_engine_latency(e);
	Run r = run_new(n);
	fill_pink(r.in, 0, n, 11);
	process(e, &r, 0, n / 2, 64);
	/* The neutral chain passes the tone untouched: peak -18 dBFS (a sample
	 * of a 1 kHz sine at 48 kHz is within 0.004 dB of its peak). */
	for (int ch = 0; ch < 2; ch++)
		assert_float_equal(test_db(test_peak(r.out[ch] + d, n / 2 - d)), -18.0, 0.01);
	console(e, "/oscillator/mode", "off");
	process(e, &r, n / 2, n, 64);
	int back = n / 2 + d + 480; /* after the latency and the fade */
	for (int ch = 0; ch < 2; ch++)
		assert_true(same(r.out[ch] + back, r.in[ch] + back - d, n - back));
	/* The crossfade itself is smooth: no step above pink noise's own. */
	assert_true(max_step(r.out[0], n / 2 + d - 32, back) <= max_step(r.in[0], 0, n) * 1.01);
	run_free(&r);
	lathe_engine_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identical_chains_switch_bit_exact),
		cmocka_unit_test(test_oscillator_replaces_input),
		cmocka_unit_test(test_switch_is_a_crossfade),
		cmocka_unit_test(test_sources_are_aligned),
		cmocka_unit_test(test_loudness_match),
		cmocka_unit_test(test_print_unaffected_by_monitor),
		cmocka_unit_test(test_monitor_controls),
		cmocka_unit_test(test_block_size_invariance),
		cmocka_unit_test(test_meter_ring_slow_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
