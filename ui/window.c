/* lathe — the GTK console's main window (see window.h). */
#define G_LOG_DOMAIN "lathe-window"
#include "window.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "control.h"
#include "meter-widgets.h"

#define REFRESH_MS 33   /* widgets follow the state 30 times a second */
#define STATUS_MS 500   /* the status bar twice a second */
#define UNDO_MAX 500

/* One undoable change: a parameter of a target from one value to another,
 * (CHANGE_ORDER) a chain's order, or (CHANGE_CHAIN) a whole chain (a
 * recall, a preset, a copy). */
enum { CHANGE_ORDER = -1, CHANGE_CHAIN = -2 };
typedef struct {
	int target, id;
	float before, after;
	LatheModuleId order_before[LATHE_MODULE_COUNT], order_after[LATHE_MODULE_COUNT];
	LatheSettings chain_before, chain_after;
} Change;

struct _LatheWindow {
	GtkWindow parent_instance;
	LatheState *state;
	LatheHost *host;
	LatheOsc *osc;

	GtkWidget *title, *ab, *chain_box, *status;
	GtkWidget *pads[LATHE_SNAPSHOT_COUNT];
	GtkWidget *gr[LATHE_MODULE_COUNT]; /* gain reduction bars (dynamics modules) */
	GtkWidget *level, *loudness, *spectrum, *history, *target;
	GtkWidget *custom, *custom_lufs, *custom_dbtp; /* a custom target's fields */
	GtkWidget *match_offset; /* the loudness match's gain on the monitored source */
	gint64 match_time;       /* when it was last set (five times a second) */
	GtkWidget *spectra_ab; /* toggle: the spectra of A and B, not input and print */
	int shown_spectra;     /* the spectra's taps and labels, as last set: chain + 2 * ab */
	unsigned long meter_serial;
	float eq_shown[LATHE_CHAIN_PARAM_COUNT]; /* the values the EQ curve was drawn for */
	bool eq_valid;
	float drag_before[2]; /* a band's freq and gain when its drag began */
	int drag_band;
	GPtrArray *controls;       /* every LatheControl, refreshed together */
	GPtrArray *chain_controls; /* those in the module panels (rebuilt on reorder) */
	LatheModuleId shown_order[LATHE_MODULE_COUNT];
	int shown_chain;

	GArray *undo, *redo; /* Change */
	bool closing;        /* unsaved changes confirmed: close */
	guint refresh_id, status_id;
};

G_DEFINE_FINAL_TYPE(LatheWindow, lathe_window, GTK_TYPE_WINDOW)

typedef void (*FileDone)(LatheWindow *w, const char *file);
static void choose(LatheWindow *w, bool save, FileDone done);
static void save_file(LatheWindow *w, const char *file);

/* ------------------------------------------------------------ changes */

static void push_undo(LatheWindow *w, const Change *c);

/* A change the user made here: undoable, and sent to the audio thread. */
static void record(LatheWindow *w, int target, int id, float before, float after)
{
	/* Undo edits the chain that was edited, even after an A/B toggle. */
	int fixed = lathe_param_in_chain(id) && target == LATHE_TARGET_SELECTED
			    ? (int)lathe_session_selected(&w->state->session) : target;
	Change c = { .target = fixed, .id = id, .before = before, .after = after };
	push_undo(w, &c);
}

static void push_undo(LatheWindow *w, const Change *c)
{
	if (w->undo->len == UNDO_MAX)
		g_array_remove_index(w->undo, 0);
	g_array_append_vals(w->undo, c, 1);
	g_array_set_size(w->redo, 0);
	lathe_state_sync(w->state);
}

static void changed_cb(LatheControl *control, int target, int id, float before, float after,
		       gpointer data)
{
	(void)control;
	record(data, target, id, before, after);
}

/* Set a console control from an action, as the user's change. */
static void set_console(LatheWindow *w, LatheConsoleParam p, float value)
{
	int id = LATHE_CONSOLE_ID(p);
	float before = lathe_state_get(w->state, LATHE_TARGET_SELECTED, id);
	if (value == before)
		return;
	lathe_state_set(w->state, LATHE_TARGET_SELECTED, id, value);
	record(w, LATHE_TARGET_SELECTED, id, before, value);
}

/* A control for parameter id, refreshed with the others. Each is drawn
 * from an image of its own (cache.h), so that a control moved from a
 * surface forty times a second draws again alone, and its panel's image
 * is made again from images. */
static GtkWidget *add_control(LatheWindow *w, int target, int id)
{
	GtkWidget *c = lathe_control_new(w->state, target, id, changed_cb, w);
	g_ptr_array_add(w->controls, c);
	return lathe_cache_new(c);
}

static GtkWidget *control(LatheWindow *w, int target, const char *path)
{
	int id = lathe_param_find(path);
	g_return_val_if_fail(id >= 0, gtk_label_new(path));
	return add_control(w, target, id);
}

/* A whole chain changed by the user (before: as it was): undoable. */
static void record_chain(LatheWindow *w, int chain, const LatheSettings *before)
{
	const LatheSettings *after = &w->state->session.chain[chain];
	if (memcmp(before, after, sizeof(*after)) == 0)
		return;
	Change *c = g_new0(Change, 1);
	c->target = chain;
	c->id = CHANGE_CHAIN;
	c->chain_before = *before;
	c->chain_after = *after;
	push_undo(w, c);
	g_free(c);
}

static void undo_redo(LatheWindow *w, GArray *from, GArray *to, bool undo)
{
	if (!from->len)
		return;
	Change c = g_array_index(from, Change, from->len - 1);
	g_array_remove_index(from, from->len - 1);
	if (c.id == CHANGE_CHAIN) {
		w->state->session.chain[c.target] = undo ? c.chain_before : c.chain_after;
		w->state->dirty = true;
	} else if (c.id == CHANGE_ORDER)
		lathe_state_set_order(w->state, c.target, undo ? c.order_before : c.order_after);
	else
		lathe_state_set(w->state, c.target, c.id, undo ? c.before : c.after);
	g_array_append_val(to, c);
	lathe_state_sync(w->state);
}

/* ------------------------------------------------------------ actions */

static void ab_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name, (void)param;
	LatheWindow *w = LATHE_WINDOW(widget);
	set_console(w, LATHE_CONSOLE_CHAIN, lathe_session_selected(&w->state->session) ? 0.0f : 1.0f);
}

static void spectra_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name, (void)param;
	GtkToggleButton *b = GTK_TOGGLE_BUTTON(LATHE_WINDOW(widget)->spectra_ab);
	gtk_toggle_button_set_active(b, !gtk_toggle_button_get_active(b));
}

static void source_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name;
	set_console(LATHE_WINDOW(widget), LATHE_CONSOLE_SOURCE, (float)g_variant_get_int32(param));
}

/* A console toggle flipped (mono, side, dim, mute). */
static void flip(LatheWindow *w, LatheConsoleParam p)
{
	float now = lathe_state_get(w->state, LATHE_TARGET_SELECTED, LATHE_CONSOLE_ID(p));
	set_console(w, p, now != 0.0f ? 0.0f : 1.0f);
}

static void monitor_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)param;
	static const struct {
		const char *action;
		LatheConsoleParam param;
	} map[] = { { "monitor.mono", LATHE_CONSOLE_MONO }, { "monitor.side", LATHE_CONSOLE_SIDE },
		    { "monitor.dim", LATHE_CONSOLE_DIM },   { "monitor.mute", LATHE_CONSOLE_MUTE } };
	for (size_t i = 0; i < G_N_ELEMENTS(map); i++)
		if (strcmp(name, map[i].action) == 0)
			flip(LATHE_WINDOW(widget), map[i].param);
}

static void snapshot_action(GtkWidget *widget, const char *name, GVariant *param)
{
	LatheWindow *w = LATHE_WINDOW(widget);
	int n = g_variant_get_int32(param);
	int chain = (int)lathe_session_selected(&w->state->session);
	LatheSettings before = w->state->session.chain[chain];
	if (strcmp(name, "snapshot.store") == 0)
		lathe_state_store(w->state, n);
	else if (!lathe_state_recall(w->state, n))
		gtk_widget_error_bell(widget);
	else
		record_chain(w, chain, &before);
	lathe_state_sync(w->state);
}

