/* lathe — the Zeroconf advertisement (osc/zeroconf.c) against a real Avahi
 * daemon, and without one.
 *
 * The module runs in this process, on the default GLib main context that
 * the tests iterate; what it publishes is checked from outside with
 * avahi-browse, as a control surface's host would see it.
 *
 * Nothing here touches the machine's own D-Bus or Avahi:
 *  - a private D-Bus bus: dbus-daemon with a config file the test writes.
 *    libdbus takes $DBUS_SYSTEM_BUS_ADDRESS as the system bus, in
 *    avahi-daemon, in avahi-browse and in this process (avahi-client reads
 *    it too); the test sets it to the private bus's socket. libdbus reads
 *    it once per process, at the first connection, and keeps it: so the
 *    socket has one path for the whole program (in a directory of its
 *    own), each test starting its own bus there (or, for the tests without
 *    one, leaving a dead socket).
 *  - a private avahi-daemon (--no-drop-root --no-chroot --no-rlimits -f
 *    CONFIG, config written by the test) in a network namespace the test
 *    makes (ip netns add), holding a veth pair, both ends inside, the
 *    daemon on one end (lzc0, 10.77.0.1). Avahi 0.8 would take loopback as
 *    well (tried: lo alone in a namespace works), but a veth is a link to
 *    which a second machine can be attached: one test moves the far end
 *    (lzc1) into a second namespace with its own bus and daemon, to collide
 *    with it on the network. mDNS packets a daemon sends come back to it
 *    (multicast loopback), so it sees its own services as a browser on the
 *    network would. Nothing leaves the namespaces.
 *    avahi-daemon writes its pid file and a socket in /run/avahi-daemon,
 *    where a system daemon keeps its own (a second daemon would refuse to
 *    start, or replace the socket): it runs in a mount namespace of its own
 *    (unshare --mount) with a tmpfs over /run. That also hides the system
 *    bus's socket from it.
 *  - avahi-browse runs in lathe's namespace too, on the private bus.
 * Teardown stops the processes (by the pids kept), deletes the namespaces
 * (the veth pair goes with them) and the directories, even after a failed
 * assertion. A test process killed outright leaves them: `ip netns list`
 * shows lathe-zc-PID-N namespaces, `ip netns pids` their daemons.
 *
 * Needs root (network and mount namespaces), iproute2, dbus-daemon,
 * avahi-daemon and avahi-utils (avahi-browse, avahi-publish); anything
 * missing fails the test with the package to install. About 40 s, most of
 * it waiting: Avahi probes a name for about 0.8 s, avahi-browse listens for
 * 1 s, and two tests wait through the module's 5 s retry.
 *
 * LATHE_TEST_ONLY=GLOB runs only the tests whose names match;
 * LATHE_KEEP_TEST_DIR=1 keeps each test's directory (configs, logs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "jack_rig.h"
#include "zeroconf.h"

#define NAME "lathe on zeroconf-test"
#define PORT 7771
/* What the module says when the service is established. */
#define ADVERTISED(name) "lathe: OSC advertised as _osc._udp \"" name "\"\n"

/* ---- the test's world ------------------------------------------------------------ */

/* The directory of the bus's socket, for the whole program. */
static char bus_dir[64];

static struct {
	char netns[64];   /* lathe's namespace (made: netns_made) */
	char peer_netns[64]; /* another machine's (made: peer_made) */
	char bus[320];    /* the private bus's socket: bus_dir/bus */
	RigProc *dbus;    /* dbus-daemon */
	RigProc *avahi;   /* avahi-daemon (restartable) */
	int avahi_starts; /* for log names */
	int saved_stderr; /* fd 2 while it is redirected, or -1 */
	char capture[320];
	LatheZeroconf *z[2];
} w;

/* Every line of stderr while the module runs: what it prints, and anything
 * avahi-client or libdbus would print. Failures are never raised inside a
 * capture (their message would go to the file); teardown shows what a
 * capture interrupted by a failure had caught. */
