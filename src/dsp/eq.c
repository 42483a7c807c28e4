/* lathe — 8-band parametric EQ (see eq.h).
 *
 * Two engines give the same magnitude response:
 *
 *  - zero latency: each band is a cascade of second-order sections (double,
 *    direct form I) whose magnitude is matched to the analog prototype up
 *    to Nyquist (design below), so a 16 kHz bell at 44.1 kHz keeps its
 *    width instead of being squeezed against Nyquist as the bilinear
 *    transform does;
 *  - linear phase: one symmetric FIR per path with the magnitude of the
 *    zero-latency design, designed off the audio thread by maintain() and
 *    run by uniformly partitioned FFT convolution (FFTW).
 *
 * Band shapes (s normalised to the band frequency f0, A = 10^(gain/40),
 * G = A^2 the linear gain):
 *   bell        (s^2 + s A/Q + 1) / (s^2 + s/(A Q) + 1); a cut is exactly the
 *               inverse of the boost, so +6 and -6 dB cancel;
 *   low shelf   A (s^2 + s sqrt(A)/Q + A) / (A s^2 + s sqrt(A)/Q + 1): G below
 *               f0, 1 above, half the gain (in dB) at f0; Q = 0.707 has no
 *               overshoot, more Q adds a bump and dip around f0;
 *   high shelf  the mirror image: G / (low shelf of the same gain), which
 *               is also how it is designed digitally;
 *   high/low pass  Butterworth cascades of order 1, 2, 3, 4, 6, 8 (6 to 48
 *               dB/oct). Q scales the Q of the cascade's most resonant
 *               section by Q / 0.7071, which makes the gain at the corner
 *               frequency exactly Q (all Butterworth orders have 0.7071,
 *               -3 dB, there): 0.707 is plain Butterworth, 2 is +6 dB of
 *               resonance. The 6 dB/oct slope is first order and ignores Q;
 *   notch       (s^2 + 1) / (s^2 + s/Q + 1): -3 dB bandwidth f0 / Q;
 *   tilt        (sqrt(T) s + 1) / (s + sqrt(T)) with T = 10^(gain/20): a
 *               first-order shelf pair pivoting at f0, where it is 0 dB;
 *               -gain/2 at DC and +gain/2 at the top, so gain is the total
 *               tilt across the band (positive = brighter). Q is unused.
 *
 * Matched design. A second-order section's squared magnitude on the unit
 * circle is linear in three "phi" terms:
 *   |b0 + b1 z^-1 + b2 z^-2|^2 = B0 phi0 + B1 phi1 + B2 phi2,
 *   phi1 = sin^2(w/2), phi0 = 1 - phi1, phi2 = 4 phi0 phi1,
 *   B0 = (b0+b1+b2)^2, B1 = (b0-b1+b2)^2, B2 = -4 b0 b2,
 * so three target magnitudes fix B0..B2 by a linear equation, and the
 * section follows by a closed-form (minimum-phase) factorisation. As in
 * M. Vicanek, "Matched Second Order Digital Filters" (2016), the poles are
 * the analog poles mapped exactly (z = e^(sT), impulse invariance) and the
 * numerator matches the analog magnitude at DC, at Nyquist and at f0 (or
 * 0.9 Nyquist when f0 is above it, where the phi2 term vanishes). Boosts
 * are designed this way and cuts are their exact inverses (the boost's
 * zeros are inside the unit circle, so the inverse is stable); high pass
 * sections keep their double zero at DC and match f0; notches keep their
 * zeros on the unit circle at f0 and split the DC and Nyquist errors;
 * first-order sections (6 dB/oct, tilt) interpolate the analog magnitude
 * at DC, Nyquist and min(f0, Nyquist / 2) with a free pole.
 *
 * Glossary for the zero-latency engine and mode switches:
 *   slot    one filter configuration of a band (type, slope, channels and
 *           its sections). A band has two, so that a discrete change fades
 *           the old configuration out while the new one fades in.
 *   domain  L/R (lanes left, right) or M/S (lanes mid = (L+R)/2, side =
 *           (L-R)/2). All L/R slots run first, then the M/S slots; with
 *           no M/S slot running, the conversion is skipped.
 *   lanes   bit mask of the domain's two channels a slot filters.
 *   idle    a slot whose sections are the identity (gain 0 dB at rest):
 *           skipped, so a neutral band is bit-transparent. Its state keeps
 *           the last two input samples, so that waking it is seamless.
 *   ramp    the chain calls set() once per 32-frame sub-block while a
 *           parameter glides; set() only marks the band, the next
 *           process() designs it once (however many of freq, gain and Q
 *           moved), and the coefficients move linearly over the next 32
 *           frames instead of in steps. Linear interpolation
 *           of (a1, a2) stays inside the stability triangle, which is
 *           convex, so every intermediate section is stable.
 *   switch  a mode change: the engine switched to runs unheard until its
 *           output is valid (linear phase: (P + 1) B frames, until its FIR
 *           history is full; zero latency: ZL_WARM_MS of filter start-up),
 *           then the output crossfades; latency() reports the engine being
 *           faded in from the start of the crossfade.
 *   wet     a slot's fade weight: y = x + wet (F(x) - x), raised-cosine
 *           over LATHE_FADE_MS; the outgoing slot's weight falls while
 *           the incoming one's rises (in series: one or both may be on
 *           M/S while the other is on L/R).
 *   steady  a slot that neither ramps nor fades. A domain's consecutive
 *           steady sections run two to a loop over the block (their
 *           recursions overlap; run_steady), with both lanes in one SSE2
 *           vector and per lane exactly the arithmetic of
 *           lathe_biquad_tick, so the output is bit-identical to one
 *           section at a time in scalar code. Slots that ramp or fade run
 *           on their own (slot_run).
 *
 * Glossary for the linear-phase engine:
 *   B, P    FFT block (hop) and number of kernel partitions: the FIR has
 *           P * B - 1 taps, the FFTs are 2 B long (overlap-save).
 *   FDL     frequency-domain delay line: the spectra of the last P input
 *           blocks of each channel.
 *   kernel  the P partition spectra of up to four paths (L->L, R->L, L->R,
 *           R->R; the cross paths only when an M/S band is active), with
 *           the magnitude of the zero-latency design and zero phase,
 *           windowed to P B - 1 taps and delayed by D = P B / 2 - 1.
 *   latency B (the block being collected) + D.
 *   hand-over  three kernels, each FREE, WRITING (maintain), READY
 *           (published) or ACTIVE (audio thread), changed by atomic
 *           compare-and-swap: maintain() writes a FREE (or an untaken
 *           READY) kernel and publishes it; the audio thread takes a READY
 *           kernel at a block boundary, crossfades to it within that block
 *           and frees the old one. No locks, no allocation.
 */
#include "eq.h"

#include <complex.h>
#include <fftw3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "biquad.h"
#include "dsp.h"

/* 48 dB/oct is an 8th-order Butterworth: four second-order sections. */
#define SECTIONS 4
#define SLOTS 2
/* Coefficient ramp: one sub-block, the interval between two set() calls of
 * a glide, so the coefficient path is continuous and piecewise linear. */
#define RAMP LATHE_SUBBLOCK
/* Kernel partitions: P * B taps. With B about 21 ms (below), 16 partitions
 * give 0.34-0.37 s of FIR at every rate: enough to follow the zero-latency
 * magnitude within 0.05 dB for features wider than about 20 Hz (a 30 Hz
 * 24 dB/oct high pass, a 60 Hz Q 2 bell; tests/test_eq.c), while the
 * multiply-add work per frame stays near the FFT work. */
#define PARTITIONS 16
/* Time the zero-latency filters run unheard before a switch back from
 * linear phase fades to them: 50 ms lets the start-up transient of a
 * Butterworth section at 40 Hz (time constant Q / (pi f) = 5.6 ms) decay
 * by nearly 80 dB. */
#define ZL_WARM_MS 50.0
/* A partition whose taps have less energy than this is skipped: its
 * contribution is below -140 dB, the resolution of the float output. */
#define PARTITION_FLOOR 1e-14

enum { DOMAIN_LR, DOMAIN_MS };
enum { KERNEL_FREE, KERNEL_WRITING, KERNEL_READY, KERNEL_ACTIVE };
/* Kernel paths: input channel -> output channel. */
enum { PATH_LL, PATH_RL, PATH_LR, PATH_RR, PATHS };
/* Mode engine: steady, or switching (the target engine runs unheard for a
 * warm-up time, then the output crossfades to it). */
enum { RUN_ZL, RUN_LP, WARM_LP, FADE_LP, WARM_ZL, FADE_ZL };

static const int slope_order[] = { 1, 2, 3, 4, 6, 8 };

/* ---------------------------------------------------------------------------
 * Design (double, no allocation; shared by the audio thread, maintain() and
 * the exported magnitude functions).
 */

/* Analog section, s normalised to its frequency f0:
 * (n2 s^2 + n1 s + n0) / (d2 s^2 + d1 s + d0). First order: n2 = d2 = 0. */
typedef struct {
	double n0, n1, n2, d0, d1, d2;
} Analog;

/* How a section's numerator is fitted (see the top of the file). */
typedef enum { FIT_MATCHED, FIT_HIGHPASS, FIT_NOTCH, FIT_FIRST } Fit;

typedef struct {
	int n;                   /* sections */
	bool identity;           /* gain 0 dB: the band does nothing */
	LatheBiquad s[SECTIONS];
} Design;

