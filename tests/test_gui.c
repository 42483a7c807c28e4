/* lathe tests — the GTK console, really run: `lathe` (not --headless)
 * under Xvfb with GTK's cairo renderer, on a private jackd dummy server.
 * What the window shows is read from the X server's own screenshots (xwd),
 * what the console's state is, over OSC from outside, and the user's input
 * is simulated by xdotool on the X server: nothing inside lathe is asked.
 *
 * Xvfb has no window manager, so the window sits at (0, 0) with GTK's own
 * header bar: the A/B button is its first widget, at the top left.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "osc_rig.h"

static int display;
static char display_env[32];
static int osc_port;

static int setup(void **state)
{
	(void)state;
	rig_require_jack_tools();
	rig_require("Xvfb", "xvfb");
	rig_require("xwd", "x11-apps");
	rig_require("xdotool", "xdotool");
	return rig_setup();
}

static int teardown(void **state)
{
	(void)state;
	return rig_teardown();
}

/* An X server of our own, on a display number no other run uses. */
static void xvfb_start(void)
{
	for (display = 90 + getpid() % 400;; display++) {
		char lock[64];
		snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", display);
		if (access(lock, F_OK) != 0)
			break;
	}
	char dpy[16], sock[64];
	snprintf(dpy, sizeof(dpy), ":%d", display);
	snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", display);
	char *argv[] = { "Xvfb", dpy, "-screen", "0", "1400x900x24", "-nolisten", "tcp", NULL };
	rig_spawn("Xvfb", "xvfb.log", false, argv);
	double end = rig_now() + 10.0;
	while (access(sock, F_OK) != 0) {
		if (rig_now() > end)
			fail_msg("Xvfb %s did not start within 10 s", dpy);
		rig_sleep(0.05);
	}
	snprintf(display_env, sizeof(display_env), "DISPLAY=%s", dpy);
}

/* The console with its window, on our server and display. */
static RigProc *lathe_gui(void)
{
	xvfb_start();
	rig_server_start(256, 2);
	osc_port = 21000 + getpid() % 4000;
	char port[16];
	snprintf(port, sizeof(port), "%d", osc_port);
	char *env[] = { display_env, "GSK_RENDERER=cairo", "GDK_BACKEND=x11", NULL };
	char *argv[] = { (char *)rig.lathe, "--server", rig.server, "--jack-name", "lathe", "--osc-port",
			 port, "--no-zeroconf", NULL };
	RigProc *p = rig_spawn_env("lathe", "lathe.log", true, env, argv);
	char *log;
	if (!rig_wait_log(p, 0, "lathe: JACK: client \"lathe\"", 10.0, &log))
		fail_msg("lathe did not reach the JACK server within 10 s%s:\n%s",
			 rig_alive(p) ? "" : " (it exited)", log);
	free(log);
	/* The window is mapped when xdotool finds it by its title. */
	double end = rig_now() + 10.0;
	char out[256];
	while (rig_sh(out, sizeof(out), "%s xdotool search --onlyvisible --name '^lathe$'",
		      display_env) != 0) {
		if (rig_now() > end || !rig_alive(p)) {
			char *text = rig_log(p);
			fail_msg("no lathe window on the display within 10 s%s:\n%s",
				 rig_alive(p) ? "" : " (it exited)", text);
		}
		rig_sleep(0.1);
	}
	return p;
}

/* ------------------------------------------------------------ screenshots */

typedef struct {
	int width, height;
	uint32_t *rgb; /* 0xRRGGBB */
} Shot;

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The whole screen, from the X server (xwd's format: a big-endian header
 * of 32-bit fields, the window's name, the colour map, then the pixels, 3
 * or 4 bytes each at depth 24). */
