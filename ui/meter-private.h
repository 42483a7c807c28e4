/* lathe — what the meter widgets (ui/meter-*.c) share and nobody else
 * needs: the dark palette, text that is laid out when it changes rather
 * than when it is drawn, and small snapshot helpers.
 *
 * Main thread only, like every GTK call. */
#ifndef LATHE_METER_PRIVATE_H
#define LATHE_METER_PRIVATE_H

#include <gtk/gtk.h>
#include <stdbool.h>

/* The palette. A studio is dim: near-black surfaces, light grey text, and
 * colour kept for meaning (green within target, amber near or under it,
 * red over it). */
typedef struct {
	GdkRGBA bg;          /* widget background */
	GdkRGBA panel;       /* a plot's or a cell's surface */
	GdkRGBA trough;      /* an unlit meter bar */
	GdkRGBA grid;        /* minor grid lines */
	GdkRGBA grid_strong; /* major grid lines, 0 dB */
	GdkRGBA text;        /* numbers */
	GdkRGBA text_dim;    /* labels, units, scales */
	GdkRGBA ok;          /* within target */
	GdkRGBA warn;        /* near the limit, or short of the target */
	GdkRGBA over;        /* over the limit: only ever means that */
	GdkRGBA limit;       /* the line of a limit or target */
	GdkRGBA peak;        /* true-peak bar, below the warning zone */
	GdkRGBA peak_warn;   /* true-peak bar, in the warning zone */
	GdkRGBA sample;      /* sample-peak bar (dimmer) */
	GdkRGBA sample_warn;
	GdkRGBA sample_over;
	GdkRGBA hold;        /* peak-hold ticks */
	GdkRGBA eq;          /* the EQ curve */
	GdkRGBA spectrum[2]; /* first (input, A) and second (output, B) spectrum */
	GdkRGBA history;     /* the loudness-history curve */
	GdkRGBA bands[8];    /* EQ band handles */
} LatheMeterPalette;

extern const LatheMeterPalette lathe_meter_palette;

/* A piece of text that is laid out when it changes (in a setter), so that
 * snapshot only places it. */
typedef struct {
	PangoLayout *layout;
	int width, height;  /* logical size in pixels */
	char text[48];
} LatheMeterText;

/* Fonts: px is an absolute size in pixels; tabular asks for tabular
 * figures (OpenType tnum) so that numbers do not jitter as digits change. */
void lathe_meter_text_init(LatheMeterText *t, GtkWidget *widget, double px, bool bold,
			   bool tabular);
void lathe_meter_text_set_size(LatheMeterText *t, double px, bool bold);
/* Returns true when the text changed (and was laid out anew). */
bool lathe_meter_text_set(LatheMeterText *t, const char *text);
void lathe_meter_text_clear(LatheMeterText *t);
/* Place the text with its logical box aligned at (x, y): xalign and yalign
 * 0 = left/top, 0.5 = centre, 1 = right/bottom. */
void lathe_meter_text_draw(GtkSnapshot *s, const LatheMeterText *t, float x, float y,
			   float xalign, float yalign, const GdkRGBA *color);

/* A filled rectangle. */
static inline void lathe_meter_fill(GtkSnapshot *s, const GdkRGBA *c, float x, float y, float w,
				    float h)
{
	if (w > 0 && h > 0)
		gtk_snapshot_append_color(s, c, &GRAPHENE_RECT_INIT(x, y, w, h));
}

static inline void lathe_meter_set_source(cairo_t *cr, const GdkRGBA *c)
{
	cairo_set_source_rgba(cr, c->red, c->green, c->blue, c->alpha);
}

static inline void lathe_meter_set_source_alpha(cairo_t *cr, const GdkRGBA *c, double alpha)
{
	cairo_set_source_rgba(cr, c->red, c->green, c->blue, c->alpha * alpha);
}

/* A level as text: "-14.2", "+0.3" with plus, "-inf" (or `none`) when it is
 * -inf or NaN. */
void lathe_meter_format(char *buf, size_t size, float value, int decimals, bool plus,
			const char *none);

/* Accessibility updates are for people, not frames: true at most every
 * LATHE_METER_A11Y_US (and on the first call), advancing *last. */
#define LATHE_METER_A11Y_US 500000
bool lathe_meter_a11y_due(gint64 *last);

#endif
