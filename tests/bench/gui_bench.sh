#!/bin/sh
# lathe — `make bench`, the console window's part: what the GTK window
# costs on top of the audio. The same console twice on one jackd dummy
# server (48 kHz, 256 frames, the demo's settings: streaming.preset, the
# oscillator's pink noise): headless, then with its window under Xvfb
# (GSK_RENDERER=cairo, software drawing, as on a machine without a GPU),
# meters and spectrum running. Each run's CPU time (user + system, every
# thread, from /proc/PID/stat) over BENCH_SECONDS of wall time, as a
# percentage of one core; the difference is the window's cost. Then JAMin,
# the classic peer, with its window under the same display and server.
set -u
LATHE=${LATHE:-./lathe}
RUN_S=${BENCH_SECONDS:-20}
WARMUP_S=3

server="lathe-gui-bench-$$"
export JACK_DEFAULT_SERVER="$server" JACK_NO_START_SERVER=1
name=gui-bench
. "$(dirname "$0")/common.sh"

command -v Xvfb >/dev/null || { echo "bench: Xvfb is missing (make deps)" >&2; exit 1; }
jackd -n "$server" -r -S -d dummy -r 48000 -p 256 >"$dir/jackd.log" 2>&1 &
pids="$pids $!"
sleep 1
display=$((150 + $$ % 300))
while [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1400x900x24 -nolisten tcp >"$dir/xvfb.log" 2>&1 &
pids="$pids $!"
sleep 1

ticks=$(getconf CLK_TCK)
# CPU seconds of a process so far (fields 14 and 15 of /proc/PID/stat,
# after the command name, which may hold spaces: counted from its ')').
cpu() {
	sed 's/.*) //' "/proc/$1/stat" | awk -v t="$ticks" '{ printf "%.3f", ($12 + $13) / t }'
}

# The CPU share of process $1 over RUN_S seconds, after WARMUP_S; then it
# is stopped. label names it in messages, log is its output.
share() { # pid, label, log
	sleep "$WARMUP_S"
	if ! kill -0 "$1" 2>/dev/null; then
		echo "bench: $2 exited:" >&2
		cat "$3" >&2
		exit 1
	fi
	c0=$(cpu "$1")
	sleep "$RUN_S"
	c1=$(cpu "$1")
	kill "$1"
	wait "$1" 2>/dev/null
	awk -v a="$c0" -v b="$c1" -v s="$RUN_S" 'BEGIN { printf "%.2f", 100 * (b - a) / s }'
}

# One run: the console with the arguments given; prints its CPU share.
run() { # label, extra arguments...
	label=$1
	shift
	env DISPLAY=":$display" GSK_RENDERER=cairo GDK_BACKEND=x11 "$LATHE" "$@" --server "$server" \
		--osc-port 0 --session share/presets/streaming.preset --set /oscillator/mode=pink \
		</dev/null >"$dir/$label.log" 2>&1 &
	share $! "lathe ($label)" "$dir/$label.log"
}

# The peer: JAMin with its window on the same display and server, fed the
# same pink noise by a second, headless lathe (whose CPU is not counted).
# As it runs by default: its DSP on a thread of its own, its GTK 2 window.
jamin_run() {
	"$LATHE" --headless --jack-name pink --server "$server" --osc-port 0 \
		--set /oscillator/mode=pink </dev/null >"$dir/pink.log" 2>&1 &
	pink=$!
	# (This runs in a command substitution: the EXIT trap's list of
	# processes is the parent's, so what starts here is stopped here.)
	trap 'kill $pink $p 2>/dev/null' EXIT
	wait_port pink:out_R || exit 1
	env DISPLAY=":$display" HOME="$dir" jamin -p -n jamin </dev/null >"$dir/jamin.log" 2>&1 &
	p=$!
	wait_port jamin:in_R || exit 1
	jack_connect pink:out_L jamin:in_L && jack_connect pink:out_R jamin:in_R || exit 1
	share $p jamin "$dir/jamin.log"
	kill $pink
	wait $pink 2>/dev/null
}

# The same window while a surface moves one control (/eq/4/gain, a ramp
# of 1 dB steps) every 25 ms over OSC, from oscsend; prints the share and
# the messages sent per second.
moving() {
	port=$((20000 + $$ % 5000))
	env DISPLAY=":$display" GSK_RENDERER=cairo GDK_BACKEND=x11 "$LATHE" --server "$server" \
		--osc-port "$port" --no-zeroconf --session share/presets/streaming.preset \
		--set /oscillator/mode=pink </dev/null >"$dir/moving.log" 2>&1 &
	p=$!
	(
		i=0
		while :; do
			oscsend localhost "$port" /eq/4/gain f $((i % 24 - 12)) 2>/dev/null
			i=$((i + 1))
			echo "$i" >"$dir/sent"
			sleep 0.025
		done
	) &
	mover=$!
	trap 'kill $mover $p 2>/dev/null' EXIT
	sleep 1 # the mover's count starts with the warm-up
	s0=$(cat "$dir/sent")
	cpu_share=$(share $p "lathe (moving)" "$dir/moving.log")
	s1=$(cat "$dir/sent")
	kill "$mover"
	awk -v c="$cpu_share" -v n=$((s1 - s0)) -v s="$((RUN_S + WARMUP_S))" \
		'BEGIN { printf "%s %.0f", c, n / s }'
}

headless=$(run headless --headless)
window=$(run window)
set -- $(moving)
moved=$1 rate=$2
echo
echo "== the console window's cost (jackd dummy 48 kHz, 256 frames, streaming.preset, pink noise, ${RUN_S} s each)"
printf "%-34s %8s\n" "whole process" "CPU, % of one core"
printf "%-34s %8s\n" "lathe headless (audio, meters)" "$headless"
printf "%-34s %8s\n" "lathe with its window (Xvfb, cairo)" "$window"
awk -v h="$headless" -v w="$window" 'BEGIN { printf "%-34s %8.2f   (target: below 10)\n", "lathe: the window on top", w - h }'
printf "%-34s %8s   (a surface moving a knob, %s messages/s)\n" "lathe with its window, moved" "$moved" "$rate"
if command -v jamin >/dev/null; then
	printf "%-34s %8s\n" "JAMin with its window (Xvfb)" "$(jamin_run)"
else
	echo "JAMin: not installed (apt-get install jamin) for the side-by-side figure"
fi
