/* lathe — LatheLevelMeter: stereo sample-peak and true-peak bars (see
 * meter-widgets.h).
 *
 * Geometry, left to right: the dB scale, then per channel a narrow
 * sample-peak bar and a wide true-peak bar. Top to bottom: the hold
 * numbers, the bars, the channel letters. Positions are recomputed in
 * size_allocate; snapshot only places rectangles and laid-out text.
 */
#define G_LOG_DOMAIN "lathe-meter"

#include "meter-widgets.h"
#include "meter-private.h"

#include <math.h>
#include <stdio.h>

/* Display slots: sample peak L R, true peak L R. */
enum { SP_L, SP_R, TP_L, TP_R, SLOTS };

/* The scale's marks and its knots (see lathe_level_meter_scale). */
static const float marks[] = { 0, -1, -3, -6, -10, -20, -30, -40, -60 };
#define N_MARKS (int)(sizeof marks / sizeof marks[0])
static const struct { float db, frac; } knots[] = {
	{ -60.0f, 0.00f }, { -40.0f, 0.16f }, { -20.0f, 0.40f },
	{ -6.0f, 0.68f }, { 0.0f, 0.92f }, { 3.0f, 1.00f },
};
#define N_KNOTS (int)(sizeof knots / sizeof knots[0])

/* Layout in pixels. */
#define PAD 6.0f
#define SCALE_W 30.0f    /* scale labels and ticks */
#define GROUP_GAP 8.0f   /* between the channels */
#define BAR_GAP 2.0f     /* between a channel's sample and true-peak bars */
#define HOLD_H 2.0f      /* a hold tick */
#define NUMBER_PX 16.0
#define SCALE_PX 10.5
#define LETTER_PX 12.0

/* Amber starts this far under the limit: "close to it". */
#define WARN_BELOW_LIMIT_DB 3.0f

struct _LatheLevelMeter {
	GtkWidget parent_instance;

	float target[SLOTS];   /* the latest reading, clamped to the floor */
	float shown[SLOTS];    /* what the bars show: rises at once, falls gently */
	float hold[SLOTS];     /* hold ticks, as read */
	float limit;           /* dBTP, NaN for none */
	guint fall_tick;       /* tick callback id while a bar falls */
	gint64 last_draw_us; /* the fall is drawn at most 30 times a second */
	gint64 last_frame_us;  /* frame time of the previous tick */

	/* Geometry from size_allocate. */
	float bar_top, bar_bottom;
	float group_x[2], group_w;
	float sp_w, tp_x_off, tp_w;

	LatheMeterText number[2];      /* true-peak hold per channel */
	LatheMeterText mark_text[N_MARKS];
	LatheMeterText letter[2];

	gint64 a11y_time;
	char a11y_text[64];
};

G_DEFINE_FINAL_TYPE(LatheLevelMeter, lathe_level_meter, GTK_TYPE_WIDGET)

double lathe_level_meter_scale(float db)
{
	if (!(db > knots[0].db))
		return 0.0;
	for (int i = 1; i < N_KNOTS; i++)
		if (db <= knots[i].db) {
			double t = (db - knots[i - 1].db) / (knots[i].db - knots[i - 1].db);
			return knots[i - 1].frac + t * (knots[i].frac - knots[i - 1].frac);
		}
	return 1.0;
}

static float clamp_level(float db)
{
	/* -inf and NaN are "nothing": the floor. */
	if (!(db > LATHE_LEVEL_METER_FLOOR_DB))
		return LATHE_LEVEL_METER_FLOOR_DB;
	return db > LATHE_LEVEL_METER_TOP_DB ? LATHE_LEVEL_METER_TOP_DB : db;
}

static float y_of(const LatheLevelMeter *self, float db)
{
	return self->bar_bottom -
	       (float)lathe_level_meter_scale(db) * (self->bar_bottom - self->bar_top);
}

/* The limit the colours use: with none, red means over 0 dBTP (clipping
 * a converter). */
static float effective_limit(const LatheLevelMeter *self)
{
	return isnan(self->limit) ? 0.0f : self->limit;
}

/* Over the limit as the number shows it (0.1 dB), so colour and number agree. */
static bool over_limit(const LatheLevelMeter *self, float db)
{
	return isfinite(db) && roundf(db * 10.0f) > roundf(effective_limit(self) * 10.0f);
}

/* ---- ballistics ------------------------------------------------------------ */

