/* lathe — half-band oversampling (see oversample.h).
 *
 * Glossary for the stage code below, for a half-band h of N = 4m + 3 taps
 * with centre c = 2m + 1 (h[c] = 0.5; h[c +- even] = 0):
 *  - up by 2: x[n] in, y[2n] and y[2n + 1] out, gain 2 for the zeros
 *    stuffed between samples. y[2n] = sum_j 2 h[2j] x[n - j] (j = 0..2m+1,
 *    the "FIR phase"); y[2n + 1] = x[n - m] (the centre tap alone).
 *  - down by 2: pairs z[2n], z[2n + 1] in, y[n] out. With p the pair
 *    member that feeds the FIR phase: y[n] = sum_j h[2j] z[2n + p - 2j]
 *    + 0.5 z[2n + p - c]. Delay 2m + 1 - p high-rate samples.
 * Histories are linear buffers, oldest first: the block is appended after
 * the 2m + 1 newest samples and the last 2m + 1 are moved to the front
 * after the block, so every output reads a contiguous window. The FIR
 * phase is symmetric: tap j and tap 2m + 1 - j share a coefficient, so
 * the window is folded into m + 1 sums of two samples before multiplying.
 *
 * Vectors: a mono object keeps one float per frame (stride S = 1), a
 * stereo one two, interleaved (S = 2). Either way four consecutive floats
 * are four independent outputs (4 frames of one channel, or 2 frames of
 * two), and the same lane-wise code serves both: tap j of the output at
 * float o reads o + S j. Outputs are computed BLOCK floats at a time
 * (four vectors, one partial sum each, kept in registers, so no horizontal
 * sum is needed); a partial last block reads slack past the new samples
 * and stores only what is valid. Each output accumulates its taps in the
 * same fixed order whatever its lane or block, so the result does not
 * depend on how the signal was split into calls, nor on mono or stereo.
 *
 * Between stages nothing is copied: on the way up a stage writes its
 * output straight into the next stage's history; on the way down it
 * splits its output by shuffles straight into the next stage's two
 * histories (FIR and centre phase). The top stage up can leave its two
 * phases, unshuffled, in the top stage's down histories, where the
 * caller's curve runs on them in place (up2_top, down2_top): the top-rate
 * signal is never interleaved only to be split again.
 */
#include "oversample.h"
#include "dsp.h"
#include "simd.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STAGES 3
/* Outputs are computed in blocks of NV 4-wide vectors (8 would need more
 * than the 16 SSE registers). Histories have BLOCK floats of slack for
 * the partial last block. */
#define NV 4
#define BLOCK (4 * NV)


#if defined(__clang__)
#define SHUF(a, b, i, j, k, l) __builtin_shufflevector(a, b, i, j, k, l)
#else
#define SHUF(a, b, i, j, k, l) __builtin_shuffle(a, b, (LatheV4i){ i, j, k, l })
#endif

typedef struct {
	int m;        /* half-band of 4m + 3 taps */
	int p;        /* down: pair member (0 or 1) feeding the FIR phase */
	LatheV4f *up;     /* m + 1 folded taps, oldest pair first, broadcast: 2 h */
	LatheV4f *down;   /* m + 1 folded taps, broadcast: h */
	/* Histories, S floats per frame, oldest first. */
	float *hup;   /* up input: S (2m + 1 + in) + BLOCK */
	float *hfir;  /* down, FIR-phase inputs: S (2m + 1 + in) + BLOCK */
	float *hctr;  /* down, centre-phase inputs: S (m + 2 + in) + BLOCK */
	int in;       /* most input frames of the up stage per call */
} Stage;

struct LatheOversampler {
	int factor, stages, channels;
	int latency;
	double up_latency;
	Stage stage[MAX_STAGES];
	float *pool;     /* every float array above, one allocation */
	size_t pool_size;
};

/* ---- design (not real-time) ---- */

static double bessel_i0(double x)
{
	/* Power series; terms fall fast for the beta used here (< 12). */
	double sum = 1.0, term = 1.0;
	for (int k = 1; k < 100; k++) {
		double r = x / (2.0 * k);
		term *= r * r;
		sum += term;
		if (term < 1e-17 * sum)
			break;
	}
	return sum;
}

