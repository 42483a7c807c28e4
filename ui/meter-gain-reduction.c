/* lathe — a module's gain-reduction meter (see meter-widgets.h). */
#define G_LOG_DOMAIN "lathe-meter"

#include "meter-private.h"
#include "meter-widgets.h"

#include <math.h>
#include <stdio.h>

#define BAR_W 72
#define BAR_H 6
#define GAP 6
#define TEXT_PX 11.0
#define NUMBER_US 200000 /* the number's period: readable, five times a second */

struct _LatheGainReductionMeter {
	GtkWidget parent_instance;
	float shown;        /* the bar, dB */
	float most;         /* the most since the number was set */
	gint64 number_time; /* when the number was last set */
	gint64 a11y_time;
	LatheMeterText number;
};

G_DEFINE_FINAL_TYPE(LatheGainReductionMeter, lathe_gain_reduction_meter, GTK_TYPE_WIDGET)

static void lathe_gain_reduction_meter_measure(GtkWidget *widget, GtkOrientation orientation,
					       int for_size, int *minimum, int *natural,
					       int *minimum_baseline, int *natural_baseline)
{
	(void)for_size, (void)minimum_baseline, (void)natural_baseline;
	LatheGainReductionMeter *self = LATHE_GAIN_REDUCTION_METER(widget);
	/* Room for the widest number, "20.0", whatever is shown now: the
	 * widget never changes size, so a new value never lays out again. */
	PangoLayout *widest = pango_layout_copy(self->number.layout);
	pango_layout_set_text(widest, "20.0", -1);
	PangoRectangle logical;
	pango_layout_get_pixel_extents(widest, NULL, &logical);
	g_object_unref(widest);
	if (orientation == GTK_ORIENTATION_HORIZONTAL)
		*minimum = *natural = BAR_W + GAP + logical.width;
	else
		*minimum = *natural = MAX(BAR_H, logical.height);
}

static void lathe_gain_reduction_meter_snapshot(GtkWidget *widget, GtkSnapshot *s)
{
	LatheGainReductionMeter *self = LATHE_GAIN_REDUCTION_METER(widget);
	const LatheMeterPalette *p = &lathe_meter_palette;
	float height = gtk_widget_get_height(widget), width = gtk_widget_get_width(widget);
	float y = roundf((height - BAR_H) / 2.0f);
	lathe_meter_fill(s, &p->trough, 0, y, BAR_W, BAR_H);
	float lit = fminf(self->shown, LATHE_GR_METER_RANGE_DB) / LATHE_GR_METER_RANGE_DB;
	lathe_meter_fill(s, &p->warn, 0, y, roundf(BAR_W * lit), BAR_H);
	lathe_meter_text_draw(s, &self->number, width, height / 2.0f, 1.0f, 0.5f, &p->text);
}

static void set_number(LatheGainReductionMeter *self, float db)
{
	char text[16];
	lathe_meter_format(text, sizeof(text), db, 1, false, "0.0");
	if (lathe_meter_text_set(&self->number, text))
		gtk_widget_queue_draw(GTK_WIDGET(self));
}

void lathe_gain_reduction_meter_set(LatheGainReductionMeter *self, float db)
{
	if (!(db > 0.0f))
		db = 0.0f;
	self->most = fmaxf(self->most, db);
	gint64 now = g_get_monotonic_time();
	if (now - self->number_time >= NUMBER_US) {
		set_number(self, self->most);
		self->most = 0.0f;
		self->number_time = now;
	}
	if (lathe_meter_a11y_due(&self->a11y_time))
		gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_VALUE_NOW,
					       (double)db, -1);
	/* A change under a tenth of a pixel is not drawn. */
	if (fabsf(db - self->shown) * BAR_W / LATHE_GR_METER_RANGE_DB < 0.1f)
		return;
	self->shown = db;
	gtk_widget_queue_draw(GTK_WIDGET(self));
}

static void lathe_gain_reduction_meter_finalize(GObject *object)
{
	lathe_meter_text_clear(&LATHE_GAIN_REDUCTION_METER(object)->number);
	G_OBJECT_CLASS(lathe_gain_reduction_meter_parent_class)->finalize(object);
}

static void lathe_gain_reduction_meter_class_init(LatheGainReductionMeterClass *klass)
{
	GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
	G_OBJECT_CLASS(klass)->finalize = lathe_gain_reduction_meter_finalize;
	widget_class->measure = lathe_gain_reduction_meter_measure;
	widget_class->snapshot = lathe_gain_reduction_meter_snapshot;
	gtk_widget_class_set_css_name(widget_class, "lathe-gain-reduction-meter");
	gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_METER);
}

static void lathe_gain_reduction_meter_init(LatheGainReductionMeter *self)
{
	lathe_meter_text_init(&self->number, GTK_WIDGET(self), TEXT_PX, false, true);
	set_number(self, 0.0f);
	gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_VALUE_MIN, 0.0,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_MAX,
				       (double)LATHE_GR_METER_RANGE_DB,
				       GTK_ACCESSIBLE_PROPERTY_VALUE_NOW, 0.0, -1);
}

GtkWidget *lathe_gain_reduction_meter_new(void)
{
	return g_object_new(LATHE_TYPE_GAIN_REDUCTION_METER, NULL);
}
