/* lathe — tests of the multiband compressor (src/dsp/multiband.c): the
 * crossover sums flat, a band's compression stays in its band, solo,
 * bypass, width, band-count changes, crossover glides, block-split
 * invariance and recovery from non-finite input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/dsp.h"
#include "dsp/multiband.h"
#include "module_rig.h"

#define SB LATHE_SUBBLOCK
#define BAND(b, k) LATHE_MB_BAND_PARAM(b, k)

static const LatheModuleClass *const K = &lathe_multiband_class;

/* ---- flat sum ----------------------------------------------------------- */

/* Magnitude response of the module in dB at bins of an impulse response of
 * n samples, into db[0..n/2]. */
static void response(void *m, int n, double *db)
{
	float *l = fftwf_malloc(sizeof(float) * n), *r = fftwf_malloc(sizeof(float) * n);
	fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
	fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, l, spec, FFTW_ESTIMATE);
	memset(l, 0, sizeof(float) * n);
	memset(r, 0, sizeof(float) * n);
	l[0] = r[0] = 1.0f;
	rig_run(K, m, l, r, n, SB, NULL);
	fftwf_execute(plan);
	for (int k = 0; k <= n / 2; k++)
		db[k] = 20.0 * log10(cabsf(spec[k]) + 1e-30); /* complex.h first: C99 complex */
	fftwf_destroy_plan(plan);
	fftwf_free(spec);
	fftwf_free(l);
	fftwf_free(r);
}

static void check_flat(void *m, double rate, const char *what)
{
	/* 32768 samples: the slowest part, a 30 Hz LR4 split with its
	 * all-passes (pole time constant 7.5 ms), has decayed far below float
	 * precision by then even at 192 kHz (0.17 s, 22 time constants). */
	enum { N = 32768 };
	double *db = malloc(sizeof(double) * (N / 2 + 1)), worst = 0.0;
	response(m, N, db);
	for (int k = 1; k <= N / 2; k++) {
		double f = k * rate / N;
		if (f < 20.0 || f > 20000.0)
			continue;
		worst = fmax(worst, fabs(db[k]));
	}
	print_message("%s at %.0f Hz: worst %.5f dB\n", what, rate, worst);
	/* ±0.05 dB: the brief's tolerance. The design is exact (LR4 sums to
	 * an all-pass by an algebraic identity kept by the bilinear
	 * transform); what is left is float rounding, around 1e-5 dB. */
	assert_true(worst <= 0.05);
	free(db);
}

static void test_flat_sum(void **state)
{
	(void)state;
	static const double rates[] = { 44100.0, 48000.0, 96000.0, 192000.0 };
	for (int ri = 0; ri < 4; ri++)
		for (int nb = 2; nb <= 5; nb++) {
			char what[64];
			snprintf(what, sizeof what, "%d bands, default crossovers", nb);
			void *m = rig_make_at_rest(K, rates[ri], LATHE_MB_BANDS, (double)nb, -1);
			check_flat(m, rates[ri], what);
			K->destroy(m);
			/* Extreme and out-of-order crossovers: flat all the same. */
			snprintf(what, sizeof what, "%d bands, crossovers out of order", nb);
			m = rig_make_at_rest(K, rates[ri], LATHE_MB_BANDS, (double)nb,
					     LATHE_MB_XOVER1, 16000.0, LATHE_MB_XOVER2, 30.0,
					     LATHE_MB_XOVER3, 31.0, LATHE_MB_XOVER4, 200.0, -1);
			check_flat(m, rates[ri], what);
			K->destroy(m);
		}
}

/* ---- band behaviour ------------------------------------------------------ */

enum { TN = 96000, TFROM = 48000, TLEN = 48000 }; /* 2 s at 48 kHz; measure the last 1 s */

/* Three tones, 60 Hz, 2 kHz and 20 kHz (band 1, 3 and 4 of the default
 * four, each at least two octaves from the edges of band 3), through a
 * module; their level changes in dB into d[3]. l and r carry l_sign and
 * r_sign times the tones. */
static void three_tones(void *m, double sign_r, double *d)
{
	const double rate = 48000.0, f[3] = { 60.0, 2000.0, 20000.0 };
	float *l = calloc(TN, sizeof *l), *r = calloc(TN, sizeof *r);
	for (int k = 0; k < 3; k++)
		rig_add_tone(l, TN, f[k], -10.0, rate);
	for (int i = 0; i < TN; i++)
		r[i] = (float)(sign_r * l[i]);
	rig_run(K, m, l, r, TN, SB, NULL);
	for (int k = 0; k < 3; k++)
		d[k] = rig_tone_db(l, TFROM, TLEN, f[k], rate) + 10.0;
	free(l);
	free(r);
}