static void copy_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)param;
	LatheWindow *w = LATHE_WINDOW(widget);
	bool a_to_b = strcmp(name, "chain.copy-a-to-b") == 0;
	LatheChainId to = a_to_b ? LATHE_CHAIN_B : LATHE_CHAIN_A;
	LatheSettings before = w->state->session.chain[to];
	lathe_state_copy(w->state, a_to_b ? LATHE_CHAIN_A : LATHE_CHAIN_B, to);
	record_chain(w, to, &before);
}

static void save_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name, (void)param;
	LatheWindow *w = LATHE_WINDOW(widget);
	if (!w->state->file)
		choose(w, true, save_file);
	else
		save_file(w, NULL);
}

static void undo_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)param;
	LatheWindow *w = LATHE_WINDOW(widget);
	if (strcmp(name, "edit.undo") == 0)
		undo_redo(w, w->undo, w->redo, true);
	else
		undo_redo(w, w->redo, w->undo, false);
}


/* -------------------------------------------------------------- files */

/* Where the presets are: beside the binary in a source tree, else where
 * make install put them. */
static char *presets_dir(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL);
	char *dir = exe ? g_path_get_dirname(exe) : g_strdup(".");
	char *here = g_build_filename(dir, "share", "presets", NULL);
	g_free(exe);
	g_free(dir);
	if (g_file_test(here, G_FILE_TEST_IS_DIR))
		return here;
	g_free(here);
	return g_build_filename(LATHE_DATADIR, "lathe", "presets", NULL);
}

static void remember(const char *file)
{
	char *uri = g_filename_to_uri(file, NULL, NULL);
	if (uri)
		gtk_recent_manager_add_item(gtk_recent_manager_get_default(), uri);
	g_free(uri);
}

static void say(LatheWindow *w, const char *text)
{
	GtkWidget *d = gtk_message_dialog_new(GTK_WINDOW(w), GTK_DIALOG_MODAL, GTK_MESSAGE_ERROR,
					      GTK_BUTTONS_CLOSE, "%s", text);
	g_signal_connect(d, "response", G_CALLBACK(gtk_window_destroy), NULL);
	gtk_window_present(GTK_WINDOW(d));
}

static void load_file(LatheWindow *w, const char *file)
{
	char err[512];
	if (!lathe_state_load(w->state, file, NULL, err, sizeof(err))) {
		say(w, err);
		return;
	}
	g_array_set_size(w->undo, 0);
	g_array_set_size(w->redo, 0);
	remember(file);
}

static void save_file(LatheWindow *w, const char *file)
{
	char err[512];
	if (!lathe_state_save(w->state, file, err, sizeof(err)))
		say(w, err);
	else
		remember(w->state->file);
}

static void chooser_response_cb(GtkNativeDialog *dialog, int response, gpointer data)
{
	LatheWindow *w = data;
	FileDone done = (FileDone)g_object_get_data(G_OBJECT(dialog), "done");
	if (response == GTK_RESPONSE_ACCEPT) {
		GFile *f = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		char *path = f ? g_file_get_path(f) : NULL;
		if (path)
			done(w, path);
		g_free(path);
		if (f)
			g_object_unref(f);
	}
	g_object_unref(dialog);
}

static void choose(LatheWindow *w, bool save, FileDone done)
{
	GtkFileChooserNative *d = gtk_file_chooser_native_new(save ? "Save the session as" : "Open a session",
							      GTK_WINDOW(w),
							      save ? GTK_FILE_CHOOSER_ACTION_SAVE
								   : GTK_FILE_CHOOSER_ACTION_OPEN,
							      save ? "_Save" : "_Open", "_Cancel");
	GtkFileFilter *filter = gtk_file_filter_new();
	gtk_file_filter_set_name(filter, "Sessions and presets");
	gtk_file_filter_add_pattern(filter, "*.session");
	gtk_file_filter_add_pattern(filter, "*.preset");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), filter);
	g_object_unref(filter);
	if (save)
		gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(d), "untitled.session");
	g_object_set_data(G_OBJECT(d), "done", (gpointer)done);
	g_signal_connect(d, "response", G_CALLBACK(chooser_response_cb), w);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

/* Unsaved changes: ask before they are lost. then(w) runs if the user
 * saves or discards them. */
typedef void (*Then)(LatheWindow *w);

static void unsaved_response_cb(GtkDialog *dialog, int response, gpointer data)
{
	LatheWindow *w = data;
	Then then = (Then)g_object_get_data(G_OBJECT(dialog), "then");
	gtk_window_destroy(GTK_WINDOW(dialog));
	if (response == GTK_RESPONSE_ACCEPT) {
		if (!w->state->file) {
			choose(w, true, save_file);
			return; /* saved as, then the user goes on */
		}
		save_file(w, NULL);
		if (w->state->dirty)
			return; /* the save failed: said */
	} else if (response != GTK_RESPONSE_REJECT) {
		return; /* cancelled */
	}
	then(w);
}

static void unless_unsaved(LatheWindow *w, Then then)
{
	if (!w->state->dirty) {
		then(w);
		return;
	}
	GtkWidget *d = gtk_message_dialog_new(GTK_WINDOW(w), GTK_DIALOG_MODAL, GTK_MESSAGE_QUESTION,
					      GTK_BUTTONS_NONE, "Save the changes to the session?");
	gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(d),
						 "Without saving, they are lost.");
	gtk_dialog_add_buttons(GTK_DIALOG(d), "_Cancel", GTK_RESPONSE_CANCEL, "_Discard",
			       GTK_RESPONSE_REJECT, "_Save", GTK_RESPONSE_ACCEPT, NULL);
	gtk_dialog_set_default_response(GTK_DIALOG(d), GTK_RESPONSE_ACCEPT);
	g_object_set_data(G_OBJECT(d), "then", (gpointer)then);
	g_signal_connect(d, "response", G_CALLBACK(unsaved_response_cb), w);
	gtk_window_present(GTK_WINDOW(d));
}

static void close_now(LatheWindow *w)
{
	w->closing = true;
	gtk_window_close(GTK_WINDOW(w));
}

/* Runs before the front-end's own close-request handler (connected first):
 * TRUE stops the close while the question is open. */
static gboolean close_request_cb(GtkWindow *window, gpointer data)
{
	(void)data;
	LatheWindow *w = LATHE_WINDOW(window);
	if (w->closing || !w->state->dirty)
		return FALSE;
	unless_unsaved(w, close_now);
	return TRUE;
}

static void open_chooser(LatheWindow *w) { choose(w, false, load_file); }

static void open_pending(LatheWindow *w)
{
	const char *file = g_object_get_data(G_OBJECT(w), "pending");
	if (file)
		load_file(w, file);
}

static void file_action(GtkWidget *widget, const char *name, GVariant *param)
{
	LatheWindow *w = LATHE_WINDOW(widget);
	if (strcmp(name, "session.open") == 0) {
		unless_unsaved(w, open_chooser);
	} else if (strcmp(name, "session.save-as") == 0) {
		choose(w, true, save_file);
	} else if (strcmp(name, "session.open-file") == 0) {
		/* A recent session: asked about unsaved changes first. */
		g_object_set_data_full(G_OBJECT(w), "pending", g_variant_dup_string(param, NULL), g_free);
		unless_unsaved(w, open_pending);
	} else if (strcmp(name, "preset.load") == 0) {
		char err[512];
		LatheSettings chain;
		if (!lathe_preset_load(g_variant_get_string(param, NULL), &chain, NULL, err, sizeof(err))) {
			say(w, err);
			return;
		}
		/* Into the selected chain, undoably. */
		int selected = (int)lathe_session_selected(&w->state->session);
		LatheSettings before = w->state->session.chain[selected];
		w->state->session.chain[selected] = chain;
		w->state->dirty = true;
		record_chain(w, selected, &before);
	}
}