static void capture_begin(void)
{
	fflush(stderr);
	snprintf(w.capture, sizeof(w.capture), "%s", rig_path("stderr.txt"));
	int fd = open(w.capture, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	w.saved_stderr = dup(2);
	if (fd < 0 || w.saved_stderr < 0)
		fail_msg("cannot redirect stderr: %s", strerror(errno));
	dup2(fd, 2);
	close(fd);
}

/* Stop capturing; what was written (malloc'ed). */
static char *capture_end(void)
{
	if (w.saved_stderr < 0)
		return strdup("");
	fflush(stderr);
	dup2(w.saved_stderr, 2);
	close(w.saved_stderr);
	w.saved_stderr = -1;
	return rig_slurp(w.capture);
}

static int setup(void **state)
{
	(void)state;
	static int count;
	signal(SIGPIPE, SIG_IGN);
	memset(&rig, 0, sizeof(rig));
	memset(&w, 0, sizeof(w));
	w.saved_stderr = -1;
	snprintf(rig.dir, sizeof(rig.dir), "/tmp/lathe-zeroconf-XXXXXX");
	if (!mkdtemp(rig.dir))
		return -1;
	snprintf(w.bus, sizeof(w.bus), "%s/bus", bus_dir);
	unlink(w.bus); /* the last test's bus or dead socket */
	/* The name tells whose it is if a killed run leaves it. */
	count++;
	snprintf(w.netns, sizeof(w.netns), "lathe-zc-%d-%d", (int)getpid(), count);
	snprintf(w.peer_netns, sizeof(w.peer_netns), "lathe-zc-%d-%d-peer", (int)getpid(), count);
	return 0;
}

/* The bus's directory and address, before anything connects (see the top
 * of the file). */
static int group_setup(void **state)
{
	(void)state;
	snprintf(bus_dir, sizeof(bus_dir), "/tmp/lathe-zeroconf-bus-XXXXXX");
	if (!mkdtemp(bus_dir))
		return -1;
	char addr[128];
	snprintf(addr, sizeof(addr), "unix:path=%s/bus", bus_dir);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", addr, 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bus_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static bool netns_made, peer_made;

static void netns_del(const char *ns, int *status)
{
	char out[1024];
	if (rig_sh(out, sizeof(out), "ip netns del %s", ns) != 0) {
		fprintf(stderr, "teardown: ip netns del %s failed: %s\n", ns, out);
		*status = -1;
	}
}

static int teardown(void **state)
{
	(void)state;
	int status = 0;
	char *caught = capture_end();
	if (*caught)
		fprintf(stderr, "stderr while the module ran:\n%s", caught);
	free(caught);
	/* The module first: it withdraws from a daemon still there. */
	for (int i = 0; i < 2; i++)
		lathe_zeroconf_free(w.z[i]);
	/* Then the processes, last started first: avahi-publish and
	 * avahi-daemon before their bus. */
	for (int i = rig.nprocs - 1; i >= 0; i--) {
		rig_stop(&rig.procs[i]);
		if (rig.procs[i].in_fd >= 0)
			close(rig.procs[i].in_fd);
	}
	/* Then the namespaces, with nothing left in them (the veth pair goes
	 * with the last). */
	if (peer_made)
		netns_del(w.peer_netns, &status);
	if (netns_made)
		netns_del(w.netns, &status);
	peer_made = netns_made = false;
	if (getenv("LATHE_KEEP_TEST_DIR")) {
		fprintf(stderr, "kept %s\n", rig.dir);
		return status;
	}
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", rig.dir);
	return system(cmd) == 0 ? status : -1;
}

/* Root, and the tools, or a clear failure (make deps installs them). */
static void require_tools(void)
{
	if (geteuid() != 0)
		fail_msg("this test needs root: it makes a network namespace (ip netns add) and "
			 "a mount namespace for a private avahi-daemon");
	rig_require("ip", "iproute2");
	rig_require("unshare", "util-linux");
	rig_require("dbus-daemon", "dbus-daemon");
	rig_require("avahi-daemon", "avahi-daemon");
	rig_require("avahi-browse", "avahi-utils");
	rig_require("avahi-publish", "avahi-utils");
}

/* ---- the private buses ------------------------------------------------------------ */

/* dbus-daemon on the socket `path`, everyone allowed everything (it is ours
 * alone); `tag` names its files. Waits until it listens. */
static RigProc *start_bus_at(const char *path, const char *tag)
{
	char conf[2048], conf_name[64], log_name[64];
	snprintf(conf, sizeof(conf),
		 "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
		 " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
		 "<busconfig>\n"
		 "  <listen>unix:path=%s</listen>\n"
		 "  <auth>EXTERNAL</auth>\n"
		 "  <policy context=\"default\">\n"
		 "    <allow user=\"*\"/>\n"
		 "    <allow own=\"*\"/>\n"
		 "    <allow send_destination=\"*\"/>\n"
		 "    <allow receive_sender=\"*\"/>\n"
		 "  </policy>\n"
		 "</busconfig>\n",
		 path);
	snprintf(conf_name, sizeof(conf_name), "%s-bus.conf", tag);
	snprintf(log_name, sizeof(log_name), "%s-dbus.log", tag);
	rig_write_text(conf_name, conf);
	unlink(path); /* the dead socket of a test that started without a bus */
	char *argv[] = { "dbus-daemon", "--nofork", "--print-address",
			 "--config-file", (char *)rig_path(conf_name), NULL };
	RigProc *p = rig_spawn("dbus-daemon", log_name, false, argv);
	char *log;
	/* It prints its address once it listens. */
	if (!rig_wait_log(p, 0, "unix:path=", 5.0, &log))
		fail_msg("dbus-daemon (%s) did not come up within 5 s%s; its output:\n%s", tag,
			 rig_alive(p) ? "" : " (it exited)", log);
	free(log);
	return p;
}

/* The bus of this process: at $DBUS_SYSTEM_BUS_ADDRESS. */
static void start_bus(void)
{
	w.dbus = start_bus_at(w.bus, "lathe");
}

/* ---- the namespaces and the daemons ---------------------------------------------------- */

/* The namespace with veth pair lzc0 (10.77.0.1) - lzc1 (10.77.0.2), both
 * inside and up. Interface names are the namespace's own, so they cannot
 * clash with the machine's or another run's. */
static void make_netns(void)
{
	char out[1024];
	if (rig_sh(out, sizeof(out), "ip netns add %s", w.netns) != 0)
		fail_msg("ip netns add %s failed: %s", w.netns, out);
	netns_made = true;
	const char *steps[] = {
		"link add lzc0 type veth peer name lzc1",
		"addr add 10.77.0.1/24 dev lzc0",
		"addr add 10.77.0.2/24 dev lzc1",
		"link set lzc0 up",
		"link set lzc1 up",
		"link set lo up",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		if (rig_sh(out, sizeof(out), "ip -n %s %s", w.netns, steps[i]) != 0)
			fail_msg("ip -n %s %s failed: %s", w.netns, steps[i], out);
}

/* A second machine on the link: a namespace of its own, given lzc1 (the
 * far end of lathe's link). */
static void make_peer_netns(void)
{
	char out[1024];
	if (rig_sh(out, sizeof(out), "ip netns add %s", w.peer_netns) != 0)
		fail_msg("ip netns add %s failed: %s", w.peer_netns, out);
	peer_made = true;
	if (rig_sh(out, sizeof(out), "ip -n %s link set lzc1 netns %s", w.netns, w.peer_netns) != 0)
		fail_msg("cannot move lzc1 to %s: %s", w.peer_netns, out);
	const char *steps[] = {
		"addr add 10.77.0.2/24 dev lzc1", /* moving it dropped its address */
		"link set lzc1 up",
		"link set lo up",
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); i++)
		if (rig_sh(out, sizeof(out), "ip -n %s %s", w.peer_netns, steps[i]) != 0)
			fail_msg("ip -n %s %s failed: %s", w.peer_netns, steps[i], out);
}

/* The argv that runs a command in the namespace `ns`, in a mount namespace
 * of its own with a tmpfs over /run (see the top of the file): copied into
 * argv, the command's words after it; NULL-terminated. */
static void in_netns(const char *ns, char **argv, char *const cmd[])
{
	int n = 0;
	argv[n++] = "ip";
	argv[n++] = "netns";
	argv[n++] = "exec";
	argv[n++] = (char *)ns;
	argv[n++] = "unshare";
	argv[n++] = "--mount";
	argv[n++] = "--propagation";
	argv[n++] = "private";
	argv[n++] = "sh";
	argv[n++] = "-c";
	argv[n++] = "mount -t tmpfs lathe-test /run && exec \"$0\" \"$@\"";
	for (int i = 0; cmd[i]; i++)
		argv[n++] = cmd[i];
	argv[n] = NULL;
}

/* avahi-daemon as host `host` on interface `iface` of namespace `ns`, on
 * the bus that env names (NULL: this process's); its config and log named
 * after `tag`. Waits until it has started. */
static RigProc *spawn_avahi(const char *ns, const char *host, const char *iface, const char *tag,
			    char *const env[])
{
	/* One interface: lzc1, when it is in the same namespace, would be a
	 * second interface to the same link, announcing everything twice. No
	 * IPv6: the veth's link-local address is tentative for a second or
	 * two after it comes up, and IPv4 alone shows what the module
	 * publishes. No workstation or hinfo records, no wide area: nothing
	 * but what the test looks at. */
	char conf[1024], conf_name[64], log_name[64];
	snprintf(conf, sizeof(conf),
		 "[server]\n"
		 "host-name=%s\n"
		 "use-ipv4=yes\n"
		 "use-ipv6=no\n"
		 "allow-interfaces=%s\n"
		 "enable-dbus=yes\n"
		 "ratelimit-interval-usec=1000000\n"
		 "ratelimit-burst=1000\n"
		 "[wide-area]\n"
		 "enable-wide-area=no\n"
		 "[publish]\n"
		 "publish-hinfo=no\n"
		 "publish-workstation=no\n"
		 "publish-addresses=yes\n",
		 host, iface);
	snprintf(conf_name, sizeof(conf_name), "%s-avahi.conf", tag);
	rig_write_text(conf_name, conf);
	char *cmd[] = { "avahi-daemon", "--no-drop-root", "--no-chroot", "--no-rlimits",
			"--no-proc-title", "-f", (char *)rig_path(conf_name), NULL };
	char *argv[32];
	in_netns(ns, argv, cmd);
	snprintf(log_name, sizeof(log_name), "%s-avahi-%d.log", tag, ++w.avahi_starts);
	RigProc *p = rig_spawn_env("avahi-daemon", log_name, false, env, argv);
	char *text;
	/* It has probed its host name (about 1 s) and owns its bus name. */
	if (!rig_wait_log(p, 0, "Server startup complete", 10.0, &text))
		fail_msg("avahi-daemon (%s) did not start within 10 s%s; its output:\n%s", tag,
			 rig_alive(p) ? "" : " (it exited)", text);
	free(text);
	return p;
}

/* lathe's daemon: on this process's bus, in lathe's namespace (made at the
 * first call). */
static void start_avahi(void)
{
	if (!netns_made)
		make_netns();
	w.avahi = spawn_avahi(w.netns, "lathe-test", "lzc0", "lathe", NULL);
}

static void stop_avahi(void)
{
	rig_stop(w.avahi);
	if (w.avahi->pid != 0 || !WIFEXITED(w.avahi->status))
		fail_msg("avahi-daemon did not exit on SIGTERM (status 0x%x)", w.avahi->status);
}

/* ---- the main loop ------------------------------------------------------------------- */

static gboolean tick_cb(void *data)
{
	(void)data;
	return G_SOURCE_CONTINUE;
}

/* Iterate the default context until done(arg) or `seconds` have passed;
 * whether done. A 10 ms timer keeps the iterations coming. */
static bool iterate_until(bool (*done)(void *), void *arg, double seconds)
{
	guint tick = g_timeout_add(10, tick_cb, NULL);
	double end = rig_now() + seconds;
	bool ok;
	while (!(ok = done && done(arg)) && rig_now() < end)
		g_main_context_iteration(NULL, TRUE);
	g_source_remove(tick);
	return ok;
}

static bool is_established(void *z)
{
	return lathe_zeroconf_established(z);
}

static bool is_not_established(void *z)
{
	return !lathe_zeroconf_established(z);
}

/* ---- avahi-browse ------------------------------------------------------------------ */

/* A name as avahi-browse -p prints it back to what it is: "\032" is the
 * byte 32 (decimal), "\." a dot, "\\" a backslash. */
static void unescape(const char *in, char *out, size_t size)
{
	size_t n = 0;
	while (*in && n + 1 < size) {
		if (in[0] == '\\' && g_ascii_isdigit(in[1]) && g_ascii_isdigit(in[2]) &&
		    g_ascii_isdigit(in[3])) {
			out[n++] = (char)((in[1] - '0') * 100 + (in[2] - '0') * 10 + (in[3] - '0'));
			in += 4;
		} else if (in[0] == '\\' && in[1]) {
			out[n++] = in[1];
			in += 2;
		} else
			out[n++] = *in++;
	}
	out[n] = '\0';
}

/* One run of `avahi-browse -rpt _osc._udp` in the namespace: the port the
 * service `name` resolves to, 0 if it is not there (never seen, or its
 * last event is a removal: a run that starts while the cache still holds a
 * withdrawn service reports it, then its removal). Fails the test if
 * avahi-browse does. *out: its output (static). */
static int browse_port(const char *name, const char **out)
{
	static char text[16384];
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s avahi-browse --resolve --parsable --terminate "
		 "--no-db-lookup _osc._udp",
		 w.netns);
	int rc = rig_sh(text, sizeof(text), "%s", cmd);
	if (out)
		*out = text;
	if (rc != 0)
		fail_msg("%s failed (status %d): %s", cmd, rc, text);
	/* Lines: "+;IF;PROTO;NAME;TYPE;DOMAIN" (found), "-;..." (removed),
	 * "=;IF;PROTO;NAME;TYPE;DOMAIN;HOST;ADDRESS;PORT;TXT" (resolved). */
	char copy[16384];
	snprintf(copy, sizeof(copy), "%s", text);
	int port = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **f = g_strsplit(line, ";", 10);
		guint nf = g_strv_length(f);
		char got[256];
		if (nf >= 6 && strcmp(f[4], "_osc._udp") == 0) {
			unescape(f[3], got, sizeof(got));
			if (strcmp(got, name) == 0) {
				if (f[0][0] == '-')
					port = 0;
				else if (f[0][0] == '=' && nf >= 9)
					port = atoi(f[8]);
				else if (f[0][0] == '+' && port == 0)
					port = -1; /* found, not resolved yet */
			}
		}
		g_strfreev(f);
	}
	return port;
}

