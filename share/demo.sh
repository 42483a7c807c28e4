#!/bin/sh
# lathe — `make demo`: the console playing its oscillator's pink noise through
# a mastering chain, on the JACK server that runs, or on one started here with
# the dummy driver (no sound card needed).
#
# A server started here is stopped again when the demo ends (Ctrl-C). With a
# server of your own (a real sound card), nothing is connected to your
# speakers: connect lathe:mon_L/mon_R yourself (qjackctl, jack_connect).
set -u
LATHE=${LATHE:-./lathe}
PRESET=${PRESET:-share/presets/streaming.preset}
export JACK_NO_START_SERVER=1

started=""
cleanup() {
	[ -n "$started" ] && kill "$started" 2>/dev/null && wait "$started" 2>/dev/null
}
# HUP too: closing the terminal must not leave the server running.
trap cleanup EXIT HUP INT TERM

connect=""
if jack_lsp >/dev/null 2>&1; then
	echo "demo: using the JACK server that is running; connect lathe:mon_L/mon_R to hear it"
else
	echo "demo: no JACK server running: starting one with the dummy driver (48 kHz, 256 frames)"
	log=$(mktemp /tmp/lathe-demo-jackd.XXXXXX)
	# Real-time scheduling where allowed; without the rights, jackd runs without it.
	jackd -d dummy -r 48000 -p 256 >"$log" 2>&1 &
	started=$!
	for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
	if ! jack_lsp >/dev/null 2>&1; then
		kill "$started" 2>/dev/null; wait "$started" 2>/dev/null
		jackd -r -d dummy -r 48000 -p 256 >"$log" 2>&1 &
		started=$!
		for _ in $(seq 50); do jack_lsp >/dev/null 2>&1 && break; sleep 0.1; done
	fi
	jack_lsp >/dev/null 2>&1 || { echo "demo: jackd did not start; its log:"; cat "$log"; exit 1; }
	# The dummy card's "speakers": the monitor goes there, as it would on a real one.
	connect="--connect mon_L=system:playback_1 --connect mon_R=system:playback_2"
fi

# With a display, the console's window; without one, headless with its
# status line.
mode=--headless
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
	mode=
	echo "demo: opening the console window; closing it ends the demo"
fi
echo "demo: $LATHE $mode --session $PRESET --set /oscillator/mode=pink $connect"
echo "demo: type a command and Enter to change a control (e.g. /limiter/input_gain 6,"
echo "      /chain b, /source input, /oscillator/mode sine); Ctrl-C ends the demo"
echo "demo: or over OSC from another terminal: oscsend localhost 7770 /monitor/mono T"
# shellcheck disable=SC2086
"$LATHE" $mode --session "$PRESET" --set /oscillator/mode=pink $connect