/* The sinc taps h[c + 2j + 1] (offsets 1, 3, .., 2m + 1) of a half-band
 * with a Kaiser window spanning the 4m + 3 taps, into odd[0..m], scaled so
 * that they sum to 0.25 per side: DC gain exactly 1, and so exactly 0 at
 * half the rate. */
static void halfband(int m, double beta, double *odd)
{
	double c = 2.0 * m + 1.0, sum = 0.0, i0b = bessel_i0(beta);
	for (int j = 0; j <= m; j++) {
		double k = 2.0 * j + 1.0, r = k / c;
		double win = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / i0b;
		odd[j] = sin(M_PI * k / 2.0) / (M_PI * k) * win;
		sum += 2.0 * odd[j];
	}
	for (int j = 0; j <= m; j++)
		odd[j] *= 0.5 / sum;
}

/* Largest |H| over the stopband [0.5 - pass, 0.5] (cycles per sample). */
static double stopband_peak(int m, const double *odd, double pass)
{
	/* 1024 points: more than 30 per ripple lobe at the longest design,
	 * so the measured peak is within 0.05 dB of the true one. The odd
	 * cosines cos((2j + 1) w) follow the recurrence
	 * c(j + 1) = 2 cos(2w) c(j) - c(j - 1). */
	double peak = 0.0;
	for (int g = 0; g <= 1024; g++) {
		double w = 2.0 * M_PI * (0.5 - pass + pass * g / 1024.0);
		double two_cos2w = 2.0 * cos(2.0 * w), prev = cos(-w), cur = cos(w);
		double h = 0.5;
		for (int j = 0; j <= m; j++) {
			h += 2.0 * odd[j] * cur;
			double next = two_cos2w * cur - prev;
			prev = cur;
			cur = next;
		}
		if (fabs(h) > peak)
			peak = fabs(h);
	}
	return peak;
}

/* Barycentric weights of the nodes x[0..n-1] (differences scaled by
 * `scale` so that the products stay in range). */
static void bary_weights(const double *x, int n, double scale, double *w)
{
	for (int k = 0; k < n; k++) {
		double prod = 1.0;
		for (int i = 0; i < n; i++)
			if (i != k)
				prod *= (x[k] - x[i]) * scale;
		w[k] = 1.0 / prod;
	}
}

/* The polynomial through (x[k], c[k]), k < n, at t. */
static double bary_eval(const double *x, const double *c, const double *w, int n, double t)
{
	double num = 0.0, den = 0.0;
	for (int k = 0; k < n; k++) {
		double d = t - x[k];
		if (d == 0.0)
			return c[k];
		num += w[k] * c[k] / d;
		den += w[k] / d;
	}
	return num / den;
}

/* Equiripple half-band by the Remez exchange. The taps make
 * A(w) = sum_j 2 odd[j] cos((2j + 1) w), H = 0.5 + A, and A(pi - w) =
 * -A(w), so the pass band error A - 0.5 on [0, wp] is mirrored into the
 * stopband: minimising its peak there is the whole design. With x =
 * cos 2w, A(w) = cos(w) P(x) for a polynomial P of degree m, so this is
 * the weighted polynomial problem of Parks and McClellan (weight cos w,
 * target 0.5 / cos w on x in [cos 2wp, 1]), solved in their barycentric
 * form. The taps come back from A at the m + 1 nodes of a DCT-IV.
 * Returns false if the exchange breaks down (the caller falls back to a
 * window); the caller measures what it gets either way. */
