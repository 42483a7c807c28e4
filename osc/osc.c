/* lathe — the OSC server: socket, senders, dispatch (see osc.h; the
 * protocol: osc/README.md).
 *
 * The socket is ours, not liblo's server: every datagram's sender is
 * checked before a byte of it is parsed (a refused sender costs one
 * recvfrom), oversize datagrams are seen as such (MSG_TRUNC), and bundles
 * are applied at once rather than queued by their time tags (a queue a
 * sender could fill). liblo parses and builds the messages.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib-unix.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zeroconf.h"

/* Packets read per main-loop turn: a flood cannot hold the loop longer. */
#define READ_BUDGET 256
/* A query or a set gets at most one message back, so replies need no
 * limit: the read budget bounds them. What a sender can make us send more
 * of is limited per sender (address and port): the whole state (a
 * registration) or the namespace (/lathe/params), HEAVY_PER_S a second;
 * and errors, ERRORS_PER_S, so a flood of junk is not answered in kind. */
#define HEAVY_PER_S 2.0
#define ERRORS_PER_S 20.0
#define PEERS 64
#define REFUSED_SAID_MAX 256

typedef struct OscPeer {
	OscEndpoint from;
	double heavy, errors; /* tokens */
	gint64 refilled;      /* µs */
} OscPeer;

/* The sender of the message being handled. */
typedef struct {
	OscEndpoint from;
	OscSurface *surface; /* if it is one */
	OscPeer *peer;
} Sender;

void lathe_osc_config_default(LatheOscConfig *config)
{
	*config = (LatheOscConfig){ .port = LATHE_OSC_DEFAULT_PORT, .expiry_s = 60.0,
				    .advertise = true };
}

/* ------------------------------------------------------------ endpoints */

int osc_endpoint_port(const OscEndpoint *e)
{
	const struct sockaddr *sa = (const struct sockaddr *)&e->addr;
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

void osc_set_port(OscEndpoint *e, int port)
{
	struct sockaddr *sa = (struct sockaddr *)&e->addr;
	if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
}

bool osc_same_host(const OscEndpoint *a, const OscEndpoint *b)
{
	const struct sockaddr *x = (const struct sockaddr *)&a->addr;
	const struct sockaddr *y = (const struct sockaddr *)&b->addr;
	if (x->sa_family != y->sa_family)
		return false;
	if (x->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)x)->sin6_addr,
			      &((const struct sockaddr_in6 *)y)->sin6_addr, 16) == 0;
	return ((const struct sockaddr_in *)x)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)y)->sin_addr.s_addr;
}

static bool allowed(const LatheOsc *o, const OscEndpoint *from)
{
	const struct sockaddr *sa = (const struct sockaddr *)&from->addr;
	if (lathe_address_loopback(sa))
		return true;
	for (int i = 0; i < o->allow_count; i++)
		if (lathe_cidr_contains(&o->allow[i], sa))
			return true;
	/* The session's networks, read as they are now (a load may change them). */
	const LatheSession *s = &o->state->session;
	for (int i = 0; i < s->osc_allows; i++) {
		LatheCidr net;
		if (lathe_cidr_parse(s->osc_allow[i], &net) && lathe_cidr_contains(&net, sa))
			return true;
	}
	return false;
}

/* Logged once per address (up to REFUSED_SAID_MAX addresses, then once). */
static void refuse(LatheOsc *o, const OscEndpoint *from)
{
	o->status.refused++;
	char text[64];
	lathe_address_text((const struct sockaddr *)&from->addr, text, sizeof(text));
	for (int i = 0; i < o->refused_said_count; i++)
		if (strcmp(o->refused_said[i], text) == 0)
			return;
	if (o->refused_said_count == REFUSED_SAID_MAX)
		return;
	snprintf(o->refused_said[o->refused_said_count++], 64, "%s", text);
	if (o->refused_said_count == REFUSED_SAID_MAX)
		g_printerr("lathe: OSC: refused %s; more refused senders are not logged\n", text);
	else
		g_printerr("lathe: OSC: refused %s (only loopback and --osc-allow networks are "
			   "obeyed)\n", text);
}

