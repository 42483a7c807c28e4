/* lathe — second-order IIR sections.
 *
 * Coefficients are designed in double and the filter runs in double
 * (direct form I): a 20 Hz high-pass at 192 kHz has poles within 1e-3 of
 * the unit circle, where float state would add audible noise. Direct form I
 * also keeps its state meaningful when coefficients glide, because the
 * state is only past inputs and outputs.
 *
 * Design functions are real-time safe (a few trig calls, no allocation):
 * modules call them from the audio thread while a parameter glides.
 */
#ifndef LATHE_BIQUAD_H
#define LATHE_BIQUAD_H

#include "dsp.h"

typedef struct {
	double b0, b1, b2, a1, a2; /* a0 normalised to 1 */
} LatheBiquad;

typedef struct {
	double x1, x2, y1, y2;
} LatheBiquadState;

/* The identity section (output = input). */
static inline LatheBiquad lathe_biquad_identity(void)
{
	return (LatheBiquad){ 1.0, 0.0, 0.0, 0.0, 0.0 };
}

static inline double lathe_biquad_tick(const LatheBiquad *c, LatheBiquadState *s, double x)
{
	double y = c->b0 * x + c->b1 * s->x1 + c->b2 * s->x2 - c->a1 * s->y1 - c->a2 * s->y2;
	s->x2 = s->x1;
	s->x1 = x;
	s->y2 = s->y1;
	s->y1 = y;
	return y;
}

/* Flush denormal-range or non-finite state to zero (call once per block). */
static inline void lathe_biquad_flush(LatheBiquadState *s)
{
	if (!isfinite(s->y1) || !isfinite(s->y2) || !isfinite(s->x1) || !isfinite(s->x2)) {
		*s = (LatheBiquadState){ 0 };
		return;
	}
	s->x1 = lathe_flush(s->x1);
	s->x2 = lathe_flush(s->x2);
	s->y1 = lathe_flush(s->y1);
	s->y2 = lathe_flush(s->y2);
}

/* Bilinear-transform designs (frequency pre-warped at f). Used where an
 * exact algebraic identity matters more than the shape near Nyquist, such
 * as Linkwitz-Riley crossovers, whose low and high outputs must sum to an
 * all-pass. f in Hz, rate in Hz, q > 0. */
LatheBiquad lathe_biquad_lowpass(double f, double q, double rate);
LatheBiquad lathe_biquad_highpass(double f, double q, double rate);
LatheBiquad lathe_biquad_allpass(double f, double q, double rate);
/* Band-pass with 0 dB gain at f (constant peak). */
LatheBiquad lathe_biquad_bandpass(double f, double q, double rate);
/* First-order sections stored as biquads (b2 = a2 = 0). */
LatheBiquad lathe_biquad_lowpass1(double f, double rate);
LatheBiquad lathe_biquad_highpass1(double f, double rate);
LatheBiquad lathe_biquad_allpass1(double f, double rate);

/* Q of section k (0-based) of an even-order Butterworth filter of the
 * given order: 1 / (2 cos((2k+1) pi / (2 order))). */
double lathe_butterworth_q(int order, int k);

/* Magnitude of a section at frequency f, computed in double: the analytic
 * |H(e^jw)| that tests compare measured responses against. */
double lathe_biquad_magnitude(const LatheBiquad *c, double f, double rate);

#endif
