/* lathe — input stage (see input.h).
 *
 * Everything but the high-pass is one 2x2 matrix applied to (L, R):
 *
 *   M = trim * MS(mid, side) * diag(bal_l, bal_r) * SWAP(s) * diag(pol_l, pol_r)
 *
 * read right to left: polarity of each input side, then swap, then
 * balance, then M/S balance, then trim (trim is folded into the balance
 * gains). SWAP(s) = [[1 - s, s], [s, 1 - s]] and the polarities are +-1,
 * so a discrete change fades by letting s or a polarity glide linearly
 * over LATHE_FADE_MS: the output is then exactly a linear crossfade
 * between the old and the new routing. Continuous gains glide linearly
 * over one sub-block. While nothing glides the matrix is constant; at the
 * defaults it is the identity and the stage only replaces non-finite
 * samples (bit-transparent).
 *
 * The high-pass (Butterworth 12/24/48 dB/oct: 1, 2 or 4 biquads in
 * cascade, running in double) follows the matrix. Switching it on or off
 * or changing its slope crossfades over LATHE_FADE_MS from the running
 * filter to a new one started from silence; starting cold makes only a
 * low-frequency settling, which the fade (starting at zero gain) hides.
 * A change starts on a sub-block boundary; one asked for during a fade
 * starts at the first boundary after that fade ends.
 */
#include "input.h"
#include "biquad.h"
#include "dsp.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SECTIONS 4 /* 48 dB/oct: order 8 */

typedef struct {
	int sections;   /* 0 = off */
	/* Coefficients broadcast to both lanes, and the direct form I state
	 * of each section with the two channels in one vector (lane 0 left,
	 * lane 1 right): both channels run with one SSE2 operation per
	 * multiply or add, with exactly the arithmetic of the scalar form. */
	LatheBiquad2 c[MAX_SECTIONS];
	LatheBiquadState2 st[MAX_SECTIONS];
} Bank;

typedef struct {
	double rate;
	int fade_len;
	float trim_db, bal_db, ms_db;
	LatheRamp gl, gr, gm, gs;        /* balance x trim per side; mid and side */
	LatheRamp pol_l, pol_r, swap;    /* discrete, faded */
	float rest[4];                   /* the matrix once every glide has ended */

	int hpf_on, hpf_slope;
	float hpf_freq;
	Bank bank[2];
	int cur, next;              /* bank sounding; bank fading in, or -1 */
	int hpf_pos;
	int phase;                  /* absolute position modulo LATHE_SUBBLOCK */
	int started;                /* audio processed since create or reset */
} Input;

static int wanted_sections(const Input *s)
{
	return s->hpf_on ? 1 << s->hpf_slope : 0;
}

static void bank_design(Bank *b, double f, double rate)
{
	for (int k = 0; k < b->sections; k++) {
		LatheBiquad c = lathe_biquad_highpass(f, lathe_butterworth_q(2 * b->sections, k), rate);
		b->c[k] = lathe_biquad2_splat(&c);
	}
}

/* The routing matrix for the given glide values. */
static void matrix_of(float gl, float gr, float pl, float pr, float sw, float gm, float gs, float m[4])
{
	/* A = diag(gl, gr) SWAP diag(pl, pr); M = MS A. */
	float a00 = gl * (1.0f - sw) * pl, a01 = gl * sw * pr;
	float a10 = gr * sw * pl, a11 = gr * (1.0f - sw) * pr;
	float a = 0.5f * (gm + gs), b = 0.5f * (gm - gs);
	m[0] = a * a00 + b * a10;
	m[1] = a * a01 + b * a11;
	m[2] = b * a00 + a * a10;
	m[3] = b * a01 + a * a11;
}

/* The routing matrix from the current values of the glides. */
static void matrix(const Input *s, float m[4])
{
	matrix_of(lathe_ramp_value(&s->gl), lathe_ramp_value(&s->gr), lathe_ramp_value(&s->pol_l),
		  lathe_ramp_value(&s->pol_r), lathe_ramp_value(&s->swap), lathe_ramp_value(&s->gm),
		  lathe_ramp_value(&s->gs), m);
}

/* The matrix at the glides' targets: matrix() once they have ended. */
static void update_rest(Input *s)
{
	matrix_of(s->gl.to, s->gr.to, s->pol_l.to, s->pol_r.to, s->swap.to, s->gm.to, s->gs.to, s->rest);
}

