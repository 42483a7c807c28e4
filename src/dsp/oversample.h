/* lathe — linear-phase oversampling by 2, 4 or 8 with cascaded half-band
 * FIR stages (polyphase), for nonlinear processing that must not alias
 * (saturation) and for inter-sample peak detection.
 *
 * Design, done once in lathe_oversampler_new() for the given rate: every
 * stage is a half-band of 4m + 3 taps (every other tap is zero except the
 * centre, 0.5). All stages protect the same audio band, 0..20 kHz: stage k
 * runs at 2^k times the base rate R_k and must reject R_k / 2 - 20 kHz ..
 * R_k / 2 (the images, and on the way down the part that would fold onto
 * 0..20 kHz). The shortest length with at least
 * LATHE_OVERSAMPLE_STAGE1_DB (stage 1) or LATHE_OVERSAMPLE_STAGEN_DB
 * (later stages) in that stopband is searched for, and measured, so the
 * attenuation holds at every rate. Stage 1 is Kaiser-windowed: its
 * sidelobes fall away from the band edge, which keeps its images (just
 * above the band) well below the limit, and that matters once a
 * nonlinearity mixes them back into the band. Later stages, whose images
 * lie far above the band, are equiripple (Remez exchange), which meets
 * the same limit with far fewer taps across their wide transitions (at
 * 48 kHz 19 and 11 taps instead of 23 and 19). The pass band ripple of a
 * half-band equals its stopband ripple (3e-5 at 90 dB: +-0.0003 dB).
 *
 * Latency: an up stage delays by 2m + 1 samples of its high rate, a down
 * stage by 2m + 1 or 2m, depending on which input of each pair feeds its
 * FIR phase. That choice is made per stage so that the round trip
 * (up then down) is a whole number of base-rate samples at every factor,
 * without any extra delay line.
 *
 * Channels: an object is mono (channels 1: up() and down()) or stereo
 * (channels 2: up2() and down2(), both channels at once, interleaved, so
 * that one 4-wide vector holds two frames of both). Both run the same
 * code, and each channel of a stereo object gets exactly (bit for bit)
 * what a mono object would give it.
 *
 * Threads: _new and _free allocate (not real-time); everything else is
 * real-time safe.
 */
#ifndef LATHE_OVERSAMPLE_H
#define LATHE_OVERSAMPLE_H

/* Most base-rate samples per call of up() or down(). */
#define LATHE_OVERSAMPLE_MAX_BLOCK 32

/* Stopband of the first stage, the one with the narrow transition (20 kHz
 * to 24.1 kHz at 44.1 kHz): 90 dB puts images and aliases of a full-scale
 * signal below the 16-bit floor (-96 dBFS with the signal's own level
 * below 0 dBFS). Later stages have wide transitions and are cheap; they
 * get the same 90 dB (equiripple designs there usually exceed it). */
#define LATHE_OVERSAMPLE_STAGE1_DB 90.0
#define LATHE_OVERSAMPLE_STAGEN_DB 90.0

/* Top of the protected audio band (Hz): flat to here, aliases kept out of
 * 0..here. */
#define LATHE_OVERSAMPLE_PASS_HZ 20000.0

typedef struct LatheOversampler LatheOversampler;

/* factor 2, 4 or 8; rate 44.1 to 192 kHz; channels 1 or 2. NULL on
 * failure (out of memory or bad arguments). State starts cleared. */
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

/* Mono objects. in[0..n-1] at the base rate to out[0..n*factor-1];
 * 1 <= n <= LATHE_OVERSAMPLE_MAX_BLOCK. Gain 1 in the pass band. in and
 * out must not overlap. Input must be finite. ch must be 0 (a stereo
 * object leaves out untouched). */
void lathe_oversampler_up(LatheOversampler *os, int ch, const float *in, float *out, int n);
/* in[0..n*factor-1] at the high rate to out[0..n-1]. */
void lathe_oversampler_down(LatheOversampler *os, int ch, const float *in, float *out, int n);

/* Stereo objects, interleaved: in[2 i + ch], i < n, to out[2 j + ch],
 * j < n * factor (and back for down2), same limits as above. */
void lathe_oversampler_up2(LatheOversampler *os, const float *in, float *out, int n);
void lathe_oversampler_down2(LatheOversampler *os, const float *in, float *out, int n);

/* Stereo round trip with the caller's processing at the top rate, without
 * interleaving the top-rate signal only to split it again: up2_top() runs
 * the up stages and leaves the top rate in the object as its two phases,
 * top[0] the frames 2i and top[1] the frames 2i + 1, each interleaved by
 * channel (top[h][2i + ch]): n * factor floats each, whose float k belongs
 * to base frame k / factor. The caller may change them in place, sample
 * by sample (they have slack to round their length up to a multiple of 4,
 * which may be processed too), then down2_top() runs the down stages to
 * out[0..2n-1]. The same result, bit for bit, as up2(), the same
 * processing, then down2(). */
void lathe_oversampler_up2_top(LatheOversampler *os, const float *in, int n, float *top[2]);
void lathe_oversampler_down2_top(LatheOversampler *os, float *out, int n);

#endif