static double analog_mag2(const Analog *a, double x)
{
	double nr = a->n0 - a->n2 * x * x, ni = a->n1 * x;
	double dr = a->d0 - a->d2 * x * x, di = a->d1 * x;
	return (nr * nr + ni * ni) / (dr * dr + di * di);
}

static int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The analog sections of a band's high or low pass: Butterworth of the
 * slope's order, the most resonant section's Q scaled by q / sqrt(1/2). */
static int pass_sections(bool high, int slope, double q, Analog *a)
{
	int order = slope_order[clampi(slope, 0, 5)];
	int n = 0;
	if (order & 1)
		a[n++] = high ? (Analog){ 0, 1, 0, 1, 1, 0 } : (Analog){ 1, 0, 0, 1, 1, 0 };
	int pairs = order / 2;
	for (int k = 0; k < pairs; k++) {
		/* Butterworth pole pairs: Q = 1 / (2 cos(theta)), theta the angle
		 * of the pair from the negative real axis. */
		double theta = (order & 1) ? (k + 1) * M_PI / order : (2 * k + 1) * M_PI / (2 * order);
		double qk = 1.0 / (2.0 * cos(theta));
		if (k == pairs - 1)
			qk *= q / M_SQRT1_2;
		a[n++] = high ? (Analog){ 0, 0, 1, 1, 1.0 / qk, 1 } : (Analog){ 1, 0, 0, 1, 1.0 / qk, 1 };
	}
	return n;
}

/* The analog prototype of a band as sections (the high shelf as one
 * section of its own, the others as designed). Returns the count. */
static int analog_band(int type, int slope, double gain, double q, Analog *a)
{
	double A = pow(10.0, gain / 40.0), sa = sqrt(A);
	switch (type) {
	case LATHE_EQ_BELL:
		a[0] = (Analog){ 1, A / q, 1, 1, 1.0 / (A * q), 1 };
		return 1;
	case LATHE_EQ_LOW_SHELF:
		a[0] = (Analog){ A * A, A * sa / q, A, 1, sa / q, A };
		return 1;
	case LATHE_EQ_HIGH_SHELF:
		a[0] = (Analog){ A, A * sa / q, A * A, A, sa / q, 1 };
		return 1;
	case LATHE_EQ_HIGH_PASS:
		return pass_sections(true, slope, q, a);
	case LATHE_EQ_LOW_PASS:
		return pass_sections(false, slope, q, a);
	case LATHE_EQ_NOTCH:
		a[0] = (Analog){ 1, 0, 1, 1, 1.0 / q, 1 };
		return 1;
	default: /* tilt: sqrt(T) = A */
		a[0] = (Analog){ 1, A, 0, A, 1, 0 };
		return 1;
	}
}

/* Denominator of the analog poles mapped by z = e^(sT): w the natural
 * frequency in radians per sample, zeta the damping. */
static void matched_poles(double w, double zeta, double *a1, double *a2)
{
	if (zeta < 1.0) {
		double r = exp(-zeta * w);
		*a1 = -2.0 * r * cos(w * sqrt(1.0 - zeta * zeta));
		*a2 = r * r;
	} else {
		/* Two real poles e^(w (-zeta +- sqrt(zeta^2 - 1))). */
		*a1 = -2.0 * exp(-zeta * w) * cosh(w * sqrt(zeta * zeta - 1.0));
		*a2 = exp(-2.0 * zeta * w);
	}
}

/* sin^2(pi f / rate): phi1 at frequency f. */
static double phi1_at(double f, double rate)
{
	double s = sin(M_PI * f / rate);
	return s * s;
}

/* Squared magnitude in phi form from (P0, P1, P2) at phi1 = u. */
static double phi_eval(double p0, double p1, double p2, double u)
{
	return p0 * (1.0 - u) + p1 * u + 4.0 * p2 * u * (1.0 - u);
}

/* A second-order section of frequency f0 (Hz) matched to the analog
 * section a (see the top of the file). */
static LatheBiquad fit_section(const Analog *a, Fit fit, double f0, double rate)
{
	double nyq = 0.5 * rate;
	double T0 = analog_mag2(a, 0.0), Tn = analog_mag2(a, nyq / f0);
	LatheBiquad c = { 0 };

	if (fit == FIT_FIRST) {
		/* |1 + a1 z^-1|^2 / (1 + a1)^2 = (1 - u) + A1 u with the pole free:
		 * three magnitudes (DC, Nyquist, fm) fix the pole and numerator. */
		double fm = fmin(f0, 0.5 * nyq), u = phi1_at(fm, rate);
		double Tm = analog_mag2(a, fm / f0);
		double A1 = (Tm - T0) * (1.0 - u) / (u * (Tn - Tm));
		double da0, da1;
		if (isfinite(A1) && A1 > 0.0) {
			double r = sqrt(A1);
			da0 = 0.5 * (1.0 + r);
			da1 = 0.5 * (1.0 - r);
		} else {
			/* Not reached for the monotonic first-order shapes used here;
			 * the exactly mapped pole is the safe fallback. */
			double p = exp(-2.0 * M_PI * f0 / rate * a->d0 / a->d1);
			da0 = 1.0 / (1.0 - p);
			da1 = -p / (1.0 - p);
			A1 = (da0 - da1) * (da0 - da1);
		}
		double s0 = sqrt(T0), s1 = sqrt(Tn * A1);
		c.b0 = 0.5 * (s0 + s1) / da0;
		c.b1 = 0.5 * (s0 - s1) / da0;
		c.a1 = da1 / da0;
		return c;
	}

	/* Poles: the analog ones, mapped exactly. */
	double w0 = 2.0 * M_PI * f0 / rate;
	double wn = w0 * sqrt(a->d0 / a->d2), zeta = a->d1 / (2.0 * sqrt(a->d0 * a->d2));
	matched_poles(wn, zeta, &c.a1, &c.a2);
	double A0 = (1.0 + c.a1 + c.a2) * (1.0 + c.a1 + c.a2);
	double A1 = (1.0 - c.a1 + c.a2) * (1.0 - c.a1 + c.a2);
	double A2 = -4.0 * c.a2;
	/* The third match point: f0, kept 10 % below Nyquist where phi2 -> 0
	 * would make the equation degenerate. */
	double fm = fmin(f0, 0.9 * nyq), um = phi1_at(fm, rate);
	double Tm = analog_mag2(a, fm / f0);
	double Dm = phi_eval(A0, A1, A2, um);

	if (fit == FIT_HIGHPASS) {
		/* Double zero at DC: g (1 - z^-1)^2, |.|^2 = 16 g^2 u^2. */
		double g = sqrt(Tm * Dm) / (4.0 * um);
		c.b0 = g;
		c.b1 = -2.0 * g;
		c.b2 = g;
		return c;
	}
	if (fit == FIT_NOTCH) {
		/* Zeros on the unit circle at f0: g (1 - 2 cos w0 z^-1 + z^-2). g
		 * matching DC and g matching Nyquist differ near Nyquist; their
		 * geometric mean splits the error evenly (in dB). */
		double cw = cos(w0);
		double g_dc = sqrt(T0) * (1.0 + c.a1 + c.a2) / (2.0 - 2.0 * cw);
		double g_ny = sqrt(Tn) * (1.0 - c.a1 + c.a2) / (2.0 + 2.0 * cw);
		double g = sqrt(g_dc * g_ny);
		c.b0 = g;
		c.b1 = -2.0 * cw * g;
		c.b2 = g;
		return c;
	}

	/* Numerator in phi form: B0, B1 from DC and Nyquist, B2 from fm. */
	double B0 = T0 * A0, B1 = Tn * A1;
	double p0 = 1.0 - um, p2 = 4.0 * p0 * um;
	double B2 = (Tm * Dm - B0 * p0 - B1 * um) / p2;
	/* Minimum-phase factorisation: b0 + b1 + b2 = sqrt(B0),
	 * b0 - b1 + b2 = sqrt(B1), b0 b2 = -B2 / 4. */
	double s0 = sqrt(B0), s1 = sqrt(B1);
	double W = 0.5 * (s0 + s1);
	double disc = W * W + B2;
	/* disc < 0 means no real section reaches all three magnitudes (only
	 * seen for very low Q low passes near Nyquist): drop the excess at fm
	 * and put the zeros on the unit circle. */
	double r = disc > 0.0 ? sqrt(disc) : 0.0;
	c.b0 = 0.5 * (W + r);
	c.b2 = W - c.b0;
	c.b1 = 0.5 * (s0 - s1);
	return c;
}

/* 1 / H for a minimum-phase section (stable inverse). */
static LatheBiquad invert(LatheBiquad c)
{
	return (LatheBiquad){ 1.0 / c.b0, c.a1 / c.b0, c.a2 / c.b0, c.b1 / c.b0, c.b2 / c.b0 };
}

static LatheBiquad scale(LatheBiquad c, double g)
{
	c.b0 *= g;
	c.b1 *= g;
	c.b2 *= g;
	return c;
}

