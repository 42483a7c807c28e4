/* lathe — a registry parameter as a GTK control (see control.h). */
#define G_LOG_DOMAIN "lathe-control"
#include "control.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define KNOB_SIZE 44
#define COARSE_PX 200.0 /* pixels of drag for the whole travel */
#define FINE_FACTOR 10.0
#define SCROLL_STEPS 100.0 /* a continuous knob's travel in scroll steps */

struct _LatheControl {
	GtkWidget parent_instance;
	LatheState *state;
	int target, id;
	const LatheParam *param;
	LatheControlChanged changed;
	gpointer data;

	GtkWidget *name;   /* label above */
	GtkWidget *editor; /* knob (LatheKnob), toggle button or drop-down */
	GtkWidget *value;  /* value and unit, under a knob (an inscription) */
	GtkWidget *entry;  /* typing an exact value, in a popover */
	GtkWidget *popover;
	float shown;       /* the value on display */
	double drag_norm;  /* travel where a drag began */
	bool refreshing;   /* a refresh is moving the editor: not a user change */
};

G_DEFINE_FINAL_TYPE(LatheControl, lathe_control, GTK_TYPE_WIDGET)

/* The knob is a GtkRange, drawn and handled by us, for one reason: GTK 4.8
 * gives screen readers a value (AT-SPI's Value interface: read, and set)
 * only for its own range widgets. The range's adjustment holds the value
 * in the parameter's unit; its own drawing and input are left unused. */
#define LATHE_TYPE_KNOB (lathe_knob_get_type())
G_DECLARE_FINAL_TYPE(LatheKnob, lathe_knob, LATHE, KNOB, GtkRange)

struct _LatheKnob {
	GtkRange parent_instance;
	LatheControl *control;
};

G_DEFINE_FINAL_TYPE(LatheKnob, lathe_knob, GTK_TYPE_RANGE)

static float current(LatheControl *c)
{
	return lathe_state_get(c->state, c->target, c->id);
}

/* Put a value in the state as the user's, and tell the window. */
static void apply(LatheControl *c, float value)
{
	float before = current(c), v;
	if (lathe_param_validate(c->param, value, &v) == LATHE_VALUE_INVALID || v == before)
		return;
	lathe_state_set(c->state, c->target, c->id, v);
	if (c->changed)
		c->changed(c, c->target, c->id, before, v, c->data);
	lathe_control_refresh(c);
}

static void value_text(LatheControl *c, float v, char *buf, size_t size)
{
	char num[48];
	lathe_param_format(c->param, v, num, sizeof(num));
	snprintf(buf, size, "%s%s%s", num, c->param->unit[0] ? " " : "", c->param->unit);
}

/* ------------------------------------------------------------------ knob */

static void knob_draw(LatheControl *c, cairo_t *cr, int w, int h, bool focused)
{
	double norm = lathe_param_to_norm(c->param, c->shown);
	double cx = w / 2.0, cy = h / 2.0, r = fmin(w, h) / 2.0 - 4.0;
	/* 300 degrees of travel, from 7:30 to 4:30, as a hardware knob. */
	double start = M_PI * 0.75, span = M_PI * 1.5;
	cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
	cairo_set_line_width(cr, 4.0);
	cairo_set_source_rgb(cr, 0.22, 0.23, 0.26);
	cairo_arc(cr, cx, cy, r, start, start + span);
	cairo_stroke(cr);
	/* The lit arc starts at the middle for a bipolar dB range (a cut and a
	 * boost read as such), else at the bottom of the travel. */
	double from = (c->param->taper == LATHE_TAPER_DB && c->param->min < 0 && c->param->max > 0)
			      ? lathe_param_to_norm(c->param, 0.0f) : 0.0;
	double a0 = start + span * fmin(from, norm), a1 = start + span * fmax(from, norm);
	cairo_set_source_rgb(cr, 0.95, 0.62, 0.20);
	if (a1 - a0 > 1e-3) {
		cairo_arc(cr, cx, cy, r, a0, a1);
		cairo_stroke(cr);
	}
	double a = start + span * norm;
	cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
	cairo_set_line_width(cr, 2.5);
	cairo_move_to(cr, cx + cos(a) * r * 0.35, cy + sin(a) * r * 0.35);
	cairo_line_to(cr, cx + cos(a) * r * 0.85, cy + sin(a) * r * 0.85);
	cairo_stroke(cr);
	if (focused) {
		cairo_set_source_rgba(cr, 0.95, 0.62, 0.20, 0.5);
		cairo_set_line_width(cr, 1.0);
		cairo_arc(cr, cx, cy, r + 3.0, 0, 2 * M_PI);
		cairo_stroke(cr);
	}
}

