/* lathe — LatheSpectrumView: two spectra, the EQ curve and draggable band
 * handles on a log-frequency plot (see meter-widgets.h).
 *
 * Coordinates. The plot is a rectangle inside the widget (margins for the
 * scales). Frequency is logarithmic: x = left + width * log(f / 20 Hz) /
 * log(1000). The EQ scale puts +LATHE_SPECTRUM_EQ_RANGE_DB at the top and
 * its negative at the bottom; the spectra put 0 dB at the top and
 * -LATHE_SPECTRUM_RANGE_DB at the bottom. The x of every display point is
 * computed in size_allocate; snapshot builds the paths from it.
 *
 * Dragging: a press within HIT_RADIUS of a handle grabs it; the handle
 * then moves by the pointer's offset from the press (no jump on grab), and
 * each motion emits "band-moved" with the position mapped back to
 * frequency and gain, clamped to the registry's ranges.
 */
#define G_LOG_DOMAIN "lathe-meter"

#include "meter-widgets.h"
#include "meter-private.h"
#include "cache.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "params.h"

#define N LATHE_SPECTRUM_POINTS
#define BANDS LATHE_SPECTRUM_BANDS
#define DECADES 3.0 /* log10(20000 / 20) */

/* Layout in pixels. */
#define MARGIN_LEFT 34.0f   /* spectrum dB labels */
#define MARGIN_RIGHT 30.0f  /* EQ dB labels */
#define MARGIN_TOP 8.0f
#define MARGIN_BOTTOM 20.0f /* frequency labels */
#define HANDLE_R 7.5
#define HIT_RADIUS 14.0
#define LABEL_PX 10.5
#define LEGEND_PX 12.0
#define H_LINES 9           /* every 6 dB of EQ, 12 dB of spectrum */

static const double grid_hz[] = {
	20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 600, 700, 800, 900,
	1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 20000,
};
#define N_GRID (int)(sizeof grid_hz / sizeof grid_hz[0])
static const struct { double hz; const char *text; } freq_labels[] = {
	{ 20, "20" }, { 50, "50" }, { 100, "100" }, { 200, "200" }, { 500, "500" },
	{ 1000, "1k" }, { 2000, "2k" }, { 5000, "5k" }, { 10000, "10k" }, { 20000, "20k" },
};
#define N_FREQ_LABELS (int)(sizeof freq_labels / sizeof freq_labels[0])

enum { SIGNAL_BAND_MOVED, SIGNAL_BAND_RELEASED, SIGNAL_BAND_RESET, N_SIGNALS };
static guint signals[N_SIGNALS];

typedef struct {
	bool set, enabled;
	double freq, gain;
	float freq_min, freq_max, gain_min, gain_max; /* the registry's ranges */
} Band;

struct _LatheSpectrumView {
	GtkWidget parent_instance;

	float spectrum[2][N];
	bool has_spectrum[2];
	float eq[N];
	bool has_eq, eq_active;
	Band band[BANDS];

	/* Geometry from size_allocate. */
	graphene_rect_t plot;
	float x[N];

	/* Pointer. */
	int drag_band, hover_band;   /* -1: none */
	double drag_x0, drag_y0;     /* the grabbed handle's position at the press */
	int press_band;              /* the previous press, for double-clicks */
	guint32 press_time;
	double press_x, press_y;

	LatheMeterText legend[2];
	LatheMeterText freq_text[N_FREQ_LABELS];
	LatheMeterText eq_db_text[H_LINES], spec_db_text[H_LINES];
	LatheMeterText band_text[BANDS];

	gint64 a11y_time;

	/* What moves only with a control or the size is drawn into images
	 * once (cache.h), so that a new spectrum, ten times a second, draws
	 * only the spectra: the grid and scales under them, the EQ curve and
	 * its handles over them. NULL: to be drawn at the next snapshot. */
	cairo_surface_t *underlay, *overlay;
};

