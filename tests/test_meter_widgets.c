/* lathe — tests of the meter widgets (ui/meter-*.c) and of the drawing
 * cache (ui/cache.c), really rendered.
 *
 * The program starts its own X server (Xvfb, on a display number it picks
 * with -displayfd) and fails, rather than skips, when it cannot. Each widget
 * is shown in an undecorated window of a fixed size, rendered through the
 * window's own renderer (GSK_RENDERER=cairo) into a texture, and judged by
 * its pixels: where a bar ends, at what height a line is drawn, which
 * colours appear. Positions are found by scanning the pixels and compared
 * with the scales as meter-widgets.h documents them, not with the widgets'
 * own arithmetic.
 *
 * The drag is real: XTest (libXtst, opened at run time) moves the X
 * server's pointer and presses its button, so the events travel X -> GDK
 * -> GtkGestureDrag as a user's would.
 *
 * Not tested: that snapshot allocates nothing. GLib 2.74 has no way to
 * count g_malloc calls (GMemVTable is ignored since 2.46), and the render
 * nodes GTK allocates would drown them anyway; meter-private.h's text
 * helpers keep layout out of snapshot by construction.
 *
 * LATHE_SCREENSHOT=file.png saves the four widgets together, fed with
 * plausible values, as a PNG.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtk/gtk.h>
#include <gdk/x11/gdkx.h>

#include "cache.h"
#include "meter-private.h"
#include "meter-widgets.h"
#include "params.h"
#include "settings.h"

/* Under LeakSanitizer (make check-sanitize): fontconfig's caches and Mesa's
 * software rasteriser (GTK probes GL even with the cairo renderer) keep
 * memory to the end of the process by design; nothing of lathe's is
 * suppressed. LSan reads this function if it exists. */
const char *__lsan_default_suppressions(void);
__attribute__((used)) const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\nleak:swrast_dri.so\n";
}

/* ---- the X server ------------------------------------------------------------- */

static pid_t xvfb_pid;

/* Xvfb on a free display: -displayfd makes it choose one and write its
 * number to a pipe once it accepts connections. */
static bool start_xvfb(void)
{
	int fds[2];
	if (pipe(fds) != 0)
		return false;
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
		close(fds[0]);
		char fd[16];
		snprintf(fd, sizeof fd, "%d", fds[1]);
		FILE *null = freopen("/dev/null", "w", stderr);
		(void)null;
		execlp("Xvfb", "Xvfb", "-displayfd", fd, "-screen", "0", "1280x800x24",
		       "-nolisten", "tcp", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	xvfb_pid = pid;
	char buf[32] = "";
	size_t len = 0;
	struct pollfd p = { .fd = fds[0], .events = POLLIN };
	while (len < sizeof buf - 1 && poll(&p, 1, 15000) > 0) {
		ssize_t n = read(fds[0], buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len))
			break;
	}
	close(fds[0]);
	buf[len] = '\0';
	int display = -1;
	if (sscanf(buf, "%d", &display) != 1 || display < 0) {
		fprintf(stderr, "Xvfb did not start (is the package xvfb installed?)\n");
		return false;
	}
	char name[32];
	snprintf(name, sizeof name, ":%d", display);
	setenv("DISPLAY", name, 1);
	return true;
}

static int group_setup(void **state)
{
	(void)state;
	unsetenv("WAYLAND_DISPLAY");
	setenv("GDK_BACKEND", "x11", 1);
	setenv("GSK_RENDERER", "cairo", 1);
	setenv("GTK_A11Y", "none", 1);          /* no AT-SPI bus to look for */
	setenv("GSETTINGS_BACKEND", "memory", 1);
	/* No GL: GTK would load Mesa to probe it, and Mesa, unloaded at exit,
	 * leaves allocations LeakSanitizer cannot even name. */
	setenv("GDK_DEBUG", "gl-disable", 1);
	if (!start_xvfb())
		return -1;
	if (!gtk_init_check()) {
		fprintf(stderr, "GTK could not open the display %s\n", getenv("DISPLAY"));
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (xvfb_pid > 0) {
		kill(xvfb_pid, SIGTERM);
		waitpid(xvfb_pid, NULL, 0);
	}
	return 0;
}

/* ---- showing and rendering ---------------------------------------------------- */

static void pump(int ms)
{
	gint64 end = g_get_monotonic_time() + ms * 1000;
	while (g_get_monotonic_time() < end) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		g_usleep(1000);
	}
}

/* An undecorated window of w x h around child, mapped and allocated. */
static GtkWidget *show(GtkWidget *child, int w, int h)
{
	GtkWidget *window = gtk_window_new();
	gtk_window_set_decorated(GTK_WINDOW(window), FALSE);
	gtk_window_set_default_size(GTK_WINDOW(window), w, h);
	gtk_window_set_child(GTK_WINDOW(window), child);
	gtk_window_present(GTK_WINDOW(window));
	gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
	while (!(gtk_widget_get_mapped(child) && gtk_widget_get_width(window) == w &&
		 gtk_widget_get_height(window) == h) && g_get_monotonic_time() < end) {
		g_main_context_iteration(NULL, FALSE);
		g_usleep(1000);
	}
	assert_true(gtk_widget_get_mapped(child));
	assert_int_equal(gtk_widget_get_width(window), w);
	assert_int_equal(gtk_widget_get_height(window), h);
	pump(50);
	return window;
}

typedef struct {
	int width, height;
	gsize stride;
	guchar *data; /* GDK_MEMORY_DEFAULT: B G R A, premultiplied */
} Image;

/* The widget as it would be drawn now, through its window's renderer. */
static Image render(GtkWidget *widget)
{
	pump(20); /* let a pending allocation happen */
	Image im = { .width = gtk_widget_get_width(widget), .height = gtk_widget_get_height(widget) };
	GdkPaintable *paintable = gtk_widget_paintable_new(widget);
	GtkSnapshot *snapshot = gtk_snapshot_new();
	gdk_paintable_snapshot(paintable, snapshot, im.width, im.height);
	GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
	assert_non_null(node);
	GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
	GdkTexture *texture = gsk_renderer_render_texture(
		renderer, node, &GRAPHENE_RECT_INIT(0, 0, im.width, im.height));
	assert_int_equal(gdk_texture_get_width(texture), im.width);
	im.stride = (gsize)im.width * 4;
	im.data = g_malloc(im.stride * im.height);
	gdk_texture_download(texture, im.data, im.stride);
	g_object_unref(texture);
	gsk_render_node_unref(node);
	g_object_unref(paintable);
	return im;
}

