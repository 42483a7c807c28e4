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
 * Outputs are computed GROUP at a time, one partial sum per output, so the
 * compiler maps a group to SIMD registers and no horizontal sum is needed
 * (the last, partial group of a call reads slack past the new samples);
 * each output still accumulates its taps in the same fixed order, so the
 * result does not depend on how the signal was split into calls.
 */
#include "oversample.h"
#include "dsp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STAGES 3
/* Outputs computed together: two SSE or one AVX register. A partial last
 * group still reads GROUP windows: histories have GROUP floats of slack. */
#define GROUP 8

typedef struct {
	int m;        /* half-band of 4m + 3 taps */
	int p;        /* down: pair member (0 or 1) feeding the FIR phase */
	float *up;    /* m + 1 folded taps, oldest pair first: 2 h */
	float *down;  /* m + 1 folded taps: h */
} Stage;

typedef struct {
	float *up;    /* 2m + 1 + block + GROUP: input of the up stage */
	float *fir;   /* 2m + 1 + block + GROUP: down inputs of the FIR phase */
	float *ctr;   /* m + 2 + block: down inputs of the centre phase */
} History;

struct LatheOversampler {
	int factor, stages, channels;
	int latency;
	double up_latency;
	Stage stage[MAX_STAGES];
	History *hist;   /* [channel * stages + stage] */
	float *work[2];  /* ping-pong buffers between stages */
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

/* Shortest half-band with at least `db` of stopband above 0.5 - pass.
 * Returns m, or -1 if none up to max_m. */
static int design(double pass, double db, double *odd, int max_m)
{
	/* Start a little below Kaiser's length estimate and grow; at each
	 * length try window shapes around Kaiser's beta for the attenuation
	 * (the formula is only an estimate) and keep the best. */
	double df = 0.5 - 2.0 * pass;
	double beta0 = 0.1102 * (db - 8.7);
	int m = (int)(((db - 7.95) / (14.36 * df) + 1.0 - 3.0) / 4.0) - 2;
	if (m < 0)
		m = 0;
	for (; m <= max_m; m++) {
		double best_peak = 1.0, best_beta = beta0;
		for (int b = -6; b <= 6; b++) {
			double beta = beta0 + 0.25 * b;
			halfband(m, beta, odd);
			double peak = stopband_peak(m, odd, pass);
			if (peak < best_peak) {
				best_peak = peak;
				best_beta = beta;
			}
		}
		if (-20.0 * log10(best_peak) >= db) {
			halfband(m, best_beta, odd);
			return m;
		}
	}
	return -1;
}

LatheOversampler *lathe_oversampler_new(double rate, int factor, int channels)
{
	int stages = factor == 2 ? 1 : factor == 4 ? 2 : factor == 8 ? 3 : 0;
	if (stages == 0 || channels < 1 || !(rate > 0.0))
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
		int m = design(pass_hz / high, db, odd[k], 127);
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

	/* One pool for coefficients, histories and work buffers. */
	size_t block = (size_t)LATHE_OVERSAMPLE_MAX_BLOCK * factor + GROUP;
	size_t need = 2 * block;
	for (int k = 0; k < stages; k++) {
		size_t m = (size_t)os->stage[k].m;
		size_t in_up = (size_t)LATHE_OVERSAMPLE_MAX_BLOCK << k; /* up-stage inputs per block */
		need += 2 * (m + 1);
		need += (size_t)channels * (2 * (2 * m + 1 + in_up + GROUP) + m + 2 + in_up);
	}
	os->hist = calloc((size_t)channels * stages, sizeof(History));
	os->pool = calloc(need, sizeof(float));
	if (!os->hist || !os->pool) {
		lathe_oversampler_free(os);
		return NULL;
	}
	float *p = os->pool;
	os->work[0] = p;
	os->work[1] = p + block;
	p += 2 * block;
	for (int k = 0; k < stages; k++) {
		Stage *s = &os->stage[k];
		int m = s->m;
		s->up = p;
		p += m + 1;
		s->down = p;
		p += m + 1;
		/* Folded tap j pairs the j-th oldest and j-th newest of the 2m + 2
		 * FIR-phase samples: offset c - 2j from the centre, odd[m - j]. */
		for (int j = 0; j <= m; j++) {
			s->up[j] = (float)(2.0 * odd[k][m - j]);
			s->down[j] = (float)odd[k][m - j];
		}
		size_t in_up = (size_t)LATHE_OVERSAMPLE_MAX_BLOCK << k;
		for (int ch = 0; ch < channels; ch++) {
			History *h = &os->hist[ch * stages + k];
			h->up = p;
			p += 2 * m + 1 + in_up + GROUP;
			h->fir = p;
			p += 2 * m + 1 + in_up + GROUP;
			h->ctr = p;
			p += m + 2 + in_up;
		}
	}
	os->pool_size = need;
	return os;
}

void lathe_oversampler_free(LatheOversampler *os)
{
	if (!os)
		return;
	free(os->hist);
	free(os->pool);
	free(os);
}

void lathe_oversampler_reset(LatheOversampler *os)
{
	/* Only the histories: coefficients stay, work buffers carry nothing
	 * from one call to the next. */
	for (int ch = 0; ch < os->channels; ch++)
		for (int k = 0; k < os->stages; k++) {
			size_t m = (size_t)os->stage[k].m;
			History *h = &os->hist[ch * os->stages + k];
			size_t in_up = (size_t)LATHE_OVERSAMPLE_MAX_BLOCK << k;
			memset(h->up, 0, (2 * m + 1 + in_up + GROUP) * sizeof(float));
			memset(h->fir, 0, (2 * m + 1 + in_up + GROUP) * sizeof(float));
			memset(h->ctr, 0, (m + 2 + in_up) * sizeof(float));
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

/* acc[k] = sum_j c[j] (x[k + j] + x[k + 2m + 1 - j]), j = 0..m, k < GROUP:
 * the FIR phase of GROUP consecutive outputs, whose windows start at x. */
static inline void fir_group(const float *restrict c, int m, const float *restrict x, float *restrict acc)
{
	const float *b = x + 2 * m + 1;
	for (int k = 0; k < GROUP; k++)
		acc[k] = 0.0f;
	for (int j = 0; j <= m; j++) {
		float cj = c[j];
		for (int k = 0; k < GROUP; k++)
			acc[k] += cj * (x[j + k] + b[k - j]);
	}
}

/* One up stage: n inputs to 2n outputs. */
static void up_stage(const Stage *s, History *h, const float *in, float *restrict out, int n)
{
	int m = s->m, keep = 2 * m + 1;
	float *buf = h->up;
	memcpy(buf + keep, in, (size_t)n * sizeof(float));
	/* Output i's window is buf[i .. i + 2m + 1] (input i is newest); its
	 * centre-phase twin is input i - m. Whole groups first (fixed trip
	 * counts, so the interleave is vectorised too), then the rest. */
	const float *ctr = buf + keep - m;
	float acc[GROUP];
	int g = 0;
	for (; g + GROUP <= n; g += GROUP) {
		fir_group(s->up, m, buf + g, acc);
		for (int k = 0; k < GROUP; k++) {
			out[2 * (g + k)] = acc[k];
			out[2 * (g + k) + 1] = ctr[g + k];
		}
	}
	if (g < n) {
		fir_group(s->up, m, buf + g, acc);
		for (int k = 0; k < n - g; k++) {
			out[2 * (g + k)] = acc[k];
			out[2 * (g + k) + 1] = ctr[g + k];
		}
	}
	memmove(buf, buf + n, (size_t)keep * sizeof(float));
}

/* One down stage: 2n inputs to n outputs. */
static void down_stage(const Stage *s, History *h, const float *restrict in, float *restrict out, int n)
{
	int m = s->m, p = s->p, keep = 2 * m + 1;
	int ckeep = m + 2;       /* centre history kept between blocks */
	int off = m + 1 - p;     /* centre sample: off pairs back */
	float *buf = h->fir, *ctr = h->ctr;
	float *bin = buf + keep, *cin = ctr + ckeep;
	const float *cout = cin - off;
	float acc[GROUP];
	int g = 0;
	/* Split the pairs; whole groups have fixed trip counts (vectorised). */
	const float *fin = in + p, *fctr = in + 1 - p;
	int i = 0;
	for (; i + GROUP <= n; i += GROUP)
		for (int k = 0; k < GROUP; k++) {
			bin[i + k] = fin[2 * (i + k)];
			cin[i + k] = fctr[2 * (i + k)];
		}
	for (; i < n; i++) {
		bin[i] = fin[2 * i];
		cin[i] = fctr[2 * i];
	}
	for (; g + GROUP <= n; g += GROUP) {
		fir_group(s->down, m, buf + g, acc);
		for (int k = 0; k < GROUP; k++)
			out[g + k] = acc[k] + 0.5f * cout[g + k];
	}
	if (g < n) {
		fir_group(s->down, m, buf + g, acc);
		for (int k = 0; k < n - g; k++)
			out[g + k] = acc[k] + 0.5f * cout[g + k];
	}
	memmove(buf, buf + n, (size_t)keep * sizeof(float));
	memmove(ctr, ctr + n, (size_t)ckeep * sizeof(float));
}

void lathe_oversampler_up(LatheOversampler *os, int ch, const float *in, float *out, int n)
{
	const float *src = in;
	for (int k = 0; k < os->stages; k++) {
		float *dst = k == os->stages - 1 ? out : os->work[k & 1];
		up_stage(&os->stage[k], &os->hist[ch * os->stages + k], src, dst, n << k);
		src = dst;
	}
}

void lathe_oversampler_down(LatheOversampler *os, int ch, const float *in, float *out, int n)
{
	const float *src = in;
	for (int k = os->stages - 1; k >= 0; k--) {
		float *dst = k == 0 ? out : os->work[k & 1];
		down_stage(&os->stage[k], &os->hist[ch * os->stages + k], src, dst, n << k);
		src = dst;
	}
}
