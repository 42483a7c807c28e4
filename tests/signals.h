/* lathe tests — test signals and measurements shared by the chain-level
 * tests. Header-only: each test program is one file plus this. */
#ifndef LATHE_TEST_SIGNALS_H
#define LATHE_TEST_SIGNALS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "dsp/biquad.h"

/* Deterministic uniform noise in [-1, 1). */
static inline float test_noise(uint32_t *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return (float)((int32_t)*seed) / 2147483648.0f;
}

/* Pink-ish noise (Voss-McCartney-free: three one-pole stages over white),
 * scaled to about -12 dBFS RMS: program-like level without clipping. */
typedef struct { float b0, b1, b2; uint32_t seed; } TestPink;
static inline float test_pink(TestPink *p)
{
	float w = test_noise(&p->seed);
	p->b0 = 0.99765f * p->b0 + w * 0.0990460f;
	p->b1 = 0.96300f * p->b1 + w * 0.2965164f;
	p->b2 = 0.57000f * p->b2 + w * 1.0526913f;
	return 0.12f * (p->b0 + p->b1 + p->b2 + w * 0.1848f);
}

static inline double test_db(double x) { return 20.0 * log10(x > 1e-30 ? x : 1e-30); }

/* Peak of |a[i] - b[i]|. */
static inline double test_peak_diff(const float *a, const float *b, int n)
{
	double m = 0.0;
	for (int i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]);
		if (d > m)
			m = d;
	}
	return m;
}

/* Click detector. The test tone is a low sine (100 Hz); a discontinuity is
 * broadband, so it shows above 8 kHz, where the tone and its low harmonics
 * have nothing: an 8th-order Butterworth high-pass at 8 kHz puts a 100 Hz
 * tone below -250 dB. Keep one per signal and feed it continuously, so
 * that its own start-up happens once. */
typedef struct {
	LatheBiquad s[4];
	LatheBiquadState st[4];
} TestHighpass;

static inline void test_highpass_init(TestHighpass *h, double rate)
{
	for (int k = 0; k < 4; k++) {
		h->s[k] = lathe_biquad_highpass(8000.0, lathe_butterworth_q(8, k), rate);
		h->st[k] = (LatheBiquadState){ 0 };
	}
}

static inline void test_highpass(TestHighpass *h, const float *x, float *out, int n)
{
	for (int i = 0; i < n; i++) {
		double v = x[i];
		for (int k = 0; k < 4; k++)
			v = lathe_biquad_tick(&h->s[k], &h->st[k], v);
		out[i] = (float)v;
	}
}

static inline double test_peak(const float *x, int n)
{
	double m = 0.0;
	for (int i = 0; i < n; i++)
		if (fabs(x[i]) > m)
			m = fabs(x[i]);
	return m;
}

#endif