static void rgb_at(const Image *im, int x, int y, int rgb[3])
{
	const guchar *p = im->data + (gsize)y * im->stride + (gsize)x * 4;
	rgb[0] = p[2], rgb[1] = p[1], rgb[2] = p[0];
}

/* The pixel is the colour, within tol per channel. */
static bool is(const Image *im, int x, int y, const GdkRGBA *c, int tol)
{
	if (x < 0 || y < 0 || x >= im->width || y >= im->height)
		return false;
	int rgb[3];
	rgb_at(im, x, y, rgb);
	return abs(rgb[0] - (int)lroundf(c->red * 255)) <= tol &&
	       abs(rgb[1] - (int)lroundf(c->green * 255)) <= tol &&
	       abs(rgb[2] - (int)lroundf(c->blue * 255)) <= tol;
}

/* Unmistakably red: what the widgets use for "over" only. */
static bool is_red(const Image *im, int x, int y)
{
	int rgb[3];
	rgb_at(im, x, y, rgb);
	return rgb[0] > 200 && rgb[1] < 100 && rgb[2] < 100;
}

static int count_red(const Image *im, int x0, int y0, int x1, int y1)
{
	int n = 0;
	for (int y = MAX(0, y0); y < MIN(y1, im->height); y++)
		for (int x = MAX(0, x0); x < MIN(x1, im->width); x++)
			n += is_red(im, x, y);
	return n;
}

static int count_color(const Image *im, const GdkRGBA *c, int tol)
{
	int n = 0;
	for (int y = 0; y < im->height; y++)
		for (int x = 0; x < im->width; x++)
			n += is(im, x, y, c, tol);
	return n;
}

/* Mean y of the pixels of colour c in column x between y0 and y1, or -1. */
static double centroid_y(const Image *im, int x, int y0, int y1, const GdkRGBA *c, int tol)
{
	double sum = 0;
	int n = 0;
	for (int y = MAX(0, y0); y < MIN(y1, im->height); y++)
		if (is(im, x, y, c, tol))
			sum += y, n++;
	return n ? sum / n : -1.0;
}

static void destroy(GtkWidget *window)
{
	gtk_window_destroy(GTK_WINDOW(window));
	pump(20);
}

static const LatheMeterPalette *pal = &lathe_meter_palette;

/* ---- LatheLevelMeter ---------------------------------------------------------- */

/* The scale as meter-widgets.h documents it (the test's own copy). */
static double doc_scale(double db)
{
	static const double k[][2] = { { -60, 0.00 }, { -40, 0.16 }, { -20, 0.40 },
				       { -6, 0.68 }, { 0, 0.92 }, { 3, 1.00 } };
	if (db <= k[0][0])
		return 0;
	for (int i = 1; i < 6; i++)
		if (db <= k[i][0])
			return k[i - 1][1] + (db - k[i - 1][0]) / (k[i][0] - k[i - 1][0]) *
			       (k[i][1] - k[i - 1][1]);
	return 1;
}

static LatheMeterReading level_reading(float tp_l, float tp_r, float hold_l, float hold_r)
{
	LatheMeterReading r;
	memset(&r, 0, sizeof r);
	r.true_peak[0] = tp_l, r.true_peak[1] = tp_r;
	r.true_peak_hold[0] = hold_l, r.true_peak_hold[1] = hold_r;
	r.sample_peak[0] = tp_l - 2, r.sample_peak[1] = tp_r - 2;
	r.sample_peak_hold[0] = hold_l - 2, r.sample_peak_hold[1] = hold_r - 2;
	r.true_peak_max = MAX(hold_l, hold_r);
	return r;
}

/* A lit true-peak bar pixel: any of its zone colours. */
static bool lit(const Image *im, int x, int y)
{
	return is(im, x, y, &pal->peak, 10) || is(im, x, y, &pal->peak_warn, 10) ||
	       is(im, x, y, &pal->over, 10);
}

typedef struct {
	int cx;          /* the true-peak bar's middle column */
	int fill_top;    /* first lit row */
	int bar_bottom;  /* one past the last lit row */
	int trough_top;  /* first row of the bar's trough */
} Bar;

/* The two true-peak bars, found in a row near the bottom where both are
 * lit: the runs of the true-peak colour (sample-peak bars are dimmer). */
static int find_bars(const Image *im, int row, Bar bars[2])
{
	int n = 0;
	for (int x = 0; x < im->width; x++) {
		if (!is(im, x, row, &pal->peak, 10))
			continue;
		int x0 = x;
		while (x < im->width && is(im, x, row, &pal->peak, 10))
			x++;
		if (x - x0 < 8 || n == 2)
			continue;
		Bar *b = &bars[n++];
		b->cx = (x0 + x - 1) / 2;
	}
	for (int i = 0; i < n; i++) {
		Bar *b = &bars[i];
		int y = row;
		while (y > 0 && lit(im, b->cx, y - 1))
			y--;
		b->fill_top = y;
		y = row;
		while (y < im->height && lit(im, b->cx, y))
			y++;
		b->bar_bottom = y;
		b->trough_top = -1;
		for (y = 0; y + 3 < im->height; y++)
			if (is(im, b->cx, y, &pal->trough, 3) && is(im, b->cx, y + 1, &pal->trough, 3) &&
			    is(im, b->cx, y + 2, &pal->trough, 3)) {
				b->trough_top = y;
				break;
			}
	}
	return n;
}

static double expected_y(const Bar *b, double db)
{
	return b->bar_bottom - doc_scale(db) * (b->bar_bottom - b->trough_top);
}

