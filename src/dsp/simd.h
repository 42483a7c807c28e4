/* lathe — the vector types of the DSP, through GCC's vector extensions:
 * SSE2 on x86-64, plain C elsewhere, the same results either way (the
 * operations are element-wise IEEE arithmetic, in the same order). */
#ifndef LATHE_SIMD_H
#define LATHE_SIMD_H

#include <string.h>

/* Four floats: four frames of one channel, or two stereo frames. */
typedef float LatheV4f __attribute__((vector_size(16)));
/* Lane masks and shuffle indices for LatheV4f. */
typedef int LatheV4i __attribute__((vector_size(16)));
/* Two doubles: one filter section's left and right (or mid and side). */
typedef double LatheV2d __attribute__((vector_size(16)));
/* Lane masks and shuffle indices for LatheV2d; also two 64-bit integers. */
typedef long long LatheV2i __attribute__((vector_size(16)));

/* Unaligned load and store (memcpy compiles to one movups). */
static inline LatheV4f lathe_v4f_load(const float *p)
{
	LatheV4f v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void lathe_v4f_store(float *p, LatheV4f v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
