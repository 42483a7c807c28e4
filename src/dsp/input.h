/* lathe — input stage: trim, balance, polarity, swap, M/S balance, and a
 * DC/subsonic high-pass. Zero latency. */
#ifndef LATHE_INPUT_H
#define LATHE_INPUT_H
#include "module.h"

enum {
	LATHE_INPUT_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_INPUT_TRIM,        /* dB, gain on both sides */
	LATHE_INPUT_BALANCE,     /* dB, > 0 raises right and lowers left by half each */
	LATHE_INPUT_POLARITY_L,  /* 0/1, invert left */
	LATHE_INPUT_POLARITY_R,  /* 0/1, invert right */
	LATHE_INPUT_SWAP,        /* 0/1, exchange left and right */
	LATHE_INPUT_MS_BALANCE,  /* dB, > 0 raises mid and lowers side by half each */
	LATHE_INPUT_HPF,         /* 0/1, DC/subsonic high-pass on */
	LATHE_INPUT_HPF_FREQ,    /* Hz, Butterworth corner */
	LATHE_INPUT_HPF_SLOPE,   /* enum: 0 = 12, 1 = 24, 2 = 48 dB/oct */
	LATHE_INPUT_PARAM_COUNT
};
#endif