static bool remez_halfband(int m, double pass, double *odd)
{
	int r = m + 2, grid = 32 * r > 1024 ? 32 * r : 1024;
	double wp = 2.0 * M_PI * pass, xa = cos(2.0 * wp), scale = 2.0 / (1.0 - xa);
	double *mem = malloc(sizeof(double) * (size_t)(3 * (grid + 1) + 6 * r));
	int *ref = malloc(sizeof(int) * (size_t)(2 * r + grid + 1));
	if (!mem || !ref) {
		free(mem);
		free(ref);
		return false;
	}
	double *gx = mem, *gc = gx + grid + 1, *err = gc + grid + 1;
	double *x = err + grid + 1, *c = x + r, *bw = c + r, *pw = bw + r, *dsk = pw + r;
	int *ext = ref + r;
	for (int g = 0; g <= grid; g++) {
		double w = wp * g / grid;
		gx[g] = cos(2.0 * w);
		gc[g] = cos(w);
	}
	for (int k = 0; k < r; k++)
		ref[k] = (int)lround((double)k * grid / (r - 1));
	bool ok = false;
	for (int it = 0; it < 100; it++) {
		for (int k = 0; k < r; k++)
			x[k] = gx[ref[k]];
		bary_weights(x, r, scale, bw);
		double num = 0.0, den = 0.0;
		for (int k = 0; k < r; k++) {
			double wk = gc[ref[k]], sgn = (k & 1) ? -1.0 : 1.0;
			num += bw[k] * 0.5 / wk;
			den += bw[k] * sgn / wk;
		}
		double delta = num / den;
		for (int k = 0; k < r - 1; k++) {
			double wk = gc[ref[k]], sgn = (k & 1) ? -1.0 : 1.0;
			c[k] = (0.5 - sgn * delta) / wk;
		}
		bary_weights(x, r - 1, scale, pw);
		for (int g = 0; g <= grid; g++)
			err[g] = 0.5 - gc[g] * bary_eval(x, c, pw, r - 1, gx[g]);
		/* Extrema: the largest |err| of every run of one sign. */
		int n = 0;
		for (int g = 0; g <= grid; g++) {
			bool pos = err[g] >= 0.0;
			if (n > 0 && pos == (err[ext[n - 1]] >= 0.0)) {
				if (fabs(err[g]) > fabs(err[ext[n - 1]]))
					ext[n - 1] = g;
			} else {
				ext[n++] = g;
			}
		}
		if (n < r)
			break;
		/* Too many: drop the smallest (an end alone, or an inner one
		 * with the smaller of its neighbours, which keeps the signs
		 * alternating). */
		while (n > r) {
			int s = 0;
			for (int k = 1; k < n; k++)
				if (fabs(err[ext[k]]) < fabs(err[ext[s]]))
					s = k;
			if (n - r == 1 || s == 0 || s == n - 1) {
				int drop = fabs(err[ext[0]]) < fabs(err[ext[n - 1]]) ? 0 : n - 1;
				if (n - r > 1)
					drop = s;
				memmove(ext + drop, ext + drop + 1, sizeof(int) * (size_t)(n - drop - 1));
				n--;
			} else {
				int keep = fabs(err[ext[s - 1]]) > fabs(err[ext[s + 1]]) ? s - 1 : s + 1;
				ext[s - 1] = ext[keep];
				memmove(ext + s, ext + s + 2, sizeof(int) * (size_t)(n - s - 2));
				n -= 2;
			}
		}
		double peak = 0.0;
		for (int k = 0; k < r; k++)
			peak = fmax(peak, fabs(err[ext[k]]));
		memcpy(ref, ext, sizeof(int) * (size_t)r);
		if (peak - fabs(delta) <= 1e-9 * peak) {
			ok = true;
			break;
		}
	}
	if (ok) {
		/* A at the DCT-IV nodes w_i = pi (2i + 1) / 4N, N = m + 1, and
		 * back: a_j = 2/N sum_i A(w_i) cos(pi (2i + 1)(2j + 1) / 4N). */
		int nn = m + 1;
		for (int i = 0; i < nn; i++) {
			double w = M_PI * (2.0 * i + 1.0) / (4.0 * nn);
			dsk[i] = cos(w) * bary_eval(x, c, pw, r - 1, cos(2.0 * w));
		}
		for (int j = 0; j < nn; j++) {
			double a = 0.0;
			for (int i = 0; i < nn; i++)
				a += dsk[i] * cos(M_PI * (2.0 * i + 1.0) * (2.0 * j + 1.0) / (4.0 * nn));
			odd[j] = a / nn; /* 2 odd[j] = a_j = 2/N sum */
			if (!isfinite(odd[j]))
				ok = false;
		}
	}
	free(mem);
	free(ref);
	return ok;
}