/* Browse until `name` resolves to `port` (port 0: until it is gone), up to
 * `seconds`; fail with the last output if it does not. Each run waits for
 * answers (about 1 s). */
static void assert_browsed(const char *name, int port, double seconds)
{
	double end = rig_now() + seconds;
	const char *out;
	int got;
	while ((got = browse_port(name, &out)) != port) {
		if (rig_now() > end) {
			if (port)
				fail_msg("avahi-browse does not show \"%s\" on port %d within %g s "
					 "(%s); its last output:\n%s", name, port, seconds,
					 got == 0 ? "not listed" : got < 0 ? "listed, not resolved"
									 : "on another port",
					 out);
			fail_msg("avahi-browse still shows \"%s\" %g s after it was withdrawn; "
				 "its last output:\n%s", name, seconds, out);
		}
		rig_sleep(0.2);
	}
}

/* ---- the tests ------------------------------------------------------------------------ */

/* The daemon runs: the service is established, with one line said, and is
 * on the network with its port; lathe_zeroconf_free withdraws it. */
static void test_advertised_and_withdrawn(void **state)
{
	(void)state;
	require_tools();
	start_bus();
	start_avahi();

	capture_begin();
	double t0 = rig_now();
	w.z[0] = lathe_zeroconf_new(NAME, PORT);
	double took = rig_now() - t0;
	bool ok = w.z[0] && iterate_until(is_established, w.z[0], 10.0);
	double established_after = rig_now() - t0;
	char *said = capture_end();

	if (!w.z[0])
		fail_msg("lathe_zeroconf_new returned NULL");
	if (!ok)
		fail_msg("not established within 10 s; it said:\n%s", said);
	print_message("new: %.1f ms; established after %.0f ms\n", 1000 * took,
		      1000 * established_after);
	assert_string_equal(said, ADVERTISED(NAME));
	assert_string_equal(lathe_zeroconf_name(w.z[0]), NAME);
	free(said);
	/* The D-Bus round trips to a local daemon: far below a loop tick. */
	if (took > 0.25)
		fail_msg("lathe_zeroconf_new took %.0f ms with the daemon there", 1000 * took);

	assert_browsed(NAME, PORT, 10.0);

	t0 = rig_now();
	lathe_zeroconf_free(w.z[0]);
	w.z[0] = NULL;
	print_message("free: %.1f ms\n", 1000 * (rig_now() - t0));
	assert_browsed(NAME, 0, 10.0);
	/* Withdrawn, not lost with the daemon. */
	if (!rig_alive(w.avahi))
		fail_msg("avahi-daemon exited");
}