/* The sender's budget, refilled for the time since it was last seen. */
static OscPeer *peer_of(LatheOsc *o, const OscEndpoint *from)
{
	gint64 now = g_get_monotonic_time();
	OscPeer *p = NULL;
	for (int i = 0; i < o->peer_count && !p; i++)
		if (osc_same_endpoint(&o->peers[i].from, from))
			p = &o->peers[i];
	if (!p) {
		/* A new one, in a free place or the longest silent one's. */
		if (o->peer_count < PEERS) {
			p = &o->peers[o->peer_count++];
		} else {
			p = &o->peers[0];
			for (int i = 1; i < PEERS; i++)
				if (o->peers[i].refilled < p->refilled)
					p = &o->peers[i];
		}
		*p = (OscPeer){ .from = *from, .heavy = HEAVY_PER_S, .errors = ERRORS_PER_S,
				.refilled = now };
		return p;
	}
	double dt = (double)(now - p->refilled) / G_USEC_PER_SEC;
	p->heavy = fmin(HEAVY_PER_S, p->heavy + dt * HEAVY_PER_S);
	p->errors = fmin(ERRORS_PER_S, p->errors + dt * ERRORS_PER_S);
	p->refilled = now;
	return p;
}

/* A heavy reply (the whole state, the namespace) within the budget. */
static bool take_heavy(LatheOsc *o, Sender *s)
{
	if (s->peer->heavy < 1.0) {
		o->status.dropped++;
		return false;
	}
	s->peer->heavy -= 1.0;
	return true;
}

/* --------------------------------------------------------------- sending */

static void send_bytes(LatheOsc *o, const OscEndpoint *to, const void *data, size_t size)
{
	if (sendto(o->fd, data, size, MSG_DONTWAIT, (const struct sockaddr *)&to->addr, to->len) < 0)
		o->status.dropped++;
}

void osc_outbox_flush(LatheOsc *o, OscOutbox *box, const OscEndpoint *to)
{
	if (box->count == 1) {
		/* A lone message goes as itself: simple receivers need no bundles. */
		send_bytes(o, to, box->buf + 16 + 4, box->used - 4);
	} else if (box->count > 1) {
		memcpy(box->buf, "#bundle", 8);
		/* Time tag 1: "immediately". */
		static const uint8_t now[8] = { 0, 0, 0, 0, 0, 0, 0, 1 };
		memcpy(box->buf + 8, now, 8);
		send_bytes(o, to, box->buf, 16 + box->used);
	}
	box->used = 0;
	box->count = 0;
}

void osc_outbox_add(LatheOsc *o, OscOutbox *box, const OscEndpoint *to, const char *path,
		    lo_message m)
{
	size_t size = lo_message_length(m, path);
	if (16 + box->used + 4 + size > sizeof(box->buf))
		osc_outbox_flush(o, box, to);
	if (16 + 4 + size > sizeof(box->buf)) {
		/* Too long for any bundle of ours: alone. */
		void *data = lo_message_serialise(m, path, NULL, &size);
		if (data)
			send_bytes(o, to, data, size);
		free(data);
		return;
	}
	uint8_t *at = box->buf + 16 + box->used;
	uint32_t be = htonl((uint32_t)size);
	memcpy(at, &be, 4);
	lo_message_serialise(m, path, at + 4, &size);
	box->used += 4 + size;
	box->count++;
}

/* Where replies to a sender go: its surface's port, or where it sent from. */
static const OscEndpoint *reply_to(const Sender *s)
{
	return s->surface ? &s->surface->reply : &s->from;
}

/* Send one message to the sender; frees m. */
static void reply(LatheOsc *o, Sender *s, const char *path, lo_message m)
{
	if (m) {
		OscOutbox box = { .used = 0 };
		osc_outbox_add(o, &box, reply_to(s), path, m);
		osc_outbox_flush(o, &box, reply_to(s));
	}
	if (m)
		lo_message_free(m);
}

/* An error owed to the sender: within its budget? (Asked first where the
 * message costs something to write, like the closest path.) */
static bool error_due(LatheOsc *o, Sender *s)
{
	o->status.errors++;
	if (s->peer->errors < 1.0) {
		o->status.dropped++;
		return false;
	}
	s->peer->errors -= 1.0;
	return true;
}