static void *input_create(double rate)
{
	Input *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->rate = rate;
	s->fade_len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	lathe_ramp_init(&s->gl, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->gr, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->gm, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->gs, 1.0f, LATHE_SUBBLOCK);
	lathe_ramp_init(&s->pol_l, 1.0f, s->fade_len);
	lathe_ramp_init(&s->pol_r, 1.0f, s->fade_len);
	lathe_ramp_init(&s->swap, 0.0f, s->fade_len);
	/* Registry defaults: off, 20 Hz, 24 dB/oct. */
	s->hpf_freq = 20.0f;
	s->hpf_slope = 1;
	s->next = -1;
	update_rest(s);
	return s;
}

static void input_destroy(void *self)
{
	free(self);
}

static void set_balance(Input *s)
{
	/* Half the balance each way, in dB: 10^(x/2/20). */
	float trim = lathe_db_to_gain(s->trim_db);
	lathe_ramp_set(&s->gl, trim * lathe_db_to_gain(-0.5f * s->bal_db));
	lathe_ramp_set(&s->gr, trim * lathe_db_to_gain(0.5f * s->bal_db));
}

static void settle(Input *s);

static void input_set(void *self, int param, float value)
{
	Input *s = self;
	switch (param) {
	case LATHE_INPUT_TRIM:
		s->trim_db = value;
		set_balance(s);
		break;
	case LATHE_INPUT_BALANCE:
		s->bal_db = value;
		set_balance(s);
		break;
	case LATHE_INPUT_POLARITY_L:
		lathe_ramp_set(&s->pol_l, value >= 0.5f ? -1.0f : 1.0f);
		break;
	case LATHE_INPUT_POLARITY_R:
		lathe_ramp_set(&s->pol_r, value >= 0.5f ? -1.0f : 1.0f);
		break;
	case LATHE_INPUT_SWAP:
		lathe_ramp_set(&s->swap, value >= 0.5f ? 1.0f : 0.0f);
		break;
	case LATHE_INPUT_MS_BALANCE:
		s->ms_db = value;
		lathe_ramp_set(&s->gm, lathe_db_to_gain(0.5f * value));
		lathe_ramp_set(&s->gs, lathe_db_to_gain(-0.5f * value));
		break;
	case LATHE_INPUT_HPF:
		s->hpf_on = value >= 0.5f;
		break;
	case LATHE_INPUT_HPF_FREQ:
		s->hpf_freq = value;
		bank_design(&s->bank[s->cur], value, s->rate);
		if (s->next >= 0)
			bank_design(&s->bank[s->next], value, s->rate);
		break;
	case LATHE_INPUT_HPF_SLOPE: {
		int k = (int)lrintf(value);
		s->hpf_slope = k < 0 ? 0 : k > 2 ? 2 : k;
		break;
	}
	default:
		break;
	}
	update_rest(s);
	if (!s->started)
		settle(s);
}

/* Jump to the asked-for settings: no glide, no fade, filters cleared.
 * Used before any audio (the chain sets every parameter right after
 * create) and by reset(), where a fade in progress completes. */
static void settle(Input *s)
{
	LatheRamp *r[] = { &s->gl, &s->gr, &s->gm, &s->gs, &s->pol_l, &s->pol_r, &s->swap };
	for (int i = 0; i < 7; i++)
		r[i]->pos = r[i]->len;
	s->next = -1;
	s->bank[s->cur] = (Bank){ .sections = wanted_sections(s) };
	bank_design(&s->bank[s->cur], s->hpf_freq, s->rate);
}

static void input_reset(void *self)
{
	Input *s = self;
	settle(s); /* rebuilds the sounding bank from silence */
	s->started = 0;
}

static int input_latency(const void *self)
{
	(void)self;
	return 0;
}

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* lathe_biquad2_tick in two halves that leave the state slots in turn
 * (a register allocator does not find this by itself): step_to_old writes
 * the new input and output over the older slots (x2, y2), step_swapped
 * then reads x2, y2 as the newest and writes over x1, y1, which restores
 * the usual roles. Same arithmetic as lathe_biquad2_tick. */