static void lathe_knob_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
	int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
	cairo_t *cr = gtk_snapshot_append_cairo(s, &GRAPHENE_RECT_INIT(0, 0, w, h));
	knob_draw(LATHE_KNOB(widget)->control, cr, w, h, gtk_widget_has_focus(widget));
	cairo_destroy(cr);
}

static void lathe_knob_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
			       int *minimum, int *natural, int *minimum_baseline,
			       int *natural_baseline)
{
	(void)widget, (void)orientation, (void)for_size;
	*minimum = *natural = KNOB_SIZE;
	*minimum_baseline = *natural_baseline = -1;
}

static void lathe_knob_size_allocate(GtkWidget *widget, int width, int height, int baseline)
{
	(void)width, (void)height, (void)baseline;
	GtkWidget *popover = LATHE_KNOB(widget)->control->popover;
	if (popover)
		gtk_popover_present(GTK_POPOVER(popover));
}

static void lathe_knob_class_init(LatheKnobClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	widget_class->snapshot = lathe_knob_snapshot;
	widget_class->measure = lathe_knob_measure;
	widget_class->size_allocate = lathe_knob_size_allocate;
	gtk_widget_class_set_css_name(widget_class, "lathe-knob");
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_SLIDER);
}

static void lathe_knob_init(LatheKnob *self)
{
	GtkWidget *widget = GTK_WIDGET(self);
	/* The range's own parts (its trough) are not shown, and its own
	 * gestures and key bindings are switched off, not removed: the range
	 * keeps pointers to them. */
	for (GtkWidget *part = gtk_widget_get_first_child(widget); part;
	     part = gtk_widget_get_next_sibling(part))
		gtk_widget_set_visible(part, FALSE);
	GListModel *controllers = gtk_widget_observe_controllers(widget);
	for (guint i = 0; i < g_list_model_get_n_items(controllers); i++) {
		GtkEventController *controller = g_list_model_get_item(controllers, i);
		gtk_event_controller_set_propagation_phase(controller, GTK_PHASE_NONE);
		g_object_unref(controller);
	}
	g_object_unref(controllers);
}

static void set_norm(LatheControl *c, double norm)
{
	apply(c, lathe_param_from_norm(c->param, fmin(1.0, fmax(0.0, norm))));
}

/* One step: the parameter's own step, or a hundredth of the travel. */
static void step(LatheControl *c, double steps)
{
	if (c->param->step > 0)
		apply(c, current(c) + (float)steps * c->param->step);
	else
		set_norm(c, lathe_param_to_norm(c->param, current(c)) + steps / SCROLL_STEPS);
}

static void drag_begin_cb(GtkGestureDrag *g, double x, double y, gpointer data)
{
	(void)g, (void)x, (void)y;
	LatheControl *c = data;
	c->drag_norm = lathe_param_to_norm(c->param, current(c));
	gtk_widget_grab_focus(c->editor);
}

static void drag_update_cb(GtkGestureDrag *g, double dx, double dy, gpointer data)
{
	(void)dx;
	LatheControl *c = data;
	GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(g));
	double px = COARSE_PX * ((mods & GDK_SHIFT_MASK) ? FINE_FACTOR : 1.0);
	/* Up is more. A fine drag continues from where it is now. */
	set_norm(c, c->drag_norm - dy / px);
}

static gboolean scroll_cb(GtkEventControllerScroll *s, double dx, double dy, gpointer data)
{
	(void)s, (void)dx;
	step(data, dy < 0 ? 1.0 : dy > 0 ? -1.0 : 0.0);
	return TRUE;
}

static void reset(LatheControl *c) { apply(c, c->param->def); }

static void entry_activate_cb(GtkEntry *entry, gpointer data)
{
	LatheControl *c = data;
	float v;
	const char *text = gtk_editable_get_text(GTK_EDITABLE(entry));
	/* The unit may be typed too: "-3.5 dB". */
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", text);
	size_t unit = strlen(c->param->unit), len = strlen(buf);
	while (len && buf[len - 1] == ' ')
		buf[--len] = '\0';
	if (unit && len > unit && g_ascii_strcasecmp(buf + len - unit, c->param->unit) == 0)
		buf[len - unit] = '\0';
	if (lathe_param_parse(c->param, buf, &v) == LATHE_VALUE_INVALID) {
		gtk_widget_error_bell(GTK_WIDGET(entry));
		return;
	}
	apply(c, v);
	gtk_popover_popdown(GTK_POPOVER(c->popover));
}

static void type_value(LatheControl *c)
{
	char text[64];
	lathe_param_format(c->param, current(c), text, sizeof(text));
	gtk_editable_set_text(GTK_EDITABLE(c->entry), text);
	gtk_popover_popup(GTK_POPOVER(c->popover));
	gtk_widget_grab_focus(c->entry);
}

