/* lathe — the OSC server's Zeroconf advertisement (see zeroconf.h).
 *
 * The life of it, in Avahi's terms. One AvahiClient, made with
 * AVAHI_CLIENT_NO_FAIL so that it waits in CONNECTING while no daemon owns
 * its bus name, holds one AvahiEntryGroup with one service in it:
 *
 *  - client S_RUNNING: the daemon is ready; make the group, add the
 *    service, commit. The group then goes REGISTERING (Avahi probes the
 *    name on the network), then ESTABLISHED, or COLLISION.
 *  - group COLLISION (someone on the network has the name) or
 *    AVAHI_ERR_COLLISION from add_service (another client of this daemon
 *    has it): take avahi_alternative_service_name ("NAME #2") and add again.
 *  - client S_REGISTERING / S_COLLISION: the daemon is (re)establishing its
 *    host name, which withdraws every service; empty the group and add the
 *    service again at the next S_RUNNING.
 *  - client FAILURE: the daemon went away (or restarted: a new owner of
 *    the bus name is a FAILURE too), or the bus did. The client is dead for
 *    good; a new one is made, from an idle source rather than inside its
 *    own callback, and waits for the daemon as the first did.
 *  - no bus at all: avahi_client_new fails even with NO_FAIL (it needs the
 *    bus to wait on); try again every RETRY_S seconds.
 *
 * Callbacks may come from inside avahi_client_new and avahi_entry_group_new,
 * before those have returned their pointer: they use the client or group
 * they are given, never z->client.
 */
#include "zeroconf.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SERVICE_TYPE "_osc._udp"
/* Looking for a D-Bus system bus while there is none: an attempt is one
 * failed connect() on a socket path, so 5 s costs nothing and a bus that
 * starts late (a desktop session coming up) is used soon enough. */
#define RETRY_S 5
/* A DNS label (the instance name is one) holds 63 bytes. */
#define NAME_MAX_BYTES 63
/* Alternative names to try in a row when add_service says the name is taken
 * on this daemon: "NAME #2" .. "NAME #101". More means something is wrong. */
#define MAX_RENAMES 100

struct LatheZeroconf {
	AvahiGLibPoll *poll;
	AvahiClient *client;   /* NULL while there is no bus */
	AvahiEntryGroup *group; /* NULL until the daemon first runs */
	char *name;            /* avahi_malloc'ed: the name to advertise */
	char *said;            /* avahi_malloc'ed: the name last reported, or NULL */
	uint16_t port;
	bool added;            /* the service is in the group (committed) */
	bool established;
	bool refusal_said;     /* the daemon's refusal reported (once until established) */
	guint retry_id;        /* the source that makes a new client */
};

static void connect_daemon(LatheZeroconf *z);
static gboolean retry_cb(void *data);
static void publish(LatheZeroconf *z, AvahiClient *c);

/* Say once why the daemon would not take the service. Quiet when the reason
 * is that the daemon or the bus went away: a client FAILURE follows, and
 * the service is published again when the daemon is back. */
static void refused(LatheZeroconf *z, int error)
{
	z->established = false;
	if (error == AVAHI_ERR_DISCONNECTED || error == AVAHI_ERR_NO_DAEMON ||
	    error == AVAHI_ERR_BAD_STATE || z->refusal_said)
		return;
	z->refusal_said = true;
	g_printerr("lathe: OSC not advertised on Zeroconf: %s\n", avahi_strerror(error));
}

/* The next name after a collision. False when out of memory (then the
 * service stays unpublished). */
static bool rename_service(LatheZeroconf *z)
{
	char *alt = avahi_alternative_service_name(z->name);
	if (!alt)
		return false;
	avahi_free(z->name);
	z->name = alt;
	return true;
}

static void group_cb(AvahiEntryGroup *g, AvahiEntryGroupState state, void *data)
{
	LatheZeroconf *z = data;
	switch (state) {
	case AVAHI_ENTRY_GROUP_ESTABLISHED:
		z->established = true;
		z->refusal_said = false;
		if (!z->said || strcmp(z->said, z->name) != 0) {
			g_printerr("lathe: OSC advertised as " SERVICE_TYPE " \"%s\"\n", z->name);
			avahi_free(z->said);
			z->said = avahi_strdup(z->name);
		}
		break;
	case AVAHI_ENTRY_GROUP_COLLISION:
		/* Avahi has withdrawn the entries; add them again under the
		 * next name. */
		z->established = false;
		if (!rename_service(z))
			break;
		avahi_entry_group_reset(g);
		z->added = false;
		publish(z, avahi_entry_group_get_client(g));
		break;
	case AVAHI_ENTRY_GROUP_FAILURE:
		refused(z, avahi_client_errno(avahi_entry_group_get_client(g)));
		break;
	case AVAHI_ENTRY_GROUP_UNCOMMITED:
	case AVAHI_ENTRY_GROUP_REGISTERING:
		z->established = false;
		break;
	}
}

/* Put the service in the group and commit it, unless it is there already.
 * c: the running client (the callback's: z->client may not be set yet). */
