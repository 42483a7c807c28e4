/* lathe — OSC surfaces and their feedback (see osc.h; the protocol:
 * osc/README.md).
 *
 * Feedback is a diff, like the state's sync to the audio thread: every
 * tick (25 ms) the fed-back values are compared with a shadow of what was
 * last sent, and what differs goes to every surface. So every change is
 * seen, whoever made it (a surface, the command line, a recall, a load, the
 * GUI); an address is sent at most once a tick, with its latest value; and
 * an unchanged value is never sent. The one exception to "every surface"
 * is the surface that set a value: its origin is noted, and that address is
 * not echoed to it.
 */
#include "server.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Levels with nothing measured (or of silence) are sent as this. */
#define METER_FLOOR_DB -120.0f

/* ----------------------------------------------------------- surfaces */

OscSurface *osc_surface_find(LatheOsc *o, const OscEndpoint *from)
{
	int port = osc_endpoint_port(from);
	for (int i = 0; i < o->surfaces; i++) {
		OscSurface *s = o->surface[i];
		/* It sends from where it registered, or from its reply port. */
		if (osc_same_host(&s->from, from) &&
		    (osc_endpoint_port(&s->from) == port || osc_endpoint_port(&s->reply) == port))
			return s;
	}
	return NULL;
}

OscSurface *osc_surface_register(LatheOsc *o, const OscEndpoint *from, int reply_port)
{
	OscEndpoint reply = *from;
	if (reply_port > 0)
		osc_set_port(&reply, reply_port);
	/* A surface is where its feedback goes: registering again (from any
	 * port) renews it. */
	OscSurface *s = NULL;
	for (int i = 0; i < o->surfaces && !s; i++)
		if (osc_same_endpoint(&o->surface[i]->reply, &reply))
			s = o->surface[i];
	if (!s)
		s = osc_surface_find(o, from);
	if (!s) {
		if (o->surfaces == OSC_MAX_SURFACES)
			return NULL;
		s = g_new0(OscSurface, 1);
		s->id = o->next_surface_id++;
		s->true_peak[0] = s->true_peak[1] = -INFINITY;
		s->sample_peak[0] = s->sample_peak[1] = -INFINITY;
		o->surface[o->surfaces++] = s;
		char text[64];
		lathe_address_text((const struct sockaddr *)&reply.addr, text, sizeof(text));
		g_printerr("lathe: OSC: surface %s port %d registered\n", text,
			   osc_endpoint_port(&reply));
	}
	s->from = *from;
	s->reply = reply;
	s->heard = g_get_monotonic_time();
	return s;
}

void osc_surface_unregister(LatheOsc *o, OscSurface *s)
{
	for (int i = 0; i < o->surfaces; i++) {
		if (o->surface[i] != s)
			continue;
		osc_outbox_flush(o, &s->out, &s->reply);
		o->surface[i] = o->surface[--o->surfaces];
		g_free(s);
		return;
	}
}

static void expire(LatheOsc *o, gint64 now)
{
	if (o->config.expiry_s <= 0.0)
		return;
	gint64 limit = (gint64)(o->config.expiry_s * G_USEC_PER_SEC);
	for (int i = 0; i < o->surfaces;) {
		OscSurface *s = o->surface[i];
		if (now - s->heard > limit) {
			char text[64];
			lathe_address_text((const struct sockaddr *)&s->reply.addr, text, sizeof(text));
			g_printerr("lathe: OSC: surface %s port %d expired (silent for %g s)\n", text,
				   osc_endpoint_port(&s->reply), o->config.expiry_s);
			osc_surface_unregister(o, s);
			continue;
		}
		i++;
	}
}

void osc_feedback_free(LatheOsc *o)
{
	while (o->surfaces)
		osc_surface_unregister(o, o->surface[0]);
}

/* --------------------------------------------------------------- slots */

/* A parameter slot's address (scope 0: the selected chain, 1: A, 2: B;
 * console controls after the chains). */
