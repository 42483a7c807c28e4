/* lathe tests — the GTK console under a display of the test's own: Xvfb,
 * GTK's cairo renderer, the console on a private jackd dummy server, its
 * state asked over OSC, its screen read from the X server (xwd) and its
 * input simulated there (xdotool). Header-only, for tests/test_gui.c and
 * tests/test_a11y.c; include it after cmocka.h.
 *
 * Xvfb has no window manager, so the window sits at (0, 0) with GTK's own
 * header bar.
 */
#ifndef LATHE_TEST_GUI_RIG_H
#define LATHE_TEST_GUI_RIG_H

#include "osc_rig.h"

static int display;
static char display_env[32];
static int osc_port;

/* An X server of our own, on a display number no other run uses. */
static inline void xvfb_start(void)
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
static inline RigProc *lathe_gui_env(const char *extra_env)
{
	xvfb_start();
	rig_server_start(256, 2);
	osc_port = 21000 + getpid() % 4000;
	char port[16];
	snprintf(port, sizeof(port), "%d", osc_port);
	char *env[] = { display_env, "GSK_RENDERER=cairo", "GDK_BACKEND=x11", (char *)extra_env, NULL };
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

static inline uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The whole screen, from the X server (xwd's format: a big-endian header
 * of 32-bit fields, the window's name, the colour map, then the pixels, 3
 * or 4 bytes each at depth 24). */
static inline Shot screenshot(const char *name)
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
static inline void mean_rgb(const Shot *s, int x0, int y0, int w, int h, double rgb[3])
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

static inline void answer_cb(const OscMsg *m, void *user)
{
	Answer *a = user;
	if (strcmp(m->path, a->path) == 0 && m->n >= 1 && (m->types[0] == 'f' || m->types[0] == 'i')) {
		a->value = m->num[0];
		a->seen = true;
	}
}

/* The console's value of a path, asked over OSC. */
static inline double query(const char *path)
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

static inline void set(const char *path, const char *types, ...)
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
static inline void expect(const char *path, double want)
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

static inline void order_cb(const OscMsg *m, void *user)
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
static inline void expect_order(const char *want)
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

static inline void key(const char *keys)
{
	if (rig_sh(NULL, 0, "%s xdotool search --name '^lathe$' windowfocus --sync key %s", display_env,
		   keys) != 0)
		fail_msg("xdotool key %s failed", keys);
}


static inline RigProc *lathe_gui(void) { return lathe_gui_env(NULL); }

#endif
