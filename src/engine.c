/* lathe — the compare engine (see engine.h).
 *
 * Glossary for the process loop:
 *   step      LATHE_SUBBLOCK frames starting at an absolute multiple of it;
 *             latencies are read and fades advance per step, so the output
 *             does not depend on the host's period size.
 *   path      one of the aligned signals (A, B, input): a delay line read
 *             at D minus the signal's own latency, and a realign gain that
 *             fades the path out and in when that delay has to change.
 *   switch    a discrete choice (print chain, monitor source, band, matrix)
 *             that crossfades from one value to the next; a request made
 *             during a fade starts when that fade ends (10 ms at most).
 *   match     loudness match: K-weighted power of every source in 100 ms
 *             blocks, gated over a sliding window, gives each source the
 *             gain that brings it to the selected chain's loudness.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "dsp/biquad.h"
#include "dsp/dsp.h"
#include "dsp/oscillator.h"

#define STEP LATHE_SUBBLOCK
#define PATH_COUNT 3 /* the aligned paths: LATHE_SOURCE_A, _B, _INPUT */

/* Loudness match. BS.1770 gating blocks are 400 ms, every 100 ms; the
 * window is at most 20 s (the registry's maximum) of 100 ms blocks. */
#define MATCH_MAX_BLOCKS 200
#define MATCH_GATE_LUFS -70.0
/* The same gate as mean K-weighted power (BS.1770: L = -0.691 + 10 log10 z);
 * a constant expression, folded by the compiler. */
#define MATCH_GATE_POWER pow(10.0, (MATCH_GATE_LUFS + 0.691) / 10.0)
/* Offsets are limited: a source 30 dB quieter than the master is a wrong
 * connection, not something to make up for at the speakers. */
#define MATCH_MAX_DB 30.0
/* Time constant of the applied gain: a new offset settles in about a
 * second, far slower than any musical event, so it never pumps. */
#define MATCH_SMOOTH_S 0.3

typedef struct {
	float *buf[2]; /* stereo delay line, cap frames each */
	int delay;     /* frames, in use */
	int want;      /* frames, wanted: the path fades out to change delay */
	float gain;    /* realign fade, 0..1 */
} Path;

typedef struct {
	int from, to, want;
	int pos; /* frames into the fade; >= fade length: settled at `to` */
} Switch;

/* BS.1770 K-weighting (pre-filter and RLB high-pass) of one source. */
typedef struct {
	LatheBiquadState2 shelf, hp;
} KState;

typedef struct {
	KState k[LATHE_SOURCE_COUNT];
	double sum[LATHE_SOURCE_COUNT];     /* power of the block so far */
	float block[LATHE_SOURCE_COUNT][MATCH_MAX_BLOCKS]; /* mean power of 100 ms blocks */
	int filled, head;                   /* blocks held, next write index */
	int pos, len;                       /* frames into the block, block length */
	double target[LATHE_SOURCE_COUNT];  /* linear gain each source glides to */
	double gain[LATHE_SOURCE_COUNT];    /* linear gain applied now */
	double smooth;                      /* one-pole coefficient per step */
	LatheBiquad2 shelf, hp;             /* K-weighting at the engine's rate */
} Match;

/* The monitor's band listen: Linkwitz-Riley (two Butterworth sections)
 * high-pass at the band's lower crossover, low-pass at its upper one. */
typedef struct {
	LatheBiquad2 c[4];
	LatheBiquadState2 s[4];
	int sections;
	float lo, hi; /* crossovers designed for (0: none) */
	bool live;    /* in use by the band switch: its state is current */
} BandFilter;

/* Matrix bits of the monitor (the switch value of Monitor.matrix). */
enum { MX_SWAP = 1, MX_MONO = 2, MX_SIDE = 4, MX_POLARITY = 8, MX_LEFT = 16, MX_RIGHT = 32 };
/* Source switch value: the source, and flags. */
enum { SRC_DELTA = 4, SRC_MATCH = 8 };

struct LatheEngine {
	double rate;
	LatheChain *chain[2];
	float console[LATHE_CONSOLE_PARAM_COUNT];

	/* Alignment. */
	Path path[PATH_COUNT];
	int cap;            /* delay-line frames, a power of two */
	unsigned pos;       /* write position of every delay line */
	int latency;        /* D: print and monitor latency the host reports */
	int phase;          /* frames into the current step */

	/* Fades: one length for every switch, with its curves. */
	int fade_len;
	float *fade_gain;   /* 0..1 raised cosine: equal gain, for correlated signals */
	float *fade_sin;    /* sin(pi/2 t): equal power, for uncorrelated ones */
	float realign_step; /* realign gain change per frame */

