# lathe — what the JACK benches share (sourced by jack_bench.sh and
# gui_bench.sh): a scratch directory, the processes to stop at the end, and
# waiting for a JACK port. Set `name` before sourcing: it names the
# directory.

dir=$(mktemp -d "/tmp/lathe-$name.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

wait_port() { # port
	for _ in $(seq 100); do
		jack_lsp 2>/dev/null | grep -qx "$1" && return 0
		sleep 0.1
	done
	echo "bench: port $1 did not appear" >&2
	return 1
}
