/* lathe — the canonical state and its link to the audio thread (see state.h). */
#include "state.h"

#include <stdlib.h>
#include <string.h>

LatheState *lathe_state_new(void)
{
	LatheState *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	lathe_session_default(&st->session);
	return st;
}

void lathe_state_free(LatheState *st)
{
	if (!st)
		return;
	free(st->file);
	free(st);
}

static void set_file(LatheState *st, const char *file)
{
	if (st->file && strcmp(st->file, file) == 0)
		return;
	free(st->file);
	st->file = strdup(file);
}

bool lathe_state_assign(LatheState *st, const char *path, const char *text, bool *clamped,
			char *err, size_t err_size)
{
	if (!lathe_session_assign(&st->session, path, text, LATHE_PLAIN_SELECTED, clamped, err,
				  err_size))
		return false;
	st->dirty = true;
	lathe_state_sync(st);
	return true;
}

bool lathe_state_load(LatheState *st, const char *file, FILE *warnings, char *err,
		      size_t err_size)
{
	if (!lathe_session_load(file, &st->session, warnings, err, err_size))
		return false;
	set_file(st, file);
	st->dirty = false;
	st->snapshot_last = 0;
	st->connections_loaded = true;
	lathe_state_sync(st);
	return true;
}

bool lathe_state_save(LatheState *st, const char *file, char *err, size_t err_size)
{
	if (!file)
		file = st->file;
	if (!file) {
		snprintf(err, err_size, "no session file to save to: name one");
		return false;
	}
	if (!lathe_session_save(file, &st->session, err, err_size))
		return false;
	set_file(st, file);
	st->dirty = false;
	return true;
}

static LatheSettings *settings_of(LatheState *st, int target)
{
	LatheSession *s = &st->session;
	if (target == LATHE_TARGET_SELECTED)
		return &s->chain[lathe_session_selected(s)];
	if (target == LATHE_TARGET_A || target == LATHE_TARGET_B)
		return &s->chain[target];
	int n = target - 1;
	return n >= 1 && n <= LATHE_SNAPSHOT_COUNT ? &s->snapshot[n - 1] : NULL;
}

const LatheSettings *lathe_state_settings(const LatheState *st, int target)
{
	return settings_of((LatheState *)st, target);
}

float lathe_state_get(const LatheState *st, int target, int id)
{
	if (!lathe_param_in_chain(id))
		return st->session.console[lathe_params[id].index];
	const LatheSettings *s = lathe_state_settings(st, target);
	return s ? s->value[id] : lathe_params[id].def;
}

/* A snapshot that is written to becomes stored, from the defaults. */
static LatheSettings *writable(LatheState *st, int target)
{
	int n = target - 1;
	if (n >= 1 && n <= LATHE_SNAPSHOT_COUNT && !st->session.stored[n - 1]) {
		lathe_settings_default(&st->session.snapshot[n - 1]);
		st->session.stored[n - 1] = true;
	}
	return settings_of(st, target);
}

void lathe_state_set(LatheState *st, int target, int id, float value)
{
	if (!lathe_param_in_chain(id)) {
		lathe_console_set(st->session.console, lathe_params[id].index, value);
	} else {
		LatheSettings *s = writable(st, target);
		if (!s)
			return;
		s->value[id] = value;
	}
	st->dirty = true;
}

bool lathe_state_set_order(LatheState *st, int target, const LatheModuleId order[LATHE_MODULE_COUNT])
{
	if (!lathe_order_valid(order) || !settings_of(st, target))
		return false;
	memcpy(writable(st, target)->order, order, sizeof(LatheModuleId) * LATHE_MODULE_COUNT);
	st->dirty = true;
	return true;
}

void lathe_state_toggle_chain(LatheState *st)
{
	int other = lathe_session_selected(&st->session) == LATHE_CHAIN_A ? LATHE_CHAIN_B : LATHE_CHAIN_A;
	lathe_console_set(st->session.console, LATHE_CONSOLE_CHAIN, (float)other);
	st->dirty = true;
}

void lathe_state_copy(LatheState *st, LatheChainId from, LatheChainId to)
{
	lathe_session_copy(&st->session, from, to);
	st->dirty = true;
}

bool lathe_state_store(LatheState *st, int n)
{
	if (!lathe_session_store(&st->session, n, lathe_session_selected(&st->session)))
		return false;
	st->snapshot_last = n;
	st->dirty = true;
	return true;
}

