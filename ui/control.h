/* lathe — one control of the GTK console, made from a registry parameter:
 * a knob for continuous values, a switch-like toggle button, a drop-down
 * for an enum. It edits the canonical state (state.h) and shows it.
 *
 * Precision, for the knob: drag up/down for coarse (the whole travel in
 * 200 px), with Shift for fine (ten times finer), scroll for one step,
 * double-click to type an exact value, Ctrl+click or Backspace to reset
 * to the default; arrows and Page Up/Down from the keyboard. The value and
 * unit are always shown under it.
 *
 * Threads. The main loop only.
 */
#ifndef LATHE_UI_CONTROL_H
#define LATHE_UI_CONTROL_H

#include <gtk/gtk.h>

#include "state.h"

G_BEGIN_DECLS

#define LATHE_TYPE_CONTROL (lathe_control_get_type())
G_DECLARE_FINAL_TYPE(LatheControl, lathe_control, LATHE, CONTROL, GtkWidget)

/* A control for registry parameter id in a target (LATHE_TARGET_*). Every
 * change it makes calls changed(state, data) after it is in the state, so
 * the window can record it for undo and sync. */
typedef void (*LatheControlChanged)(LatheControl *control, int target, int id, float before,
				    float after, gpointer data);
GtkWidget *lathe_control_new(LatheState *state, int target, int id, LatheControlChanged changed,
			     gpointer data);

/* Show the state's value now (after a change from elsewhere: OSC, a
 * recall, undo). Cheap when nothing changed. */
void lathe_control_refresh(LatheControl *control);

G_END_DECLS

#endif