/* The zero-latency sections of a band. */
static void design_band(Design *d, int type, int slope, double f0, double gain, double q,
			double rate)
{
	/* The registry keeps f0 in 10 Hz - 22 kHz and Q in 0.1 - 18; these
	 * limits only guard other rates and callers against a degenerate
	 * design. */
	f0 = fmin(fmax(f0, 1.0), 0.499 * rate);
	q = fmax(q, 0.01);
	d->identity = false;
	d->n = 1;
	Analog a[SECTIONS];
	switch (type) {
	case LATHE_EQ_BELL:
	case LATHE_EQ_LOW_SHELF:
	case LATHE_EQ_HIGH_SHELF: {
		if (gain == 0.0) {
			d->identity = true;
			d->s[0] = lathe_biquad_identity();
			return;
		}
		/* Design the boost of |gain| (bell, or low shelf for both shelves)
		 * and derive the others from it exactly. */
		analog_band(type == LATHE_EQ_BELL ? LATHE_EQ_BELL : LATHE_EQ_LOW_SHELF, 0,
			    fabs(gain), q, a);
		LatheBiquad boost = fit_section(&a[0], FIT_MATCHED, f0, rate);
		double G = pow(10.0, fabs(gain) / 20.0);
		if (type == LATHE_EQ_HIGH_SHELF)
			d->s[0] = gain > 0.0 ? scale(invert(boost), G) : scale(boost, 1.0 / G);
		else
			d->s[0] = gain > 0.0 ? boost : invert(boost);
		return;
	}
	case LATHE_EQ_TILT:
		if (gain == 0.0) {
			d->identity = true;
			d->s[0] = lathe_biquad_identity();
			return;
		}
		analog_band(type, 0, gain, q, a);
		d->s[0] = fit_section(&a[0], FIT_FIRST, f0, rate);
		return;
	case LATHE_EQ_NOTCH:
		analog_band(type, 0, 0.0, q, a);
		d->s[0] = fit_section(&a[0], FIT_NOTCH, f0, rate);
		return;
	default: { /* high or low pass */
		bool high = type == LATHE_EQ_HIGH_PASS;
		d->n = analog_band(type, slope, 0.0, q, a);
		for (int k = 0; k < d->n; k++) {
			Fit fit = a[k].d2 == 0.0 ? FIT_FIRST : high ? FIT_HIGHPASS : FIT_MATCHED;
			d->s[k] = fit_section(&a[k], fit, f0, rate);
		}
		return;
	}
	}
}

double lathe_eq_analog_magnitude(int type, int slope, double freq, double gain_db, double q,
				 double f)
{
	Analog a[SECTIONS];
	int n = analog_band(clampi(type, 0, LATHE_EQ_TYPE_COUNT - 1), slope, gain_db, q, a);
	double m2 = 1.0;
	for (int k = 0; k < n; k++)
		m2 *= analog_mag2(&a[k], f / freq);
	return sqrt(m2);
}

/* A band's parameters, read from a module's values (own numbering). */
typedef struct {
	bool on;
	int type, slope, channels;
	double freq, gain, q;
} BandParams;

static BandParams band_params(const float *v, int b)
{
	const float *p = v + LATHE_EQ_BAND_PARAM(b, 0);
	return (BandParams){
		.on = p[LATHE_EQ_BAND_ENABLE] >= 0.5f,
		.type = clampi((int)lrintf(p[LATHE_EQ_BAND_TYPE]), 0, LATHE_EQ_TYPE_COUNT - 1),
		.slope = clampi((int)lrintf(p[LATHE_EQ_BAND_SLOPE]), 0, 5),
		.channels = clampi((int)lrintf(p[LATHE_EQ_BAND_CHANNELS]), 0, LATHE_EQ_SIDE),
		.freq = p[LATHE_EQ_BAND_FREQ],
		.gain = p[LATHE_EQ_BAND_GAIN],
		.q = p[LATHE_EQ_BAND_Q],
	};
}

static int channels_domain(int ch) { return ch >= LATHE_EQ_MID ? DOMAIN_MS : DOMAIN_LR; }

/* Lanes of the domain: stereo both, left/mid lane 0, right/side lane 1. */
static int channels_lanes(int ch)
{
	return ch == LATHE_EQ_STEREO ? 3 : (ch == LATHE_EQ_LEFT || ch == LATHE_EQ_MID) ? 1 : 2;
}

/* Complex responses of the four lanes (L, R, M, S) at f. Returns whether
 * any M/S band is active. */
static bool lane_responses(const float *values, double rate, double f, double complex h[4])
{
	double complex z1 = cexp(-I * 2.0 * M_PI * f / rate);
	bool ms = false;
	h[0] = h[1] = h[2] = h[3] = 1.0;
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		BandParams p = band_params(values, b);
		if (!p.on)
			continue;
		Design d;
		design_band(&d, p.type, p.slope, p.freq, p.gain, p.q, rate);
		if (d.identity)
			continue;
		double complex hb = 1.0;
		for (int k = 0; k < d.n; k++) {
			const LatheBiquad *c = &d.s[k];
			hb *= (c->b0 + c->b1 * z1 + c->b2 * z1 * z1) / (1.0 + c->a1 * z1 + c->a2 * z1 * z1);
		}
		int dom = channels_domain(p.channels), lanes = channels_lanes(p.channels);
		ms |= dom == DOMAIN_MS;
		for (int l = 0; l < 2; l++)
			if (lanes & (1 << l))
				h[2 * dom + l] *= hb;
	}
	return ms;
}

double lathe_eq_magnitude(const float *values, double rate, int out, int in, double f)
{
	double complex h[4];
	bool ms = lane_responses(values, rate, f, h);
	double complex hl = h[0], hr = h[1], hm = h[2], hs = h[3];
	double complex m[2][2]; /* m[out][in] */
	if (!ms) {
		m[0][0] = hl, m[0][1] = 0.0, m[1][0] = 0.0, m[1][1] = hr;
	} else {
		/* L/R bands, then M = (L+R)/2, S = (L-R)/2 filtered, L = M+S, R = M-S. */
		m[0][0] = 0.5 * (hm + hs) * hl;
		m[0][1] = 0.5 * (hm - hs) * hr;
		m[1][0] = 0.5 * (hm - hs) * hl;
		m[1][1] = 0.5 * (hm + hs) * hr;
	}
	return cabs(m[clampi(out, 0, 1)][clampi(in, 0, 1)]);
}

/* FFT block of the linear-phase engine: 1024 frames at 44.1/48 kHz (21-23
 * ms), doubled per doubling of the rate, so that the FIR is 0.34-0.37 s at
 * every rate and the cost per second stays nearly constant. */
static int lp_block(double rate)
{
	int k = (int)lround(log2(rate / 48000.0));
	return 1024 << clampi(k, 0, 3);
}

int lathe_eq_fir_taps(double rate) { return PARTITIONS * lp_block(rate) - 1; }

/* ---------------------------------------------------------------------------
 * The module.
 */

typedef struct {
	LatheBiquad c[SECTIONS];        /* coefficients in use */
	LatheBiquad dc[SECTIONS];       /* per-frame step while ramping */
	LatheBiquad t[SECTIONS];        /* target of the ramp */
	LatheBiquadState2 st[SECTIONS];  /* lanes: the domain's two channels */
	int n;                          /* sections */
	int ramp;                       /* frames left in the ramp */
	bool on;                        /* holds a configuration */
	bool idle;                      /* identity at rest: skipped */
	bool t_identity;                /* the ramp ends at the identity */
	int fade;                       /* +1 fading in, -1 fading out, 0 steady */
	int type, slope, channels;
	int domain, lanes;
} Slot;

typedef struct {
	Slot slot[SLOTS];
	int live;        /* the slot that follows the parameters */
	bool fading;     /* a crossfade between the slots is running */
	int fade_pos;    /* frames into it */
	bool dirty;      /* freq, gain or Q changed: redesign the live slot */
	bool check;      /* a discrete parameter changed: compare with the slots */
} Band;

typedef struct {
	_Atomic int state;          /* KERNEL_* */
	bool cross;                 /* R->L and L->R paths present */
	bool nz[PARTITIONS];        /* partition has energy (else skipped) */
	float *re[PATHS], *im[PATHS]; /* [PARTITIONS][stride] each: split complex */
} Kernel;

typedef struct {
	double rate;
	float v[LATHE_EQ_PARAM_COUNT];  /* current values from set() */
	int fade_len;                   /* LATHE_FADE_MS in frames */
	double *fade_w;                 /* fade_len + 1 weights of the fade-in, 0 .. 1 */

	/* Zero latency. */
	Band band[LATHE_EQ_BANDS];
	LatheV2d x[LATHE_SUBBLOCK];     /* the signal in double, both lanes (L/R or M/S) */
	LatheV2d dry[LATHE_SUBBLOCK];   /* a fading slot's input */

	/* Mode engine. */
	int run;                        /* RUN_* */
	int mode_target;                /* 0 zero latency, 1 linear phase */
	int m_warm, m_pos;              /* switch: warm-up left, fade position */
	int zl_warm;                    /* ZL_WARM_MS in frames */
	float tmp[2][LATHE_SUBBLOCK];   /* the other engine's output while switching */

	/* Linear phase (audio thread). */
	int B, P, stride;               /* block, partitions, spectrum stride */
	int fill;                       /* frames into the current block */
	int head;                       /* FDL slot of the newest spectrum */
	int lp_latency;
	float *tin[2];                  /* 2 B: previous and current input block */
	float *tout;                    /* 2 B: inverse FFT output */
	float *out[2];                  /* B: output of the current block */
	float *out_new[2];              /* B: new kernel's output while crossfading */
	float *fdl_re[2], *fdl_im[2];   /* [P][stride]: split complex, for SIMD */
	float *acc_re, *acc_im;         /* [stride] */
	fftwf_complex *spec;            /* [stride]: r2c output, c2r input */
	fftwf_plan fwd, inv;            /* r2c and c2r of 2 B */
	Kernel kern[3];
	int active;                     /* kernel in use */

	/* Linear phase (maintain thread). */
	int M;                          /* design FFT length: 2 P B */
	fftwf_plan design_inv;          /* c2r of M */
	fftwf_complex *d_spec;          /* M/2+1 */
	float *d_ir;                    /* M */
	float *d_part;                  /* 2 B */
	fftwf_complex *d_pspec;         /* [stride]: spectrum of d_part */
	double *d_mag[4];               /* M/2+1 each: L, R, M, S magnitudes */
	double *d_phi;                  /* M/2+1: phi1 of each bin */
	double *d_win;                  /* D+1: half window */
	float last[LATHE_EQ_PARAM_COUNT];
	bool designed;
} Eq;

