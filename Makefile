# lathe — build, test, benchmark, install.
#
#   make          build ./lathe
#   make check    install missing Debian packages (make deps), build, run every test
#   make bench    offline throughput, and the console against JAMin on JACK (see README.md)
#   make demo     the console on JACK playing pink noise (README's first command)
#   make install  PREFIX=/usr/local DESTDIR=

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(PREFIX)/share/man
# The application ID: the desktop file's, the icon's and the metainfo's name.
APP_ID = io.github.lathe.Lathe

CC ?= cc
CFLAGS ?= -O2 -g
# -fno-math-errno lets sqrt/lrint inline; never -ffast-math: it would
# remove the isfinite() checks that keep NaN out of the output.
LATHE_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -fno-math-errno -Isrc -Iosc -Iui \
	-DLATHE_DATADIR='"$(DATADIR)"'

# Every library the project uses, as pkg-config-name:debian-package.
# All are checked now, so that a machine set up for this issue builds the later ones.
PKGS = jack:libjack-jackd2-dev gtk4:libgtk-4-dev libebur128:libebur128-dev \
       fftw3f:libfftw3-dev liblo:liblo-dev sndfile:libsndfile1-dev cmocka:libcmocka-dev \
       avahi-client:libavahi-client-dev avahi-glib:libavahi-glib-dev atspi-2:libatspi2.0-dev
# What the build and the tests need on a fresh Debian 12 machine.
# jackd2, jack-tools (jack-play) and jack-capture: the real server and the
# outside clients the JACK tests drive the console with. liblo-tools
# (oscsend, oscdump), nodejs and npm (the npm package osc, in tests/osc) and
# iproute2 (a network namespace for a sender from another address): the
# outside OSC clients. avahi-daemon, avahi-utils (avahi-browse) and
# dbus-daemon: a private Zeroconf daemon for the advertisement's test.
# xvfb and xauth: a display for the GTK console's tests; x11-apps (xwd)
# and xdotool: its screenshots and simulated input. desktop-file-utils,
# appstream, libxml2-utils and groff-base: the desktop file, metainfo, icon
# and man page validators.
DEB_PACKAGES = make gcc libc6-dev pkg-config jq jackd2 jack-tools jack-capture \
	liblo-tools iproute2 avahi-daemon avahi-utils dbus-daemon xvfb xauth x11-apps xdotool libxtst6 \
	desktop-file-utils appstream libxml2-utils groff-base at-spi2-core \
	$(foreach p,$(PKGS),$(lastword $(subst :, ,$(p))))
# Programs that may come from elsewhere than Debian (a newer Node.js), as
# command:debian-package: installed only if the command is missing.
DEB_COMMANDS = node:nodejs npm:npm

# Recursively expanded, so pkg-config runs when a recipe needs it (after make deps).
DSP_PKGS = fftw3f
APP_PKGS = fftw3f sndfile libebur128 jack glib-2.0 liblo avahi-client avahi-glib gtk4
PKG_CFLAGS = $(shell pkg-config --cflags $(APP_PKGS) cmocka atspi-2 2>/dev/null)
DSP_LIBS = $(shell pkg-config --libs $(DSP_PKGS) 2>/dev/null) -lm
APP_LIBS = $(shell pkg-config --libs $(APP_PKGS) 2>/dev/null) -lm
# atspi-2: the accessibility test reads the window as a screen reader does.
TEST_LIBS = $(APP_LIBS) $(shell pkg-config --libs cmocka atspi-2 2>/dev/null) -lpthread

