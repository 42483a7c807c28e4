/* lathe — bus compressor: feed-forward, soft knee, peak or RMS detector,
 * stereo link or M/S, side-chain high-pass, parallel mix. Zero latency. */
#ifndef LATHE_COMP_H
#define LATHE_COMP_H
#include "module.h"

enum {
	LATHE_COMP_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_COMP_THRESHOLD,    /* dB */
	LATHE_COMP_RATIO,        /* n:1 */
	LATHE_COMP_KNEE,         /* dB, full width of the soft knee */
	LATHE_COMP_ATTACK,       /* ms */
	LATHE_COMP_RELEASE,      /* ms */
	LATHE_COMP_AUTO_RELEASE, /* 0/1: release adapts to the program */
	LATHE_COMP_MAKEUP,       /* dB */
	LATHE_COMP_MIX,          /* %, 100 = fully compressed, less = parallel */
	LATHE_COMP_SC_HPF,       /* Hz, side-chain high-pass corner */
	LATHE_COMP_LINK,         /* %, stereo link of the detector (L/R mode) */
	LATHE_COMP_STEREO_MODE,  /* enum: 0 = L/R, 1 = M/S */
	LATHE_COMP_DETECTOR,     /* enum: 0 = peak, 1 = RMS */
	LATHE_COMP_PARAM_COUNT
};
#endif
