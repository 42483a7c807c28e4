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
#endif
