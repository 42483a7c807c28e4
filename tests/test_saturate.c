/* lathe tests — saturate module and the half-band oversampler. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/biquad.h"
#include "dsp/oversample.h"
#include "dsp/saturate.h"
#include "module_rig.h"

static const LatheModuleClass *const cls = &lathe_saturate_class;

/* FFT length for spectra: 16384 bins of 2.7 Hz at 44.1 kHz. Test tones
 * sit exactly on a bin (coherent sampling), so no window is needed and
 * every harmonic and alias also falls on a bin: nothing leaks. */
#define NFFT 16384
/* Frames run before a spectrum is taken: 1.5 s at 44.1 kHz, so that the
 * tube DC estimate (two 5 Hz poles, time constant 32 ms) has settled to
 * below -140 dB and cannot leak into low bins. */
#define SETTLE 65536

static uint32_t seed = 12345;

/* Nearest odd bin to f: odd, so that it is coprime with NFFT and its
 * harmonics land on distinct bins. */
static int bin_of(double f, double rate)
{
	int k = (int)lround(f * NFFT / rate);
	return k | 1;
}

/* Magnitude spectrum of x[0..NFFT-1] into mag[0..NFFT/2]. */
static void spectrum(const float *x, double *mag)
{
	float *in = fftwf_malloc(NFFT * sizeof(float));
	fftwf_complex *out = fftwf_malloc((NFFT / 2 + 1) * sizeof(fftwf_complex));
	fftwf_plan p = fftwf_plan_dft_r2c_1d(NFFT, in, out, FFTW_ESTIMATE);
	memcpy(in, x, NFFT * sizeof(float));
	fftwf_execute(p);
	for (int k = 0; k <= NFFT / 2; k++)
		mag[k] = hypot(out[k][0], out[k][1]);
	fftwf_destroy_plan(p);
	fftwf_free(in);
	fftwf_free(out);
}

static void *make(double rate, int type, float drive, float mix, int factor)
{
	return rig_make(cls, rate, LATHE_SATURATE_TYPE, (double)type, LATHE_SATURATE_DRIVE,
			(double)drive, LATHE_SATURATE_MIX, (double)mix, LATHE_SATURATE_OVERSAMPLE,
			(double)factor, -1);
}

/* Spectrum of the left output for a sine of amplitude amp at bin k0. */
static void tone_spectrum(void *s, double rate, int k0, float amp, double *mag)
{
	int total = SETTLE + NFFT;
	float *l = malloc(total * sizeof(float)), *r = malloc(total * sizeof(float));
	for (int i = 0; i < total; i++)
		l[i] = r[i] = amp * (float)sin(2.0 * M_PI * k0 * (double)i / NFFT);
	rig_run_whole(cls, s, l, r, total);
	spectrum(l + SETTLE, mag);
	(void)rate;
	free(l);
	free(r);
}

/* ---- oversampler ---- */

/* Every stage's stopband holds: a 19 kHz tone upsampled has no image
 * above 90 dB below it, and tones that would fold onto 19 kHz when
 * downsampled come out at least 90 dB down. */