B = build
DSP_SRC = $(wildcard src/dsp/*.c)
CORE_SRC = $(filter-out src/main.c,$(wildcard src/*.c))
OSC_SRC = $(wildcard osc/*.c)
UI_SRC = $(wildcard ui/*.c)
CORE_OBJ = $(patsubst %.c,$(B)/%.o,$(DSP_SRC) $(CORE_SRC) $(OSC_SRC) $(UI_SRC))
TESTS = $(patsubst tests/%.c,$(B)/tests/%,$(wildcard tests/test_*.c))
# Tests written as shell scripts (run from the source tree, like the others).
SCRIPT_TESTS = $(wildcard tests/test_*.sh)

.PHONY: all check test bench bench-run deps install uninstall clean pkgcheck check-sanitize demo
# Keep test objects between runs (they are intermediate files of a pattern chain).
.SECONDARY:
all: lathe

pkgcheck:
	@for pair in $(PKGS); do \
	  pc=$${pair%%:*}; deb=$${pair##*:}; \
	  pkg-config --exists $$pc 2>/dev/null || { \
	    echo "lathe: the library '$$pc' was not found by pkg-config." >&2; \
	    echo "       Install the Debian package $$deb (apt-get install $$deb), or run 'make deps'." >&2; \
	    exit 1; }; \
	done

$(B)/%.o: %.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LATHE_CFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/liblathe.a: $(CORE_OBJ)
	$(AR) rcs $@ $^

lathe: $(B)/src/main.o $(B)/liblathe.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(APP_LIBS)

$(B)/tests/%: $(B)/tests/%.o $(B)/liblathe.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(TEST_LIBS)

# make check = deps, then the tests in a fresh make (which sees the new packages).
check: deps
	@$(MAKE) --no-print-directory test

# The JACK tests' tools: an LD_PRELOAD probe that counts what a process
# callback must not call (and times callbacks for the bench), and a client
# that breaks the rule on purpose, to prove the probe can fail.
JACK_TOOLS = $(B)/tests/rt_probe.so $(B)/tests/rt_canary
$(B)/tests/rt_probe.so: tests/rt_probe.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LATHE_CFLAGS) $(shell pkg-config --cflags jack 2>/dev/null) $(CFLAGS) \
	  -shared -fPIC -o $@ $< -ldl -lpthread
$(B)/tests/rt_canary: tests/rt_canary.c | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LATHE_CFLAGS) $(shell pkg-config --cflags jack 2>/dev/null) $(CFLAGS) \
	  $(LDFLAGS) -o $@ $< $(shell pkg-config --libs jack 2>/dev/null) -lpthread

test: lathe $(TESTS) $(JACK_TOOLS)
	@LATHE=./lathe LATHE_PROBE=$(B)/tests/rt_probe.so LATHE_CANARY=$(B)/tests/rt_canary \
	  tests/run $(TESTS) $(SCRIPT_TESTS)

# make demo = deps, build, then the console on JACK with pink noise (share/demo.sh).
demo: deps
	@$(MAKE) --no-print-directory lathe
	@sh share/demo.sh

# The offline figures, then the console on a real JACK server beside JAMin
# (the peer to beat, which needs a display: Xvfb gives it one).
BENCH_PACKAGES = jamin xvfb
bench: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(BENCH_PACKAGES)"
	@$(MAKE) --no-print-directory bench-run

bench-run: lathe $(B)/tests/bench/bench $(B)/tests/rt_probe.so
	@$(B)/tests/bench/bench
	@LATHE=./lathe LATHE_PROBE=$(B)/tests/rt_probe.so sh tests/bench/jack_bench.sh
	@LATHE=./lathe sh tests/bench/gui_bench.sh

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	for pair in $(DEB_COMMANDS); do \
	  command -v $${pair%%:*} >/dev/null || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	$$sudo apt-get update -q && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q --no-install-recommends $$missing
	@# The npm package osc: an OSC implementation independent of liblo, for the tests.
	@# The system's certificates (with any local authority a proxy needs), which
	@# Debian's npm does not read by itself.
	@[ -d tests/osc/node_modules/osc ] || [ ! -f tests/osc/package.json ] || \
	  npm ci --prefix tests/osc --omit=optional --no-audit --no-fund --loglevel=error \
	    $$([ -r /etc/ssl/certs/ca-certificates.crt ] && echo --cafile=/etc/ssl/certs/ca-certificates.crt)

install: lathe
	install -Dm755 lathe $(DESTDIR)$(BINDIR)/lathe
	install -d $(DESTDIR)$(DATADIR)/lathe/presets
	install -m644 share/presets/*.preset $(DESTDIR)$(DATADIR)/lathe/presets/
	install -m644 share/osc.md $(DESTDIR)$(DATADIR)/lathe/
	install -d $(DESTDIR)$(DATADIR)/lathe/touchosc
	install -m644 share/touchosc/lathe.tosc $(DESTDIR)$(DATADIR)/lathe/touchosc/
	install -Dm644 share/$(APP_ID).desktop $(DESTDIR)$(DATADIR)/applications/$(APP_ID).desktop
	install -Dm644 share/$(APP_ID).metainfo.xml $(DESTDIR)$(DATADIR)/metainfo/$(APP_ID).metainfo.xml
	install -Dm644 share/icons/hicolor/scalable/apps/$(APP_ID).svg \
	  $(DESTDIR)$(DATADIR)/icons/hicolor/scalable/apps/$(APP_ID).svg
	install -Dm644 share/icons/hicolor/symbolic/apps/$(APP_ID)-symbolic.svg \
	  $(DESTDIR)$(DATADIR)/icons/hicolor/symbolic/apps/$(APP_ID)-symbolic.svg
	install -Dm644 share/man/lathe.1 $(DESTDIR)$(MANDIR)/man1/lathe.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lathe
	rm -rf $(DESTDIR)$(DATADIR)/lathe
	rm -f $(DESTDIR)$(DATADIR)/applications/$(APP_ID).desktop
	rm -f $(DESTDIR)$(DATADIR)/metainfo/$(APP_ID).metainfo.xml
	rm -f $(DESTDIR)$(DATADIR)/icons/hicolor/scalable/apps/$(APP_ID).svg
	rm -f $(DESTDIR)$(DATADIR)/icons/hicolor/symbolic/apps/$(APP_ID)-symbolic.svg
	rm -f $(DESTDIR)$(MANDIR)/man1/lathe.1

clean:
	rm -rf $(B) lathe

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# ---- make check-sanitize ---------------------------------------------------
# Every test program under AddressSanitizer + UndefinedBehaviorSanitizer, then
# the ring test under ThreadSanitizer (the ring is what the audio thread and
# the main loop share; its test drives it from two threads).
# Each has its own build directory: a sanitized object must never be linked
# into the plain ./lathe, and ASan and TSan cannot share a binary.
#
# The ASan build is this Makefile again with B=build/asan, asked for the test
# programs and build/asan/lathe by name. Not `make B=... test`: the `lathe`
# rule writes ./lathe whatever $(B) is, so that would replace the plain binary
# with a sanitized one, and `test` points LATHE at ./lathe.
#
# Findings fail the run: -fno-sanitize-recover=all makes every UBSan report
# abort, as ASan's (leaks included: LSan stays on) already do, and TSan exits
# 66 after reporting (halt_on_error=1 stops at the first). Both parts run even
# if the first fails, and the target fails if either did. -O1 keeps the tests
# quick and the stack traces readable.
ASAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
TSAN_FLAGS = -O1 -g -fsanitize=thread
ASAN_B = build/asan
TSAN_B = build/tsan
ASAN_TESTS = $(patsubst $(B)/%,$(ASAN_B)/%,$(TESTS))

check-sanitize:
	@$(MAKE) --no-print-directory B=$(ASAN_B) CFLAGS='$(ASAN_FLAGS)' LDFLAGS='$(ASAN_FLAGS)' \
	  $(ASAN_B)/lathe $(ASAN_TESTS) $(TSAN_B)/tests/test_ring
	@status=0; \
	echo "== AddressSanitizer + UndefinedBehaviorSanitizer: every test"; \
	ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1 \
	LATHE=$(ASAN_B)/lathe tests/run $(ASAN_TESTS) || status=1; \
	echo "== ThreadSanitizer: the ring"; \
	TSAN_OPTIONS=halt_on_error=1 CMOCKA_MESSAGE_OUTPUT=stdout \
	$(TSAN_B)/tests/test_ring || status=1; \
	exit $$status

# The sanitized binary for test_render, kept in its build directory.
$(B)/lathe: $(B)/src/main.o $(B)/liblathe.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(APP_LIBS)

# Only the ring and its test under TSan: they need nothing else from the
# library, so this is two files to compile, not a third build of everything.
# (On kernels with vm.mmap_rnd_bits=32, GCC 12's TSan stops with "unexpected
# memory mapping"; run it under `setarch -R` there.)
$(TSAN_B)/tests/test_ring: tests/test_ring.c src/ring.c src/ring.h | pkgcheck
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(LATHE_CFLAGS) $(PKG_CFLAGS) $(TSAN_FLAGS) -o $@ tests/test_ring.c src/ring.c $(TEST_LIBS)
