/* lathe — line-up oscillator: sine, pink noise and a logarithmic sweep,
 * for calibrating outboard gear and checking a signal path.
 *
 * Pure DSP: a value type with no allocation, no JACK, no GLib.
 *
 * Output: both channels carry the identical signal (mono line-up,
 * correlation 1, L and R bit-identical).
 *
 * Level (AES17): a sine whose peak reaches full scale is 0 dBFS, so the
 * sine's amplitude is 10^(level/20). Pink noise has the RMS of that sine
 * (amplitude / sqrt(2)): -18 dBFS pink measures -21.0 dB RMS re full
 * scale, the same RMS as the -18 dBFS sine. Its peaks reach about 14 dB
 * above its RMS (11 dB above the level), so pink set above about
 * -11 dBFS goes over full scale; it is not clipped here. The sweep is a
 * sine of the sine's amplitude.
 *
 * Sine: exactly the frequency asked; phase is accumulated in double cycles
 * within [0, 1), so it stays exact for hours (after 10 minutes at 48 kHz
 * it is off by less than 1e-8 of a cycle), and a frequency change
 * continues the waveform from the current phase.
 *
 * Pink noise: -3 dB per octave up to 0.45 x rate (designed within
 * 0.08 dB of it from 40 Hz up, at 44.1 to 192 kHz; -0.26 dB at 20 Hz),
 * mean zero (a 10 Hz high-pass keeps DC and sub-sonics out),
 * deterministic: reset() restarts the same sequence.
 *
 * Sweep: exponential (equal time per octave) from 20 Hz to 20 kHz, or to
 * 0.45 x rate (top) if that is lower, then again from 20 Hz. A sweep is
 * N = round(sweep_seconds x rate) samples; sample n of it is at
 * f(n) = 20 Hz x (top / 20 Hz)^(n / N), and the phase advances by
 * f(n) / rate to the next sample, running on through the restart, so the
 * waveform has no jump. Entering sweep mode starts at 20 Hz; a new sweep
 * time keeps the sweep at the same frequency.
 *
 * Changes are click-free: a level change glides linearly (in amplitude)
 * over LATHE_FADE_MS; a mode change is a dip: the old signal fades out
 * over LATHE_FADE_MS, then the new one fades in over LATHE_FADE_MS
 * (linear gains; the two never overlap, the sample between is 0). Off is
 * a mode like the others (only a fade out, or only a fade in). A
 * frequency change needs no fade.
 *
 * Threads: every function may be called from any one thread that owns the
 * object (typically the audio thread); calls must not overlap. All are
 * real-time safe (no allocation, no locks, bounded time); init() does a
 * little design work (about 0.1 ms), the others are cheap.
 */
#ifndef LATHE_OSCILLATOR_H
#define LATHE_OSCILLATOR_H

#include <stdint.h>

#include "biquad.h"
#include "dsp.h"

typedef enum { LATHE_OSC_OFF, LATHE_OSC_SINE, LATHE_OSC_PINK, LATHE_OSC_SWEEP } LatheOscMode;

/* Pink-noise filter sections at most: a rate of 768 kHz needs 15. */
#define LATHE_OSC_PINK_MAX 20

typedef struct {
	double rate;
	/* Settings, as last set (validated). */
	LatheOscMode mode;
	float frequency, level_db, sweep_seconds;
	/* What is sounding: `playing` fades by `fade` (0..1) and is replaced
	 * by `mode` once `fade` has reached 0. `amp` is the peak amplitude. */
	LatheOscMode playing;
	LatheRamp fade, amp;
	double phase;       /* cycles, in [0, 1) */
	double inc;         /* sine: cycles per sample */
	int sweep_n;        /* sample within the sweep, 0 .. sweep_len - 1 */
	int sweep_len;      /* samples per sweep: sweep_seconds x rate */
	double sweep_lo;    /* 20 Hz in cycles per sample */
	double sweep_octs;  /* ln(top / 20 Hz) */
	/* Pink: white noise through first-order pole-zero sections, a
	 * high-pass and a gain; see oscillator.c. */
	int pink_n;
	double pink_pole[LATHE_OSC_PINK_MAX], pink_zero[LATHE_OSC_PINK_MAX];
	double pink_s[LATHE_OSC_PINK_MAX + 1]; /* last input of each section, last output */
	LatheBiquad pink_hp;
	LatheBiquadState pink_hp_state;
	double pink_norm; /* gain to the RMS of a unit-peak sine, 1 / sqrt(2) */
	uint32_t seed;
} LatheOscillator;

/* Silent (mode off), sine 1 kHz at -18 dBFS, sweep 10 s, at `rate` Hz
 * (rate > 0). */
void lathe_oscillator_init(LatheOscillator *o, double rate);

/* Settings: frequency of the sine in Hz (20 .. 20000, and at most 0.45 x
 * rate), level in dBFS (-60 .. 0), sweep time in seconds (1 .. 60).
 * Values outside are clamped; a NaN keeps that setting as it was, and so
 * does a mode outside the enum. Takes effect from the next sample. */
void lathe_oscillator_set(LatheOscillator *o, LatheOscMode mode, float frequency, float level_db,
			  float sweep_seconds);

/* Write n frames (n >= 0) to l and r (overwritten; exact zeros when off).
 * The output depends only on the samples and the set() calls between
 * them, not on how the frames are split into calls. */
void lathe_oscillator_process(LatheOscillator *o, float *l, float *r, int n);

/* Back to rest at the current settings: phase 0, sweep at 20 Hz, fades
 * and glides finished, noise restarted from its seed. For offline use and
 * tests: output after reset() is repeatable. */
void lathe_oscillator_reset(LatheOscillator *o);

#endif
