#!/bin/sh
# lathe — `make bench`, the JACK part: the console on a real JACK server
# (dummy driver, 48 kHz, 64 frames), pink noise in, both chains on
# full.preset; then JAMin under the same server with the same input.
#
# Figures per client, from tests/rt_probe.so preloaded into it (see
# tests/rt_probe.md): the CPU time of the JACK process thread per second of
# wall time, and the duration of its process callbacks as a share of the
# period (median, 99th percentile, maximum); also the CPU of the whole
# process from /proc (lathe: audio and meters; JAMin: audio and its GUI).
#
# The pink noise comes from a second lathe (its oscillator, neutral chain),
# connected to both consoles' inputs: the same signal for each.
set -u
LATHE=${LATHE:-./lathe}
PROBE=${LATHE_PROBE:-build/tests/rt_probe.so}
RUN_S=${BENCH_SECONDS:-20}
WARMUP_S=2
RATE=48000
PERIOD=64

server="lathe-bench-$$"
export JACK_DEFAULT_SERVER="$server" JACK_NO_START_SERVER=1
name=bench
. "$(dirname "$0")/common.sh"

# Real-time scheduling where allowed (as on a studio machine); otherwise the
# figures are taken without it, and say so.
realtime=yes
jackd -n "$server" -R -d dummy -r $RATE -p $PERIOD >"$dir/jackd.log" 2>&1 &
jackd_pid=$!
pids="$jackd_pid"
sleep 1
if ! jack_lsp >/dev/null 2>&1 || grep -q "Cannot use real-time" "$dir/jackd.log"; then
	kill "$jackd_pid" 2>/dev/null; wait "$jackd_pid" 2>/dev/null
	realtime=no
	jackd -n "$server" -r -d dummy -r $RATE -p $PERIOD >"$dir/jackd.log" 2>&1 &
	jackd_pid=$!
	pids="$jackd_pid"
fi
wait_port system:playback_1 || { cat "$dir/jackd.log"; exit 1; }

"$LATHE" --headless --jack-name pink --osc-port 0 --set /oscillator/mode=pink </dev/null >/dev/null 2>"$dir/pink.log" &
pids="$pids $!"
wait_port pink:out_R || exit 1

cpu_ticks() { # pid: utime + stime of the whole process, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# Run one client under the probe: name, its input ports, then the command.
# The pink noise is connected once the ports are there. Prints a row.
measure() {
	name=$1 in_l=$2 in_r=$3
	shift 3
	LD_PRELOAD="$PROBE" LATHE_PROBE_REPORT="$dir/$name.report" LATHE_PROBE_WARMUP_S=$WARMUP_S \
		"$@" </dev/null >"$dir/$name.out" 2>&1 &
	pid=$!
	pids="$pids $pid"
	wait_port "$in_r" || return 1
	# (The pink lathe may have made them already: it restores connections
	# to ports that come back, and jamin's come back for the second run.)
	jack_connect pink:out_L "$in_l" 2>/dev/null
	jack_connect pink:out_R "$in_r" 2>/dev/null
	jack_lsp -c "$in_r" | grep -q pink:out_R || { echo "bench: cannot connect $name" >&2; return 1; }
	sleep $WARMUP_S
	t0=$(cpu_ticks "$pid")
	sleep "$RUN_S"
	t1=$(cpu_ticks "$pid")
	sleep 0.3 # one more report from the probe
	report="$dir/$name.report"
	if [ ! -s "$report" ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "bench: $name did not run; its output:" >&2
		cat "$dir/$name.out" >&2
		return 1
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null
	hz=$(getconf CLK_TCK)
	awk -v name="$name" -v ticks=$((t1 - t0)) -v hz="$hz" -v run="$RUN_S" \
	    -v period_us="$(awk "BEGIN { print $PERIOD * 1e6 / $RATE }")" '
		{ v[$1] = $2 }
		END {
			printf "%-9s %8.2f %%  %8.1f %%  %8.1f %%  %8.1f %%  %9.1f %%  %7d  %s (%s)\n", name,
			       v["thread_cpu_percent"], 100 * v["duration_median_us"] / period_us,
			       100 * v["duration_p99_us"] / period_us, 100 * v["duration_max_us"] / period_us,
			       100 * ticks / hz / run, v["timed"], v["forbidden"] + 0, v["first_forbidden"]
		}' "$report"
	# What a process callback called that it should not have, if anything.
	grep '^call\.' "$report" | sed 's/^/         /' | head -5
}

echo "JACK dummy driver, $RATE Hz, $PERIOD frames ($(awk "BEGIN { printf \"%.3f\", $PERIOD * 1000 / $RATE }") ms), realtime: $realtime, $RUN_S s after ${WARMUP_S} s warm-up"
echo "pink noise in; lathe: both chains on share/presets/full.preset; JAMin: its default session,"
echo "with its DSP in the JACK thread (jamin -t) and as by default (jamin-thr: a DSP thread of its own)"
echo "client   process-thread  callback (share of the period)        whole     callbacks forbidden"
echo "         CPU (one core)  median      p99         max          process CPU"
measure lathe lathe:in_L lathe:in_R "$LATHE" --headless --osc-port 0 --session share/presets/full.preset

if command -v jamin >/dev/null && command -v Xvfb >/dev/null; then
	# JAMin has no headless mode: it gets a virtual display.
	display=":$((90 + $$ % 100))"
	Xvfb "$display" -screen 0 1280x1024x24 >/dev/null 2>&1 &
	pids="$pids $!"
	sleep 1
	# Its own empty home: its default session, not the user's. -t keeps
	# its DSP in the JACK process callback, as lathe's is (by default it
	# hands the audio to a thread of its own, which the probe would not see).
	export DISPLAY="$display" HOME="$dir"
	measure jamin jamin:in_L jamin:in_R jamin -t -p -n jamin
	# And as it runs by default, its DSP on a thread of its own: only the
	# whole-process figure compares then.
	measure jamin-thr jamin:in_L jamin:in_R jamin -p -n jamin
else
	echo "jamin    (not installed: apt-get install jamin xvfb for the side-by-side figure)"
fi
