/* lathe — the chain: neutral transparency, latency, block-size invariance,
 * click-free glides, enables and reordering, NaN safety. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "chain.h"
#include "session.h"
#include "signals.h"

static const double rates[] = { 44100.0, 48000.0, 96000.0 };

static void set_text(LatheSettings *s, const char *path, const char *value)
{
	bool clamped;
	char err[256];
	if (!lathe_settings_assign(s, path, value, &clamped, err, sizeof(err)))
		fail_msg("%s", err);
}

static void load_full(LatheSettings *s)
{
	char err[256];
	if (!lathe_preset_load("share/presets/full.preset", s, NULL, err, sizeof(err)))
		fail_msg("%s", err);
}

static LatheChain *chain_with(const LatheSettings *s, double rate)
{
	LatheChain *c = lathe_chain_new(rate);
	assert_non_null(c);
	lathe_chain_apply(c, s);
	lathe_chain_maintain(c, s->value);
	lathe_chain_snap(c);
	return c;
}

/* Process n frames in blocks of `block` (the host's period size). */
static void run(LatheChain *c, const float *il, const float *ir, float *ol, float *or_, int n,
		int block)
{
	for (int i = 0; i < n; i += block) {
		int len = n - i < block ? n - i : block;
		lathe_chain_process(c, il + i, ir + i, ol + i, or_ + i, len);
	}
}

/* Program-like test input: pink noise with two sines on top, different on
 * each side, about -17 dBFS RMS and peaking near -5 dBFS, so that a limiter
 * with a 0 dBTP ceiling has nothing to do. */
static void program(float *l, float *r, int n, double rate)
{
	TestPink pl = { .seed = 1 }, pr = { .seed = 2 };
	for (int i = 0; i < n; i++) {
		double t = i / rate;
		l[i] = 0.5f * test_pink(&pl) + 0.2f * (float)sin(2 * M_PI * 997.0 * t);
		r[i] = 0.5f * test_pink(&pr) + 0.2f * (float)sin(2 * M_PI * 61.0 * t + 1.0);
	}
}

/* Null test: out[i + latency] against in[i]; returns the worst in dBFS. */
static double null_db(const LatheSettings *s, double rate)
{
	int n = (int)rate; /* one second */
	float *il = malloc(n * sizeof(float)), *ir = malloc(n * sizeof(float));
	float *ol = malloc(n * sizeof(float)), *or_ = malloc(n * sizeof(float));
	program(il, ir, n, rate);
	LatheChain *c = chain_with(s, rate);
	int lat = lathe_chain_latency(c);
	assert_true(lat < n / 2);
	run(c, il, ir, ol, or_, n, 256);
	double worst = fmax(test_peak_diff(ol + lat, il, n - lat), test_peak_diff(or_ + lat, ir, n - lat));
	lathe_chain_free(c);
	free(il), free(ir), free(ol), free(or_);
	return test_db(worst);
}

/* The default chain is a pure delay of its reported latency. */
static void test_default_is_transparent(void **state)
{
	(void)state;
	LatheSettings s;
	lathe_settings_default(&s);
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		double db = null_db(&s, rates[k]);
		/* -120 dBFS: the bound; in practice the chain is bit-exact. */
		assert_true(db <= -120.0);
	}
}

/* Modules switched in at neutral values are transparent too. Left out by
 * design: multiband (its crossovers sum to an all-pass: flat magnitude,
 * not identity; test_multiband checks the flatness) and dither (it adds
 * the noise it exists to add). */
static void test_neutral_modules_null(void **state)
{
	(void)state;
	LatheSettings s;
	lathe_settings_default(&s);
	const char *on[] = { "/input/enable", "/eq/enable", "/comp/enable", "/deesser/enable",
			     "/saturate/enable", "/imager/enable", "/limiter/enable" };
	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		set_text(&s, on[i], "on");
	for (int b = 2; b <= 7; b++) { /* shelves and bells at 0 dB */
		char path[32];
		snprintf(path, sizeof(path), "/eq/%d/enable", b);
		set_text(&s, path, "on");
	}
	set_text(&s, "/comp/ratio", "1");
	set_text(&s, "/deesser/range", "0");
	set_text(&s, "/saturate/mix", "0");
	set_text(&s, "/limiter/ceiling", "0");
	for (size_t k = 0; k < sizeof(rates) / sizeof(rates[0]); k++) {
		double db = null_db(&s, rates[k]);
		print_message("neutral modules at %.0f Hz: null %.1f dBFS\n", rates[k], db);
		assert_true(db <= -120.0);
	}
	/* Linear-phase EQ: the FFT convolution of a unit kernel. */
	set_text(&s, "/eq/mode", "linear-phase");
	double db = null_db(&s, 48000.0);
	print_message("neutral linear-phase EQ at 48000 Hz: null %.1f dBFS\n", db);
	assert_true(db <= -120.0);
}

