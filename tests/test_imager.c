/* lathe tests — imager: width and bass-mono. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* fftw3.h first: included after complex.h it would make fftwf_complex
 * the C99 type instead of float[2]. */
#include <fftw3.h>
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"
#include "dsp/imager.h"
#include "module_rig.h"

static const LatheModuleClass *const cls = &lathe_imager_class;

#define RATE 48000.0
#define N 4096
/* Impulse responses: 2^16 samples (1.4 s) hold the LR4 at 40 Hz until it
 * has decayed below -200 dB; bins are 0.73 Hz apart. */
#define NIR 65536

static float l0[N], r0[N], l1[N], r1[N];

static void fill_noise(void)
{
	uint32_t seed = 7;
	rig_fill_noise(l0, l1, r0, r1, N, 1.0f, &seed);
}

static void test_transparent(void **state)
{
	(void)state;
	void *s = cls->create(RATE);
	cls->set(s, LATHE_IMAGER_WIDTH, 100.0f);
	cls->set(s, LATHE_IMAGER_BASS_MONO, 0.0f);
	cls->set(s, LATHE_IMAGER_BASS_MONO_FREQ, 120.0f);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	assert_memory_equal(l0, l1, sizeof(l0));
	assert_memory_equal(r0, r1, sizeof(r0));
	assert_int_equal(cls->latency(s), 0);
	cls->destroy(s);
}

static void test_width_zero_is_mono(void **state)
{
	(void)state;
	void *s = cls->create(RATE);
	cls->set(s, LATHE_IMAGER_WIDTH, 0.0f);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	for (int i = 0; i < N; i++) {
		assert_true(l1[i] == r1[i]);
		assert_true(l1[i] == 0.5f * (l0[i] + r0[i]));
	}
	cls->destroy(s);
}

static void test_width_double(void **state)
{
	(void)state;
	void *s = cls->create(RATE);
	cls->set(s, LATHE_IMAGER_WIDTH, 200.0f);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	for (int i = 0; i < N; i++) {
		double m0 = 0.5 * (l0[i] + r0[i]), s0 = 0.5 * (l0[i] - r0[i]);
		double m1 = 0.5 * (l1[i] + r1[i]), s1 = 0.5 * (l1[i] - r1[i]);
		/* Float rounding of the M/S sums and the side product: a few
		 * ulp of the inputs (|x| < 1). */
		assert_true(fabs(m1 - m0) < 5e-7);
		assert_true(fabs(s1 - 2.0 * s0) < 5e-7);
	}
	cls->destroy(s);
}

/* Impulse responses of the bass-mono imager (width 100 %) to a hard-left
 * impulse: spectra of the outputs' mid and side and of the left output. */
static void bass_mono_spectra(double f, fftwf_complex *mid, fftwf_complex *side, fftwf_complex *left)
{
	void *s = cls->create(RATE);
	cls->set(s, LATHE_IMAGER_BASS_MONO, 1.0f);
	cls->set(s, LATHE_IMAGER_BASS_MONO_FREQ, (float)f);
	float *l = calloc(NIR, sizeof(float)), *r = calloc(NIR, sizeof(float));
	l[0] = 1.0f;
	rig_run_whole(cls, s, l, r, NIR);
	float *in = fftwf_malloc(NIR * sizeof(float));
	fftwf_complex *outs[3] = { mid, side, left };
	for (int k = 0; k < 3; k++) {
		fftwf_plan p = fftwf_plan_dft_r2c_1d(NIR, in, outs[k], FFTW_ESTIMATE);
		for (int i = 0; i < NIR; i++)
			in[i] = k == 0 ? 0.5f * (l[i] + r[i]) : k == 1 ? 0.5f * (l[i] - r[i]) : l[i];
		fftwf_execute(p);
		fftwf_destroy_plan(p);
	}
	fftwf_free(in);
	free(l);
	free(r);
	cls->destroy(s);
}

/* Frequency of the bin nearest f: analytic values are taken there. */
static double bin_freq(double f) { return round(f * NIR / RATE) * RATE / NIR; }

static double mag(const fftwf_complex *x, double f)
{
	int k = (int)lround(f * NIR / RATE);
	return hypot(x[k][0], x[k][1]);
}

/* Analytic responses of the LR4 split in double. */
static double complex section(const LatheBiquad *c, double f)
{
	double complex z1 = cexp(-I * 2.0 * M_PI * f / RATE);
	return (c->b0 + c->b1 * z1 + c->b2 * z1 * z1) / (1.0 + c->a1 * z1 + c->a2 * z1 * z1);
}

