/* lathe — linear-phase oversampling by 2, 4 or 8 with cascaded half-band
 * FIR stages (polyphase), for nonlinear processing that must not alias
 * (saturation) and for inter-sample peak detection.
 *
 * Design, done once in lathe_oversampler_new() for the given rate: every
 * stage is a Kaiser-windowed half-band of 4m + 3 taps (every other tap is
 * zero except the centre, 0.5). All stages protect the same audio band,
 * 0..20 kHz: stage k runs at 2^k times the base rate R_k and must reject
 * R_k / 2 - 20 kHz .. R_k / 2 (the images, and on the way down the part
 * that would fold onto 0..20 kHz). The shortest length with at least
 * LATHE_OVERSAMPLE_STAGE1_DB (stage 1) or LATHE_OVERSAMPLE_STAGEN_DB
 * (later stages, cheap) in that stopband is searched for, so the
 * attenuation holds at every rate; the pass band ripple of a half-band
 * equals its stopband ripple (3e-5 at 90 dB: +-0.0003 dB).
 *
 * Latency: an up stage delays by 2m + 1 samples of its high rate, a down
 * stage by 2m + 1 or 2m, depending on which input of each pair feeds its
 * FIR phase. That choice is made per stage so that the round trip
 * (up then down) is a whole number of base-rate samples at every factor,
 * without any extra delay line.
 *
 * Threads: _new and _free allocate (not real-time); everything else is
 * real-time safe. One object serves `channels` independent channels.
 */
#ifndef LATHE_OVERSAMPLE_H
#define LATHE_OVERSAMPLE_H

/* Most base-rate samples per call of up() or down(). */
#define LATHE_OVERSAMPLE_MAX_BLOCK 32

/* Stopband of the first stage, the one with the narrow transition (20 kHz
 * to 24.1 kHz at 44.1 kHz): 90 dB puts images and aliases of a full-scale
 * signal below the 16-bit floor (-96 dBFS with the signal's own level
 * below 0 dBFS). Later stages have wide transitions: 100 dB costs them one
 * or two taps more. */
#define LATHE_OVERSAMPLE_STAGE1_DB 90.0
#define LATHE_OVERSAMPLE_STAGEN_DB 90.0

/* Top of the protected audio band (Hz): flat to here, aliases kept out of
 * 0..here. */
#define LATHE_OVERSAMPLE_PASS_HZ 20000.0

typedef struct LatheOversampler LatheOversampler;

/* factor 2, 4 or 8; rate 44.1 to 192 kHz; channels >= 1. NULL on failure
 * (out of memory or bad arguments). State starts cleared. */
LatheOversampler *lathe_oversampler_new(double rate, int factor, int channels);
/* NULL-safe. */
void lathe_oversampler_free(LatheOversampler *os);

/* Clear all history (filters restart from silence). */
void lathe_oversampler_reset(LatheOversampler *os);

int lathe_oversampler_factor(const LatheOversampler *os);
/* Round trip up() then down(): a whole number of base-rate samples. */
int lathe_oversampler_latency(const LatheOversampler *os);
/* up() alone, in base-rate samples (fractional). */
double lathe_oversampler_up_latency(const LatheOversampler *os);

/* Number of stages (log2 of factor) and the length of stage k (0 = the
 * first, at twice the base rate), for reports and tests. */
int lathe_oversampler_stages(const LatheOversampler *os);
int lathe_oversampler_stage_taps(const LatheOversampler *os, int k);

/* in[0..n-1] at the base rate to out[0..n*factor-1]; 1 <= n <=
 * LATHE_OVERSAMPLE_MAX_BLOCK. Gain 1 in the pass band. in and out must
 * not overlap. Input must be finite. */
void lathe_oversampler_up(LatheOversampler *os, int ch, const float *in, float *out, int n);
/* in[0..n*factor-1] at the high rate to out[0..n-1]. */
void lathe_oversampler_down(LatheOversampler *os, int ch, const float *in, float *out, int n);

#endif