/* Send /lathe/error; the budget was taken (error_due). */
static void G_GNUC_PRINTF(4, 5) send_error(LatheOsc *o, Sender *s, const char *path,
					   const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	lo_message m = lo_message_new();
	lo_message_add_string(m, path);
	lo_message_add_string(m, text);
	reply(o, s, "/lathe/error", m);
}

#define reply_error(o, s, path, ...) \
	do { \
		if (error_due(o, s)) \
			send_error(o, s, path, __VA_ARGS__); \
	} while (0)

lo_message osc_value_message(LatheOsc *o, const LatheAddress *a)
{
	const LatheState *st = o->state;
	lo_message m = lo_message_new();
	if (!m)
		return NULL;
	switch (a->kind) {
	case LATHE_ADDRESS_PARAM: {
		const LatheParam *p = &lathe_params[a->id];
		float v = lathe_state_get(st, a->target, a->id);
		if (a->norm) {
			lo_message_add_float(m, (float)lathe_param_to_norm(p, v));
		} else {
			lo_message_add_float(m, v);
			if (p->taper == LATHE_TAPER_ENUM)
				lo_message_add_string(m, p->names[(int)v]);
		}
		break;
	}
	case LATHE_ADDRESS_ORDER: {
		const LatheSettings *s = lathe_state_settings(st, a->target);
		for (int k = 0; k < LATHE_MODULE_COUNT; k++)
			lo_message_add_string(m, lathe_module_classes[s->order[k]]->name);
		break;
	}
	case LATHE_ADDRESS_STATE:
		switch ((LatheStateAddress)a->id) {
		case LATHE_STATE_SNAPSHOT_STORED:
			lo_message_add_float(m, st->session.stored[a->n - 1] ? 1.0f : 0.0f);
			break;
		case LATHE_STATE_SNAPSHOT_ACTIVE:
			lo_message_add_float(m, (float)lathe_state_active_snapshot(st));
			break;
		case LATHE_STATE_SESSION_FILE:
			lo_message_add_string(m, st->file ? st->file : "");
			break;
		case LATHE_STATE_SESSION_DIRTY:
			lo_message_add_float(m, st->dirty ? 1.0f : 0.0f);
			break;
		default:
			break;
		}
		break;
	case LATHE_ADDRESS_ACTION:
		lo_message_free(m);
		return NULL;
	}
	return m;
}

static void reply_value(LatheOsc *o, Sender *s, const LatheAddress *a, const char *path)
{
	reply(o, s, path, osc_value_message(o, a));
}

/* ------------------------------------------------------------ arguments */

/* liblo's arguments are 4-byte aligned inside its message, but lo_arg is
 * a union with 8-byte members: reading one through the union is an
 * unaligned access (UBSan says so). The bytes are copied out instead. */
static float arg_float(const lo_arg *arg) { float v; memcpy(&v, arg, sizeof(v)); return v; }
static double arg_double(const lo_arg *arg) { double v; memcpy(&v, arg, sizeof(v)); return v; }
static int32_t arg_int32(const lo_arg *arg) { int32_t v; memcpy(&v, arg, sizeof(v)); return v; }
static int64_t arg_int64(const lo_arg *arg) { int64_t v; memcpy(&v, arg, sizeof(v)); return v; }

/* A number argument (f, d, i, h, T, F), or false. */
static bool number_arg(char type, const lo_arg *arg, double *x)
{
	switch (type) {
	case LO_FLOAT: *x = arg_float(arg); return true;
	case LO_DOUBLE: *x = arg_double(arg); return true;
	case LO_INT32: *x = arg_int32(arg); return true;
	case LO_INT64: *x = (double)arg_int64(arg); return true;
	case LO_TRUE: *x = 1.0; return true;
	case LO_FALSE: *x = 0.0; return true;
	default: return false;
	}
}

static bool string_arg(char type, const lo_arg *arg, const char **text)
{
	if (type != LO_STRING && type != LO_SYMBOL)
		return false;
	*text = (const char *)arg;
	return true;
}

/* ---------------------------------------------------------------- params */

/* A /norm value: the parameter's value at that travel; clamped if the
 * travel was outside 0..1 or the value moved to a step (the sender's
 * control then shows something else). */