static void test_oversampler_images_and_aliases(void **state)
{
	(void)state;
	const double rates[] = { 44100.0, 48000.0, 96000.0 };
	for (int ri = 0; ri < 3; ri++)
		for (int factor = 2; factor <= 8; factor *= 2) {
			double rate = rates[ri];
			LatheOversampler *os = lathe_oversampler_new(rate, factor, 1);
			assert_non_null(os);
			/* Up: a base-rate tone; look at the high-rate spectrum. The
			 * FFT runs at the high rate over NFFT samples. */
			int nin = NFFT / factor, warm = 4096;
			int k0 = bin_of(19000.0, rate * factor);
			float *in = malloc((warm + nin) * sizeof(float));
			float *up = malloc((size_t)(warm + nin) * factor * sizeof(float));
			for (int i = 0; i < warm + nin; i++)
				in[i] = 0.5f * (float)sin(2.0 * M_PI * k0 * factor * (double)i / NFFT);
			for (int i = 0; i < warm + nin; i += 32)
				lathe_oversampler_up(os, 0, in + i, up + (size_t)i * factor, 32);
			double *mag = malloc((NFFT / 2 + 1) * sizeof(double));
			spectrum(up + (size_t)warm * factor, mag);
			double worst = 0.0;
			int stop = (int)((rate - 20000.0) / (rate * factor) * NFFT);
			for (int k = stop; k <= NFFT / 2; k++)
				worst = fmax(worst, mag[k]);
			/* 90 dB: the first stage's design target (oversample.h);
			 * the 0.5 dB of slack is the FFT's float rounding. */
			assert_true(test_db(worst / mag[k0]) < -89.5);

			/* Down: high-rate tones at j * rate +- 19 kHz fold onto
			 * 19 kHz; each must come out at least 90 dB down. */
			lathe_oversampler_reset(os);
			for (int j = 1; j <= factor / 2; j++)
				for (int sgn = -1; sgn <= 1; sgn += 2) {
					double f = j * rate + sgn * 19000.0;
					if (f >= rate * factor / 2)
						continue;
					float out[32], peak = 0.0f;
					lathe_oversampler_reset(os);
					for (int b = 0; b < 400; b++) {
						float hi[256];
						for (int i = 0; i < 32 * factor; i++)
							hi[i] = 0.5f * (float)sin(2.0 * M_PI * f * (b * 32.0 * factor + i) / (rate * factor));
						lathe_oversampler_down(os, 0, hi, out, 32);
						for (int i = 0; b >= 200 && i < 32; i++)
							peak = fmaxf(peak, fabsf(out[i]));
					}
					assert_true(test_db(peak / 0.5) < -89.5);
				}
			free(in);
			free(up);
			free(mag);
			lathe_oversampler_free(os);
		}
}

/* Up then down is flat in 0..20 kHz: a half-band's pass band ripple
 * equals its stopband ripple (3e-5, 0.0003 dB) per stage, so four stages
 * each way stay within 0.003 dB; 0.01 dB leaves room for float
 * rounding. */
static void test_oversampler_passband(void **state)
{
	(void)state;
	const double freqs[] = { 100.0, 1000.0, 10000.0, 19000.0, 20000.0 };
	for (int factor = 2; factor <= 8; factor *= 2)
		for (int fi = 0; fi < 5; fi++) {
			double rate = 44100.0;
			LatheOversampler *os = lathe_oversampler_new(rate, factor, 1);
			float in[32], hi[256], out[32], peak = 0.0f;
			for (int b = 0; b < 800; b++) {
				for (int i = 0; i < 32; i++)
					in[i] = 0.5f * (float)sin(2.0 * M_PI * freqs[fi] * (b * 32 + i) / rate);
				lathe_oversampler_up(os, 0, in, hi, 32);
				lathe_oversampler_down(os, 0, hi, out, 32);
				for (int i = 0; b >= 400 && i < 32; i++)
					peak = fmaxf(peak, fabsf(out[i]));
			}
			/* The sampled peak of a 20 kHz tone at 44.1 kHz misses the
			 * true peak by up to 1 - cos(pi 20000 / 44100) ... over 400
			 * blocks the phases cover it to within 1e-4 (0.001 dB). */
			assert_true(fabs(test_db(peak / 0.5)) < 0.01);
			lathe_oversampler_free(os);
		}
}

/* The stereo paths (interleaved, and the top rate left in place for the
 * caller) give each channel exactly what a mono oversampler gives it, bit
 * for bit, whatever the call sizes: they share the arithmetic, and the
 * module relies on that for split invariance. */