	Switch print;       /* LatheChainId */
	Switch source;      /* LatheSource | SRC_DELTA | SRC_MATCH */
	Switch band;        /* 0 off, 1..5 */
	Switch matrix;      /* MX_* bits */
	BandFilter bandf[LATHE_MB_MAX_BANDS + 1];
	LatheRamp level, dim, mute;
	Match match;

	/* The line-up oscillator, crossfaded in place of the program input. */
	LatheOscillator osc;
	LatheRamp osc_mix; /* 0: the input, 1: the oscillator */

	/* Meters. */
	LatheRing *ring;
	int record_frames;  /* frames per record: 10 ms */
	int staged;
	LatheEngineStatus status;
	LatheMeterRecord *record; /* header followed by the taps */
	float *taps;
};

/* ---------------------------------------------------------------- set-up */

static void k_weighting(double rate, LatheBiquad2 *shelf, LatheBiquad2 *hp);

static void biquad2_clear(LatheBiquadState2 *s) { *s = (LatheBiquadState2){ 0 }; }

LatheEngine *lathe_engine_new(double rate)
{
	LatheEngine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->rate = rate;
	/* Delay lines: one second or more, above any chain latency (the
	 * linear-phase EQ, the longest, is 192 ms). */
	e->cap = 1;
	while (e->cap < rate)
		e->cap <<= 1;
	e->fade_len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	e->realign_step = 1.0f / (float)e->fade_len;
	e->record_frames = (int)(rate / 100.0);
	if (e->record_frames > LATHE_METER_RECORD_FRAMES)
		e->record_frames = LATHE_METER_RECORD_FRAMES;
	size_t record_size = sizeof(LatheMeterRecord) +
		sizeof(float) * 2 * LATHE_TAP_COUNT * (size_t)e->record_frames;

	bool ok = true;
	for (int c = 0; c < 2; c++)
		ok = ok && (e->chain[c] = lathe_chain_new(rate));
	for (int p = 0; p < PATH_COUNT; p++)
		for (int ch = 0; ch < 2; ch++)
			ok = ok && (e->path[p].buf[ch] = calloc((size_t)e->cap, sizeof(float)));
	ok = ok && (e->fade_gain = calloc((size_t)e->fade_len + 1, sizeof(float)));
	ok = ok && (e->fade_sin = calloc((size_t)e->fade_len + 1, sizeof(float)));
	ok = ok && (e->record = calloc(1, record_size));
	/* About a second of records: a reader that stalls that long loses
	 * meter data, never the audio thread's time. */
	ok = ok && (e->ring = lathe_ring_new(record_size * 100));
	if (!ok) {
		lathe_engine_free(e);
		return NULL;
	}
	e->taps = (float *)(e->record + 1);
	for (int i = 0; i <= e->fade_len; i++) {
		double t = (double)i / e->fade_len;
		e->fade_gain[i] = (float)(0.5 - 0.5 * cos(M_PI * t));
		e->fade_sin[i] = (float)sin(0.5 * M_PI * t);
	}
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		e->console[k] = lathe_params[LATHE_CONSOLE_ID(k)].def;
	e->match.len = (int)lround(rate / 10.0);
	/* The gains move once per step: one-pole per frame, to the power STEP. */
	e->match.smooth = pow(lathe_one_pole(MATCH_SMOOTH_S, rate), STEP);
	k_weighting(rate, &e->match.shelf, &e->match.hp);
	lathe_oscillator_init(&e->osc, rate);
	lathe_engine_snap(e);
	return e;
}

void lathe_engine_free(LatheEngine *e)
{
	if (!e)
		return;
	for (int c = 0; c < 2; c++)
		lathe_chain_free(e->chain[c]);
	for (int p = 0; p < PATH_COUNT; p++)
		for (int ch = 0; ch < 2; ch++)
			free(e->path[p].buf[ch]);
	free(e->fade_gain);
	free(e->fade_sin);
	free(e->record);
	lathe_ring_free(e->ring);
	free(e);
}

void lathe_engine_maintain(LatheEngine *e, LatheChainId chain, const float *values)
{
	lathe_chain_maintain(e->chain[chain], values);
}

/* ------------------------------------------------------------- controls */

static void switch_settle(Switch *s, int v, int fade_len)
{
	*s = (Switch){ .from = v, .to = v, .want = v, .pos = fade_len };
}

static int console_int(const LatheEngine *e, int param) { return (int)e->console[param]; }

static int source_value(const LatheEngine *e)
{
	return console_int(e, LATHE_CONSOLE_SOURCE) |
		(console_int(e, LATHE_CONSOLE_DELTA) ? SRC_DELTA : 0) |
		(console_int(e, LATHE_CONSOLE_MATCH) ? SRC_MATCH : 0);
}