static LatheValueStatus from_norm(const LatheParam *p, double x, float *v)
{
	if (!isfinite(x))
		return LATHE_VALUE_INVALID;
	*v = lathe_param_from_norm(p, x);
	return fabs(lathe_param_to_norm(p, *v) - x) > 1e-5 ? LATHE_VALUE_CLAMPED : LATHE_VALUE_OK;
}

static void set_param(LatheOsc *o, Sender *s, const LatheAddress *a, const char *path, char type,
		      const lo_arg *arg)
{
	const LatheParam *p = &lathe_params[a->id];
	double x;
	const char *text;
	float v = 0.0f;
	LatheValueStatus status;
	if (number_arg(type, arg, &x)) {
		if (a->norm)
			status = from_norm(p, x, &v);
		else
			status = isfinite(x) ? lathe_param_validate(p, x, &v) : LATHE_VALUE_INVALID;
	} else if (string_arg(type, arg, &text)) {
		if (a->norm) {
			char *end;
			x = strtod(text, &end);
			status = end == text || *end ? LATHE_VALUE_INVALID : from_norm(p, x, &v);
		} else {
			status = lathe_param_parse(p, text, &v);
		}
	} else {
		reply_error(o, s, path, "a value is a number (f, d, i, h), T/F or a string, not '%c'", type);
		reply_value(o, s, a, path);
		return;
	}
	if (status == LATHE_VALUE_INVALID) {
		reply_error(o, s, path, "not a value for %s (NaN, Inf or an unknown name); nothing changed",
		      path);
		reply_value(o, s, a, path);
		return;
	}
	lathe_state_set(o->state, a->target, a->id, v);
	o->changed = true;
	if (status == LATHE_VALUE_CLAMPED)
		reply_value(o, s, a, path); /* the value applied */
	else if (s->surface)
		osc_feedback_origin(o, s->surface, a, v);
}

static void set_order(LatheOsc *o, Sender *s, const LatheAddress *a, const char *path,
		      const char *types, lo_arg **argv, int argc)
{
	/* Nine names as nine strings, or one string of names. */
	char names[512] = "";
	size_t at = 0;
	for (int i = 0; i < argc; i++) {
		const char *text;
		if (!string_arg(types[i], argv[i], &text)) {
			reply_error(o, s, path, "the order is module names (s), not '%c'", types[i]);
			return;
		}
		at += (size_t)snprintf(names + at, sizeof(names) - at, "%s ", text);
		if (at >= sizeof(names))
			break;
	}
	LatheModuleId order[LATHE_MODULE_COUNT];
	int n = 0;
	bool ok = at < sizeof(names);
	for (char *save, *tok = strtok_r(names, " \t", &save); ok && tok;
	     tok = strtok_r(NULL, " \t", &save)) {
		int m = lathe_module_find(tok);
		ok = m >= 0 && n < LATHE_MODULE_COUNT;
		if (ok)
			order[n++] = (LatheModuleId)m;
	}
	if (!ok || n != LATHE_MODULE_COUNT || !lathe_state_set_order(o->state, a->target, order)) {
		reply_error(o, s, path, "the order names each of the %d modules once", LATHE_MODULE_COUNT);
		reply_value(o, s, a, path);
		return;
	}
	o->changed = true;
}

/* --------------------------------------------------------------- actions */