/* ------------------------------ zero latency ------------------------------ */

/* The engine runs both lanes of the domain signal as one vector of two
 * doubles (biquad.h): a section is one vector operation per multiply or
 * add, with the arithmetic of lathe_biquad_tick in each lane, so results
 * are the same bit for bit however sections are grouped below. */
typedef LatheV2d v2d;

/* Lane masks of the slots' lanes (1 lane 0, 2 lane 1, 3 both). */
static const LatheV2i lane_mask[4] = { { 0, 0 }, { -1, 0 }, { 0, -1 }, { -1, -1 } };

/* y in the lanes of mask, x in the others (exact: a bit selection). */
static inline v2d lane_select(v2d x, v2d y, LatheV2i mask)
{
	return (v2d)((LatheV2i)x ^ (((LatheV2i)x ^ (LatheV2i)y) & mask));
}

/* One section over n frames, ramping the coefficients over the first m
 * frames; if land, the ramp ends there and the remaining frames use the
 * exact target t (as they would in the next call: the output must not
 * depend on where calls split the signal). Only the lanes of mask are
 * filtered; the others pass, and their state is left as it was. Used for
 * slots that ramp or fade; steady slots go through run_steady. */
static void section_ramp(LatheBiquad *cp, const LatheBiquad *dc, const LatheBiquad *t, int m,
			 bool land, LatheBiquadState2 *sp, LatheV2i mask, v2d *x, int n)
{
	LatheBiquad c = *cp;
	LatheBiquadState2 s = *sp;
	int i = 0;
	for (; i < m; i++) {
		c.b0 += dc->b0, c.b1 += dc->b1, c.b2 += dc->b2, c.a1 += dc->a1, c.a2 += dc->a2;
		LatheBiquad2 c2 = lathe_biquad2_splat(&c);
		x[i] = lane_select(x[i], lathe_biquad2_tick(&c2, &s, x[i]), mask);
	}
	if (land)
		c = *t;
	LatheBiquad2 c2 = lathe_biquad2_splat(&c);
	for (; i < n; i++)
		x[i] = lane_select(x[i], lathe_biquad2_tick(&c2, &s, x[i]), mask);
	*cp = c;
	sp->x1 = lane_select(sp->x1, s.x1, mask);
	sp->x2 = lane_select(sp->x2, s.x2, mask);
	sp->y1 = lane_select(sp->y1, s.y1, mask);
	sp->y2 = lane_select(sp->y2, s.y2, mask);
}

/* Mid and side of a frame: (L + R) / 2 and (L - R) / 2. */
static inline v2d to_ms(v2d x)
{
	v2d l = { x[0], x[0] }, r = { x[1], -x[1] };
	return lathe_v2d_splat(0.5) * (l + r);
}

/* Left and right of a frame from mid and side: M + S and M - S. */
static inline v2d from_ms(v2d x)
{
	v2d m = { x[0], x[0] }, s = { x[1], -x[1] };
	return m + s;
}

/* What a cascade's last steady group does to its output on the way out:
 * nothing, or the conversion to the other domain that would follow it. */
enum { POST_NONE, POST_TO_MS, POST_FROM_MS };

static inline v2d post_apply(const int post, v2d x)
{
	return post == POST_TO_MS ? to_ms(x) : post == POST_FROM_MS ? from_ms(x) : x;
}

/* A steady section (no ramp, no fade) in a cascade run by run_steady. */
typedef struct {
	const LatheBiquad *c;
	LatheBiquadState2 *s;
	int lanes;
} Steady;

/* One or two cascaded steady sections over the block in one loop, so that
 * their recursions overlap (a lone section waits on its own multiply-add
 * chain every frame), then their state flushed (the once-per-block flush,
 * done here while it is in registers). The arguments before p are
 * constants after inlining: a masked section filters only the lanes of
 * its slot; post (POST_*) is applied to the output. */
static inline __attribute__((always_inline)) void
steady_run(const bool two, const bool masked, const int post, const Steady *p, v2d *x, int n)
{
	const LatheBiquad2 c0 = lathe_biquad2_splat(p[0].c);
	const LatheBiquad2 c1 = lathe_biquad2_splat(p[two].c);
	const LatheV2i m0 = lane_mask[p[0].lanes], m1 = lane_mask[p[two].lanes];
	LatheBiquadState2 s0 = *p[0].s, s1 = *p[two].s;
	if (two && n > 0) {
		/* Skewed: the first section runs one frame ahead of the second,
		 * so that each iteration's work starts from values already
		 * computed (a frame's path through both sections is a long chain
		 * of dependent operations; skewed, fewer of them wait in the
		 * CPU's scheduler at once). */
		v2d v = x[0], y = lathe_biquad2_tick(&c0, &s0, v);
		if (masked)
			y = lane_select(v, y, m0);
		int i = 0;
		for (; i + 1 < n; i++) {
			v2d w = x[i + 1], yn = lathe_biquad2_tick(&c0, &s0, w);
			if (masked)
				yn = lane_select(w, yn, m0);
			v2d z = lathe_biquad2_tick(&c1, &s1, y);
			x[i] = post_apply(post, masked ? lane_select(y, z, m1) : z);
			y = yn;
		}
		v2d z = lathe_biquad2_tick(&c1, &s1, y);
		x[i] = post_apply(post, masked ? lane_select(y, z, m1) : z);
	} else {
		for (int i = 0; i < n; i++) {
			v2d v = x[i], y = lathe_biquad2_tick(&c0, &s0, v);
			x[i] = post_apply(post, masked ? lane_select(v, y, m0) : y);
		}
	}
	if (masked) {
		/* A lane a section does not filter keeps its state. */
		const LatheBiquadState2 *o = p[0].s;
		s0 = (LatheBiquadState2){ lane_select(o->x1, s0.x1, m0), lane_select(o->x2, s0.x2, m0),
					  lane_select(o->y1, s0.y1, m0), lane_select(o->y2, s0.y2, m0) };
		if (two) {
			o = p[1].s;
			s1 = (LatheBiquadState2){ lane_select(o->x1, s1.x1, m1),
						  lane_select(o->x2, s1.x2, m1),
						  lane_select(o->y1, s1.y1, m1),
						  lane_select(o->y2, s1.y2, m1) };
		}
	}
	lathe_biquad2_flush(&s0);
	*p[0].s = s0;
	if (two) {
		lathe_biquad2_flush(&s1);
		*p[1].s = s1;
	}
}

/* steady_run with the group's flags as constants: one instance per case. */
#define STEADY_RUN(two, masked, p, x, n, post)                                    \
	do {                                                                      \
		if ((post) == POST_TO_MS)                                         \
			steady_run(two, masked, POST_TO_MS, p, x, n);             \
		else if ((post) == POST_FROM_MS)                                  \
			steady_run(two, masked, POST_FROM_MS, p, x, n);           \
		else                                                              \
			steady_run(two, masked, POST_NONE, p, x, n);              \
	} while (0)

/* A cascade of steady sections, in order, two at a time; the last group
 * applies post (POST_*) to its output. */
static void run_steady(const Steady *p, int count, v2d *x, int n, int post)
{
	int k = 0;
	for (; k + 1 < count; k += 2) {
		int last = k + 2 == count ? post : POST_NONE;
		if (p[k].lanes != 3 || p[k + 1].lanes != 3)
			STEADY_RUN(true, true, p + k, x, n, last);
		else
			STEADY_RUN(true, false, p + k, x, n, last);
	}
	if (k < count) {
		if (p[k].lanes != 3)
			STEADY_RUN(false, true, p + k, x, n, post);
		else
			STEADY_RUN(false, false, p + k, x, n, post);
	}
}

/* An idle slot passes its input: record it as its history (input and
 * output alike), so that it wakes without a transient. */
static void slot_warm(Slot *s, const v2d *x, int n)
{
	LatheV2i mask = lane_mask[s->lanes];
	v2d x1 = x[n - 1], x2 = n >= 2 ? x[n - 2] : s->st[0].x1;
	for (int k = 0; k < s->n; k++) {
		LatheBiquadState2 *h = &s->st[k];
		h->x1 = lane_select(h->x1, x1, mask);
		h->x2 = lane_select(h->x2, x2, mask);
		h->y1 = lane_select(h->y1, x1, mask);
		h->y2 = lane_select(h->y2, x2, mask);
	}
}