/* The bus is there, the daemon not yet: nothing said, not established;
 * the daemon starts: advertised. The daemon stops: not established, nothing
 * said; it starts again: advertised again (the line said once: same name). */
static void test_daemon_comes_and_goes(void **state)
{
	(void)state;
	require_tools();
	start_bus();

	capture_begin();
	w.z[0] = lathe_zeroconf_new(NAME, PORT);
	iterate_until(NULL, NULL, 0.5);
	char *said = capture_end();
	assert_non_null(w.z[0]);
	assert_false(lathe_zeroconf_established(w.z[0]));
	assert_string_equal(said, "");
	free(said);

	for (int round = 0; round < 2; round++) {
		start_avahi();
		capture_begin();
		bool ok = iterate_until(is_established, w.z[0], 10.0);
		said = capture_end();
		if (!ok)
			fail_msg("round %d: not established within 10 s of the daemon's start; it "
				 "said:\n%s", round + 1, said);
		assert_string_equal(said, round == 0 ? ADVERTISED(NAME) : "");
		free(said);
		assert_browsed(NAME, PORT, 10.0);

		stop_avahi();
		capture_begin();
		ok = iterate_until(is_not_established, w.z[0], 5.0);
		iterate_until(NULL, NULL, 0.3); /* and whatever follows */
		said = capture_end();
		if (!ok)
			fail_msg("round %d: still established 5 s after the daemon stopped",
				 round + 1);
		assert_string_equal(said, "");
		free(said);
	}
}