static LatheAddress slot_address(int slot, bool norm)
{
	LatheAddress a = { .kind = LATHE_ADDRESS_PARAM, .norm = norm, .target = LATHE_TARGET_SELECTED };
	if (slot < OSC_SCOPES * LATHE_CHAIN_PARAM_COUNT) {
		int scope = slot / LATHE_CHAIN_PARAM_COUNT;
		a.target = scope == 0 ? LATHE_TARGET_SELECTED : scope - 1;
		a.id = slot % LATHE_CHAIN_PARAM_COUNT;
	} else {
		a.id = LATHE_CHAIN_PARAM_COUNT + (slot - OSC_SCOPES * LATHE_CHAIN_PARAM_COUNT);
	}
	return a;
}

static int address_slot(const LatheAddress *a)
{
	if (!lathe_param_in_chain(a->id))
		return OSC_SCOPES * LATHE_CHAIN_PARAM_COUNT + (a->id - LATHE_CHAIN_PARAM_COUNT);
	int scope = a->target == LATHE_TARGET_SELECTED ? 0 : a->target + 1;
	return scope < OSC_SCOPES ? scope * LATHE_CHAIN_PARAM_COUNT + a->id : -1;
}

static float slot_value(const LatheOsc *o, int slot)
{
	LatheAddress a = slot_address(slot, false);
	return lathe_state_get(o->state, a.target, a.id);
}

static const LatheModuleId *scope_order(const LatheOsc *o, int scope)
{
	return lathe_state_settings(o->state, scope == 0 ? LATHE_TARGET_SELECTED : scope - 1)->order;
}

void osc_feedback_origin(LatheOsc *o, const OscSurface *s, const LatheAddress *a, float value)
{
	int slot = address_slot(a);
	if (slot >= 0)
		o->origin[slot] = (OscOrigin){ .surface = s->id, .norm = a->norm, .value = value };
}

/* ------------------------------------------------------------- sending */

/* Send an address's current value to one surface, or to all (except the
 * origin's surface for its own address) when to is NULL. */
static void send_address(LatheOsc *o, OscSurface *to, const LatheAddress *a, const OscOrigin *origin)
{
	char path[160];
	lathe_address_format(a, path, sizeof(path));
	lo_message m = osc_value_message(o, a);
	if (!m)
		return;
	for (int i = 0; i < o->surfaces; i++) {
		OscSurface *s = o->surface[i];
		if (to && s != to)
			continue;
		if (origin && origin->surface == s->id && origin->norm == a->norm)
			continue;
		osc_outbox_add(o, &s->out, &s->reply, path, m);
	}
	lo_message_free(m);
}

static void send_slot(LatheOsc *o, OscSurface *to, int slot, const OscOrigin *origin)
{
	for (int form = 0; form < 2; form++) {
		LatheAddress a = slot_address(slot, form == 1);
		send_address(o, to, &a, origin);
	}
}

static LatheAddress state_address(LatheStateAddress id, int n)
{
	return (LatheAddress){ .kind = LATHE_ADDRESS_STATE, .id = id, .n = n };
}

static LatheAddress order_address(int scope)
{
	return (LatheAddress){ .kind = LATHE_ADDRESS_ORDER,
			       .target = scope == 0 ? LATHE_TARGET_SELECTED : scope - 1 };
}

/* The shadow equal to the state now. */
static void take_shadow(LatheOsc *o)
{
	OscShadow *sh = &o->shadow;
	const LatheState *st = o->state;
	for (int slot = 0; slot < OSC_SLOTS; slot++)
		sh->value[slot] = slot_value(o, slot);
	for (int scope = 0; scope < OSC_SCOPES; scope++)
		memcpy(sh->order[scope], scope_order(o, scope), sizeof(sh->order[scope]));
	memcpy(sh->stored, st->session.stored, sizeof(sh->stored));
	sh->active = lathe_state_active_snapshot(st);
	sh->dirty = st->dirty;
	snprintf(sh->file, sizeof(sh->file), "%s", st->file ? st->file : "");
	sh->valid = true;
}

void osc_feedback_dump(LatheOsc *o, OscSurface *s)
{
	/* The first surface: from now on, changes are against this. */
	if (!o->shadow.valid)
		take_shadow(o);
	for (int slot = 0; slot < OSC_SLOTS; slot++)
		send_slot(o, s, slot, NULL);
	for (int scope = 0; scope < OSC_SCOPES; scope++) {
		LatheAddress a = order_address(scope);
		send_address(o, s, &a, NULL);
	}
	for (int n = 1; n <= LATHE_SNAPSHOT_COUNT; n++) {
		LatheAddress a = state_address(LATHE_STATE_SNAPSHOT_STORED, n);
		send_address(o, s, &a, NULL);
	}
	for (int id = LATHE_STATE_SNAPSHOT_ACTIVE; id < LATHE_STATE_ADDRESS_COUNT; id++) {
		LatheAddress a = state_address((LatheStateAddress)id, 0);
		send_address(o, s, &a, NULL);
	}
	osc_outbox_flush(o, &s->out, &s->reply);
}

