/* lathe — the compare engine: two live chains, aligned sources, the print
 * and monitor outputs, loudness match and the meter taps. One call per
 * block does all of it; the JACK host calls it from its process callback,
 * the tests and offline tools from their own loop.
 *
 *  in ──┬─► chain A ─► delay (D - latency A) ─┬─► print switch ─► out (print)
 *       ├─► chain B ─► delay (D - latency B) ─┤
 *       └─► delay (D) "input" ────────────────┤
 *  ref ───────────────────────────────────────┴─► monitor section ─► mon
 *
 * D is the larger chain latency, so A, B and the input arrive together and
 * a switch between them never shifts time. The print output carries only
 * the selected chain; everything else happens on the monitor output.
 *
 * Threads. lathe_engine_new/free/maintain run off the audio thread. Every
 * other function is real-time safe and belongs to the thread that calls
 * lathe_engine_process (the audio thread in the JACK host). The meter ring
 * is the way out: the engine writes, one other thread reads (see meters.h).
 */
#ifndef LATHE_ENGINE_H
#define LATHE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "ring.h"
#include "settings.h"

typedef struct LatheEngine LatheEngine;

/* The metered signals, each stereo: the aligned input, the aligned outputs
 * of A and B, the reference and the monitor output. */
typedef enum {
	LATHE_TAP_INPUT,
	LATHE_TAP_A,
	LATHE_TAP_B,
	LATHE_TAP_REFERENCE,
	LATHE_TAP_MONITOR,
	LATHE_TAP_COUNT
} LatheTap;

/* What the audio thread reports besides audio. */
typedef struct {
	/* Gain reduction in dB (>= 0) of every dynamics module of both chains,
	 * the highest since the previous report; gr_count values per module
	 * (0 for modules without gain reduction or switched off). */
	float gain_reduction[2][LATHE_MODULE_COUNT][LATHE_MAX_GR];
	uint8_t gr_count[2][LATHE_MODULE_COUNT];
	/* Loudness-match gain in dB applied to each source (LatheSource) on the
	 * monitor when match is on; kept up to date while it is off. */
	float match_offset[LATHE_SOURCE_COUNT];
	uint32_t latency;       /* samples from input to print and monitor output */
	uint32_t dropped;       /* meter records lost to a full ring, ever */
	uint8_t chain, source;  /* LatheChainId and LatheSource in effect */
} LatheEngineStatus;

/* A meter record in the ring: this header, then `frames` frames of every
 * tap in LatheTap order, each tap interleaved stereo (L R L R ...). */
typedef struct {
	uint32_t frames;
	LatheEngineStatus status;
} LatheMeterRecord;

/* Most frames in one meter record; records are written every 10 ms. */
#define LATHE_METER_RECORD_FRAMES 2048

/* Non-RT. An engine at the rate: both chains at their defaults (transparent),
 * the console controls at theirs, a meter ring holding about a second.
 * NULL when out of memory. */
LatheEngine *lathe_engine_new(double rate);
/* Non-RT. NULL-safe. */
void lathe_engine_free(LatheEngine *engine);

/* RT-safe. Set a chain parameter (registry id below LATHE_CHAIN_PARAM_COUNT)
 * of chain A or B, validated by the registry. */
void lathe_engine_set_chain(LatheEngine *engine, LatheChainId chain, int id, float value);
/* RT-safe. A new module order for one chain (see lathe_chain_set_order). */
bool lathe_engine_set_order(LatheEngine *engine, LatheChainId chain,
			    const LatheModuleId order[LATHE_MODULE_COUNT]);
/* RT-safe. Every parameter and the order of one chain (glides as usual). */
void lathe_engine_apply(LatheEngine *engine, LatheChainId chain, const LatheSettings *settings);
/* RT-safe. Set a console control (LatheConsoleParam); out-of-range values
 * are clamped and NaN ignored, as the registry does. Choosing a source
 * never moves the print; selecting the other chain while the monitor plays
 * the selected one takes the monitor along (the A/B toggle is heard). */
void lathe_engine_set_console(LatheEngine *engine, int param, float value);
/* RT-safe. The value a chain parameter is set to (gliding to) in a chain. */
float lathe_engine_chain_value(const LatheEngine *engine, LatheChainId chain, int id);
/* RT-safe. The value a console control is set to. */
float lathe_engine_console(const LatheEngine *engine, int param);
/* RT-safe. Finish every glide and fade at once and clear all signal state
 * (chains, delays, match, meters' staging): a fresh start at the current
 * settings, for offline use. */
void lathe_engine_snap(LatheEngine *engine);

/* Non-RT, on the thread that owns the canonical settings: see
 * lathe_chain_maintain. Call after changing a chain's settings. */
void lathe_engine_maintain(LatheEngine *engine, LatheChainId chain, const float *values);

/* RT-safe. Process n frames (any n >= 0): in and ref are the program and
 * reference inputs, out the print output, mon the monitor output. Inputs
 * and outputs may not overlap. Non-finite input samples count as silence. */
void lathe_engine_process(LatheEngine *engine, const float *in_l, const float *in_r,
			  const float *ref_l, const float *ref_r, float *out_l, float *out_r,
			  float *mon_l, float *mon_r, int n);

/* RT-safe. Samples from input to print and monitor output: the larger of
 * the two chains' latencies (the value JACK is told). */
int lathe_engine_latency(const LatheEngine *engine);

/* RT-safe. The status as it stands (gain reduction of the last block). */
void lathe_engine_status(const LatheEngine *engine, LatheEngineStatus *status);

/* The ring of LatheMeterRecord the engine writes meter data to. Read it from
 * one thread only (lathe_meters_poll does). */
LatheRing *lathe_engine_meter_ring(LatheEngine *engine);

#endif
