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

#include "gui_rig.h"

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