/* Compressing band 3 (800 Hz to 5 kHz) turns down the tone in it and
 * leaves tones two octaves and more away alone. */
static void test_band_compression(void **state)
{
	(void)state;
	double d[3];
	void *m = rig_make_at_rest(K, 48000.0, BAND(2, LATHE_MB_BAND_THRESHOLD), -40.0,
				   BAND(2, LATHE_MB_BAND_RATIO), 10.0, -1);
	three_tones(m, 1.0, d);
	print_message("band 3 compressed: 60 Hz %+.3f dB, 2 kHz %+.3f dB, 20 kHz %+.3f dB\n", d[0],
		      d[1], d[2]);
	/* -10 dBFS (slightly less in the band: the crossover passes 95 % of
	 * the tone there) 30 dB over -40 at 10:1: about 26 dB down. */
	assert_true(d[1] < -20.0);
	/* Leaks into band 3: (60/800)^4 (-90 dB) and (5/20)^4 (-48 dB), in
	 * phase with the sum (LR4): at most 0.034 dB. */
	assert_true(fabs(d[0]) < 0.01);
	assert_true(fabs(d[2]) < 0.05);
	float gr[LATHE_MAX_GR];
	assert_int_equal(K->gain_reduction(m, gr), 4);
	assert_true(gr[2] > 20.0f && gr[0] == 0.0f && gr[1] < 0.1f && gr[3] < 0.1f);
	K->destroy(m);
}

/* Bypass passes the band untouched, solo leaves only the soloed band,
 * makeup raises its band, and width 0 % removes the band's side. */
static void test_band_controls(void **state)
{
	(void)state;
	double d[3];
	void *m = rig_make_at_rest(K, 48000.0, BAND(2, LATHE_MB_BAND_THRESHOLD), -40.0,
				   BAND(2, LATHE_MB_BAND_RATIO), 10.0,
				   BAND(2, LATHE_MB_BAND_MAKEUP), 6.0,
				   BAND(2, LATHE_MB_BAND_BYPASS), 1.0, -1);
	three_tones(m, 1.0, d);
	/* Bypassed: neutral, so the sum is flat (float rounding). */
	for (int k = 0; k < 3; k++)
		assert_true(fabs(d[k]) < 0.01);
	K->destroy(m);

	m = rig_make_at_rest(K, 48000.0, BAND(2, LATHE_MB_BAND_MAKEUP), 6.0, -1);
	three_tones(m, 1.0, d);
	print_message("band 3 makeup +6 dB: %+.3f %+.3f %+.3f\n", d[0], d[1], d[2]);
	assert_true(fabs(d[1] - 6.0) < 0.3); /* 95 % of the tone is in the band */
	assert_true(fabs(d[0]) < 0.01 && fabs(d[2]) < 0.05);
	K->destroy(m);

	m = rig_make_at_rest(K, 48000.0, BAND(0, LATHE_MB_BAND_SOLO), 1.0, -1);
	three_tones(m, 1.0, d);
	print_message("band 1 solo: %+.3f %+.3f %+.3f\n", d[0], d[1], d[2]);
	/* 60 Hz is in band 1, whose LR4 low-pass passes 1/(1 + (60/120)^4):
	 * -0.527 dB; the others leak into band 1 by (120/2000)^4 and less,
	 * below -90 dB. 0.01 dB: the correlation's leak from the other
	 * tones over one second. */
	assert_true(fabs(d[0] - 20.0 * log10(1.0 / (1.0 + pow(60.0 / 120.0, 4.0)))) < 0.01);
	assert_true(d[1] < -80.0 && d[2] < -80.0);
	K->destroy(m);

	/* Width 0 % on band 3 with the tones in antiphase (all side): the
	 * 2 kHz tone goes, the others stay. */
	m = rig_make_at_rest(K, 48000.0, BAND(2, LATHE_MB_BAND_WIDTH), 0.0, -1);
	three_tones(m, -1.0, d);
	print_message("band 3 width 0, side signal: %+.3f %+.3f %+.3f\n", d[0], d[1], d[2]);
	assert_true(d[1] < -20.0); /* 95 % of it is in band 3 */
	assert_true(fabs(d[0]) < 0.01 && fabs(d[2]) < 0.05);
	K->destroy(m);
}

/* A switch (solo, bypass, band count) on a steady signal: the output moves
 * away from the unswitched output gradually; after the transition it is
 * what a module set that way from the start gives (within float noise). */