static int matrix_value(const LatheEngine *e)
{
	static const struct { int param, bit; } bits[] = {
		{ LATHE_CONSOLE_SWAP, MX_SWAP }, { LATHE_CONSOLE_MONO, MX_MONO },
		{ LATHE_CONSOLE_SIDE, MX_SIDE }, { LATHE_CONSOLE_POLARITY, MX_POLARITY },
		{ LATHE_CONSOLE_LEFT, MX_LEFT }, { LATHE_CONSOLE_RIGHT, MX_RIGHT },
	};
	int v = 0;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (console_int(e, bits[i].param))
			v |= bits[i].bit;
	return v;
}

static float dim_gain(const LatheEngine *e)
{
	return console_int(e, LATHE_CONSOLE_DIM) ? lathe_db_to_gain(e->console[LATHE_CONSOLE_DIM_LEVEL])
						 : 1.0f;
}

/* The oscillator follows its console values; a mode other than off takes
 * the place of the input (a 10 ms crossfade either way). */
static void oscillator_changed(LatheEngine *e)
{
	int mode = console_int(e, LATHE_CONSOLE_OSC_MODE);
	/* Off fades the mix back to the input; the oscillator keeps its last
	 * signal meanwhile, so the crossfade is from the tone, not a gap. */
	if (mode != LATHE_OSC_OFF)
		lathe_oscillator_set(&e->osc, (LatheOscMode)mode, e->console[LATHE_CONSOLE_OSC_FREQUENCY],
				     e->console[LATHE_CONSOLE_OSC_LEVEL],
				     e->console[LATHE_CONSOLE_OSC_SWEEP_TIME]);
	lathe_ramp_set(&e->osc_mix, mode != LATHE_OSC_OFF ? 1.0f : 0.0f);
}

/* The switches and gains follow the console values. */
static void console_changed(LatheEngine *e)
{
	e->print.want = console_int(e, LATHE_CONSOLE_CHAIN);
	e->source.want = source_value(e);
	e->band.want = console_int(e, LATHE_CONSOLE_BAND);
	e->matrix.want = matrix_value(e);
	lathe_ramp_set(&e->level, lathe_db_to_gain(e->console[LATHE_CONSOLE_LEVEL]));
	lathe_ramp_set(&e->dim, dim_gain(e));
	lathe_ramp_set(&e->mute, console_int(e, LATHE_CONSOLE_MUTE) ? 0.0f : 1.0f);
	oscillator_changed(e);
}

void lathe_engine_set_console(LatheEngine *e, int param, float value)
{
	float v;
	if (param < 0 || param >= LATHE_CONSOLE_PARAM_COUNT ||
	    lathe_param_validate(&lathe_params[LATHE_CONSOLE_ID(param)], value, &v) ==
		    LATHE_VALUE_INVALID)
		return;
	/* v is in range even if a caller skipped the registry. Choosing a
	 * source never moves the print; the A/B toggle may move the source. */
	lathe_console_set(e->console, param, v);
	console_changed(e);
}

float lathe_engine_console(const LatheEngine *e, int param)
{
	return (param >= 0 && param < LATHE_CONSOLE_PARAM_COUNT) ? e->console[param] : 0.0f;
}

void lathe_engine_set_chain(LatheEngine *e, LatheChainId chain, int id, float value)
{
	lathe_chain_set(e->chain[chain], id, value);
}

float lathe_engine_chain_value(const LatheEngine *e, LatheChainId chain, int id)
{
	return lathe_chain_get(e->chain[chain], id);
}

bool lathe_engine_set_order(LatheEngine *e, LatheChainId chain,
			    const LatheModuleId order[LATHE_MODULE_COUNT])
{
	return lathe_chain_set_order(e->chain[chain], order);
}

void lathe_engine_apply(LatheEngine *e, LatheChainId chain, const LatheSettings *settings)
{
	lathe_chain_apply(e->chain[chain], settings);
}

/* --------------------------------------------------------------- match */

/* K-weighting at any rate, from the analog prototypes of ITU-R BS.1770
 * (a +4 dB high shelf near 1.7 kHz and a second-order high-pass near
 * 38 Hz), by the bilinear transform. */
static void k_weighting(double rate, LatheBiquad2 *shelf, LatheBiquad2 *hp)
{
	const double f0 = 1681.974450955533, g_db = 3.999843853973347, q = 0.7071752369554196;
	double k = tan(M_PI * f0 / rate);
	double vh = pow(10.0, g_db / 20.0), vb = pow(vh, 0.4996667741545416);
	double a0 = 1.0 + k / q + k * k;
	LatheBiquad s = { (vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0,
			  (vh - vb * k / q + k * k) / a0, 2.0 * (k * k - 1.0) / a0,
			  (1.0 - k / q + k * k) / a0 };
	const double f1 = 38.13547087602444, q1 = 0.5003270373238773;
	k = tan(M_PI * f1 / rate);
	a0 = 1.0 + k / q1 + k * k;
	LatheBiquad h = { 1.0, -2.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q1 + k * k) / a0 };
	*shelf = lathe_biquad2_splat(&s);
	*hp = lathe_biquad2_splat(&h);
}