/* Set a slot up for a band's parameters, at rest on its target. */
static void slot_configure(Eq *e, Slot *s, const BandParams *p)
{
	Design d;
	design_band(&d, p->type, p->slope, p->freq, p->gain, p->q, e->rate);
	s->on = true;
	s->type = p->type;
	s->slope = p->slope;
	s->channels = p->channels;
	s->domain = channels_domain(p->channels);
	s->lanes = channels_lanes(p->channels);
	s->n = d.n;
	s->ramp = 0;
	s->idle = s->t_identity = d.identity;
	s->fade = 0;
	for (int k = 0; k < d.n; k++)
		s->c[k] = s->t[k] = d.s[k];
}

/* New target for the live slot: ramp to it over RAMP frames. */
static void slot_retarget(Eq *e, Slot *s, const BandParams *p)
{
	Design d;
	design_band(&d, p->type, p->slope, p->freq, p->gain, p->q, e->rate);
	if (d.identity && s->idle)
		return;
	s->idle = false;
	s->t_identity = d.identity;
	s->ramp = RAMP;
	for (int k = 0; k < s->n; k++) {
		/* An identity band is one section, like every band that can be. */
		s->t[k] = k < d.n ? d.s[k] : lathe_biquad_identity();
		s->dc[k] = (LatheBiquad){ (s->t[k].b0 - s->c[k].b0) / RAMP, (s->t[k].b1 - s->c[k].b1) / RAMP,
					  (s->t[k].b2 - s->c[k].b2) / RAMP, (s->t[k].a1 - s->c[k].a1) / RAMP,
					  (s->t[k].a2 - s->c[k].a2) / RAMP };
	}
}

/* Does the slot's configuration differ from the parameters in a way that
 * needs a crossfade? (Slope matters to passes only.) */
static bool slot_differs(const Slot *s, const BandParams *p)
{
	if (s->on != p->on)
		return true;
	if (!s->on)
		return false;
	bool pass = p->type == LATHE_EQ_HIGH_PASS || p->type == LATHE_EQ_LOW_PASS;
	return s->type != p->type || s->channels != p->channels || (pass && s->slope != p->slope);
}

/* Start a crossfade from the live slot to the parameters' configuration. */
static void band_start_fade(Eq *e, Band *band, const BandParams *p)
{
	Slot *old = &band->slot[band->live], *nw = &band->slot[!band->live];
	if (old->on)
		old->fade = -1;
	nw->on = false;
	if (p->on) {
		slot_configure(e, nw, p);
		nw->fade = 1;
		/* Start from the old slot's input history on the lanes where it
		 * saw the same signal, as if it had been the identity. */
		memset(nw->st, 0, sizeof(nw->st));
		if (old->on && old->domain == nw->domain) {
			LatheV2i mask = lane_mask[old->lanes];
			v2d zero = { 0.0, 0.0 }, x1 = lane_select(zero, old->st[0].x1, mask);
			v2d x2 = lane_select(zero, old->st[0].x2, mask);
			for (int k = 0; k < nw->n; k++)
				nw->st[k] = (LatheBiquadState2){ x1, x2, x1, x2 };
		}
	}
	band->live = !band->live;
	band->fading = true;
	band->fade_pos = 0;
	band->dirty = false;
}

/* At the start of a block: follow discrete changes (crossfades, one at a
 * time per band) and continuous ones (ramps). */
static void zl_update(Eq *e)
{
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		Band *band = &e->band[b];
		if (!band->check && !band->dirty)
			continue;
		BandParams p = band_params(e->v, b);
		if (band->check && !band->fading) {
			band->check = false;
			if (slot_differs(&band->slot[band->live], &p)) {
				band_start_fade(e, band, &p);
				continue;
			}
		}
		if (band->dirty) {
			band->dirty = false;
			Slot *live = &band->slot[band->live];
			if (live->on)
				slot_retarget(e, live, &p);
		}
	}
}

/* Put every band at rest on its parameters, with cleared state. */
static void zl_snap(Eq *e)
{
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		Band *band = &e->band[b];
		BandParams p = band_params(e->v, b);
		memset(band, 0, sizeof(*band));
		if (p.on)
			slot_configure(e, &band->slot[0], &p);
	}
}

/* One slot over n frames of the domain signal, for slots that ramp or
 * fade (run_steady does the others, with the same arithmetic). */
static void slot_run(Eq *e, const Band *band, Slot *s, int n)
{
	if (s->fade)
		memcpy(e->dry, e->x, (size_t)n * sizeof(e->x[0]));

	int m = s->ramp < n ? s->ramp : n;
	/* The ramp lands on the exact target (the sum of the steps rounds). */
	bool land = m > 0 && m == s->ramp;
	LatheV2i mask = lane_mask[s->lanes];
	for (int k = 0; k < s->n; k++)
		section_ramp(&s->c[k], &s->dc[k], &s->t[k], m, land, &s->st[k], mask, e->x, n);
	s->ramp -= m;
	if (land)
		s->idle = s->t_identity;
	/* The once-per-block flush (an idle slot keeps its history as it is). */
	if (!s->idle)
		for (int k = 0; k < s->n; k++)
			lathe_biquad2_flush(&s->st[k]);

	if (s->fade) {
		for (int i = 0; i < n; i++) {
			/* Past the end of the fade the slot is steady: exactly wet
			 * (or dry), as in the calls after this one. */
			int pos = band->fade_pos + i + 1;
			if (pos >= e->fade_len) {
				if (s->fade < 0)
					e->x[i] = lane_select(e->x[i], e->dry[i], mask);
				continue;
			}
			double w = e->fade_w[pos];
			if (s->fade < 0)
				w = 1.0 - w;
			v2d dry = e->dry[i];
			e->x[i] = lane_select(e->x[i], dry + lathe_v2d_splat(w) * (e->x[i] - dry), mask);
		}
	}
}

/* A slot that is on, with its band. */
typedef struct {
	Band *band;
	Slot *slot;
} SlotRef;

/* The slots that are on, in band order, into list (returns how many), and
 * in *busy bit d if a slot of domain d is filtering (not idle). */
static int active_slots(Eq *e, SlotRef *list, int *busy)
{
	int count = 0;
	*busy = 0;
	for (int b = 0; b < LATHE_EQ_BANDS; b++)
		for (int k = 0; k < SLOTS; k++) {
			Slot *s = &e->band[b].slot[k];
			if (!s->on)
				continue;
			list[count++] = (SlotRef){ &e->band[b], s };
			if (!s->idle)
				*busy |= 1 << s->domain;
		}
	return count;
}

/* Every slot of a domain over e->x, in band order. Consecutive steady
 * sections (slots that neither ramp nor fade) are gathered and run
 * together by run_steady; the others, and the idle slots that record
 * their input, run on their own in their place in the cascade. If the
 * cascade ends with steady sections, they apply post (POST_*) to the
 * signal: returns whether that was done. */
static bool domain_run(Eq *e, const SlotRef *list, int count, int domain, int n, int post)
{
	Steady steady[LATHE_EQ_BANDS * SLOTS * SECTIONS];
	int ns = 0;
	for (int k = 0; k < count; k++) {
		Slot *s = list[k].slot;
		if (s->domain != domain)
			continue;
		if (!s->idle && !s->fade && !s->ramp) {
			for (int j = 0; j < s->n; j++)
				steady[ns++] = (Steady){ &s->c[j], &s->st[j], s->lanes };
			continue;
		}
		run_steady(steady, ns, e->x, n, POST_NONE);
		ns = 0;
		if (s->idle)
			slot_warm(s, e->x, n);
		else
			slot_run(e, list[k].band, s, n);
	}
	run_steady(steady, ns, e->x, n, post);
	return ns > 0;
}

/* Idle slots of a domain that is not running: their input is the domain
 * signal itself. */
static void domain_warm(const SlotRef *list, int count, int domain, const v2d *x, int n)
{
	for (int k = 0; k < count; k++) {
		Slot *s = list[k].slot;
		if (s->idle && s->domain == domain)
			slot_warm(s, x, n);
	}
}

/* Idle M/S slots while the M/S domain is not running: the mid and side of
 * the last (at most) two frames are all they need. */
static void ms_warm(const SlotRef *list, int count, const v2d *x, int n)
{
	v2d ms[2];
	int t = n < 2 ? n : 2;
	for (int i = 0; i < t; i++)
		ms[i] = to_ms(x[n - t + i]);
	domain_warm(list, count, DOMAIN_MS, ms, t);
}

/* Crossfades advance after both domains have used the block. */
static void zl_advance(Eq *e, int n)
{
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		Band *band = &e->band[b];
		if (!band->fading)
			continue;
		band->fade_pos += n;
		if (band->fade_pos >= e->fade_len) {
			band->fading = false;
			band->slot[!band->live].on = false;
			band->slot[band->live].fade = 0;
			/* A change that arrived during the fade is taken next. */
			band->check = true;
		}
	}
}

/* lathe_finite on the bit pattern (isfinite: exponent not all ones), so
 * that the block loops below vectorise. */
static inline float finite_bits(float x)
{
	uint32_t bits;
	memcpy(&bits, &x, sizeof bits);
	bits &= -(uint32_t)((bits & 0x7fffffffu) < 0x7f800000u);
	memcpy(&x, &bits, sizeof x);
	return x;
}