static void pressed_cb(GtkGestureClick *g, int n, double x, double y, gpointer data)
{
	(void)x, (void)y;
	LatheControl *c = data;
	GdkModifierType mods = gtk_event_controller_get_current_event_state(GTK_EVENT_CONTROLLER(g));
	if (mods & GDK_CONTROL_MASK)
		reset(c);
	else if (n == 2)
		type_value(c);
}

static gboolean key_cb(GtkEventControllerKey *k, guint key, guint code, GdkModifierType mods,
		       gpointer data)
{
	(void)k, (void)code;
	LatheControl *c = data;
	double fine = (mods & GDK_SHIFT_MASK) ? 0.1 : 1.0;
	switch (key) {
	case GDK_KEY_Up: case GDK_KEY_Right: step(c, fine); return TRUE;
	case GDK_KEY_Down: case GDK_KEY_Left: step(c, -fine); return TRUE;
	case GDK_KEY_Page_Up: step(c, 10.0); return TRUE;
	case GDK_KEY_Page_Down: step(c, -10.0); return TRUE;
	case GDK_KEY_Home: apply(c, c->param->min); return TRUE;
	case GDK_KEY_End: apply(c, c->param->max); return TRUE;
	case GDK_KEY_BackSpace: case GDK_KEY_Delete: reset(c); return TRUE;
	case GDK_KEY_Return: case GDK_KEY_KP_Enter: type_value(c); return TRUE;
	default: return FALSE;
	}
}

static void range_changed_cb(GtkRange *range, gpointer data)
{
	LatheControl *c = data;
	if (!c->refreshing) /* a screen reader set it */
		apply(c, (float)gtk_range_get_value(range));
}

static GtkWidget *make_knob(LatheControl *c)
{
	const LatheParam *p = c->param;
	LatheKnob *knob = g_object_new(LATHE_TYPE_KNOB, NULL);
	knob->control = c;
	GtkWidget *widget = GTK_WIDGET(knob);
	/* A screen reader's step: the parameter's, or a hundredth of the range. */
	double step = p->step > 0 ? p->step : (p->max - p->min) / SCROLL_STEPS;
	gtk_range_set_adjustment(GTK_RANGE(knob), gtk_adjustment_new(p->def, p->min, p->max, step,
								     10 * step, 0.0));
	g_signal_connect(knob, "value-changed", G_CALLBACK(range_changed_cb), c);
	gtk_widget_set_focusable(widget, TRUE);
	gtk_widget_set_halign(widget, GTK_ALIGN_CENTER);
	GtkGesture *drag = gtk_gesture_drag_new();
	g_signal_connect(drag, "drag-begin", G_CALLBACK(drag_begin_cb), c);
	g_signal_connect(drag, "drag-update", G_CALLBACK(drag_update_cb), c);
	gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(drag));
	GtkGesture *click = gtk_gesture_click_new();
	g_signal_connect(click, "pressed", G_CALLBACK(pressed_cb), c);
	gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(click));
	GtkEventController *scroll = gtk_event_controller_scroll_new(GTK_EVENT_CONTROLLER_SCROLL_VERTICAL |
								     GTK_EVENT_CONTROLLER_SCROLL_DISCRETE);
	g_signal_connect(scroll, "scroll", G_CALLBACK(scroll_cb), c);
	gtk_widget_add_controller(widget, scroll);
	GtkEventController *keys = gtk_event_controller_key_new();
	g_signal_connect(keys, "key-pressed", G_CALLBACK(key_cb), c);
	gtk_widget_add_controller(widget, keys);
	g_signal_connect_swapped(widget, "notify::has-focus", G_CALLBACK(gtk_widget_queue_draw), widget);

	c->entry = gtk_entry_new();
	gtk_editable_set_width_chars(GTK_EDITABLE(c->entry), 10);
	g_signal_connect(c->entry, "activate", G_CALLBACK(entry_activate_cb), c);
	c->popover = gtk_popover_new();
	gtk_popover_set_child(GTK_POPOVER(c->popover), c->entry);
	gtk_widget_set_parent(c->popover, widget);
	return widget;
}

/* -------------------------------------------------------- toggle, enum */

static void toggled_cb(GtkToggleButton *b, gpointer data)
{
	LatheControl *c = data;
	if (!c->refreshing)
		apply(c, gtk_toggle_button_get_active(b) ? 1.0f : 0.0f);
}

static void selected_cb(GObject *dropdown, GParamSpec *pspec, gpointer data)
{
	(void)pspec;
	LatheControl *c = data;
	if (!c->refreshing)
		apply(c, (float)gtk_drop_down_get_selected(GTK_DROP_DOWN(dropdown)));
}

/* ------------------------------------------------------------- widget */

