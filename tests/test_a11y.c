/* lathe tests — the GTK console as a screen reader sees it: the window's
 * accessibility tree read over AT-SPI (libatspi, the library Orca uses),
 * on a D-Bus session bus of the test's own (GTK starts the AT-SPI bus on
 * it). Every knob must be there under its registry label with its value in
 * what a screen reader reads (its description, and AT-SPI's Value
 * interface, which can set it too), and follow a change made from
 * elsewhere; the spectrum says which signals it shows.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <atspi/atspi.h>

#include "gui_rig.h"
#include "params.h"

static char bus_env[400];

/* Under LeakSanitizer (make check-sanitize): libatspi keeps a few bytes
 * for the life of the process. The slow unwinder sees through GLib to it,
 * so only its allocations are excused. */
const char *__lsan_default_suppressions(void);
__attribute__((used)) const char *__lsan_default_suppressions(void)
{
	return "leak:libatspi.so\n";
}
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

static int setup(void **state)
{
	(void)state;
	rig_require_jack_tools();
	rig_require("Xvfb", "xvfb");
	rig_require("dbus-daemon", "dbus-daemon");
	if (access("/usr/libexec/at-spi-bus-launcher", X_OK) != 0)
		fail_msg("/usr/libexec/at-spi-bus-launcher is missing: apt-get install at-spi2-core "
			 "(or make deps)");
	return rig_setup();
}

static int teardown(void **state)
{
	(void)state;
	return rig_teardown();
}

/* A session bus of our own, for lathe and for us. libatspi reads the
 * address once, at atspi_init: one bus for the program. */
static void session_bus(void)
{
	char socket[300];
	snprintf(socket, sizeof(socket), "%s/bus", rig_path(""));
	char address[320];
	snprintf(address, sizeof(address), "--address=unix:path=%s", socket);
	char *argv[] = { "dbus-daemon", "--session", "--nofork", "--nopidfile", address, NULL };
	rig_spawn("dbus-daemon", "dbus.log", false, argv);
	double end = rig_now() + 5.0;
	while (access(socket, F_OK) != 0) {
		if (rig_now() > end)
			fail_msg("dbus-daemon did not open %s within 5 s", socket);
		rig_sleep(0.02);
	}
	snprintf(bus_env, sizeof(bus_env), "DBUS_SESSION_BUS_ADDRESS=unix:path=%s", socket);
	setenv("DBUS_SESSION_BUS_ADDRESS", bus_env + strlen("DBUS_SESSION_BUS_ADDRESS="), 1);
}

/* The console's application in the AT-SPI tree (named by its program
 * name, the application ID), within 10 s. */
static AtspiAccessible *find_app(void)
{
	double end = rig_now() + 10.0;
	while (rig_now() < end) {
		AtspiAccessible *desktop = atspi_get_desktop(0);
		int n = atspi_accessible_get_child_count(desktop, NULL);
		for (int i = 0; i < n; i++) {
			AtspiAccessible *app = atspi_accessible_get_child_at_index(desktop, i, NULL);
			char *name = app ? atspi_accessible_get_name(app, NULL) : NULL;
			bool ours = name && strcmp(name, "io.github.lathe.Lathe") == 0;
			g_free(name);
			if (ours) {
				g_object_unref(desktop);
				return app;
			}
			if (app)
				g_object_unref(app);
		}
		g_object_unref(desktop);
		rig_sleep(0.2);
	}
	fail_msg("the console did not appear in the AT-SPI tree within 10 s");
	return NULL;
}

typedef struct {
	char name[96];
	char description[256];
} Slider;

/* Every slider under an accessible, depth first. */
static void sliders(AtspiAccessible *a, Slider *out, int *count, int max)
{
	if (atspi_accessible_get_role(a, NULL) == ATSPI_ROLE_SLIDER && *count < max) {
		char *name = atspi_accessible_get_name(a, NULL);
		char *description = atspi_accessible_get_description(a, NULL);
		snprintf(out[*count].name, sizeof(out[0].name), "%s", name ? name : "");
		snprintf(out[*count].description, sizeof(out[0].description), "%s",
			 description ? description : "");
		(*count)++;
		g_free(name);
		g_free(description);
	}
	int n = atspi_accessible_get_child_count(a, NULL);
	for (int i = 0; i < n; i++) {
		AtspiAccessible *c = atspi_accessible_get_child_at_index(a, i, NULL);
		if (c) {
			sliders(c, out, count, max);
			g_object_unref(c);
		}
	}
}

