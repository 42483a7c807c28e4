/* lathe — the OSC server's insides, shared by osc.c (socket, senders,
 * dispatch) and feedback.c (surfaces, the change diff, meters). Not an
 * interface: nothing outside osc/ includes this.
 */
#ifndef LATHE_OSC_SERVER_H
#define LATHE_OSC_SERVER_H

#include <glib.h>
#include <lo/lo.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "namespace.h"
#include "osc.h"

/* A datagram longer than this is dropped: the longest message we take is a
 * session path (PATH_MAX) with its framing. */
#define OSC_MAX_PACKET 8192
/* Feedback bundles stay under a typical path MTU (1500 minus headers). */
#define OSC_OUTBOX_BYTES 1024
#define OSC_MAX_SURFACES 32
/* Feedback: changes go out at once, but an address at most once per this
 * (40 Hz); the tick that catches up runs every OSC_TICK_MS. */
#define OSC_FEEDBACK_US 25000
#define OSC_TICK_MS 10

typedef struct {
	struct sockaddr_storage addr;
	socklen_t len;
} OscEndpoint;

/* Messages on their way to one endpoint, packed into one bundle. */
typedef struct {
	uint8_t buf[OSC_OUTBOX_BYTES];
	size_t used; /* bytes of bundle elements after the 16-byte header */
	int count;
} OscOutbox;

typedef struct {
	uint32_t id;       /* never reused: origins refer to it */
	OscEndpoint from;  /* where it registered from */
	OscEndpoint reply; /* where its feedback goes */
	gint64 heard;      /* µs, last message */
	int meter_hz;      /* 0: no meters */
	gint64 meter_due;  /* µs */
	float true_peak[2], sample_peak[2]; /* linear, highest since the last bundle */
	OscOutbox out;
} OscSurface;

/* A value fed back: its slot in the shadow (see feedback.c). The last
 * surface that set it, how, and to what: it is not echoed to that surface. */
typedef struct {
	uint32_t surface;
	bool norm;
	float value;
} OscOrigin;

/* The chain values fed back: the selected chain (plain paths), A and B. */
enum { OSC_SCOPES = 3 };
#define OSC_SLOTS (OSC_SCOPES * LATHE_CHAIN_PARAM_COUNT + LATHE_CONSOLE_PARAM_COUNT)

typedef struct {
	bool valid;                 /* false until the first flush */
	float value[OSC_SLOTS];     /* as last fed back */
	LatheModuleId order[OSC_SCOPES][LATHE_MODULE_COUNT];
	bool stored[LATHE_SNAPSHOT_COUNT];
	int active;
	bool dirty;
	char file[4096];
} OscShadow;

struct LatheOsc {
	LatheState *state;
	LatheHost *host;
	LatheOscConfig config;
	LatheCidr allow[LATHE_OSC_ALLOW_MAX];
	int allow_count;
	int fd, port;
	guint read_id, tick_id;
	uint8_t *packet;
	void *parsed; /* the messages of one packet (osc.c) */

	OscSurface *surface[OSC_MAX_SURFACES];
	int surfaces;
	uint32_t next_surface_id;
	OscShadow shadow;
	OscOrigin origin[OSC_SLOTS];
	gint64 fed_at;    /* µs, the last feedback sent */
	unsigned long meter_serial; /* the meters' reading last taken in */

	struct OscPeer *peers; /* rate limits and refusal notes, by address */
	int peer_count;
	char (*refused_said)[64];
	int refused_said_count;

	bool changed; /* the state changed in this batch: sync after it */
	LatheOscStatus status;
	struct LatheZeroconf *zeroconf;
};

/* osc.c */
bool osc_same_host(const OscEndpoint *a, const OscEndpoint *b);
int osc_endpoint_port(const OscEndpoint *e);
/* Same host and port. */
static inline bool osc_same_endpoint(const OscEndpoint *a, const OscEndpoint *b)
{
	return osc_same_host(a, b) && osc_endpoint_port(a) == osc_endpoint_port(b);
}
void osc_set_port(OscEndpoint *e, int port);
/* Append a message to an outbox bound for `to`, sending what is there first
 * if it does not fit. The message is not freed. */
void osc_outbox_add(LatheOsc *o, OscOutbox *box, const OscEndpoint *to, const char *path,
		    lo_message m);
/* Send what an outbox holds (a lone message unbundled). */
void osc_outbox_flush(LatheOsc *o, OscOutbox *box, const OscEndpoint *to);
/* A message with the current value of an address (NULL for none). */
lo_message osc_value_message(LatheOsc *o, const LatheAddress *a);

/* feedback.c */
OscSurface *osc_surface_find(LatheOsc *o, const OscEndpoint *from);
OscSurface *osc_surface_register(LatheOsc *o, const OscEndpoint *from, int reply_port);
void osc_surface_unregister(LatheOsc *o, OscSurface *s);
/* Every fed-back value, now, to one surface. */
void osc_feedback_dump(LatheOsc *o, OscSurface *s);
/* A surface set a parameter: do not echo that address to it. */
void osc_feedback_origin(LatheOsc *o, const OscSurface *s, const LatheAddress *a, float value);
/* Send what changed to every surface, unless that was done less than
 * OSC_FEEDBACK_US ago (then the tick will). */
void osc_feedback_send(LatheOsc *o);
/* The tick: expiry, feedback that waited, meter bundles. */
gboolean osc_feedback_tick(gpointer data);
void osc_feedback_free(LatheOsc *o);

#endif
