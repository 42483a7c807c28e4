/* lathe — the console's meters: one LatheMeter per engine tap, fed from
 * the engine's meter ring, and the latest engine status (gain reduction,
 * match offsets, latency).
 *
 * Threads. Everything here runs on the one thread that reads the ring (the
 * main loop); never on the audio thread.
 */
#ifndef LATHE_METERS_H
#define LATHE_METERS_H

#include "engine.h"
#include "meter.h"

typedef struct {
	LatheMeter *tap[LATHE_TAP_COUNT];
	/* Every tap read once per poll that brought audio (a read takes the
	 * peaks since the last, so there is one reader, and everyone uses its
	 * readings): serial counts them. A consumer that wants every peak keeps
	 * its own maximum over the readings it has not seen. */
	LatheMeterReading reading[LATHE_TAP_COUNT];
	unsigned long serial;
	LatheEngineStatus status; /* from the newest record read */
	unsigned long records;    /* records read, ever */
	float *buffer;            /* one record */
	size_t buffer_size;
} LatheMeters;

/* Non-RT. Meters for every tap at the rate, with spectra of the input and
 * both chains if asked (the GTK console; headless has no use for them, and
 * they are most of the cost).
 * NULL when out of memory. */
LatheMeters *lathe_meters_new(double rate, bool spectrum);
/* NULL-safe. */
void lathe_meters_free(LatheMeters *meters);

/* Read the records that are in the ring now (not those that arrive while
 * this runs, so a busy engine cannot keep it looping), feed the taps, and
 * if any came, take a reading of every tap (serial + 1). Returns the
 * number of records read. */
int lathe_meters_poll(LatheMeters *meters, LatheRing *ring);

/* Start integrated loudness, LRA and the maxima of every tap afresh. */
void lathe_meters_reset(LatheMeters *meters);

#endif