/* Mean power of the 400 ms gating block ending `back` 100 ms blocks ago. */
static double gating_block(const Match *m, int s, int back)
{
	double z = 0.0;
	for (int j = back; j < back + 4; j++)
		z += m->block[s][(m->head - 1 - j + 2 * MATCH_MAX_BLOCKS) % MATCH_MAX_BLOCKS];
	return z * 0.25;
}

/* Gated loudness (BS.1770: absolute gate, then relative gate 10 LU below)
 * of a source over the last `blocks` 100 ms blocks, as mean power; 0 when
 * no gating block passes. */
static double window_power(const Match *m, int s, int blocks)
{
	const double abs_gate = MATCH_GATE_POWER;
	int n = blocks - 3;
	double sum = 0.0;
	int count = 0;
	for (int j = 0; j < n; j++) {
		double z = gating_block(m, s, j);
		if (z >= abs_gate) {
			sum += z;
			count++;
		}
	}
	if (count == 0)
		return 0.0;
	double rel_gate = sum / count * 0.1;
	sum = 0.0;
	count = 0;
	for (int j = 0; j < n; j++) {
		double z = gating_block(m, s, j);
		if (z >= abs_gate && z >= rel_gate) {
			sum += z;
			count++;
		}
	}
	return sum / count;
}

/* A 100 ms block is complete: new gain targets, unless the program is
 * below the gate (then every offset holds). */
static void match_update(LatheEngine *e)
{
	Match *m = &e->match;
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++) {
		m->block[s][m->head] = (float)(m->sum[s] / m->len);
		m->sum[s] = 0.0;
	}
	m->head = (m->head + 1) % MATCH_MAX_BLOCKS;
	if (m->filled < MATCH_MAX_BLOCKS)
		m->filled++;
	if (m->filled < 4)
		return;
	int blocks = (int)lround(e->console[LATHE_CONSOLE_MATCH_WINDOW] * 10.0f);
	if (blocks > m->filled)
		blocks = m->filled;
	if (blocks < 4)
		blocks = 4;

	const double abs_gate = MATCH_GATE_POWER;
	int sel = console_int(e, LATHE_CONSOLE_CHAIN);
	if (gating_block(m, sel, 0) < abs_gate)
		return;
	double anchor = window_power(m, sel, blocks);
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++) {
		if (s == sel) {
			m->target[s] = 1.0;
			continue;
		}
		if (gating_block(m, s, 0) < abs_gate)
			continue;
		double p = window_power(m, s, blocks);
		if (p <= 0.0 || anchor <= 0.0)
			continue;
		double db = 10.0 * log10(anchor / p);
		db = db > MATCH_MAX_DB ? MATCH_MAX_DB : db < -MATCH_MAX_DB ? -MATCH_MAX_DB : db;
		m->target[s] = pow(10.0, db / 20.0);
	}
}

/* Measure one step of every source, and glide the gains. */
static void match_run(LatheEngine *e, float *const src[LATHE_SOURCE_COUNT][2], int n, bool step_end)
{
	Match *m = &e->match;
	int i = 0;
	while (i < n) {
		int len = m->len - m->pos < n - i ? m->len - m->pos : n - i;
		for (int s = 0; s < LATHE_SOURCE_COUNT; s++) {
			KState *k = &m->k[s];
			double sum = 0.0;
			for (int j = i; j < i + len; j++) {
				LatheV2d x = { src[s][0][j], src[s][1][j] };
				LatheV2d y = lathe_biquad2_tick(&m->hp, &k->hp,
								lathe_biquad2_tick(&m->shelf, &k->shelf, x));
				sum += y[0] * y[0] + y[1] * y[1];
			}
			m->sum[s] += sum;
		}
		m->pos += len;
		i += len;
		if (m->pos == m->len) {
			m->pos = 0;
			match_update(e);
		}
	}
	if (!step_end)
		return;
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++) {
		lathe_biquad2_flush(&m->k[s].shelf);
		lathe_biquad2_flush(&m->k[s].hp);
	}
}

/* At the start of a step: the gains move a step toward their targets
 * (steps of ~0.01 dB, far below audibility). */
static void match_glide(Match *m)
{
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++)
		m->gain[s] = m->target[s] + (m->gain[s] - m->target[s]) * m->smooth;
}

/* ------------------------------------------------------------ monitor */