/* The input, made finite, as frames of both channels in double. */
static void zl_input(const float *restrict l, const float *restrict r, v2d *restrict x, int n)
{
	float fl[LATHE_SUBBLOCK], fr[LATHE_SUBBLOCK];
	if (n == LATHE_SUBBLOCK) {
		/* The usual case, with a trip count the compiler vectorises. */
		for (int i = 0; i < LATHE_SUBBLOCK; i++) {
			fl[i] = finite_bits(l[i]);
			fr[i] = finite_bits(r[i]);
		}
	} else {
		for (int i = 0; i < n; i++) {
			fl[i] = finite_bits(l[i]);
			fr[i] = finite_bits(r[i]);
		}
	}
	lathe_v2d_from_planar(fl, fr, x, n);
}

/* The output in float, made finite: a finite input can still overflow
 * float after +18 dB bands. */
static void zl_output(const v2d *restrict x, float *restrict l, float *restrict r, int n)
{
	float fl[LATHE_SUBBLOCK], fr[LATHE_SUBBLOCK];
	lathe_v2d_to_planar(x, fl, fr, n);
	if (n == LATHE_SUBBLOCK) {
		for (int i = 0; i < LATHE_SUBBLOCK; i++) {
			l[i] = finite_bits(fl[i]);
			r[i] = finite_bits(fr[i]);
		}
	} else {
		for (int i = 0; i < n; i++) {
			l[i] = finite_bits(fl[i]);
			r[i] = finite_bits(fr[i]);
		}
	}
}

static void zl_process(Eq *e, float *l, float *r, int n)
{
	zl_update(e);
	SlotRef list[LATHE_EQ_BANDS * SLOTS];
	int busy, count = active_slots(e, list, &busy);
	v2d *x = e->x;

	if (!busy) {
		/* Neutral: bit-transparent, only non-finite input is replaced.
		 * Idle slots still record the last two frames. */
		int t = n < 2 ? n : 2;
		for (int i = 0; i < n; i++) {
			l[i] = lathe_finite(l[i]);
			r[i] = lathe_finite(r[i]);
		}
		for (int i = 0; i < t; i++)
			x[i] = (v2d){ l[n - t + i], r[n - t + i] };
		domain_warm(list, count, DOMAIN_LR, x, t);
		ms_warm(list, count, x, t);
		zl_advance(e, n);
		return;
	}

	zl_input(l, r, x, n);
	bool ms = busy & (1 << DOMAIN_MS), in_ms = false;
	/* The conversions to and from M/S ride on the last steady sections
	 * of the domain before them when they can (no pass of their own). */
	if (busy & (1 << DOMAIN_LR))
		in_ms = domain_run(e, list, count, DOMAIN_LR, n, ms ? POST_TO_MS : POST_NONE) && ms;
	else
		domain_warm(list, count, DOMAIN_LR, x, n);
	if (ms) {
		if (!in_ms)
			for (int i = 0; i < n; i++)
				x[i] = to_ms(x[i]);
		if (!domain_run(e, list, count, DOMAIN_MS, n, POST_FROM_MS))
			for (int i = 0; i < n; i++)
				x[i] = from_ms(x[i]);
	} else {
		ms_warm(list, count, x, n);
	}
	zl_output(x, l, r, n);
	/* Denormal-range and non-finite state was flushed once per block as
	 * each slot ran (run_steady, slot_run). */
	zl_advance(e, n);
}

/* ------------------------------ linear phase ------------------------------ */

/* acc += h x over n complex bins (n a multiple of 4), split format.
 * Written four bins at a time so that the compiler makes it SIMD. */
static void cmac(float *restrict ar, float *restrict ai, const float *restrict hr,
		 const float *restrict hi, const float *restrict xr, const float *restrict xi, int n)
{
	for (int k = 0; k < n; k += 4)
		for (int j = k; j < k + 4; j++) {
			ar[j] += hr[j] * xr[j] - hi[j] * xi[j];
			ai[j] += hr[j] * xi[j] + hi[j] * xr[j];
		}
}

/* The output block of one kernel for output channel ch into dst (B). */
static void lp_convolve(Eq *e, const Kernel *kn, int ch, float *dst)
{
	int B = e->B, P = e->P, nb = B + 1, n4 = (nb + 3) & ~3;
	memset(e->acc_re, 0, (size_t)e->stride * sizeof(float));
	memset(e->acc_im, 0, (size_t)e->stride * sizeof(float));
	/* Output ch gets input ch through the direct path, and the other
	 * input through the cross path. */
	int direct = ch == 0 ? PATH_LL : PATH_RR, cross = ch == 0 ? PATH_RL : PATH_LR;
	for (int p = 0; p < P; p++) {
		if (!kn->nz[p])
			continue;
		size_t ko = (size_t)p * e->stride, xo = (size_t)((e->head - p + P) % P) * e->stride;
		cmac(e->acc_re, e->acc_im, kn->re[direct] + ko, kn->im[direct] + ko,
		     e->fdl_re[ch] + xo, e->fdl_im[ch] + xo, n4);
		if (kn->cross)
			cmac(e->acc_re, e->acc_im, kn->re[cross] + ko, kn->im[cross] + ko,
			     e->fdl_re[!ch] + xo, e->fdl_im[!ch] + xo, n4);
	}
	float *spec = (float *)e->spec;
	for (int k = 0; k < nb; k++) {
		spec[2 * k] = e->acc_re[k];
		spec[2 * k + 1] = e->acc_im[k];
	}
	fftwf_execute_dft_c2r(e->inv, e->spec, e->tout);
	/* Overlap-save: the second half is the valid linear convolution. */
	memcpy(dst, e->tout + B, (size_t)B * sizeof(float));
}

/* Take a kernel that maintain() has published, if any. */
static int lp_take_kernel(Eq *e)
{
	for (int i = 0; i < 3; i++) {
		int expect = KERNEL_READY;
		if (i != e->active &&
		    atomic_compare_exchange_strong(&e->kern[i].state, &expect, KERNEL_ACTIVE))
			return i;
	}
	return -1;
}

/* The new kernel replaces the old, which maintain() may now rewrite. */
static void lp_retire(Eq *e, int nw)
{
	atomic_store(&e->kern[e->active].state, KERNEL_FREE);
	e->active = nw;
}

/* A full input block: transform it, compute the next output block. */
static void lp_block_done(Eq *e)
{
	int B = e->B, nb = B + 1;
	e->head = (e->head + 1) % e->P;
	for (int ch = 0; ch < 2; ch++) {
		fftwf_execute_dft_r2c(e->fwd, e->tin[ch], e->spec);
		const float *spec = (const float *)e->spec;
		float *re = e->fdl_re[ch] + (size_t)e->head * e->stride;
		float *im = e->fdl_im[ch] + (size_t)e->head * e->stride;
		for (int k = 0; k < nb; k++) {
			re[k] = spec[2 * k];
			im[k] = spec[2 * k + 1];
		}
		memmove(e->tin[ch], e->tin[ch] + B, (size_t)B * sizeof(float));
	}
	int nw = lp_take_kernel(e);
	for (int ch = 0; ch < 2; ch++)
		lp_convolve(e, &e->kern[e->active], ch, e->out[ch]);
	if (nw < 0)
		return;
	/* A new kernel: both outputs are valid (the FDL holds the true input
	 * history), so a crossfade between them is seamless. The fade (10 ms)
	 * is shorter than a block (21 ms). */
	for (int ch = 0; ch < 2; ch++) {
		lp_convolve(e, &e->kern[nw], ch, e->out_new[ch]);
		float *o = e->out[ch];
		const float *w = e->out_new[ch];
		for (int i = 0; i < B; i++)
			o[i] = i + 1 < e->fade_len ? o[i] + (float)e->fade_w[i + 1] * (w[i] - o[i]) : w[i];
	}
	lp_retire(e, nw);
}

/* Clear the linear-phase signal state; a published kernel is taken now. */
static void lp_reset(Eq *e)
{
	size_t spec = (size_t)e->P * e->stride * sizeof(float);
	for (int ch = 0; ch < 2; ch++) {
		memset(e->tin[ch], 0, 2 * (size_t)e->B * sizeof(float));
		memset(e->out[ch], 0, (size_t)e->B * sizeof(float));
		memset(e->fdl_re[ch], 0, spec);
		memset(e->fdl_im[ch], 0, spec);
	}
	e->fill = 0;
	e->head = 0;
	int nw = lp_take_kernel(e);
	if (nw >= 0)
		lp_retire(e, nw);
}

static void lp_process(Eq *e, float *l, float *r, int n)
{
	float *io[2] = { l, r };
	int done = 0;
	while (done < n) {
		int m = e->B - e->fill;
		if (m > n - done)
			m = n - done;
		for (int ch = 0; ch < 2; ch++) {
			float *x = io[ch] + done, *in = e->tin[ch] + e->B + e->fill;
			const float *o = e->out[ch] + e->fill;
			for (int i = 0; i < m; i++) {
				in[i] = lathe_finite(x[i]);
				x[i] = lathe_finite(o[i]);
			}
		}
		e->fill += m;
		done += m;
		if (e->fill == e->B) {
			lp_block_done(e);
			e->fill = 0;
		}
	}
}

/* ---------------------------- kernel design ------------------------------ */

/* One partition of taps in d_part into a kernel path (split spectrum). */
static void store_partition(Eq *e, Kernel *kn, int path, int p)
{
	fftwf_execute_dft_r2c(e->fwd, e->d_part, e->d_pspec);
	const float *spec = (const float *)e->d_pspec;
	float *re = kn->re[path] + (size_t)p * e->stride, *im = kn->im[path] + (size_t)p * e->stride;
	for (int k = 0; k < e->B + 1; k++) {
		re[k] = spec[2 * k];
		im[k] = spec[2 * k + 1];
	}
}