static void test_oversampler_stereo_matches_mono(void **state)
{
	(void)state;
	const double rates[] = { 44100.0, 48000.0, 96000.0, 192000.0 };
	for (int ri = 0; ri < 4; ri++)
		for (int factor = 2; factor <= 8; factor *= 2) {
			LatheOversampler *mono[2], *st2 = lathe_oversampler_new(rates[ri], factor, 2);
			LatheOversampler *top2 = lathe_oversampler_new(rates[ri], factor, 2);
			assert_non_null(st2);
			assert_non_null(top2);
			for (int ch = 0; ch < 2; ch++) {
				mono[ch] = lathe_oversampler_new(rates[ri], factor, 1);
				assert_non_null(mono[ch]);
			}
			uint32_t split = 4711;
			seed = 99;
			for (int b = 0; b < 300; b++) {
				split = split * 1664525u + 1013904223u;
				int n = 1 + (int)((split >> 16) % 32);
				float in[2][32], inter[64], hi[2][256], up[2][256], hi2[512];
				float out[2][32], out2[64], out3[64];
				for (int i = 0; i < n; i++)
					for (int ch = 0; ch < 2; ch++)
						inter[2 * i + ch] = in[ch][i] =
							0.9f * test_noise(&seed);
				/* Mono, with a nonlinearity at the top rate. */
				for (int ch = 0; ch < 2; ch++) {
					lathe_oversampler_up(mono[ch], 0, in[ch], up[ch], n);
					for (int i = 0; i < n * factor; i++)
						hi[ch][i] = up[ch][i] - 0.25f * up[ch][i] * up[ch][i] * up[ch][i];
					lathe_oversampler_down(mono[ch], 0, hi[ch], out[ch], n);
				}
				/* Stereo, interleaved. */
				lathe_oversampler_up2(st2, inter, hi2, n);
				for (int i = 0; i < n * factor; i++)
					for (int ch = 0; ch < 2; ch++)
						assert_memory_equal(&hi2[2 * i + ch], &up[ch][i], sizeof(float));
				for (int i = 0; i < 2 * n * factor; i++)
					hi2[i] = hi2[i] - 0.25f * hi2[i] * hi2[i] * hi2[i];
				lathe_oversampler_down2(st2, hi2, out2, n);
				/* Stereo, top rate in place as two phases. */
				float *top[2];
				lathe_oversampler_up2_top(top2, inter, n, top);
				assert_non_null(top[0]);
				assert_non_null(top[1]);
				for (int h = 0; h < 2; h++)
					for (int k = 0; k < n * factor; k++)
						top[h][k] = top[h][k] - 0.25f * top[h][k] * top[h][k] * top[h][k];
				lathe_oversampler_down2_top(top2, out3, n);
				for (int i = 0; i < n; i++)
					for (int ch = 0; ch < 2; ch++) {
						assert_memory_equal(&out2[2 * i + ch], &out[ch][i], sizeof(float));
						assert_memory_equal(&out3[2 * i + ch], &out[ch][i], sizeof(float));
					}
			}
			for (int ch = 0; ch < 2; ch++)
				lathe_oversampler_free(mono[ch]);
			lathe_oversampler_free(st2);
			lathe_oversampler_free(top2);
		}
}

/* ---- latency and alignment ---- */

/* latency() is the same at every factor, and is where a small impulse
 * comes out (tape at 0 dB drive is linear for a 1e-3 impulse to 3e-7). */
static void test_latency(void **state)
{
	(void)state;
	const double rates[] = { 44100.0, 48000.0, 96000.0, 192000.0 };
	for (int ri = 0; ri < 4; ri++) {
		int lat = -1;
		for (int f = 0; f < 3; f++) {
			void *s = make(rates[ri], 0, 0.0f, 100.0f, f);
			if (lat < 0)
				lat = cls->latency(s);
			assert_int_equal(cls->latency(s), lat);
			int n = 512;
			float l[512] = { 0 }, r[512] = { 0 };
			l[0] = 1e-3f;
			rig_run_whole(cls, s, l, r, n);
			int peak = 0;
			for (int i = 1; i < n; i++)
				if (fabsf(l[i]) > fabsf(l[peak]))
					peak = i;
			assert_int_equal(peak, lat);
			cls->destroy(s);
		}
	}
}

/* Drive 0 dB and mix 0 %: exactly the input, delayed by latency(). */
static void test_dry_exact(void **state)
{
	(void)state;
	for (int f = 0; f < 3; f++) {
		void *s = make(48000.0, 1, 0.0f, 0.0f, f);
		int lat = cls->latency(s), n = 4096;
		float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
		float *l0 = malloc(n * sizeof(float)), *r0 = malloc(n * sizeof(float));
		rig_fill_noise(l0, l, r0, r, n, 1.0f, &seed);
		rig_run_whole(cls, s, l, r, n);
		for (int i = 0; i < n; i++) {
			float el = i >= lat ? l0[i - lat] : 0.0f, er = i >= lat ? r0[i - lat] : 0.0f;
			assert_true(l[i] == el && r[i] == er);
		}
		free(l);
		free(r);
		free(l0);
		free(r0);
		cls->destroy(s);
	}
}