static void check_switch(int param, float v, int delay, const char *what)
{
	const double rate = 48000.0;
	enum { N = 48000, AT = 9600 };
	float *l[3], *r[3];
	for (int k = 0; k < 3; k++) {
		l[k] = calloc(N, sizeof *l[k]);
		r[k] = calloc(N, sizeof *r[k]);
		rig_add_tone(l[k], N, 100.0, -12.0, rate);
		rig_add_tone(l[k], N, 1000.0, -12.0, rate);
		rig_add_tone(l[k], N, 8000.0, -12.0, rate);
		memcpy(r[k], l[k], N * sizeof *r[k]);
	}
	for (int k = 0; k < 3; k++) {
		void *m = rig_make_at_rest(K, rate, BAND(1, LATHE_MB_BAND_THRESHOLD), -30.0,
					   BAND(1, LATHE_MB_BAND_RATIO), 4.0, -1);
		if (k == 2)
			K->set(m, param, v);
		if (k == 2)
			K->reset(m);
		rig_run(K, m, l[k], r[k], AT, SB, NULL);
		if (k == 1)
			K->set(m, param, v);
		rig_run(K, m, l[k] + AT, r[k] + AT, N - AT, SB, NULL);
		K->destroy(m);
	}
	int at = AT + delay;
	for (int i = AT; i < at; i++)
		assert_true(l[1][i] == l[0][i]);
	double seg[12];
	for (int s = 0; s < 12; s++) {
		double mx = 0.0;
		for (int i = at + s * 48; i < at + (s + 1) * 48; i++)
			mx = fmax(mx, fabs(l[1][i] - l[0][i]));
		seg[s] = mx;
	}
	double after = 0.0;
	for (int i = N - 4800; i < N; i++)
		after = fmax(after, fabs(l[1][i] - l[2][i]));
	print_message("%s: first ms %.5f, after the fade %.5f, then off the target by %.2e\n", what,
		      seg[0], seg[11], after);
	assert_true(seg[11] > 1e-3);            /* it changes the output */
	assert_true(seg[0] < 0.25 * seg[11]);   /* gradually (linear: 1/10) */
	/* Settled on the new setting: the band envelopes (150 ms release)
	 * have had 0.6 s; 1e-4 is -80 dB of the -12 dBFS tones. */
	assert_true(after < 1e-4);
	for (int k = 0; k < 3; k++) {
		free(l[k]);
		free(r[k]);
	}
}

static void test_switches_fade(void **state)
{
	(void)state;
	check_switch(BAND(2, LATHE_MB_BAND_SOLO), 1.0f, 0, "solo band 3");
	check_switch(BAND(1, LATHE_MB_BAND_BYPASS), 1.0f, 0, "bypass band 2");
	check_switch(LATHE_MB_BANDS, 3.0f, 0, "4 to 3 bands");
	/* 4 to 5 bands: the new split at 12 kHz first warms up for ten time
	 * constants of its poles (multiband.c), 2.25 / 12 kHz. */
	check_switch(LATHE_MB_BANDS, 5.0f, (int)ceil(2.25 / 12000.0 * 48000.0), "4 to 5 bands");
}

/* Any band count reached through any sequence of changes sums flat. */
static void test_band_count_sequence(void **state)
{
	(void)state;
	const double rate = 48000.0;
	void *m = rig_make_at_rest(K, rate, -1);
	float l[SB] = { 0 }, r[SB] = { 0 };
	static const int counts[] = { 2, 5, 3, 3, 4, 2, 5 };
	for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
		K->set(m, LATHE_MB_BANDS, (float)counts[c]);
		/* Quick changes: the next arrives mid-transition. */
		for (int b = 0; b < 3; b++)
			K->process(m, l, r, SB);
	}
	/* Let the queue of transitions run out (at most 7 x 90 ms). */
	for (int b = 0; b < 48000 / SB; b++)
		K->process(m, l, r, SB);
	float gr[LATHE_MAX_GR];
	assert_int_equal(K->gain_reduction(m, gr), 5);
	check_flat(m, rate, "after a sequence of band counts");
	K->destroy(m);
}

/* ---- invariance and robustness -------------------------------------------- */

static void program(float *l, float *r, int n, double rate)
{
	rig_bursts(l, r, n, rate, 90.0, 2500.0);
}

