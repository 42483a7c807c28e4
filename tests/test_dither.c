/* lathe — tests of the dither (src/dsp/dither.c) against its definition:
 * every output on the word length's grid, TPDF error statistics (mean 0,
 * power LSB^2/4, the same with and without signal), the shaped noise
 * spectrum, bounded shaped error, reproducible and independent noise,
 * block-split invariance and non-finite input. */
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

#include "dsp/dither.h"
#include "dsp/dsp.h"
#include "module_rig.h"

#define SB LATHE_SUBBLOCK

static const LatheModuleClass *const K = &lathe_dither_class;
static const int depths[] = { 16, 20, 24 };

/* A dither at `rate` with bits index b (0 = 16, 1 = 20, 2 = 24) and shaping. */
static void *make(double rate, int b, bool shaped)
{
	return rig_make(K, rate, LATHE_DITHER_BITS, (double)b, LATHE_DITHER_SHAPING,
			shaped ? 1.0 : 0.0, -1);
}

/* --- the grid -------------------------------------------------------------- */

/* Every output times 2^(bits-1) is an integer in [-2^(bits-1), 2^(bits-1) - 1],
 * for signal inside, at and beyond full scale, flat and shaped. */
static void test_grid(void **state)
{
	(void)state;
	enum { N = 20000 };
	static float l[N], r[N];
	for (int b = 0; b < 3; b++)
		for (int shaped = 0; shaped < 2; shaped++) {
			uint32_t seed = 7;
			for (int i = 0; i < N; i++) {
				l[i] = (float)(1.2 * rig_noise_d(&seed));
				r[i] = (float)(i % 3 == 0 ? 1.0
					       : i % 3 == 1 ? -1.0 : 1e-3 * rig_noise_d(&seed));
			}
			void *d = make(44100.0, b, shaped);
			rig_run_lcg(K, d, l, r, N, SB, &seed);
			double s = ldexp(1.0, depths[b] - 1);
			for (int i = 0; i < N; i++) {
				double ql = l[i] * s, qr = r[i] * s;
				assert_true(ql == floor(ql) && qr == floor(qr));
				assert_true(ql >= -s && ql <= s - 1.0 && qr >= -s && qr <= s - 1.0);
			}
			K->destroy(d);
		}
}

/* --- error statistics ------------------------------------------------------ */

typedef struct {
	double mean, power; /* of the error, in LSB and LSB^2 */
	double corr;        /* correlation of the error with the signal */
} ErrorStats;

/* Flat dither of x (both channels the same signal) at `bits`: statistics of
 * the error out - x over both channels. */
static ErrorStats error_stats(const float *x, int n, int b)
{
	float *l = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
	assert_non_null(l);
	assert_non_null(r);
	memcpy(l, x, sizeof(float) * n);
	memcpy(r, x, sizeof(float) * n);
	void *d = make(48000.0, b, false);
	uint32_t seed = 1;
	rig_run_lcg(K, d, l, r, n, SB, &seed);
	K->destroy(d);
	double s = ldexp(1.0, depths[b] - 1), sum = 0.0, sq = 0.0, sx = 0.0, xx = 0.0;
	for (int i = 0; i < n; i++)
		for (int c = 0; c < 2; c++) {
			double e = ((c ? r[i] : l[i]) - (double)x[i]) * s;
			sum += e;
			sq += e * e;
			sx += e * x[i] * s;
			xx += (double)x[i] * s * x[i] * s;
		}
	free(l);
	free(r);
	ErrorStats st = { sum / (2.0 * n), sq / (2.0 * n), xx > 0.0 ? sx / sqrt(sq * xx) : 0.0 };
	return st;
}

/* The error of TPDF dither with rounding: mean 0 and power LSB^2/4 (1/12
 * from rounding, 1/6 from the dither), whatever the signal: silence, a
 * sine of 2 LSB (where undithered rounding would be all distortion), a
 * sine at -20 dBFS, and values exactly on the grid. No noise modulation:
 * the power is the same with and without signal, and the error does not
 * follow the signal. */