/* Best Kaiser-windowed half-band of this length: try window shapes around
 * Kaiser's beta for the attenuation (the formula is only an estimate).
 * Returns its stopband peak. */
static double kaiser_halfband(int m, double pass, double db, double *odd)
{
	double beta0 = 0.1102 * (db - 8.7);
	double best_peak = 2.0, best_beta = beta0;
	for (int b = -6; b <= 6; b++) {
		double beta = beta0 + 0.25 * b;
		halfband(m, beta, odd);
		double peak = stopband_peak(m, odd, pass);
		if (peak < best_peak) {
			best_peak = peak;
			best_beta = beta;
		}
	}
	halfband(m, best_beta, odd);
	return best_peak;
}

/* Shortest half-band with at least `db` of stopband above 0.5 - pass.
 * Returns m, or -1 if none up to max_m. Equiripple (Remez) designs, or
 * Kaiser-windowed ones: see lathe_oversampler_new() for which where. */
static int design(double pass, double db, double *odd, int max_m, bool equiripple)
{
	/* Start a little below Kaiser's length estimate (well below for an
	 * equiripple design, which needs fewer taps) and grow, measuring each
	 * candidate. */
	double df = 0.5 - 2.0 * pass;
	double est = ((db - 7.95) / (14.36 * df) + 1.0 - 3.0) / 4.0;
	int m = equiripple ? (int)(0.6 * est) - 1 : (int)est - 2;
	if (m < 0)
		m = 0;
	for (; m <= max_m; m++) {
		if (equiripple && remez_halfband(m, pass, odd)) {
			if (-20.0 * log10(stopband_peak(m, odd, pass)) >= db)
				return m;
		} else if (-20.0 * log10(kaiser_halfband(m, pass, db, odd)) >= db) {
			return m;
		}
	}
	return -1;
}