static void test_level_meter_bars(void **state)
{
	(void)state;
	enum { W = 160, H = 400 };
	GtkWidget *meter = lathe_level_meter_new();
	GtkWidget *window = show(meter, W, H);
	assert_int_equal(gtk_accessible_get_accessible_role(GTK_ACCESSIBLE(meter)),
			 GTK_ACCESSIBLE_ROLE_METER);
	lathe_level_meter_set_limit(LATHE_LEVEL_METER(meter), -1.0f);
	LatheMeterReading r = level_reading(-6.0f, -20.0f, -3.0f, -12.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(meter), &r);

	Image im = render(meter);
	Bar bars[2];
	assert_int_equal(find_bars(&im, H - 60, bars), 2);
	const double db[2] = { -6.0, -20.0 };
	for (int ch = 0; ch < 2; ch++) {
		const Bar *b = &bars[ch];
		assert_true(b->trough_top > 0 && b->trough_top < b->fill_top);
		double want = expected_y(b, db[ch]);
		printf("  %s: bar %d..%d, trough from %d; fill top %d, -%g dB expected at %.1f\n",
		       ch ? "R" : "L", b->fill_top, b->bar_bottom, b->trough_top, b->fill_top,
		       -db[ch], want);
		/* +-2 px: the edge of a bar at a fractional height is blended. */
		assert_true(fabs(b->fill_top - want) <= 2.0);
	}
	assert_true(bars[0].cx < bars[1].cx);
	/* The limit line at -1 dBTP, across the unlit part of R's bar. */
	double limit_y = centroid_y(&im, bars[1].cx, 0, H, &pal->limit, 20);
	printf("  limit line at %.1f, expected %.1f\n", limit_y, expected_y(&bars[1], -1.0));
	assert_true(fabs(limit_y - expected_y(&bars[1], -1.0)) <= 2.0);
	/* Under the limit: nothing red anywhere (holds and numbers included). */
	assert_int_equal(count_red(&im, 0, 0, W, H), 0);
	g_free(im.data);

	/* L over the limit (-0.5 > -1.0): red in L's bar above the line, and
	 * its hold number red; R untouched. */
	r = level_reading(-0.5f, -20.0f, -0.5f, -12.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(meter), &r);
	im = render(meter);
	int red_l = count_red(&im, bars[0].cx - 2, bars[0].trough_top, bars[0].cx + 3,
			      bars[0].bar_bottom);
	int red_r = count_red(&im, bars[1].cx - 2, bars[1].trough_top, bars[1].cx + 3,
			      bars[1].bar_bottom);
	int red_numbers = count_red(&im, 0, 0, W, bars[0].trough_top);
	double red_top = -1, red_bottom = -1;
	for (int y = bars[0].trough_top; y < bars[0].bar_bottom; y++)
		if (is_red(&im, bars[0].cx, y)) {
			if (red_top < 0)
				red_top = y;
			red_bottom = y + 1;
		}
	printf("  over: red px in L bar %d (rows %.0f..%.0f, expected %.1f..%.1f), R bar %d, "
	       "numbers %d\n", red_l, red_top, red_bottom, expected_y(&bars[0], -0.5),
	       expected_y(&bars[0], -1.0), red_r, red_numbers);
	assert_true(red_l > 0);
	assert_true(fabs(red_top - expected_y(&bars[0], -0.5)) <= 2.0);
	assert_true(fabs(red_bottom - expected_y(&bars[0], -1.0)) <= 2.0);
	assert_int_equal(red_r, 0);
	assert_true(red_numbers > 0);
	g_free(im.data);

	/* At the limit exactly (as shown, -1.0): not over. */
	r = level_reading(-1.0f, -20.0f, -1.0f, -12.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(meter), &r);
	pump(1600); /* let the bar fall from -0.5 to -1.0 */
	im = render(meter);
	assert_int_equal(count_red(&im, 0, 0, W, H), 0);
	g_free(im.data);
	destroy(window);
}

/* Instant attack, then a fall at 20 dB/s on the frame clock. */
static void test_level_meter_ballistics(void **state)
{
	(void)state;
	enum { W = 160, H = 400 };
	GtkWidget *meter = lathe_level_meter_new();
	GtkWidget *window = show(meter, W, H);
	LatheMeterReading r = level_reading(-6.0f, -20.0f, -6.0f, -20.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(meter), &r);
	Image im = render(meter);
	Bar bars[2];
	assert_int_equal(find_bars(&im, H - 60, bars), 2);
	Bar l = bars[0];
	g_free(im.data);

	/* L drops to -30 (R stays): the bar falls, it does not jump. */
	r = level_reading(-30.0f, -20.0f, -6.0f, -20.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(meter), &r);
	gint64 t0 = g_get_monotonic_time();
	pump(300);
	im = render(meter);
	double elapsed = (g_get_monotonic_time() - t0) / 1e6;
	assert_int_equal(find_bars(&im, H - 60, bars), 2);
	int top = bars[0].fill_top;
	g_free(im.data);
	/* In 0.3 s at 20 dB/s it falls about 6 dB; the frame clock's phase
	 * and the render's own frame allow a few dB either way. */
	double fell_db = 20.0 * elapsed;
	printf("  after %.2f s: top at %d; -6 dB at %.1f, -%.0f at %.1f, -30 at %.1f\n", elapsed,
	       top, expected_y(&l, -6), 6 + fell_db, expected_y(&l, -6 - fell_db),
	       expected_y(&l, -30));
	assert_true(top > expected_y(&l, -8));        /* it has fallen */
	assert_true(top < expected_y(&l, -30) - 4);   /* but not all the way */
	/* Not faster than 20 dB/s (slower only if the machine is too busy to
	 * give frames). */
	assert_true(top < expected_y(&l, -6 - fell_db - 4) + 2);

	/* 24 dB take 1.2 s; then it rests at -30. */
	pump(1500);
	im = render(meter);
	assert_int_equal(find_bars(&im, H - 60, bars), 2);
	printf("  at rest: top at %d, -30 dB at %.1f\n", bars[0].fill_top, expected_y(&l, -30));
	assert_true(fabs(bars[0].fill_top - expected_y(&l, -30)) <= 2.0);
	g_free(im.data);

	/* A rise is instant. */
	r = level_reading(-3.0f, -20.0f, -3.0f, -20.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(meter), &r);
	im = render(meter);
	assert_int_equal(find_bars(&im, H - 60, bars), 2);
	assert_true(fabs(bars[0].fill_top - expected_y(&l, -3)) <= 2.0);
	g_free(im.data);
	destroy(window);
}

/* ---- LatheLoudnessPanel ------------------------------------------------------- */