static void band_design(LatheEngine *e, BandFilter *f, int band)
{
	const LatheChain *sel = e->chain[console_int(e, LATHE_CONSOLE_CHAIN)];
	int first = lathe_module_first_param(LATHE_MODULE_MULTIBAND);
	int bands = (int)lathe_chain_get(sel, first + LATHE_MB_BANDS);
	if (band > bands)
		band = bands;
	float lo = band > 1 ? lathe_chain_get(sel, first + LATHE_MB_XOVER1 + band - 2) : 0.0f;
	float hi = band < bands ? lathe_chain_get(sel, first + LATHE_MB_XOVER1 + band - 1) : 0.0f;
	if (f->live && lo == f->lo && hi == f->hi)
		return;
	f->lo = lo;
	f->hi = hi;
	f->sections = 0;
	for (int k = 0; k < 2; k++) {
		if (lo > 0.0f) {
			LatheBiquad c = lathe_biquad_highpass(lo, M_SQRT1_2, e->rate);
			f->c[f->sections++] = lathe_biquad2_splat(&c);
		}
		if (hi > 0.0f) {
			LatheBiquad c = lathe_biquad_lowpass(hi, M_SQRT1_2, e->rate);
			f->c[f->sections++] = lathe_biquad2_splat(&c);
		}
	}
	if (!f->live)
		for (int k = 0; k < 4; k++)
			biquad2_clear(&f->s[k]);
	f->live = true;
}

static void band_run(BandFilter *f, const float *il, const float *ir, float *ol, float *or, int n,
		     bool step_end)
{
	for (int i = 0; i < n; i++) {
		LatheV2d x = { il[i], ir[i] };
		for (int k = 0; k < f->sections; k++)
			x = lathe_biquad2_tick(&f->c[k], &f->s[k], x);
		ol[i] = (float)x[0];
		or[i] = (float)x[1];
	}
	if (step_end)
		for (int k = 0; k < f->sections; k++)
			lathe_biquad2_flush(&f->s[k]);
}

/* Start the fade to a pending request once the previous fade has ended. */
static void switch_step(Switch *s, int fade_len)
{
	if (s->pos < fade_len)
		return;
	s->from = s->to; /* settled */
	if (s->want != s->to) {
		s->to = s->want;
		s->pos = 0;
	}
}

static bool switch_fading(const Switch *s, int fade_len) { return s->pos < fade_len; }

/* out = a faded into b by the switch's position, in place in a. The
 * difference form a + (b - a) g leaves a bit-exact when b equals a. */
static void fade_into(const LatheEngine *e, const Switch *s, bool equal_power, float *a,
		      const float *b, int n)
{
	for (int i = 0; i < n; i++) {
		int t = s->pos + i < e->fade_len ? s->pos + i : e->fade_len;
		if (equal_power)
			a[i] = a[i] * e->fade_sin[e->fade_len - t] + b[i] * e->fade_sin[t];
		else
			a[i] += (b[i] - a[i]) * e->fade_gain[t];
	}
}

/* The monitor's source stage for one switch value: a source with its
 * match gain, or the delta of the selected chain (the print) against the
 * input, level-matched when match is on so that pure gain nulls. */
static void source_signal(const LatheEngine *e, int value, float *const src[LATHE_SOURCE_COUNT][2],
			  float *const print[2], float *out[2], int n)
{
	bool match = value & SRC_MATCH;
	if (value & SRC_DELTA) {
		float g = match ? (float)e->match.gain[LATHE_SOURCE_INPUT] : 1.0f;
		for (int ch = 0; ch < 2; ch++)
			for (int i = 0; i < n; i++)
				out[ch][i] = print[ch][i] - g * src[LATHE_SOURCE_INPUT][ch][i];
		return;
	}
	int s = value & 3;
	float g = match ? (float)e->match.gain[s] : 1.0f;
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < n; i++)
			out[ch][i] = g * src[s][ch][i];
}

static void matrix_signal(int mx, const float *il, const float *ir, float *ol, float *or, int n)
{
	float pol = (mx & MX_POLARITY) ? -1.0f : 1.0f;
	float gl = (mx & MX_RIGHT) && !(mx & MX_LEFT) ? 0.0f : pol;
	float gr = (mx & MX_LEFT) && !(mx & MX_RIGHT) ? 0.0f : pol;
	for (int i = 0; i < n; i++) {
		float l = (mx & MX_SWAP) ? ir[i] : il[i];
		float r = (mx & MX_SWAP) ? il[i] : ir[i];
		if (mx & MX_SIDE)
			l = r = 0.5f * (l - r);
		else if (mx & MX_MONO)
			l = r = 0.5f * (l + r);
		ol[i] = gl * l;
		or[i] = gr * r;
	}
}

static bool plays_reference(int value)
{
	return !(value & SRC_DELTA) && (value & 3) == LATHE_SOURCE_REFERENCE;
}