G_DEFINE_FINAL_TYPE(LatheSpectrumView, lathe_spectrum_view, GTK_TYPE_WIDGET)

/* The EQ curve or a handle changed: draw them again. */
static void overlay_changed(LatheSpectrumView *self)
{
	g_clear_pointer(&self->overlay, cairo_surface_destroy);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- mapping ------------------------------------------------------------------ */

static double x_of_freq(const LatheSpectrumView *self, double f)
{
	const graphene_rect_t *p = &self->plot;
	return p->origin.x + p->size.width * log10(f / LATHE_SPECTRUM_MIN_HZ) / DECADES;
}

static double freq_of_x(const LatheSpectrumView *self, double x)
{
	const graphene_rect_t *p = &self->plot;
	return LATHE_SPECTRUM_MIN_HZ * pow(10.0, DECADES * (x - p->origin.x) / p->size.width);
}

static double y_of_eq(const LatheSpectrumView *self, double db)
{
	const graphene_rect_t *p = &self->plot;
	double r = LATHE_SPECTRUM_EQ_RANGE_DB;
	return p->origin.y + p->size.height * (r - db) / (2 * r);
}

static double eq_of_y(const LatheSpectrumView *self, double y)
{
	const graphene_rect_t *p = &self->plot;
	double r = LATHE_SPECTRUM_EQ_RANGE_DB;
	return r - (y - p->origin.y) / p->size.height * 2 * r;
}

static double y_of_spectrum(const LatheSpectrumView *self, float db)
{
	const graphene_rect_t *p = &self->plot;
	double t = isnan(db) ? 1.0 : CLAMP(-db / LATHE_SPECTRUM_RANGE_DB, 0.0, 1.0);
	return p->origin.y + p->size.height * t;
}

void lathe_spectrum_view_get_plot_area(LatheSpectrumView *self, graphene_rect_t *area)
{
	g_return_if_fail(LATHE_IS_SPECTRUM_VIEW(self));
	*area = self->plot;
}

/* ---- the EQ curve ------------------------------------------------------------- */

void lathe_spectrum_eq_curve(const float *chain_values, double rate,
			     float out[LATHE_SPECTRUM_POINTS])
{
	const float *eq = chain_values + lathe_module_first_param(LATHE_MODULE_EQ);
	for (int i = 0; i < N; i++) {
		double f = lathe_meter_spectrum_freq(i), power = 0.0;
		for (int o = 0; o < 2; o++)
			for (int in = 0; in < 2; in++) {
				double m = lathe_eq_magnitude(eq, rate, o, in, f);
				power += m * m;
			}
		/* Summed over the inputs (uncorrelated, equal power), averaged
		 * over the outputs; -200 dB stands for a notch's zero. */
		out[i] = (float)(10.0 * log10(MAX(power / 2.0, 1e-20)));
	}
}

/* ---- setters ------------------------------------------------------------------ */

void lathe_spectrum_view_set_spectrum(LatheSpectrumView *self, int which,
				      const float db[LATHE_SPECTRUM_POINTS])
{
	g_return_if_fail(LATHE_IS_SPECTRUM_VIEW(self));
	g_return_if_fail(which == 0 || which == 1);
	self->has_spectrum[which] = db != NULL;
	if (db)
		memcpy(self->spectrum[which], db, sizeof self->spectrum[which]);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_spectrum_view_set_spectrum_labels(LatheSpectrumView *self, const char *first,
					     const char *second)
{
	g_return_if_fail(LATHE_IS_SPECTRUM_VIEW(self));
	lathe_meter_text_set(&self->legend[0], first ? first : "");
	lathe_meter_text_set(&self->legend[1], second ? second : "");
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_spectrum_view_set_eq_curve(LatheSpectrumView *self,
				      const float db[LATHE_SPECTRUM_POINTS])
{
	g_return_if_fail(LATHE_IS_SPECTRUM_VIEW(self));
	self->has_eq = db != NULL;
	if (db)
		memcpy(self->eq, db, sizeof self->eq);
	overlay_changed(self);
}

void lathe_spectrum_view_set_eq_active(LatheSpectrumView *self, bool active)
{
	g_return_if_fail(LATHE_IS_SPECTRUM_VIEW(self));
	self->eq_active = active;
	overlay_changed(self);
}

static void update_a11y(LatheSpectrumView *self)
{
	if (!lathe_meter_a11y_due(&self->a11y_time))
		return;
	char text[400] = "EQ bands:";
	size_t len = strlen(text);
	bool any = false;
	for (int b = 0; b < BANDS && len < sizeof text; b++) {
		const Band *band = &self->band[b];
		if (!band->set || !band->enabled)
			continue;
		len += snprintf(text + len, sizeof text - len, "%s %d at %.0f Hz %+.1f dB",
				any ? "," : "", b + 1, band->freq, band->gain);
		any = true;
	}
	if (!any)
		g_strlcpy(text, "EQ bands: none on", sizeof text);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
				       text, -1);
}

void lathe_spectrum_view_set_band(LatheSpectrumView *self, int band, bool enabled, double freq,
				  double gain_db)
{
	g_return_if_fail(LATHE_IS_SPECTRUM_VIEW(self));
	g_return_if_fail(band >= 0 && band < BANDS);
	Band *b = &self->band[band];
	b->set = true;
	b->enabled = enabled;
	/* While the user drags this band, the handle is where the pointer put it. */
	if (band != self->drag_band) {
		b->freq = freq;
		b->gain = gain_db;
	}
	update_a11y(self);
	overlay_changed(self);
}

/* ---- pointer ------------------------------------------------------------------ */

/* The handle under (x, y), or -1. The nearest wins; enabled bands before
 * disabled ones at the same distance. */
static int band_at(const LatheSpectrumView *self, double x, double y)
{
	int best = -1;
	double best_d = HIT_RADIUS;
	for (int b = 0; b < BANDS; b++) {
		const Band *band = &self->band[b];
		if (!band->set)
			continue;
		double dx = x - x_of_freq(self, band->freq);
		double dy = y - y_of_eq(self, band->gain);
		double d = hypot(dx, dy) + (band->enabled ? 0.0 : 0.5);
		if (d <= best_d)
			best = b, best_d = d;
	}
	return best;
}

static void drag_begin_cb(GtkGestureDrag *gesture, double x, double y, gpointer data)
{
	LatheSpectrumView *self = data;
	int b = self->plot.size.width > 0 ? band_at(self, x, y) : -1;
	if (b < 0) {
		gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_DENIED);
		return;
	}
	gtk_gesture_set_state(GTK_GESTURE(gesture), GTK_EVENT_SEQUENCE_CLAIMED);

	/* A second press on the same handle within the double-click time and
	 * distance is a double-click: reset. (The drag itself sees it; a
	 * separate click gesture would be cancelled by the drag's claim.) */
	guint32 time = gtk_event_controller_get_current_event_time(GTK_EVENT_CONTROLLER(gesture));
	int dc_time = 400, dc_distance = 5;
	g_object_get(gtk_widget_get_settings(GTK_WIDGET(self)), "gtk-double-click-time", &dc_time,
		     "gtk-double-click-distance", &dc_distance, NULL);
	bool twice = b == self->press_band && time - self->press_time <= (guint32)dc_time &&
		     fabs(x - self->press_x) <= dc_distance && fabs(y - self->press_y) <= dc_distance;
	self->press_band = twice ? -1 : b; /* a third press starts afresh */
	self->press_time = time, self->press_x = x, self->press_y = y;
	if (twice) {
		/* No drag follows, so that set_band shows the reset at once. */
		g_signal_emit(self, signals[SIGNAL_BAND_RESET], 0, (guint)b);
		return;
	}

	self->drag_band = b;
	self->drag_x0 = x_of_freq(self, self->band[b].freq);
	self->drag_y0 = y_of_eq(self, self->band[b].gain);
	gtk_widget_set_cursor_from_name(GTK_WIDGET(self), "grabbing");
	overlay_changed(self);
}

static void drag_update_cb(GtkGestureDrag *gesture, double dx, double dy, gpointer data)
{
	(void)gesture;
	LatheSpectrumView *self = data;
	if (self->drag_band < 0)
		return;
	Band *b = &self->band[self->drag_band];
	b->freq = CLAMP(freq_of_x(self, self->drag_x0 + dx), b->freq_min, b->freq_max);
	b->gain = CLAMP(eq_of_y(self, self->drag_y0 + dy), b->gain_min, b->gain_max);
	g_signal_emit(self, signals[SIGNAL_BAND_MOVED], 0, (guint)self->drag_band, b->freq,
		      b->gain);
	overlay_changed(self);
}

static void drag_end_cb(GtkGestureDrag *gesture, double dx, double dy, gpointer data)
{
	(void)gesture, (void)dx, (void)dy;
	LatheSpectrumView *self = data;
	if (self->drag_band < 0)
		return;
	guint band = (guint)self->drag_band;
	self->drag_band = -1;
	g_signal_emit(self, signals[SIGNAL_BAND_RELEASED], 0, band);
	update_a11y(self);
	gtk_widget_set_cursor_from_name(GTK_WIDGET(self), self->hover_band >= 0 ? "grab" : NULL);
	overlay_changed(self);
}

static void motion_cb(GtkEventControllerMotion *motion, double x, double y, gpointer data)
{
	(void)motion;
	LatheSpectrumView *self = data;
	int b = band_at(self, x, y);
	if (b == self->hover_band)
		return;
	self->hover_band = b;
	if (self->drag_band < 0)
		gtk_widget_set_cursor_from_name(GTK_WIDGET(self), b >= 0 ? "grab" : NULL);
	overlay_changed(self);
}

static void leave_cb(GtkEventControllerMotion *motion, gpointer data)
{
	(void)motion;
	LatheSpectrumView *self = data;
	if (self->hover_band < 0)
		return;
	self->hover_band = -1;
	overlay_changed(self);
}

/* ---- drawing ------------------------------------------------------------------ */

static void trace_spectrum(LatheSpectrumView *self, cairo_t *cr, const float *db)
{
	for (int i = 0; i < N; i++) {
		double y = y_of_spectrum(self, db[i]);
		if (i == 0)
			cairo_move_to(cr, self->x[i], y);
		else
			cairo_line_to(cr, self->x[i], y);
	}
}

static void trace_eq(LatheSpectrumView *self, cairo_t *cr)
{
	const graphene_rect_t *p = &self->plot;
	/* A notch's depth is clipped a little under the plot, not at -200 dB. */
	double lo = -LATHE_SPECTRUM_EQ_RANGE_DB - 6, hi = LATHE_SPECTRUM_EQ_RANGE_DB + 6;
	cairo_move_to(cr, p->origin.x, y_of_eq(self, CLAMP(self->eq[0], lo, hi)));
	for (int i = 0; i < N; i++)
		cairo_line_to(cr, self->x[i], y_of_eq(self, CLAMP(self->eq[i], lo, hi)));
	cairo_line_to(cr, p->origin.x + p->size.width,
		      y_of_eq(self, CLAMP(self->eq[N - 1], lo, hi)));
}

static void draw_grid(LatheSpectrumView *self, GtkSnapshot *s)
{
	const LatheMeterPalette *pal = &lathe_meter_palette;
	const graphene_rect_t *p = &self->plot;
	float left = p->origin.x, top = p->origin.y, w = p->size.width, h = p->size.height;
	lathe_meter_fill(s, &pal->panel, left, top, w, h);
	for (int i = 0; i < N_GRID; i++) {
		float x = roundf(x_of_freq(self, grid_hz[i]));
		bool major = grid_hz[i] == 100 || grid_hz[i] == 1000 || grid_hz[i] == 10000;
		lathe_meter_fill(s, major ? &pal->grid_strong : &pal->grid, MIN(x, left + w - 1),
				 top, 1, h);
	}
	for (int i = 0; i < H_LINES; i++) {
		float y = roundf(top + i * h / (H_LINES - 1));
		bool zero = i == H_LINES / 2;
		lathe_meter_fill(s, zero ? &pal->grid_strong : &pal->grid, left,
				 MIN(y, top + h - 1), w, 1);
		lathe_meter_text_draw(s, &self->spec_db_text[i], left - 4, y, 1, 0.5f,
				      &pal->text_dim);
		lathe_meter_text_draw(s, &self->eq_db_text[i], left + w + 4, y, 0, 0.5f,
				      zero ? &pal->eq : &pal->text_dim);
	}
	for (int i = 0; i < N_FREQ_LABELS; i++) {
		float x = x_of_freq(self, freq_labels[i].hz);
		float xalign = i == 0 ? 0.0f : i == N_FREQ_LABELS - 1 ? 1.0f : 0.5f;
		lathe_meter_text_draw(s, &self->freq_text[i], x, top + h + 3, xalign, 0,
				      &pal->text_dim);
	}
}

/* A cairo node over the plot, clipped to it. */
static cairo_t *plot_cairo(LatheSpectrumView *self, GtkSnapshot *s)
{
	const graphene_rect_t *p = &self->plot;
	cairo_t *cr = gtk_snapshot_append_cairo(s, p);
	cairo_rectangle(cr, p->origin.x, p->origin.y, p->size.width, p->size.height);
	cairo_clip(cr);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	return cr;
}

/* The first spectrum filled, the second a line over it. */
static void draw_spectra(LatheSpectrumView *self, GtkSnapshot *s)
{
	const LatheMeterPalette *pal = &lathe_meter_palette;
	if (!self->has_spectrum[0] && !self->has_spectrum[1])
		return;
	cairo_t *cr = plot_cairo(self, s);
	double bottom = self->plot.origin.y + self->plot.size.height;
	if (self->has_spectrum[0]) {
		trace_spectrum(self, cr, self->spectrum[0]);
		cairo_line_to(cr, self->x[N - 1], bottom);
		cairo_line_to(cr, self->x[0], bottom);
		cairo_close_path(cr);
		lathe_meter_set_source_alpha(cr, &pal->spectrum[0], 0.35);
		cairo_fill_preserve(cr);
		cairo_new_path(cr);
		trace_spectrum(self, cr, self->spectrum[0]);
		lathe_meter_set_source_alpha(cr, &pal->spectrum[0], 0.9);
		cairo_set_line_width(cr, 1.0);
		cairo_stroke(cr);
	}
	if (self->has_spectrum[1]) {
		trace_spectrum(self, cr, self->spectrum[1]);
		lathe_meter_set_source(cr, &pal->spectrum[1]);
		cairo_set_line_width(cr, 1.5);
		cairo_stroke(cr);
	}
	cairo_destroy(cr);
}

/* The EQ curve: a light fill from 0 dB, then the line. */
static void draw_eq(LatheSpectrumView *self, GtkSnapshot *s)
{
	const LatheMeterPalette *pal = &lathe_meter_palette;
	if (!self->has_eq)
		return;
	cairo_t *cr = plot_cairo(self, s);
	const graphene_rect_t *p = &self->plot;
	double alpha = self->eq_active ? 1.0 : 0.45;
	double zero = y_of_eq(self, 0.0);
	trace_eq(self, cr);
	cairo_line_to(cr, p->origin.x + p->size.width, zero);
	cairo_line_to(cr, p->origin.x, zero);
	cairo_close_path(cr);
	lathe_meter_set_source_alpha(cr, &pal->eq, 0.14 * alpha);
	cairo_fill(cr);
	trace_eq(self, cr);
	lathe_meter_set_source_alpha(cr, &pal->eq, alpha);
	cairo_set_line_width(cr, 2.5);
	if (!self->eq_active)
		cairo_set_dash(cr, (const double[]){ 6.0, 4.0 }, 2, 0);
	cairo_stroke(cr);
	cairo_destroy(cr);
}

static void draw_handles(LatheSpectrumView *self, GtkSnapshot *s)
{
	const LatheMeterPalette *pal = &lathe_meter_palette;
	float width = gtk_widget_get_width(GTK_WIDGET(self));
	float height = gtk_widget_get_height(GTK_WIDGET(self));
	bool any = false;
	for (int b = 0; b < BANDS; b++)
		any |= self->band[b].set;
	if (!any)
		return;
	cairo_t *cr = gtk_snapshot_append_cairo(s, &GRAPHENE_RECT_INIT(0, 0, width, height));
	for (int b = 0; b < BANDS; b++) {
		const Band *band = &self->band[b];
		if (!band->set)
			continue;
		double x = x_of_freq(self, band->freq), y = y_of_eq(self, band->gain);
		bool hot = b == self->drag_band || b == self->hover_band;
		double r = hot ? HANDLE_R + 2 : HANDLE_R;
		double alpha = self->eq_active ? 1.0 : 0.6;
		cairo_new_path(cr);
		cairo_arc(cr, x, y, r, 0, 2 * G_PI);
		if (band->enabled) {
			lathe_meter_set_source_alpha(cr, &pal->bands[b], alpha);
			cairo_fill_preserve(cr);
			lathe_meter_set_source(cr, hot ? &pal->hold : &pal->bg);
			cairo_set_line_width(cr, hot ? 2.0 : 1.5);
		} else {
			lathe_meter_set_source_alpha(cr, &pal->bg, 0.7);
			cairo_fill_preserve(cr);
			lathe_meter_set_source_alpha(cr, &pal->bands[b], 0.8 * alpha);
			cairo_set_line_width(cr, 2.0);
		}
		cairo_stroke(cr);
	}
	cairo_destroy(cr);
	for (int b = 0; b < BANDS; b++) {
		const Band *band = &self->band[b];
		if (!band->set)
			continue;
		double x = x_of_freq(self, band->freq), y = y_of_eq(self, band->gain);
		lathe_meter_text_draw(s, &self->band_text[b], x, y, 0.5f, 0.5f,
				      band->enabled ? &pal->bg : &pal->bands[b]);
	}
}

static void draw_legend(LatheSpectrumView *self, GtkSnapshot *s)
{
	const LatheMeterPalette *pal = &lathe_meter_palette;
	float x = self->plot.origin.x + 10, y = self->plot.origin.y + 8;
	for (int i = 0; i < 2; i++) {
		const LatheMeterText *t = &self->legend[i];
		if (!t->text[0])
			continue;
		float h = t->height;
		lathe_meter_fill(s, &pal->spectrum[i], x, y + h / 2 - (i ? 1 : 4), 14, i ? 2 : 8);
		lathe_meter_text_draw(s, t, x + 20, y, 0, 0, &pal->text);
		x += 20 + t->width + 18;
	}
}

/* A layer drawn by draw(self, snapshot), kept as an image in *image. */
static void append_layer(LatheSpectrumView *self, GtkSnapshot *s, cairo_surface_t **image,
			 void (*draw)(LatheSpectrumView *, GtkSnapshot *))
{
	GtkWidget *widget = GTK_WIDGET(self);
	int width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
	int scale = gtk_widget_get_scale_factor(widget);
	double image_scale = 0.0;
	if (*image)
		cairo_surface_get_device_scale(*image, &image_scale, NULL);
	if (image_scale != scale) /* none yet, or the window moved to another screen */
		g_clear_pointer(image, cairo_surface_destroy);
	if (!*image) {
		GtkSnapshot *layer = gtk_snapshot_new();
		draw(self, layer);
		GskRenderNode *node = gtk_snapshot_free_to_node(layer);
		*image = lathe_cache_render(node, width, height, scale);
		g_clear_pointer(&node, gsk_render_node_unref);
	}
	lathe_cache_append(s, *image, width, height);
}

static void draw_underlay(LatheSpectrumView *self, GtkSnapshot *s)
{
	GtkWidget *widget = GTK_WIDGET(self);
	lathe_meter_fill(s, &lathe_meter_palette.bg, 0, 0, gtk_widget_get_width(widget),
			 gtk_widget_get_height(widget));
	draw_grid(self, s);
}

static void draw_overlay(LatheSpectrumView *self, GtkSnapshot *s)
{
	draw_eq(self, s);
	draw_handles(self, s);
}

static void lathe_spectrum_view_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
	LatheSpectrumView *self = LATHE_SPECTRUM_VIEW(widget);
	if (self->plot.size.width < 20 || self->plot.size.height < 20) {
		lathe_meter_fill(s, &lathe_meter_palette.bg, 0, 0, gtk_widget_get_width(widget),
				 gtk_widget_get_height(widget));
		return;
	}
	append_layer(self, s, &self->underlay, draw_underlay);
	draw_spectra(self, s);
	draw_legend(self, s);
	append_layer(self, s, &self->overlay, draw_overlay);
}