static void test_bass_mono_side(void **state)
{
	(void)state;
	size_t bytes = (NIR / 2 + 1) * sizeof(fftwf_complex);
	fftwf_complex *mid = fftwf_malloc(bytes), *side = fftwf_malloc(bytes), *left = fftwf_malloc(bytes);
	const double corners[] = { 40.0, 120.0, 300.0 };
	for (int ci = 0; ci < 3; ci++) {
		double fc = corners[ci];
		bass_mono_spectra(fc, mid, side, left);
		LatheBiquad hp = lathe_biquad_highpass(fc, M_SQRT1_2, RATE);
		LatheBiquad ap = lathe_biquad_allpass(fc, M_SQRT1_2, RATE);
		/* The input's side is 0.5 at every frequency. */
		/* One octave below the corner an LR4 high-pass is at
		 * 1 / (1 + 2^4) = -24.6 dB (24 dB/oct asymptote plus the knee);
		 * two octaves below, -48.2 dB. So: > 24 dB at f/2, > 30 dB at
		 * f/2.5 (analytic -31.9 dB) and > 45 dB at f/4. */
		assert_true(test_db(mag(side, fc / 2.0) / 0.5) < -24.0);
		assert_true(test_db(mag(side, fc / 2.5) / 0.5) < -30.0);
		assert_true(test_db(mag(side, fc / 4.0) / 0.5) < -45.0);
		for (double f0 = 10.0; f0 < 20000.0; f0 *= 1.12) {
			double f = bin_freq(f0);
			double complex h = section(&hp, f), a = section(&ap, f);
			double want_side = cabs(h * h);
			/* 0.05 dB against the analytic LR4, down to -60 dB (below
			 * that float rounding of the impulse response counts). */
			if (want_side > 1e-3)
				assert_true(fabs(test_db(mag(side, f) / 0.5) - test_db(want_side)) <
					    0.05);
			/* The mono sum is an all-pass: flat within 0.001 dB
			 * (float rounding). */
			assert_true(fabs(test_db(mag(mid, f) / 0.5)) < 0.001);
			/* Hard left: (AP + HP4) / 2, between -6.02 dB (mono) and
			 * 0 dB (untouched) with no notch or bump, and as analytic
			 * within 0.01 dB. */
			double ml = mag(left, f);
			assert_true(test_db(ml) > -6.03 && test_db(ml) < 0.001);
			assert_true(fabs(test_db(ml) - test_db(cabs(0.5 * (a + h * h)))) < 0.01);
		}
		/* Monotonic rise of the hard-left level from mono to full. */
		double prev = 0.0;
		for (double f = 5.0; f < 20000.0; f *= 1.05) {
			double ml = mag(left, f);
			/* 1e-5: float rounding between neighbouring bins. */
			assert_true(ml >= prev - 1e-5);
			prev = ml;
		}
	}
	fftwf_free(mid);
	fftwf_free(side);
	fftwf_free(left);
}

/* Settled (nothing glides or fades), the output is bit for bit the plain
 * per-sample form of imager.c's header: M and S in float, AP(M) and
 * HP(HP(S)) in double with the state flushed every LATHE_SUBBLOCK
 * frames, then M' +- w S' in float, non-finite replaced, and the input
 * itself wherever that sample is neutral. Calls of 32 and of 7 frames
 * (blocks that end inside a group of four). */