LatheOversampler *lathe_oversampler_new(double rate, int factor, int channels)
{
	int stages = factor == 2 ? 1 : factor == 4 ? 2 : factor == 8 ? 3 : 0;
	if (stages == 0 || channels < 1 || channels > 2 || !(rate > 0.0))
		return NULL;
	LatheOversampler *os = calloc(1, sizeof(*os));
	if (!os)
		return NULL;
	os->factor = factor;
	os->stages = stages;
	os->channels = channels;

	/* Below 44.1 kHz the 20 kHz band does not fit: protect 90.7 % of
	 * Nyquist instead (20 kHz at 44.1 kHz). */
	double pass_hz = fmin(LATHE_OVERSAMPLE_PASS_HZ, 0.4535 * rate);
	double odd[MAX_STAGES][128];
	for (int k = 0; k < stages; k++) {
		double high = rate * (2 << k);
		double db = k == 0 ? LATHE_OVERSAMPLE_STAGE1_DB : LATHE_OVERSAMPLE_STAGEN_DB;
		/* m <= 127: stage 1 at 44.1 kHz needs m = 31; the limit is a guard. */
		/* Stage 1 is Kaiser-windowed, later stages equiripple. Both
		 * meet the attenuation at the stopband edge; they differ
		 * further in. A Kaiser design's sidelobes fall away from the
		 * edge, an equiripple one's stay at the limit. Stage 1's
		 * images lie just above the band (a 15 kHz tone's at 29.1 kHz
		 * at 44.1 kHz) and meet the signal in the nonlinearity, which
		 * intermodulates them back into the band (2 * 15 - 29.1 =
		 * 0.9 kHz): an equiripple stage 1 at 90 dB takes the 8x
		 * aliases of test_saturate's tone from -114 dB to -102 dB. The
		 * later stages' images lie far above the band, where only
		 * high-order products could bring them back, and their wide
		 * transitions make equiripple designs much shorter (at 48 kHz
		 * 19 and 11 taps instead of 23 and 19; those happen to reach
		 * 106 and 104 dB, and the same tone's aliases fall to -121 dB). */
		int m = design(pass_hz / high, db, odd[k], 127, k > 0);
		if (m < 0) {
			free(os);
			return NULL;
		}
		os->stage[k].m = m;
	}

	/* Down-stage phases: the round trip in top-rate samples is
	 * sum_k (2 c_k - p_k) * factor / 2^k; pick the p_k that make it a
	 * multiple of the factor (a whole number of base samples), shortest
	 * first. With c_k odd one combination always exists. */
	int best = -1;
	for (int combo = 0; combo < (1 << stages); combo++) {
		int top = 0;
		for (int k = 0; k < stages; k++) {
			int c = 2 * os->stage[k].m + 1, p = (combo >> k) & 1;
			top += (2 * c - p) * (factor >> (k + 1));
		}
		if (top % factor == 0 && (best < 0 || top / factor < os->latency)) {
			best = combo;
			os->latency = top / factor;
		}
	}
	if (best < 0) { /* cannot happen with odd centres; keeps the promise */
		free(os);
		return NULL;
	}
	os->up_latency = 0.0;
	for (int k = 0; k < stages; k++) {
		os->stage[k].p = (best >> k) & 1;
		os->up_latency += (2.0 * os->stage[k].m + 1.0) / (double)(2 << k);
	}

	/* One pool, 16-byte aligned, for coefficients (first, so that the
	 * broadcast taps stay aligned) and histories. */
	size_t S = (size_t)channels;
	size_t need = 0;
	for (int k = 0; k < stages; k++) {
		size_t m = (size_t)os->stage[k].m, in = (size_t)LATHE_OVERSAMPLE_MAX_BLOCK << k;
		need += 2 * 4 * (m + 1);
		need += 2 * (S * (2 * m + 1 + in) + BLOCK) + S * (m + 2 + in) + BLOCK;
	}
	need = (need + 3) & ~(size_t)3;
	os->pool = aligned_alloc(16, need * sizeof(float));
	if (!os->pool) {
		free(os);
		return NULL;
	}
	memset(os->pool, 0, need * sizeof(float));
	float *p = os->pool;
	for (int k = 0; k < stages; k++) {
		Stage *s = &os->stage[k];
		int m = s->m;
		s->up = (LatheV4f *)(void *)p;
		p += 4 * (m + 1);
		s->down = (LatheV4f *)(void *)p;
		p += 4 * (m + 1);
		/* Folded tap j pairs the j-th oldest and j-th newest of the 2m + 2
		 * FIR-phase samples: offset c - 2j from the centre, odd[m - j]. */
		for (int j = 0; j <= m; j++) {
			float u = (float)(2.0 * odd[k][m - j]), d = (float)odd[k][m - j];
			s->up[j] = (LatheV4f){ u, u, u, u };
			s->down[j] = (LatheV4f){ d, d, d, d };
		}
	}
	for (int k = 0; k < stages; k++) {
		Stage *s = &os->stage[k];
		size_t m = (size_t)s->m, in = (size_t)LATHE_OVERSAMPLE_MAX_BLOCK << k;
		s->in = (int)in;
		s->hup = p;
		p += S * (2 * m + 1 + in) + BLOCK;
		s->hfir = p;
		p += S * (2 * m + 1 + in) + BLOCK;
		s->hctr = p;
		p += S * (m + 2 + in) + BLOCK;
	}
	os->pool_size = need;
	return os;
}

void lathe_oversampler_free(LatheOversampler *os)
{
	if (!os)
		return;
	free(os->pool);
	free(os);
}

void lathe_oversampler_reset(LatheOversampler *os)
{
	/* Only the histories: the coefficients stay. */
	size_t S = (size_t)os->channels;
	for (int k = 0; k < os->stages; k++) {
		const Stage *s = &os->stage[k];
		size_t m = (size_t)s->m, in = (size_t)s->in;
		memset(s->hup, 0, (S * (2 * m + 1 + in) + BLOCK) * sizeof(float));
		memset(s->hfir, 0, (S * (2 * m + 1 + in) + BLOCK) * sizeof(float));
		memset(s->hctr, 0, (S * (m + 2 + in) + BLOCK) * sizeof(float));
	}
}