/* What changed since the last tick, to every surface; how many values. */
static int send_changes(LatheOsc *o)
{
	int sent = 0;
	OscShadow *sh = &o->shadow;
	const LatheState *st = o->state;
	for (int slot = 0; slot < OSC_SLOTS; slot++) {
		float v = slot_value(o, slot);
		if (v == sh->value[slot])
			continue;
		sh->value[slot] = v;
		/* The origin counts only if its value is still the value: a
		 * later change by another (a recall) goes to it too. */
		const OscOrigin *origin = o->origin[slot].surface && o->origin[slot].value == v
						  ? &o->origin[slot] : NULL;
		send_slot(o, NULL, slot, origin);
		sent++;
	}
	for (int scope = 0; scope < OSC_SCOPES; scope++) {
		const LatheModuleId *order = scope_order(o, scope);
		if (memcmp(order, sh->order[scope], sizeof(sh->order[scope])) == 0)
			continue;
		memcpy(sh->order[scope], order, sizeof(sh->order[scope]));
		LatheAddress a = order_address(scope);
		send_address(o, NULL, &a, NULL);
		sent++;
	}
	for (int n = 1; n <= LATHE_SNAPSHOT_COUNT; n++) {
		if (st->session.stored[n - 1] == sh->stored[n - 1])
			continue;
		sh->stored[n - 1] = st->session.stored[n - 1];
		LatheAddress a = state_address(LATHE_STATE_SNAPSHOT_STORED, n);
		send_address(o, NULL, &a, NULL);
		sent++;
	}
	int active = lathe_state_active_snapshot(st);
	if (active != sh->active) {
		sh->active = active;
		LatheAddress a = state_address(LATHE_STATE_SNAPSHOT_ACTIVE, 0);
		send_address(o, NULL, &a, NULL);
		sent++;
	}
	if (st->dirty != sh->dirty) {
		sh->dirty = st->dirty;
		LatheAddress a = state_address(LATHE_STATE_SESSION_DIRTY, 0);
		send_address(o, NULL, &a, NULL);
		sent++;
	}
	const char *file = st->file ? st->file : "";
	if (strcmp(file, sh->file) != 0) {
		snprintf(sh->file, sizeof(sh->file), "%s", file);
		LatheAddress a = state_address(LATHE_STATE_SESSION_FILE, 0);
		send_address(o, NULL, &a, NULL);
		sent++;
	}
	return sent;
}

/* ---------------------------------------------------------------- meters */

static float floored(float db)
{
	return isfinite(db) && db > METER_FLOOR_DB ? db : METER_FLOOR_DB;
}

static void add_floats(LatheOsc *o, OscSurface *s, const char *path, const float *v, int n)
{
	lo_message m = lo_message_new();
	for (int i = 0; i < n; i++)
		lo_message_add_float(m, v[i]);
	osc_outbox_add(o, &s->out, &s->reply, path, m);
	lo_message_free(m);
}

static void add_string(LatheOsc *o, OscSurface *s, const char *path, const char *text)
{
	lo_message m = lo_message_new();
	lo_message_add_string(m, text);
	osc_outbox_add(o, &s->out, &s->reply, path, m);
	lo_message_free(m);
}