bool lathe_state_recall(LatheState *st, int n)
{
	if (!lathe_session_recall(&st->session, n, lathe_session_selected(&st->session)))
		return false;
	st->snapshot_last = n;
	st->dirty = true;
	return true;
}

int lathe_state_active_snapshot(const LatheState *st)
{
	int n = st->snapshot_last;
	if (n < 1 || n > LATHE_SNAPSHOT_COUNT || !st->session.stored[n - 1])
		return 0;
	const LatheSettings *now = &st->session.chain[lathe_session_selected(&st->session)];
	return memcmp(now, &st->session.snapshot[n - 1], sizeof(*now)) == 0 ? n : 0;
}

void lathe_state_attach(LatheState *st, LatheProcess *process)
{
	LatheEngine *e = process->engine;
	for (int c = 0; c < 2; c++) {
		lathe_engine_apply(e, (LatheChainId)c, &st->session.chain[c]);
		lathe_engine_maintain(e, (LatheChainId)c, st->session.chain[c].value);
		st->sent_chain[c] = st->session.chain[c];
	}
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		lathe_engine_set_console(e, k, st->session.console[k]);
	memcpy(st->sent_console, st->session.console, sizeof(st->sent_console));
	lathe_engine_snap(e);
	st->process = process;
}

void lathe_state_detach(LatheState *st) { st->process = NULL; }

/* Send what differs in one chain. False if the ring filled up. */
static bool sync_chain(LatheState *st, LatheChainId c)
{
	const LatheSettings *want = &st->session.chain[c];
	LatheSettings *sent = &st->sent_chain[c];
	bool order_changed = memcmp(want->order, sent->order, sizeof(want->order)) != 0;
	int changed = 0;
	for (int id = 0; id < LATHE_CHAIN_PARAM_COUNT; id++)
		changed += want->value[id] != sent->value[id];
	if (!changed && !order_changed)
		return true;

	/* The linear-phase EQ kernel is designed here, off the audio thread,
	 * before the values reach it. */
	lathe_engine_maintain(st->process->engine, c, want->value);

	/* One value (a control moving) travels by value; more at once (a load,
	 * a recall, a copy) as one object, so it takes effect in one cycle. */
	if (changed > 1 || (changed && order_changed)) {
		LatheSettings *copy = malloc(sizeof(*copy));
		if (!copy)
			return false;
		*copy = *want;
		LatheCommand cmd = { .kind = LATHE_COMMAND_SETTINGS, .chain = (uint8_t)c,
				     .settings = copy };
		if (!lathe_process_send(st->process, &cmd)) {
			free(copy);
			return false;
		}
		*sent = *want;
		return true;
	}
	for (int id = 0; id < LATHE_CHAIN_PARAM_COUNT; id++) {
		if (want->value[id] == sent->value[id])
			continue;
		LatheCommand cmd = { .kind = LATHE_COMMAND_CHAIN, .chain = (uint8_t)c,
				     .id = (uint16_t)id, .value = want->value[id] };
		if (!lathe_process_send(st->process, &cmd))
			return false;
		sent->value[id] = want->value[id];
	}
	if (order_changed) {
		LatheCommand cmd = { .kind = LATHE_COMMAND_ORDER, .chain = (uint8_t)c };
		for (int i = 0; i < LATHE_MODULE_COUNT; i++)
			cmd.order[i] = (uint8_t)want->order[i];
		if (!lathe_process_send(st->process, &cmd))
			return false;
		memcpy(sent->order, want->order, sizeof(sent->order));
	}
	return true;
}

bool lathe_state_sync(LatheState *st)
{
	if (!st->process)
		return true; /* attach sends everything */
	lathe_process_collect(st->process);
	for (int c = 0; c < 2; c++)
		if (!sync_chain(st, (LatheChainId)c))
			return false;
	/* In registry order: the A/B toggle before the source it may move. */
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++) {
		float v = st->session.console[k];
		if (v == st->sent_console[k])
			continue;
		LatheCommand cmd = { .kind = LATHE_COMMAND_CONSOLE, .id = (uint16_t)k, .value = v };
		if (!lathe_process_send(st->process, &cmd))
			return false;
		lathe_console_set(st->sent_console, k, v);
	}
	return true;
}