static void test_verdicts(void **state)
{
	(void)state;
	/* Integrated against -14 LUFS: +-1 LU (as shown, to 0.1) is on target. */
	assert_int_equal(lathe_loudness_verdict(-14.0f, -14.0f), LATHE_VERDICT_OK);
	assert_int_equal(lathe_loudness_verdict(-13.0f, -14.0f), LATHE_VERDICT_OK);
	assert_int_equal(lathe_loudness_verdict(-15.0f, -14.0f), LATHE_VERDICT_OK);
	assert_int_equal(lathe_loudness_verdict(-12.9f, -14.0f), LATHE_VERDICT_OVER);
	assert_int_equal(lathe_loudness_verdict(-15.1f, -14.0f), LATHE_VERDICT_LOW);
	assert_int_equal(lathe_loudness_verdict(-INFINITY, -14.0f), LATHE_VERDICT_NONE);
	assert_int_equal(lathe_loudness_verdict(-14.0f, NAN), LATHE_VERDICT_NONE);
	/* True peak against -1 dBTP: over only when the number shown is. */
	assert_int_equal(lathe_true_peak_verdict(-1.0f, -1.0f), LATHE_VERDICT_OK);
	assert_int_equal(lathe_true_peak_verdict(-1.04f, -1.0f), LATHE_VERDICT_OK);
	assert_int_equal(lathe_true_peak_verdict(-0.96f, -1.0f), LATHE_VERDICT_OK);
	assert_int_equal(lathe_true_peak_verdict(-0.9f, -1.0f), LATHE_VERDICT_OVER);
	assert_int_equal(lathe_true_peak_verdict(0.5f, -1.0f), LATHE_VERDICT_OVER);
	assert_int_equal(lathe_true_peak_verdict(-INFINITY, -1.0f), LATHE_VERDICT_NONE);
	assert_int_equal(lathe_true_peak_verdict(0.5f, NAN), LATHE_VERDICT_NONE);
}

static LatheMeterReading loudness_reading(float integrated, float tp_max, float correlation)
{
	LatheMeterReading r;
	memset(&r, 0, sizeof r);
	r.momentary = integrated + 1.2f;
	r.short_term = integrated + 0.4f;
	r.integrated = integrated;
	r.lra = 6.3f;
	r.true_peak_max = tp_max;
	r.plr = tp_max - integrated;
	r.correlation = correlation;
	for (int c = 0; c < 2; c++)
		r.true_peak[c] = r.true_peak_hold[c] = r.sample_peak[c] = r.sample_peak_hold[c] =
			tp_max;
	return r;
}

static void test_loudness_panel_colours(void **state)
{
	(void)state;
	enum { W = 420, H = 230 };
	GtkWidget *panel = lathe_loudness_panel_new();
	GtkWidget *window = show(panel, W, H);
	assert_int_equal(gtk_accessible_get_accessible_role(GTK_ACCESSIBLE(panel)),
			 GTK_ACCESSIBLE_ROLE_METER);
	LatheLoudnessPanel *p = LATHE_LOUDNESS_PANEL(panel);
	lathe_loudness_panel_set_target(p, -14.0f, -1.0f);
	static const struct {
		float integrated, tp, correlation;
		bool red, amber;
	} cases[] = {
		{ -14.3f, -1.5f, 0.6f, false, false },  /* on target, peaks under */
		{ -10.0f, -1.5f, 0.6f, true, false },   /* too loud */
		{ -20.0f, -1.5f, 0.6f, false, true },   /* too quiet */
		{ -14.0f, -0.5f, 0.6f, true, false },   /* peaks over */
		{ -14.0f, -1.5f, -0.4f, true, false },  /* out of phase */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		LatheMeterReading r = loudness_reading(cases[i].integrated, cases[i].tp,
						       cases[i].correlation);
		lathe_loudness_panel_set_reading(p, &r);
		Image im = render(panel);
		int red = count_red(&im, 0, 0, W, H);
		int amber = count_color(&im, &pal->warn, 12);
		int green = count_color(&im, &pal->ok, 12);
		printf("  I %.1f, TP %.1f, corr %.1f: red %d, amber %d, green %d px\n",
		       cases[i].integrated, cases[i].tp, cases[i].correlation, red, amber, green);
		assert_true((red > 0) == cases[i].red);
		assert_true((amber > 0) == cases[i].amber);
		assert_true(green > 0); /* a stripe or the correlation bar in every case */
		g_free(im.data);
	}
	/* No target: neutral numbers, nothing red for loud audio. */
	lathe_loudness_panel_set_target(p, NAN, NAN);
	LatheMeterReading r = loudness_reading(-8.0f, 0.5f, 0.6f);
	lathe_loudness_panel_set_reading(p, &r);
	Image im = render(panel);
	assert_int_equal(count_red(&im, 0, 0, W, H), 0);
	g_free(im.data);
	destroy(window);
}

/* ---- LatheSpectrumView -------------------------------------------------------- */

/* A plot pixel: the plot's surface or a grid line (not the margin). */
static bool in_plot(const Image *im, int x, int y)
{
	return is(im, x, y, &pal->panel, 3) || is(im, x, y, &pal->grid, 3) ||
	       is(im, x, y, &pal->grid_strong, 3);
}

/* The plot's top and bottom rows in column x, scanned. */
static void plot_rows(const Image *im, int x, int *top, int *bottom)
{
	*top = *bottom = -1;
	for (int y = 0; y < im->height; y++)
		if (in_plot(im, x, y)) {
			*top = y;
			break;
		}
	for (int y = im->height - 1; y >= 0; y--)
		if (in_plot(im, x, y)) {
			*bottom = y + 1;
			break;
		}
}

