/* lathe — the meter widgets' palette and text helpers (see meter-private.h). */
#define G_LOG_DOMAIN "lathe-meter"

#include "meter-private.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define RGB(hex) { .red = ((hex) >> 16 & 0xff) / 255.0f, .green = ((hex) >> 8 & 0xff) / 255.0f, \
		   .blue = ((hex) & 0xff) / 255.0f, .alpha = 1.0f }

const LatheMeterPalette lathe_meter_palette = {
	.bg = RGB(0x121418),
	.panel = RGB(0x191c21),
	.trough = RGB(0x22262d),
	.grid = RGB(0x2a2f37),
	.grid_strong = RGB(0x434a55),
	.text = RGB(0xe8ecf0),
	.text_dim = RGB(0x8d97a3),
	.ok = RGB(0x4cd683),
	.warn = RGB(0xf2b33d),
	.over = RGB(0xff4040),
	.limit = RGB(0xff9a3c),
	.peak = RGB(0x3fcf78),
	.peak_warn = RGB(0xf0c53c),
	.sample = RGB(0x2a7d4e),
	.sample_warn = RGB(0x8f7630),
	.sample_over = RGB(0x9e2a2a),
	.hold = RGB(0xf4f6f8),
	.eq = RGB(0xffb347),
	.spectrum = { RGB(0x6f93bd), RGB(0x55e3d2) },
	.history = RGB(0x7fb2ff),
	.bands = { RGB(0xf78fb3), RGB(0xffa36c), RGB(0xf6d365), RGB(0x9be15d),
		   RGB(0x4fd1c5), RGB(0x63b3ed), RGB(0xa78bfa), RGB(0xe879f9) },
};

static void set_font(LatheMeterText *t, double px, bool bold)
{
	PangoFontDescription *desc = pango_font_description_new();
	pango_font_description_set_family(desc, "Sans");
	pango_font_description_set_weight(desc, bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
	pango_font_description_set_absolute_size(desc, px * PANGO_SCALE);
	pango_layout_set_font_description(t->layout, desc);
	pango_font_description_free(desc);
}

static void measure(LatheMeterText *t)
{
	PangoRectangle logical;
	pango_layout_get_pixel_extents(t->layout, NULL, &logical);
	t->width = logical.width;
	t->height = logical.height;
}

void lathe_meter_text_init(LatheMeterText *t, GtkWidget *widget, double px, bool bold,
			   bool tabular)
{
	t->layout = gtk_widget_create_pango_layout(widget, NULL);
	t->text[0] = '\0';
	if (tabular) {
		PangoAttrList *attrs = pango_attr_list_new();
		pango_attr_list_insert(attrs, pango_attr_font_features_new("tnum=1"));
		pango_layout_set_attributes(t->layout, attrs);
		pango_attr_list_unref(attrs);
	}
	set_font(t, px, bold);
	measure(t);
}

void lathe_meter_text_set_size(LatheMeterText *t, double px, bool bold)
{
	set_font(t, px, bold);
	measure(t);
}

bool lathe_meter_text_set(LatheMeterText *t, const char *text)
{
	if (strcmp(t->text, text) == 0)
		return false;
	g_strlcpy(t->text, text, sizeof t->text);
	pango_layout_set_text(t->layout, t->text, -1);
	measure(t); /* lays the text out now, not in snapshot */
	return true;
}

void lathe_meter_text_clear(LatheMeterText *t)
{
	g_clear_object(&t->layout);
}

void lathe_meter_text_draw(GtkSnapshot *s, const LatheMeterText *t, float x, float y,
			   float xalign, float yalign, const GdkRGBA *color)
{
	if (!t->layout || !t->text[0])
		return;
	gtk_snapshot_save(s);
	gtk_snapshot_translate(s, &GRAPHENE_POINT_INIT(roundf(x - xalign * t->width),
						      roundf(y - yalign * t->height)));
	gtk_snapshot_append_layout(s, t->layout, color);
	gtk_snapshot_restore(s);
}

void lathe_meter_format(char *buf, size_t size, float value, int decimals, bool plus,
			const char *none)
{
	if (!isfinite(value)) {
		g_strlcpy(buf, none, size);
		return;
	}
	/* Round first, so that -0.04 shows as "0.0", not "-0.0". */
	double scale = pow(10.0, decimals);
	double v = round((double)value * scale) / scale;
	if (v == 0.0)
		v = 0.0;
	snprintf(buf, size, plus && v > 0.0 ? "+%.*f" : "%.*f", decimals, v);
}

bool lathe_meter_a11y_due(gint64 *last)
{
	gint64 now = g_get_monotonic_time();
	if (*last != 0 && now - *last < LATHE_METER_A11Y_US)
		return false;
	*last = now;
	return true;
}