static const RigChange changes[] = {
	{ 0, BAND(0, LATHE_MB_BAND_RATIO), 4.0f },       { 0, BAND(1, LATHE_MB_BAND_RATIO), 3.0f },
	{ 0, BAND(2, LATHE_MB_BAND_RATIO), 2.0f },       { 0, BAND(3, LATHE_MB_BAND_RATIO), 8.0f },
	{ 0, BAND(1, LATHE_MB_BAND_ATTACK), 1.0f },      { 64, BAND(1, LATHE_MB_BAND_THRESHOLD), -30.0f },
	{ 96, BAND(1, LATHE_MB_BAND_THRESHOLD), -31.0f }, { 128, LATHE_MB_XOVER1, 130.0f },
	{ 160, LATHE_MB_XOVER1, 140.0f },                { 192, BAND(0, LATHE_MB_BAND_MAKEUP), 2.0f },
	{ 224, BAND(3, LATHE_MB_BAND_WIDTH), 150.0f },   { 3200, LATHE_MB_BANDS, 5.0f },
	{ 3232, BAND(4, LATHE_MB_BAND_RATIO), 3.0f },    { 6400, BAND(1, LATHE_MB_BAND_SOLO), 1.0f },
	{ 7040, BAND(2, LATHE_MB_BAND_SOLO), 1.0f },     { 9600, BAND(1, LATHE_MB_BAND_SOLO), 0.0f },
	{ 9600, BAND(2, LATHE_MB_BAND_SOLO), 0.0f },     { 9632, BAND(0, LATHE_MB_BAND_BYPASS), 1.0f },
	{ 12800, LATHE_MB_BANDS, 2.0f },                 { 12832, LATHE_MB_BANDS, 3.0f },
	{ 16000, LATHE_MB_XOVER2, 300.0f },              { 19200, BAND(0, LATHE_MB_BAND_BYPASS), 0.0f },
};

/* Modules at the registry's defaults, at rest, through the program. */
static const RigProgram prog = { &lathe_multiband_class, true, program, changes,
				 sizeof changes / sizeof changes[0] };

static void test_block_split_invariance(void **state)
{
	(void)state;
	rig_program_split_invariance(&prog);
}

/* A crossover gliding over its whole range (30 Hz <-> 16 kHz in 50 ms, the
 * chain's set() once per sub-block with log-spaced values) moves its
 * coefficients without steps: a 100 Hz tone gets nothing above 8 kHz
 * (signals.h) within 80 dB of its peak. Stepping the coefficients once per
 * sub-block splattered -66 to -54 dB; ramping them leaves -102 to -91 dB
 * (the worst where the upward glide stops at 16 kHz). */
static void test_crossover_glide(void **state)
{
	(void)state;
	const double rate = 48000.0;
	enum { SETTLE = 24000, STEPS = 75, HOLD = 4800, N = SETTLE + 2 * (STEPS * SB + HOLD) };
	float *l = malloc(N * sizeof *l), *r = malloc(N * sizeof *r);
	float *hl = malloc(N * sizeof *hl), *hr = malloc(N * sizeof *hr);
	for (int x = LATHE_MB_XOVER1; x <= LATHE_MB_XOVER3; x++) {
		void *m = rig_make_at_rest(K, rate, -1);
		for (int i = 0; i < N; i++) {
			l[i] = (float)(0.25 * sin(2.0 * M_PI * 100.0 * i / rate));
			r[i] = (float)(0.2 * sin(2.0 * M_PI * 100.0 * i / rate + 0.5));
		}
		K->set(m, x, 30.0f);
		rig_run(K, m, l, r, SETTLE, 0, &(unsigned){ 7 });
		/* Up, hold, down, hold; one set() per sub-block. */
		int at = SETTLE;
		for (int dir = 0; dir < 2; dir++) {
			for (int j = 1; j <= STEPS; j++, at += SB) {
				int e = dir == 0 ? j : STEPS - j;
				K->set(m, x, (float)(30.0 * pow(16000.0 / 30.0, (double)e / STEPS)));
				rig_run(K, m, l + at, r + at, SB, 0, &(unsigned){ (unsigned)j });
			}
			rig_run(K, m, l + at, r + at, HOLD, SB, NULL);
			at += HOLD;
		}
		TestHighpass hpl, hpr;
		test_highpass_init(&hpl, rate);
		test_highpass_init(&hpr, rate);
		test_highpass(&hpl, l, hl, N);
		test_highpass(&hpr, r, hr, N);
		double peak = fmax(test_peak(l + SETTLE, N - SETTLE), test_peak(r + SETTLE, N - SETTLE));
		double hf = fmax(test_peak(hl + SETTLE, N - SETTLE), test_peak(hr + SETTLE, N - SETTLE));
		print_message("xover%d glide: %.1f dB above 8 kHz (re peak)\n", x - LATHE_MB_XOVER1 + 1,
			      test_db(hf / peak));
		assert_true(hf <= pow(10.0, -80.0 / 20.0) * peak);
		K->destroy(m);
	}
	free(l), free(r), free(hl), free(hr);
}

/* NaN, Inf and fault-sized samples act exactly like silence. */
static void test_non_finite(void **state)
{
	(void)state;
	rig_program_non_finite(&prog);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_sum),
		cmocka_unit_test(test_band_compression),
		cmocka_unit_test(test_band_controls),
		cmocka_unit_test(test_switches_fade),
		cmocka_unit_test(test_band_count_sequence),
		cmocka_unit_test(test_crossover_glide),
		cmocka_unit_test(test_block_split_invariance),
		cmocka_unit_test(test_non_finite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
