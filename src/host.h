/* lathe — the JACK host: the console as a JACK client, run from the GLib
 * main loop.
 *
 * The host opens the client and its ports (in_L in_R ref_L ref_R out_L
 * out_R mon_L mon_R), runs the engine in the process callback (through
 * process.h, nothing else), reports the engine's latency on the ports, and
 * lives through what a server does: period changes (nothing to do: the
 * engine takes any period), xruns (counted), and the server going away.
 * Then it keeps the state, closes what is left of the client, tries again
 * every second, and when a server is back (at any rate: a new engine is
 * built for it) restores the port connections it had.
 *
 * Connections. The host remembers the connections of its ports: those of
 * the session ("connect" lines, --connect; taken when the state says
 * connections_loaded), and those anyone makes while it runs. A connection
 * whose peer port disappears (the peer client quit, or the server went) is
 * kept and made again when the peer port is back; one undone while both
 * ports exist is forgotten. The session's list is kept equal to them.
 *
 * Threads. Every function here runs on the main loop. JACK's callbacks set
 * atomic flags that the main loop's tick (every 50 ms) acts on, except the
 * latency callback, which answers JACK with the engine's latency.
 */
#ifndef LATHE_HOST_H
#define LATHE_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "meters.h"
#include "state.h"

typedef struct LatheHost LatheHost;

typedef struct {
	bool connected;       /* a client is open and active */
	char client[64];      /* its name (JACK may have made it unique) */
	char server[64];      /* the server's name as asked for ("" default) */
	uint32_t rate;
	uint32_t period;      /* frames */
	int latency;          /* samples, as reported on the ports */
	float dsp_load;       /* percent, JACK's figure */
	unsigned xruns;       /* since the console started */
	bool memory_locked;
} LatheHostStatus;

/* Non-RT. A host for the state; it connects at once if a server runs, and
 * keeps trying every second if not. client_name NULL: "lathe"; server_name
 * NULL: $JACK_DEFAULT_SERVER or the default; spectrum: whether the meters
 * compute spectra (see lathe_meters_new). Messages (connected, server
 * gone, latency) go to stderr with the prefix "lathe: ". Adds its sources
 * to the default GLib main context. NULL when out of memory. */
LatheHost *lathe_host_new(LatheState *state, const char *client_name, const char *server_name,
			  bool spectrum);
/* Close the client and remove the main-loop sources. NULL-safe. */
void lathe_host_free(LatheHost *host);

void lathe_host_status(LatheHost *host, LatheHostStatus *status);

/* The meters fed by the engine (read on every tick), or NULL while no
 * engine runs. Rebuilt when the rate changes. */
LatheMeters *lathe_host_meters(LatheHost *host);

#endif