/* The keyboard shortcuts, as GTK's shortcuts window lists them. */
static const char *const shortcuts_ui =
	"<interface><object class='GtkShortcutsWindow' id='help'><property name='modal'>1</property>"
	"<child><object class='GtkShortcutsSection'><property name='section-name'>console</property>"
	"<child><object class='GtkShortcutsGroup'><property name='title'>Listening</property>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>A/B toggle</property><property name='accelerator'>x</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Source A, B, input, reference</property><property name='accelerator'>1 2 3 4</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Mono</property><property name='accelerator'>m</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Side</property><property name='accelerator'>s</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Dim</property><property name='accelerator'>d</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Mute</property><property name='accelerator'>&lt;Shift&gt;m</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Spectra: A and B, or input and print</property><property name='accelerator'>&lt;Shift&gt;x</property></object></child>"
	"</object></child>"
	"<child><object class='GtkShortcutsGroup'><property name='title'>Snapshots</property>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Recall snapshot 1 to 8</property><property name='accelerator'>F1 F8</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Store snapshot 1 to 8</property><property name='accelerator'>&lt;Shift&gt;F1 &lt;Shift&gt;F8</property></object></child>"
	"</object></child>"
	"<child><object class='GtkShortcutsGroup'><property name='title'>Session and edits</property>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Open</property><property name='accelerator'>&lt;Control&gt;o</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Save</property><property name='accelerator'>&lt;Control&gt;s</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Save as</property><property name='accelerator'>&lt;Control&gt;&lt;Shift&gt;s</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Undo</property><property name='accelerator'>&lt;Control&gt;z</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Redo</property><property name='accelerator'>&lt;Control&gt;&lt;Shift&gt;z</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Keyboard shortcuts</property><property name='accelerator'>&lt;Control&gt;question</property></object></child>"
	"</object></child>"
	"<child><object class='GtkShortcutsGroup'><property name='title'>A control (knob) with the focus</property>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Step up, down (Shift: a tenth)</property><property name='accelerator'>Up Down</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Ten steps</property><property name='accelerator'>Page_Up Page_Down</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Type a value</property><property name='accelerator'>Return</property></object></child>"
	"<child><object class='GtkShortcutsShortcut'><property name='title'>Reset to the default</property><property name='accelerator'>BackSpace</property></object></child>"
	"</object></child>"
	"</object></child></object></interface>";

static void help_action(GtkWidget *widget, const char *name, GVariant *param)
{
	(void)name, (void)param;
	GtkBuilder *b = gtk_builder_new_from_string(shortcuts_ui, -1);
	GtkWindow *help = GTK_WINDOW(gtk_builder_get_object(b, "help"));
	gtk_window_set_transient_for(help, GTK_WINDOW(widget));
	gtk_window_present(help);
	g_object_unref(b);
}

static int by_name(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* The menu: files, recent sessions, presets, shortcuts. Rebuilt when it
 * opens, so the recent list is current. */
static GMenuModel *file_menu(void)
{
	GMenu *menu = g_menu_new();
	GMenu *files = g_menu_new();
	g_menu_append(files, "_Open…", "session.open");
	g_menu_append(files, "_Save", "session.save");
	g_menu_append(files, "Save _As…", "session.save-as");
	g_menu_append_section(menu, NULL, G_MENU_MODEL(files));
	g_object_unref(files);
	GMenu *chains = g_menu_new();
	g_menu_append(chains, "Copy A to B", "chain.copy-a-to-b");
	g_menu_append(chains, "Copy B to A", "chain.copy-b-to-a");
	g_menu_append_section(menu, NULL, G_MENU_MODEL(chains));
	g_object_unref(chains);

	GMenu *recent = g_menu_new();
	GList *items = gtk_recent_manager_get_items(gtk_recent_manager_get_default());
	int n = 0;
	for (GList *l = items; l && n < 8; l = l->next) {
		GtkRecentInfo *info = l->data;
		char *path = g_filename_from_uri(gtk_recent_info_get_uri(info), NULL, NULL);
		if (path && g_str_has_suffix(path, ".session") && g_file_test(path, G_FILE_TEST_EXISTS)) {
			char *base = g_path_get_basename(path);
			GMenuItem *item = g_menu_item_new(base, NULL);
			g_menu_item_set_action_and_target_value(item, "session.open-file",
								g_variant_new_string(path));
			g_menu_append_item(recent, item);
			g_object_unref(item);
			g_free(base);
			n++;
		}
		g_free(path);
	}
	g_list_free_full(items, (GDestroyNotify)gtk_recent_info_unref);
	g_menu_append_submenu(menu, "_Recent sessions", G_MENU_MODEL(recent));
	g_object_unref(recent);

	GMenu *presets = g_menu_new();
	char *dir = presets_dir();
	GDir *d = g_dir_open(dir, 0, NULL);
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	for (const char *name; d && (name = g_dir_read_name(d));)
		if (g_str_has_suffix(name, ".preset"))
			g_ptr_array_add(names, g_strdup(name));
	if (d)
		g_dir_close(d);
	g_ptr_array_sort(names, by_name);
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		char *label = g_strndup(name, strlen(name) - strlen(".preset"));
		char *path = g_build_filename(dir, name, NULL);
		GMenuItem *item = g_menu_item_new(label, NULL);
		g_menu_item_set_action_and_target_value(item, "preset.load", g_variant_new_string(path));
		g_menu_append_item(presets, item);
		g_object_unref(item);
		g_free(label);
		g_free(path);
	}
	g_ptr_array_unref(names);
	g_free(dir);
	g_menu_append_submenu(menu, "_Presets (into the selected chain)", G_MENU_MODEL(presets));
	g_object_unref(presets);

	GMenu *help = g_menu_new();
	g_menu_append(help, "_Keyboard shortcuts", "win.show-help-overlay");
	g_menu_append_section(menu, NULL, G_MENU_MODEL(help));
	g_object_unref(help);
	return G_MENU_MODEL(menu);
}

static void menu_activate_cb(GtkMenuButton *button, gpointer data)
{
	(void)data;
	GMenuModel *model = file_menu();
	gtk_menu_button_set_menu_model(button, model);
	g_object_unref(model);
}

/* -------------------------------------------------------------- layout */

static void pad_pressed_cb(GtkGestureClick *g, int n, double x, double y, gpointer data)
{
	(void)n, (void)x, (void)y;
	GtkWidget *pad = data;
	int number = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(pad), "snapshot"));
	GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(g));
	gtk_widget_activate_action(pad, (mods & (GDK_CONTROL_MASK | GDK_SHIFT_MASK)) ? "snapshot.store"
										     : "snapshot.recall",
				   "i", number);
}

static GtkWidget *monitor_section(LatheWindow *w)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	gtk_widget_add_css_class(box, "monitor");
	static const char *const toggles[] = { "/monitor/match", "/monitor/delta", "/monitor/mono",
					       "/monitor/side", "/monitor/left", "/monitor/right",
					       "/monitor/swap", "/monitor/polarity", "/monitor/dim",
					       "/monitor/mute" };
	for (size_t i = 0; i < G_N_ELEMENTS(toggles); i++) {
		GtkWidget *c = control(w, LATHE_TARGET_SELECTED, toggles[i]);
		gtk_widget_set_valign(c, GTK_ALIGN_CENTER);
		gtk_box_append(GTK_BOX(box), c);
		if (i == 0) {
			/* The gain the match applies to what is heard, beside its
			 * switch; dimmed while the match is off (it is what the
			 * match would apply). An inscription: a new value only
			 * redraws it. */
			w->match_offset = gtk_inscription_new(NULL);
			gtk_inscription_set_min_chars(GTK_INSCRIPTION(w->match_offset), 8);
			gtk_widget_set_valign(w->match_offset, GTK_ALIGN_CENTER);
			gtk_widget_add_css_class(w->match_offset, "match-offset");
			gtk_widget_set_tooltip_text(w->match_offset,
						    "Loudness match: the gain on the source you hear");
			gtk_box_append(GTK_BOX(box), w->match_offset);
		}
	}
	gtk_box_append(GTK_BOX(box), control(w, LATHE_TARGET_SELECTED, "/monitor/level"));
	gtk_box_append(GTK_BOX(box), control(w, LATHE_TARGET_SELECTED, "/monitor/dim_level"));
	return box;
}