static void test_error_statistics(void **state)
{
	(void)state;
	enum { N = 1 << 19 };
	float *x = malloc(sizeof(float) * N);
	assert_non_null(x);
	for (int b = 0; b < 3; b++) {
		double lsb = ldexp(1.0, 1 - depths[b]);
		double silence_power = 0.0;
		for (int sig = 0; sig < 4; sig++) {
			for (int i = 0; i < N; i++) {
				double t = i / 48000.0;
				switch (sig) {
				case 0: x[i] = 0.0f; break;
				case 1: x[i] = (float)(2.0 * lsb * sin(2.0 * M_PI * 997.0 * t)); break;
				case 2: x[i] = (float)(0.1 * sin(2.0 * M_PI * 997.0 * t)); break;
				default: x[i] = (float)(lsb * ((i % 101) - 50)); break;
				}
			}
			ErrorStats st = error_stats(x, N, b);
			/* 2N = 2^20 errors of variance 1/4: the mean's standard
			 * deviation is 4.9e-4 LSB, the power's 3.1e-4 (the fourth
			 * moment of the error, three uniforms summed, is 0.1625).
			 * Six of them (1 in 10^8 to fail by chance): 3e-3 and 2e-3. */
			assert_true(fabs(st.mean) < 3e-3);
			assert_true(fabs(st.power - 0.25) < 2e-3);
			/* The error's correlation with the signal: 1/sqrt(2N) is
			 * 1e-3; six of those. */
			assert_true(fabs(st.corr) < 6e-3);
			if (sig == 0)
				silence_power = st.power;
			else /* the difference of two such estimates: sqrt 2 * 2e-3 */
				assert_true(fabs(st.power - silence_power) < 3e-3);
		}
	}
	free(x);
}

/* The two channels get independent noise: with the same input their
 * errors are uncorrelated. */
static void test_channels_independent(void **state)
{
	(void)state;
	enum { N = 1 << 18 };
	static float l[N], r[N];
	memset(l, 0, sizeof l);
	memset(r, 0, sizeof r);
	void *d = make(48000.0, 0, false);
	uint32_t seed = 1;
	rig_run_lcg(K, d, l, r, N, SB, &seed);
	K->destroy(d);
	double lr = 0.0, ll = 0.0, rr = 0.0;
	for (int i = 0; i < N; i++) {
		lr += (double)l[i] * r[i];
		ll += (double)l[i] * l[i];
		rr += (double)r[i] * r[i];
	}
	/* Correlation of N independent pairs: standard deviation 1/sqrt(N)
	 * = 2e-3; six of those. */
	assert_true(fabs(lr / sqrt(ll * rr)) < 1.2e-2);
}

/* --- noise shaping --------------------------------------------------------- */

/* Power of the error (out - in) in [f0, f1) Hz, LSB^2 per Hz, from an
 * averaged periodogram (Hann windows of 4096, half overlapped) of a
 * -40 dBFS tone dithered to 16 bits. */
typedef struct {
	double low, high, total; /* < 5 kHz, > 15 kHz per Hz; total in LSB^2 */
} Bands;

static Bands shaped_bands(double rate, bool shaped)
{
	enum { N = 1 << 19, W = 4096 };
	float *l = malloc(sizeof(float) * N), *r = malloc(sizeof(float) * N);
	float *x = malloc(sizeof(float) * N);
	assert_true(l && r && x);
	for (int i = 0; i < N; i++)
		x[i] = l[i] = r[i] = (float)(0.01 * sin(2.0 * M_PI * 1000.0 * i / rate));
	void *d = make(rate, 0, shaped);
	uint32_t seed = 3;
	rig_run_lcg(K, d, l, r, N, SB, &seed);
	K->destroy(d);

	float *in = fftwf_malloc(sizeof(float) * W);
	fftwf_complex *out = fftwf_malloc(sizeof(fftwf_complex) * (W / 2 + 1));
	fftwf_plan plan = fftwf_plan_dft_r2c_1d(W, in, out, FFTW_ESTIMATE);
	double *psd = calloc(W / 2 + 1, sizeof(double)), wsum = 0.0;
	assert_true(in && out && plan && psd);
	for (int k = 0; k < W; k++) {
		double w = 0.5 - 0.5 * cos(2.0 * M_PI * k / W);
		wsum += w * w;
	}
	int frames = 0;
	for (int start = 0; start + W <= N; start += W / 2, frames++)
		for (int c = 0; c < 2; c++) {
			const float *y = c ? r : l;
			for (int k = 0; k < W; k++) {
				double w = 0.5 - 0.5 * cos(2.0 * M_PI * k / W);
				in[k] = (float)(w * (y[start + k] - x[start + k]) * 32768.0);
			}
			fftwf_execute(plan);
			for (int k = 0; k <= W / 2; k++)
				psd[k] += crealf(out[k]) * crealf(out[k]) + cimagf(out[k]) * cimagf(out[k]);
		}
	/* One-sided density: |X|^2 / (rate * sum w^2), doubled off DC/Nyquist. */
	Bands b = { 0.0, 0.0, 0.0 };
	int nl = 0, nh = 0;
	double df = rate / W;
	for (int k = 1; k < W / 2; k++) {
		double p = 2.0 * psd[k] / (2.0 * frames * rate * wsum);
		double f = k * df;
		b.total += p * df;
		if (f < 5000.0)
			b.low += p, nl++;
		if (f > 15000.0)
			b.high += p, nh++;
	}
	b.low /= nl;
	b.high /= nh;
	fftwf_destroy_plan(plan);
	fftwf_free(in);
	fftwf_free(out);
	free(psd), free(l), free(r), free(x);
	return b;
}

