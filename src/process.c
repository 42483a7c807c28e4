/* lathe — the process thread's work and its set-up (see process.h). */
#include "process.h"

#include <stdlib.h>
#include <string.h>

/* Room for a session load twice over (both chains' values, one command
 * each, plus the console) with the ring never near full in normal use. */
#define COMMAND_RING_BYTES (sizeof(LatheCommand) * 2048)
/* Every SETTINGS command the command ring can hold, handed back at once. */
#define RETURN_RING_BYTES (sizeof(LatheSettings *) * 2048)

LatheProcess *lathe_process_new(double rate)
{
	LatheProcess *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->engine = lathe_engine_new(rate);
	p->commands = lathe_ring_new(COMMAND_RING_BYTES);
	p->returns = lathe_ring_new(RETURN_RING_BYTES);
	if (!p->engine || !p->commands || !p->returns) {
		lathe_process_free(p);
		return NULL;
	}
	atomic_init(&p->latency, lathe_engine_latency(p->engine));
	return p;
}

void lathe_process_free(LatheProcess *p)
{
	if (!p)
		return;
	if (p->commands) {
		LatheCommand c;
		while (lathe_ring_read(p->commands, &c, sizeof(c)))
			if (c.kind == LATHE_COMMAND_SETTINGS)
				free(c.settings);
	}
	if (p->returns)
		lathe_process_collect(p);
	lathe_ring_free(p->commands);
	lathe_ring_free(p->returns);
	lathe_engine_free(p->engine);
	free(p);
}

bool lathe_process_send(LatheProcess *p, const LatheCommand *command)
{
	return lathe_ring_write(p->commands, command, sizeof(*command));
}

void lathe_process_collect(LatheProcess *p)
{
	LatheSettings *s;
	while (lathe_ring_read(p->returns, &s, sizeof(s)))
		free(s);
}

/* One command, applied to the engine. */
static void apply(LatheProcess *p, const LatheCommand *c)
{
	LatheChainId chain = c->chain ? LATHE_CHAIN_B : LATHE_CHAIN_A;
	switch ((LatheCommandKind)c->kind) {
	case LATHE_COMMAND_CHAIN:
		lathe_engine_set_chain(p->engine, chain, c->id, c->value);
		break;
	case LATHE_COMMAND_CONSOLE:
		lathe_engine_set_console(p->engine, c->id, c->value);
		break;
	case LATHE_COMMAND_ORDER: {
		LatheModuleId order[LATHE_MODULE_COUNT];
		for (int i = 0; i < LATHE_MODULE_COUNT; i++)
			order[i] = (LatheModuleId)c->order[i];
		lathe_engine_set_order(p->engine, chain, order);
		break;
	}
	case LATHE_COMMAND_SETTINGS:
		lathe_engine_apply(p->engine, chain, c->settings);
		/* Checked before the command was taken, so this cannot fail. */
		lathe_ring_write(p->returns, &c->settings, sizeof(c->settings));
		break;
	}
}

void lathe_process_run(LatheProcess *p, float *const bufs[LATHE_PORT_COUNT], int frames)
{
	/* Only what was queued when the cycle began, and at most DRAIN_MAX of
	 * work: the rest waits for the next cycle. */
	size_t queued = lathe_ring_read_space(p->commands) / sizeof(LatheCommand);
	unsigned applied = 0;
	int budget = LATHE_PROCESS_DRAIN_MAX;
	for (size_t i = 0; i < queued && budget > 0; i++) {
		LatheCommand c;
		if (!lathe_ring_peek(p->commands, &c, sizeof(c)))
			break;
		if (c.kind == LATHE_COMMAND_SETTINGS) {
			/* An object is taken only if it can be handed back. */
			if (lathe_ring_write_space(p->returns) < sizeof(c.settings))
				break;
			budget -= LATHE_PROCESS_SETTINGS_COST;
		} else {
			budget--;
		}
		apply(p, &c);
		lathe_ring_skip(p->commands, sizeof(c));
		applied++;
	}

	/* The inputs are copied first: JACK may hand an input the very buffer
	 * of an output it is connected from (our own, in a feedback patch), and
	 * the engine's inputs and outputs must not overlap. */
	for (int done = 0; done < frames;) {
		int n = frames - done < LATHE_PROCESS_CHUNK ? frames - done : LATHE_PROCESS_CHUNK;
		for (int port = 0; port < LATHE_PORT_OUT_L; port++)
			memcpy(p->scratch[port], bufs[port] + done, sizeof(float) * (size_t)n);
		lathe_engine_process(p->engine, p->scratch[LATHE_PORT_IN_L], p->scratch[LATHE_PORT_IN_R],
				     p->scratch[LATHE_PORT_REF_L], p->scratch[LATHE_PORT_REF_R],
				     bufs[LATHE_PORT_OUT_L] + done, bufs[LATHE_PORT_OUT_R] + done,
				     bufs[LATHE_PORT_MON_L] + done, bufs[LATHE_PORT_MON_R] + done, n);
		done += n;
	}

	atomic_store_explicit(&p->latency, lathe_engine_latency(p->engine), memory_order_relaxed);
	atomic_fetch_add_explicit(&p->commands_applied, applied, memory_order_relaxed);
}