static GtkWidget *snapshot_pads(LatheWindow *w)
{
	GtkWidget *grid = gtk_grid_new();
	gtk_widget_add_css_class(grid, "pads");
	gtk_grid_set_column_spacing(GTK_GRID(grid), 3);
	gtk_grid_set_row_spacing(GTK_GRID(grid), 3);
	for (int n = 1; n <= LATHE_SNAPSHOT_COUNT; n++) {
		char text[16], label[96];
		snprintf(text, sizeof(text), "%d", n);
		GtkWidget *pad = gtk_button_new_with_label(text);
		gtk_widget_add_css_class(pad, "pad");
		g_object_set_data(G_OBJECT(pad), "snapshot", GINT_TO_POINTER(n));
		snprintf(label, sizeof(label), "Snapshot %d (click recalls, Ctrl+click stores)", n);
		gtk_widget_set_tooltip_text(pad, label);
		gtk_accessible_update_property(GTK_ACCESSIBLE(pad), GTK_ACCESSIBLE_PROPERTY_LABEL,
					       label, -1);
		/* The click is taken before the button's own, to read modifiers. */
		GtkGesture *click = gtk_gesture_click_new();
		gtk_event_controller_set_propagation_phase(GTK_EVENT_CONTROLLER(click), GTK_PHASE_CAPTURE);
		g_signal_connect(click, "pressed", G_CALLBACK(pad_pressed_cb), pad);
		gtk_widget_add_controller(pad, GTK_EVENT_CONTROLLER(click));
		w->pads[n - 1] = pad;
		gtk_grid_attach(GTK_GRID(grid), pad, (n - 1) % 8, (n - 1) / 8, 1, 1);
	}
	return grid;
}

/* Move module m of the selected chain to position `to` (0..8), as the
 * user's change. */
static void move_module(LatheWindow *w, LatheModuleId m, int to)
{
	int chain = (int)lathe_session_selected(&w->state->session);
	const LatheSettings *s = lathe_state_settings(w->state, chain);
	Change c = { .target = chain, .id = CHANGE_ORDER };
	memcpy(c.order_before, s->order, sizeof(c.order_before));
	int from = 0;
	while (from < LATHE_MODULE_COUNT && s->order[from] != m)
		from++;
	if (from == LATHE_MODULE_COUNT || to < 0 || to >= LATHE_MODULE_COUNT || to == from)
		return;
	LatheModuleId order[LATHE_MODULE_COUNT];
	for (int k = 0, j = 0; k < LATHE_MODULE_COUNT; k++)
		if (k != from)
			order[j++] = s->order[k];
	memmove(order + to + 1, order + to, sizeof(order[0]) * (size_t)(LATHE_MODULE_COUNT - 1 - to));
	order[to] = m;
	memcpy(c.order_after, order, sizeof(order));
	if (lathe_state_set_order(w->state, chain, order))
		push_undo(w, &c);
}

static int position_of(LatheWindow *w, LatheModuleId m)
{
	const LatheSettings *s = lathe_state_settings(w->state, LATHE_TARGET_SELECTED);
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		if (s->order[k] == m)
			return k;
	return -1;
}

static void move_clicked_cb(GtkButton *button, gpointer data)
{
	LatheWindow *w = data;
	LatheModuleId m = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(button), "module"));
	int by = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(button), "by"));
	move_module(w, m, position_of(w, m) + by);
}

/* A panel's name is dragged onto another panel: the module goes there. */
static GdkContentProvider *drag_prepare_cb(GtkDragSource *source, double x, double y, gpointer data)
{
	(void)source, (void)x, (void)y;
	return gdk_content_provider_new_typed(G_TYPE_STRING, lathe_module_classes[GPOINTER_TO_INT(data)]->name);
}

static gboolean drop_cb(GtkDropTarget *target, const GValue *value, double x, double y,
			gpointer data)
{
	(void)x, (void)y;
	LatheWindow *w = data;
	GtkWidget *panel = gtk_event_controller_get_widget(GTK_EVENT_CONTROLLER(target));
	LatheModuleId onto = GPOINTER_TO_INT(g_object_get_data(G_OBJECT(panel), "module"));
	int m = lathe_module_find(g_value_get_string(value));
	if (m < 0 || m == (int)onto)
		return FALSE;
	move_module(w, (LatheModuleId)m, position_of(w, onto));
	return TRUE;
}

/* The band a parameter belongs to ("/eq/3/gain": 3), or 0. */
static long band_of(const LatheModuleClass *mc, int id)
{
	const char *rest = lathe_params[id].path + strlen(mc->name) + 2;
	char *end;
	long band = strtol(rest, &end, 10);
	return end != rest && *end == '/' ? band : 0;
}

/* One module's panel: its name and enable switch, then its controls in
 * columns of at most 7 (the EQ's bands side by side). */