/* Shaped noise is lower than flat below 5 kHz and higher above 15 kHz, at
 * 44.1 and 48 kHz; and its total stays bounded. */
static void test_shaping_spectrum(void **state)
{
	(void)state;
	const double rates[] = { 44100.0, 48000.0 };
	for (int ri = 0; ri < 2; ri++) {
		Bands flat = shaped_bands(rates[ri], false), shaped = shaped_bands(rates[ri], true);
		/* Flat: LSB^2/4 spread evenly over fs/2; the estimate of each
		 * band averages hundreds of bins of 254 frames: 5 %. */
		double level = 0.25 / (0.5 * rates[ri]);
		print_message("%.0f Hz: shaped against flat: %+.1f dB below 5 kHz, %+.1f dB above "
			      "15 kHz, %+.1f dB in all\n", rates[ri], 10 * log10(shaped.low / flat.low),
			      10 * log10(shaped.high / flat.high), 10 * log10(shaped.total / flat.total));
		assert_true(fabs(flat.low / level - 1.0) < 0.05);
		assert_true(fabs(flat.high / level - 1.0) < 0.05);
		assert_true(fabs(flat.total / 0.25 - 1.0) < 0.05);
		/* Shaped: the design asks for -10 dB up to 7 kHz and about
		 * +8 dB above 15 kHz; 8 taps follow it within about 2 dB, so
		 * ask for 6 dB each way. */
		assert_true(shaped.low < flat.low * pow(10.0, -0.6));
		assert_true(shaped.high > flat.high * pow(10.0, 0.6));
		/* The total: the power gain of the filter, about +6 dB; below
		 * +10 dB it is "bounded" as a mastering engineer counts it. */
		assert_true(shaped.total < flat.total * 10.0);
	}
}

/* However loud the signal (even clipping), the shaped error stays a few
 * LSB: the feedback only ever sees errors of at most 3/2 LSB. */
static void test_shaping_bounded(void **state)
{
	(void)state;
	const double rates[] = { 44100.0, 48000.0, 88200.0, 96000.0, 192000.0 };
	enum { N = 50000 };
	static float l[N], r[N], x[N];
	for (int ri = 0; ri < 5; ri++) {
		uint32_t seed = 5;
		for (int i = 0; i < N; i++) {
			/* Full-scale noise, then stretches far beyond full scale. */
			x[i] = (float)((i / 5000) % 2 ? 3.0 * rig_noise_d(&seed)
						      : 0.999 * rig_noise_d(&seed));
			l[i] = r[i] = x[i];
		}
		void *d = make(rates[ri], 0, true);
		rig_run_lcg(K, d, l, r, N, SB, &seed);
		K->destroy(d);
		for (int i = 0; i < N; i++) {
			if (fabsf(x[i]) > 0.99f)
				continue; /* clipped: the error there is the clip */
			/* 3/2 LSB times the filter's sum of |taps| (at most 7.4,
			 * at 88.2 kHz), plus rounding: 12 LSB. */
			assert_true(fabs(l[i] - (double)x[i]) * 32768.0 < 12.0);
			assert_true(fabs(r[i] - (double)x[i]) * 32768.0 < 12.0);
		}
	}
}

/* --- reproducibility and robustness ---------------------------------------- */