static void run_action(LatheOsc *o, Sender *s, const LatheAddress *a, const char *path,
		       const char *types, lo_arg **argv, int argc)
{
	const char *file = NULL;
	double x;
	if (a->id == LATHE_ACTION_SESSION_SAVE || a->id == LATHE_ACTION_SESSION_LOAD) {
		if (argc > 1 || (argc == 1 && !string_arg(types[0], argv[0], &file))) {
			reply_error(o, s, path, "takes one string, a file");
			return;
		}
	} else if (argc > 0) {
		if (!number_arg(types[0], argv[0], &x)) {
			reply_error(o, s, path, "an action takes no argument or a number");
			return;
		}
		if (x == 0.0)
			return; /* a button's release */
	}
	/* Over the network, a file name is a session's or a preset's: a
	 * surface cannot overwrite or read whatever else the user can. */
	if (file && a->id == LATHE_ACTION_SESSION_SAVE && !g_str_has_suffix(file, ".session")) {
		reply_error(o, s, path, "saves to a file ending in .session, not '%s'", file);
		return;
	}
	if (file && a->id == LATHE_ACTION_SESSION_LOAD && !g_str_has_suffix(file, ".session") &&
	    !g_str_has_suffix(file, ".preset")) {
		reply_error(o, s, path, "loads a file ending in .session or .preset, not '%s'", file);
		return;
	}
	char err[512];
	LatheAddress file_address = { .kind = LATHE_ADDRESS_STATE, .id = LATHE_STATE_SESSION_FILE };
	switch ((LatheActionId)a->id) {
	case LATHE_ACTION_CHAIN_TOGGLE:
		lathe_state_toggle_chain(o->state);
		break;
	case LATHE_ACTION_COPY_A_TO_B:
		lathe_state_copy(o->state, LATHE_CHAIN_A, LATHE_CHAIN_B);
		break;
	case LATHE_ACTION_COPY_B_TO_A:
		lathe_state_copy(o->state, LATHE_CHAIN_B, LATHE_CHAIN_A);
		break;
	case LATHE_ACTION_SNAPSHOT_STORE:
		lathe_state_store(o->state, a->n);
		break;
	case LATHE_ACTION_SNAPSHOT_RECALL:
		if (!lathe_state_recall(o->state, a->n))
			reply_error(o, s, path, "snapshot %d is empty", a->n);
		break;
	case LATHE_ACTION_LOUDNESS_RESET: {
		LatheMeters *m = o->host ? lathe_host_meters(o->host) : NULL;
		if (m)
			lathe_meters_reset(m);
		break;
	}
	case LATHE_ACTION_SESSION_SAVE:
		if (!lathe_state_save(o->state, file, err, sizeof(err)))
			reply_error(o, s, path, "%s", err);
		else
			reply_value(o, s, &file_address, "/session/file");
		break;
	case LATHE_ACTION_SESSION_LOAD:
		if (!file)
			reply_error(o, s, path, "takes one string, a file");
		else if (!lathe_state_load(o->state, file, NULL, err, sizeof(err)))
			reply_error(o, s, path, "%s", err);
		else
			reply_value(o, s, &file_address, "/session/file");
		break;
	default:
		break;
	}
	o->changed = true;
}

/* ------------------------------------------------------ server messages */

typedef struct {
	lo_message m;
} ListReply;

static void add_child(const char *child, void *data)
{
	lo_message_add_string(((ListReply *)data)->m, child);
}

/* One /lathe/param per address: parameters, actions, reported state. */
static void send_params(LatheOsc *o, Sender *s)
{
	const OscEndpoint *to = reply_to(s);
	OscOutbox *box = g_new0(OscOutbox, 1);
	int count = 0;
	for (int id = 0; id < LATHE_PARAM_COUNT; id++) {
		const LatheParam *p = &lathe_params[id];
		lo_message m = lo_message_new();
		lo_message_add_string(m, p->path);
		lo_message_add_string(m, lathe_param_in_chain(id) ? "chain" : "console");
		lo_message_add_string(m, p->label);
		lo_message_add_string(m, p->unit);
		lo_message_add_float(m, p->min);
		lo_message_add_float(m, p->max);
		lo_message_add_float(m, p->def);
		lo_message_add_string(m, lathe_taper_name(p->taper));
		lo_message_add_string(m, p->help);
		for (int k = 0; p->taper == LATHE_TAPER_ENUM && p->names[k]; k++)
			lo_message_add_string(m, p->names[k]);
		osc_outbox_add(o, box, to, "/lathe/param", m);
		lo_message_free(m);
		count++;
	}
	for (int g = 0; g < lathe_osc_group_count; g++) {
		const LatheOscGroup *group = &lathe_osc_groups[g];
		for (int i = 0; i < group->count; i++) {
			lo_message m = lo_message_new();
			lo_message_add_string(m, group->table[i].path);
			lo_message_add_string(m, group->scope);
			lo_message_add_string(m, group->table[i].args);
			lo_message_add_string(m, "");
			lo_message_add_float(m, 0.0f);
			lo_message_add_float(m, 0.0f);
			lo_message_add_float(m, 0.0f);
			lo_message_add_string(m, group->scope);
			lo_message_add_string(m, group->table[i].help);
			osc_outbox_add(o, box, to, "/lathe/param", m);
			lo_message_free(m);
			count++;
		}
	}
	lo_message end = lo_message_new();
	lo_message_add_int32(end, count);
	osc_outbox_add(o, box, to, "/lathe/params/end", end);
	lo_message_free(end);
	osc_outbox_flush(o, box, to);
	g_free(box);
}