static void test_spectrum_eq_curve_height(void **state)
{
	(void)state;
	enum { W = 640, H = 320 };
	GtkWidget *view = lathe_spectrum_view_new();
	GtkWidget *window = show(view, W, H);
	assert_int_equal(gtk_accessible_get_accessible_role(GTK_ACCESSIBLE(view)),
			 GTK_ACCESSIBLE_ROLE_IMG);
	float flat[LATHE_SPECTRUM_POINTS];
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		flat[i] = 6.0f;
	lathe_spectrum_view_set_eq_curve(LATHE_SPECTRUM_VIEW(view), flat);
	Image im = render(view);

	/* The plot's rows and columns from its pixels, and the curve's height
	 * in a few columns: +6 dB of +-24 is 18/48 of the way down. */
	int top, bottom;
	plot_rows(&im, W / 2 + 3, &top, &bottom);
	int left = -1, right = -1, row = (top + bottom) / 2 + 20;
	for (int x = 0; x < W; x++)
		if (in_plot(&im, x, row)) {
			if (left < 0)
				left = x;
			right = x + 1;
		}
	printf("  plot %d..%d x %d..%d\n", left, right, top, bottom);
	assert_true(top >= 0 && bottom > top + 100 && left >= 0 && right > left + 300);
	graphene_rect_t area;
	lathe_spectrum_view_get_plot_area(LATHE_SPECTRUM_VIEW(view), &area);
	assert_true(fabs(area.origin.x - left) <= 1 && fabs(area.origin.y - top) <= 1);
	assert_true(fabs(area.origin.x + area.size.width - right) <= 1);
	assert_true(fabs(area.origin.y + area.size.height - bottom) <= 1);

	double want = top + (24.0 - 6.0) / 48.0 * (bottom - top);
	for (int i = 1; i <= 5; i++) {
		int x = left + i * (right - left) / 6 + 3;
		double y = centroid_y(&im, x, top, bottom, &pal->eq, 24);
		printf("  x %d: curve at %.1f, +6 dB expected at %.1f\n", x, y, want);
		assert_true(fabs(y - want) <= 1.5);
	}
	g_free(im.data);

	/* A spectrum at -40 dB draws 40/96 of the way down, in its colour (a
	 * thin line: its pixels are blended, hence the wide tolerance). */
	float flat_spectrum[LATHE_SPECTRUM_POINTS];
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		flat_spectrum[i] = -40.0f;
	lathe_spectrum_view_set_eq_curve(LATHE_SPECTRUM_VIEW(view), NULL);
	lathe_spectrum_view_set_spectrum(LATHE_SPECTRUM_VIEW(view), 1, flat_spectrum);
	im = render(view);
	want = top + 40.0 / 96.0 * (bottom - top);
	double y = centroid_y(&im, W / 2 + 3, top, bottom, &pal->spectrum[1], 70);
	printf("  spectrum at %.1f, -40 dB expected at %.1f\n", y, want);
	assert_true(fabs(y - want) <= 1.5);
	g_free(im.data);
	destroy(window);
}

/* XTest and two Xlib calls, from the libraries at run time (GTK loads
 * libX11; libXtst is asked for by name). */
typedef int (*FakeMotion)(Display *, int, int, int, unsigned long);
typedef int (*FakeButton)(Display *, unsigned int, Bool, unsigned long);
typedef Bool (*TranslateCoordinates)(Display *, Window, Window, int, int, int *, int *, Window *);
typedef int (*Sync)(Display *, Bool);
static struct {
	FakeMotion motion;
	FakeButton button;
	TranslateCoordinates translate;
	Sync sync;
} x11;

static bool load_xtest(void)
{
	void *xtst = dlopen("libXtst.so.6", RTLD_NOW);
	void *x = dlopen("libX11.so.6", RTLD_NOW);
	if (!xtst || !x) {
		fprintf(stderr, "libXtst.so.6 is missing (Debian package libxtst6)\n");
		return false;
	}
	x11.motion = (FakeMotion)dlsym(xtst, "XTestFakeMotionEvent");
	x11.button = (FakeButton)dlsym(xtst, "XTestFakeButtonEvent");
	x11.translate = (TranslateCoordinates)dlsym(x, "XTranslateCoordinates");
	x11.sync = (Sync)dlsym(x, "XSync");
	return x11.motion && x11.button && x11.translate && x11.sync;
}

/* Move the X pointer to (x, y) in the widget's coordinates. */
static void pointer_to(GtkWidget *widget, int x, int y)
{
	GtkNative *native = gtk_widget_get_native(widget);
	double wx, wy, sx, sy;
	assert_true(gtk_widget_translate_coordinates(widget, GTK_WIDGET(native), x, y, &wx, &wy));
	gtk_native_get_surface_transform(native, &sx, &sy);
	Display *dpy = gdk_x11_display_get_xdisplay(gtk_widget_get_display(widget));
	Window xid = gdk_x11_surface_get_xid(gtk_native_get_surface(native));
	int rx, ry;
	Window child;
	x11.translate(dpy, xid, DefaultRootWindow(dpy), (int)lround(wx + sx), (int)lround(wy + sy),
		      &rx, &ry, &child);
	x11.motion(dpy, -1, rx, ry, 0);
	x11.sync(dpy, False); /* the server has made the event: GDK reads it in pump */
	pump(40);
}

static void button(GtkWidget *widget, bool down)
{
	Display *dpy = gdk_x11_display_get_xdisplay(gtk_widget_get_display(widget));
	x11.button(dpy, 1, down, 0);
	x11.sync(dpy, False);
	pump(40);
}

typedef struct {
	int moved, released, reset;
	guint band, released_band, reset_band;
	double freq, gain;
} Events;

static void band_moved_cb(LatheSpectrumView *view, guint band, double freq, double gain,
			  gpointer data)
{
	(void)view;
	Events *e = data;
	e->moved++, e->band = band, e->freq = freq, e->gain = gain;
}

static void band_released_cb(LatheSpectrumView *view, guint band, gpointer data)
{
	(void)view;
	Events *e = data;
	e->released++, e->released_band = band;
}

static void band_reset_cb(LatheSpectrumView *view, guint band, gpointer data)
{
	(void)view;
	Events *e = data;
	e->reset++, e->reset_band = band;
}