static void send_meters(LatheOsc *o, OscSurface *s, const LatheMeterReading *r,
			const LatheEngineStatus *status)
{
	/* Their own bundle, apart from the values fed back this tick. */
	osc_outbox_flush(o, &s->out, &s->reply);
	/* The newest reading joins: two bundles can fall between two readings
	 * (both come about 20 times a second), and the second would otherwise
	 * have seen no peak at all and read as silence. */
	float tp[2], sp[2];
	for (int c = 0; c < 2; c++) {
		tp[c] = floored(fmaxf(s->true_peak[c], r->true_peak[c]));
		sp[c] = floored(fmaxf(s->sample_peak[c], r->sample_peak[c]));
	}
	add_floats(o, s, "/meter/true_peak", tp, 2);
	add_floats(o, s, "/meter/sample_peak", sp, 2);
	s->true_peak[0] = s->true_peak[1] = s->sample_peak[0] = s->sample_peak[1] = -INFINITY;
	const struct {
		const char *path;
		float value;
	} levels[] = {
		{ "/meter/true_peak_max", r->true_peak_max }, { "/meter/momentary", r->momentary },
		{ "/meter/short_term", r->short_term },       { "/meter/integrated", r->integrated },
		{ "/meter/lra", r->lra },                      { "/meter/plr", r->plr },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		float v = floored(levels[i].value);
		add_floats(o, s, levels[i].path, &v, 1);
	}
	float corr = isfinite(r->correlation) ? r->correlation : 0.0f;
	add_floats(o, s, "/meter/correlation", &corr, 1);
	int chain = status->chain;
	for (int mod = 0; mod < LATHE_MODULE_COUNT; mod++) {
		if (!lathe_module_classes[mod]->gain_reduction)
			continue;
		/* A module switched off reduces nothing: one 0. */
		int n = status->gr_count[chain][mod];
		float zero = 0.0f;
		char path[64];
		snprintf(path, sizeof(path), "/meter/gr/%s", lathe_module_classes[mod]->name);
		add_floats(o, s, path, n ? status->gain_reduction[chain][mod] : &zero, n ? n : 1);
	}
	static const char *const sources[] = { "a", "b", "input", "reference" };
	add_string(o, s, "/meter/chain", chain ? "b" : "a");
	add_string(o, s, "/meter/source", sources[status->source % LATHE_SOURCE_COUNT]);
	float active = (float)lathe_state_active_snapshot(o->state);
	add_floats(o, s, "/meter/snapshot", &active, 1);
	osc_outbox_flush(o, &s->out, &s->reply);
}

static void meters(LatheOsc *o, gint64 now)
{
	LatheMeters *m = o->host ? lathe_host_meters(o->host) : NULL;
	if (!m)
		return;
	/* Each new reading's peaks (the highest since the one before) join
	 * every metering surface's maximum, kept until its bundle is due. */
	LatheChainId chain = lathe_session_selected(&o->state->session);
	const LatheMeterReading *r = &m->reading[chain == LATHE_CHAIN_B ? LATHE_TAP_B : LATHE_TAP_A];
	bool fresh = m->serial != o->meter_serial;
	o->meter_serial = m->serial;
	for (int i = 0; i < o->surfaces; i++) {
		OscSurface *s = o->surface[i];
		if (!s->meter_hz)
			continue;
		for (int c = 0; c < 2 && fresh; c++) {
			s->true_peak[c] = fmaxf(s->true_peak[c], r->true_peak[c]);
			s->sample_peak[c] = fmaxf(s->sample_peak[c], r->sample_peak[c]);
		}
		if (now < s->meter_due)
			continue;
		gint64 period = G_USEC_PER_SEC / s->meter_hz;
		s->meter_due = now - s->meter_due > period ? now + period : s->meter_due + period;
		send_meters(o, s, r, &m->status);
	}
}

void osc_feedback_send(LatheOsc *o)
{
	gint64 now = g_get_monotonic_time();
	if (now - o->fed_at < OSC_FEEDBACK_US)
		return; /* the next tick will */
	if (o->surfaces) {
		if (!o->shadow.valid)
			take_shadow(o);
		/* The clock starts when something goes out: a change after a
		 * quiet spell goes at once, a moving control 40 times a second. */
		if (send_changes(o))
			o->fed_at = now;
		for (int i = 0; i < o->surfaces; i++)
			osc_outbox_flush(o, &o->surface[i]->out, &o->surface[i]->reply);
	}
	memset(o->origin, 0, sizeof(o->origin));
}

gboolean osc_feedback_tick(gpointer data)
{
	LatheOsc *o = data;
	gint64 now = g_get_monotonic_time();
	expire(o, now);
	if (o->surfaces == 0) {
		o->shadow.valid = false;
		memset(o->origin, 0, sizeof(o->origin));
		return G_SOURCE_CONTINUE;
	}
	osc_feedback_send(o);
	meters(o, now);
	return G_SOURCE_CONTINUE;
}