/* "/lathe/registered", then (if dump) every fed-back value. */
static void registered(LatheOsc *o, OscSurface *surface, bool dump)
{
	lo_message m = lo_message_new();
	lo_message_add_int32(m, osc_endpoint_port(&surface->reply));
	lo_message_add_float(m, (float)o->config.expiry_s);
	osc_outbox_add(o, &surface->out, &surface->reply, "/lathe/registered", m);
	lo_message_free(m);
	if (dump)
		osc_feedback_dump(o, surface);
	else
		osc_outbox_flush(o, &surface->out, &surface->reply);
}

/* A port argument (i, f, d, h), or -1 if there is none or it is not one. */
static int port_arg(const char *types, lo_arg **argv, int argc)
{
	double x;
	if (argc < 1 || !number_arg(types[0], argv[0], &x) || x != floor(x) || x < 1 || x > 65535)
		return -1;
	return (int)x;
}

static void control(LatheOsc *o, Sender *s, const char *path, const char *types, lo_arg **argv,
		    int argc)
{
	if (strcmp(path, "/lathe/register") == 0) {
		int port = argc ? port_arg(types, argv, argc) : 0;
		if (port < 0) {
			reply_error(o, s, path, "takes a port, 1 to 65535, or nothing");
			return;
		}
		OscSurface *surface = osc_surface_register(o, &s->from, port);
		if (!surface) {
			reply_error(o, s, path, "%d surfaces are registered: no room for more", OSC_MAX_SURFACES);
			return;
		}
		s->surface = surface;
		/* Registering again renews; the whole state again, at most
		 * HEAVY_PER_S a second. */
		registered(o, surface, take_heavy(o, s));
	} else if (strcmp(path, "/lathe/unregister") == 0) {
		if (s->surface)
			osc_surface_unregister(o, s->surface);
		s->surface = NULL;
	} else if (strcmp(path, "/lathe/meters") == 0) {
		double hz = 20.0;
		if (argc > 1 || (argc == 1 && (!number_arg(types[0], argv[0], &hz) || !isfinite(hz)))) {
			reply_error(o, s, path, "takes a rate in Hz (10 to 25; 0 stops), or nothing");
			return;
		}
		if (!s->surface) {
			s->surface = osc_surface_register(o, &s->from, 0);
			if (!s->surface) {
				reply_error(o, s, path, "no room for another surface");
				return;
			}
			registered(o, s->surface, true);
		}
		s->surface->meter_hz = hz <= 0.0 ? 0 : (int)lrint(fmin(25.0, fmax(10.0, hz)));
		s->surface->meter_due = g_get_monotonic_time();
	} else if (strcmp(path, "/lathe/list") == 0) {
		const char *dir = "/";
		if (argc > 1 || (argc == 1 && !string_arg(types[0], argv[0], &dir))) {
			reply_error(o, s, path, "takes a path (s), or nothing for /");
			return;
		}
		ListReply r = { lo_message_new() };
		lo_message_add_string(r.m, dir);
		if (lathe_namespace_children(dir, add_child, &r) == 0) {
			lo_message_free(r.m);
			reply_error(o, s, path, "'%s' has no children", dir);
			return;
		}
		reply(o, s, "/lathe/list", r.m);
	} else if (strcmp(path, "/lathe/params") == 0) {
		if (take_heavy(o, s))
			send_params(o, s);
	} else if (strcmp(path, "/lathe/ping") == 0) {
		lo_message m = lo_message_new();
		for (int i = 0; i < argc; i++) {
			double x;
			const char *text;
			if (types[i] == LO_INT32)
				lo_message_add_int32(m, arg_int32(argv[i]));
			else if (types[i] == LO_FLOAT)
				lo_message_add_float(m, arg_float(argv[i]));
			else if (string_arg(types[i], argv[i], &text))
				lo_message_add_string(m, text);
			else if (number_arg(types[i], argv[i], &x))
				lo_message_add_double(m, x);
		}
		reply(o, s, "/lathe/pong", m);
	} else {
		reply_error(o, s, path, "unknown server message (/lathe/register, unregister, meters, "
				  "list, params, ping)");
	}
}