static void test_spectrum_drag(void **state)
{
	(void)state;
	assert_true(load_xtest());
	enum { W = 640, H = 320, MARGIN = 100 };
	GtkWidget *view = lathe_spectrum_view_new();
	/* Room around the view so the pointer can go past its edges. */
	gtk_widget_set_margin_start(view, MARGIN);
	gtk_widget_set_margin_bottom(view, MARGIN);
	GtkWidget *window = show(view, W + MARGIN, H + MARGIN);
	assert_int_equal(gtk_widget_get_width(view), W);
	LatheSpectrumView *v = LATHE_SPECTRUM_VIEW(view);
	lathe_spectrum_view_set_band(v, 0, true, 1000.0, 0.0);
	lathe_spectrum_view_set_band(v, 1, true, 100.0, 3.0);
	Events e = { 0 };
	g_signal_connect(view, "band-moved", G_CALLBACK(band_moved_cb), &e);
	g_signal_connect(view, "band-released", G_CALLBACK(band_released_cb), &e);
	g_signal_connect(view, "band-reset", G_CALLBACK(band_reset_cb), &e);

	/* The documented mapping on the plot area (checked against the pixels
	 * in test_spectrum_eq_curve_height). */
	graphene_rect_t a;
	lathe_spectrum_view_get_plot_area(v, &a);
	double left = a.origin.x, top = a.origin.y, w = a.size.width, h = a.size.height;
#define X_OF(f) (left + w * log10((f) / 20.0) / 3.0)
#define F_OF(x) (20.0 * pow(10.0, 3.0 * ((x) - left) / w))
#define Y_OF(g) (top + h * (24.0 - (g)) / 48.0)
#define G_OF(y) (24.0 - ((y) - top) / h * 48.0)
	/* Grab band 1's handle (1 kHz, 0 dB) a pixel off its centre. */
	int x0 = (int)lround(X_OF(1000.0)) + 1, y0 = (int)lround(Y_OF(0.0)) - 1;
	double hx = X_OF(1000.0), hy = Y_OF(0.0);
	pointer_to(view, x0, y0);
	button(view, true);
	/* To 4 kHz, +6 dB, in steps (motion events); the handle moves by the
	 * pointer's offset, so the expected values are those of hx + dx. */
	int x1 = (int)lround(X_OF(4000.0)), y1 = (int)lround(Y_OF(6.0));
	for (int i = 1; i <= 4; i++)
		pointer_to(view, x0 + (x1 - x0) * i / 4, y0 + (y1 - y0) * i / 4);
	double want_f = F_OF(hx + (x1 - x0)), want_g = G_OF(hy + (y1 - y0));
	printf("  dragged to (%d, %d): band %u, %.1f Hz %+.2f dB after %d events; expected "
	       "%.1f Hz %+.2f dB\n", x1, y1, e.band, e.freq, e.gain, e.moved, want_f, want_g);
	assert_true(e.moved >= 2); /* continuous, not only at the end */
	assert_int_equal(e.band, 0);
	assert_true(fabs(e.freq / want_f - 1.0) <= 0.01);
	assert_true(fabs(e.gain - want_g) <= 0.01 * 36.0); /* 1 % of the gain range */
	assert_true(fabs(e.freq / 4000.0 - 1.0) <= 0.03);  /* and near where we aimed */
	assert_true(fabs(e.gain - 6.0) <= 0.5);
	assert_int_equal(e.released, 0);

	/* Past the bottom-left: clamped to the registry's minimum. */
	int id_f = lathe_param_find("/eq/1/freq"), id_g = lathe_param_find("/eq/1/gain");
	assert_true(id_f >= 0 && id_g >= 0);
	pointer_to(view, -MARGIN + 2, H + MARGIN - 2);
	printf("  past bottom left: %.2f Hz %+.2f dB (range %g..%g Hz, %g..%g dB)\n", e.freq,
	       e.gain, lathe_params[id_f].min, lathe_params[id_f].max, lathe_params[id_g].min,
	       lathe_params[id_g].max);
	assert_true(F_OF(hx + (-MARGIN + 2 - x0)) < lathe_params[id_f].min); /* really past */
	assert_float_equal(e.freq, lathe_params[id_f].min, 1e-6);
	assert_float_equal(e.gain, lathe_params[id_g].min, 1e-6);
	/* Past the top-right: the maximum. */
	pointer_to(view, W + 20, 0);
	printf("  past top right: %.2f Hz %+.2f dB\n", e.freq, e.gain);
	assert_float_equal(e.freq, lathe_params[id_f].max, 1e-3);
	assert_float_equal(e.gain, lathe_params[id_g].max, 1e-6);
	button(view, false);
	assert_int_equal(e.released, 1);
	assert_int_equal(e.released_band, 0);

	/* Off any handle: a drag there moves nothing. */
	int before = e.moved;
	pointer_to(view, (int)X_OF(300.0), (int)Y_OF(-12.0));
	button(view, true);
	pointer_to(view, (int)X_OF(600.0), (int)Y_OF(-6.0));
	button(view, false);
	assert_int_equal(e.moved, before);

	/* Double-click on band 2's handle: band-reset(1). */
	lathe_spectrum_view_set_band(v, 0, true, 1000.0, 0.0);
	pointer_to(view, (int)lround(X_OF(100.0)), (int)lround(Y_OF(3.0)));
	button(view, true);
	button(view, false);
	button(view, true);
	button(view, false);
	printf("  double-click: %d reset(s), band %u\n", e.reset, e.reset_band);
	assert_int_equal(e.reset, 1);
	assert_int_equal(e.reset_band, 1);
	destroy(window);
}

/* The EQ curve helper against the bands' own magnitudes. */
static void test_eq_curve_helper(void **state)
{
	(void)state;
	LatheSettings s;
	lathe_settings_default(&s);
	float curve[LATHE_SPECTRUM_POINTS];
	gint64 t0 = g_get_monotonic_time();
	lathe_spectrum_eq_curve(s.value, 48000.0, curve);
	printf("  one curve: %.2f ms\n", (g_get_monotonic_time() - t0) / 1e3);
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		assert_true(fabsf(curve[i]) < 0.01f); /* every band off: flat */

	/* Band 3, a stereo bell at 200 Hz, +6 dB: +6 at its centre. */
	int on = lathe_param_find("/eq/3/enable"), gain = lathe_param_find("/eq/3/gain");
	int freq = lathe_param_find("/eq/3/freq");
	s.value[on] = 1, s.value[gain] = 6, s.value[freq] = 200;
	lathe_spectrum_eq_curve(s.value, 48000.0, curve);
	int at = 0;
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++)
		if (fabs(log(lathe_meter_spectrum_freq(i) / 200.0)) <
		    fabs(log(lathe_meter_spectrum_freq(at) / 200.0)))
			at = i;
	printf("  stereo bell: %.2f dB at %.1f Hz\n", curve[at], lathe_meter_spectrum_freq(at));
	assert_true(fabs(curve[at] - 6.0) < 0.2);
	assert_true(fabsf(curve[0]) < 0.5f && fabsf(curve[LATHE_SPECTRUM_POINTS - 1]) < 0.5f);

	/* On the left only: the power average of +6 dB and 0 dB. */
	int channels = lathe_param_find("/eq/3/channels");
	s.value[channels] = LATHE_EQ_LEFT;
	lathe_spectrum_eq_curve(s.value, 48000.0, curve);
	double want = 10 * log10((pow(10, 0.6) + 1) / 2);
	printf("  left-only bell: %.2f dB, expected %.2f\n", curve[at], want);
	assert_true(fabs(curve[at] - want) < 0.2);

	/* The cost with every band on, for the window's budget. */
	for (int b = 1; b <= 8; b++) {
		char path[32];
		snprintf(path, sizeof path, "/eq/%d/enable", b);
		s.value[lathe_param_find(path)] = 1;
		snprintf(path, sizeof path, "/eq/%d/gain", b);
		s.value[lathe_param_find(path)] = 3;
	}
	t0 = g_get_monotonic_time();
	lathe_spectrum_eq_curve(s.value, 48000.0, curve);
	printf("  one curve, eight bands on: %.2f ms\n", (g_get_monotonic_time() - t0) / 1e3);
}

