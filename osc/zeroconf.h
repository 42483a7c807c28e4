/* lathe — the OSC server's Zeroconf advertisement: an "_osc._udp" service
 * published through the Avahi daemon (avahi-client over D-Bus), so that
 * control surfaces on the network (TouchOSC, Open Stage Control) list the
 * console without being told its address.
 *
 * Avahi is optional. Without a daemon, or without a D-Bus system bus, the
 * console runs as before and says nothing; when one appears later the
 * service is published then, and when the daemon restarts it is published
 * again.
 *
 * Threads. Every function here runs on the main loop (the thread that runs
 * the default GLib main context), and the advertisement lives on that
 * context: the loop must run for anything to happen.
 *
 * Blocking. Nothing waits for the network (Avahi probes and announces by
 * itself). avahi-client's calls are synchronous D-Bus round trips to the
 * local daemon, a fraction of a millisecond each while the daemon is
 * healthy; they are made when the daemon appears, when a name collides,
 * and in lathe_zeroconf_free. A daemon that accepts calls but never
 * answers them would hold the loop for D-Bus's reply timeout (25 s).
 */
#ifndef LATHE_ZEROCONF_H
#define LATHE_ZEROCONF_H

#include <stdbool.h>

typedef struct LatheZeroconf LatheZeroconf;

/* Main loop only. Advertise an OSC server on UDP `port` (1..65535) as
 * "_osc._udp" with the instance name `name` (e.g. "lathe on HOSTNAME";
 * UTF-8, cut to the 63 bytes a DNS label holds), on every interface and
 * both IPv4 and IPv6, through avahi-client on the default GLib main
 * context (avahi-glib).
 *
 * No Avahi daemon (or no D-Bus): nothing is printed; the advertisement is
 * made when the daemon appears (AVAHI_CLIENT_NO_FAIL), or, with no bus at
 * all, at the first attempt after the bus appears (one every 5 s). On a
 * name collision the name becomes the alternative Avahi offers
 * ("lathe on HOST #2"). Messages go through g_printerr with the prefix
 * "lathe: ": one line when the service is established
 * ("lathe: OSC advertised as _osc._udp \"NAME\"", again only if it is
 * re-established under another name), and one if the daemon refuses it.
 *
 * Returns NULL only when out of memory (or, with a g_critical, for a port
 * outside 1..65535 or a NULL name: a programming error). */
LatheZeroconf *lathe_zeroconf_new(const char *name, int port);

/* Main loop only. Withdraw the advertisement (at once: the daemon has
 * removed it, and sends its goodbye, before this returns) and remove the
 * main-loop sources. NULL-safe. */
void lathe_zeroconf_free(LatheZeroconf *z);

/* True while the service is established on the daemon (Avahi has probed
 * the name and announced it); false before, while the daemon is away, and
 * during a collision. For tests and status. NULL: false. */
bool lathe_zeroconf_established(const LatheZeroconf *z);

/* The instance name now advertised or being advertised (the alternative
 * one after a collision). Valid until the next main-loop iteration. */
const char *lathe_zeroconf_name(const LatheZeroconf *z);

#endif