/* Fill one kernel path from the zero-phase magnitude in d_spec (real parts
 * set, imaginary zero), and mark the partitions that have energy. */
static void design_path(Eq *e, Kernel *kn, int path)
{
	int B = e->B, P = e->P, M = e->M, D = P * B / 2 - 1;
	/* Zero-phase impulse response, centred on sample 0 (circular). */
	fftwf_execute_dft_c2r(e->design_inv, e->d_spec, e->d_ir);
	const float *ir = e->d_ir;
	for (int p = 0; p < P; p++) {
		/* Taps p B .. p B + B - 1 of the causal FIR h[n] = ir0(n - D) w(n - D),
		 * scaled for both unnormalised inverse FFTs (M here, 2 B later). */
		memset(e->d_part, 0, 2 * (size_t)B * sizeof(float));
		double energy = 0.0;
		for (int j = 0; j < B; j++) {
			int n = p * B + j, k = n - D;
			if (n > 2 * D)
				break;
			/* Symmetric by construction: both halves read ir0(|k|). */
			int a = k < 0 ? -k : k;
			double h = ir[a] * e->d_win[a] / M;
			e->d_part[j] = (float)(h / (2.0 * B));
			energy += h * h;
		}
		kn->nz[p] = kn->nz[p] || energy > PARTITION_FLOOR;
		store_partition(e, kn, path, p);
	}
}

/* The identity kernel (a pure delay of D frames) into kn. */
static void design_identity(Eq *e, Kernel *kn)
{
	int B = e->B, D = e->P * B / 2 - 1;
	memset(kn->nz, 0, sizeof(kn->nz));
	kn->cross = false;
	for (int p = 0; p < e->P; p++) {
		memset(e->d_part, 0, 2 * (size_t)B * sizeof(float));
		if (p == D / B)
			e->d_part[D % B] = (float)(1.0 / (2.0 * B)); /* FFTW's inverse is unscaled */
		kn->nz[p] = p == D / B;
		store_partition(e, kn, PATH_LL, p);
		store_partition(e, kn, PATH_RR, p);
	}
}

/* Squared magnitude of a section at phi1 = u, in phi form. */
static double section_mag2(const LatheBiquad *c, double u)
{
	double n0 = c->b0 + c->b1 + c->b2, n1 = c->b0 - c->b1 + c->b2;
	double d0 = 1.0 + c->a1 + c->a2, d1 = 1.0 - c->a1 + c->a2;
	double num = phi_eval(n0 * n0, n1 * n1, -4.0 * c->b0 * c->b2, u);
	double den = phi_eval(d0 * d0, d1 * d1, -4.0 * c->a2, u);
	return fmax(num, 0.0) / den;
}

/* Design the kernel for the values into kn (maintain thread). */
static void design_kernel(Eq *e, const float *values, Kernel *kn)
{
	int nb = e->M / 2 + 1;
	bool any = false, ms = false;
	for (int l = 0; l < 4; l++)
		for (int k = 0; k < nb; k++)
			e->d_mag[l][k] = 1.0;
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		BandParams p = band_params(values, b);
		if (!p.on)
			continue;
		Design d;
		design_band(&d, p.type, p.slope, p.freq, p.gain, p.q, e->rate);
		if (d.identity)
			continue;
		any = true;
		int dom = channels_domain(p.channels), lanes = channels_lanes(p.channels);
		ms |= dom == DOMAIN_MS;
		double *m0 = e->d_mag[2 * dom], *m1 = e->d_mag[2 * dom + 1];
		for (int k = 0; k < nb; k++) {
			double m2 = 1.0;
			for (int j = 0; j < d.n; j++)
				m2 *= section_mag2(&d.s[j], e->d_phi[k]);
			double m = sqrt(m2);
			if (lanes & 1)
				m0[k] *= m;
			if (lanes & 2)
				m1[k] *= m;
		}
	}
	if (!any) {
		design_identity(e, kn);
		return;
	}
	memset(kn->nz, 0, sizeof(kn->nz));
	kn->cross = ms;
	/* The paths as zero-phase magnitudes (see lathe_eq_magnitude: with the
	 * phase gone, the M/S terms combine as real numbers). */
	const double *hl = e->d_mag[0], *hr = e->d_mag[1], *hm = e->d_mag[2], *hs = e->d_mag[3];
	for (int path = 0; path < PATHS; path++) {
		if (!ms && (path == PATH_RL || path == PATH_LR))
			continue;
		for (int k = 0; k < nb; k++) {
			double v;
			if (!ms)
				v = path == PATH_LL ? hl[k] : hr[k];
			else if (path == PATH_LL)
				v = 0.5 * (hm[k] + hs[k]) * hl[k];
			else if (path == PATH_RR)
				v = 0.5 * (hm[k] + hs[k]) * hr[k];
			else if (path == PATH_RL)
				v = 0.5 * (hm[k] - hs[k]) * hr[k];
			else
				v = 0.5 * (hm[k] - hs[k]) * hl[k];
			/* fftwf_complex is float[2] or float _Complex: same layout. */
			float *bin = (float *)(e->d_spec + k);
			bin[0] = (float)v;
			bin[1] = 0.0f;
		}
		design_path(e, kn, path);
	}
}

static void eq_maintain(void *self, const float *values)
{
	Eq *e = self;
	/* Kernels are needed only in linear-phase mode; a switch to it waits
	 * (unheard, filling the FFT history) long enough for one to arrive. */
	if (values[LATHE_EQ_MODE] < 0.5f)
		return;
	size_t first = LATHE_EQ_FIRST_BAND, count = LATHE_EQ_PARAM_COUNT - first;
	if (e->designed && memcmp(e->last + first, values + first, count * sizeof(float)) == 0)
		return;

	/* A published kernel not yet taken is reused; otherwise a free one.
	 * With three kernels one is always free: the audio thread holds at
	 * most two (in use and, for one block, the new one). */
	int w = -1;
	for (int pass = 0; pass < 2 && w < 0; pass++)
		for (int i = 0; i < 3; i++) {
			int expect = pass == 0 ? KERNEL_READY : KERNEL_FREE;
			if (atomic_compare_exchange_strong(&e->kern[i].state, &expect, KERNEL_WRITING)) {
				w = i;
				break;
			}
		}
	if (w < 0)
		return;
	design_kernel(e, values, &e->kern[w]);
	atomic_store(&e->kern[w].state, KERNEL_READY);
	memcpy(e->last, values, sizeof(e->last));
	e->designed = true;
}

/* ------------------------------ mode engine ------------------------------- */

static int eq_latency(const void *self)
{
	const Eq *e = self;
	switch (e->run) {
	case RUN_LP:
	case FADE_LP:
	case WARM_ZL:
		return e->lp_latency;
	default:
		return 0;
	}
}

/* Follow a mode change requested by set(): start a switch, or abandon one
 * still warming up. A running crossfade completes first. */
static void mode_update(Eq *e)
{
	switch (e->run) {
	case RUN_ZL:
		if (e->mode_target) {
			lp_reset(e);
			e->run = WARM_LP;
			/* Until every tap of the FIR has seen real input. */
			e->m_warm = (e->P + 1) * e->B;
			e->m_pos = 0;
		}
		break;
	case WARM_LP:
		if (!e->mode_target)
			e->run = RUN_ZL;
		break;
	case RUN_LP:
		if (!e->mode_target) {
			zl_snap(e);
			e->run = WARM_ZL;
			e->m_warm = e->zl_warm;
			e->m_pos = 0;
		}
		break;
	case WARM_ZL:
		if (e->mode_target)
			e->run = RUN_LP;
		break;
	default:
		break;
	}
}

static void eq_process(void *self, float *l, float *r, int n)
{
	Eq *e = self;
	mode_update(e);
	if (e->run == RUN_ZL) {
		zl_process(e, l, r, n);
		return;
	}
	if (e->run == RUN_LP) {
		lp_process(e, l, r, n);
		return;
	}
	/* Switching: both engines run; the output goes from one to the other. */
	memcpy(e->tmp[0], l, (size_t)n * sizeof(float));
	memcpy(e->tmp[1], r, (size_t)n * sizeof(float));
	bool to_lp = e->run == WARM_LP || e->run == FADE_LP;
	/* from: l/r, to: tmp */
	if (to_lp) {
		zl_process(e, l, r, n);
		lp_process(e, e->tmp[0], e->tmp[1], n);
	} else {
		lp_process(e, l, r, n);
		zl_process(e, e->tmp[0], e->tmp[1], n);
	}
	for (int i = 0; i < n; i++) {
		/* Exactly "from" before the fade and exactly "to" at its end, as
		 * in the steady calls before and after. */
		if (e->m_warm > 0) {
			e->m_warm--;
			continue;
		}
		if (e->m_pos < e->fade_len)
			e->m_pos++;
		if (e->m_pos >= e->fade_len) {
			l[i] = e->tmp[0][i];
			r[i] = e->tmp[1][i];
			continue;
		}
		float g = (float)e->fade_w[e->m_pos];
		l[i] += g * (e->tmp[0][i] - l[i]);
		r[i] += g * (e->tmp[1][i] - r[i]);
	}
	if (e->m_warm == 0 && (e->run == WARM_LP || e->run == WARM_ZL))
		e->run = e->run == WARM_LP ? FADE_LP : FADE_ZL;
	if (e->m_pos >= e->fade_len)
		e->run = to_lp ? RUN_LP : RUN_ZL;
}