/* ---- LatheCache ---------------------------------------------------------------- */

/* A LatheCache draws its child again when, and only when, something in it
 * changed: not when a sibling does (the meters beside the controls, thirty
 * times a second), and not at every frame. What it shows is the child as
 * it is now. */
static void test_cache_redraws_only_on_change(void **state)
{
	(void)state;
	enum { W = 300, H = 60 };
	GtkWidget *inside = gtk_label_new("before");
	GtkWidget *beside = gtk_label_new("0");
	GtkWidget *cache = lathe_cache_new(inside);
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
	gtk_widget_set_hexpand(cache, TRUE);
	gtk_box_append(GTK_BOX(box), cache);
	gtk_box_append(GTK_BOX(box), beside);
	GtkWidget *window = show(box, W, H);
	pump(100);
	guint first = lathe_cache_renders(LATHE_CACHE(cache));
	assert_true(first >= 1);
	Image before = render(cache);

	/* Frames go on, and the label beside changes (a redraw, same size). */
	for (int i = 1; i <= 10; i++) {
		gtk_widget_queue_draw(beside);
		pump(20);
	}
	printf("  renders: %u after showing, %u after 10 frames of a sibling's redraws\n", first,
	       lathe_cache_renders(LATHE_CACHE(cache)));
	assert_int_equal(lathe_cache_renders(LATHE_CACHE(cache)), first);

	gtk_label_set_text(GTK_LABEL(inside), "after, longer");
	pump(100);
	guint changed = lathe_cache_renders(LATHE_CACHE(cache));
	printf("  renders after the child's text changed: %u\n", changed);
	assert_true(changed > first);
	Image after = render(cache);
	assert_int_equal(after.width, before.width);
	/* The new text is drawn: the pictures differ. */
	size_t differ = 0;
	for (int y = 0; y < after.height; y++)
		differ += memcmp(before.data + y * before.stride, after.data + y * after.stride,
				 (size_t)after.width * 4) != 0;
	assert_true(differ > 0);
	g_free(before.data);
	g_free(after.data);
	destroy(window);
}

/* ---- LatheHistoryView --------------------------------------------------------- */

static void test_history_target(void **state)
{
	(void)state;
	enum { W = 640, H = 200 };
	GtkWidget *view = lathe_history_view_new();
	GtkWidget *window = show(view, W, H);
	assert_int_equal(gtk_accessible_get_accessible_role(GTK_ACCESSIBLE(view)),
			 GTK_ACCESSIBLE_ROLE_IMG);
	LatheHistoryView *v = LATHE_HISTORY_VIEW(view);
	lathe_history_view_set_target(v, -23.0f);
	/* Two minutes at -18 LUFS (over the target's band), ten readings a
	 * second as the meter gives them. */
	for (int i = 0; i < 1200; i++)
		lathe_history_view_push(v, i / 10.0, -18.0f);
	Image im = render(view);

	/* The plot, scanned in a column left of the curve (the newest two
	 * minutes are the right fifth). */
	int x = W / 4, top, bottom;
	plot_rows(&im, x, &top, &bottom);
	assert_true(top > 0 && bottom > top + 60);
	double want = top + (0.0 - -23.0) / 48.0 * (bottom - top);
	double y = centroid_y(&im, x, top, bottom, &pal->ok, 30);
	printf("  plot rows %d..%d; target line at %.1f, -23 LUFS expected at %.1f\n", top,
	       bottom, y, want);
	assert_true(fabs(y - want) <= 1.5);
	/* The curve's fill is red-tinted where it is over the band, and only
	 * where there is a curve. */
	int right = W - 20, reddish = 0, reddish_left = 0;
	double curve_y = top + 18.0 / 48.0 * (bottom - top);
	for (int yy = (int)curve_y + 3; yy < (int)want - 8; yy++) {
		int rgb[3];
		rgb_at(&im, right, yy, rgb);
		reddish += rgb[0] > rgb[1] + 40;
		rgb_at(&im, x, yy, rgb);
		reddish_left += rgb[0] > rgb[1] + 40;
	}
	printf("  red-tinted rows under the curve: %d at the right, %d at the left\n", reddish,
	       reddish_left);
	assert_true(reddish > 0);
	assert_int_equal(reddish_left, 0);
	g_free(im.data);

	/* Clear: no curve at all. */
	lathe_history_view_clear(v);
	im = render(view);
	assert_int_equal(count_color(&im, &pal->history, 12), 0);
	g_free(im.data);
	destroy(window);
}

/* ---- all four together -------------------------------------------------------- */

/* A plausible master: pinkish spectrum, -3 dB/octave, with some shape. */
static void fake_spectrum(float out[LATHE_SPECTRUM_POINTS], double tilt, double level,
			  const float *eq)
{
	for (int i = 0; i < LATHE_SPECTRUM_POINTS; i++) {
		double f = lathe_meter_spectrum_freq(i);
		double db = level - tilt * log2(f / 1000.0) + 4.0 * sin(i * 0.21) +
			    2.0 * sin(i * 0.53 + 1.0) - (f < 40 ? 12.0 * log2(40.0 / f) : 0.0) -
			    (f > 16000 ? 30.0 * log2(f / 16000.0) : 0.0);
		out[i] = (float)(db + (eq ? eq[i] : 0.0));
	}
}