static Shot screenshot(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s", rig_path(name));
	if (rig_sh(NULL, 0, "%s xwd -root -silent > '%s'", display_env, path) != 0)
		fail_msg("xwd failed");
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	rewind(f);
	unsigned char *data = malloc((size_t)size);
	assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	uint32_t header = be32(data), width = be32(data + 16), height = be32(data + 20);
	uint32_t byte_order = be32(data + 28), bpp = be32(data + 44), line = be32(data + 48);
	uint32_t rmask = be32(data + 56), gmask = be32(data + 60), bmask = be32(data + 64);
	uint32_t ncolors = be32(data + 76);
	if ((bpp != 32 && bpp != 24) || rmask != 0xff0000 || gmask != 0xff00 || bmask != 0xff)
		fail_msg("xwd: %u bits per pixel, masks %x %x %x: not the 24-bit TrueColor of Xvfb "
			 "-screen 0 1400x900x24", bpp, rmask, gmask, bmask);
	const unsigned char *px = data + header + 12 * ncolors;
	if ((long)(header + 12 * ncolors + line * height) > size)
		fail_msg("xwd: a short file (%ld bytes)", size);
	Shot s = { (int)width, (int)height, malloc(sizeof(uint32_t) * width * height) };
	for (uint32_t y = 0; y < height; y++)
		for (uint32_t x = 0; x < width; x++) {
			/* 3 or 4 bytes a pixel, most or least significant first. */
			const unsigned char *p = px + y * line + bpp / 8 * x;
			int k = (int)bpp / 8;
			uint32_t v = 0;
			for (int b = 0; b < k; b++)
				v |= (uint32_t)p[byte_order ? b : k - 1 - b] << (8 * (k - 1 - b));
			s.rgb[y * width + x] = v & 0xffffff;
		}
	free(data);
	return s;
}

/* The mean colour of a rectangle. */
static void mean_rgb(const Shot *s, int x0, int y0, int w, int h, double rgb[3])
{
	rgb[0] = rgb[1] = rgb[2] = 0;
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++) {
			uint32_t v = s->rgb[y * s->width + x];
			rgb[0] += (v >> 16) & 0xff;
			rgb[1] += (v >> 8) & 0xff;
			rgb[2] += v & 0xff;
		}
	for (int c = 0; c < 3; c++)
		rgb[c] /= (double)w * h;
}

/* ------------------------------------------------------------------ OSC */

typedef struct {
	const char *path;
	double value;
	bool seen;
} Answer;

static void answer_cb(const OscMsg *m, void *user)
{
	Answer *a = user;
	if (strcmp(m->path, a->path) == 0 && m->n >= 1 && (m->types[0] == 'f' || m->types[0] == 'i')) {
		a->value = m->num[0];
		a->seen = true;
	}
}

/* The console's value of a path, asked over OSC. */
static double query(const char *path)
{
	int fd = udp_open(0);
	unsigned char buf[65536];
	size_t n = osc_msg(buf, sizeof(buf), path, "");
	udp_send(fd, osc_port, buf, n);
	Answer a = { path, 0, false };
	double end = rig_now() + 2.0;
	while (!a.seen && rig_now() < end) {
		int len = udp_recv(fd, end - rig_now(), buf, sizeof(buf));
		if (len > 0)
			osc_decode(buf, (size_t)len, answer_cb, &a);
	}
	close(fd);
	if (!a.seen)
		fail_msg("no reply to %s over OSC within 2 s", path);
	return a.value;
}

static void set(const char *path, const char *types, ...)
{
	int fd = udp_open(0);
	unsigned char buf[1024];
	va_list ap;
	va_start(ap, types);
	size_t n = osc_vmsg(buf, sizeof(buf), path, types, ap);
	va_end(ap);
	udp_send(fd, osc_port, buf, n);
	close(fd);
}

/* Wait until a path has a value (the window syncs at once; OSC answers at
 * once: 2 s is for a loaded machine). */
static void expect(const char *path, double want)
{
	double end = rig_now() + 2.0, v;
	while ((v = query(path)) != want && rig_now() < end)
		rig_sleep(0.05);
	if (v != want)
		fail_msg("%s is %g, not %g", path, v, want);
}