static void lathe_spectrum_view_size_allocate(GtkWidget *widget, int width, int height,
					      int baseline)
{
	(void)baseline;
	LatheSpectrumView *self = LATHE_SPECTRUM_VIEW(widget);
	self->plot = GRAPHENE_RECT_INIT(MARGIN_LEFT, MARGIN_TOP,
					MAX(0.0f, width - MARGIN_LEFT - MARGIN_RIGHT),
					MAX(0.0f, height - MARGIN_TOP - MARGIN_BOTTOM));
	for (int i = 0; i < N; i++)
		self->x[i] = x_of_freq(self, lathe_meter_spectrum_freq(i));
	g_clear_pointer(&self->underlay, cairo_surface_destroy);
	g_clear_pointer(&self->overlay, cairo_surface_destroy);
}

static void lathe_spectrum_view_measure(GtkWidget *widget, GtkOrientation orientation,
					int for_size, int *minimum, int *natural,
					int *minimum_baseline, int *natural_baseline)
{
	(void)widget, (void)for_size;
	if (orientation == GTK_ORIENTATION_HORIZONTAL)
		*minimum = 300, *natural = 720;
	else
		*minimum = 160, *natural = 320;
	*minimum_baseline = *natural_baseline = -1;
}

static void lathe_spectrum_view_dispose(GObject *object)
{
	LatheSpectrumView *self = LATHE_SPECTRUM_VIEW(object);
	for (int i = 0; i < 2; i++)
		lathe_meter_text_clear(&self->legend[i]);
	for (int i = 0; i < N_FREQ_LABELS; i++)
		lathe_meter_text_clear(&self->freq_text[i]);
	for (int i = 0; i < H_LINES; i++) {
		lathe_meter_text_clear(&self->eq_db_text[i]);
		lathe_meter_text_clear(&self->spec_db_text[i]);
	}
	for (int b = 0; b < BANDS; b++)
		lathe_meter_text_clear(&self->band_text[b]);
	g_clear_pointer(&self->underlay, cairo_surface_destroy);
	g_clear_pointer(&self->overlay, cairo_surface_destroy);
	G_OBJECT_CLASS(lathe_spectrum_view_parent_class)->dispose(object);
}

