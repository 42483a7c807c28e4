/* lathe tests — input stage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"
#include "dsp/input.h"
#include "module_rig.h"

static const LatheModuleClass *const cls = &lathe_input_class;

#define RATE 48000.0
#define N 4096

/* The tests below change settings from their defaults before audio
 * (rig_make), so that they apply at once, as when the chain sets up a
 * module. */

static float l0[N], r0[N], l1[N], r1[N];

static void fill_noise(void)
{
	uint32_t seed = 99;
	rig_fill_noise(l0, l1, r0, r1, N, 1.0f, &seed);
}

/* Float rounding of one product and one sum: 2 ulp relative to the
 * larger input. */
#define EXACT_TOL 2.4e-7

static void expect_matrix(float m00, float m01, float m10, float m11)
{
	for (int i = 0; i < N; i++) {
		double el = (double)m00 * l0[i] + (double)m01 * r0[i];
		double er = (double)m10 * l0[i] + (double)m11 * r0[i];
		double scale = fmax(fabs(l0[i]), fabs(r0[i])) * 2.0;
		assert_true(fabs(l1[i] - el) <= EXACT_TOL * scale);
		assert_true(fabs(r1[i] - er) <= EXACT_TOL * scale);
	}
}

static void test_transparent(void **state)
{
	(void)state;
	void *s = rig_make(cls, RATE, -1);
	/* Set every default explicitly, as the chain does. */
	cls->set(s, LATHE_INPUT_TRIM, 0.0f);
	cls->set(s, LATHE_INPUT_BALANCE, 0.0f);
	cls->set(s, LATHE_INPUT_POLARITY_L, 0.0f);
	cls->set(s, LATHE_INPUT_POLARITY_R, 0.0f);
	cls->set(s, LATHE_INPUT_SWAP, 0.0f);
	cls->set(s, LATHE_INPUT_MS_BALANCE, 0.0f);
	cls->set(s, LATHE_INPUT_HPF, 0.0f);
	cls->set(s, LATHE_INPUT_HPF_FREQ, 20.0f);
	cls->set(s, LATHE_INPUT_HPF_SLOPE, 1.0f);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	assert_memory_equal(l0, l1, sizeof(l0));
	assert_memory_equal(r0, r1, sizeof(r0));
	assert_int_equal(cls->latency(s), 0);
	cls->destroy(s);
}

static void test_trim(void **state)
{
	(void)state;
	void *s = rig_make(cls, RATE, LATHE_INPUT_TRIM, 6.0, -1);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	float g = (float)pow(10.0, 6.0 / 20.0);
	expect_matrix(g, 0, 0, g);
	cls->destroy(s);
}

static void test_balance(void **state)
{
	(void)state;
	void *s = rig_make(cls, RATE, LATHE_INPUT_BALANCE, 6.0, -1);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	/* +6 dB: right up 3 dB, left down 3 dB. */
	expect_matrix((float)pow(10.0, -3.0 / 20.0), 0, 0, (float)pow(10.0, 3.0 / 20.0));
	cls->destroy(s);
}

static void test_polarity(void **state)
{
	(void)state;
	void *s = rig_make(cls, RATE, LATHE_INPUT_POLARITY_L, 1.0, -1);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	expect_matrix(-1, 0, 0, 1);
	cls->destroy(s);
	s = rig_make(cls, RATE, LATHE_INPUT_POLARITY_R, 1.0, -1);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	expect_matrix(1, 0, 0, -1);
	cls->destroy(s);
}

static void test_swap(void **state)
{
	(void)state;
	void *s = rig_make(cls, RATE, LATHE_INPUT_SWAP, 1.0, -1);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	assert_memory_equal(l1, r0, sizeof(l1));
	assert_memory_equal(r1, l0, sizeof(r1));
	cls->destroy(s);
}

static void test_ms_balance(void **state)
{
	(void)state;
	void *s = rig_make(cls, RATE, LATHE_INPUT_MS_BALANCE, 6.0, -1);
	fill_noise();
	rig_run_whole(cls, s, l1, r1, N);
	/* Mid up 3 dB, side down 3 dB: L = a L + b R with a, b the half
	 * sum and half difference of the two gains. */
	double gm = pow(10.0, 3.0 / 20.0), gs = pow(10.0, -3.0 / 20.0);
	float a = (float)(0.5 * (gm + gs)), b = (float)(0.5 * (gm - gs));
	expect_matrix(a, b, b, a);
	/* And the same seen as M/S: side level is exactly gs of the input's. */
	double sm = 0, si = 0;
	for (int i = 0; i < N; i++) {
		sm += pow(0.5 * (l1[i] - r1[i]), 2);
		si += pow(0.5 * (l0[i] - r0[i]), 2);
	}
	/* 0.001 dB: float rounding summed over 4096 samples. */
	assert_true(fabs(test_db(sqrt(sm / si)) + 3.0) < 0.001);
	cls->destroy(s);
}

