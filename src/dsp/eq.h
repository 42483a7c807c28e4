/* lathe — 8-band parametric EQ, zero-latency (matched to the analog
 * prototype up to Nyquist) or linear-phase (FFT convolution with the same
 * magnitude response; latency reported). */
#ifndef LATHE_EQ_H
#define LATHE_EQ_H
#include "module.h"

#define LATHE_EQ_BANDS 8

enum {
	LATHE_EQ_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_EQ_MODE,          /* enum: 0 = zero latency, 1 = linear phase */
	LATHE_EQ_FIRST_BAND     /* band b (0-based) parameter k: FIRST_BAND + b * BAND_STRIDE + k */
};

/* Parameters of one band, k in the formula above. */
enum {
	LATHE_EQ_BAND_ENABLE,   /* 0/1 */
	LATHE_EQ_BAND_TYPE,     /* enum LatheEqType */
	LATHE_EQ_BAND_FREQ,     /* Hz: centre, corner, or tilt pivot */
	LATHE_EQ_BAND_GAIN,     /* dB: bell, shelves, tilt (total tilt across the band) */
	LATHE_EQ_BAND_Q,        /* bell/notch bandwidth, shelf and pass resonance (0.707 = Butterworth) */
	LATHE_EQ_BAND_SLOPE,    /* enum: high/low pass 6, 12, 18, 24, 36, 48 dB/oct */
	LATHE_EQ_BAND_CHANNELS, /* enum LatheEqChannels */
	LATHE_EQ_BAND_STRIDE
};

typedef enum {
	LATHE_EQ_BELL, LATHE_EQ_LOW_SHELF, LATHE_EQ_HIGH_SHELF, LATHE_EQ_HIGH_PASS,
	LATHE_EQ_LOW_PASS, LATHE_EQ_NOTCH, LATHE_EQ_TILT, LATHE_EQ_TYPE_COUNT
} LatheEqType;

typedef enum {
	LATHE_EQ_STEREO, LATHE_EQ_LEFT, LATHE_EQ_RIGHT, LATHE_EQ_MID, LATHE_EQ_SIDE
} LatheEqChannels;

#define LATHE_EQ_PARAM_COUNT (LATHE_EQ_FIRST_BAND + LATHE_EQ_BANDS * LATHE_EQ_BAND_STRIDE)
#define LATHE_EQ_BAND_PARAM(b, k) (LATHE_EQ_FIRST_BAND + (b) * LATHE_EQ_BAND_STRIDE + (k))

/* Helpers for tests and displays. Pure computation in double, no
 * allocation: any thread may call them (too slow for per-sample use). */

/* Magnitude (linear) at f Hz of the analog prototype of one band, the shape
 * the zero-latency design is matched to: type LatheEqType, slope the
 * registry's index (0..5 = 6, 12, 18, 24, 36, 48 dB/oct), freq in Hz, gain
 * in dB, q as the registry's band Q. Band shapes are defined in eq.c. */
double lathe_eq_analog_magnitude(int type, int slope, double freq, double gain_db, double q,
				 double f);

/* Magnitude (linear) at f Hz of the whole EQ in zero-latency mode, from
 * input channel `in` to output channel `out` (0 = left, 1 = right), computed
 * in double from the designed coefficients, for the module's parameter
 * values (values[0..LATHE_EQ_PARAM_COUNT-1]; enable and mode are ignored).
 * The linear-phase mode has the same magnitudes for left and right with
 * L/R bands, and for mid and side input (L = R, L = -R) with M/S bands; a
 * one-sided input through M/S bands differs, because the zero-phase mid and
 * side paths recombine without the zero-latency phase differences. */
double lathe_eq_magnitude(const float *values, double rate, int out, int in, double f);

/* Taps of the linear-phase FIR at a rate (odd; latency() in linear-phase
 * mode is (taps - 1) / 2 plus one FFT block, see eq.c). */
int lathe_eq_fir_taps(double rate);
#endif