/* The dry path is aligned with the wet one: at 50 % mix and 0 dB drive a
 * quiet 15 kHz tone (linear through tanh to 1e-6) comes out at its own
 * level. One sample of misalignment would cost 20 log10(cos(pi 15/48))
 * = -1.6 dB; the 0.01 dB allowed is the oversampler's ripple. */
static void test_dry_wet_aligned(void **state)
{
	(void)state;
	for (int f = 0; f < 3; f++) {
		void *s = make(48000.0, 0, 0.0f, 50.0f, f);
		double mag[NFFT / 2 + 1];
		int k0 = bin_of(15000.0, 48000.0);
		tone_spectrum(s, 48000.0, k0, 0.01f, mag);
		assert_true(fabs(test_db(mag[k0] / (0.01 * NFFT / 2))) < 0.01);
		cls->destroy(s);
	}
}

/* ---- harmonics ---- */

/* Tape is odd: a 1 kHz sine driven 12 dB has a strong third and fifth
 * and no even harmonic above float rounding. */
static void test_tape_odd(void **state)
{
	(void)state;
	void *s = make(48000.0, 0, 12.0f, 100.0f, 1);
	double mag[NFFT / 2 + 1];
	int k0 = bin_of(1000.0, 48000.0);
	tone_spectrum(s, 48000.0, k0, 0.5f, mag);
	/* Peak 2.0 into tanh: the third is about -19 dB, the fifth -32 dB;
	 * -40 dB is a safe floor for "clearly present". */
	assert_true(test_db(mag[3 * k0] / mag[k0]) > -40.0);
	assert_true(test_db(mag[5 * k0] / mag[k0]) > -40.0);
	/* Evens: float rounding of the filters and FFT lies near -140 dB;
	 * -110 dB would be a real asymmetry of 3e-6. */
	for (int h = 2; h <= 10; h += 2)
		assert_true(test_db(mag[h * k0] / mag[k0]) < -110.0);
	assert_true(test_db(mag[0] / mag[k0]) < -110.0);
	cls->destroy(s);
}

/* Tube adds even harmonics, and removes the DC it makes. */
static void test_tube_even_no_dc(void **state)
{
	(void)state;
	void *s = make(48000.0, 1, 12.0f, 100.0f, 1);
	double mag[NFFT / 2 + 1];
	int k0 = bin_of(1000.0, 48000.0);
	tone_spectrum(s, 48000.0, k0, 0.5f, mag);
	/* K tanh^2 with K = 0.2 at tanh peak 0.96: second about -20 dB. */
	assert_true(test_db(mag[2 * k0] / mag[k0]) > -30.0);
	assert_true(test_db(mag[3 * k0] / mag[k0]) > -40.0);
	/* The square's DC would be K mean(tanh^2) = -17 dB re the
	 * fundamental; removed it is below -100 dB (the DC bin holds the
	 * residue of the 5 Hz estimate, not float noise). */
	assert_true(test_db(mag[0] / mag[k0]) < -100.0);
	cls->destroy(s);
}

/* Soft clip never exceeds full scale by more than the decimation
 * filters' ringing, and is linear-ish at low level. */
static void test_soft_clip_limit(void **state)
{
	(void)state;
	void *s = make(48000.0, 2, 24.0f, 100.0f, 2);
	int n = 48000;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	for (int i = 0; i < n; i++)
		l[i] = r[i] = (float)sin(2.0 * M_PI * 100.0 * i / 48000.0);
	rig_run_whole(cls, s, l, r, n);
	float peak = 0.0f;
	for (int i = 0; i < n; i++)
		peak = fmaxf(peak, fabsf(l[i]));
	/* A 100 Hz square-like wave band-limited to 20 kHz overshoots by the
	 * Gibbs 9 % at most; measured about 1.09, allowed 1.12. Without the
	 * limit a 24 dB drive would give 16. */
	assert_true(peak > 0.99f && peak < 1.12f);
	free(l);
	free(r);
	cls->destroy(s);
}

/* ---- aliasing ---- */

