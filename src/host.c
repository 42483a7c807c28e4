/* lathe — the JACK host (see host.h).
 *
 * Threads, once more: process_cb runs on JACK's process thread and calls
 * lathe_process_run and nothing else. The other callbacks run on JACK's
 * notification thread; they only store atomics. Everything else runs on
 * the main loop: opening, closing, connecting, and the tick that reads the
 * atomics and acts.
 */
#include "host.h"

#include <glib.h>
#include <jack/jack.h>
#include <jack/uuid.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if defined(__SSE__)
#include <pmmintrin.h>
#include <xmmintrin.h>
#endif

#include "process.h"

#define TICK_MS 50    /* housekeeping: meters, sync retries, flags */
#define RETRY_MS 1000 /* looking for a server while none is there */
#define XRUN_NOTE_US (10 * G_USEC_PER_SEC) /* at most one xrun note per 10 s */

typedef struct {
	int port;             /* LathePortId */
	char *peer;           /* full name of the other port */
	int failures;         /* connection attempts that failed in a row */
	gint64 missing_since; /* µs, while the client it was made with still owns
				 * the peer port, unconnected; 0 otherwise */
	/* The client that owned the peer port when the connection was last
	 * seen made (0: never seen made on this server). Only that client's
	 * port can have been disconnected by someone: a peer that quits and
	 * restarts has a port of the same name but a new client UUID, and one
	 * whose ports could not be connected yet (its client not active) was
	 * never connected; neither is a connection undone. */
	jack_uuid_t connected_owner;
} Wanted;

/* A connection undone while both ports exist is forgotten after this long
 * (if it stays undone): long enough for a quitting client's ports to go,
 * or a restarting one's to be reconnected. */
#define FORGET_US (G_USEC_PER_SEC)

struct LatheHost {
	LatheState *state;
	char *client_name, *server_name;

	jack_client_t *client;
	LatheProcess *process;
	jack_port_t *ports[LATHE_PORT_COUNT];
	uint32_t rate;
	LatheMeters *meters;
	double meters_rate;
	bool spectrum;

	GArray *wanted; /* Wanted */
	guint tick_id, retry_id;
	bool waiting_said;    /* "waiting for a server" said once per absence */
	int latency_reported;
	int period_reported;
	unsigned xruns_noted;
	gint64 xrun_noted_at;
	bool memory_locked;

	/* Set by JACK's threads, read on the main loop. */
	atomic_bool gone, graph_changed, ports_appeared, rate_changed;
	atomic_uint xruns;
	atomic_int period;
};

/* ------------------------------------------------------- JACK's threads */

static int process_cb(jack_nframes_t frames, void *arg)
{
	LatheHost *h = arg;
	float *bufs[LATHE_PORT_COUNT];
	for (int i = 0; i < LATHE_PORT_COUNT; i++)
		bufs[i] = jack_port_get_buffer(h->ports[i], frames);
	lathe_process_run(h->process, bufs, (int)frames);
	return 0;
}

/* Denormals would cost the filters' tails hundreds of cycles a sample;
 * every value that small is inaudible. Set for the process thread. */
static void thread_init_cb(void *arg)
{
	(void)arg;
#if defined(__SSE__)
	_MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
	_MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);
#elif defined(__aarch64__)
	uint64_t fpcr;
	__asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
	__asm__ volatile("msr fpcr, %0" : : "r"(fpcr | (1u << 24)));
#endif
}

/* A port's latency range, widened by the range of another port plus our
 * latency (lo..hi samples). */
static void widen(jack_latency_range_t *r, jack_port_t *from, jack_latency_callback_mode_t mode,
		  jack_nframes_t lo, jack_nframes_t hi, bool *first)
{
	jack_latency_range_t f;
	jack_port_get_latency_range(from, mode, &f);
	f.min += lo;
	f.max += hi;
	if (*first || f.min < r->min)
		r->min = f.min;
	if (*first || f.max > r->max)
		r->max = f.max;
	*first = false;
}