static GtkWidget *module_panel(LatheWindow *w, LatheModuleId m)
{
	const LatheModuleClass *mc = lathe_module_classes[m];
	GtkWidget *frame = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
	gtk_widget_add_css_class(frame, "module");
	GtkWidget *head = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	GtkWidget *name = gtk_label_new(mc->name);
	gtk_widget_add_css_class(name, "module-name");
	gtk_widget_set_tooltip_text(name, "Drag onto another module to move it there");
	gtk_box_append(GTK_BOX(head), name);
	gtk_box_append(GTK_BOX(frame), head);
	g_object_set_data(G_OBJECT(frame), "module", GINT_TO_POINTER(m));
	GtkDragSource *source = gtk_drag_source_new();
	gtk_drag_source_set_actions(source, GDK_ACTION_MOVE);
	g_signal_connect(source, "prepare", G_CALLBACK(drag_prepare_cb), GINT_TO_POINTER(m));
	gtk_widget_add_controller(name, GTK_EVENT_CONTROLLER(source));
	GtkDropTarget *drop = gtk_drop_target_new(G_TYPE_STRING, GDK_ACTION_MOVE);
	g_signal_connect(drop, "drop", G_CALLBACK(drop_cb), w);
	gtk_widget_add_controller(frame, GTK_EVENT_CONTROLLER(drop));
	/* The same from the keyboard: move left, move right. */
	for (int by = -1; by <= 1; by += 2) {
		GtkWidget *b = gtk_button_new_from_icon_name(by < 0 ? "go-previous-symbolic"
								    : "go-next-symbolic");
		char label[64];
		snprintf(label, sizeof(label), "Move %s %s in the chain", mc->name,
			 by < 0 ? "earlier" : "later");
		gtk_widget_set_tooltip_text(b, label);
		gtk_accessible_update_property(GTK_ACCESSIBLE(b), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
		gtk_widget_add_css_class(b, "flat");
		g_object_set_data(G_OBJECT(b), "module", GINT_TO_POINTER(m));
		g_object_set_data(G_OBJECT(b), "by", GINT_TO_POINTER(by));
		g_signal_connect(b, "clicked", G_CALLBACK(move_clicked_cb), w);
		gtk_box_append(GTK_BOX(head), b);
	}
	if (mc->gain_reduction) {
		GtkWidget *gr = lathe_gain_reduction_meter_new();
		gtk_widget_set_valign(gr, GTK_ALIGN_CENTER);
		char label[64];
		snprintf(label, sizeof(label), "%s gain reduction", mc->name);
		gtk_widget_set_tooltip_text(gr, label);
		gtk_accessible_update_property(GTK_ACCESSIBLE(gr), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
		gtk_box_append(GTK_BOX(head), gr);
		w->gr[m] = gr;
	}
	GtkWidget *grid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
	gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
	/* The controls are drawn from an image, the gain-reduction meter
	 * above them is not (cache.h). */
	gtk_box_append(GTK_BOX(frame), lathe_cache_new(grid));
	/* The module's own controls in columns of at most 7, then one column
	 * per band ("/eq/3/gain" belongs to band 3), so bands stand side by
	 * side as on a hardware unit. */
	int first = lathe_module_first_param(m), k = 0, columns = 0;
	GtkWidget **made = g_new(GtkWidget *, mc->n_params);
	for (int i = 0; i < mc->n_params; i++) {
		GtkWidget *c = made[i] = add_control(w, LATHE_TARGET_SELECTED, first + i);
		g_ptr_array_add(w->chain_controls, c);
		if (i == LATHE_MODULE_ENABLE) {
			gtk_box_append(GTK_BOX(head), c);
			continue;
		}
		if (band_of(mc, first + i))
			continue; /* placed below */
		gtk_grid_attach(GTK_GRID(grid), c, k / 7, k % 7, 1, 1);
		columns = k / 7 + 1;
		k++;
	}
	int band_column = -1, row = 0;
	long last_band = 0;
	for (int i = 0; i < mc->n_params; i++) {
		long band = band_of(mc, first + i);
		if (!band)
			continue;
		if (band != last_band) {
			band_column++;
			row = 0;
			last_band = band;
		}
		gtk_grid_attach(GTK_GRID(grid), made[i], columns + band_column, row++, 1, 1);
	}
	g_free(made);
	return frame;
}

/* The module panels in the selected chain's order (again after a reorder
 * or an A/B toggle to a chain in another order). */
static void build_chain(LatheWindow *w)
{
	for (guint i = 0; i < w->chain_controls->len; i++)
		g_ptr_array_remove(w->controls, g_ptr_array_index(w->chain_controls, i));
	g_ptr_array_set_size(w->chain_controls, 0);
	GtkWidget *child;
	while ((child = gtk_widget_get_first_child(w->chain_box)))
		gtk_box_remove(GTK_BOX(w->chain_box), child);
	memset(w->gr, 0, sizeof(w->gr));
	const LatheSettings *s = lathe_state_settings(w->state, LATHE_TARGET_SELECTED);
	memcpy(w->shown_order, s->order, sizeof(w->shown_order));
	for (int k = 0; k < LATHE_MODULE_COUNT; k++)
		gtk_box_append(GTK_BOX(w->chain_box), module_panel(w, s->order[k]));
}


/* ------------------------------------------------------------- meters */

/* Delivery targets: integrated loudness and true-peak ceiling. */
static const struct {
	const char *name;
	float lufs, dbtp;
} targets[] = {
	{ "No target", NAN, NAN },
	{ "Streaming: -14 LUFS, -1 dBTP", -14.0f, -1.0f },
	{ "Apple Music: -16 LUFS, -1 dBTP", -16.0f, -1.0f },
	{ "EBU R128 broadcast: -23 LUFS, -1 dBTP", -23.0f, -1.0f },
	{ "ATSC A/85: -24 LUFS, -2 dBTP", -24.0f, -2.0f },
	{ "CD: peaks under -0.3 dBTP", NAN, -0.3f },
	{ "Custom", -14.0f, -1.0f }, /* last: the values from the two fields */
};
#define CUSTOM_TARGET (G_N_ELEMENTS(targets) - 1)

static void target_cb(GObject *dropdown, GParamSpec *pspec, gpointer data)
{
	(void)pspec;
	LatheWindow *w = data;
	guint k = gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown));
	if (k >= G_N_ELEMENTS(targets))
		return;
	float lufs = targets[k].lufs, dbtp = targets[k].dbtp;
	gtk_widget_set_visible(w->custom, k == CUSTOM_TARGET);
	if (k == CUSTOM_TARGET) {
		lufs = (float)gtk_spin_button_get_value(GTK_SPIN_BUTTON(w->custom_lufs));
		dbtp = (float)gtk_spin_button_get_value(GTK_SPIN_BUTTON(w->custom_dbtp));
	}
	lathe_level_meter_set_limit(LATHE_LEVEL_METER(w->level), dbtp);
	lathe_loudness_panel_set_target(LATHE_LOUDNESS_PANEL(w->loudness), lufs, dbtp);
	lathe_history_view_set_target(LATHE_HISTORY_VIEW(w->history), lufs);
}

static void custom_changed_cb(GtkSpinButton *spin, gpointer data)
{
	(void)spin;
	LatheWindow *w = data;
	target_cb(G_OBJECT(w->target), NULL, w);
}

/* A labelled number field for the custom target. */
static GtkWidget *target_field(LatheWindow *w, const char *label, double lo, double hi,
			       double value, GtkWidget **spin)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	GtkWidget *name = gtk_label_new(label);
	*spin = gtk_spin_button_new_with_range(lo, hi, 0.1);
	gtk_spin_button_set_value(GTK_SPIN_BUTTON(*spin), value);
	gtk_accessible_update_property(GTK_ACCESSIBLE(*spin), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
	g_signal_connect(*spin, "value-changed", G_CALLBACK(custom_changed_cb), w);
	gtk_box_append(GTK_BOX(box), name);
	gtk_box_append(GTK_BOX(box), *spin);
	return box;
}

static int band_param(int band, const char *what)
{
	char path[32];
	snprintf(path, sizeof(path), "/eq/%d/%s", band + 1, what);
	return lathe_param_find(path);
}

static void band_moved_cb(LatheSpectrumView *view, guint band, double freq, double gain, gpointer data)
{
	(void)view;
	LatheWindow *w = data;
	int f = band_param((int)band, "freq"), g = band_param((int)band, "gain");
	if (w->drag_band != (int)band) {
		w->drag_band = (int)band;
		w->drag_before[0] = lathe_state_get(w->state, LATHE_TARGET_SELECTED, f);
		w->drag_before[1] = lathe_state_get(w->state, LATHE_TARGET_SELECTED, g);
	}
	float v;
	lathe_param_validate(&lathe_params[f], freq, &v);
	lathe_state_set(w->state, LATHE_TARGET_SELECTED, f, v);
	lathe_param_validate(&lathe_params[g], gain, &v);
	lathe_state_set(w->state, LATHE_TARGET_SELECTED, g, v);
	lathe_state_sync(w->state);
}

/* A band's drag ends: its frequency and gain are two undo steps. */
static void band_released_cb(LatheSpectrumView *view, guint band, gpointer data)
{
	(void)view;
	LatheWindow *w = data;
	if (w->drag_band != (int)band)
		return;
	w->drag_band = -1;
	const char *what[2] = { "freq", "gain" };
	for (int k = 0; k < 2; k++) {
		int id = band_param((int)band, what[k]);
		record(w, LATHE_TARGET_SELECTED, id, w->drag_before[k],
		       lathe_state_get(w->state, LATHE_TARGET_SELECTED, id));
	}
}

static void band_reset_cb(LatheSpectrumView *view, guint band, gpointer data)
{
	(void)view;
	LatheWindow *w = data;
	int id = band_param((int)band, "gain");
	float before = lathe_state_get(w->state, LATHE_TARGET_SELECTED, id);
	lathe_state_set(w->state, LATHE_TARGET_SELECTED, id, lathe_params[id].def);
	record(w, LATHE_TARGET_SELECTED, id, before, lathe_params[id].def);
}

/* The EQ curve and handles, when the selected chain's EQ changed. */
static void refresh_eq(LatheWindow *w, double rate)
{
	const LatheSettings *s = lathe_state_settings(w->state, LATHE_TARGET_SELECTED);
	int first = lathe_module_first_param(LATHE_MODULE_EQ);
	int n = lathe_module_classes[LATHE_MODULE_EQ]->n_params;
	if (w->eq_valid && memcmp(w->eq_shown + first, s->value + first, sizeof(float) * (size_t)n) == 0)
		return;
	memcpy(w->eq_shown, s->value, sizeof(w->eq_shown));
	w->eq_valid = true;
	float curve[LATHE_SPECTRUM_POINTS];
	lathe_spectrum_eq_curve(s->value, rate, curve);
	LatheSpectrumView *view = LATHE_SPECTRUM_VIEW(w->spectrum);
	lathe_spectrum_view_set_eq_curve(view, curve);
	lathe_spectrum_view_set_eq_active(view, s->value[first + LATHE_MODULE_ENABLE] != 0.0f);
	for (int b = 0; b < 8; b++)
		lathe_spectrum_view_set_band(view, b, s->value[band_param(b, "enable")] != 0.0f,
					     s->value[band_param(b, "freq")], s->value[band_param(b, "gain")]);
}