ALWAYS_INLINE LatheV2d step_to_old(const LatheBiquad2 *c, LatheBiquadState2 *s, LatheV2d x)
{
	LatheV2d y = (c->b0 * x + c->b1 * s->x1 + c->b2 * s->x2 - c->a2 * s->y2) - c->a1 * s->y1;
	s->x2 = x;
	s->y2 = y;
	return y;
}

ALWAYS_INLINE LatheV2d step_swapped(const LatheBiquad2 *c, LatheBiquadState2 *s, LatheV2d x)
{
	LatheV2d y = (c->b0 * x + c->b1 * s->x2 + c->b2 * s->x1 - c->a2 * s->y1) - c->a1 * s->y2;
	s->x1 = x;
	s->y1 = y;
	return y;
}

/* Run a bank over n frames of both channels in place, with exactly the
 * arithmetic of lathe_biquad_tick per channel and section.
 *
 * The state stays in registers for the block (`sections` is a constant at
 * each call below, so every loop over it unrolls), and the sections run
 * as a pipeline: in step t, section k filters frame t - k, whose input
 * section k - 1 made in the step before. Each section's recursion waits
 * on a multiply and a subtraction per frame; laid out frame by frame, the
 * next section would wait on the whole previous one and the processor
 * could not keep enough of them in flight to overlap them. */
ALWAYS_INLINE void bank_run_k(Bank *b, LatheV2d *x, int n, const int sections)
{
	const LatheBiquad2 *c = b->c;
	LatheBiquadState2 st[MAX_SECTIONS];
	LatheV2d v[MAX_SECTIONS]; /* latest output of each section */
#pragma GCC unroll 4
	for (int k = 0; k < sections; k++)
		st[k] = b->st[k];
	if (n < sections) {
		/* Too short to fill the pipeline (calls of a few frames). */
		for (int i = 0; i < n; i++) {
#pragma GCC unroll 4
			for (int k = 0; k < sections; k++)
				x[i] = lathe_biquad2_tick(&c[k], &st[k], x[i]);
		}
	} else {
		/* Fill: steps 0 .. sections - 2. */
#pragma GCC unroll 4
		for (int t = 0; t < sections - 1; t++) {
#pragma GCC unroll 4
			for (int k = sections - 1; k >= 0; k--)
				if (k <= t)
					v[k] = lathe_biquad2_tick(&c[k], &st[k], k > 0 ? v[k - 1] : x[t]);
		}
		/* Every section busy: steps sections - 1 .. n - 1, two at a
		 * time, the second with the roles of the state slots swapped
		 * (see step_swapped), so that no state is copied. */
		int t = sections - 1;
		for (; t + 1 < n; t += 2) {
#pragma GCC unroll 4
			for (int k = sections - 1; k >= 0; k--)
				v[k] = step_to_old(&c[k], &st[k], k > 0 ? v[k - 1] : x[t]);
			x[t - (sections - 1)] = v[sections - 1];
#pragma GCC unroll 4
			for (int k = sections - 1; k >= 0; k--)
				v[k] = step_swapped(&c[k], &st[k], k > 0 ? v[k - 1] : x[t + 1]);
			x[t + 1 - (sections - 1)] = v[sections - 1];
		}
		if (t < n) {
#pragma GCC unroll 4
			for (int k = sections - 1; k >= 0; k--)
				v[k] = lathe_biquad2_tick(&c[k], &st[k], k > 0 ? v[k - 1] : x[t]);
			x[t - (sections - 1)] = v[sections - 1];
		}
		/* Drain: steps n .. n + sections - 2. */
#pragma GCC unroll 4
		for (int t = n; t < n + sections - 1; t++) {
#pragma GCC unroll 4
			for (int k = sections - 1; k >= 1; k--)
				if (k > t - n)
					v[k] = lathe_biquad2_tick(&c[k], &st[k], v[k - 1]);
			x[t - (sections - 1)] = v[sections - 1];
		}
	}
#pragma GCC unroll 4
	for (int k = 0; k < sections; k++)
		b->st[k] = st[k];
}

static void bank_run(Bank *b, LatheV2d *x, int n)
{
	switch (b->sections) {
	case 1: bank_run_k(b, x, n, 1); break;
	case 2: bank_run_k(b, x, n, 2); break;
	case 4: bank_run_k(b, x, n, 4); break;
	default: break; /* off: the identity */
	}
}