/* Capture latency flows from inputs to outputs, playback latency from
 * outputs to inputs. The print is D behind the input. The monitor is D
 * behind the input, and 0 to D behind the reference (which is not delayed:
 * it is another programme, with nothing to align to). */
static void latency_cb(jack_latency_callback_mode_t mode, void *arg)
{
	LatheHost *h = arg;
	jack_nframes_t d = (jack_nframes_t)atomic_load(&h->process->latency);
	jack_port_t **p = h->ports;
	for (int ch = 0; ch < 2; ch++) {
		jack_latency_range_t r = { 0, 0 };
		bool first = true;
		if (mode == JackCaptureLatency) {
			widen(&r, p[LATHE_PORT_IN_L + ch], mode, d, d, &first);
			jack_port_set_latency_range(p[LATHE_PORT_OUT_L + ch], mode, &r);
			widen(&r, p[LATHE_PORT_REF_L + ch], mode, 0, d, &first);
			jack_port_set_latency_range(p[LATHE_PORT_MON_L + ch], mode, &r);
		} else {
			widen(&r, p[LATHE_PORT_OUT_L + ch], mode, d, d, &first);
			widen(&r, p[LATHE_PORT_MON_L + ch], mode, d, d, &first);
			jack_port_set_latency_range(p[LATHE_PORT_IN_L + ch], mode, &r);
			first = true;
			widen(&r, p[LATHE_PORT_MON_L + ch], mode, 0, d, &first);
			jack_port_set_latency_range(p[LATHE_PORT_REF_L + ch], mode, &r);
		}
	}
}

static int xrun_cb(void *arg)
{
	LatheHost *h = arg;
	atomic_fetch_add(&h->xruns, 1);
	return 0;
}

static int buffer_size_cb(jack_nframes_t frames, void *arg)
{
	LatheHost *h = arg;
	atomic_store(&h->period, (int)frames);
	return 0;
}

static int sample_rate_cb(jack_nframes_t rate, void *arg)
{
	LatheHost *h = arg;
	if (rate != h->rate)
		atomic_store(&h->rate_changed, true);
	return 0;
}

static void shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
	(void)code;
	(void)reason;
	LatheHost *h = arg;
	atomic_store(&h->gone, true);
}

static void port_connect_cb(jack_port_id_t a, jack_port_id_t b, int connect, void *arg)
{
	(void)a;
	(void)b;
	(void)connect;
	LatheHost *h = arg;
	atomic_store(&h->graph_changed, true);
}

static void port_registration_cb(jack_port_id_t port, int registered, void *arg)
{
	(void)port;
	LatheHost *h = arg;
	if (registered)
		atomic_store(&h->ports_appeared, true);
}

/* A client was activated (or the graph otherwise reordered): ports that
 * could not be connected while their client was inactive can be now. */
static int graph_order_cb(void *arg)
{
	LatheHost *h = arg;
	atomic_store(&h->ports_appeared, true);
	return 0;
}

/* JACK's own messages: dropped while we look for a server (every second
 * "cannot connect" would bury everything else), prefixed otherwise. */
static atomic_bool jack_quiet; /* set by the main loop, read on JACK's threads */

static void jack_message(const char *msg)
{
	/* Straight to stderr, not g_printerr: this runs on JACK's threads, and
	 * the front-end's printerr handler belongs to the main loop. */
	if (!atomic_load(&jack_quiet))
		fprintf(stderr, "lathe: JACK: %s\n", msg);
}

/* ---------------------------------------------------------- connections */

/* Connect one of our ports and a peer, in JACK's direction (output to
 * input); 0 or JACK's error code. */
static int connect_ports(LatheHost *h, int port, const char *peer)
{
	const char *ours = jack_port_name(h->ports[port]);
	return lathe_port_is_input(port) ? jack_connect(h->client, peer, ours)
					 : jack_connect(h->client, ours, peer);
}