/* Two consoles with one name on one daemon: the second takes the
 * alternative name Avahi offers; both are on the network. */
static void test_name_collision(void **state)
{
	(void)state;
	require_tools();
	start_bus();
	start_avahi();

	capture_begin();
	w.z[0] = lathe_zeroconf_new(NAME, PORT);
	bool ok0 = w.z[0] && iterate_until(is_established, w.z[0], 10.0);
	w.z[1] = lathe_zeroconf_new(NAME, PORT + 1);
	bool ok1 = w.z[1] && iterate_until(is_established, w.z[1], 10.0);
	char *said = capture_end();
	if (!ok0 || !ok1)
		fail_msg("not established within 10 s (first %d, second %d); they said:\n%s", ok0,
			 ok1, said);
	assert_string_equal(lathe_zeroconf_name(w.z[1]), NAME " #2");
	assert_string_equal(said, ADVERTISED(NAME) ADVERTISED(NAME " #2"));
	free(said);
	assert_true(lathe_zeroconf_established(w.z[0]));
	assert_browsed(NAME, PORT, 10.0);
	assert_browsed(NAME " #2", PORT + 1, 10.0);
}

/* Another machine on the link already advertises the name (its own
 * avahi-daemon, on its own bus, in its own namespace, published with
 * avahi-publish): lathe's daemon finds the name taken while probing (the
 * group's COLLISION, not add_service's local one) and the module takes the
 * alternative. */