static gboolean fall_tick_cb(GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
	(void)data;
	LatheLevelMeter *self = LATHE_LEVEL_METER(widget);
	gint64 now = gdk_frame_clock_get_frame_time(clock);
	/* A first tick, or one after a stall (unmapped, a busy main loop),
	 * steps at most 100 ms. */
	double dt = self->last_frame_us ? (now - self->last_frame_us) / 1e6 : 0.0;
	dt = CLAMP(dt, 0.0, 0.1);
	self->last_frame_us = now;

	bool falling = false;
	float step = (float)(LATHE_LEVEL_METER_FALL_DB_S * dt);
	for (int i = 0; i < SLOTS; i++) {
		if (self->shown[i] > self->target[i])
			self->shown[i] = MAX(self->target[i], self->shown[i] - step);
		falling |= self->shown[i] > self->target[i];
	}
	/* 30 frames a second show a 20 dB/s fall as smooth as 60 do (under a
	 * dB a frame) at half the drawing: software rendering is the
	 * window's main cost. */
	if (!falling || now - self->last_draw_us >= 33000) {
		self->last_draw_us = now;
		gtk_widget_queue_draw(widget);
	}
	if (falling)
		return G_SOURCE_CONTINUE;
	self->fall_tick = 0;
	return G_SOURCE_REMOVE;
}