static void test_screenshot(void **state)
{
	(void)state;
	GtkWidget *grid = gtk_grid_new();
	gtk_grid_set_column_spacing(GTK_GRID(grid), 8);
	gtk_grid_set_row_spacing(GTK_GRID(grid), 8);
	GtkWidget *spectrum = lathe_spectrum_view_new();
	GtkWidget *history = lathe_history_view_new();
	GtkWidget *level = lathe_level_meter_new();
	GtkWidget *loudness = lathe_loudness_panel_new();
	gtk_widget_set_hexpand(spectrum, TRUE);
	gtk_widget_set_vexpand(spectrum, TRUE);
	gtk_grid_attach(GTK_GRID(grid), spectrum, 0, 0, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), history, 0, 1, 1, 1);
	gtk_grid_attach(GTK_GRID(grid), level, 1, 0, 1, 2);
	gtk_grid_attach(GTK_GRID(grid), loudness, 2, 0, 1, 2);
	gtk_widget_set_size_request(loudness, 360, -1);
	gtk_widget_set_size_request(level, 140, -1);
	GtkWidget *window = show(grid, 1280, 640);

	/* The EQ: a low shelf, a cut in the low mids, presence, air. */
	LatheSettings s;
	lathe_settings_default(&s);
	static const struct { int band; float freq, gain; bool on; } eq[] = {
		{ 1, 30, 0, true }, { 2, 90, 2.5f, true }, { 3, 280, -3.0f, true },
		{ 4, 700, 0, false }, { 5, 1500, 0, false }, { 6, 3200, 1.5f, true },
		{ 7, 11000, 2.0f, true }, { 8, 20000, 0, false },
	};
	for (size_t i = 0; i < sizeof eq / sizeof eq[0]; i++) {
		char path[32];
		snprintf(path, sizeof path, "/eq/%d/freq", eq[i].band);
		s.value[lathe_param_find(path)] = eq[i].freq;
		snprintf(path, sizeof path, "/eq/%d/gain", eq[i].band);
		s.value[lathe_param_find(path)] = eq[i].gain;
		snprintf(path, sizeof path, "/eq/%d/enable", eq[i].band);
		s.value[lathe_param_find(path)] = eq[i].on;
		lathe_spectrum_view_set_band(LATHE_SPECTRUM_VIEW(spectrum), eq[i].band - 1, eq[i].on,
					     eq[i].freq, eq[i].gain);
	}
	float curve[LATHE_SPECTRUM_POINTS], in[LATHE_SPECTRUM_POINTS], out[LATHE_SPECTRUM_POINTS];
	lathe_spectrum_eq_curve(s.value, 48000.0, curve);
	fake_spectrum(in, 3.0, -50.0, NULL);
	fake_spectrum(out, 3.0, -47.0, curve);
	LatheSpectrumView *sv = LATHE_SPECTRUM_VIEW(spectrum);
	lathe_spectrum_view_set_eq_curve(sv, curve);
	lathe_spectrum_view_set_spectrum(sv, 0, in);
	lathe_spectrum_view_set_spectrum(sv, 1, out);
	lathe_spectrum_view_set_spectrum_labels(sv, "input", "output");

	/* Nine minutes of a song: quiet intro, verses, louder choruses. */
	LatheHistoryView *hv = LATHE_HISTORY_VIEW(history);
	lathe_history_view_set_target(hv, -14.0f);
	for (int t = 0; t < 540; t++) {
		double st = t < 30 ? -24.0 + t * 0.3 : (t / 45) % 2 ? -12.8 : -15.5;
		st += 0.8 * sin(t * 0.37) + 0.4 * sin(t * 1.3);
		lathe_history_view_push(hv, t, (float)st);
	}

	LatheMeterReading r = loudness_reading(-14.2f, -1.3f, 0.72f);
	r.momentary = -12.6f, r.short_term = -13.4f, r.lra = 5.8f;
	r.true_peak[0] = -2.1f, r.true_peak[1] = -3.4f;
	r.true_peak_hold[0] = -1.3f, r.true_peak_hold[1] = -1.8f;
	r.sample_peak[0] = -2.6f, r.sample_peak[1] = -3.9f;
	r.sample_peak_hold[0] = -1.6f, r.sample_peak_hold[1] = -2.2f;
	r.plr = r.true_peak_max - r.integrated;
	lathe_level_meter_set_limit(LATHE_LEVEL_METER(level), -1.0f);
	lathe_level_meter_set_reading(LATHE_LEVEL_METER(level), &r);
	lathe_loudness_panel_set_target(LATHE_LOUDNESS_PANEL(loudness), -14.0f, -1.0f);
	lathe_loudness_panel_set_reading(LATHE_LOUDNESS_PANEL(loudness), &r);

	pump(100);
	GdkPaintable *paintable = gtk_widget_paintable_new(window);
	GtkSnapshot *snapshot = gtk_snapshot_new();
	gdk_paintable_snapshot(paintable, snapshot, 1280, 640);
	GskRenderNode *node = gtk_snapshot_free_to_node(snapshot);
	GdkTexture *texture = gsk_renderer_render_texture(
		gtk_native_get_renderer(GTK_NATIVE(window)), node,
		&GRAPHENE_RECT_INIT(0, 0, 1280, 640));
	assert_non_null(texture);
	const char *path = getenv("LATHE_SCREENSHOT");
	if (path && *path) {
		assert_true(gdk_texture_save_to_png(texture, path));
		printf("  saved %s\n", path);
	}
	g_object_unref(texture);
	gsk_render_node_unref(node);
	g_object_unref(paintable);
	destroy(window);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_level_meter_bars),
		cmocka_unit_test(test_level_meter_ballistics),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_loudness_panel_colours),
		cmocka_unit_test(test_spectrum_eq_curve_height),
		cmocka_unit_test(test_spectrum_drag),
		cmocka_unit_test(test_eq_curve_helper),
		cmocka_unit_test(test_history_target),
		cmocka_unit_test(test_cache_redraws_only_on_change),
		cmocka_unit_test(test_screenshot),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