static Wanted *find_wanted(const LatheHost *h, int port, const char *peer)
{
	for (guint i = 0; i < h->wanted->len; i++) {
		Wanted *w = &g_array_index(h->wanted, Wanted, i);
		if (w->port == port && strcmp(w->peer, peer) == 0)
			return w;
	}
	return NULL;
}

static bool peer_exists(const LatheHost *h, const char *peer)
{
	return h->client && jack_port_by_name(h->client, peer) != NULL;
}

/* The UUID of the client that owns the port `peer` now; 0 if there is
 * none. JACK gives each client instance a UUID of its own, so this tells a
 * restarted peer from the one seen before. */
static jack_uuid_t peer_owner(const LatheHost *h, const char *peer)
{
	jack_port_t *port = h->client ? jack_port_by_name(h->client, peer) : NULL;
	if (!port)
		return 0;
	/* "client:port": the client's name is what precedes the short name. */
	const char *full = jack_port_name(port), *name = jack_port_short_name(port);
	size_t len = strlen(full), short_len = strlen(name);
	if (short_len + 1 > len)
		return 0;
	char *client_name = g_strndup(full, len - short_len - 1);
	char *text = jack_get_uuid_for_client_name(h->client, client_name);
	g_free(client_name);
	jack_uuid_t uuid = 0;
	if (!text || jack_uuid_parse(text, &uuid) != 0)
		uuid = 0;
	jack_free(text);
	return uuid;
}

static void forget_wanted(LatheHost *h, guint i)
{
	g_free(g_array_index(h->wanted, Wanted, i).peer);
	g_array_remove_index(h->wanted, i);
}

/* Remember a connection. The list is bounded (a session holds as many):
 * when full, the oldest one whose peer is absent makes room. */
static void add_wanted(LatheHost *h, int port, const char *peer)
{
	if (!*peer || strlen(peer) >= LATHE_PEER_NAME_MAX || find_wanted(h, port, peer))
		return;
	if (h->wanted->len >= LATHE_SESSION_CONNECTIONS) {
		guint i = 0;
		while (i < h->wanted->len && peer_exists(h, g_array_index(h->wanted, Wanted, i).peer))
			i++;
		if (i == h->wanted->len) {
			g_printerr("lathe: more than %d connections: %s to %s is not remembered\n",
				   LATHE_SESSION_CONNECTIONS, lathe_port_names[port], peer);
			return;
		}
		forget_wanted(h, i);
	}
	Wanted w = { .port = port, .peer = g_strdup(peer) };
	g_array_append_val(h->wanted, w);
}

/* The session keeps the connections, so that a save writes them. Called
 * after every change of the list. */
static void publish_wanted(LatheHost *h)
{
	LatheSession *s = &h->state->session;
	s->connections = 0;
	char err[128];
	for (guint i = 0; i < h->wanted->len; i++) {
		const Wanted *w = &g_array_index(h->wanted, Wanted, i);
		lathe_session_connect(s, lathe_port_names[w->port], w->peer, err, sizeof(err));
	}
}

/* A session just loaded brings its connections: they join the remembered
 * ones (a load never disconnects anything). Done before anything else
 * touches the list, which would overwrite the session's copy. */
static void take_session_connections(LatheHost *h)
{
	if (!h->state->connections_loaded)
		return;
	h->state->connections_loaded = false;
	const LatheSession *s = &h->state->session;
	for (int i = 0; i < s->connections; i++) {
		add_wanted(h, s->connection[i].port, s->connection[i].peer);
		/* Asked for now: made even if it was undone a moment ago. */
		Wanted *w = find_wanted(h, s->connection[i].port, s->connection[i].peer);
		if (w) {
			w->connected_owner = 0;
			w->missing_since = 0;
		}
	}
	publish_wanted(h);
}

/* Make every wanted connection whose peer port exists now, except one
 * that was undone while its peer was there (awaiting its verdict in
 * learn_connections): a port appearing elsewhere must not remake it. */