int lathe_oversampler_factor(const LatheOversampler *os) { return os->factor; }
int lathe_oversampler_latency(const LatheOversampler *os) { return os->latency; }
double lathe_oversampler_up_latency(const LatheOversampler *os) { return os->up_latency; }
int lathe_oversampler_stages(const LatheOversampler *os) { return os->stages; }

int lathe_oversampler_stage_taps(const LatheOversampler *os, int k)
{
	return k >= 0 && k < os->stages ? 4 * os->stage[k].m + 3 : 0;
}

/* ---- processing (real-time) ---- */

/* Copy n floats, 4 at a time, ascending: dst may overlap src if it lies
 * at least 4 floats below it. Both may be read or written up to 3 floats
 * past n (the buffers here have the slack). */
static inline void copy4(float *dst, const float *src, int n)
{
	for (int i = 0; i < n; i += 4)
		lathe_v4f_store(dst + i, lathe_v4f_load(src + i));
}

/* After a call of `total` floats: move the newest `keep` of the history
 * to its front. */
static inline void slide(float *buf, int total, int keep)
{
	if (total >= 4) {
		copy4(buf, buf + total, keep);
	} else {
		for (int i = 0; i < keep; i++)
			buf[i] = buf[i + total];
	}
}

/* The FIR phase of the BLOCK outputs whose windows start at x:
 * a[v] lane i = sum_j c[j] (x[4v + i + S j] + x[4v + i + S (2m + 1 - j)]),
 * summed from j = 0. The loops have constant trip counts (m too, where
 * the caller passes one) so that they unroll and a[] lives in registers. */
static inline __attribute__((always_inline))
void fir_block(const LatheV4f *restrict c, int m, const float *x, int S, LatheV4f a[NV])
{
	const float *f = x, *r = x + S * (2 * m + 1);
	LatheV4f k = c[0];
#pragma GCC unroll 8
	for (int v = 0; v < NV; v++)
		a[v] = k * (lathe_v4f_load(f + 4 * v) + lathe_v4f_load(r + 4 * v));
#pragma GCC unroll 4
	for (int j = 1; j <= m; j++) {
		k = c[j];
		const float *fj = f + S * j, *rj = r - S * j;
#pragma GCC unroll 8
		for (int v = 0; v < NV; v++)
			a[v] += k * (lathe_v4f_load(fj + 4 * v) + lathe_v4f_load(rj + 4 * v));
	}
}

/* Two vectors of consecutive frames: the even frames (first of each
 * pair), and the odd ones. */
static inline LatheV4f evens(LatheV4f a, LatheV4f b, int S)
{
	return S == 1 ? SHUF(a, b, 0, 2, 4, 6) : SHUF(a, b, 0, 1, 4, 5);
}

static inline LatheV4f odds(LatheV4f a, LatheV4f b, int S)
{
	return S == 1 ? SHUF(a, b, 1, 3, 5, 7) : SHUF(a, b, 2, 3, 6, 7);
}

/* Frames f0 c0 f1 c1 ... from f and c: the first half, then the second. */
static inline LatheV4f zip_lo(LatheV4f f, LatheV4f c, int S)
{
	return S == 1 ? SHUF(f, c, 0, 4, 1, 5) : SHUF(f, c, 0, 1, 4, 5);
}

static inline LatheV4f zip_hi(LatheV4f f, LatheV4f c, int S)
{
	return S == 1 ? SHUF(f, c, 2, 6, 3, 7) : SHUF(f, c, 2, 3, 6, 7);
}

/* Where a stage's input goes: after the frames its histories keep. */
static inline float *up_in(const Stage *s, int S) { return s->hup + S * (2 * s->m + 1); }
static inline float *fir_in(const Stage *s, int S) { return s->hfir + S * (2 * s->m + 1); }
static inline float *ctr_in(const Stage *s, int S) { return s->hctr + S * (s->m + 2); }
/* Down: the histories that take the even and the odd frames of a pair. */
static inline float *even_in(const Stage *s, int S) { return s->p ? ctr_in(s, S) : fir_in(s, S); }
static inline float *odd_in(const Stage *s, int S) { return s->p ? fir_in(s, S) : ctr_in(s, S); }