/* Latency is the sum of the modules' and does not change when a module is
 * switched off (its dry path delays by the same amount). */
static void test_latency_constant_across_enables(void **state)
{
	(void)state;
	LatheSettings s;
	load_full(&s);
	LatheChain *c = chain_with(&s, 48000.0);
	int full = lathe_chain_latency(c);
	assert_true(full > 0);
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		int id = lathe_module_first_param((LatheModuleId)m);
		lathe_chain_set(c, id, 0.0f);
		assert_int_equal(lathe_chain_latency(c), full);
	}
	lathe_chain_free(c);
}

/* The host's period size changes nothing: glides and fades step on
 * absolute sub-block boundaries, so the output is bit-identical. */
static void test_block_size_invariance(void **state)
{
	(void)state;
	LatheSettings s;
	load_full(&s);
	int n = 96000;
	float *il = malloc(n * sizeof(float)), *ir = malloc(n * sizeof(float));
	float *out[3][2];
	program(il, ir, n, 48000.0);
	const int blocks[3] = { 1, 64, 1000 };
	for (int b = 0; b < 3; b++) {
		out[b][0] = malloc(n * sizeof(float));
		out[b][1] = malloc(n * sizeof(float));
		LatheChain *c = chain_with(&s, 48000.0);
		/* A parameter change mid-stream, at the same sample each time. */
		run(c, il, ir, out[b][0], out[b][1], n / 2, blocks[b]);
		lathe_chain_set(c, lathe_param_find("/eq/3/gain"), 4.0f);
		run(c, il + n / 2, ir + n / 2, out[b][0] + n / 2, out[b][1] + n / 2, n / 2, blocks[b]);
		lathe_chain_free(c);
	}
	for (int b = 1; b < 3; b++) {
		assert_memory_equal(out[0][0], out[b][0], n * sizeof(float));
		assert_memory_equal(out[0][1], out[b][1], n * sizeof(float));
	}
	for (int b = 0; b < 3; b++)
		free(out[b][0]), free(out[b][1]);
	free(il), free(ir);
}

/* --- click tests ---------------------------------------------------------
 * One module runs, in the working state full.preset gives it, on a 100 Hz
 * tone. (One at a time: in the whole chain, a 48 dB jump of the input trim
 * makes the limiter clamp down within its lookahead, and that is the
 * limiter working, not a click of the trim.) A change is made; the
 * high-passed output (above 8 kHz, see signals.h) during the change must
 * not exceed twice what it is in the steady states before and after, plus
 * a floor: -60 dB below the output's peak (a step of just 0.1 % of the
 * signal, the smallest discontinuity worth calling a click, already reaches
 * it; what a fast glide's gain modulation splatters stays below), and never
 * less than -90 dBFS, below which nothing is audible at any sane gain.
 * Twice, not equal: a glide passes through intermediate settings whose own
 * harmonics may be a little stronger than either end's. */
#define CLICK_FLOOR 3.2e-5    /* -90 dBFS */
#define CLICK_RELATIVE 1e-3   /* -60 dB */

static int clicks; /* changes that clicked: all are listed before failing */

typedef struct {
	LatheChain *c;
	double rate;
	long pos;      /* tone phase, in frames */
	TestHighpass hpl, hpr;
	double peak;   /* of the output over the last measured stretch */
	float l[48000], r[48000], hl[48000], hr[48000];
} Rig;

/* Run `frames` of the tone; return the high-passed peak over the last
 * `measure` frames. */
static double rig_run(Rig *g, int frames, int measure)
{
	assert_true(frames <= 48000 && measure <= frames);
	for (int i = 0; i < frames; i++, g->pos++) {
		double t = g->pos / g->rate;
		g->l[i] = 0.25f * (float)sin(2 * M_PI * 100.0 * t);
		g->r[i] = 0.2f * (float)sin(2 * M_PI * 100.0 * t + 0.5);
	}
	lathe_chain_process(g->c, g->l, g->r, g->l, g->r, frames);
	test_highpass(&g->hpl, g->l, g->hl, frames);
	test_highpass(&g->hpr, g->r, g->hr, frames);
	int from = frames - measure;
	g->peak = fmax(test_peak(g->l + from, measure), test_peak(g->r + from, measure));
	return fmax(test_peak(g->hl + from, measure), test_peak(g->hr + from, measure));
}

