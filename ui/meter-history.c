/* lathe — LatheHistoryView: short-term loudness over the last minutes
 * against the delivery target (see meter-widgets.h).
 *
 * The ring holds one value per second of audio, LATHE_HISTORY_SECONDS of
 * them, allocated with the instance. Slot s (seconds since the meter's
 * reset, floored) lives at ring[s % LATHE_HISTORY_SECONDS]; `newest` is
 * the highest slot pushed. The newest is drawn at the right edge, the
 * oldest at the left.
 */
#define G_LOG_DOMAIN "lathe-meter"

#include "meter-widgets.h"
#include "meter-private.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>

#define SLOTS LATHE_HISTORY_SECONDS
#define BAND_LU 1.0f        /* the target's tolerance, as lathe_loudness_verdict */

/* Layout in pixels. */
#define MARGIN_LEFT 34.0f   /* LUFS labels */
#define MARGIN_RIGHT 10.0f
#define MARGIN_TOP 22.0f    /* title and target label */
#define MARGIN_BOTTOM 18.0f /* time labels */
#define LABEL_PX 10.5
#define TITLE_PX 11.0
#define Y_LINES 9           /* every 6 LU from the top to the bottom */
#define TIME_LABELS 6       /* every 2 minutes */

struct _LatheHistoryView {
	GtkWidget parent_instance;

	float ring[SLOTS];
	long newest;            /* slot of the newest value, -1 when empty */
	float target;           /* LUFS, NaN for none */

	graphene_rect_t plot;   /* from size_allocate */

	LatheMeterText y_text[Y_LINES];
	LatheMeterText time_text[TIME_LABELS];
	LatheMeterText title, target_text;

	gint64 a11y_time;
};

G_DEFINE_FINAL_TYPE(LatheHistoryView, lathe_history_view, GTK_TYPE_WIDGET)

static double y_of(const LatheHistoryView *self, float lufs)
{
	const graphene_rect_t *p = &self->plot;
	float top = LATHE_HISTORY_TOP_LUFS, bottom = LATHE_HISTORY_BOTTOM_LUFS;
	double t = (top - CLAMP(lufs, bottom, top)) / (top - bottom);
	return p->origin.y + t * p->size.height;
}

static double x_of(const LatheHistoryView *self, long slot)
{
	const graphene_rect_t *p = &self->plot;
	return p->origin.x + p->size.width * (1.0 - (double)(self->newest - slot) / (SLOTS - 1));
}

/* ---- setters ------------------------------------------------------------------ */

static void update_a11y(LatheHistoryView *self, bool force)
{
	if (!force && !lathe_meter_a11y_due(&self->a11y_time))
		return;
	float lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < SLOTS; i++)
		if (isfinite(self->ring[i]))
			lo = MIN(lo, self->ring[i]), hi = MAX(hi, self->ring[i]);
	char text[160], target[48] = "";
	if (isfinite(self->target))
		snprintf(target, sizeof target, "; target %.1f LUFS", self->target);
	if (hi >= lo)
		snprintf(text, sizeof text, "short-term loudness of the last %d minutes from "
			 "%.1f to %.1f LUFS%s", SLOTS / 60, lo, hi, target);
	else
		snprintf(text, sizeof text, "no loudness measured yet%s", target);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
				       text, -1);
}

