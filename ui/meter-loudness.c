/* lathe — LatheLoudnessPanel: the loudness numbers and the correlation bar
 * (see meter-widgets.h).
 *
 * Six cells in a grid of one, two, three or six columns (whichever makes
 * the numbers largest in the space given: a column at the side, a row at
 * the bottom), each with a label and unit on top and a large number under them;
 * the correlation bar across the bottom. Font sizes follow the cell size
 * (size_allocate); snapshot only places what the setters laid out.
 */
#define G_LOG_DOMAIN "lathe-meter"

#include "meter-widgets.h"
#include "meter-private.h"

#include <math.h>
#include <stdio.h>

enum { CELL_M, CELL_S, CELL_I, CELL_LRA, CELL_PLR, CELL_TP, CELLS };

/* Labels, short labels for narrow cells, units. */
static const struct {
	const char *label, *brief, *unit;
} cell_info[CELLS] = {
	[CELL_M] = { "MOMENTARY", "M", "LUFS" },
	[CELL_S] = { "SHORT-TERM", "S", "LUFS" },
	[CELL_I] = { "INTEGRATED", "I", "LUFS" },
	[CELL_LRA] = { "RANGE", "LRA", "LU" },
	[CELL_PLR] = { "PLR", "PLR", "dB" },
	[CELL_TP] = { "TP MAX", "TP", "dBTP" },
};

/* Layout in pixels. */
#define PAD 6.0f
#define GAP 6.0f
#define INSET 10.0f      /* text inside a cell */
#define STRIPE_W 4.0f    /* verdict stripe at a cell's left */
#define LABEL_PX 11.0
#define SMALL_PX 10.5
#define CORR_H 46.0f     /* correlation label, bar and scale */
#define CORR_BAR_H 10.0f
#define CORR_NUMBER_PX 15.0

struct _LatheLoudnessPanel {
	GtkWidget parent_instance;

	float value[CELLS];
	float correlation;         /* NaN before the first reading */
	float target_lufs, limit_dbtp;
	LatheVerdict verdict[CELLS];

	/* Geometry from size_allocate. */
	int cols;
	float note_h;              /* room kept for notes in every cell */
	graphene_rect_t cell[CELLS];
	graphene_rect_t corr;      /* the correlation bar's trough */

	LatheMeterText number[CELLS];
	LatheMeterText label[CELLS];
	LatheMeterText brief[CELLS];
	LatheMeterText unit[CELLS];
	LatheMeterText note[CELLS];   /* "target -14.0" under integrated and TP */
	LatheMeterText corr_label, corr_number, corr_scale[3];

	gint64 a11y_time;
	char a11y_text[256];
};

G_DEFINE_FINAL_TYPE(LatheLoudnessPanel, lathe_loudness_panel, GTK_TYPE_WIDGET)

/* ---- the colour rule ------------------------------------------------------- */

/* Values are compared as shown, to 0.1. */
static float tenths(float v) { return roundf(v * 10.0f); }

LatheVerdict lathe_loudness_verdict(float integrated, float target_lufs)
{
	if (!isfinite(integrated) || !isfinite(target_lufs))
		return LATHE_VERDICT_NONE;
	float d = tenths(integrated) - tenths(target_lufs);
	if (d > 10.0f)
		return LATHE_VERDICT_OVER;
	if (d < -10.0f)
		return LATHE_VERDICT_LOW;
	return LATHE_VERDICT_OK;
}

LatheVerdict lathe_true_peak_verdict(float true_peak, float limit_dbtp)
{
	if (!isfinite(true_peak) || !isfinite(limit_dbtp))
		return LATHE_VERDICT_NONE;
	return tenths(true_peak) > tenths(limit_dbtp) ? LATHE_VERDICT_OVER : LATHE_VERDICT_OK;
}

static const GdkRGBA *verdict_color(LatheVerdict v)
{
	const LatheMeterPalette *p = &lathe_meter_palette;
	switch (v) {
	case LATHE_VERDICT_OK: return &p->ok;
	case LATHE_VERDICT_LOW: return &p->warn;
	case LATHE_VERDICT_OVER: return &p->over;
	default: return &p->text;
	}
}

/* ---- setters ---------------------------------------------------------------- */

static void update_verdicts(LatheLoudnessPanel *self)
{
	for (int i = 0; i < CELLS; i++)
		self->verdict[i] = LATHE_VERDICT_NONE;
	self->verdict[CELL_I] = lathe_loudness_verdict(self->value[CELL_I], self->target_lufs);
	self->verdict[CELL_TP] = lathe_true_peak_verdict(self->value[CELL_TP], self->limit_dbtp);
}