static Rig *rig_with(const LatheSettings *s)
{
	Rig *g = calloc(1, sizeof(*g));
	g->rate = 48000.0;
	g->c = chain_with(s, g->rate);
	test_highpass_init(&g->hpl, g->rate);
	test_highpass_init(&g->hpr, g->rate);
	rig_run(g, 24000, 1);
	return g;
}

/* full.preset with only `module` switched on. */
static Rig *rig_for(LatheModuleId module)
{
	LatheSettings s;
	load_full(&s);
	for (int m = 0; m < LATHE_MODULE_COUNT; m++)
		if (m != (int)module)
			s.value[lathe_module_first_param((LatheModuleId)m)] = 0.0f;
	return rig_with(&s);
}

/* Make a change; check the transition against the steady states. */
static void check_change(Rig *g, int id, float value, const char *what)
{
	double before = rig_run(g, 14400, 9600), peak_before = g->peak;
	lathe_chain_set(g->c, id, value);
	double during = rig_run(g, 9600, 9600); /* 200 ms: every glide and fade (<= 60 ms) */
	double after = rig_run(g, 24000, 9600);
	double floor = fmax(CLICK_FLOOR, CLICK_RELATIVE * fmax(peak_before, g->peak));
	double bound = 2.0 * fmax(before, after) + floor;
	if (during > bound) {
		print_error("%s: click: %.1f dBFS above 8 kHz during the change, %.1f before, "
			    "%.1f after (bound %.1f)\n", what, test_db(during), test_db(before),
			    test_db(after), test_db(bound));
		clicks++;
	}
}

static void rig_free(Rig *g)
{
	lathe_chain_free(g->c);
	free(g);
}

static void test_full_range_jumps_do_not_click(void **state)
{
	(void)state;
	clicks = 0;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		if (m == LATHE_MODULE_DITHER) /* its noise is the floor; its values are steps */
			continue;
		Rig *g = rig_for((LatheModuleId)m);
		int first = lathe_module_first_param((LatheModuleId)m);
		for (int id = first + 1; id < first + lathe_module_classes[m]->n_params; id++) {
			const LatheParam *p = &lathe_params[id];
			float original = lathe_chain_get(g->c, id);
			char what[96];
			snprintf(what, sizeof(what), "%s -> %g", p->path, (double)p->max);
			lathe_chain_set(g->c, id, p->min);
			rig_run(g, 24000, 1);
			check_change(g, id, p->max, what);
			snprintf(what, sizeof(what), "%s -> %g", p->path, (double)p->min);
			check_change(g, id, p->min, what);
			lathe_chain_set(g->c, id, original);
			rig_run(g, 24000, 1);
		}
		rig_free(g);
	}
	assert_int_equal(clicks, 0);
}

static void test_enables_do_not_click(void **state)
{
	(void)state;
	clicks = 0;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		if (m == LATHE_MODULE_DITHER)
			continue;
		Rig *g = rig_for((LatheModuleId)m);
		int id = lathe_module_first_param((LatheModuleId)m);
		char what[64];
		snprintf(what, sizeof(what), "%s off", lathe_module_classes[m]->name);
		check_change(g, id, 0.0f, what);
		snprintf(what, sizeof(what), "%s on", lathe_module_classes[m]->name);
		check_change(g, id, 1.0f, what);
		rig_free(g);
	}
	assert_int_equal(clicks, 0);
}

/* Reordering dips instead of clicking, and then the chain runs in the new
 * order: its output converges on a chain built in that order. Modules with
 * long memories (dynamics) are left off so that convergence is quick. */