/* --------------------------------------------------------------- dispatch */

static void handle(LatheOsc *o, Sender *s, const char *path, lo_message m)
{
	const char *types = lo_message_get_types(m);
	lo_arg **argv = lo_message_get_argv(m);
	int argc = lo_message_get_argc(m);
	o->status.messages++;
	if (strncmp(path, "/lathe/", 7) == 0) {
		control(o, s, path, types, argv, argc);
		return;
	}
	LatheAddress a;
	if (!lathe_address_parse(path, &a)) {
		reply_error(o, s, path, "unknown path; the closest is %s (/lathe/list lists them)",
		      lathe_param_closest(path));
		return;
	}
	switch (a.kind) {
	case LATHE_ADDRESS_PARAM:
		if (argc == 0)
			reply_value(o, s, &a, path);
		else if (argc > 1) {
			reply_error(o, s, path, "takes one value (or none, to ask for it), not %d", argc);
			reply_value(o, s, &a, path);
		} else
			set_param(o, s, &a, path, types[0], argv[0]);
		break;
	case LATHE_ADDRESS_ORDER:
		if (argc == 0)
			reply_value(o, s, &a, path);
		else
			set_order(o, s, &a, path, types, argv, argc);
		break;
	case LATHE_ADDRESS_ACTION:
		run_action(o, s, &a, path, types, argv, argc);
		break;
	case LATHE_ADDRESS_STATE:
		if (argc != 0)
			reply_error(o, s, path, "is reported, not set");
		reply_value(o, s, &a, path);
		break;
	}
}

/* The messages of one datagram, parsed before any is applied. */
typedef struct {
	const char *path;
	lo_message message;
} Parsed;
/* The smallest message is 8 bytes ("/" and ",", each padded to 4). */
#define MAX_PARSED (OSC_MAX_PACKET / 8)

/* Parse a message or a bundle (nested at most 4 deep) into list; false if
 * any part of it is damaged. */
static bool parse(uint8_t *data, size_t size, int depth, Parsed *list, int *count)
{
	if (size >= 16 && memcmp(data, "#bundle", 8) == 0) {
		if (depth >= 4)
			return false;
		for (size_t at = 16; at < size;) {
			uint32_t be;
			if (size - at < 4)
				return false;
			memcpy(&be, data + at, 4);
			size_t len = ntohl(be);
			if (len == 0 || len % 4 || len > size - at - 4 ||
			    !parse(data + at + 4, len, depth + 1, list, count))
				return false;
			at += 4 + len;
		}
		return true;
	}
	int result = 0;
	lo_message m = size >= 8 && *count < MAX_PARSED ? lo_message_deserialise(data, size, &result)
							 : NULL;
	if (!m)
		return false;
	/* A valid message starts with its path, a terminated string. */
	list[(*count)++] = (Parsed){ (const char *)data, m };
	return true;
}

/* One datagram: all of it, or (damaged anywhere) none of it. Bundles are
 * applied at once, whatever their time tag. */
static void dispatch(LatheOsc *o, Sender *s, uint8_t *data, size_t size)
{
	Parsed *list = o->parsed;
	int count = 0;
	bool ok = parse(data, size, 0, list, &count);
	for (int i = 0; i < count; i++) {
		if (ok)
			handle(o, s, list[i].path, list[i].message);
		lo_message_free(list[i].message);
	}
	if (!ok)
		o->status.dropped++;
}