static void monitor_run(LatheEngine *e, float *const src[LATHE_SOURCE_COUNT][2],
			float *const print[2], float *mon_l, float *mon_r, int n)
{
	float tl[STEP], tr[STEP];
	float *mon[2] = { mon_l, mon_r }, *tmp[2] = { tl, tr };

	/* Source, delta and match. */
	switch_step(&e->source, e->fade_len);
	source_signal(e, e->source.from, src, print, mon, n);
	if (switch_fading(&e->source, e->fade_len)) {
		source_signal(e, e->source.to, src, print, tmp, n);
		/* The reference is a different programme: equal power keeps the
		 * level through the fade; A, B and input are the same music,
		 * aligned, where equal gain does. */
		bool ep = plays_reference(e->source.from) != plays_reference(e->source.to);
		fade_into(e, &e->source, ep, mon_l, tl, n);
		fade_into(e, &e->source, ep, mon_r, tr, n);
		e->source.pos += n;
	}

	/* Band listen. */
	switch_step(&e->band, e->fade_len);
	bool fading = switch_fading(&e->band, e->fade_len);
	for (int b = 1; b <= LATHE_MB_MAX_BANDS; b++)
		if (b != e->band.to && !(fading && b == e->band.from))
			e->bandf[b].live = false;
	if (fading || e->band.to) {
		float al[STEP], ar[STEP];
		int vals[2] = { e->band.from, e->band.to };
		float *outs[2][2] = { { al, ar }, { tl, tr } };
		for (int k = fading ? 0 : 1; k < 2; k++) {
			if (vals[k]) {
				band_design(e, &e->bandf[vals[k]], vals[k]);
				band_run(&e->bandf[vals[k]], mon_l, mon_r, outs[k][0], outs[k][1], n,
					 (e->phase + n) % STEP == 0);
			} else {
				memcpy(outs[k][0], mon_l, sizeof(float) * (size_t)n);
				memcpy(outs[k][1], mon_r, sizeof(float) * (size_t)n);
			}
		}
		if (fading) {
			fade_into(e, &e->band, false, al, tl, n);
			fade_into(e, &e->band, false, ar, tr, n);
			e->band.pos += n;
			memcpy(mon_l, al, sizeof(float) * (size_t)n);
			memcpy(mon_r, ar, sizeof(float) * (size_t)n);
		} else {
			memcpy(mon_l, tl, sizeof(float) * (size_t)n);
			memcpy(mon_r, tr, sizeof(float) * (size_t)n);
		}
	}

	/* Swap, mono, side, polarity, left and right only. */
	switch_step(&e->matrix, e->fade_len);
	if (switch_fading(&e->matrix, e->fade_len)) {
		float al[STEP], ar[STEP];
		matrix_signal(e->matrix.from, mon_l, mon_r, al, ar, n);
		matrix_signal(e->matrix.to, mon_l, mon_r, tl, tr, n);
		fade_into(e, &e->matrix, false, al, tl, n);
		fade_into(e, &e->matrix, false, ar, tr, n);
		e->matrix.pos += n;
		memcpy(mon_l, al, sizeof(float) * (size_t)n);
		memcpy(mon_r, ar, sizeof(float) * (size_t)n);
	} else if (e->matrix.to) {
		matrix_signal(e->matrix.to, mon_l, mon_r, mon_l, mon_r, n);
	}

	/* Level, dim and mute. */
	for (int i = 0; i < n; i++) {
		float g = lathe_ramp_next(&e->level) * lathe_ramp_next(&e->dim) *
			  lathe_ramp_next(&e->mute);
		mon_l[i] *= g;
		mon_r[i] *= g;
	}
}

/* ------------------------------------------------------------ meters */

static void meters_stage(LatheEngine *e, float *const tap[LATHE_TAP_COUNT][2], int n)
{
	int i = 0;
	while (i < n) {
		int len = e->record_frames - e->staged < n - i ? e->record_frames - e->staged : n - i;
		for (int t = 0; t < LATHE_TAP_COUNT; t++) {
			float *dst = e->taps + (size_t)2 * ((size_t)t * e->record_frames + e->staged);
			for (int j = 0; j < len; j++) {
				dst[2 * j] = tap[t][0][i + j];
				dst[2 * j + 1] = tap[t][1][i + j];
			}
		}
		e->staged += len;
		i += len;
		if (e->staged < e->record_frames)
			break;
		/* A full record: send it whole, or drop it and keep the gain
		 * reduction peaks for the next one. */
		e->staged = 0;
		lathe_engine_status(e, &e->status);
		e->record->frames = (uint32_t)e->record_frames;
		e->record->status = e->status;
		size_t size = sizeof(LatheMeterRecord) +
			sizeof(float) * 2 * LATHE_TAP_COUNT * (size_t)e->record_frames;
		if (lathe_ring_write(e->ring, e->record, size))
			memset(e->status.gain_reduction, 0, sizeof(e->status.gain_reduction));
		else
			e->status.dropped++;
	}
}