static void restore_connections(LatheHost *h)
{
	for (guint i = 0; i < h->wanted->len; i++) {
		Wanted *w = &g_array_index(h->wanted, Wanted, i);
		/* Made before with this very client and not made now: someone
		 * undid it (or is undoing it: the tick may see a disconnection's
		 * graph change before its connection change), and only
		 * learn_connections judges that. */
		jack_uuid_t owner = peer_owner(h, w->peer);
		bool undone = owner == w->connected_owner;
		if (!owner || undone || jack_port_connected_to(h->ports[w->port], w->peer))
			continue;
		/* The first failure is usual: a client's ports appear before it
		 * is active, and JACK connects only active clients; the retry
		 * when it activates (graph order) succeeds. Said once after that. */
		int err = connect_ports(h, w->port, w->peer);
		w->failures = err ? w->failures + 1 : 0;
		if (!err)
			w->connected_owner = owner;
		if (w->failures == 2)
			g_printerr("lathe: cannot connect %s and %s (JACK error %d)\n",
				   lathe_port_names[w->port], w->peer, err);
	}
}

/* Learn the connections as they are: every connection of our ports is
 * wanted from now on. A wanted one that is missing is forgotten only if it
 * stays missing for FORGET_US while its peer port exists: then someone
 * undid it on purpose. A peer that quits (JACK disconnects its ports
 * before it removes them), restarts, or comes back and connects things of
 * its own meanwhile keeps its place. */
static void learn_connections(LatheHost *h)
{
	for (int port = 0; port < LATHE_PORT_COUNT; port++) {
		const char **peers = jack_port_get_all_connections(h->client, h->ports[port]);
		for (int i = 0; peers && peers[i]; i++)
			add_wanted(h, port, peers[i]);
		jack_free(peers);
	}
	gint64 now = g_get_monotonic_time();
	for (guint i = 0; i < h->wanted->len;) {
		Wanted *w = &g_array_index(h->wanted, Wanted, i);
		jack_uuid_t owner = peer_owner(h, w->peer);
		if (owner && jack_port_connected_to(h->ports[w->port], w->peer)) {
			w->connected_owner = owner;
			w->missing_since = 0;
		} else if (!owner || owner != w->connected_owner) {
			/* The peer is away, or it is a client not connected yet
			 * (one that came back, perhaps under the same name):
			 * restore_connections will connect it. */
			w->missing_since = 0;
		} else if (!w->missing_since) {
			w->missing_since = now;
		} else if (now - w->missing_since > FORGET_US) {
			forget_wanted(h, i);
			continue;
		}
		i++;
	}
	publish_wanted(h);
}

/* True while a missing connection waits for its verdict. */
static bool connections_pending(const LatheHost *h)
{
	for (guint i = 0; i < h->wanted->len; i++)
		if (g_array_index(h->wanted, Wanted, i).missing_since)
			return true;
	return false;
}

/* ------------------------------------------------------------ life cycle */

static gboolean retry_cb(gpointer data);

static void close_client(LatheHost *h)
{
	if (h->client) {
		jack_client_close(h->client);
		h->client = NULL;
	}
	/* A new server numbers its clients afresh; nothing seen on this one
	 * says anything about the next. */
	for (guint i = 0; i < h->wanted->len; i++) {
		Wanted *w = &g_array_index(h->wanted, Wanted, i);
		w->connected_owner = 0;
		w->missing_since = 0;
	}
	lathe_state_detach(h->state);
	lathe_process_free(h->process);
	h->process = NULL;
}

static void start_retrying(LatheHost *h)
{
	if (!h->retry_id)
		h->retry_id = g_timeout_add(RETRY_MS, retry_cb, h);
}