/* The first accessible under a with this role whose name begins with
 * prefix (a new reference), or NULL. */
static AtspiAccessible *find(AtspiAccessible *a, AtspiRole role, const char *prefix)
{
	char *name = atspi_accessible_get_role(a, NULL) == role ? atspi_accessible_get_name(a, NULL)
								  : NULL;
	bool match = name && strncmp(name, prefix, strlen(prefix)) == 0;
	g_free(name);
	if (match)
		return g_object_ref(a);
	int n = atspi_accessible_get_child_count(a, NULL);
	for (int i = 0; i < n; i++) {
		AtspiAccessible *c = atspi_accessible_get_child_at_index(a, i, NULL);
		AtspiAccessible *found = c ? find(c, role, prefix) : NULL;
		if (c)
			g_object_unref(c);
		if (found)
			return found;
	}
	return NULL;
}

static const Slider *slider_named(const Slider *s, int count, const char *name)
{
	for (int i = 0; i < count; i++)
		if (strcmp(s[i].name, name) == 0)
			return &s[i];
	return NULL;
}

/* Every knob of the window (the continuous parameters of the chain, and
 * the monitor and dim levels) is a slider labelled as in the registry,
 * whose description begins with its value and unit; a change over OSC is
 * in the description at once. */
static void test_knobs_read_aloud(void **state)
{
	(void)state;
	session_bus();
	lathe_gui_env(bus_env);
	assert_int_equal(atspi_init() >= 0, 1);
	AtspiAccessible *app = find_app();
	static Slider found[400];
	int count = 0;
	sliders(app, found, &count, 400);
	int want = 2, missing = 0;
	for (int id = 0; id < LATHE_CHAIN_PARAM_COUNT; id++) {
		const LatheParam *p = &lathe_params[id];
		if (p->taper == LATHE_TAPER_TOGGLE || p->taper == LATHE_TAPER_ENUM)
			continue;
		want++;
		if (!slider_named(found, count, p->label)) {
			if (missing++ < 5)
				print_message("no slider labelled '%s' (%s)\n", p->label, p->path);
		}
	}
	print_message("%d sliders read over AT-SPI; %d knobs in the window\n", count, want);
	assert_int_equal(missing, 0);
	assert_true(count >= want);
	const Slider *level = slider_named(found, count, "Monitor level");
	assert_non_null(level);
	print_message("'%s': '%s'\n", level->name, level->description);
	assert_true(strncmp(level->description, "0 dB. ", 6) == 0);

	set("/monitor/level", "f", -6.5);
	expect("/monitor/level", -6.5);
	double end = rig_now() + 2.0;
	bool seen = false;
	while (!seen && rig_now() < end) {
		rig_sleep(0.1);
		count = 0;
		sliders(app, found, &count, 400);
		level = slider_named(found, count, "Monitor level");
		seen = level && strncmp(level->description, "-6.5 dB. ", 9) == 0;
	}
	if (!seen)
		fail_msg("after /monitor/level -6.5 over OSC the slider reads '%s'",
			 level ? level->description : "(gone)");

	/* Its value, as a number, through AT-SPI's Value interface (what Orca
	 * reads and sets): the range is the registry's, the value follows OSC,
	 * and a value set there reaches the engine's state. */
	AtspiAccessible *knob = find(app, ATSPI_ROLE_SLIDER, "Monitor level");
	assert_non_null(knob);
	AtspiValue *value = atspi_accessible_get_value_iface(knob);
	if (!value)
		fail_msg("the knob 'Monitor level' has no AT-SPI Value interface");
	const LatheParam *p = &lathe_params[lathe_param_find("/monitor/level")];
	assert_float_equal(atspi_value_get_minimum_value(value, NULL), p->min, 1e-6);
	assert_float_equal(atspi_value_get_maximum_value(value, NULL), p->max, 1e-6);
	assert_float_equal(atspi_value_get_current_value(value, NULL), -6.5, 1e-6);
	assert_true(atspi_value_set_current_value(value, -12.0, NULL));
	expect("/monitor/level", -12.0);
	print_message("'Monitor level' over AT-SPI: %g to %g, set to -12, OSC reads %g\n",
		      atspi_value_get_minimum_value(value, NULL),
		      atspi_value_get_maximum_value(value, NULL), query("/monitor/level"));

	/* The knob under the mouse, found where AT-SPI says it is (window
	 * coordinates: the window is at the screen's origin under Xvfb): a
	 * drag of 50 px up moves it a quarter of its travel (200 px for the
	 * whole), with Shift a fortieth (ten times finer). One pixel of error
	 * is 0.005 of the travel. */
	AtspiComponent *box = atspi_accessible_get_component_iface(knob);
	assert_non_null(box);
	AtspiRect *r = atspi_component_get_extents(box, ATSPI_COORD_TYPE_WINDOW, NULL);
	assert_non_null(r);
	int x = r->x + r->width / 2, y = r->y + r->height / 2;
	print_message("'Monitor level' at %d,%d (%dx%d)\n", r->x, r->y, r->width, r->height);
	g_free(r);
	g_object_unref(box);
	const struct { const char *modifier; double travel; } drags[2] = {
		{ "", 0.25 }, { "keydown shift ", 0.025 },
	};
	for (int k = 0; k < 2; k++) {
		double before = query("/monitor/level");
		double want = lathe_param_from_norm(p, (float)(lathe_param_to_norm(p, (float)before) +
							     drags[k].travel));
		/* In steps, as a hand moves. */
		if (rig_sh(NULL, 0, "%s xdotool mousemove %d %d %smousedown 1 sleep 0.05 mousemove %d %d "
			   "sleep 0.05 mousemove %d %d sleep 0.05 mouseup 1%s", display_env, x, y,
			   drags[k].modifier, x, y - 25, x, y - 50, k ? " keyup shift" : "") != 0)
			fail_msg("xdotool drag failed");
		double end = rig_now() + 2.0, got = before;
		while (fabs(got - want) > 1e-3 && rig_now() < end) {
			rig_sleep(0.05);
			got = query("/monitor/level");
		}
		print_message("drag 50 px up%s: %g -> %g dB (want %g)\n", k ? " with Shift" : "",
			      before, got, want);
		double slack = lathe_param_from_norm(p, (float)(lathe_param_to_norm(p, (float)want) + 0.005)) - want;
		assert_true(fabs(got - want) <= fabs(slack) + 1e-4);
	}
	g_object_unref(value);
	g_object_unref(knob);

	/* The loudness match's gain is read beside its switch: what it would
	 * apply while off, what it applies once on. Pink noise in, chain A
	 * 6 dB louder than its input (its trim, a pure gain), the input heard:
	 * the match lifts the input 6 dB (within 0.2 dB: the match measures
	 * 3 s windows of noise). */
	AtspiAccessible *match = find(app, ATSPI_ROLE_LABEL, "Loudness match would apply: ");
	if (!match)
		fail_msg("no label 'Loudness match would apply: ...' beside the match switch");
	g_object_unref(match);
	set("/oscillator/mode", "s", "pink");
	set("/a/input/enable", "i", 1);
	set("/a/input/trim", "f", 6.0);
	set("/monitor/match", "i", 1);
	set("/source", "s", "input");
	expect("/source", 2);
	end = rig_now() + 8.0;
	char *said = NULL;
	double gain = NAN;
	while (rig_now() < end) {
		match = find(app, ATSPI_ROLE_LABEL, "Loudness match applies: ");
		g_free(said);
		said = match ? atspi_accessible_get_name(match, NULL) : NULL;
		if (match)
			g_object_unref(match);
		if (said && sscanf(said, "Loudness match applies: %lf dB", &gain) == 1 &&
		    fabs(gain - 6.0) <= 0.2)
			break;
		rig_sleep(0.2);
	}
	print_message("beside the match switch: '%s'\n", said ? said : "(nothing)");
	if (!(fabs(gain - 6.0) <= 0.2))
		fail_msg("with the match on, the input heard and A 6 dB up, the switch's label "
			 "reads '%s', not +6.0 dB", said ? said : "(nothing)");
	g_free(said);
	set("/oscillator/mode", "s", "off");

	/* The spectrum says what it shows, and Shift+X changes it. */
	AtspiAccessible *spectrum = find(app, ATSPI_ROLE_IMAGE, "Spectrum of input");
	if (!spectrum)
		fail_msg("no image named 'Spectrum of input...'");
	g_object_unref(spectrum);
	key("shift+x");
	end = rig_now() + 2.0;
	while (!(spectrum = find(app, ATSPI_ROLE_IMAGE, "Spectrum of A (filled) and B")) &&
	       rig_now() < end)
		rig_sleep(0.1);
	if (!spectrum)
		fail_msg("after Shift+X no image is named 'Spectrum of A (filled) and B...'");
	g_object_unref(spectrum);
	g_object_unref(app);
	atspi_exit();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_knobs_read_aloud, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