static void gain_reduction_peaks(LatheEngine *e)
{
	for (int c = 0; c < 2; c++)
		for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
			float gr[LATHE_MAX_GR];
			int k = lathe_chain_gain_reduction(e->chain[c], (LatheModuleId)m, gr);
			e->status.gr_count[c][m] = (uint8_t)k;
			for (int j = 0; j < k; j++)
				if (gr[j] > e->status.gain_reduction[c][m][j])
					e->status.gain_reduction[c][m][j] = gr[j];
		}
}

void lathe_engine_status(const LatheEngine *e, LatheEngineStatus *out)
{
	if (out != &e->status)
		*out = e->status;
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++)
		out->match_offset[s] = (float)(20.0 * log10(e->match.gain[s]));
	out->latency = (uint32_t)e->latency;
	out->chain = (uint8_t)e->print.to;
	out->source = (uint8_t)(e->source.to & 3);
}

LatheRing *lathe_engine_meter_ring(LatheEngine *e) { return e->ring; }

/* ------------------------------------------------------------ process */

int lathe_engine_latency(const LatheEngine *e) { return e->latency; }

/* The delays every path needs now; a path whose delay must change fades
 * out, changes, and fades back in (the new latency is reported at once). */
static void align(LatheEngine *e)
{
	int la = lathe_chain_latency(e->chain[0]), lb = lathe_chain_latency(e->chain[1]);
	int d = la > lb ? la : lb;
	if (d > e->cap - STEP)
		d = e->cap - STEP;
	e->latency = d;
	e->path[LATHE_SOURCE_A].want = d - la > 0 ? d - la : 0;
	e->path[LATHE_SOURCE_B].want = d - lb > 0 ? d - lb : 0;
	e->path[LATHE_SOURCE_INPUT].want = d;
}

void lathe_engine_snap(LatheEngine *e)
{
	for (int c = 0; c < 2; c++)
		lathe_chain_snap(e->chain[c]);
	align(e);
	for (int p = 0; p < PATH_COUNT; p++) {
		Path *path = &e->path[p];
		for (int ch = 0; ch < 2; ch++)
			memset(path->buf[ch], 0, sizeof(float) * (size_t)e->cap);
		path->delay = path->want;
		path->gain = 1.0f;
	}
	e->pos = 0;
	e->phase = 0;
	switch_settle(&e->print, console_int(e, LATHE_CONSOLE_CHAIN), e->fade_len);
	switch_settle(&e->source, source_value(e), e->fade_len);
	switch_settle(&e->band, console_int(e, LATHE_CONSOLE_BAND), e->fade_len);
	switch_settle(&e->matrix, matrix_value(e), e->fade_len);
	for (int b = 0; b <= LATHE_MB_MAX_BANDS; b++)
		e->bandf[b].live = false;
	lathe_ramp_init(&e->level, lathe_db_to_gain(e->console[LATHE_CONSOLE_LEVEL]),
			lathe_ms_to_samples(lathe_params[LATHE_CONSOLE_ID(LATHE_CONSOLE_LEVEL)].smooth_ms,
					    e->rate));
	lathe_ramp_init(&e->dim, dim_gain(e),
			lathe_ms_to_samples(lathe_params[LATHE_CONSOLE_ID(LATHE_CONSOLE_DIM_LEVEL)].smooth_ms,
					    e->rate));
	lathe_ramp_init(&e->mute, console_int(e, LATHE_CONSOLE_MUTE) ? 0.0f : 1.0f, e->fade_len);
	oscillator_changed(e);
	lathe_oscillator_reset(&e->osc);
	lathe_ramp_init(&e->osc_mix, e->osc_mix.to, e->fade_len);

	Match *m = &e->match;
	memset(m->k, 0, sizeof(m->k));
	memset(m->sum, 0, sizeof(m->sum));
	memset(m->block, 0, sizeof(m->block));
	m->filled = m->head = m->pos = 0;
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++)
		m->target[s] = m->gain[s] = 1.0;

	e->staged = 0;
	memset(&e->status, 0, sizeof(e->status));
}

/* Write a step into a path's delay line and read it back aligned, with the
 * path's realign fade. */
static void path_run(LatheEngine *e, Path *p, const float *il, const float *ir, float *ol,
		     float *or, int n)
{
	unsigned mask = (unsigned)e->cap - 1;
	const float *in[2] = { il, ir };
	float *out[2] = { ol, or };
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < n; i++)
			p->buf[ch][(e->pos + (unsigned)i) & mask] = in[ch][i];
	if (p->want != p->delay && p->gain == 0.0f)
		p->delay = p->want;
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < n; i++)
			out[ch][i] = p->buf[ch][(e->pos + (unsigned)i - (unsigned)p->delay) & mask];
	if (p->gain == 1.0f && p->want == p->delay)
		return;
	float step = p->want != p->delay ? -e->realign_step : e->realign_step;
	for (int i = 0; i < n; i++) {
		p->gain += step;
		p->gain = p->gain < 0.0f ? 0.0f : p->gain > 1.0f ? 1.0f : p->gain;
		ol[i] *= p->gain;
		or[i] *= p->gain;
	}
}

