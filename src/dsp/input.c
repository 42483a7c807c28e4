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

#define MAX_SECTIONS 4 /* 48 dB/oct: order 8 */

typedef struct {
	int sections;   /* 0 = off */
	LatheBiquad c[MAX_SECTIONS];
	/* Direct form I state, [section][channel]: the two channels side by
	 * side, so that the compiler can run them as one SIMD pair. */
	double x1[MAX_SECTIONS][2], x2[MAX_SECTIONS][2];
	double y1[MAX_SECTIONS][2], y2[MAX_SECTIONS][2];
} Bank;

typedef struct {
	double rate;
	int fade_len;
	float trim_db, bal_db, ms_db;
	LatheRamp gl, gr, gm, gs;        /* balance x trim per side; mid and side */
	LatheRamp pol_l, pol_r, swap;    /* discrete, faded */

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
	for (int k = 0; k < b->sections; k++)
		b->c[k] = lathe_biquad_highpass(f, lathe_butterworth_q(2 * b->sections, k), rate);
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

/* Run a bank over n frames of both channels in place. `sections` is a
 * constant at each call below, so the loops unroll and the state stays in
 * registers for the block (the recursion would otherwise go through
 * memory on every sample). */
static inline void bank_run_k(Bank *b, double *restrict l, double *restrict r, int n, const int sections)
{
	double x1[MAX_SECTIONS][2], x2[MAX_SECTIONS][2], y1[MAX_SECTIONS][2], y2[MAX_SECTIONS][2];
	for (int k = 0; k < sections; k++)
		for (int ch = 0; ch < 2; ch++) {
			x1[k][ch] = b->x1[k][ch];
			x2[k][ch] = b->x2[k][ch];
			y1[k][ch] = b->y1[k][ch];
			y2[k][ch] = b->y2[k][ch];
		}
	for (int i = 0; i < n; i++) {
		double v[2] = { l[i], r[i] };
		for (int k = 0; k < sections; k++) {
			const LatheBiquad *c = &b->c[k];
			for (int ch = 0; ch < 2; ch++) {
				/* The previous output enters last: its multiply
				 * and one subtraction are all that the next sample
				 * waits for. */
				double y = (c->b0 * v[ch] + c->b1 * x1[k][ch] + c->b2 * x2[k][ch]
					    - c->a2 * y2[k][ch]) - c->a1 * y1[k][ch];
				x2[k][ch] = x1[k][ch];
				x1[k][ch] = v[ch];
				y2[k][ch] = y1[k][ch];
				y1[k][ch] = y;
				v[ch] = y;
			}
		}
		l[i] = v[0];
		r[i] = v[1];
	}
	for (int k = 0; k < sections; k++)
		for (int ch = 0; ch < 2; ch++) {
			b->x1[k][ch] = x1[k][ch];
			b->x2[k][ch] = x2[k][ch];
			b->y1[k][ch] = y1[k][ch];
			b->y2[k][ch] = y2[k][ch];
		}
}

static void bank_run(Bank *b, double *l, double *r, int n)
{
	switch (b->sections) {
	case 1: bank_run_k(b, l, r, n, 1); break;
	case 2: bank_run_k(b, l, r, n, 2); break;
	case 4: bank_run_k(b, l, r, n, 4); break;
	default: break; /* off: the identity */
	}
}

/* Flush denormal-range or non-finite state to zero. */
static void bank_flush(Bank *b)
{
	for (int k = 0; k < b->sections; k++)
		for (int ch = 0; ch < 2; ch++) {
			int bad = !isfinite(b->x1[k][ch]) || !isfinite(b->x2[k][ch])
				|| !isfinite(b->y1[k][ch]) || !isfinite(b->y2[k][ch]);
			b->x1[k][ch] = bad ? 0.0 : lathe_flush(b->x1[k][ch]);
			b->x2[k][ch] = bad ? 0.0 : lathe_flush(b->x2[k][ch]);
			b->y1[k][ch] = bad ? 0.0 : lathe_flush(b->y1[k][ch]);
			b->y2[k][ch] = bad ? 0.0 : lathe_flush(b->y2[k][ch]);
		}
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

/* The routing matrix from the current values of the glides. */
static void matrix(const Input *s, float m[4])
{
	float gl = lathe_ramp_value(&s->gl), gr = lathe_ramp_value(&s->gr);
	float pl = lathe_ramp_value(&s->pol_l), pr = lathe_ramp_value(&s->pol_r);
	float sw = lathe_ramp_value(&s->swap);
	float gm = lathe_ramp_value(&s->gm), gs = lathe_ramp_value(&s->gs);
	/* A = diag(gl, gr) SWAP diag(pl, pr); M = MS A. */
	float a00 = gl * (1.0f - sw) * pl, a01 = gl * sw * pr;
	float a10 = gr * sw * pl, a11 = gr * (1.0f - sw) * pr;
	float a = 0.5f * (gm + gs), b = 0.5f * (gm - gs);
	m[0] = a * a00 + b * a10;
	m[1] = a * a01 + b * a11;
	m[2] = b * a00 + a * a10;
	m[3] = b * a01 + a * a11;
}

/* A segment: n frames that do not cross a sub-block boundary. */
static void segment(Input *s, float *left, float *right, int n)
{
	/* High-pass changes start on sub-block boundaries only. */
	if (s->phase == 0)
		hpf_start(s);
	float m[4];
	matrix(s, m);
	int glide = gliding(s);
	Bank *cur = &s->bank[s->cur];
	int hpf = cur->sections > 0 || s->next >= 0;

	/* Neutral and settled: only keep non-finite samples out. */
	if (!glide && !hpf && m[0] == 1.0f && m[1] == 0.0f && m[2] == 0.0f && m[3] == 1.0f) {
		for (int i = 0; i < n; i++) {
			left[i] = lathe_finite(left[i]);
			right[i] = lathe_finite(right[i]);
		}
		return;
	}

	/* The matrix, per sample while something glides. */
	double yl[LATHE_SUBBLOCK], yr[LATHE_SUBBLOCK];
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
		yl[i] = m[0] * l + m[1] * r;
		yr[i] = m[2] * l + m[3] * r;
	}

	/* The high-pass, and the new one while it fades in. */
	if (hpf) {
		if (s->next >= 0) {
			double nl[LATHE_SUBBLOCK], nr[LATHE_SUBBLOCK];
			for (int i = 0; i < n; i++) {
				nl[i] = yl[i];
				nr[i] = yr[i];
			}
			bank_run(cur, yl, yr, n);
			bank_run(&s->bank[s->next], nl, nr, n);
			for (int i = 0; i < n; i++) {
				if (s->hpf_pos < s->fade_len)
					s->hpf_pos++;
				double t = (double)s->hpf_pos / s->fade_len;
				yl[i] += t * (nl[i] - yl[i]);
				yr[i] += t * (nr[i] - yr[i]);
			}
			if (s->hpf_pos >= s->fade_len) {
				/* Done; a change that waited starts at the next
				 * sub-block boundary. */
				s->cur = s->next;
				s->next = -1;
			}
		} else {
			bank_run(cur, yl, yr, n);
		}
	}
	for (int i = 0; i < n; i++) {
		left[i] = lathe_finite((float)yl[i]);
		right[i] = lathe_finite((float)yr[i]);
	}
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
			bank_flush(&s->bank[0]);
			bank_flush(&s->bank[1]);
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
