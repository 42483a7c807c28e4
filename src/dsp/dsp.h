/* lathe — small helpers shared by every DSP module.
 *
 * Pure C: no JACK, no GLib, no allocation. Everything here is real-time
 * safe and may be called from the audio thread.
 */
#ifndef LATHE_DSP_H
#define LATHE_DSP_H

#include <math.h>
#include <stdbool.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* The chain hands modules at most this many frames per call, and starts
 * every sub-block on an absolute multiple of it, so parameter glides step
 * at the same samples whatever the host's period size (render with block
 * size 1, 64 or 1000 gives identical output). 32 frames: 0.7 ms at 48 kHz,
 * fine enough that a glide has no audible steps. */
#define LATHE_SUBBLOCK 32

/* Length of every click-free switch (enable, polarity, filter type...).
 * 10 ms is long enough to hide a step, short enough to feel instant. */
#define LATHE_FADE_MS 10.0

/* Filter state smaller than this is flushed to zero at the end of a block:
 * far below audibility (-400 dB), far above the double denormal range. */
#define LATHE_STATE_FLOOR 1e-20

static inline float lathe_db_to_gain(float db) { return powf(10.0f, db * 0.05f); }
static inline double lathe_db_to_gain_d(double db) { return pow(10.0, db * 0.05); }

/* Gain to dB, with silence mapped to a finite floor instead of -inf. */
static inline float lathe_gain_to_db(float gain)
{
	return gain > 1e-10f ? 20.0f * log10f(gain) : -200.0f;
}

/* A non-finite sample becomes silence; finite samples pass untouched. */
static inline float lathe_finite(float x) { return isfinite(x) ? x : 0.0f; }

/* Flush one filter state variable: non-finite or tiny becomes zero. */
static inline double lathe_flush(double s)
{
	return (isfinite(s) && fabs(s) > LATHE_STATE_FLOOR) ? s : 0.0;
}

/* Samples of a duration at a rate, at least 1. */
static inline int lathe_ms_to_samples(double ms, double rate)
{
	int n = (int)lround(ms * 0.001 * rate);
	return n > 0 ? n : 1;
}

/* Equal-gain linear fade position t in 0..1 to a (out, in) gain pair.
 * Linear, not equal-power: the signals faded here are correlated (the
 * same music with and without a change), so linear keeps the level flat. */
static inline float lathe_fade_in_gain(float t) { return t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t; }

/* One-pole smoothing coefficient for a time constant in seconds. */
static inline double lathe_one_pole(double seconds, double rate)
{
	return seconds > 0.0 ? exp(-1.0 / (seconds * rate)) : 0.0;
}

/* A value that glides linearly to a new target over `len` samples: the
 * in-sub-block ramp that keeps a gain step from being heard as a zipper,
 * and the fade of a discrete switch (len = one LATHE_FADE_MS). */
typedef struct {
	float from, to;
	int pos, len; /* pos == len: settled at `to` */
} LatheRamp;

static inline void lathe_ramp_init(LatheRamp *r, float v, int len)
{
	*r = (LatheRamp){ v, v, len, len };
}

static inline float lathe_ramp_value(const LatheRamp *r)
{
	return r->pos >= r->len ? r->to
		: r->from + (r->to - r->from) * ((float)r->pos / (float)r->len);
}

/* Glide from wherever the ramp is now to v (no-op if v is already the target). */
static inline void lathe_ramp_set(LatheRamp *r, float v)
{
	if (v == r->to)
		return;
	r->from = lathe_ramp_value(r);
	r->to = v;
	r->pos = 0;
}

/* Advance one sample and return the new value. */
static inline float lathe_ramp_next(LatheRamp *r)
{
	if (r->pos < r->len)
		r->pos++;
	return lathe_ramp_value(r);
}

#endif
