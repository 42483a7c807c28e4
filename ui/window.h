/* lathe — the GTK console's main window: one client of the canonical state
 * on the main loop, like OSC. It edits the state through its controls and
 * actions, syncs it, and shows every change from anywhere (OSC, a recall,
 * a load, stdin) by comparing what it shows with the state, 30 times a
 * second, as OSC feedback does.
 *
 * Threads. The main loop only.
 */
#ifndef LATHE_UI_WINDOW_H
#define LATHE_UI_WINDOW_H

#include <gtk/gtk.h>

#include "host.h"
#include "osc.h"
#include "state.h"

G_BEGIN_DECLS

#define LATHE_TYPE_WINDOW (lathe_window_get_type())
G_DECLARE_FINAL_TYPE(LatheWindow, lathe_window, LATHE, WINDOW, GtkWindow)

/* The window for a running console; host and osc may be NULL. */
GtkWidget *lathe_window_new(LatheState *state, LatheHost *host, LatheOsc *osc);

G_END_DECLS

#endif
