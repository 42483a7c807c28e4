/* lathe — everything the JACK process thread touches, in one struct, and
 * the messages that reach it.
 *
 *   main loop ──► command ring (LatheCommand) ──► process thread
 *   main loop ◄── return ring (LatheSettings *) ◄─┘  (objects to free)
 *   main loop ◄── meter ring (engine.h) ◄─────────┘
 *
 * The main loop owns the canonical state and is the only writer of the
 * command ring. Small changes (one value, an order) travel by value. A whole
 * chain (a session load, a snapshot recall, a copy A→B) travels as one
 * LatheSettings built on the main loop, handed over by pointer so that it
 * takes effect in one cycle, and handed back through the return ring to be
 * freed on the main loop: the process thread never allocates or frees.
 *
 * Threads. lathe_process_new/free, lathe_process_send, lathe_process_collect:
 * the main loop. lathe_process_run: the process thread (real-time safe). The
 * counters are atomics any thread may read.
 */
#ifndef LATHE_PROCESS_H
#define LATHE_PROCESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "ring.h"

typedef enum {
	LATHE_COMMAND_CHAIN,    /* chain, id, value: one chain parameter */
	LATHE_COMMAND_CONSOLE,  /* id (LatheConsoleParam), value */
	LATHE_COMMAND_ORDER,    /* chain, order */
	LATHE_COMMAND_SETTINGS, /* chain, settings: every value and the order */
} LatheCommandKind;

/* A fixed-size message: written whole or not at all. */
typedef struct {
	uint8_t kind;  /* LatheCommandKind */
	uint8_t chain; /* LatheChainId */
	uint16_t id;
	float value;
	uint8_t order[LATHE_MODULE_COUNT];
	LatheSettings *settings; /* owned by the process thread until returned */
} LatheCommand;

/* The work applied per cycle, in setter calls: a flood from the main loop
 * spreads over cycles instead of lengthening one. A value costs 1; a whole
 * chain (LATHE_COMMAND_SETTINGS) costs LATHE_PROCESS_SETTINGS_COST, so at
 * most 4 go in one cycle (about 2 µs each). */
#define LATHE_PROCESS_DRAIN_MAX 256
#define LATHE_PROCESS_SETTINGS_COST 64

/* Frames the inputs are copied in at a time (any period works). */
#define LATHE_PROCESS_CHUNK 256

typedef struct LatheProcess {
	LatheEngine *engine;
	LatheRing *commands; /* LatheCommand, main loop → process thread */
	LatheRing *returns;  /* LatheSettings *, process thread → main loop */
	float scratch[LATHE_PORT_OUT_L][LATHE_PROCESS_CHUNK]; /* the inputs' copy (in_L..ref_R) */

	/* Written by the process thread, read anywhere. */
	atomic_int latency;        /* the engine's latency after the last cycle */
	atomic_uint commands_applied;
} LatheProcess;

/* Non-RT. An engine at the rate with the rings. NULL when out of memory. */
LatheProcess *lathe_process_new(double rate);
/* Non-RT, when the process thread no longer runs (client deactivated or
 * closed). Frees settings still in either ring. NULL-safe. */
void lathe_process_free(LatheProcess *p);

/* Main loop. Queue one command; false if the ring is full (the process
 * thread has stalled or stopped): nothing is queued, and a SETTINGS
 * command's object stays the caller's. */
bool lathe_process_send(LatheProcess *p, const LatheCommand *command);
/* Main loop. Free what the process thread handed back. */
void lathe_process_collect(LatheProcess *p);

/* RT-safe: the process callback's work. Apply the commands that were queued
 * when the cycle began (up to LATHE_PROCESS_DRAIN_MAX of work), then run
 * the engine on the port buffers (the host has fetched them into bufs). */
void lathe_process_run(LatheProcess *p, float *const bufs[LATHE_PORT_COUNT], int frames);

#endif