/* Amplitude of a sine of frequency f in y[0..n-1] (n covers whole
 * periods), by correlation: exact for a pure tone. */
static double amplitude(const float *y, int n, double f)
{
	double c = 0, s = 0;
	for (int i = 0; i < n; i++) {
		c += y[i] * cos(2.0 * M_PI * f * i / RATE);
		s += y[i] * sin(2.0 * M_PI * f * i / RATE);
	}
	return 2.0 * hypot(c, s) / n;
}

/* The high-pass follows the analytic response of its Butterworth
 * sections within 0.05 dB, at every slope; and is -3.01 dB at the
 * corner, as a Butterworth of any order must be. */
static void test_hpf_response(void **state)
{
	(void)state;
	const double freqs[] = { 10.0, 20.0, 30.0, 60.0, 200.0, 1000.0 };
	const double fc = 20.0;
	for (int slope = 0; slope < 3; slope++) {
		int sections = 1 << slope;
		double corner = 1.0;
		for (int k = 0; k < sections; k++) {
			LatheBiquad c = lathe_biquad_highpass(fc, lathe_butterworth_q(2 * sections, k), RATE);
			corner *= lathe_biquad_magnitude(&c, fc, RATE);
		}
		/* 0.01 dB: the bilinear design is pre-warped at fc. */
		assert_true(fabs(test_db(corner) + 3.0103) < 0.01);
		for (int fi = 0; fi < 6; fi++) {
			double f = freqs[fi];
			void *s = cls->create(RATE);
			cls->set(s, LATHE_INPUT_HPF, 1.0f);
			cls->set(s, LATHE_INPUT_HPF_FREQ, (float)fc);
			cls->set(s, LATHE_INPUT_HPF_SLOPE, (float)slope);
			/* 2 s to settle (the slowest pole, Q 2.56 at 20 Hz, decays
			 * by e in 41 ms), then 1 s (whole periods of every f). */
			int settle = 96000, n = 48000;
			float *l = malloc((settle + n) * sizeof(float)), *r = malloc((settle + n) * sizeof(float));
			for (int i = 0; i < settle + n; i++)
				l[i] = r[i] = 0.5f * (float)sin(2.0 * M_PI * f * i / RATE);
			rig_run_whole(cls, s, l, r, settle + n);
			double want = 1.0;
			for (int k = 0; k < sections; k++) {
				LatheBiquad c = lathe_biquad_highpass(fc, lathe_butterworth_q(2 * sections, k), RATE);
				want *= lathe_biquad_magnitude(&c, f, RATE);
			}
			double got = amplitude(l + settle, n, f) / 0.5;
			/* 0.05 dB: the brief's tolerance; float output rounding adds
			 * at most 1e-7 relative, even at -72 dB (48 dB/oct, 10 Hz). */
			assert_true(fabs(test_db(got) - test_db(want)) < 0.05);
			free(l);
			free(r);
			cls->destroy(s);
		}
	}
}

/* DC is removed: a 0.3 DC offset under a 1 kHz tone leaves a mean below
 * -100 dB of the offset after one second, at every slope. */
static void test_dc_removal(void **state)
{
	(void)state;
	for (int slope = 0; slope < 3; slope++) {
		void *s = cls->create(RATE);
		cls->set(s, LATHE_INPUT_HPF, 1.0f);
		cls->set(s, LATHE_INPUT_HPF_SLOPE, (float)slope);
		int n = 96000;
		float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
		for (int i = 0; i < n; i++)
			l[i] = r[i] = 0.3f + 0.3f * (float)sin(2.0 * M_PI * 1000.0 * i / RATE);
		rig_run_whole(cls, s, l, r, n);
		double mean = 0;
		for (int i = n / 2; i < n; i++)
			mean += l[i];
		mean /= n / 2;
		assert_true(test_db(fabs(mean) / 0.3) < -100.0);
		free(l);
		free(r);
		cls->destroy(s);
	}
}

/* Settled (nothing glides or fades), trim and high-pass are bit for bit
 * the plain per-sample form: the matrix in float, the Butterworth
 * sections in double with the state flushed every LATHE_SUBBLOCK frames,
 * rounded to float, non-finite replaced. Every slope, with calls of 32
 * and of 7 frames (blocks that end inside a group of four, and pipelines
 * that do not fill). */