static void choose_spectra(LatheWindow *w, int chain, bool ab);

/* The match's gain on the source in effect, five times a second. */
static void refresh_match(LatheWindow *w, const LatheMeters *m)
{
	gint64 now = g_get_monotonic_time();
	if (now - w->match_time < 200000)
		return;
	w->match_time = now;
	bool on = lathe_state_get(w->state, LATHE_TARGET_SELECTED,
				  LATHE_CONSOLE_ID(LATHE_CONSOLE_MATCH)) != 0.0f;
	char text[48] = "";
	if (m) {
		float db = m->status.match_offset[m->status.source < LATHE_SOURCE_COUNT
							  ? m->status.source : 0];
		snprintf(text, sizeof(text), "%+.1f dB", fabs(db) < 0.05 ? 0.0 : (double)db);
	}
	GtkInscription *label = GTK_INSCRIPTION(w->match_offset);
	bool was_on = gtk_widget_has_css_class(w->match_offset, "on");
	if (on == was_on && g_strcmp0(gtk_inscription_get_text(label), text) == 0)
		return;
	(on ? gtk_widget_add_css_class : gtk_widget_remove_css_class)(w->match_offset, "on");
	gtk_inscription_set_text(label, text);
	char a11y[96];
	snprintf(a11y, sizeof(a11y), "Loudness match %s: %s", on ? "applies" : "would apply",
		 text[0] ? text : "nothing yet");
	gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
}
static gboolean refresh_cb(gpointer data);

static void refresh_meters(LatheWindow *w, int chain)
{
	LatheMeters *m = w->host ? lathe_host_meters(w->host) : NULL;
	LatheHostStatus hs = { 0 };
	if (w->host)
		lathe_host_status(w->host, &hs);
	refresh_eq(w, hs.rate ? hs.rate : 48000.0);
	bool ab = gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(w->spectra_ab));
	choose_spectra(w, chain, ab);
	refresh_match(w, m);
	if (!m || m->serial == w->meter_serial)
		return;
	w->meter_serial = m->serial;
	const LatheMeterReading *r = &m->reading[chain ? LATHE_TAP_B : LATHE_TAP_A];
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(w->level), r);
	/* Numbers five times a second: faster, they are a blur to read (and
	 * cost the most text drawing). */
	if (m->serial % 4 == 0)
		lathe_loudness_panel_set_reading(LATHE_LOUDNESS_PANEL(w->loudness), r);
	lathe_history_view_push(LATHE_HISTORY_VIEW(w->history), r->seconds, r->short_term);
	/* The spectra every other reading (10 Hz): a spectrum is read by its
	 * shape, not its flicker, and its redraw is the window's dearest. */
	if (m->serial % 2)
		return;
	LatheTap first = ab ? LATHE_TAP_A : LATHE_TAP_INPUT;
	LatheTap second = ab || chain ? LATHE_TAP_B : LATHE_TAP_A;
	float db[LATHE_SPECTRUM_POINTS];
	LatheSpectrumView *view = LATHE_SPECTRUM_VIEW(w->spectrum);
	if (lathe_meter_spectrum(m->tap[first], db))
		lathe_spectrum_view_set_spectrum(view, 0, db);
	if (lathe_meter_spectrum(m->tap[second], db))
		lathe_spectrum_view_set_spectrum(view, 1, db);
}

/* Which spectra the view shows, its legend and its name; and the spectra
 * nobody sees are paused (an FFT each, 11.7 times a second): the input's
 * when A and B are shown, all of them while the window is minimised.
 * Both chains' run while input and print are shown, so that an A/B
 * switch shows the other chain's spectrum at once. */
static void choose_spectra(LatheWindow *w, int chain, bool ab)
{
	LatheMeters *m = w->host ? lathe_host_meters(w->host) : NULL;
	GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(w));
	bool seen = gtk_widget_get_mapped(w->spectrum) && surface &&
		    !(gdk_toplevel_get_state(GDK_TOPLEVEL(surface)) & GDK_TOPLEVEL_STATE_MINIMIZED);
	if (m) {
		lathe_meter_spectrum_pause(m->tap[LATHE_TAP_INPUT], !seen || ab);
		lathe_meter_spectrum_pause(m->tap[LATHE_TAP_A], !seen);
		lathe_meter_spectrum_pause(m->tap[LATHE_TAP_B], !seen);
	}
	int shown = chain + 2 * ab;
	if (shown == w->shown_spectra)
		return;
	w->shown_spectra = shown;
	const char *first = ab ? "A" : "input", *second = ab ? "B" : chain ? "print (B)" : "print (A)";
	lathe_spectrum_view_set_spectrum_labels(LATHE_SPECTRUM_VIEW(w->spectrum), first, second);
	char name[96];
	snprintf(name, sizeof(name), "Spectrum of %s (filled) and %s (line), with the EQ curve",
		 first, second);
	gtk_accessible_update_property(GTK_ACCESSIBLE(w->spectrum), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       name, -1);
}

static GtkWidget *meters_column(LatheWindow *w)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	gtk_widget_add_css_class(box, "meters");
	const char *names[G_N_ELEMENTS(targets) + 1];
	for (size_t k = 0; k < G_N_ELEMENTS(targets); k++)
		names[k] = targets[k].name;
	names[G_N_ELEMENTS(targets)] = NULL;
	w->target = gtk_drop_down_new_from_strings(names);
	gtk_widget_set_tooltip_text(w->target, "Delivery target: the loudness and true-peak limits "
					       "the meters are judged against");
	gtk_accessible_update_property(GTK_ACCESSIBLE(w->target), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       "Delivery target", -1);
	gtk_box_append(GTK_BOX(box), w->target);
	w->custom = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	gtk_box_append(GTK_BOX(w->custom), target_field(w, "LUFS", -40.0, -5.0, -14.0, &w->custom_lufs));
	gtk_box_append(GTK_BOX(w->custom), target_field(w, "dBTP", -9.0, 0.0, -1.0, &w->custom_dbtp));
	gtk_widget_set_visible(w->custom, FALSE);
	gtk_box_append(GTK_BOX(box), w->custom);
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	w->level = lathe_level_meter_new();
	gtk_widget_set_size_request(w->level, 90, 300);
	gtk_widget_set_vexpand(w->level, TRUE);
	w->loudness = lathe_loudness_panel_new();
	gtk_widget_set_size_request(w->loudness, 220, 300);
	gtk_box_append(GTK_BOX(row), w->level);
	gtk_box_append(GTK_BOX(row), w->loudness);
	gtk_widget_set_vexpand(row, TRUE);
	gtk_box_append(GTK_BOX(box), row);
	g_signal_connect(w->target, "notify::selected", G_CALLBACK(target_cb), w);
	gtk_drop_down_set_selected(GTK_DROP_DOWN(w->target), 1);
	return box;
}

