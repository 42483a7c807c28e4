/* lathe — the console's meters (see meters.h). */
#include "meters.h"

#include <stdlib.h>

LatheMeters *lathe_meters_new(double rate, bool spectrum)
{
	LatheMeters *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	/* The largest record the engine writes. */
	m->buffer_size = sizeof(LatheMeterRecord) +
		sizeof(float) * 2 * LATHE_TAP_COUNT * LATHE_METER_RECORD_FRAMES;
	bool ok = (m->buffer = malloc(m->buffer_size)) != NULL;
	for (int t = 0; t < LATHE_TAP_COUNT; t++)
		/* Spectra of what the console window shows: the input and the
		 * chains (not the reference or the monitor): each costs an FFT. */
		ok = ok && (m->tap[t] = lathe_meter_new(rate, 2, spectrum && (t == LATHE_TAP_INPUT ||
									       t == LATHE_TAP_A ||
									       t == LATHE_TAP_B)));
	if (!ok) {
		lathe_meters_free(m);
		return NULL;
	}
	return m;
}

void lathe_meters_free(LatheMeters *m)
{
	if (!m)
		return;
	for (int t = 0; t < LATHE_TAP_COUNT; t++)
		lathe_meter_free(m->tap[t]);
	free(m->buffer);
	free(m);
}

int lathe_meters_poll(LatheMeters *m, LatheRing *ring)
{
	size_t left = lathe_ring_read_space(ring);
	int count = 0;
	LatheMeterRecord head;
	while (left >= sizeof(head) && lathe_ring_peek(ring, &head, sizeof(head))) {
		size_t size = sizeof(head) + sizeof(float) * 2 * LATHE_TAP_COUNT * head.frames;
		/* The engine writes records whole: a shorter remainder is a bug,
		 * and a record larger than ours cannot come from this engine. */
		if (size > left || size > m->buffer_size || !lathe_ring_read(ring, m->buffer, size))
			break;
		left -= size;
		const LatheMeterRecord *r = (const LatheMeterRecord *)m->buffer;
		const float *taps = (const float *)(r + 1);
		for (int t = 0; t < LATHE_TAP_COUNT; t++)
			lathe_meter_feed(m->tap[t], taps + (size_t)2 * t * r->frames, r->frames);
		m->status = r->status;
		count++;
	}
	m->records += (unsigned long)count;
	if (count) {
		for (int t = 0; t < LATHE_TAP_COUNT; t++)
			lathe_meter_read(m->tap[t], &m->reading[t]);
		m->serial++;
	}
	return count;
}

void lathe_meters_reset(LatheMeters *m)
{
	for (int t = 0; t < LATHE_TAP_COUNT; t++)
		lathe_meter_reset(m->tap[t]);
}