static void process_step(LatheEngine *e, const float *in_l, const float *in_r, const float *ref_l,
			 const float *ref_r, float *out_l, float *out_r, float *mon_l, float *mon_r,
			 int n)
{
	/* Scratch: raw chain outputs, then the four aligned sources. */
	float raw[2][2][STEP], al[LATHE_SOURCE_COUNT][2][STEP];
	float *src[LATHE_SOURCE_COUNT][2];
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++)
		for (int ch = 0; ch < 2; ch++)
			src[s][ch] = al[s][ch];

	if (e->phase == 0)
		align(e);
	/* The oscillator in place of the input, while it is on or fading. */
	float line[2][STEP];
	if (e->osc_mix.to > 0.0f || lathe_ramp_value(&e->osc_mix) > 0.0f) {
		lathe_oscillator_process(&e->osc, line[0], line[1], n);
		for (int i = 0; i < n; i++) {
			float g = lathe_ramp_next(&e->osc_mix);
			float l = lathe_finite(in_l[i]), r = lathe_finite(in_r[i]);
			line[0][i] = l + (line[0][i] - l) * g;
			line[1][i] = r + (line[1][i] - r) * g;
		}
		in_l = line[0];
		in_r = line[1];
	}
	for (int c = 0; c < 2; c++)
		lathe_chain_process(e->chain[c], in_l, in_r, raw[c][0], raw[c][1], n);
	float dry[2][STEP];
	for (int i = 0; i < n; i++) {
		dry[0][i] = lathe_finite(in_l[i]);
		dry[1][i] = lathe_finite(in_r[i]);
		al[LATHE_SOURCE_REFERENCE][0][i] = lathe_finite(ref_l[i]);
		al[LATHE_SOURCE_REFERENCE][1][i] = lathe_finite(ref_r[i]);
	}
	for (int c = 0; c < 2; c++)
		path_run(e, &e->path[c], raw[c][0], raw[c][1], al[c][0], al[c][1], n);
	path_run(e, &e->path[LATHE_SOURCE_INPUT], dry[0], dry[1], al[LATHE_SOURCE_INPUT][0],
		 al[LATHE_SOURCE_INPUT][1], n);

	/* Print: the selected chain, crossfaded on a change (equal gain: A and
	 * B are the same music, aligned). */
	switch_step(&e->print, e->fade_len);
	memcpy(out_l, al[e->print.from][0], sizeof(float) * (size_t)n);
	memcpy(out_r, al[e->print.from][1], sizeof(float) * (size_t)n);
	if (switch_fading(&e->print, e->fade_len)) {
		fade_into(e, &e->print, false, out_l, al[e->print.to][0], n);
		fade_into(e, &e->print, false, out_r, al[e->print.to][1], n);
		e->print.pos += n;
	}

	if (e->phase == 0)
		match_glide(&e->match);
	match_run(e, src, n, (e->phase + n) % STEP == 0);

	float *print[2] = { out_l, out_r };
	monitor_run(e, src, print, mon_l, mon_r, n);

	gain_reduction_peaks(e);
	float *taps[LATHE_TAP_COUNT][2] = {
		[LATHE_TAP_INPUT] = { src[LATHE_SOURCE_INPUT][0], src[LATHE_SOURCE_INPUT][1] },
		[LATHE_TAP_A] = { src[LATHE_SOURCE_A][0], src[LATHE_SOURCE_A][1] },
		[LATHE_TAP_B] = { src[LATHE_SOURCE_B][0], src[LATHE_SOURCE_B][1] },
		[LATHE_TAP_REFERENCE] = { src[LATHE_SOURCE_REFERENCE][0], src[LATHE_SOURCE_REFERENCE][1] },
		[LATHE_TAP_MONITOR] = { mon_l, mon_r },
	};
	meters_stage(e, taps, n);

	e->pos += (unsigned)n;
	e->phase = (e->phase + n) % STEP;
}

void lathe_engine_process(LatheEngine *e, const float *in_l, const float *in_r,
			  const float *ref_l, const float *ref_r, float *out_l, float *out_r,
			  float *mon_l, float *mon_r, int n)
{
	int done = 0;
	while (done < n) {
		int len = STEP - e->phase < n - done ? STEP - e->phase : n - done;
		process_step(e, in_l + done, in_r + done, ref_l + done, ref_r + done, out_l + done,
			     out_r + done, mon_l + done, mon_r + done, len);
		done += len;
	}
}