/* One up stage (m: the stage's, or 0 to read it): the n new input
 * frames are already in its history; 2n frames out. If `out`,
 * interleaved there (a partial last block stores only what is valid);
 * else as two phases, the FIR phase (frames 2i) to ph0 and the centre
 * phase (frames 2i + 1) to ph1, which have BLOCK floats of slack. */
static inline __attribute__((always_inline))
void up_stage(const Stage *s, int m, float *restrict out, float *restrict ph0, float *restrict ph1,
	      int n, int S)
{
	if (!m)
		m = s->m;
	int total = S * n;
	float *buf = s->hup;
	/* Centre phase of the output at float o: input frame i + m + 1. */
	const float *ctr = buf + S * (m + 1);
	for (int o = 0; o < total; o += BLOCK) {
		LatheV4f a[NV];
		fir_block(s->up, m, buf + o, S, a);
		if (!out) {
#pragma GCC unroll 8
			for (int v = 0; v < NV; v++)
				lathe_v4f_store(ph0 + o + 4 * v, a[v]);
			continue;
		}
		float tmp[2 * BLOCK];
		float *dst = o + BLOCK <= total ? out + 2 * o : tmp;
#pragma GCC unroll 8
		for (int v = 0; v < NV; v++) {
			LatheV4f c = lathe_v4f_load(ctr + o + 4 * v);
			lathe_v4f_store(dst + 8 * v, zip_lo(a[v], c, S));
			lathe_v4f_store(dst + 8 * v + 4, zip_hi(a[v], c, S));
		}
		if (dst == tmp)
			memcpy(out + 2 * o, tmp, sizeof(float) * (size_t)(2 * (total - o)));
	}
	if (!out)
		copy4(ph1, ctr, total);
	slide(buf, total, S * (2 * m + 1));
}

/* Split n high-rate pairs (2n frames) into a stage's two histories. */
static inline __attribute__((always_inline))
void split(const Stage *s, const float *restrict in, int n, int S)
{
	float *e = even_in(s, S), *o = odd_in(s, S);
	int total = S * n, i = 0;
	for (; i + 4 <= total; i += 4) {
		LatheV4f a = lathe_v4f_load(in + 2 * i), b = lathe_v4f_load(in + 2 * i + 4);
		lathe_v4f_store(e + i, evens(a, b, S));
		lathe_v4f_store(o + i, odds(a, b, S));
	}
	for (; i < total; i += S)
		for (int c = 0; c < S; c++) {
			e[i + c] = in[2 * i + c];
			o[i + c] = in[2 * i + S + c];
		}
}

/* One down stage (m as for up_stage): its n new pairs are already in its
 * histories; n frames out, to `out` (a partial last block stores only
 * what is valid), or if `next`, split straight into the histories of that
 * (lower) stage. */
static inline __attribute__((always_inline))
void down_stage(const Stage *s, int m, float *restrict out, const Stage *next, int n, int S)
{
	if (!m)
		m = s->m;
	int total = S * n;
	float *fir = s->hfir, *ctr = s->hctr;
	float *e = next ? even_in(next, S) : NULL, *od = next ? odd_in(next, S) : NULL;
	/* Centre phase of the output at float o: centre frame i + 1 + p. */
	const float *cc = ctr + S * (1 + s->p);
	const LatheV4f half = { 0.5f, 0.5f, 0.5f, 0.5f };
	for (int o = 0; o < total; o += BLOCK) {
		LatheV4f a[NV];
		fir_block(s->down, m, fir + o, S, a);
#pragma GCC unroll 8
		for (int v = 0; v < NV; v++)
			a[v] += half * lathe_v4f_load(cc + o + 4 * v);
		if (next) {
			/* Consecutive frames (a partial block fills slack). */
#pragma GCC unroll 4
			for (int v = 0; v < NV; v += 2) {
				lathe_v4f_store(e + o / 2 + 2 * v, evens(a[v], a[v + 1], S));
				lathe_v4f_store(od + o / 2 + 2 * v, odds(a[v], a[v + 1], S));
			}
			continue;
		}
		float tmp[BLOCK];
		float *dst = o + BLOCK <= total ? out + o : tmp;
#pragma GCC unroll 8
		for (int v = 0; v < NV; v++)
			lathe_v4f_store(dst + 4 * v, a[v]);
		if (dst == tmp)
			memcpy(out + o, tmp, sizeof(float) * (size_t)(total - o));
	}
	slide(fir, total, S * (2 * m + 1));
	slide(ctr, total, S * (m + 2));
}

