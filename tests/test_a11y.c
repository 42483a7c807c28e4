/* lathe tests — the GTK console as a screen reader sees it: the window's
 * accessibility tree read over AT-SPI (libatspi, the library Orca uses),
 * on a D-Bus session bus of the test's own (GTK starts the AT-SPI bus on
 * it). Every knob must be there under its registry label with its value in
 * what a screen reader reads, and follow a change made from elsewhere.
 */
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