/* Worst component in 20 Hz..20 kHz other than the fundamental, in dB
 * relative to it. For a 15 kHz tone at 44.1 kHz every harmonic lies
 * above 20 kHz, so anything there is an alias. */
static double alias_db(int type, int factor, float drive)
{
	double rate = 44100.0;
	void *s = make(rate, type, drive, 100.0f, factor);
	double *mag = malloc((NFFT / 2 + 1) * sizeof(double));
	int k0 = bin_of(15000.0, rate);
	tone_spectrum(s, rate, k0, 0.5f, mag);
	double worst = 0.0;
	for (int k = bin_of(20.0, rate); k <= (int)(20000.0 * NFFT / rate); k++)
		if (k != k0)
			worst = fmax(worst, mag[k]);
	double r = test_db(worst / mag[k0]);
	free(mag);
	cls->destroy(s);
	return r;
}

/* A -6 dBFS 15 kHz sine driven 12 dB peaks at 2.0 into the curve
 * (tanh(2) = 0.96, 6.4 dB of compression: hard saturation for a tone
 * this high). At 8x its aliases measure -114 dB; the test asks for
 * -100 dB: with the tone at -6 dBFS that is -106 dBFS, below the 16-bit
 * dither floor. The reachable level depends on drive: the harmonics that
 * fold past the 8x Nyquist fall exponentially with the order only while
 * the curve is not driven to a near-square wave (18 dB: -80 dB, 24 dB:
 * -48 dB for this extreme tone). 2x, at -28 dB, must be much worse. */
static void test_alias_tape(void **state)
{
	(void)state;
	double a8 = alias_db(0, 2, 12.0f), a2 = alias_db(0, 0, 12.0f);
	print_message("tape 15 kHz -6 dBFS drive 12 dB: aliases 2x %.1f dB, 8x %.1f dB\n", a2, a8);
	assert_true(a8 < -100.0);
	assert_true(a2 > a8 + 40.0);
}

/* Tube at the same setting: the second harmonic (30 kHz) is above the
 * band too; -100 dB as above. */
static void test_alias_tube(void **state)
{
	(void)state;
	double a8 = alias_db(1, 2, 12.0f);
	print_message("tube 15 kHz -6 dBFS drive 12 dB: aliases 8x %.1f dB\n", a8);
	assert_true(a8 < -100.0);
}

/* ---- robustness ---- */

/* An event every 2048 frames: type, factor, drive, mix. */
static void change(void *s, int event)
{
	switch (event % 4) {
	case 0: cls->set(s, LATHE_SATURATE_OVERSAMPLE, (float)((event / 4 + 1) % 3)); break;
	case 1: cls->set(s, LATHE_SATURATE_TYPE, (float)((event / 4 + 1) % 3)); break;
	case 2: cls->set(s, LATHE_SATURATE_DRIVE, (float)(event % 24)); break;
	default: cls->set(s, LATHE_SATURATE_MIX, (float)(30 + event % 70)); break;
	}
}

static void *render_module(void) { return make(44100.0, 0, 6.0f, 80.0f, 0); }

/* A fixed test program: parameter changes at sub-block boundaries. */
static const RigRender changes = { &lathe_saturate_class, 44100.0, render_module, 99, 2048,
				   change };

static void test_split_invariance(void **state)
{
	(void)state;
	rig_render_split_invariance(&changes, 20000, 777, 0.5f);
}

/* NaN and Inf never reach the output, and afterwards the module is where
 * it would be had those samples been silence: bit-identical output. */
static void test_nonfinite(void **state)
{
	(void)state;
	int n = 8192;
	float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
	float *c = malloc(n * sizeof(float)), *d = malloc(n * sizeof(float));
	for (int type = 0; type < 3; type++) {
		seed = 4242;
		rig_fill_noise(a, c, b, d, n, 0.7f, &seed);
		for (int i = 1000; i < 1100; i++) {
			a[i] = (i & 1) ? NAN : INFINITY;
			b[i] = (i & 2) ? -INFINITY : NAN;
			c[i] = d[i] = 0.0f;
		}
		void *s1 = make(48000.0, type, 18.0f, 70.0f, 2), *s2 = make(48000.0, type, 18.0f, 70.0f, 2);
		rig_run_whole(cls, s1, a, b, n);
		rig_run_whole(cls, s2, c, d, n);
		rig_assert_as_silence(a, b, c, d, n);
		cls->destroy(s1);
		cls->destroy(s2);
	}
	free(a);
	free(b);
	free(c);
	free(d);
}