static bool open_client(LatheHost *h)
{
	jack_options_t options = JackNoStartServer | (h->server_name ? JackServerName : 0);
	jack_status_t status;
	atomic_store(&jack_quiet, true);
	h->client = jack_client_open(h->client_name, options, &status, h->server_name);
	atomic_store(&jack_quiet, false);
	if (!h->client) {
		if (!h->waiting_said)
			g_printerr("lathe: no JACK server%s%s running; waiting for one\n",
				h->server_name ? " named " : "", h->server_name ? h->server_name : "");
		h->waiting_said = true;
		return false;
	}
	h->waiting_said = false;
	h->rate = jack_get_sample_rate(h->client);
	h->process = lathe_process_new(h->rate);
	bool ok = h->process != NULL;
	for (int i = 0; ok && i < LATHE_PORT_COUNT; i++) {
		unsigned long flags = lathe_port_is_input(i) ? JackPortIsInput : JackPortIsOutput;
		h->ports[i] = jack_port_register(h->client, lathe_port_names[i],
						 JACK_DEFAULT_AUDIO_TYPE, flags, 0);
		ok = h->ports[i] != NULL;
	}
	if (!ok) {
		g_printerr("lathe: cannot set up the JACK client (out of memory or ports)\n");
		close_client(h);
		return false;
	}
	lathe_state_attach(h->state, h->process);
	atomic_store(&h->gone, false);
	atomic_store(&h->rate_changed, false);
	atomic_store(&h->period, (int)jack_get_buffer_size(h->client));
	jack_set_process_callback(h->client, process_cb, h);
	jack_set_thread_init_callback(h->client, thread_init_cb, h);
	jack_set_latency_callback(h->client, latency_cb, h);
	jack_set_xrun_callback(h->client, xrun_cb, h);
	jack_set_buffer_size_callback(h->client, buffer_size_cb, h);
	jack_set_sample_rate_callback(h->client, sample_rate_cb, h);
	jack_set_port_connect_callback(h->client, port_connect_cb, h);
	jack_set_port_registration_callback(h->client, port_registration_cb, h);
	jack_set_graph_order_callback(h->client, graph_order_cb, h);
	jack_on_info_shutdown(h->client, shutdown_cb, h);

	if (jack_activate(h->client)) {
		g_printerr("lathe: cannot activate the JACK client\n");
		close_client(h);
		return false;
	}
	if (!h->meters || h->meters_rate != h->rate) {
		lathe_meters_free(h->meters);
		h->meters = lathe_meters_new(h->rate, h->spectrum);
		h->meters_rate = h->rate;
	}
	/* Lock what is mapped now (the engine's buffers, the process thread's
	 * stack, made by jack_activate) so the process thread never waits for
	 * a page. Not MCL_FUTURE: with a small memlock limit it would make
	 * later allocations fail. */
	h->memory_locked = mlockall(MCL_CURRENT) == 0;
	take_session_connections(h);
	restore_connections(h);
	h->latency_reported = atomic_load(&h->process->latency);
	h->period_reported = atomic_load(&h->period);
	g_printerr(
		"lathe: JACK: client \"%s\" on server \"%s\", %u Hz, %d frames, latency %d samples%s\n",
		jack_get_client_name(h->client), h->server_name ? h->server_name : "default",
		h->rate, h->period_reported, h->latency_reported,
		h->memory_locked ? "" : " (memory not locked: raise the memlock limit)");
	return true;
}