static void publish(LatheZeroconf *z, AvahiClient *c)
{
	if (!z->group) {
		z->group = avahi_entry_group_new(c, group_cb, z);
		if (!z->group) {
			refused(z, avahi_client_errno(c));
			return;
		}
	}
	if (z->added)
		return;
	int r;
	for (int tries = 0;; tries++) {
		r = avahi_entry_group_add_service(z->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
						  z->name, SERVICE_TYPE, NULL, NULL, z->port, NULL);
		if (r != AVAHI_ERR_COLLISION || tries == MAX_RENAMES || !rename_service(z))
			break;
	}
	if (r >= 0)
		r = avahi_entry_group_commit(z->group);
	if (r < 0) {
		/* Leave the group empty for the next attempt (the next
		 * S_RUNNING or a new client). */
		avahi_entry_group_reset(z->group);
		refused(z, r);
		return;
	}
	z->added = true;
}

static void client_cb(AvahiClient *c, AvahiClientState state, void *data)
{
	LatheZeroconf *z = data;
	switch (state) {
	case AVAHI_CLIENT_S_RUNNING:
		publish(z, c);
		break;
	case AVAHI_CLIENT_S_REGISTERING:
	case AVAHI_CLIENT_S_COLLISION:
		/* The daemon is (re)establishing its host name: our records go
		 * with it. Empty the group; S_RUNNING publishes again. */
		z->established = false;
		if (z->group && z->added)
			avahi_entry_group_reset(z->group);
		z->added = false;
		break;
	case AVAHI_CLIENT_FAILURE:
		z->established = false;
		z->added = false;
		/* Replace the client outside its own callback: at once if the
		 * daemon or the bus went (the new client waits for it), after
		 * RETRY_S for any other failure, so that it cannot spin. */
		if (!z->retry_id)
			z->retry_id = avahi_client_errno(c) == AVAHI_ERR_DISCONNECTED
					      ? g_idle_add(retry_cb, z)
					      : g_timeout_add_seconds(RETRY_S, retry_cb, z);
		break;
	case AVAHI_CLIENT_CONNECTING:
		/* No daemon on the bus yet: NO_FAIL waits for it. */
		break;
	}
}

static gboolean retry_cb(void *data)
{
	LatheZeroconf *z = data;
	z->retry_id = 0;
	/* The group belongs to the client: they go together. */
	if (z->group)
		avahi_entry_group_free(z->group);
	z->group = NULL;
	z->added = false;
	if (z->client)
		avahi_client_free(z->client);
	z->client = NULL;
	connect_daemon(z);
	return G_SOURCE_REMOVE;
}

/* Make the client; with no bus, try again later. Quiet either way. */
static void connect_daemon(LatheZeroconf *z)
{
	int error = 0;
	z->client = avahi_client_new(avahi_glib_poll_get(z->poll), AVAHI_CLIENT_NO_FAIL, client_cb,
				     z, &error);
	if (!z->client && !z->retry_id)
		z->retry_id = g_timeout_add_seconds(RETRY_S, retry_cb, z);
}

/* A copy of name cut to a DNS label's 63 bytes, not inside a UTF-8
 * character; "lathe" if it is empty. avahi_malloc'ed; NULL when out of
 * memory. */
static char *label_copy(const char *name)
{
	size_t n = strlen(name);
	if (n > NAME_MAX_BYTES) {
		n = NAME_MAX_BYTES;
		/* Back off continuation bytes (10xxxxxx) to a character's start. */
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	return n ? avahi_strndup(name, n) : avahi_strdup("lathe");
}

LatheZeroconf *lathe_zeroconf_new(const char *name, int port)
{
	g_return_val_if_fail(name != NULL, NULL);
	g_return_val_if_fail(port > 0 && port <= 65535, NULL);
	LatheZeroconf *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->port = (uint16_t)port;
	z->name = label_copy(name);
	/* The default context (NULL), at default priority: the D-Bus traffic
	 * is a few messages, beside the OSC socket on the same loop. */
	z->poll = z->name ? avahi_glib_poll_new(NULL, G_PRIORITY_DEFAULT) : NULL;
	if (!z->poll) {
		lathe_zeroconf_free(z);
		return NULL;
	}
	connect_daemon(z);
	return z;
}

void lathe_zeroconf_free(LatheZeroconf *z)
{
	if (!z)
		return;
	if (z->retry_id)
		g_source_remove(z->retry_id);
	/* Freeing the group while connected asks the daemon to remove it (a
	 * round trip: it is gone when this returns); closing the client
	 * alone would also do, once the daemon noticed. */
	if (z->group)
		avahi_entry_group_free(z->group);
	if (z->client)
		avahi_client_free(z->client);
	if (z->poll)
		avahi_glib_poll_free(z->poll);
	avahi_free(z->name);
	avahi_free(z->said);
	free(z);
}

bool lathe_zeroconf_established(const LatheZeroconf *z)
{
	return z && z->established;
}

const char *lathe_zeroconf_name(const LatheZeroconf *z)
{
	return z ? z->name : NULL;
}