static void eq_set(void *self, int param, float value)
{
	Eq *e = self;
	if (param <= LATHE_MODULE_ENABLE || param >= LATHE_EQ_PARAM_COUNT || !isfinite(value))
		return;
	e->v[param] = value;
	if (param == LATHE_EQ_MODE) {
		e->mode_target = value >= 0.5f;
		return;
	}
	int k = (param - LATHE_EQ_FIRST_BAND) % LATHE_EQ_BAND_STRIDE;
	Band *band = &e->band[(param - LATHE_EQ_FIRST_BAND) / LATHE_EQ_BAND_STRIDE];
	if (k == LATHE_EQ_BAND_FREQ || k == LATHE_EQ_BAND_GAIN || k == LATHE_EQ_BAND_Q)
		band->dirty = true;
	else
		band->check = true; /* compared with the slots in zl_update() */
}

static void eq_reset(void *self)
{
	Eq *e = self;
	e->run = e->mode_target ? RUN_LP : RUN_ZL;
	zl_snap(e);
	lp_reset(e);
}

/* ------------------------------ set-up ----------------------------------- */

static void eq_destroy(void *self)
{
	Eq *e = self;
	if (!e)
		return;
	if (e->fwd)
		fftwf_destroy_plan(e->fwd);
	if (e->inv)
		fftwf_destroy_plan(e->inv);
	if (e->design_inv)
		fftwf_destroy_plan(e->design_inv);
	for (int ch = 0; ch < 2; ch++) {
		fftwf_free(e->tin[ch]);
		fftwf_free(e->out[ch]);
		fftwf_free(e->out_new[ch]);
		fftwf_free(e->fdl_re[ch]);
		fftwf_free(e->fdl_im[ch]);
	}
	fftwf_free(e->tout);
	fftwf_free(e->acc_re);
	fftwf_free(e->acc_im);
	fftwf_free(e->spec);
	for (int i = 0; i < 3; i++)
		for (int p = 0; p < PATHS; p++) {
			fftwf_free(e->kern[i].re[p]);
			fftwf_free(e->kern[i].im[p]);
		}
	fftwf_free(e->d_spec);
	fftwf_free(e->d_ir);
	fftwf_free(e->d_part);
	fftwf_free(e->d_pspec);
	for (int l = 0; l < 4; l++)
		free(e->d_mag[l]);
	free(e->d_phi);
	free(e->d_win);
	free(e->fade_w);
	free(e);
}

/* Zeroed FFTW-aligned memory (FFTW's alignment makes SIMD plans valid for
 * every array, and padding bins must read as zero). */
static void *zalloc(size_t size)
{
	void *p = fftwf_malloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

static void *eq_create(double rate)
{
	Eq *e = calloc(1, sizeof(Eq));
	if (!e)
		return NULL;
	e->rate = rate;
	e->fade_len = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	/* Raised-cosine fades: the weights of the two sides still sum to one
	 * (the signals are correlated, as dsp.h notes), and the envelope has
	 * no corners: a linear fade's corners splatter a tone's energy to
	 * -72 dB at 5 kHz, this shape to -100 dB (tests/test_eq.c). */
	e->fade_w = malloc(((size_t)e->fade_len + 1) * sizeof(double));
	if (!e->fade_w) {
		free(e);
		return NULL;
	}
	for (int i = 0; i <= e->fade_len; i++)
		e->fade_w[i] = 0.5 - 0.5 * cos(M_PI * i / e->fade_len);
	e->zl_warm = lathe_ms_to_samples(ZL_WARM_MS, rate);
	/* The registry's defaults for what a design needs before the chain
	 * sets every parameter: bands off, bells, 0 dB, Q 0.707. */
	for (int b = 0; b < LATHE_EQ_BANDS; b++) {
		e->v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_FREQ)] = 1000.0f;
		e->v[LATHE_EQ_BAND_PARAM(b, LATHE_EQ_BAND_Q)] = 0.707f;
	}

	e->B = lp_block(rate);
	e->P = PARTITIONS;
	/* Spectra of B + 1 bins, padded to a multiple of 8 floats (32 bytes)
	 * so that every partition starts aligned and the multiply-add runs in
	 * whole groups of four over zero padding. */
	e->stride = (e->B + 1 + 7) & ~7;
	e->M = 2 * e->P * e->B;
	e->lp_latency = e->B + e->P * e->B / 2 - 1;
	int B = e->B, M = e->M, nb = M / 2 + 1, D = e->P * B / 2 - 1;
	size_t part = (size_t)e->P * e->stride * sizeof(float);
	size_t spec = (size_t)e->stride * sizeof(fftwf_complex);

	bool ok = true;
	for (int ch = 0; ch < 2; ch++) {
		ok &= (e->tin[ch] = zalloc(2 * (size_t)B * sizeof(float))) != NULL;
		ok &= (e->out[ch] = zalloc((size_t)B * sizeof(float))) != NULL;
		ok &= (e->out_new[ch] = zalloc((size_t)B * sizeof(float))) != NULL;
		ok &= (e->fdl_re[ch] = zalloc(part)) != NULL;
		ok &= (e->fdl_im[ch] = zalloc(part)) != NULL;
	}
	ok &= (e->tout = zalloc(2 * (size_t)B * sizeof(float))) != NULL;
	ok &= (e->acc_re = zalloc((size_t)e->stride * sizeof(float))) != NULL;
	ok &= (e->acc_im = zalloc((size_t)e->stride * sizeof(float))) != NULL;
	ok &= (e->spec = zalloc(spec)) != NULL;
	for (int i = 0; i < 3; i++)
		for (int p = 0; p < PATHS; p++) {
			ok &= (e->kern[i].re[p] = zalloc(part)) != NULL;
			ok &= (e->kern[i].im[p] = zalloc(part)) != NULL;
		}
	ok &= (e->d_spec = zalloc((size_t)nb * sizeof(fftwf_complex))) != NULL;
	ok &= (e->d_ir = zalloc((size_t)M * sizeof(float))) != NULL;
	ok &= (e->d_part = zalloc(2 * (size_t)B * sizeof(float))) != NULL;
	ok &= (e->d_pspec = zalloc(spec)) != NULL;
	for (int l = 0; l < 4; l++)
		ok &= (e->d_mag[l] = malloc((size_t)nb * sizeof(double))) != NULL;
	ok &= (e->d_phi = malloc((size_t)nb * sizeof(double))) != NULL;
	ok &= (e->d_win = malloc((size_t)(D + 1) * sizeof(double))) != NULL;
	if (!ok) {
		eq_destroy(e);
		return NULL;
	}

	/* FFTW_ESTIMATE, not MEASURE: measuring picks a plan by timing, so two
	 * runs could round differently and two renders of the same session
	 * would not null; it also takes 0.3-0.5 s per size instead of 1-10 ms.
	 * The measured plans were only about 10 % faster here. */
	e->fwd = fftwf_plan_dft_r2c_1d(2 * B, e->tout, e->spec, FFTW_ESTIMATE);
	e->inv = fftwf_plan_dft_c2r_1d(2 * B, e->spec, e->tout, FFTW_ESTIMATE);
	e->design_inv = fftwf_plan_dft_c2r_1d(M, e->d_spec, e->d_ir, FFTW_ESTIMATE);
	if (!e->fwd || !e->inv || !e->design_inv) {
		eq_destroy(e);
		return NULL;
	}

	for (int k = 0; k < nb; k++)
		e->d_phi[k] = phi1_at(k * rate / M, rate);
	/* Window over the 2 D + 1 taps (half stored): flat over the inner half,
	 * a raised-cosine taper over the outer half (Tukey, alpha 0.5). The
	 * impulse response of any band that has rung out within D / 2 (85 ms)
	 * is kept exactly, so the FIR's magnitude follows the zero-latency one
	 * within 0.01 dB wherever features are wider than about 20 Hz; a
	 * Kaiser window of similar stop-band depth (beta 8) tapers the middle
	 * too and misses a 50 Hz Q 1 bell by 0.07 dB. Stop bands still reach
	 * the float noise floor (-140 dB). */
	for (int k = 0; k <= D; k++) {
		double t = (double)k / (D + 1);
		e->d_win[k] = t <= 0.5 ? 1.0 : 0.5 * (1.0 + cos(M_PI * (t - 0.5) / 0.5));
	}

	for (int i = 0; i < 3; i++)
		atomic_init(&e->kern[i].state, KERNEL_FREE);
	/* Until maintain() designs one, the kernel is a pure delay. */
	design_identity(e, &e->kern[0]);
	atomic_store(&e->kern[0].state, KERNEL_ACTIVE);
	e->active = 0;

	e->run = RUN_ZL;
	zl_snap(e);
	return e;
}

const LatheModuleClass lathe_eq_class = {
	.name = "eq",
	.n_params = LATHE_EQ_PARAM_COUNT,
	.create = eq_create,
	.destroy = eq_destroy,
	.set = eq_set,
	.reset = eq_reset,
	.process = eq_process,
	.latency = eq_latency,
	.gain_reduction = NULL,
	.maintain = eq_maintain,
};