static void lathe_control_dispose(GObject *object)
{
	LatheControl *c = LATHE_CONTROL(object);
	if (c->popover) {
		gtk_widget_unparent(c->popover);
		c->popover = NULL;
	}
	GtkWidget *child;
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(c))))
		gtk_widget_unparent(child);
	G_OBJECT_CLASS(lathe_control_parent_class)->dispose(object);
}

static void lathe_control_class_init(LatheControlClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = lathe_control_dispose;
	gtk_widget_class_set_layout_manager_type(GTK_WIDGET_CLASS(klass), GTK_TYPE_BOX_LAYOUT);
	gtk_widget_class_set_css_name(GTK_WIDGET_CLASS(klass), "lathe-control");
}

static void lathe_control_init(LatheControl *c)
{
	GtkLayoutManager *layout = gtk_widget_get_layout_manager(GTK_WIDGET(c));
	gtk_orientable_set_orientation(GTK_ORIENTABLE(layout), GTK_ORIENTATION_VERTICAL);
	gtk_box_layout_set_spacing(GTK_BOX_LAYOUT(layout), 2);
}

GtkWidget *lathe_control_new(LatheState *state, int target, int id, LatheControlChanged changed,
			     gpointer data)
{
	LatheControl *c = g_object_new(LATHE_TYPE_CONTROL, NULL);
	c->state = state;
	c->target = target;
	c->id = id;
	c->param = &lathe_params[id];
	c->changed = changed;
	c->data = data;
	c->shown = NAN;
	GtkWidget *self = GTK_WIDGET(c);
	if (c->param->taper == LATHE_TAPER_TOGGLE) {
		c->editor = gtk_toggle_button_new_with_label(c->param->label);
		g_signal_connect(c->editor, "toggled", G_CALLBACK(toggled_cb), c);
		gtk_widget_set_parent(c->editor, self);
	} else {
		c->name = gtk_label_new(c->param->label);
		gtk_widget_add_css_class(c->name, "control-name");
		gtk_widget_set_parent(c->name, self);
		if (c->param->taper == LATHE_TAPER_ENUM) {
			c->editor = gtk_drop_down_new_from_strings((const char *const *)c->param->names);
			g_signal_connect(c->editor, "notify::selected", G_CALLBACK(selected_cb), c);
			gtk_widget_set_parent(c->editor, self);
		} else {
			c->editor = make_knob(c);
			gtk_widget_set_parent(c->editor, self);
			/* An inscription: a new value redraws it, where a label's
			 * new text would lay the whole window out again (a surface
			 * moves a control forty times a second). */
			c->value = gtk_inscription_new(NULL);
			gtk_inscription_set_min_chars(GTK_INSCRIPTION(c->value), 7);
			gtk_inscription_set_xalign(GTK_INSCRIPTION(c->value), 0.5f);
			gtk_widget_add_css_class(c->value, "control-value");
			gtk_widget_add_css_class(c->value, "numeric");
			gtk_widget_set_parent(c->value, self);
		}
	}
	gtk_widget_set_tooltip_text(self, c->param->help);
	gtk_accessible_update_property(GTK_ACCESSIBLE(c->editor), GTK_ACCESSIBLE_PROPERTY_LABEL,
				       c->param->label, GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
				       c->param->help, -1);
	lathe_control_refresh(c);
	return self;
}

void lathe_control_refresh(LatheControl *c)
{
	float v = current(c);
	if (v == c->shown)
		return;
	c->shown = v;
	c->refreshing = true;
	char text[96];
	value_text(c, v, text, sizeof(text));
	if (c->param->taper == LATHE_TAPER_TOGGLE) {
		gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(c->editor), v != 0.0f);
		gtk_accessible_update_state(GTK_ACCESSIBLE(c->editor), GTK_ACCESSIBLE_STATE_PRESSED,
					    v != 0.0f ? GTK_ACCESSIBLE_TRISTATE_TRUE
						      : GTK_ACCESSIBLE_TRISTATE_FALSE, -1);
	} else if (c->param->taper == LATHE_TAPER_ENUM) {
		gtk_drop_down_set_selected(GTK_DROP_DOWN(c->editor), (guint)lrintf(v));
	} else {
		gtk_inscription_set_text(GTK_INSCRIPTION(c->value), text);
		gtk_range_set_value(GTK_RANGE(c->editor), v); /* the number a screen reader reads */
		gtk_widget_queue_draw(c->editor);
		/* With its unit, the value also begins the description (AT-SPI's
		 * Value interface has a number only). */
		char *description = g_strdup_printf("%s. %s", text, c->param->help);
		gtk_accessible_update_property(GTK_ACCESSIBLE(c->editor),
					       GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text,
					       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
		g_free(description);
	}
	c->refreshing = false;
}
