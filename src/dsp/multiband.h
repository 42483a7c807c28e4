/* lathe — multiband compressor: 2 to 5 bands on Linkwitz-Riley (LR4)
 * crossovers whose outputs sum flat (all-pass) when the bands are neutral. */
#ifndef LATHE_MULTIBAND_H
#define LATHE_MULTIBAND_H
#include "module.h"

#define LATHE_MB_MAX_BANDS 5

enum {
	LATHE_MB_ENABLE = LATHE_MODULE_ENABLE,
	LATHE_MB_BANDS,          /* 2..5 */
	LATHE_MB_XOVER1,         /* Hz, crossover between band 1 and 2 */
	LATHE_MB_XOVER2,
	LATHE_MB_XOVER3,
	LATHE_MB_XOVER4,         /* used with 5 bands */
	LATHE_MB_FIRST_BAND      /* band b (0-based) parameter k: FIRST_BAND + b * BAND_STRIDE + k */
};

enum {
	LATHE_MB_BAND_THRESHOLD, /* dB */
	LATHE_MB_BAND_RATIO,     /* n:1 */
	LATHE_MB_BAND_ATTACK,    /* ms */
	LATHE_MB_BAND_RELEASE,   /* ms */
	LATHE_MB_BAND_MAKEUP,    /* dB */
	LATHE_MB_BAND_WIDTH,     /* %, stereo width of the band, 100 = unchanged */
	LATHE_MB_BAND_SOLO,      /* 0/1: hear only soloed bands */
	LATHE_MB_BAND_BYPASS,    /* 0/1: band passes uncompressed */
	LATHE_MB_BAND_STRIDE
};

#define LATHE_MB_PARAM_COUNT (LATHE_MB_FIRST_BAND + LATHE_MB_MAX_BANDS * LATHE_MB_BAND_STRIDE)
#define LATHE_MB_BAND_PARAM(b, k) (LATHE_MB_FIRST_BAND + (b) * LATHE_MB_BAND_STRIDE + (k))
#endif
