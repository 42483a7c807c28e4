/* lathe — the mastering chain: the nine modules in a user-chosen order,
 * parameter glides, click-free enables, and exact latency accounting.
 *
 * The chain is host-independent: the JACK host, the A/B engine and
 * `lathe render` all drive it the same way.
 *
 * Threads. lathe_chain_new/free/maintain run off the audio thread. Every
 * other function is real-time safe (no allocation, locks, I/O or syscalls)
 * and belongs to the thread that calls lathe_chain_process: in the JACK host
 * that is the audio thread, fed by a ring of parameter messages; offline it
 * is the one thread of `lathe render`.
 */
#ifndef LATHE_CHAIN_H
#define LATHE_CHAIN_H

#include <stdbool.h>

#include "settings.h"

typedef struct LatheChain LatheChain;

/* Non-RT. A chain at the rate, every parameter at its default, every module
 * off (so the chain is transparent). NULL when out of memory. */
LatheChain *lathe_chain_new(double rate);
/* Non-RT. NULL-safe. */
void lathe_chain_free(LatheChain *chain);

/* RT-safe. Set one parameter (registry id) to a value already validated by
 * the registry (lathe_param_validate). Continuous values glide over the
 * registry's smoothing time; an enable crossfades the module in or out. */
void lathe_chain_set(LatheChain *chain, int id, float value);
/* RT-safe. The value a parameter is gliding to (or sits at). */
float lathe_chain_get(const LatheChain *chain, int id);

/* RT-safe. A new module order (a valid permutation, else false and nothing
 * changes). The output fades to silence (10 ms), stays silent while the
 * modules refill with the reordered signal (the chain latency plus 10 ms),
 * and fades back: a short gap, never a click. */
bool lathe_chain_set_order(LatheChain *chain, const LatheModuleId order[LATHE_MODULE_COUNT]);

/* RT-safe. Set every parameter and the order (glides as lathe_chain_set). */
void lathe_chain_apply(LatheChain *chain, const LatheSettings *settings);
/* RT-safe. Finish every glide and fade at once and clear all signal state:
 * the chain starts from rest at its current targets. Used before a render. */
void lathe_chain_snap(LatheChain *chain);

/* Non-RT, on the thread that owns the canonical settings: design work that
 * the audio thread must not do (linear-phase EQ kernels), from the canonical
 * values (indexed by registry id). Cheap when nothing changed; call it after
 * every change and before processing starts. */
void lathe_chain_maintain(LatheChain *chain, const float *values);

/* RT-safe. Process n frames (any n >= 0). Input and output may be the same
 * buffers. Non-finite input samples are treated as silence. */
void lathe_chain_process(LatheChain *chain, const float *in_l, const float *in_r,
			 float *out_l, float *out_r, int n);

/* RT-safe. Samples between input and output: the sum of the modules'
 * latencies, whether they are on or off (a module switched off is replaced
 * by a delay of its latency, so switching never shifts time). */
int lathe_chain_latency(const LatheChain *chain);

/* RT-safe. Gain reduction of a module in dB (see LatheModuleClass); returns
 * the count written to gr[0..LATHE_MAX_GR-1], 0 for modules without it or off. */
int lathe_chain_gain_reduction(const LatheChain *chain, LatheModuleId module, float *gr);

#endif