static void test_reorder(void **state)
{
	(void)state;
	LatheSettings s;
	lathe_settings_default(&s);
	set_text(&s, "/eq/enable", "on");
	set_text(&s, "/eq/3/enable", "on");
	set_text(&s, "/eq/3/gain", "9");
	set_text(&s, "/saturate/enable", "on");
	set_text(&s, "/saturate/drive", "18");
	LatheSettings swapped = s;
	swapped.order[1] = LATHE_MODULE_SATURATE; /* saturate before eq */
	swapped.order[5] = LATHE_MODULE_EQ;

	Rig *g = rig_with(&s);
	double before = rig_run(g, 9600, 9600), peak = g->peak;
	assert_true(lathe_chain_set_order(g->c, swapped.order));
	double during = rig_run(g, 9600, 9600);
	double after = rig_run(g, 24000, 9600);
	print_message("reorder: %.1f dBFS above 8 kHz during, %.1f before, %.1f after\n",
		      test_db(during), test_db(before), test_db(after));
	assert_true(during <= 2.0 * fmax(before, after) + fmax(CLICK_FLOOR, CLICK_RELATIVE * peak));

	/* A chain built in the new order, fed the same tone from the start. */
	Rig *h = rig_with(&swapped);
	while (h->pos < g->pos)
		rig_run(h, (int)(g->pos - h->pos < 24000 ? g->pos - h->pos : 24000), 1);
	rig_run(g, 4800, 1);
	rig_run(h, 4800, 1);
	/* 1e-5 (-100 dBFS): float rounding; both run the same code on the same input. */
	assert_true(test_peak_diff(g->l, h->l, 4800) < 1e-5);

	LatheModuleId bad[LATHE_MODULE_COUNT];
	memcpy(bad, swapped.order, sizeof(bad));
	bad[0] = bad[1];
	assert_false(lathe_chain_set_order(g->c, bad));
	rig_free(g);
	rig_free(h);
}

/* NaN and Inf at the input: the output stays finite, and once the bad
 * samples are past, the chain is exactly where it would be had they been
 * silence. */
static void test_nan_input(void **state)
{
	(void)state;
	LatheSettings s;
	load_full(&s);
	int n = 96000;
	float *il = malloc(n * sizeof(float)), *ir = malloc(n * sizeof(float));
	float *zl = malloc(n * sizeof(float)), *zr = malloc(n * sizeof(float));
	float *ol = malloc(n * sizeof(float)), *or_ = malloc(n * sizeof(float));
	float *rl = malloc(n * sizeof(float)), *rr = malloc(n * sizeof(float));
	program(il, ir, n, 48000.0);
	memcpy(zl, il, n * sizeof(float));
	memcpy(zr, ir, n * sizeof(float));
	for (int i = 1000; i < 1500; i++) {
		il[i] = (i % 3 == 0) ? NAN : (i % 3 == 1) ? INFINITY : -INFINITY;
		ir[i] = NAN;
		zl[i] = zr[i] = 0.0f;
	}
	LatheChain *c = chain_with(&s, 48000.0), *ref = chain_with(&s, 48000.0);
	run(c, il, ir, ol, or_, n, 256);
	run(ref, zl, zr, rl, rr, n, 256);
	for (int i = 0; i < n; i++)
		assert_true(isfinite(ol[i]) && isfinite(or_[i]));
	/* After one second, identical to the reference. */
	assert_true(test_peak_diff(ol + 48000, rl + 48000, n - 48000) == 0.0);
	lathe_chain_free(c);
	lathe_chain_free(ref);
	free(il), free(ir), free(zl), free(zr), free(ol), free(or_), free(rl), free(rr);
}

/* Dynamics modules report their gain reduction through the chain. */
static void test_gain_reduction_reported(void **state)
{
	(void)state;
	LatheSettings s;
	load_full(&s);
	set_text(&s, "/limiter/input_gain", "12");
	LatheChain *c = chain_with(&s, 48000.0);
	int n = 48000;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	program(l, r, n, 48000.0);
	run(c, l, r, l, r, n, 512);
	float gr[LATHE_MAX_GR];
	assert_int_equal(lathe_chain_gain_reduction(c, LATHE_MODULE_LIMITER, gr), 1);
	assert_true(gr[0] > 1.0f); /* +12 dB into a -1 dBTP ceiling: several dB */
	assert_int_equal(lathe_chain_gain_reduction(c, LATHE_MODULE_COMP, gr), 1);
	assert_true(gr[0] > 0.0f);
	assert_int_equal(lathe_chain_gain_reduction(c, LATHE_MODULE_MULTIBAND, gr), 4);
	assert_int_equal(lathe_chain_gain_reduction(c, LATHE_MODULE_EQ, gr), 0);
	lathe_chain_free(c);
	free(l), free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_transparent),
		cmocka_unit_test(test_neutral_modules_null),
		cmocka_unit_test(test_latency_constant_across_enables),
		cmocka_unit_test(test_block_size_invariance),
		cmocka_unit_test(test_full_range_jumps_do_not_click),
		cmocka_unit_test(test_enables_do_not_click),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_nan_input),
		cmocka_unit_test(test_gain_reduction_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