typedef struct {
	char order[256];
	bool seen;
} OrderAnswer;

static void order_cb(const OscMsg *m, void *user)
{
	OrderAnswer *a = user;
	if (strcmp(m->path, "/order") != 0)
		return;
	a->order[0] = '\0';
	for (int i = 0; i < m->n; i++) {
		strcat(a->order, m->str[i]);
		strcat(a->order, " ");
	}
	a->seen = true;
}

/* Wait until the selected chain's order begins with `want`. */
static void expect_order(const char *want)
{
	double end = rig_now() + 2.0;
	OrderAnswer a;
	do {
		int fd = udp_open(0);
		unsigned char buf[4096];
		size_t n = osc_msg(buf, sizeof(buf), "/order", "");
		udp_send(fd, osc_port, buf, n);
		a.seen = false;
		double until = rig_now() + 1.0;
		while (!a.seen && rig_now() < until) {
			int len = udp_recv(fd, until - rig_now(), buf, sizeof(buf));
			if (len > 0)
				osc_decode(buf, (size_t)len, order_cb, &a);
		}
		close(fd);
		if (a.seen && strncmp(a.order, want, strlen(want)) == 0)
			return;
		rig_sleep(0.05);
	} while (rig_now() < end);
	fail_msg("the order is '%s', not '%s...'", a.seen ? a.order : "(no reply)", want);
}

static void key(const char *keys)
{
	if (rig_sh(NULL, 0, "%s xdotool search --name '^lathe$' windowfocus --sync key %s", display_env,
		   keys) != 0)
		fail_msg("xdotool key %s failed", keys);
}

/* ---------------------------------------------------------------- tests */

/* It starts, shows its window, and the window is not blank: the dark
 * background, lit knob arcs, the blue A button and text give many
 * colours; a blank or black screen has one or two. */
static void test_window_shows(void **state)
{
	(void)state;
	RigProc *lathe = lathe_gui();
	rig_sleep(1.0);
	Shot s = screenshot("window.xwd");
	int distinct = 0;
	static uint8_t seen[1 << 21]; /* a bit per 24-bit colour */
	memset(seen, 0, sizeof(seen));
	long lit = 0;
	for (int i = 0; i < s.width * s.height; i++) {
		uint32_t v = s.rgb[i];
		if (!(seen[v >> 3] & (1 << (v & 7)))) {
			seen[v >> 3] |= (uint8_t)(1 << (v & 7));
			distinct++;
		}
		lit += v != 0;
	}
	print_message("window: %d distinct colours, %.0f %% of the screen drawn\n", distinct,
		      100.0 * lit / ((double)s.width * s.height));
	assert_true(distinct >= 50);
	/* The window's default size is 1280x800 of the 1400x900 screen. */
	assert_true(lit > 0.6 * s.width * s.height);
	free(s.rgb);
	assert_true(rig_alive(lathe));
}

/* Keys in the window change the engine's state, seen from outside over
 * OSC; undo and redo restore it. */
static void test_keys_and_undo(void **state)
{
	(void)state;
	lathe_gui();
	expect("/monitor/mono", 0);
	key("m");
	expect("/monitor/mono", 1);
	key("x");
	expect("/chain", 1);
	key("3");
	expect("/source", 2);
	key("ctrl+z");
	expect("/source", 1); /* the A/B toggle took the monitor along: b */
	key("ctrl+z");
	expect("/chain", 0);
	key("ctrl+z");
	expect("/monitor/mono", 0);
	key("ctrl+shift+z");
	expect("/monitor/mono", 1);
	/* A snapshot stored with Shift+F2 and recalled with F2. */
	set("/a/eq/3/gain", "f", 4.5);
	expect("/a/eq/3/gain", 4.5);
	key("shift+F2");
	expect("/snapshot/2/stored", 1);
	set("/a/eq/3/gain", "f", -2.0);
	expect("/a/eq/3/gain", -2.0);
	key("F2");
	expect("/a/eq/3/gain", 4.5);
	/* A recall is one undo step, the whole chain. */
	key("ctrl+z");
	expect("/a/eq/3/gain", -2.0);
}