static void update_a11y(LatheLevelMeter *self)
{
	char l[16], r[16], text[64];
	lathe_meter_format(l, sizeof l, self->hold[TP_L], 1, true, "-inf");
	lathe_meter_format(r, sizeof r, self->hold[TP_R], 1, true, "-inf");
	snprintf(text, sizeof text, "true peak L %s dBTP, R %s dBTP", l, r);
	if (g_strcmp0(text, self->a11y_text) == 0 || !lathe_meter_a11y_due(&self->a11y_time))
		return;
	g_strlcpy(self->a11y_text, text, sizeof self->a11y_text);
	float v = clamp_level(MAX(self->hold[TP_L], self->hold[TP_R]));
	gtk_accessible_update_property(GTK_ACCESSIBLE(self),
				       GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, (double)v,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
}

void lathe_level_meter_set_reading(LatheLevelMeter *self, const LatheMeterReading *reading)
{
	g_return_if_fail(LATHE_IS_LEVEL_METER(self));
	g_return_if_fail(reading != NULL);
	const float in[SLOTS] = { reading->sample_peak[0], reading->sample_peak[1],
				  reading->true_peak[0], reading->true_peak[1] };
	const float hold[SLOTS] = { reading->sample_peak_hold[0], reading->sample_peak_hold[1],
				    reading->true_peak_hold[0], reading->true_peak_hold[1] };
	bool falling = false;
	for (int i = 0; i < SLOTS; i++) {
		self->target[i] = clamp_level(in[i]);
		self->hold[i] = hold[i];
		if (self->target[i] >= self->shown[i])
			self->shown[i] = self->target[i]; /* instant attack */
		else
			falling = true;
	}
	for (int ch = 0; ch < 2; ch++) {
		char buf[16];
		lathe_meter_format(buf, sizeof buf, hold[TP_L + ch], 1, true, "-inf");
		lathe_meter_text_set(&self->number[ch], buf);
	}
	if (falling && !self->fall_tick) {
		self->last_frame_us = 0;
		self->fall_tick = gtk_widget_add_tick_callback(GTK_WIDGET(self), fall_tick_cb,
							      NULL, NULL);
	}
	update_a11y(self);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_level_meter_set_limit(LatheLevelMeter *self, float dbtp)
{
	g_return_if_fail(LATHE_IS_LEVEL_METER(self));
	if (isinf(dbtp))
		dbtp = NAN;
	self->limit = dbtp;
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- drawing --------------------------------------------------------------- */

/* A bar from the floor to `level`, coloured by zone: normal, amber within
 * WARN_BELOW_LIMIT_DB of the limit, red above it. */
static void draw_bar(LatheLevelMeter *self, GtkSnapshot *s, float x, float w, float level,
		     const GdkRGBA *normal, const GdkRGBA *warn, const GdkRGBA *over)
{
	if (level <= LATHE_LEVEL_METER_FLOOR_DB)
		return;
	float limit = effective_limit(self);
	float warn_from = limit - WARN_BELOW_LIMIT_DB;
	float y_top = y_of(self, level);
	float y_warn = y_of(self, warn_from), y_limit = y_of(self, limit);
	float bottom = self->bar_bottom;

	/* Bottom segment up to the warning zone, then up to the limit, then over. */
	bool over_it = over_limit(self, level);
	float top1 = MAX(y_top, y_warn);
	lathe_meter_fill(s, normal, x, top1, w, bottom - top1);
	if (level > warn_from) {
		float top2 = over_it ? y_limit : y_top;
		lathe_meter_fill(s, warn, x, top2, w, y_warn - top2);
	}
	if (over_it)
		lathe_meter_fill(s, over, x, y_top, w, y_limit - y_top);
}

static void draw_hold(LatheLevelMeter *self, GtkSnapshot *s, float x, float w, float hold)
{
	if (!(hold > LATHE_LEVEL_METER_FLOOR_DB))
		return;
	const LatheMeterPalette *p = &lathe_meter_palette;
	float y = y_of(self, clamp_level(hold));
	lathe_meter_fill(s, over_limit(self, hold) ? &p->over : &p->hold, x, y - HOLD_H / 2, w,
			 HOLD_H);
}

static void lathe_level_meter_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
	LatheLevelMeter *self = LATHE_LEVEL_METER(widget);
	const LatheMeterPalette *p = &lathe_meter_palette;
	float width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
	lathe_meter_fill(s, &p->bg, 0, 0, width, height);
	if (self->bar_bottom - self->bar_top < 10)
		return;

	/* Troughs, and the scale's marks across them. */
	float bar_h = self->bar_bottom - self->bar_top;
	for (int ch = 0; ch < 2; ch++) {
		float gx = self->group_x[ch];
		lathe_meter_fill(s, &p->trough, gx, self->bar_top, self->sp_w, bar_h);
		lathe_meter_fill(s, &p->trough, gx + self->tp_x_off, self->bar_top, self->tp_w,
				 bar_h);
	}
	/* A mark's label is left out where it would touch the one above (a
	 * short meter); the floor's is always there. */
	float scale_right = self->group_x[0] - 4, last_label_y = -1e9f;
	for (int i = 0; i < N_MARKS; i++) {
		float y = roundf(y_of(self, marks[i]));
		const GdkRGBA *c = marks[i] == 0 ? &p->grid_strong : &p->grid;
		lathe_meter_fill(s, c, self->group_x[0], y, self->group_x[1] + self->group_w -
				 self->group_x[0], 1);
		lathe_meter_fill(s, &p->text_dim, scale_right, y, 3, 1);
		float room = self->mark_text[i].height * 0.8f;
		bool last = i == N_MARKS - 1;
		if (y - last_label_y < room)
			continue;
		if (!last && y_of(self, marks[N_MARKS - 1]) - y < room)
			continue;
		lathe_meter_text_draw(s, &self->mark_text[i], scale_right - 2, y + 0.5f, 1.0f,
				      0.5f, &p->text_dim);
		last_label_y = y;
	}

	/* Bars, then holds, then the limit over them. */
	for (int ch = 0; ch < 2; ch++) {
		float gx = self->group_x[ch];
		draw_bar(self, s, gx, self->sp_w, self->shown[SP_L + ch], &p->sample,
			 &p->sample_warn, &p->sample_over);
		draw_bar(self, s, gx + self->tp_x_off, self->tp_w, self->shown[TP_L + ch],
			 &p->peak, &p->peak_warn, &p->over);
		draw_hold(self, s, gx, self->sp_w, self->hold[SP_L + ch]);
		draw_hold(self, s, gx + self->tp_x_off, self->tp_w, self->hold[TP_L + ch]);
	}
	if (!isnan(self->limit) && self->limit <= LATHE_LEVEL_METER_TOP_DB &&
	    self->limit > LATHE_LEVEL_METER_FLOOR_DB) {
		float y = y_of(self, self->limit);
		float x0 = self->group_x[0] - 2, x1 = self->group_x[1] + self->group_w + 2;
		lathe_meter_fill(s, &p->limit, x0, y - 1, x1 - x0, 2);
	}

	/* Hold numbers above, channel letters below. */
	for (int ch = 0; ch < 2; ch++) {
		float cx = self->group_x[ch] + self->group_w / 2;
		const GdkRGBA *c = over_limit(self, self->hold[TP_L + ch]) ? &p->over : &p->text;
		lathe_meter_text_draw(s, &self->number[ch], cx, PAD, 0.5f, 0.0f, c);
		lathe_meter_text_draw(s, &self->letter[ch], cx, height - PAD, 0.5f, 1.0f,
				      &p->text_dim);
	}
}

static void lathe_level_meter_size_allocate(GtkWidget *widget, int width, int height,
					    int baseline)
{
	(void)baseline;
	LatheLevelMeter *self = LATHE_LEVEL_METER(widget);
	float x0 = PAD + SCALE_W;
	self->group_w = floorf((width - x0 - PAD - GROUP_GAP) / 2);
	self->group_x[0] = roundf(x0);
	self->group_x[1] = self->group_x[0] + self->group_w + GROUP_GAP;
	self->sp_w = roundf(self->group_w * 0.3f);
	self->tp_x_off = self->sp_w + BAR_GAP;
	self->tp_w = self->group_w - self->tp_x_off;
	/* The hold numbers as large as NUMBER_PX while "-88.8" (about 2.9 em
	 * in bold tabular figures) fits over its channel. */
	double px = CLAMP((self->group_w + GROUP_GAP - 4) / 2.9, 9.0, NUMBER_PX);
	for (int ch = 0; ch < 2; ch++)
		lathe_meter_text_set_size(&self->number[ch], px, true);
	/* Whole pixels, so that bars have crisp edges. */
	self->bar_top = roundf(PAD + self->number[0].height + 6);
	self->bar_bottom = roundf(height - PAD - self->letter[0].height - 4);
}

static void lathe_level_meter_measure(GtkWidget *widget, GtkOrientation orientation,
				      int for_size, int *minimum, int *natural,
				      int *minimum_baseline, int *natural_baseline)
{
	(void)widget, (void)for_size;
	if (orientation == GTK_ORIENTATION_HORIZONTAL)
		*minimum = 100, *natural = 132;
	else
		*minimum = 180, *natural = 340;
	*minimum_baseline = *natural_baseline = -1;
}

static void lathe_level_meter_dispose(GObject *object)
{
	LatheLevelMeter *self = LATHE_LEVEL_METER(object);
	if (self->fall_tick) {
		gtk_widget_remove_tick_callback(GTK_WIDGET(self), self->fall_tick);
		self->fall_tick = 0;
	}
	for (int i = 0; i < 2; i++) {
		lathe_meter_text_clear(&self->number[i]);
		lathe_meter_text_clear(&self->letter[i]);
	}
	for (int i = 0; i < N_MARKS; i++)
		lathe_meter_text_clear(&self->mark_text[i]);
	G_OBJECT_CLASS(lathe_level_meter_parent_class)->dispose(object);
}

static void lathe_level_meter_class_init(LatheLevelMeterClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	object_class->dispose = lathe_level_meter_dispose;
	widget_class->snapshot = lathe_level_meter_snapshot;
	widget_class->size_allocate = lathe_level_meter_size_allocate;
	widget_class->measure = lathe_level_meter_measure;
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_METER);
	gtk_widget_class_set_css_name(widget_class, "lathe-level-meter");
}

static void lathe_level_meter_init(LatheLevelMeter *self)
{
	GtkWidget *widget = GTK_WIDGET(self);
	for (int i = 0; i < SLOTS; i++) {
		self->target[i] = self->shown[i] = LATHE_LEVEL_METER_FLOOR_DB;
		self->hold[i] = -INFINITY;
	}
	self->limit = NAN;
	for (int ch = 0; ch < 2; ch++) {
		lathe_meter_text_init(&self->number[ch], widget, NUMBER_PX, true, true);
		lathe_meter_text_set(&self->number[ch], "-inf");
		lathe_meter_text_init(&self->letter[ch], widget, LETTER_PX, true, false);
		lathe_meter_text_set(&self->letter[ch], ch ? "R" : "L");
	}
	for (int i = 0; i < N_MARKS; i++) {
		char buf[16];
		snprintf(buf, sizeof buf, "%g", marks[i]);
		lathe_meter_text_init(&self->mark_text[i], widget, SCALE_PX, false, true);
		lathe_meter_text_set(&self->mark_text[i], buf);
	}
	gtk_accessible_update_property(GTK_ACCESSIBLE(self),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, "Peak meter",
				       GTK_ACCESSIBLE_PROPERTY_VALUE_MIN,
				       (double)LATHE_LEVEL_METER_FLOOR_DB,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_MAX,
				       (double)LATHE_LEVEL_METER_TOP_DB,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_NOW,
				       (double)LATHE_LEVEL_METER_FLOOR_DB,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, "no signal", -1);
}

GtkWidget *lathe_level_meter_new(void)
{
	return g_object_new(LATHE_TYPE_LEVEL_METER, NULL);
}