/* Two instances give the same output; reset() starts the sequence again. */
static void test_reproducible(void **state)
{
	(void)state;
	enum { N = 10000 };
	static float a[2][N], b[2][N], c[2][N];
	for (int shaped = 0; shaped < 2; shaped++) {
		uint32_t seed = 9;
		for (int i = 0; i < N; i++)
			a[0][i] = b[0][i] = c[0][i] = a[1][i] = b[1][i] = c[1][i] =
				(float)(0.5 * rig_noise_d(&seed));
		void *d1 = make(48000.0, 0, shaped), *d2 = make(48000.0, 0, shaped);
		rig_run_lcg(K, d1, a[0], a[1], N, SB, &seed);
		rig_run_lcg(K, d2, b[0], b[1], N, SB, &seed);
		assert_memory_equal(a, b, sizeof a);
		K->reset(d1);
		rig_run_lcg(K, d1, c[0], c[1], N, SB, &seed);
		assert_memory_equal(a, c, sizeof a);
		K->destroy(d1);
		K->destroy(d2);
	}
}

/* Shaping and word length changes, before sub-block b. */
static void changes(void *d, int b)
{
	if (b % 50 == 10)
		K->set(d, LATHE_DITHER_SHAPING, (float)((b / 50) % 2));
	if (b % 70 == 30)
		K->set(d, LATHE_DITHER_BITS, (float)((b / 70) % 3));
}

/* Whole sub-blocks, single frames and random pieces give the same bits,
 * with word length and shaping changing at sub-block starts. */
static void test_block_split(void **state)
{
	(void)state;
	enum { N = SB * 400 };
	static float in[N];
	uint32_t seed = 11;
	for (int i = 0; i < N; i++)
		in[i] = (float)(0.3 * rig_noise_d(&seed));
	void *d[3];
	for (int s = 0; s < 3; s++)
		d[s] = make(44100.0, 0, false);
	rig_lcg_split_invariance(K, d, in, in, N, 5, changes);
}

/* The same with shaping at the other rates (their noise-shaping filters
 * differ, the signs of their taps too) and every word length. */
static void test_block_split_rates(void **state)
{
	(void)state;
	enum { N = SB * 200 };
	static float in[N], in_r[N];
	const double rates[] = { 48000.0, 88200.0, 96000.0, 176400.0, 192000.0 };
	for (int ri = 0; ri < 5; ri++)
		for (int b = 0; b < 3; b++) {
			uint32_t seed = 17 + (uint32_t)ri;
			for (int i = 0; i < N; i++)
				in[i] = (float)((i / 1000) % 2 ? 1.5 * rig_noise_d(&seed)
							       : 0.3 * rig_noise_d(&seed));
			for (int i = 0; i < N; i++)
				in_r[i] = -in[N - 1 - i];
			void *d[3];
			for (int s = 0; s < 3; s++)
				d[s] = make(rates[ri], b, true);
			rig_lcg_split_invariance(K, d, in, in_r, N, 3, NULL);
		}
}

/* NaN and Inf count as silence: the output is what zeros in their place
 * give (finite, on the grid), and the noise sequence goes on unbroken. */
static void test_non_finite(void **state)
{
	(void)state;
	enum { N = 8000 };
	static float al[N], ar[N], bl[N], br[N];
	const float bad[] = { NAN, INFINITY, -INFINITY };
	for (int shaped = 0; shaped < 2; shaped++) {
		uint32_t seed = 13;
		for (int i = 0; i < N; i++) {
			al[i] = bl[i] = ar[i] = br[i] = (float)(0.5 * rig_noise_d(&seed));
			if (i % 997 < 40) {
				al[i] = bad[i % 3];
				ar[i] = bad[(i + 1) % 3];
				bl[i] = br[i] = 0.0f;
			}
		}
		void *da = make(48000.0, 0, shaped), *db = make(48000.0, 0, shaped);
		rig_run_lcg(K, da, al, ar, N, 0, &seed);
		rig_run_lcg(K, db, bl, br, N, 0, &seed);
		rig_assert_as_silence(al, ar, bl, br, N);
		K->destroy(da);
		K->destroy(db);
	}
}

static void test_interface(void **state)
{
	(void)state;
	void *d = make(96000.0, 2, true);
	assert_int_equal(K->latency(d), 0);
	assert_null(K->gain_reduction);
	assert_string_equal(K->name, "dither");
	assert_int_equal(K->n_params, LATHE_DITHER_PARAM_COUNT);
	K->destroy(d);
	K->destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid),
		cmocka_unit_test(test_error_statistics),
		cmocka_unit_test(test_channels_independent),
		cmocka_unit_test(test_shaping_spectrum),
		cmocka_unit_test(test_shaping_bounded),
		cmocka_unit_test(test_reproducible),
		cmocka_unit_test(test_block_split),
		cmocka_unit_test(test_block_split_rates),
		cmocka_unit_test(test_non_finite),
		cmocka_unit_test(test_interface),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
