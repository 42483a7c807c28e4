/* lathe — the OSC server: every control over OSC, with feedback to the
 * surfaces that register (the protocol: osc/README.md).
 *
 * One client of the canonical state, like the headless command line and the
 * GTK console: it changes the state, syncs it once per burst of messages,
 * and sends every change it sees (from anywhere) to the registered
 * surfaces. It never touches the audio thread.
 *
 * Threads. The main loop only: the socket is read from a GLib source on the
 * default main context, at most a bounded number of packets per turn.
 */
#ifndef LATHE_OSC_H
#define LATHE_OSC_H

#include <stdbool.h>
#include <stddef.h>

#include "host.h"
#include "state.h"

#define LATHE_OSC_DEFAULT_PORT 7770
#define LATHE_OSC_ALLOW_MAX 16

typedef struct {
	int port;                                /* UDP; 0: no server */
	const char *allow[LATHE_OSC_ALLOW_MAX];  /* networks obeyed besides loopback */
	int allow_count;
	double expiry_s;                         /* a silent surface goes; 0: never */
	bool auto_register;                      /* any allowed sender becomes a surface */
	bool advertise;                          /* Zeroconf _osc._udp */
} LatheOscConfig;

/* The defaults: port 7770, loopback only, 60 s expiry, explicit
 * registration, advertised. */
void lathe_osc_config_default(LatheOscConfig *config);

typedef struct LatheOsc LatheOsc;

/* Non-RT. A server on config->port for the state; host gives the meters
 * (may be NULL: no meters, no loudness reset). NULL with err (the port is
 * taken, a network is not a CIDR) on failure. */
LatheOsc *lathe_osc_new(LatheState *state, LatheHost *host, const LatheOscConfig *config,
			char *err, size_t err_size);
/* NULL-safe. */
void lathe_osc_free(LatheOsc *osc);

typedef struct {
	int port;
	int surfaces;            /* registered now */
	unsigned long messages;  /* obeyed or answered */
	unsigned long refused;   /* packets from senders not allowed */
	unsigned long dropped;   /* garbage, oversize, or over a sender's reply budget */
	unsigned long errors;    /* /lathe/error replies owed (sent or not) */
} LatheOscStatus;

void lathe_osc_status(const LatheOsc *osc, LatheOscStatus *status);

#endif