static void test_steady_exact(void **state)
{
	(void)state;
	for (int k = 0; k < 6; k++) {
		int slope = k % 3, sections = 1 << slope, call = k < 3 ? LATHE_SUBBLOCK : 7;
		float trim = -1.0f;
		double fc = 18.0;
		void *s = cls->create(RATE);
		cls->set(s, LATHE_INPUT_TRIM, trim);
		cls->set(s, LATHE_INPUT_HPF, 1.0f);
		cls->set(s, LATHE_INPUT_HPF_FREQ, (float)fc);
		cls->set(s, LATHE_INPUT_HPF_SLOPE, (float)slope);
		fill_noise();
		for (int i = 1000; i < 1300; i++)
			l0[i] = l1[i] = r0[i] = r1[i] = 0.0f;
		for (int i = 0; i < N; i += call)
			cls->process(s, l1 + i, r1 + i, N - i < call ? N - i : call);
		LatheBiquad c[4];
		LatheBiquadState st[4][2];
		memset(st, 0, sizeof(st));
		for (int j = 0; j < sections; j++)
			c[j] = lathe_biquad_highpass(fc, lathe_butterworth_q(2 * sections, j), RATE);
		/* The matrix at trim only: diag(g, g), with its zero terms. */
		float g = lathe_db_to_gain(trim) * lathe_db_to_gain(-0.0f);
		for (int i = 0; i < N; i++) {
			double y[2] = { g * l0[i] + 0.0f * r0[i], 0.0f * l0[i] + g * r0[i] };
			float e[2];
			for (int ch = 0; ch < 2; ch++) {
				for (int j = 0; j < sections; j++)
					y[ch] = rig_ref_tick(&c[j], &st[j][ch], y[ch]);
				e[ch] = (float)y[ch];
			}
			assert_memory_equal(&e[0], &l1[i], sizeof(float));
			assert_memory_equal(&e[1], &r1[i], sizeof(float));
			if ((i + 1) % LATHE_SUBBLOCK == 0)
				for (int j = 0; j < sections; j++)
					for (int ch = 0; ch < 2; ch++)
						lathe_biquad_flush(&st[j][ch]);
		}
		cls->destroy(s);
	}
}

/* A polarity flip glides over LATHE_FADE_MS: on a DC input of 0.5 the
 * output never steps by more than the glide's own slope, 1.0 / 480 per
 * sample at 48 kHz (a hard flip would step by 1.0). */
static void test_polarity_fades(void **state)
{
	(void)state;
	void *s = cls->create(RATE);
	float l[2048], r[2048];
	for (int i = 0; i < 2048; i++)
		l[i] = r[i] = 0.5f;
	rig_run_whole(cls, s, l, r, 512);
	cls->set(s, LATHE_INPUT_POLARITY_L, 1.0f);
	rig_run_whole(cls, s, l + 512, r + 512, 2048 - 512);
	double worst = 0;
	for (int i = 1; i < 2048; i++)
		worst = fmax(worst, fabs(l[i] - l[i - 1]));
	/* 1 % above the glide's slope: float rounding of the ramp. */
	assert_true(worst <= 1.01 / 480.0);
	assert_true(l[2047] == -0.5f && r[2047] == 0.5f);
	cls->destroy(s);
}

/* Parameter change number ev (one every 1024 frames). */
static void change(void *s, int ev)
{
	switch (ev % 8) {
	case 0: cls->set(s, LATHE_INPUT_HPF, (float)((ev / 8 + 1) % 2)); break;
	case 1: cls->set(s, LATHE_INPUT_TRIM, (float)(ev % 13) - 6.0f); break;
	case 2: cls->set(s, LATHE_INPUT_POLARITY_L, (float)((ev / 8) % 2)); break;
	case 3: cls->set(s, LATHE_INPUT_HPF_SLOPE, (float)(ev % 3)); break;
	case 4: cls->set(s, LATHE_INPUT_SWAP, (float)((ev / 8 + 1) % 2)); break;
	case 5: cls->set(s, LATHE_INPUT_MS_BALANCE, (float)(ev % 7) - 3.0f); break;
	case 6: cls->set(s, LATHE_INPUT_HPF_FREQ, 10.0f + (float)(ev % 100)); break;
	default: cls->set(s, LATHE_INPUT_BALANCE, (float)(ev % 5) - 2.0f); break;
	}
}

/* Renders at 44.1 kHz with parameter changes every 1024 frames (on
 * sub-block boundaries). */
static const RigRender changes = { &lathe_input_class, 44100.0, NULL, 5, 1024, change };

static void test_split_invariance(void **state)
{
	(void)state;
	rig_render_split_invariance(&changes, 30000, 31, 1.0f);
}

/* NaN and Inf never come out, and the stage then behaves exactly as if
 * those samples had been silence. */
static void test_nonfinite(void **state)
{
	(void)state;
	for (int on = 0; on < 2; on++) {
		void *a = cls->create(RATE), *b = cls->create(RATE);
		void *both[2] = { a, b };
		for (int k = 0; k < 2; k++) {
			cls->set(both[k], LATHE_INPUT_HPF, (float)on);
			cls->set(both[k], LATHE_INPUT_TRIM, 3.0f);
		}
		fill_noise();
		rig_burst_as_silence(cls, a, b, l0, r0, l1, r1, N);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transparent),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_polarity),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_ms_balance),
		cmocka_unit_test(test_hpf_response),
		cmocka_unit_test(test_dc_removal),
		cmocka_unit_test(test_steady_exact),
		cmocka_unit_test(test_polarity_fades),
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_nonfinite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