/* The stage with its m as a constant where it is one of the short ones
 * (the later stages at every rate: m = 1, 2 or 4), so that its loops
 * unroll completely, taps in registers; stereo only (mono serves tests
 * and reports). */
#define WITH_M(mm, call) do { \
	switch (S == 1 ? 0 : (mm)) { \
	case 1: call(1); break; \
	case 2: call(2); break; \
	case 4: call(4); break; \
	default: call(0); break; \
	} \
} while (0)

/* The up stages. With `out`, the top rate is interleaved there; else it
 * is left as two phases in the top stage's down histories. */
static inline __attribute__((always_inline))
void up_all(LatheOversampler *os, const float *in, float *out, int n, int S)
{
	const Stage *s = os->stage;
	int top = os->stages - 1, total = S * n, i = 0;
	float *dst = up_in(&s[0], S);
	for (; i + 4 <= total; i += 4)
		lathe_v4f_store(dst + i, lathe_v4f_load(in + i));
	for (; i < total; i++)
		dst[i] = in[i];
	for (int k = 0; k <= top; k++) {
		float *o = k < top ? up_in(&s[k + 1], S) : out;
		float *p0 = o ? NULL : even_in(&s[k], S), *p1 = o ? NULL : odd_in(&s[k], S);
#define UP(mm) up_stage(&s[k], mm, o, p0, p1, n << k, S)
		WITH_M(s[k].m, UP);
#undef UP
	}
}

/* The down stages; with `in`, from the interleaved top rate there, else
 * from the phases up_all() left (and the caller processed). */
static inline __attribute__((always_inline))
void down_all(LatheOversampler *os, const float *in, float *out, int n, int S)
{
	int top = os->stages - 1;
	if (in)
		split(&os->stage[top], in, n << top, S);
	for (int k = top; k >= 0; k--) {
		const Stage *s = &os->stage[k], *next = k == 0 ? NULL : &os->stage[k - 1];
		float *o = k == 0 ? out : NULL;
#define DOWN(mm) down_stage(s, mm, o, next, n << k, S)
		WITH_M(s->m, DOWN);
#undef DOWN
	}
}

void lathe_oversampler_up(LatheOversampler *os, int ch, const float *in, float *out, int n)
{
	if (os->channels == 1 && ch == 0)
		up_all(os, in, out, n, 1);
}

void lathe_oversampler_down(LatheOversampler *os, int ch, const float *in, float *out, int n)
{
	if (os->channels == 1 && ch == 0)
		down_all(os, in, out, n, 1);
}

void lathe_oversampler_up2(LatheOversampler *os, const float *in, float *out, int n)
{
	if (os->channels == 2)
		up_all(os, in, out, n, 2);
}

void lathe_oversampler_down2(LatheOversampler *os, const float *in, float *out, int n)
{
	if (os->channels == 2)
		down_all(os, in, out, n, 2);
}

void lathe_oversampler_up2_top(LatheOversampler *os, const float *in, int n, float *top[2])
{
	top[0] = top[1] = NULL;
	if (os->channels != 2)
		return;
	up_all(os, in, NULL, n, 2);
	const Stage *s = &os->stage[os->stages - 1];
	top[0] = even_in(s, 2);
	top[1] = odd_in(s, 2);
}

void lathe_oversampler_down2_top(LatheOversampler *os, float *out, int n)
{
	if (os->channels == 2)
		down_all(os, NULL, out, n, 2);
}