static void update_a11y(LatheLoudnessPanel *self)
{
	char v[CELLS][16], c[16], text[256];
	for (int i = 0; i < CELLS; i++)
		lathe_meter_format(v[i], sizeof v[i], self->value[i], 1, i == CELL_TP, "none");
	lathe_meter_format(c, sizeof c, self->correlation, 2, true, "none");
	snprintf(text, sizeof text,
		 "integrated %s LUFS, short-term %s LUFS, momentary %s LUFS, range %s LU, "
		 "PLR %s dB, true peak max %s dBTP, correlation %s",
		 v[CELL_I], v[CELL_S], v[CELL_M], v[CELL_LRA], v[CELL_PLR], v[CELL_TP], c);
	if (g_strcmp0(text, self->a11y_text) == 0 || !lathe_meter_a11y_due(&self->a11y_time))
		return;
	g_strlcpy(self->a11y_text, text, sizeof self->a11y_text);
	double now = isfinite(self->value[CELL_I]) ? self->value[CELL_I] : -70.0;
	gtk_accessible_update_property(GTK_ACCESSIBLE(self),
				       GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, now,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
}

void lathe_loudness_panel_set_reading(LatheLoudnessPanel *self, const LatheMeterReading *r)
{
	g_return_if_fail(LATHE_IS_LOUDNESS_PANEL(self));
	g_return_if_fail(r != NULL);
	self->value[CELL_M] = r->momentary;
	self->value[CELL_S] = r->short_term;
	self->value[CELL_I] = r->integrated;
	self->value[CELL_LRA] = r->lra;
	self->value[CELL_PLR] = r->plr;
	self->value[CELL_TP] = r->true_peak_max;
	self->correlation = r->correlation;
	for (int i = 0; i < CELLS; i++) {
		char buf[16];
		/* Loudness not yet measured is "—"; a peak of silence is -inf. */
		lathe_meter_format(buf, sizeof buf, self->value[i], 1, i == CELL_TP,
				   i == CELL_TP ? "-inf" : "\u2014");
		lathe_meter_text_set(&self->number[i], buf);
	}
	char buf[16];
	lathe_meter_format(buf, sizeof buf, self->correlation, 2, true, "\u2014");
	lathe_meter_text_set(&self->corr_number, buf);
	update_verdicts(self);
	update_a11y(self);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_loudness_panel_set_target(LatheLoudnessPanel *self, float integrated_lufs,
				     float true_peak_dbtp)
{
	g_return_if_fail(LATHE_IS_LOUDNESS_PANEL(self));
	self->target_lufs = isfinite(integrated_lufs) ? integrated_lufs : NAN;
	self->limit_dbtp = isfinite(true_peak_dbtp) ? true_peak_dbtp : NAN;
	char num[16], buf[32];
	lathe_meter_format(num, sizeof num, self->target_lufs, 1, false, "");
	snprintf(buf, sizeof buf, "%s%s", num[0] ? "target " : "", num);
	lathe_meter_text_set(&self->note[CELL_I], buf);
	lathe_meter_format(num, sizeof num, self->limit_dbtp, 1, true, "");
	snprintf(buf, sizeof buf, "%s%s", num[0] ? "limit " : "", num);
	lathe_meter_text_set(&self->note[CELL_TP], buf);
	update_verdicts(self);
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

/* ---- drawing --------------------------------------------------------------- */

static void draw_cell(LatheLoudnessPanel *self, GtkSnapshot *s, int i)
{
	const LatheMeterPalette *p = &lathe_meter_palette;
	const graphene_rect_t *r = &self->cell[i];
	float x = r->origin.x, y = r->origin.y, w = r->size.width, h = r->size.height;
	lathe_meter_fill(s, &p->panel, x, y, w, h);
	if (self->verdict[i] != LATHE_VERDICT_NONE)
		lathe_meter_fill(s, verdict_color(self->verdict[i]), x, y, STRIPE_W, h);

	/* A narrow cell shortens its label, then drops the unit and the note;
	 * whatever still does not fit is clipped to the cell. */
	gtk_snapshot_push_clip(s, r);
	const LatheMeterText *label = &self->label[i];
	if (label->width + self->unit[i].width + 2 * INSET + 6 > w)
		label = &self->brief[i];
	lathe_meter_text_draw(s, label, x + INSET, y + 6, 0, 0, &p->text_dim);
	if (label->width + self->unit[i].width + 2 * INSET + 6 <= w)
		lathe_meter_text_draw(s, &self->unit[i], x + w - INSET, y + 6, 1, 0,
				      &p->text_dim);
	/* The number sits in the space under the label, right-aligned so that
	 * tabular digits stay in their columns; a note, if any, at bottom left. */
	float top = y + 6 + self->label[i].height;
	float bottom = y + h - self->note_h - 2;
	lathe_meter_text_draw(s, &self->number[i], x + w - INSET, (top + bottom) / 2, 1, 0.5f,
			      verdict_color(self->verdict[i]));
	if (self->note[i].width + 2 * INSET <= w)
		lathe_meter_text_draw(s, &self->note[i], x + INSET, y + h - 4, 0, 1,
				      &p->text_dim);
	gtk_snapshot_pop(s);
}

static void draw_correlation(LatheLoudnessPanel *self, GtkSnapshot *s)
{
	const LatheMeterPalette *p = &lathe_meter_palette;
	const graphene_rect_t *r = &self->corr;
	float x = r->origin.x, y = r->origin.y, w = r->size.width, h = r->size.height;
	float mid = roundf(x + w / 2);

	lathe_meter_text_draw(s, &self->corr_label, x, y - 4, 0, 1, &p->text_dim);
	lathe_meter_fill(s, &p->trough, x, y, w, h);
	if (isfinite(self->correlation)) {
		float c = CLAMP(self->correlation, -1.0f, 1.0f);
		float end = x + (c + 1) / 2 * w;
		/* In phase is green; out of phase (mono would cancel) is red. */
		const GdkRGBA *color = c < 0 ? &p->over : &p->ok;
		lathe_meter_fill(s, color, MIN(mid, end), y, fabsf(end - mid), h);
		lathe_meter_text_draw(s, &self->corr_number, x + w, y - 3, 1, 1,
				      c < 0 ? &p->over : &p->text);
	}
	for (int i = 0; i < 5; i++) {
		float tx = roundf(x + i * w / 4);
		lathe_meter_fill(s, i == 2 ? &p->grid_strong : &p->grid, MIN(tx, x + w - 1), y, 1,
				 h);
	}
	lathe_meter_text_draw(s, &self->corr_scale[0], x, y + h + 2, 0, 0, &p->text_dim);
	lathe_meter_text_draw(s, &self->corr_scale[1], mid, y + h + 2, 0.5f, 0, &p->text_dim);
	lathe_meter_text_draw(s, &self->corr_scale[2], x + w, y + h + 2, 1, 0, &p->text_dim);
}

static void lathe_loudness_panel_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
	LatheLoudnessPanel *self = LATHE_LOUDNESS_PANEL(widget);
	const LatheMeterPalette *p = &lathe_meter_palette;
	lathe_meter_fill(s, &p->bg, 0, 0, gtk_widget_get_width(widget),
			 gtk_widget_get_height(widget));
	if (self->cols == 0)
		return;
	for (int i = 0; i < CELLS; i++)
		draw_cell(self, s, i);
	draw_correlation(self, s);
}

static void lathe_loudness_panel_size_allocate(GtkWidget *widget, int width, int height,
					       int baseline)
{
	(void)baseline;
	LatheLoudnessPanel *self = LATHE_LOUDNESS_PANEL(widget);
	/* One, two, three or six columns: whichever gives the largest numbers. */
	float grid_h = height - 2 * PAD - CORR_H - GAP;
	float label_h = self->label[0].height, note_h = self->note[CELL_I].height;
	int cols = 0, rows = 0;
	float cw = 0, ch = 0;
	double px = 0;
	static const int col_choices[] = { 1, 2, 3, CELLS };
	for (int k = 0; k < 4; k++) {
		int c = col_choices[k], r = (CELLS + c - 1) / c;
		float w = (width - 2 * PAD - (c - 1) * GAP) / c;
		float h = (grid_h - (r - 1) * GAP) / r;
		/* As tall as the cell allows, as wide as "+23.4" (about 3.3 em in
		 * bold tabular figures) fits. */
		double size = MIN((h - label_h - note_h - 12) * 0.85, (w - 2 * INSET) / 3.3);
		if (w >= 40 && h >= 30 && size > px)
			cols = c, rows = r, cw = w, ch = h, px = size;
	}
	self->cols = cols;
	if (cols == 0)
		return;
	for (int i = 0; i < CELLS; i++) {
		/* Row-major: the loudness trio first, then range, PLR, peak. */
		int col = i % cols, row = i / cols;
		self->cell[i] = GRAPHENE_RECT_INIT(roundf(PAD + col * (cw + GAP)),
						   roundf(PAD + row * (ch + GAP)), floorf(cw),
						   floorf(ch));
	}
	self->note_h = note_h;
	px = CLAMP(px, 12.0, 56.0);
	for (int i = 0; i < CELLS; i++)
		lathe_meter_text_set_size(&self->number[i], px, true);

	float cy = PAD + rows * ch + (rows - 1) * GAP + GAP;
	self->corr = GRAPHENE_RECT_INIT(PAD, roundf(cy + CORR_H - CORR_BAR_H - 14),
					width - 2 * PAD, CORR_BAR_H);
}

static void lathe_loudness_panel_measure(GtkWidget *widget, GtkOrientation orientation,
					 int for_size, int *minimum, int *natural,
					 int *minimum_baseline, int *natural_baseline)
{
	(void)widget, (void)for_size;
	if (orientation == GTK_ORIENTATION_HORIZONTAL)
		*minimum = 160, *natural = 420;
	else
		*minimum = 200, *natural = 230;
	*minimum_baseline = *natural_baseline = -1;
}

static void lathe_loudness_panel_dispose(GObject *object)
{
	LatheLoudnessPanel *self = LATHE_LOUDNESS_PANEL(object);
	for (int i = 0; i < CELLS; i++) {
		lathe_meter_text_clear(&self->number[i]);
		lathe_meter_text_clear(&self->label[i]);
		lathe_meter_text_clear(&self->brief[i]);
		lathe_meter_text_clear(&self->unit[i]);
		lathe_meter_text_clear(&self->note[i]);
	}
	lathe_meter_text_clear(&self->corr_label);
	lathe_meter_text_clear(&self->corr_number);
	for (int i = 0; i < 3; i++)
		lathe_meter_text_clear(&self->corr_scale[i]);
	G_OBJECT_CLASS(lathe_loudness_panel_parent_class)->dispose(object);
}

static void lathe_loudness_panel_class_init(LatheLoudnessPanelClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	object_class->dispose = lathe_loudness_panel_dispose;
	widget_class->snapshot = lathe_loudness_panel_snapshot;
	widget_class->size_allocate = lathe_loudness_panel_size_allocate;
	widget_class->measure = lathe_loudness_panel_measure;
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_METER);
	gtk_widget_class_set_css_name(widget_class, "lathe-loudness-panel");
}

static void lathe_loudness_panel_init(LatheLoudnessPanel *self)
{
	GtkWidget *widget = GTK_WIDGET(self);
	static const char *const corr_scale[3] = { "-1", "0", "+1" };
	self->target_lufs = self->limit_dbtp = NAN;
	self->correlation = NAN;
	for (int i = 0; i < CELLS; i++) {
		self->value[i] = -INFINITY;
		lathe_meter_text_init(&self->number[i], widget, 28, true, true);
		lathe_meter_text_set(&self->number[i], i == CELL_TP ? "-inf" : "\u2014");
		lathe_meter_text_init(&self->label[i], widget, LABEL_PX, true, false);
		lathe_meter_text_set(&self->label[i], cell_info[i].label);
		lathe_meter_text_init(&self->brief[i], widget, LABEL_PX, true, false);
		lathe_meter_text_set(&self->brief[i], cell_info[i].brief);
		lathe_meter_text_init(&self->unit[i], widget, LABEL_PX, false, false);
		lathe_meter_text_set(&self->unit[i], cell_info[i].unit);
		lathe_meter_text_init(&self->note[i], widget, SMALL_PX, false, true);
	}
	/* The notes' height counts in the layout even while empty. */
	lathe_meter_text_set(&self->note[CELL_I], "target");
	lathe_meter_text_set(&self->note[CELL_I], "");
	lathe_meter_text_init(&self->corr_label, widget, LABEL_PX, true, false);
	lathe_meter_text_set(&self->corr_label, "CORRELATION");
	lathe_meter_text_init(&self->corr_number, widget, CORR_NUMBER_PX, true, true);
	for (int i = 0; i < 3; i++) {
		lathe_meter_text_init(&self->corr_scale[i], widget, SMALL_PX, false, true);
		lathe_meter_text_set(&self->corr_scale[i], corr_scale[i]);
	}
	update_verdicts(self);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self),
				       GTK_ACCESSIBLE_PROPERTY_LABEL, "Loudness",
				       GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, -70.0,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_MAX, 0.0,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, -70.0,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, "not measured yet", -1);
}

GtkWidget *lathe_loudness_panel_new(void)
{
	return g_object_new(LATHE_TYPE_LOUDNESS_PANEL, NULL);
}