static void lathe_spectrum_view_class_init(LatheSpectrumViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	object_class->dispose = lathe_spectrum_view_dispose;
	widget_class->snapshot = lathe_spectrum_view_snapshot;
	widget_class->size_allocate = lathe_spectrum_view_size_allocate;
	widget_class->measure = lathe_spectrum_view_measure;
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
	gtk_widget_class_set_css_name(widget_class, "lathe-spectrum-view");

	signals[SIGNAL_BAND_MOVED] =
		g_signal_new("band-moved", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 3, G_TYPE_UINT, G_TYPE_DOUBLE,
			     G_TYPE_DOUBLE);
	signals[SIGNAL_BAND_RELEASED] =
		g_signal_new("band-released", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
	signals[SIGNAL_BAND_RESET] =
		g_signal_new("band-reset", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

/* A band's range from the registry; the EQ's declared ranges if a path
 * were ever missing (a bug the registry's own tests would catch first). */
static void read_range(const char *fmt, int band, float *lo, float *hi)
{
	char path[32];
	snprintf(path, sizeof path, fmt, band + 1);
	int id = lathe_param_find(path);
	if (id < 0) {
		g_critical("no parameter %s in the registry", path);
		return;
	}
	*lo = lathe_params[id].min;
	*hi = lathe_params[id].max;
}

static void lathe_spectrum_view_init(LatheSpectrumView *self)
{
	GtkWidget *widget = GTK_WIDGET(self);
	self->eq_active = true;
	self->drag_band = self->hover_band = self->press_band = -1;
	for (int b = 0; b < BANDS; b++) {
		Band *band = &self->band[b];
		band->freq_min = 10, band->freq_max = 22000;
		band->gain_min = -18, band->gain_max = 18;
		read_range("/eq/%d/freq", b, &band->freq_min, &band->freq_max);
		read_range("/eq/%d/gain", b, &band->gain_min, &band->gain_max);
		char num[12];
		snprintf(num, sizeof num, "%d", b + 1);
		lathe_meter_text_init(&self->band_text[b], widget, LABEL_PX, true, false);
		lathe_meter_text_set(&self->band_text[b], num);
	}
	for (int i = 0; i < 2; i++)
		lathe_meter_text_init(&self->legend[i], widget, LEGEND_PX, false, false);
	for (int i = 0; i < N_FREQ_LABELS; i++) {
		lathe_meter_text_init(&self->freq_text[i], widget, LABEL_PX, false, true);
		lathe_meter_text_set(&self->freq_text[i], freq_labels[i].text);
	}
	for (int i = 0; i < H_LINES; i++) {
		char buf[8];
		int eq_db = (int)LATHE_SPECTRUM_EQ_RANGE_DB - i * 6;
		snprintf(buf, sizeof buf, eq_db > 0 ? "+%d" : "%d", eq_db);
		lathe_meter_text_init(&self->eq_db_text[i], widget, LABEL_PX, false, true);
		lathe_meter_text_set(&self->eq_db_text[i], buf);
		snprintf(buf, sizeof buf, "%d", -i * (int)(LATHE_SPECTRUM_RANGE_DB / (H_LINES - 1)));
		lathe_meter_text_init(&self->spec_db_text[i], widget, LABEL_PX, false, true);
		lathe_meter_text_set(&self->spec_db_text[i], buf);
	}

	GtkGesture *drag = gtk_gesture_drag_new();
	gtk_gesture_single_set_button(GTK_GESTURE_SINGLE(drag), GDK_BUTTON_PRIMARY);
	g_signal_connect(drag, "drag-begin", G_CALLBACK(drag_begin_cb), self);
	g_signal_connect(drag, "drag-update", G_CALLBACK(drag_update_cb), self);
	g_signal_connect(drag, "drag-end", G_CALLBACK(drag_end_cb), self);
	gtk_widget_add_controller(widget, GTK_EVENT_CONTROLLER(drag));
	GtkEventController *motion = gtk_event_controller_motion_new();
	g_signal_connect(motion, "motion", G_CALLBACK(motion_cb), self);
	g_signal_connect(motion, "leave", G_CALLBACK(leave_cb), self);
	gtk_widget_add_controller(widget, motion);

	gtk_accessible_update_property(GTK_ACCESSIBLE(self),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, "Spectrum and EQ curve",
				       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, "EQ bands: none on",
				       -1);
}

GtkWidget *lathe_spectrum_view_new(void)
{
	return g_object_new(LATHE_TYPE_SPECTRUM_VIEW, NULL);
}