static gboolean readable_cb(gint fd, GIOCondition condition, gpointer data)
{
	(void)condition;
	LatheOsc *o = data;
	for (int i = 0; i < READ_BUDGET; i++) {
		Sender s = { .from.len = sizeof(s.from.addr) };
		ssize_t n = recvfrom(fd, o->packet, OSC_MAX_PACKET + 1, MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&s.from.addr, &s.from.len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* EAGAIN: all read */
		}
		if (!allowed(o, &s.from)) {
			refuse(o, &s.from);
			continue;
		}
		if (n > OSC_MAX_PACKET || n % 4) {
			o->status.dropped++;
			continue;
		}
		s.peer = peer_of(o, &s.from);
		s.surface = osc_surface_find(o, &s.from);
		if (s.surface)
			s.surface->heard = g_get_monotonic_time();
		else if (o->config.auto_register && (s.surface = osc_surface_register(o, &s.from, 0)))
			registered(o, s.surface, true);
		dispatch(o, &s, o->packet, (size_t)n);
	}
	/* One sync for the whole batch: one change per value reaches the audio
	 * thread, however many messages set it. */
	if (o->changed) {
		lathe_state_sync(o->state);
		o->changed = false;
	}
	for (int i = 0; i < o->surfaces; i++)
		osc_outbox_flush(o, &o->surface[i]->out, &o->surface[i]->reply);
	/* The change to the other surfaces now, if the rate allows. */
	osc_feedback_send(o);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------ public */

/* A UDP socket on every interface, IPv6 and IPv4 if the system has IPv6. */
static int open_socket(int port, char *err, size_t err_size)
{
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int rc;
	if (fd >= 0) {
		int off = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port),
					  .sin6_addr = in6addr_any };
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	} else {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			snprintf(err, err_size, "OSC: cannot open a UDP socket: %s", strerror(errno));
			return -1;
		}
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
					 .sin_addr.s_addr = htonl(INADDR_ANY) };
		rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
	}
	if (rc != 0) {
		if (errno == EADDRINUSE)
			snprintf(err, err_size, "OSC port %d is in use (another lathe?): choose one "
						"with --osc-port N, or --osc-port 0 for none", port);
		else
			snprintf(err, err_size, "OSC: cannot use UDP port %d: %s", port, strerror(errno));
		close(fd);
		return -1;
	}
	/* Room for a burst from a busy surface (the kernel may cap it). */
	int bytes = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	return fd;
}

LatheOsc *lathe_osc_new(LatheState *state, LatheHost *host, const LatheOscConfig *config,
			char *err, size_t err_size)
{
	if (config->port < 1 || config->port > 65535) {
		snprintf(err, err_size, "OSC port %d: a port is 1 to 65535 (0: no OSC)", config->port);
		return NULL;
	}
	LatheOsc *o = g_new0(LatheOsc, 1);
	o->state = state;
	o->host = host;
	o->config = *config;
	for (int i = 0; i < config->allow_count; i++) {
		if (!lathe_cidr_parse(config->allow[i], &o->allow[i])) {
			snprintf(err, err_size, "--osc-allow %s: not a network (192.168.1.0/24, "
						"10.0.0.7, fd00::/8)", config->allow[i]);
			g_free(o);
			return NULL;
		}
		o->allow_count++;
	}
	o->fd = open_socket(config->port, err, err_size);
	if (o->fd < 0) {
		g_free(o);
		return NULL;
	}
	o->port = config->port;
	o->status.port = config->port;
	o->packet = g_malloc(OSC_MAX_PACKET + 1);
	o->parsed = g_malloc(sizeof(Parsed) * MAX_PARSED);
	o->peers = g_new0(OscPeer, PEERS);
	o->refused_said = g_malloc0(REFUSED_SAID_MAX * 64);
	o->next_surface_id = 1;
	o->read_id = g_unix_fd_add(o->fd, G_IO_IN, readable_cb, o);
	o->tick_id = g_timeout_add(OSC_TICK_MS, osc_feedback_tick, o);
	if (config->advertise) {
		char name[128];
		snprintf(name, sizeof(name), "lathe on %s", g_get_host_name());
		o->zeroconf = lathe_zeroconf_new(name, config->port);
	}
	return o;
}

void lathe_osc_free(LatheOsc *o)
{
	if (!o)
		return;
	lathe_zeroconf_free(o->zeroconf);
	if (o->read_id)
		g_source_remove(o->read_id);
	if (o->tick_id)
		g_source_remove(o->tick_id);
	osc_feedback_free(o);
	close(o->fd);
	g_free(o->packet);
	g_free(o->parsed);
	g_free(o->peers);
	g_free(o->refused_said);
	g_free(o);
}

void lathe_osc_status(const LatheOsc *o, LatheOscStatus *status)
{
	*status = o->status;
	status->surfaces = o->surfaces;
}