/* Flush denormal-range or non-finite state to zero (per section and
 * channel, as lathe_biquad_flush). */
static void bank_flush(Bank *b)
{
	for (int k = 0; k < b->sections; k++)
		lathe_biquad2_flush(&b->st[k]);
}

/* Start a fade to a new bank if the wanted high-pass differs. */
static void hpf_start(Input *s)
{
	int want = wanted_sections(s);
	if (s->next >= 0 || want == s->bank[s->cur].sections)
		return;
	s->next = 1 - s->cur;
	Bank *b = &s->bank[s->next];
	*b = (Bank){ .sections = want };
	bank_design(b, s->hpf_freq, s->rate);
	s->hpf_pos = 0;
}

static inline int gliding(const Input *s)
{
	return s->gl.pos < s->gl.len || s->gr.pos < s->gr.len || s->gm.pos < s->gm.len
		|| s->gs.pos < s->gs.len || s->pol_l.pos < s->pol_l.len
		|| s->pol_r.pos < s->pol_r.len || s->swap.pos < s->swap.len;
}

#ifdef __SSE2__
/* lathe_finite on four floats: non-finite lanes become +0. */
ALWAYS_INLINE __m128 finite4(__m128 x)
{
	const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
	const __m128 big = _mm_set1_ps(3.40282347e38f); /* FLT_MAX; false for NaN */
	return _mm_and_ps(x, _mm_cmple_ps(_mm_and_ps(x, abs_mask), big));
}
#endif

/* The constant matrix on n frames: into y (widened, y != NULL), or back
 * in place with non-finite results replaced (y == NULL). Per channel the
 * float arithmetic of the per-sample form in segment(). */
ALWAYS_INLINE void matrix_run(const float m[4], float *left, float *right, LatheV2d *y, int n)
{
	int i = 0;
#ifdef __SSE2__
	const __m128 m0 = _mm_set1_ps(m[0]), m1 = _mm_set1_ps(m[1]);
	const __m128 m2 = _mm_set1_ps(m[2]), m3 = _mm_set1_ps(m[3]);
	for (; i + 4 <= n; i += 4) {
		__m128 l = finite4(_mm_loadu_ps(left + i)), r = finite4(_mm_loadu_ps(right + i));
		__m128 yl = _mm_add_ps(_mm_mul_ps(m0, l), _mm_mul_ps(m1, r));
		__m128 yr = _mm_add_ps(_mm_mul_ps(m2, l), _mm_mul_ps(m3, r));
		if (y) {
			__m128 lo = _mm_unpacklo_ps(yl, yr), hi = _mm_unpackhi_ps(yl, yr);
			y[i] = _mm_cvtps_pd(lo);
			y[i + 1] = _mm_cvtps_pd(_mm_movehl_ps(lo, lo));
			y[i + 2] = _mm_cvtps_pd(hi);
			y[i + 3] = _mm_cvtps_pd(_mm_movehl_ps(hi, hi));
		} else {
			_mm_storeu_ps(left + i, finite4(yl));
			_mm_storeu_ps(right + i, finite4(yr));
		}
	}
#endif
	for (; i < n; i++) {
		float l = lathe_finite(left[i]), r = lathe_finite(right[i]);
		float yl = m[0] * l + m[1] * r, yr = m[2] * l + m[3] * r;
		if (y) {
			y[i] = (LatheV2d){ yl, yr };
		} else {
			left[i] = lathe_finite(yl);
			right[i] = lathe_finite(yr);
		}
	}
}

/* Frames back to the two channels, rounded, non-finite replaced. */
static void output(const LatheV2d *y, float *left, float *right, int n)
{
	int i = 0;
#ifdef __SSE2__
	for (; i + 4 <= n; i += 4) {
		__m128 a = _mm_movelh_ps(_mm_cvtpd_ps(y[i]), _mm_cvtpd_ps(y[i + 1]));
		__m128 b = _mm_movelh_ps(_mm_cvtpd_ps(y[i + 2]), _mm_cvtpd_ps(y[i + 3]));
		_mm_storeu_ps(left + i, finite4(_mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))));
		_mm_storeu_ps(right + i, finite4(_mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))));
	}