/* A factor change fades between two aligned signals: during the switch
 * the output stays within the two factors' own difference of a run that
 * never switches. A time shift of one sample would differ by 0.02 for
 * this 1 kHz tone (2 pi 1000 / 48000 * 0.5 ... x drive). */
static void test_factor_switch_aligned(void **state)
{
	(void)state;
	int n = 9600;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	float *l2 = malloc(n * sizeof(float)), *r2 = malloc(n * sizeof(float));
	for (int i = 0; i < n; i++)
		l[i] = r[i] = l2[i] = r2[i] = 0.5f * (float)sin(2.0 * M_PI * 1000.0 * i / 48000.0);
	void *s = make(48000.0, 0, 6.0f, 100.0f, 0), *ref = make(48000.0, 0, 6.0f, 100.0f, 0);
	rig_run_whole(cls, s, l, r, 3200);
	cls->set(s, LATHE_SATURATE_OVERSAMPLE, 2.0f);
	rig_run_whole(cls, s, l + 3200, r + 3200, n - 3200);
	rig_run_whole(cls, ref, l2, r2, n);
	double worst = 0.0;
	for (int i = 0; i < n; i++)
		worst = fmax(worst, fabs((double)l[i] - l2[i]));
	/* 2x and 8x differ only by aliases of a 1 kHz tone at 6 dB drive
	 * (below -100 dB) and pass band ripple: 1e-4 is -80 dB. */
	assert_true(worst < 1e-4);
	free(l);
	free(r);
	free(l2);
	free(r2);
	cls->destroy(s);
	cls->destroy(ref);
}

/* A type change fades: no click. A 100 Hz tone at 6 dB drive through
 * tape or soft clip (which stays cubic at a 1.0 peak) has nothing above
 * 8 kHz; a hard switch would step by tanh(1) vs 23/27, about 0.09, and
 * show as a 0.05 spike there. */
static void test_type_switch_no_click(void **state)
{
	(void)state;
	int n = 19200;
	float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
	for (int i = 0; i < n; i++)
		l[i] = r[i] = 0.5f * (float)sin(2.0 * M_PI * 100.0 * i / 48000.0);
	void *s = make(48000.0, 0, 6.0f, 100.0f, 1);
	rig_run_whole(cls, s, l, r, 9600);
	cls->set(s, LATHE_SATURATE_TYPE, 2.0f);
	rig_run_whole(cls, s, l + 9600, r + 9600, n - 9600);
	/* 8th-order Butterworth high-pass at 8 kHz (the 100 Hz tone is 300 dB
	 * down there), started well before the switch. */
	LatheBiquad hp[4];
	LatheBiquadState st[4] = { { 0 } };
	for (int k = 0; k < 4; k++)
		hp[k] = lathe_biquad_highpass(8000.0, lathe_butterworth_q(8, k), 48000.0);
	double worst = 0.0;
	for (int i = 0; i < n; i++) {
		double x = l[i];
		for (int k = 0; k < 4; k++)
			x = lathe_biquad_tick(&hp[k], &st[k], x);
		if (i > 4800)
			worst = fmax(worst, fabs(x));
	}
	/* 1e-4: 54 dB below the hard switch's spike. */
	assert_true(worst < 1e-4);
	free(l);
	free(r);
	cls->destroy(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oversampler_images_and_aliases),
		cmocka_unit_test(test_oversampler_passband),
		cmocka_unit_test(test_oversampler_stereo_matches_mono),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_dry_exact),
		cmocka_unit_test(test_dry_wet_aligned),
		cmocka_unit_test(test_tape_odd),
		cmocka_unit_test(test_tube_even_no_dc),
		cmocka_unit_test(test_soft_clip_limit),
		cmocka_unit_test(test_alias_tape),
		cmocka_unit_test(test_alias_tube),
		cmocka_unit_test(test_split_invariance),
		cmocka_unit_test(test_nonfinite),
		cmocka_unit_test(test_factor_switch_aligned),
		cmocka_unit_test(test_type_switch_no_click),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