/* A change made over OSC shows in the window: the A/B button is blue
 * for A and orange for B (the console's CSS: #2d6cdf, #d9822b). */
static void test_osc_change_shows(void **state)
{
	(void)state;
	lathe_gui();
	rig_sleep(0.5);
	double before[3], after[3];
	Shot s = screenshot("a.xwd");
	/* Inside the button, clear of its letter: its top-left quarter. */
	mean_rgb(&s, 14, 12, 20, 12, before);
	free(s.rgb);
	set("/chain", "s", "b");
	expect("/chain", 1);
	rig_sleep(0.3); /* two refreshes (33 ms) and a frame */
	s = screenshot("b.xwd");
	mean_rgb(&s, 14, 12, 20, 12, after);
	free(s.rgb);
	print_message("A/B button: A (%.0f, %.0f, %.0f), B (%.0f, %.0f, %.0f)\n", before[0], before[1],
		      before[2], after[0], after[1], after[2]);
	/* Blue, then orange: the dominant channel swaps. 30 of 255 is far
	 * beyond anti-aliasing and the mean over 240 pixels. */
	assert_true(before[2] > before[0] + 30);
	assert_true(after[0] > after[2] + 30);
}


/* The orange module names (#f29e33) along the row of panel titles: the
 * x of the middle of the k-th name from the left, found in the picture so
 * that fonts of another width do not move the test's aim. */
static int module_name_x(const Shot *s, int y0, int y1, int k)
{
	int found = 0, start = -1, gap = 0;
	for (int x = 0; x < s->width; x++) {
		bool orange = false;
		for (int y = y0; y < y1 && !orange; y++) {
			uint32_t v = s->rgb[y * s->width + x];
			int r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
			orange = r > 180 && g > 110 && g < 190 && b < 90;
		}
		if (orange) {
			if (start < 0)
				start = x;
			gap = 0;
		} else if (start >= 0 && ++gap > 12) {
			/* A name ends where 12 columns without orange begin. */
			if (found++ == k)
				return (start + x - gap) / 2;
			start = -1;
		}
	}
	return -1;
}

/* Reordering the chain through the interface changes the processing
 * order (seen over OSC): the EQ's name dragged by the mouse onto the
 * input's panel puts the EQ first; Ctrl+Z puts it back. */
static void test_reorder(void **state)
{
	(void)state;
	lathe_gui();
	rig_sleep(0.5);
	Shot s = screenshot("order.xwd");
	/* The panels' title row lies below the monitor row: 150..210 px. */
	int input_x = module_name_x(&s, 150, 210, 0), eq_x = module_name_x(&s, 150, 210, 1);
	free(s.rgb);
	print_message("module names at x = %d (input), %d (eq)\n", input_x, eq_x);
	if (input_x < 0 || eq_x < 0)
		fail_msg("the module names were not found in the screenshot");
	int y = 183;
	char cmd[1024];
	int n = snprintf(cmd, sizeof(cmd), "%s xdotool mousemove %d %d mousedown 1", display_env, eq_x, y);
	/* Small steps: GTK starts a drag after a few pixels of motion. */
	for (int k = 1; k <= 8; k++)
		n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " sleep 0.08 mousemove %d %d",
			      eq_x + (input_x - eq_x) * k / 8, y + 25 * k);
	snprintf(cmd + n, sizeof(cmd) - (size_t)n, " sleep 0.2 mouseup 1");
	if (rig_sh(NULL, 0, "%s", cmd) != 0)
		fail_msg("xdotool drag failed");
	expect_order("eq input comp");
	key("ctrl+z");
	expect_order("input eq comp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_window_shows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_and_undo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_osc_change_shows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reorder, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