static GtkWidget *analysis_row(LatheWindow *w)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
	w->spectrum = lathe_spectrum_view_new();
	gtk_widget_set_size_request(w->spectrum, 560, 200);
	gtk_widget_set_hexpand(w->spectrum, TRUE);
	/* Over the plot's top right corner: input and print, or A and B. */
	w->spectra_ab = gtk_toggle_button_new_with_label("A | B");
	gtk_widget_add_css_class(w->spectra_ab, "spectra-ab");
	gtk_widget_set_tooltip_text(w->spectra_ab, "Spectra of A and B, instead of the input and "
						   "the print (Shift+X)");
	gtk_accessible_update_property(GTK_ACCESSIBLE(w->spectra_ab), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       "Spectra of A and B", -1);
	gtk_widget_set_halign(w->spectra_ab, GTK_ALIGN_END);
	gtk_widget_set_valign(w->spectra_ab, GTK_ALIGN_START);
	gtk_widget_set_margin_top(w->spectra_ab, 14);
	gtk_widget_set_margin_end(w->spectra_ab, 52);
	g_signal_connect_swapped(w->spectra_ab, "toggled", G_CALLBACK(refresh_cb), w);
	GtkWidget *overlay = gtk_overlay_new();
	gtk_overlay_set_child(GTK_OVERLAY(overlay), w->spectrum);
	gtk_overlay_add_overlay(GTK_OVERLAY(overlay), w->spectra_ab);
	gtk_widget_set_hexpand(overlay, TRUE);
	g_signal_connect(w->spectrum, "band-moved", G_CALLBACK(band_moved_cb), w);
	g_signal_connect(w->spectrum, "band-released", G_CALLBACK(band_released_cb), w);
	g_signal_connect(w->spectrum, "band-reset", G_CALLBACK(band_reset_cb), w);
	w->history = lathe_history_view_new();
	gtk_widget_set_size_request(w->history, 360, 200);
	gtk_box_append(GTK_BOX(row), overlay);
	gtk_box_append(GTK_BOX(row), w->history);
	return row;
}

/* ------------------------------------------------------------- refresh */

static gboolean refresh_cb(gpointer data)
{
	LatheWindow *w = data;
	const LatheSettings *s = lathe_state_settings(w->state, LATHE_TARGET_SELECTED);
	if (memcmp(s->order, w->shown_order, sizeof(w->shown_order)) != 0)
		build_chain(w);
	for (guint i = 0; i < w->controls->len; i++)
		lathe_control_refresh(g_ptr_array_index(w->controls, i));
	int chain = (int)lathe_session_selected(&w->state->session);
	if (chain != w->shown_chain) {
		w->shown_chain = chain;
		gtk_button_set_label(GTK_BUTTON(w->ab), chain ? "B" : "A");
		gtk_widget_remove_css_class(w->ab, chain ? "chain-a" : "chain-b");
		gtk_widget_add_css_class(w->ab, chain ? "chain-b" : "chain-a");
	}
	refresh_meters(w, chain);
	LatheMeters *meters = w->host ? lathe_host_meters(w->host) : NULL;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		if (!w->gr[m])
			continue;
		float gr = 0.0f;
		for (int k = 0; meters && k < meters->status.gr_count[chain][m]; k++)
			gr = fmaxf(gr, meters->status.gain_reduction[chain][m][k]);
		lathe_gain_reduction_meter_set(LATHE_GAIN_REDUCTION_METER(w->gr[m]), gr);
	}
	int active = lathe_state_active_snapshot(w->state);
	for (int n = 1; n <= LATHE_SNAPSHOT_COUNT; n++) {
		GtkWidget *pad = w->pads[n - 1];
		bool stored = w->state->session.stored[n - 1];
		if (stored != gtk_widget_has_css_class(pad, "stored"))
			(stored ? gtk_widget_add_css_class : gtk_widget_remove_css_class)(pad, "stored");
		if ((n == active) != gtk_widget_has_css_class(pad, "active"))
			(n == active ? gtk_widget_add_css_class : gtk_widget_remove_css_class)(pad, "active");
	}
	char title[512];
	const char *file = w->state->file ? w->state->file : "untitled session";
	const char *base = strrchr(file, '/');
	snprintf(title, sizeof(title), "%s%s", w->state->dirty ? "• " : "", base ? base + 1 : file);
	if (strcmp(gtk_label_get_text(GTK_LABEL(w->title)), title) != 0)
		gtk_label_set_text(GTK_LABEL(w->title), title);
	return G_SOURCE_CONTINUE;
}

static gboolean status_cb(gpointer data)
{
	LatheWindow *w = data;
	GString *s = g_string_new(NULL);
	LatheHostStatus hs = { 0 };
	if (w->host)
		lathe_host_status(w->host, &hs);
	if (!w->host)
		g_string_append(s, "no JACK");
	else if (!hs.connected)
		g_string_append_printf(s, "JACK: no server \"%s\", waiting (state kept)", hs.server);
	else
		g_string_append_printf(s, "JACK %s  ·  %u Hz  ·  %u frames  ·  latency %d samples "
					  "(%.2f ms)  ·  DSP %.1f %%  ·  xruns %u",
				       hs.client, hs.rate, hs.period, hs.latency,
				       1000.0 * hs.latency / (hs.rate ? hs.rate : 1), (double)hs.dsp_load,
				       hs.xruns);
	if (w->osc) {
		LatheOscStatus os;
		lathe_osc_status(w->osc, &os);
		g_string_append_printf(s, "  ·  OSC %d: %d surface%s", os.port, os.surfaces,
				       os.surfaces == 1 ? "" : "s");
	}
	GtkInscription *status = GTK_INSCRIPTION(w->status);
	if (g_strcmp0(gtk_inscription_get_text(status), s->str) != 0) {
		gtk_inscription_set_text(status, s->str);
		gtk_accessible_update_property(GTK_ACCESSIBLE(status), GTK_ACCESSIBLE_PROPERTY_LABEL,
					       s->str, -1);
	}
	g_string_free(s, TRUE);
	return G_SOURCE_CONTINUE;
}

/* ------------------------------------------------------------- widget */

static const char *const css =
	"window.lathe { background: #17181b; color: #e6e6e6; }"
	"window.lathe headerbar { background: #202226; }"
	".numeric { font-feature-settings: 'tnum'; }"
	".module { background: #202226; border-radius: 6px; padding: 8px; margin: 4px; }"
	".module-name { font-weight: bold; color: #f29e33; }"
	".control-name { font-size: 0.85em; color: #b8b8b8; }"
	".control-value { font-size: 0.85em; font-feature-settings: 'tnum'; }"
	".monitor, .pads, .meters { padding: 6px; }"
	"button.ab { font-size: 1.6em; font-weight: bold; min-width: 56px; }"
	"button.chain-a { background: #2d6cdf; color: white; }"
	"button.chain-b { background: #d9822b; color: white; }"
	"button.pad { min-width: 22px; padding: 2px; }"
	/* The monitor row must fit a 1280-pixel screen beside the pads. */
	".monitor lathe-control > button.toggle { padding-left: 9px; padding-right: 9px; }"
	"button.pad.stored { background: #3a4a3a; }"
	"button.pad.active { background: #5aa05a; color: black; }"
	/* A switched-on toggle is lit, as on hardware: it must read across
	 * the room (the theme's own checked state is only a shade darker). */
	"lathe-control > button.toggle:checked, button.spectra-ab:checked "
	"{ background: #d9962f; color: #15171a; }"
	"lathe-control > button.toggle:checked:hover { background: #e6a43c; }"
	".match-offset { color: #6b7480; font-feature-settings: 'tnum'; }"
	".match-offset.on { color: #e8ecf0; }"
	"button.spectra-ab { min-height: 0; padding: 1px 8px; font-size: 0.85em; }"
	".status { padding: 4px 8px; color: #a0a0a0; font-feature-settings: 'tnum'; }";

static void lathe_window_dispose(GObject *object)
{
	LatheWindow *w = LATHE_WINDOW(object);
	g_clear_handle_id(&w->refresh_id, g_source_remove);
	g_clear_handle_id(&w->status_id, g_source_remove);
	g_clear_pointer(&w->controls, g_ptr_array_unref);
	g_clear_pointer(&w->chain_controls, g_ptr_array_unref);
	g_clear_pointer(&w->undo, g_array_unref);
	g_clear_pointer(&w->redo, g_array_unref);
	G_OBJECT_CLASS(lathe_window_parent_class)->dispose(object);
}