void lathe_history_view_clear(LatheHistoryView *self)
{
	g_return_if_fail(LATHE_IS_HISTORY_VIEW(self));
	for (int i = 0; i < SLOTS; i++)
		self->ring[i] = NAN;
	self->newest = -1;
	update_a11y(self, true);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_history_view_push(LatheHistoryView *self, double seconds, float short_term)
{
	g_return_if_fail(LATHE_IS_HISTORY_VIEW(self));
	if (!isfinite(seconds) || seconds < 0 || seconds > (double)LONG_MAX / 2)
		return;
	long slot = (long)floor(seconds);
	if (self->newest >= 0 && slot < self->newest)
		lathe_history_view_clear(self); /* the meter was reset */
	if (self->newest >= 0)
		for (long s = self->newest + 1; s < slot && s <= self->newest + SLOTS; s++)
			self->ring[s % SLOTS] = NAN; /* seconds without a value */
	/* Readings come ten to twenty times a second, each second's drawn once
	 * it changes. */
	float *v = &self->ring[slot % SLOTS];
	bool same = slot == self->newest && (*v == short_term || (isnan(*v) && isnan(short_term)));
	if (slot > self->newest)
		self->newest = slot;
	*v = short_term;
	update_a11y(self, false);
	if (!same)
		gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_history_view_set_target(LatheHistoryView *self, float lufs)
{
	g_return_if_fail(LATHE_IS_HISTORY_VIEW(self));
	self->target = isfinite(lufs) ? lufs : NAN;
	char buf[32] = "";
	if (isfinite(self->target))
		snprintf(buf, sizeof buf, "target %.1f LUFS", self->target);
	lathe_meter_text_set(&self->target_text, buf);
	update_a11y(self, true);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- drawing ------------------------------------------------------------------ */

/* The curve as closed shapes down to the bottom (fill) or as lines
 * (stroke); a NaN second breaks it. */
static void trace(LatheHistoryView *self, cairo_t *cr, bool closed)
{
	double bottom = self->plot.origin.y + self->plot.size.height;
	long first = MAX(0L, self->newest - SLOTS + 1);
	double run_x0 = 0, x = 0;
	bool in_run = false;
	for (long s = first; s <= self->newest + 1; s++) {
		float v = s <= self->newest ? self->ring[s % SLOTS] : NAN;
		if (isnan(v)) {
			if (in_run && closed) {
				cairo_line_to(cr, x, bottom);
				cairo_line_to(cr, run_x0, bottom);
				cairo_close_path(cr);
			}
			in_run = false;
			continue;
		}
		x = x_of(self, s);
		double y = y_of(self, v); /* -inf clamps to the bottom */
		if (!in_run) {
			run_x0 = x;
			cairo_move_to(cr, x, y);
			in_run = true;
		} else {
			cairo_line_to(cr, x, y);
		}
	}
}

typedef struct {
	double y0, y1;
	const GdkRGBA *c;
} Zone;

static void draw_curve(LatheHistoryView *self, GtkSnapshot *s)
{
	const LatheMeterPalette *pal = &lathe_meter_palette;
	const graphene_rect_t *p = &self->plot;
	if (self->newest < 0)
		return;
	cairo_t *cr = gtk_snapshot_append_cairo(s, p);
	cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
	double left = p->origin.x, top = p->origin.y, w = p->size.width, h = p->size.height;

	/* The fill in three horizontal zones: over the band red, in it green,
	 * under it blue; without a target all blue. */
	Zone zone[3];
	int zones = 0;
	if (isfinite(self->target)) {
		double hi = y_of(self, self->target + BAND_LU), lo = y_of(self, self->target - BAND_LU);
		zone[zones++] = (Zone){ top, hi, &pal->over };
		zone[zones++] = (Zone){ hi, lo, &pal->ok };
		zone[zones++] = (Zone){ lo, top + h, &pal->history };
	} else {
		zone[zones++] = (Zone){ top, top + h, &pal->history };
	}
	for (int z = 0; z < zones; z++) {
		if (zone[z].y1 <= zone[z].y0)
			continue;
		cairo_save(cr);
		cairo_rectangle(cr, left, zone[z].y0, w, zone[z].y1 - zone[z].y0);
		cairo_clip(cr);
		trace(self, cr, true);
		lathe_meter_set_source_alpha(cr, zone[z].c, 0.35);
		cairo_fill(cr);
		cairo_restore(cr);
	}
	cairo_rectangle(cr, left, top, w, h);
	cairo_clip(cr);
	trace(self, cr, false);
	lathe_meter_set_source(cr, &pal->history);
	cairo_set_line_width(cr, 1.5);
	cairo_stroke(cr);
	cairo_destroy(cr);
}

static void lathe_history_view_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
	LatheHistoryView *self = LATHE_HISTORY_VIEW(widget);
	const LatheMeterPalette *pal = &lathe_meter_palette;
	const graphene_rect_t *p = &self->plot;
	lathe_meter_fill(s, &pal->bg, 0, 0, gtk_widget_get_width(widget),
			 gtk_widget_get_height(widget));
	if (p->size.width < 20 || p->size.height < 20)
		return;
	float left = p->origin.x, top = p->origin.y, w = p->size.width, h = p->size.height;
	lathe_meter_fill(s, &pal->panel, left, top, w, h);

	/* Grid: every 6 LU, every minute. */
	int label_every = h / (Y_LINES - 1) < self->y_text[0].height * 0.9f ? 2 : 1;
	for (int i = 0; i < Y_LINES; i++) {
		float y = roundf(top + i * h / (Y_LINES - 1));
		lathe_meter_fill(s, &pal->grid, left, MIN(y, top + h - 1), w, 1);
		if (i % label_every == 0)
			lathe_meter_text_draw(s, &self->y_text[i], left - 4, y, 1, 0.5f,
					      &pal->text_dim);
	}
	for (int m = 0; m <= SLOTS / 60; m++) {
		float x = roundf(left + w * m * 60 / SLOTS);
		lathe_meter_fill(s, &pal->grid, MIN(x, left + w - 1), top, 1, h);
		/* Every other minute labelled, or only the ends when that crowds. */
		bool crowded = w / TIME_LABELS < self->time_text[0].width + 12;
		bool end = m == 0 || m == SLOTS / 60;
		if (m % 2 == 0 && m / 2 < TIME_LABELS && (end || !crowded)) {
			float xalign = m == 0 ? 0.0f : m == SLOTS / 60 ? 1.0f : 0.5f;
			lathe_meter_text_draw(s, &self->time_text[m / 2], x, top + h + 3, xalign,
					      0, &pal->text_dim);
		}
	}

	/* The target's band under the curve, its line over it. */
	bool has_target = isfinite(self->target) && self->target < LATHE_HISTORY_TOP_LUFS &&
			  self->target > LATHE_HISTORY_BOTTOM_LUFS;
	if (has_target) {
		GdkRGBA band = pal->ok;
		band.alpha = 0.10f;
		float y0 = y_of(self, self->target + BAND_LU), y1 = y_of(self, self->target - BAND_LU);
		lathe_meter_fill(s, &band, left, y0, w, y1 - y0);
	}
	draw_curve(self, s);
	if (has_target) {
		float y = y_of(self, self->target);
		lathe_meter_fill(s, &pal->ok, left, y - 1, w, 2);
	}
	/* The title gives way to the target when both do not fit. */
	bool show_target = isfinite(self->target);
	if (!show_target || self->title.width + self->target_text.width + 16 <= w)
		lathe_meter_text_draw(s, &self->title, left, top - 4, 0, 1, &pal->text_dim);
	if (show_target)
		lathe_meter_text_draw(s, &self->target_text, left + w, top - 4, 1, 1, &pal->ok);
}

static void lathe_history_view_size_allocate(GtkWidget *widget, int width, int height,
					     int baseline)
{
	(void)baseline;
	LatheHistoryView *self = LATHE_HISTORY_VIEW(widget);
	self->plot = GRAPHENE_RECT_INIT(MARGIN_LEFT, MARGIN_TOP,
					MAX(0.0f, width - MARGIN_LEFT - MARGIN_RIGHT),
					MAX(0.0f, height - MARGIN_TOP - MARGIN_BOTTOM));
}

static void lathe_history_view_measure(GtkWidget *widget, GtkOrientation orientation,
				       int for_size, int *minimum, int *natural,
				       int *minimum_baseline, int *natural_baseline)
{
	(void)widget, (void)for_size;
	if (orientation == GTK_ORIENTATION_HORIZONTAL)
		*minimum = 240, *natural = 720;
	else
		*minimum = 110, *natural = 180;
	*minimum_baseline = *natural_baseline = -1;
}

static void lathe_history_view_dispose(GObject *object)
{
	LatheHistoryView *self = LATHE_HISTORY_VIEW(object);
	for (int i = 0; i < Y_LINES; i++)
		lathe_meter_text_clear(&self->y_text[i]);
	for (int i = 0; i < TIME_LABELS; i++)
		lathe_meter_text_clear(&self->time_text[i]);
	lathe_meter_text_clear(&self->title);
	lathe_meter_text_clear(&self->target_text);
	G_OBJECT_CLASS(lathe_history_view_parent_class)->dispose(object);
}

static void lathe_history_view_class_init(LatheHistoryViewClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	object_class->dispose = lathe_history_view_dispose;
	widget_class->snapshot = lathe_history_view_snapshot;
	widget_class->size_allocate = lathe_history_view_size_allocate;
	widget_class->measure = lathe_history_view_measure;
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
	gtk_widget_class_set_css_name(widget_class, "lathe-history-view");
}

static void lathe_history_view_init(LatheHistoryView *self)
{
	GtkWidget *widget = GTK_WIDGET(self);
	self->target = NAN;
	self->newest = -1;
	for (int i = 0; i < SLOTS; i++)
		self->ring[i] = NAN;
	for (int i = 0; i < Y_LINES; i++) {
		char buf[8];
		float lufs = LATHE_HISTORY_TOP_LUFS -
			     i * (LATHE_HISTORY_TOP_LUFS - LATHE_HISTORY_BOTTOM_LUFS) / (Y_LINES - 1);
		snprintf(buf, sizeof buf, "%.0f", lufs);
		lathe_meter_text_init(&self->y_text[i], widget, LABEL_PX, false, true);
		lathe_meter_text_set(&self->y_text[i], buf);
	}
	for (int i = 0; i < TIME_LABELS; i++) {
		char buf[16];
		int minutes = SLOTS / 60 - 2 * i;
		if (minutes == 0)
			snprintf(buf, sizeof buf, "now");
		else
			snprintf(buf, sizeof buf, i == 0 ? "-%d min" : "-%d", minutes);
		lathe_meter_text_init(&self->time_text[i], widget, LABEL_PX, false, true);
		lathe_meter_text_set(&self->time_text[i], buf);
	}
	lathe_meter_text_init(&self->title, widget, TITLE_PX, true, false);
	lathe_meter_text_set(&self->title, "SHORT-TERM LOUDNESS  LUFS");
	lathe_meter_text_init(&self->target_text, widget, TITLE_PX, true, true);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, "Short-term loudness history",
				       GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
				       "no loudness measured yet", -1);
}

GtkWidget *lathe_history_view_new(void)
{
	return g_object_new(LATHE_TYPE_HISTORY_VIEW, NULL);
}