static gboolean retry_cb(gpointer data)
{
	LatheHost *h = data;
	if (h->client || open_client(h)) {
		h->retry_id = 0;
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

static void note_changes(LatheHost *h)
{
	int latency = atomic_load(&h->process->latency);
	if (latency != h->latency_reported) {
		/* JACK asks every client again, our latency_cb included. */
		jack_recompute_total_latencies(h->client);
		h->latency_reported = latency;
		g_printerr("lathe: latency %d samples\n", latency);
	}
	int period = atomic_load(&h->period);
	if (period != h->period_reported) {
		h->period_reported = period;
		g_printerr("lathe: period %d frames\n", period);
	}
	unsigned xruns = atomic_load(&h->xruns);
	gint64 now = g_get_monotonic_time();
	if (xruns != h->xruns_noted && now - h->xrun_noted_at > XRUN_NOTE_US) {
		g_printerr("lathe: %u xrun%s so far\n", xruns, xruns == 1 ? "" : "s");
		h->xruns_noted = xruns;
		h->xrun_noted_at = now;
	}
}

static gboolean tick_cb(gpointer data)
{
	LatheHost *h = data;
	if (h->client && atomic_load(&h->gone)) {
		g_printerr("lathe: JACK server gone; keeping the state, "
				"reconnecting when a server is back\n");
		/* Closing what is left of the client: JACK complains that the
		 * server is not running, which we know. */
		atomic_store(&jack_quiet, true);
		close_client(h);
		atomic_store(&jack_quiet, false);
		start_retrying(h);
		return G_SOURCE_CONTINUE;
	}
	if (h->client && atomic_load(&h->rate_changed)) {
		/* A new rate needs a new engine: the same as a new server. */
		g_printerr("lathe: the sample rate changed; restarting the engine\n");
		jack_deactivate(h->client);
		close_client(h);
		if (!open_client(h))
			start_retrying(h);
		return G_SOURCE_CONTINUE;
	}
	if (!h->client)
		return G_SOURCE_CONTINUE;

	lathe_state_sync(h->state);
	note_changes(h);
	/* A session loaded meanwhile: its connections. */
	if (h->state->connections_loaded) {
		take_session_connections(h);
		restore_connections(h);
	}
	/* Learn first: what was undone while its peer was there is marked, so
	 * that a port appearing elsewhere does not remake it; a peer that has
	 * just come back is not marked, and is reconnected next. */
	if (atomic_exchange(&h->graph_changed, false) || connections_pending(h))
		learn_connections(h);
	if (atomic_exchange(&h->ports_appeared, false))
		restore_connections(h);
	if (h->meters)
		lathe_meters_poll(h->meters, lathe_engine_meter_ring(h->process->engine));
	return G_SOURCE_CONTINUE;
}

/* ---------------------------------------------------------------- public */

LatheHost *lathe_host_new(LatheState *state, const char *client_name, const char *server_name,
			  bool spectrum)
{
	LatheHost *h = g_new0(LatheHost, 1);
	h->state = state;
	h->spectrum = spectrum;
	h->client_name = g_strdup(client_name ? client_name : "lathe");
	h->server_name = server_name ? g_strdup(server_name) : NULL;
	h->wanted = g_array_new(FALSE, FALSE, sizeof(Wanted));
	jack_set_error_function(jack_message);
	jack_set_info_function(jack_message);
	if (!open_client(h))
		start_retrying(h);
	h->tick_id = g_timeout_add(TICK_MS, tick_cb, h);
	return h;
}

void lathe_host_free(LatheHost *h)
{
	if (!h)
		return;
	if (h->tick_id)
		g_source_remove(h->tick_id);
	if (h->retry_id)
		g_source_remove(h->retry_id);
	if (h->client)
		jack_deactivate(h->client);
	close_client(h);
	lathe_meters_free(h->meters);
	for (guint i = 0; i < h->wanted->len; i++)
		g_free(g_array_index(h->wanted, Wanted, i).peer);
	g_array_free(h->wanted, TRUE);
	g_free(h->client_name);
	g_free(h->server_name);
	g_free(h);
}

void lathe_host_status(LatheHost *h, LatheHostStatus *s)
{
	*s = (LatheHostStatus){ 0 };
	s->connected = h->client != NULL;
	snprintf(s->server, sizeof(s->server), "%s", h->server_name ? h->server_name : "default");
	s->xruns = atomic_load(&h->xruns);
	if (!h->client)
		return;
	snprintf(s->client, sizeof(s->client), "%s", jack_get_client_name(h->client));
	s->rate = h->rate;
	s->period = (uint32_t)h->period_reported;
	s->latency = h->latency_reported;
	s->dsp_load = jack_cpu_load(h->client);
	s->memory_locked = h->memory_locked;
}

LatheMeters *lathe_host_meters(LatheHost *h) { return h->client ? h->meters : NULL; }