static void lathe_window_class_init(LatheWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);
	G_OBJECT_CLASS(klass)->dispose = lathe_window_dispose;
	gtk_widget_class_install_action(wc, "console.ab", NULL, ab_action);
	gtk_widget_class_install_action(wc, "console.source", "i", source_action);
	gtk_widget_class_install_action(wc, "view.spectra-ab", NULL, spectra_action);
	gtk_widget_class_install_action(wc, "monitor.mono", NULL, monitor_action);
	gtk_widget_class_install_action(wc, "monitor.side", NULL, monitor_action);
	gtk_widget_class_install_action(wc, "monitor.dim", NULL, monitor_action);
	gtk_widget_class_install_action(wc, "monitor.mute", NULL, monitor_action);
	gtk_widget_class_install_action(wc, "snapshot.recall", "i", snapshot_action);
	gtk_widget_class_install_action(wc, "snapshot.store", "i", snapshot_action);
	gtk_widget_class_install_action(wc, "chain.copy-a-to-b", NULL, copy_action);
	gtk_widget_class_install_action(wc, "chain.copy-b-to-a", NULL, copy_action);
	gtk_widget_class_install_action(wc, "session.save", NULL, save_action);
	gtk_widget_class_install_action(wc, "session.open", NULL, file_action);
	gtk_widget_class_install_action(wc, "session.save-as", NULL, file_action);
	gtk_widget_class_install_action(wc, "session.open-file", "s", file_action);
	gtk_widget_class_install_action(wc, "preset.load", "s", file_action);
	gtk_widget_class_install_action(wc, "win.show-help-overlay", NULL, help_action);
	gtk_widget_class_install_action(wc, "edit.undo", NULL, undo_action);
	gtk_widget_class_install_action(wc, "edit.redo", NULL, undo_action);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_x, 0, "console.ab", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_X, GDK_SHIFT_MASK, "view.spectra-ab", NULL);
	for (int s = 0; s < LATHE_SOURCE_COUNT; s++)
		gtk_widget_class_add_binding_action(wc, GDK_KEY_1 + s, 0, "console.source", "i", s);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_m, 0, "monitor.mono", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_s, 0, "monitor.side", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_d, 0, "monitor.dim", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_M, GDK_SHIFT_MASK, "monitor.mute", NULL);
	for (int n = 1; n <= 8; n++) {
		gtk_widget_class_add_binding_action(wc, GDK_KEY_F1 + n - 1, 0, "snapshot.recall", "i", n);
		gtk_widget_class_add_binding_action(wc, GDK_KEY_F1 + n - 1, GDK_SHIFT_MASK,
						    "snapshot.store", "i", n);
	}
	gtk_widget_class_add_binding_action(wc, GDK_KEY_s, GDK_CONTROL_MASK, "session.save", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_S, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
					    "session.save-as", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_o, GDK_CONTROL_MASK, "session.open", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_question, GDK_CONTROL_MASK,
					    "win.show-help-overlay", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_z, GDK_CONTROL_MASK, "edit.undo", NULL);
	gtk_widget_class_add_binding_action(wc, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
					    "edit.redo", NULL);
}

static void lathe_window_init(LatheWindow *w)
{
	w->controls = g_ptr_array_new();
	w->chain_controls = g_ptr_array_new();
	w->undo = g_array_new(FALSE, FALSE, sizeof(Change));
	w->redo = g_array_new(FALSE, FALSE, sizeof(Change));
	w->shown_chain = -1;
	w->shown_spectra = -1;
	w->drag_band = -1;
}

GtkWidget *lathe_window_new(LatheState *state, LatheHost *host, LatheOsc *osc)
{
	static bool styled;
	if (!styled) {
		GtkCssProvider *provider = gtk_css_provider_new();
		gtk_css_provider_load_from_data(provider, css, -1);
		gtk_style_context_add_provider_for_display(gdk_display_get_default(),
							   GTK_STYLE_PROVIDER(provider),
							   GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
		g_object_unref(provider);
		g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme", TRUE, NULL);
		styled = true;
	}
	LatheWindow *w = g_object_new(LATHE_TYPE_WINDOW, "title", "lathe", "default-width", 1280,
				      "default-height", 800, NULL);
	w->state = state;
	w->host = host;
	w->osc = osc;
	gtk_widget_add_css_class(GTK_WIDGET(w), "lathe");
	g_signal_connect(w, "close-request", G_CALLBACK(close_request_cb), NULL);

	GtkWidget *header = gtk_header_bar_new();
	w->title = gtk_label_new("");
	gtk_header_bar_set_title_widget(GTK_HEADER_BAR(header), w->title);
	w->ab = gtk_button_new_with_label("A");
	gtk_widget_add_css_class(w->ab, "ab");
	gtk_actionable_set_action_name(GTK_ACTIONABLE(w->ab), "console.ab");
	gtk_widget_set_tooltip_text(w->ab, "A/B: the other chain on the print (X)");
	gtk_accessible_update_property(GTK_ACCESSIBLE(w->ab), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       "A/B toggle", -1);
	gtk_header_bar_pack_start(GTK_HEADER_BAR(header), w->ab);
	gtk_header_bar_pack_start(GTK_HEADER_BAR(header), control(w, LATHE_TARGET_SELECTED, "/source"));
	GtkWidget *save = gtk_button_new_from_icon_name("document-save-symbolic");
	gtk_actionable_set_action_name(GTK_ACTIONABLE(save), "session.save");
	gtk_widget_set_tooltip_text(save, "Save the session (Ctrl+S)");
	gtk_accessible_update_property(GTK_ACCESSIBLE(save), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       "Save the session", -1);
	GtkWidget *menu = gtk_menu_button_new();
	gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(menu), "open-menu-symbolic");
	gtk_widget_set_tooltip_text(menu, "Sessions, presets and shortcuts");
	gtk_accessible_update_property(GTK_ACCESSIBLE(menu), GTK_ACCESSIBLE_PROPERTY_LABEL, "Menu", -1);
	gtk_menu_button_set_create_popup_func(GTK_MENU_BUTTON(menu),
					      (GtkMenuButtonCreatePopupFunc)menu_activate_cb, w, NULL);
	gtk_header_bar_pack_end(GTK_HEADER_BAR(header), menu);
	gtk_header_bar_pack_end(GTK_HEADER_BAR(header), save);
	gtk_window_set_titlebar(GTK_WINDOW(w), header);

	GtkWidget *top = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	gtk_box_append(GTK_BOX(top), monitor_section(w));
	GtkWidget *spacer = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	gtk_widget_set_hexpand(spacer, TRUE);
	gtk_box_append(GTK_BOX(top), spacer);
	gtk_box_append(GTK_BOX(top), snapshot_pads(w));

	w->chain_box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 4);
	GtkWidget *scroll = gtk_scrolled_window_new();
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), w->chain_box);
	gtk_widget_set_vexpand(scroll, TRUE);
	gtk_widget_set_hexpand(scroll, TRUE);
	build_chain(w);

	/* An inscription, not a label: its size does not follow its text, so
	 * new text (twice a second) only redraws it. A label's lays the whole
	 * window out again, 12 ms in software. */
	w->status = gtk_inscription_new(NULL);
	gtk_inscription_set_min_chars(GTK_INSCRIPTION(w->status), 20);
	gtk_inscription_set_nat_chars(GTK_INSCRIPTION(w->status), 120);
	gtk_inscription_set_xalign(GTK_INSCRIPTION(w->status), 0.0f);
	gtk_widget_add_css_class(w->status, "status");

	/* The chain over the spectrum and history; the meters on the right. */
	GtkWidget *left = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_box_append(GTK_BOX(left), scroll);
	gtk_box_append(GTK_BOX(left), analysis_row(w));
	GtkWidget *middle = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	gtk_box_append(GTK_BOX(middle), left);
	gtk_box_append(GTK_BOX(middle), meters_column(w));
	gtk_widget_set_vexpand(middle, TRUE);
	GtkWidget *main = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
	gtk_box_append(GTK_BOX(main), lathe_cache_new(top));
	gtk_box_append(GTK_BOX(main), middle);
	gtk_box_append(GTK_BOX(main), w->status);
	gtk_window_set_child(GTK_WINDOW(w), main);

	refresh_cb(w);
	status_cb(w);
	w->refresh_id = g_timeout_add(REFRESH_MS, refresh_cb, w);
	w->status_id = g_timeout_add(STATUS_MS, status_cb, w);
	return GTK_WIDGET(w);
}