static void test_name_collision_on_the_network(void **state)
{
	(void)state;
	require_tools();
	start_bus();
	start_avahi();
	make_peer_netns();
	char peer_bus[320], env[400];
	snprintf(peer_bus, sizeof(peer_bus), "%s", rig_path("peer-bus"));
	snprintf(env, sizeof(env), "DBUS_SYSTEM_BUS_ADDRESS=unix:path=%s", peer_bus);
	char *envv[] = { env, NULL };
	start_bus_at(peer_bus, "peer");
	spawn_avahi(w.peer_netns, "lathe-peer", "lzc1", "peer", envv);
	char *argv[] = { "avahi-publish", "-s", NAME, "_osc._udp", "9000", NULL };
	RigProc *publish = rig_spawn_env("avahi-publish", "peer-publish.log", false, envv, argv);
	char *log;
	if (!rig_wait_log(publish, 0, "Established under name", 10.0, &log))
		fail_msg("avahi-publish on the peer did not establish its service within 10 s; "
			 "its output:\n%s", log);
	free(log);
	/* Seen from lathe's side of the link. */
	assert_browsed(NAME, 9000, 10.0);

	capture_begin();
	w.z[0] = lathe_zeroconf_new(NAME, PORT);
	bool ok = w.z[0] && iterate_until(is_established, w.z[0], 10.0);
	char *said = capture_end();
	if (!ok)
		fail_msg("not established within 10 s; it said:\n%s", said);
	assert_string_equal(lathe_zeroconf_name(w.z[0]), NAME " #2");
	assert_string_equal(said, ADVERTISED(NAME " #2"));
	free(said);
	assert_browsed(NAME " #2", PORT, 10.0);
	assert_browsed(NAME, 9000, 10.0);
}