#endif
	for (; i < n; i++) {
		left[i] = lathe_finite((float)y[i][0]);
		right[i] = lathe_finite((float)y[i][1]);
	}
}

/* Neutral and settled: only keep non-finite samples out. */
static void finite_only(float *left, float *right, int n)
{
	int i = 0;
#ifdef __SSE2__
	for (; i + 4 <= n; i += 4) {
		_mm_storeu_ps(left + i, finite4(_mm_loadu_ps(left + i)));
		_mm_storeu_ps(right + i, finite4(_mm_loadu_ps(right + i)));
	}
#endif
	for (; i < n; i++) {
		left[i] = lathe_finite(left[i]);
		right[i] = lathe_finite(right[i]);
	}
}

/* A segment: n frames that do not cross a sub-block boundary. */
static void segment(Input *s, float *left, float *right, int n)
{
	/* High-pass changes start on sub-block boundaries only. */
	if (s->phase == 0)
		hpf_start(s);
	float m[4];
	int glide = gliding(s);
	if (glide)
		matrix(s, m);
	else
		memcpy(m, s->rest, sizeof(m));
	Bank *cur = &s->bank[s->cur];
	int hpf = cur->sections > 0 || s->next >= 0;

	if (!glide && !hpf) {
		if (m[0] == 1.0f && m[1] == 0.0f && m[2] == 0.0f && m[3] == 1.0f)
			finite_only(left, right, n); /* neutral and settled */
		else
			matrix_run(m, left, right, NULL, n);
		return;
	}

	/* The matrix; per sample while something glides. Both channels of
	 * frame i in y[i]. */
	LatheV2d y[LATHE_SUBBLOCK];
	if (!glide) {
		matrix_run(m, left, right, y, n);
	} else {
		for (int i = 0; i < n; i++) {
			if (glide) {
				lathe_ramp_next(&s->gl);
				lathe_ramp_next(&s->gr);
				lathe_ramp_next(&s->gm);
				lathe_ramp_next(&s->gs);
				lathe_ramp_next(&s->pol_l);
				lathe_ramp_next(&s->pol_r);
				lathe_ramp_next(&s->swap);
				matrix(s, m);
				glide = gliding(s);
			}
			float l = lathe_finite(left[i]), r = lathe_finite(right[i]);
			y[i] = (LatheV2d){ m[0] * l + m[1] * r, m[2] * l + m[3] * r };
		}
	}

	/* The high-pass, and the new one while it fades in. */
	if (s->next >= 0) {
		LatheV2d ny[LATHE_SUBBLOCK];
		for (int i = 0; i < n; i++)
			ny[i] = y[i];
		bank_run(cur, y, n);
		bank_run(&s->bank[s->next], ny, n);
		for (int i = 0; i < n; i++) {
			if (s->hpf_pos < s->fade_len)
				s->hpf_pos++;
			double t = (double)s->hpf_pos / s->fade_len;
			y[i] += lathe_v2d_splat(t) * (ny[i] - y[i]);
		}
		if (s->hpf_pos >= s->fade_len) {
			/* Done; a change that waited starts at the next sub-block
			 * boundary. */
			s->cur = s->next;
			s->next = -1;
		}
	} else {
		bank_run(cur, y, n);
	}
	output(y, left, right, n);
}

static void input_process(void *self, float *left, float *right, int n)
{
	Input *s = self;
	s->started = 1;
	/* Segments end on sub-block boundaries, where the filter state is
	 * flushed: the same samples whatever the split into calls. */
	while (n > 0) {
		int seg = LATHE_SUBBLOCK - s->phase;
		if (seg > n)
			seg = n;
		segment(s, left, right, seg);
		left += seg;
		right += seg;
		n -= seg;
		s->phase = (s->phase + seg) % LATHE_SUBBLOCK;
		if (s->phase == 0) {
			/* A bank that is not sounding is cleared before it is
			 * used again (hpf_start). */
			bank_flush(&s->bank[s->cur]);
			if (s->next >= 0)
				bank_flush(&s->bank[s->next]);
		}
	}
}

const LatheModuleClass lathe_input_class = {
	.name = "input",
	.n_params = LATHE_INPUT_PARAM_COUNT,
	.create = input_create,
	.destroy = input_destroy,
	.set = input_set,
	.reset = input_reset,
	.process = input_process,
	.latency = input_latency,
};