static void test_steady_exact(void **state)
{
	(void)state;
	const float widths[] = { 110.0f, 100.0f, 35.0f, 200.0f };
	for (int k = 0; k < 8; k++) {
		float width = widths[k % 4];
		int call = k < 4 ? LATHE_SUBBLOCK : 7;
		double fc = 100.0;
		void *s = cls->create(RATE);
		cls->set(s, LATHE_IMAGER_WIDTH, width);
		cls->set(s, LATHE_IMAGER_BASS_MONO, 1.0f);
		cls->set(s, LATHE_IMAGER_BASS_MONO_FREQ, (float)fc);
		fill_noise();
		/* Some silence (neutral samples) and a loud stretch. */
		for (int i = 1000; i < 1300; i++)
			l0[i] = l1[i] = r0[i] = r1[i] = 0.0f;
		for (int i = 2000; i < 2100; i++) {
			l0[i] = l1[i] = 3e38f;
			r0[i] = r1[i] = (i & 1) ? 3e38f : -3e38f;
		}
		for (int i = 0; i < N; i += call)
			cls->process(s, l1 + i, r1 + i, N - i < call ? N - i : call);
		LatheBiquad ap = lathe_biquad_allpass(fc, M_SQRT1_2, RATE);
		LatheBiquad hp = lathe_biquad_highpass(fc, M_SQRT1_2, RATE);
		LatheBiquadState a = { 0 }, h0 = { 0 }, h1 = { 0 };
		float w = width * 0.01f;
		for (int i = 0; i < N; i++) {
			float m = 0.5f * (l0[i] + r0[i]), d = 0.5f * (l0[i] - r0[i]);
			float fm = (float)rig_ref_tick(&ap, &a, m);
			float fs = (float)rig_ref_tick(&hp, &h1, rig_ref_tick(&hp, &h0, d));
			float ml = m + (fm - m), sl = d + (fs - d);
			float side = w * sl, el, er;
			if (w == 1.0f && ml == m && sl == d) {
				el = l0[i];
				er = r0[i];
			} else {
				el = isfinite(ml + side) ? ml + side : 0.0f;
				er = isfinite(ml - side) ? ml - side : 0.0f;
			}
			assert_memory_equal(&el, &l1[i], sizeof(float));
			assert_memory_equal(&er, &r1[i], sizeof(float));
			if ((i + 1) % LATHE_SUBBLOCK == 0) {
				lathe_biquad_flush(&a);
				lathe_biquad_flush(&h0);
				lathe_biquad_flush(&h1);
			}
		}
		cls->destroy(s);
	}
}

/* Switching bass-mono fades: on a 1 kHz tone (where the LR4 changes
 * nothing but phase) the level never drops during the switch by more
 * than the crossfade of two phase-shifted copies allows, and the output
 * has no step larger than the tone's own slope. */
static void test_bass_mono_switch_smooth(void **state)
{
	(void)state;
	int n = 9600;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	for (int i = 0; i < n; i++) {
		l[i] = 0.5f * (float)sin(2.0 * M_PI * 1000.0 * i / RATE);
		r[i] = 0.3f * (float)sin(2.0 * M_PI * 1000.0 * i / RATE + 1.0);
	}
	void *s = cls->create(RATE);
	rig_run_whole(cls, s, l, r, 4800);
	cls->set(s, LATHE_IMAGER_BASS_MONO, 1.0f);
	rig_run_whole(cls, s, l + 4800, r + 4800, n - 4800);
	/* Largest step of a 0.5 sine at 1 kHz: 0.5 * 2 pi 1000 / 48000 =
	 * 0.065; 10 % over for the crossfade's own slope. */
	double worst = 0;
	for (int i = 1; i < n; i++)
		worst = fmax(worst, fabs(l[i] - l[i - 1]));
	assert_true(worst < 0.072);
	free(l);
	free(r);
	cls->destroy(s);
}

/* Parameter change number ev (one every 1024 frames). */
static void change(void *s, int ev)
{
	switch (ev % 3) {
	case 0: cls->set(s, LATHE_IMAGER_BASS_MONO, (float)((ev / 3 + 1) % 2)); break;
	case 1: cls->set(s, LATHE_IMAGER_WIDTH, (float)(ev * 37 % 201)); break;
	default: cls->set(s, LATHE_IMAGER_BASS_MONO_FREQ, 40.0f + (float)(ev * 13 % 260)); break;
	}
}

/* Renders at 44.1 kHz with a parameter change every 1024 frames. */
static const RigRender changes = { &lathe_imager_class, 44100.0, NULL, 3, 1024, change };

static void test_split_invariance(void **state)
{
	(void)state;
	rig_render_split_invariance(&changes, 30000, 11, 1.0f);
}

static void test_nonfinite(void **state)
{
	(void)state;
	void *a = cls->create(RATE), *b = cls->create(RATE);
	void *both[2] = { a, b };
	for (int k = 0; k < 2; k++) {
		cls->set(both[k], LATHE_IMAGER_BASS_MONO, 1.0f);
		cls->set(both[k], LATHE_IMAGER_WIDTH, 150.0f);
	}
	fill_noise();
	rig_burst_as_silence(cls, a, b, l0, r0, l1, r1, N);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transparent),
		cmocka_unit_test(test_width_zero_is_mono),
		cmocka_unit_test(test_width_double),
		cmocka_unit_test(test_bass_mono_side),
		cmocka_unit_test(test_bass_mono_switch_smooth),
		cmocka_unit_test(test_steady_exact),
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_nonfinite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