/* A socket file where nothing listens, at the bus's address. */
static void dead_bus(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (strlen(w.bus) >= sizeof(a.sun_path))
		fail_msg("socket path too long: %s", w.bus);
	memcpy(a.sun_path, w.bus, strlen(w.bus) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail_msg("cannot make a socket at %s: %s", w.bus, strerror(errno));
	close(fd); /* bound, never listened on: connect() is refused */
}

typedef struct {
	double last, max_gap;
} Gaps;

static gboolean gap_cb(void *data)
{
	Gaps *g = data;
	double now = rig_now();
	if (now - g->last > g->max_gap)
		g->max_gap = now - g->last;
	g->last = now;
	return G_SOURCE_CONTINUE;
}

/* No bus at all: new returns at once, says nothing, and the loop runs on
 * undisturbed through its attempts to connect (one every 5 s). */
static void test_no_daemon(void **state)
{
	(void)state;
	dead_bus();

	capture_begin();
	double t0 = rig_now();
	w.z[0] = lathe_zeroconf_new(NAME, PORT);
	double took = rig_now() - t0;
	/* 6 s: past the first retry. */
	Gaps g = { rig_now(), 0 };
	guint id = g_timeout_add(10, gap_cb, &g);
	iterate_until(NULL, NULL, 6.0);
	g_source_remove(id);
	char *said = capture_end();

	assert_non_null(w.z[0]);
	print_message("new: %.2f ms; longest gap between 10 ms ticks over 6 s: %.1f ms\n",
		      1000 * took, 1000 * g.max_gap);
	if (*said)
		fail_msg("with no bus it said:\n%s", said);
	free(said);
	assert_false(lathe_zeroconf_established(w.z[0]));
	if (took > 0.05)
		fail_msg("lathe_zeroconf_new took %.0f ms with no bus", 1000 * took);
	if (g.max_gap > 0.1)
		fail_msg("the main loop stalled %.0f ms", 1000 * g.max_gap);
	lathe_zeroconf_free(w.z[0]);
	w.z[0] = NULL;
}

/* No bus at first; then the bus and the daemon start: the next attempt
 * (within 5 s) finds them and advertises. */
static void test_bus_comes_later(void **state)
{
	(void)state;
	require_tools();
	dead_bus();

	capture_begin();
	w.z[0] = lathe_zeroconf_new(NAME, PORT);
	iterate_until(NULL, NULL, 0.2);
	char *said = capture_end();
	assert_non_null(w.z[0]);
	assert_string_equal(said, "");
	free(said);

	start_bus();
	start_avahi();
	capture_begin();
	bool ok = iterate_until(is_established, w.z[0], 10.0);
	said = capture_end();
	if (!ok)
		fail_msg("not established within 10 s of the bus and daemon starting; it said:\n%s",
			 said);
	assert_string_equal(said, ADVERTISED(NAME));
	free(said);
	assert_browsed(NAME, PORT, 10.0);
}

/* The contract's small print, no daemon needed. */
static void test_names_and_null(void **state)
{
	(void)state;
	dead_bus();
	lathe_zeroconf_free(NULL);
	assert_false(lathe_zeroconf_established(NULL));
	/* Cut to 63 bytes, not inside a character: 31 "é" (2 bytes each) are
	 * 62 bytes; the 32nd would end at byte 64. */
	char longname[128] = "";
	for (int i = 0; i < 40; i++)
		strcat(longname, "\xc3\xa9");
	w.z[0] = lathe_zeroconf_new(longname, PORT);
	assert_non_null(w.z[0]);
	assert_int_equal(strlen(lathe_zeroconf_name(w.z[0])), 62);
	assert_true(g_utf8_validate(lathe_zeroconf_name(w.z[0]), -1, NULL));
	w.z[1] = lathe_zeroconf_new("", PORT);
	assert_string_equal(lathe_zeroconf_name(w.z[1]), "lathe");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_advertised_and_withdrawn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_comes_and_goes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_collision_on_the_network, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bus_comes_later, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_null, setup, teardown),
	};
	if (getenv("LATHE_TEST_ONLY"))
		cmocka_set_test_filter(getenv("LATHE_TEST_ONLY"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
