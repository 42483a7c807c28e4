/* lathe — rt_probe.so: proves that a JACK client's process callback is
 * real-time safe, and times it for benchmarks.
 *
 *   LD_PRELOAD=build/tests/rt_probe.so LATHE_PROBE_REPORT=/tmp/x.report CLIENT...
 *
 * It interposes jack_set_process_callback and registers a trampoline around
 * the client's callback (and jack_deactivate and jack_client_close, to read
 * the callback threads' CPU clocks one last time before they end). The trampoline raises a thread-local flag for the
 * duration of the client's callback; while the flag is up on the calling
 * thread, every call to one of the functions in PROBE_CALLS below (allocator,
 * locks, blocking and kernel-entering calls, stdio) is counted, then
 * forwarded to the real function. Calls outside the window (JACK's own work
 * on the same thread, other threads) are forwarded without counting.
 *
 * The trampoline also times each callback (CLOCK_MONOTONIC, vDSO) into a
 * preallocated array and remembers the thread that runs it, so that the
 * reporter thread can read that thread's CPU clock. A reporter thread,
 * started at the first jack_set_process_callback and only when
 * LATHE_PROBE_REPORT is set, rewrites the report every 250 ms and once more
 * at exit. tests/rt_probe.md describes the report and the limits.
 *
 * Threads: the interposers run on any thread; on the callback thread they
 * are real-time safe (one thread-local load, then relaxed atomic adds on
 * fixed counters). Registration, the reporter and the destructor are not
 * real-time and may allocate. Nothing is ever freed: a JACK thread may still
 * run the trampoline while the process exits.
 */

/* The wrappers below must define the plain symbols: no fortify inlines, no
 * open -> open64 redirection. */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <jack/jack.h>

/* ---- the forbidden calls: one table ------------------------------------- */

/* Every function counted inside the callback window. The report names a
 * function by the symbol that was called (a fortified build calls
 * __fprintf_chk where the source says fprintf). */
#define PROBE_CALLS(X)                                                        \
	/* allocator */                                                       \
	X(malloc) X(calloc) X(realloc) X(reallocarray) X(free)               \
	X(posix_memalign) X(aligned_alloc) X(memalign) X(valloc) X(pvalloc)  \
	/* locks and waits */                                                 \
	X(pthread_mutex_lock) X(pthread_mutex_trylock)                        \
	X(pthread_mutex_timedlock) X(pthread_mutex_clocklock)                 \
	X(pthread_mutex_unlock)                                               \
	X(pthread_rwlock_rdlock) X(pthread_rwlock_wrlock)                     \
	X(pthread_rwlock_tryrdlock) X(pthread_rwlock_trywrlock)               \
	X(pthread_rwlock_timedrdlock) X(pthread_rwlock_timedwrlock)           \
	X(pthread_rwlock_unlock)                                              \
	X(pthread_cond_wait) X(pthread_cond_timedwait)                        \
	X(pthread_cond_clockwait) X(pthread_cond_signal)                      \
	X(pthread_cond_broadcast)                                             \
	X(sem_wait) X(sem_timedwait) X(sem_clockwait) X(sem_trywait)          \
	X(sem_post)                                                           \
	/* blocking or kernel-entering */                                     \
	X(read) X(__read_chk) X(write) X(open) X(open64) X(openat)           \
	X(openat64) X(close) X(nanosleep) X(clock_nanosleep) X(usleep)       \
	X(sleep) X(poll) X(__poll_chk) X(ppoll) X(__ppoll_chk) X(select)     \
	X(pselect) X(epoll_wait) X(send) X(sendto) X(sendmsg) X(recv)        \
	X(__recv_chk) X(recvfrom) X(__recvfrom_chk) X(recvmsg) X(ioctl)      \
	X(mmap) X(mmap64) X(munmap) X(mprotect) X(mlock) X(sched_yield)     \
	X(syscall)                                                            \
	/* stdio and logging */                                               \
	X(fopen) X(fopen64) X(printf) X(__printf_chk) X(fprintf)             \
	X(__fprintf_chk) X(vfprintf) X(__vfprintf_chk) X(vprintf)            \
	X(__vprintf_chk) X(dprintf) X(vdprintf) X(puts) X(fputs) X(fputc)    \
	X(putc) X(putchar) X(fwrite) X(fflush) X(perror) X(syslog)          \
	X(__syslog_chk) X(vsyslog) X(__vsyslog_chk)

enum {
#define PROBE_ENUM(name) CALL_##name,
	PROBE_CALLS(PROBE_ENUM)
#undef PROBE_ENUM
	N_CALLS
};

static const char *const call_name[N_CALLS] = {
#define PROBE_NAME(name) #name,
	PROBE_CALLS(PROBE_NAME)
#undef PROBE_NAME
};

/* Fortified entry points: glibc exports them, its headers declare them only
 * under _FORTIFY_SOURCE. */
int __printf_chk(int flag, const char *fmt, ...);
int __vprintf_chk(int flag, const char *fmt, va_list ap);
int __fprintf_chk(FILE *fp, int flag, const char *fmt, ...);
int __vfprintf_chk(FILE *fp, int flag, const char *fmt, va_list ap);
void __syslog_chk(int pri, int flag, const char *fmt, ...);
void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *restrict buf, size_t n, size_t buflen,
                       int flags, __SOCKADDR_ARG addr,
                       socklen_t *restrict addr_len);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                const sigset_t *ss, size_t fdslen);

/* glibc's allocator under its own names: forwarding to these needs no dlsym,
 * so the allocator wrappers work before anything is resolved. */
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void __libc_free(void *p);
void *__libc_memalign(size_t align, size_t size);
void *__libc_valloc(size_t size);
void *__libc_pvalloc(size_t size);

/* ---- counting (real-time safe) ------------------------------------------ */

/* Up on a thread while it runs a client's process callback. initial-exec:
 * the library is preloaded, so its TLS is static and reading the flag is one
 * %fs-relative load, with no __tls_get_addr (which may allocate). */
static _Thread_local int in_callback __attribute__((tls_model("initial-exec")));

static atomic_ulong call_count[N_CALLS];
static atomic_int first_forbidden = -1; /* a CALL_ id, -1 for none */

static inline void note(int id)
{
	if (__builtin_expect(!in_callback, 1))
		return;
	atomic_fetch_add_explicit(&call_count[id], 1, memory_order_relaxed);
	int none = -1;
	if (atomic_load_explicit(&first_forbidden, memory_order_relaxed) < 0)
		atomic_compare_exchange_strong_explicit(&first_forbidden, &none, id,
		                                        memory_order_relaxed,
		                                        memory_order_relaxed);
}

/* ---- the real functions ------------------------------------------------- */

/* Resolved in the constructor; resolved on first use by a call that comes
 * earlier (another library's constructor). */
static void *_Atomic real_fn[N_CALLS];

static void *real(int id)
{
	void *f = atomic_load_explicit(&real_fn[id], memory_order_relaxed);
	if (!f) {
		f = dlsym(RTLD_NEXT, call_name[id]);
		atomic_store_explicit(&real_fn[id], f, memory_order_relaxed);
	}
	return f;
}

#define REAL(name) ((__typeof__(&name))real(CALL_##name))

/* ---- the callback trampoline and its timing ----------------------------- */

#define MAX_SLOTS 8
/* 2^21 durations: 46 minutes at 750 callbacks/s (64 frames at 48 kHz). */
#define TIMING_CAPACITY (1u << 21)
#define NOT_WRITTEN UINT32_MAX   /* a reserved duration not yet stored */
#define REPORT_PERIOD_NS 250000000LL

typedef struct {
	/* Set at registration, before JACK can call the trampoline. */
	JackProcessCallback cb;
	void *arg;
	/* Set by the first callback: cpu_clock is written before the release
	 * store of thread_known. */
	atomic_int thread_known;
	clockid_t cpu_clock;
	/* The reporter's, under report_lock. */
	int cpu_base_valid, cpu_dead;
	int64_t cpu0_ns, cpu_last_ns;
} ProbeSlot;

static ProbeSlot slots[MAX_SLOTS];
static int n_slots; /* under reg_lock */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_ulong n_callbacks;
static atomic_uint last_frames;
static atomic_int frames_changed;
static atomic_llong first_callback_ns; /* 0 until the first callback */
static atomic_int timing_on;           /* set by the reporter after warm-up */
static atomic_ulong n_timed;           /* durations reserved (may exceed capacity) */
static _Atomic uint32_t *durations;    /* ns, TIMING_CAPACITY entries */
static uint32_t timing_capacity;

static inline int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* Runs on JACK's process thread: real-time safe (vDSO clock reads, relaxed
 * atomics, one store into preallocated memory). */
static int probe_trampoline(jack_nframes_t nframes, void *arg)
{
	ProbeSlot *s = arg;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (!atomic_load_explicit(&s->thread_known, memory_order_relaxed)) {
		/* pthread_getcpuclockid only computes the id from the thread's
		 * tid: no system call. Taken here, while the thread surely
		 * lives, so the reporter never touches a dead pthread_t. */
		if (pthread_getcpuclockid(pthread_self(), &s->cpu_clock) == 0)
			atomic_store_explicit(&s->thread_known, 1, memory_order_release);
		long long none = 0;
		atomic_compare_exchange_strong_explicit(&first_callback_ns, &none,
		                                        ts_ns(&t0),
		                                        memory_order_release,
		                                        memory_order_relaxed);
	}

	int outer = in_callback;
	in_callback = 1;
	int ret = s->cb(nframes, s->arg);
	in_callback = outer;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_fetch_add_explicit(&n_callbacks, 1, memory_order_relaxed);
	unsigned prev = atomic_load_explicit(&last_frames, memory_order_relaxed);
	if (prev != nframes) {
		if (prev != 0)
			atomic_store_explicit(&frames_changed, 1, memory_order_relaxed);
		atomic_store_explicit(&last_frames, nframes, memory_order_relaxed);
	}

	if (atomic_load_explicit(&timing_on, memory_order_acquire)) {
		unsigned long i = atomic_fetch_add_explicit(&n_timed, 1,
		                                            memory_order_relaxed);
		if (i < timing_capacity) {
			int64_t d = ts_ns(&t1) - ts_ns(&t0);
			uint32_t v = d < 0 ? 0 : d >= NOT_WRITTEN ? NOT_WRITTEN - 1
			                                          : (uint32_t)d;
			atomic_store_explicit(&durations[i], v, memory_order_relaxed);
		}
	}
	return ret;
}

/* ---- the reporter (not real-time) --------------------------------------- */

static char *report_path, *report_tmp;
static double warmup_s = 1.0;

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t report_wake;
static int reporter_started, reporter_stop; /* under report_lock */

/* Under report_lock: the durations consumed so far, sorted, and scratch. */
static uint32_t *sorted, *fresh;
static unsigned long n_consumed, n_sorted;
static uint64_t sum_ns;
static int timing_started;
static int64_t wall0_ns, wall_last_ns;

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ns(&t);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Takes the durations stored since the last call into the sorted set: sort
 * the new ones (qsort), merge from the back. O(all) per call, not
 * O(all log all): the reporter stays light on long runs. */
static void consume_durations(void)
{
	unsigned long avail = atomic_load_explicit(&n_timed, memory_order_relaxed);
	if (avail > timing_capacity)
		avail = timing_capacity;
	unsigned long k = 0;
	while (n_consumed < avail) {
		uint32_t v = atomic_load_explicit(&durations[n_consumed],
		                                  memory_order_relaxed);
		if (v == NOT_WRITTEN)
			break; /* reserved by a callback still storing it */
		fresh[k++] = v;
		sum_ns += v;
		n_consumed++;
	}
	if (k == 0)
		return;
	qsort(fresh, k, sizeof *fresh, cmp_u32);
	unsigned long i = n_sorted, j = k, w = n_sorted + k;
	while (j > 0) {
		if (i > 0 && sorted[i - 1] > fresh[j - 1])
			sorted[--w] = sorted[--i];
		else
			sorted[--w] = fresh[--j];
	}
	n_sorted += k;
}

/* Reads each callback thread's CPU clock. A thread that has exited (or
 * whose tid went to a new thread: its clock runs backwards) keeps its last
 * good reading; wall_last_ns is the time of the last reading of a live one. */
static void sample_cpu(int64_t now)
{
	int slot_count;
	pthread_mutex_lock(&reg_lock);
	slot_count = n_slots;
	pthread_mutex_unlock(&reg_lock);

	int any_alive = 0;
	for (int i = 0; i < slot_count; i++) {
		ProbeSlot *s = &slots[i];
		if (s->cpu_dead ||
		    !atomic_load_explicit(&s->thread_known, memory_order_acquire))
			continue;
		struct timespec t;
		if (clock_gettime(s->cpu_clock, &t) != 0) {
			s->cpu_dead = 1;
			continue;
		}
		int64_t v = ts_ns(&t);
		if (!s->cpu_base_valid) {
			/* A client whose thread started after the warm-up
			 * counts from here. */
			s->cpu0_ns = s->cpu_last_ns = v;
			s->cpu_base_valid = 1;
		} else if (v < s->cpu_last_ns) {
			s->cpu_dead = 1;
			continue;
		} else {
			s->cpu_last_ns = v;
		}
		any_alive = 1;
	}
	if (any_alive)
		wall_last_ns = now;
}

/* Starts the timed interval once the warm-up has passed since the first
 * callback: CPU baselines and wall start first, then the callbacks start
 * storing durations. */
static void maybe_start_timing(int64_t now)
{
	int64_t first = atomic_load_explicit(&first_callback_ns, memory_order_acquire);
	if (timing_started || first == 0 || now < first + (int64_t)(warmup_s * 1e9))
		return;
	wall0_ns = wall_last_ns = now;
	sample_cpu(now);
	timing_started = 1;
	atomic_store_explicit(&timing_on, 1, memory_order_release);
}

static size_t put(char *buf, size_t len, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t len, size_t cap, const char *fmt, ...)
{
	if (len >= cap)
		return len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	return n < 0 ? len : len + (size_t)n;
}

/* Fixed-point numbers from integers: no %f, so the client's LC_NUMERIC
 * (a GTK client sets it from the environment) cannot turn '.' into ','. */
static size_t put_us(char *b, size_t len, size_t cap, const char *key, uint64_t ns)
{
	return put(b, len, cap, "%s %llu.%03llu\n", key,
	           (unsigned long long)(ns / 1000), (unsigned long long)(ns % 1000));
}

/* The sample at nearest rank ceil(p * n), p = num / den. */
static uint32_t percentile(unsigned long num, unsigned long den)
{
	if (n_sorted == 0)
		return 0;
	unsigned long long rank = ((unsigned long long)n_sorted * num + den - 1) / den;
	return sorted[rank == 0 ? 0 : rank - 1];
}

/* Under report_lock: brings the statistics up to date and rewrites the
 * report (path.tmp, then rename). Plain open/write: no stdio lock. */
static void write_report(void)
{
	int64_t now = now_ns();
	maybe_start_timing(now);
	if (timing_started) {
		consume_durations();
		sample_cpu(now);
	}

	static char b[8192];
	const size_t cap = sizeof b;
	size_t n = 0;
	unsigned long long total = 0;
	for (int i = 0; i < N_CALLS; i++)
		total += atomic_load_explicit(&call_count[i], memory_order_relaxed);
	int first = atomic_load_explicit(&first_forbidden, memory_order_relaxed);
	int slot_count;
	pthread_mutex_lock(&reg_lock);
	slot_count = n_slots;
	pthread_mutex_unlock(&reg_lock);

	n = put(b, n, cap, "callbacks %lu\n",
	        atomic_load_explicit(&n_callbacks, memory_order_relaxed));
	n = put(b, n, cap, "forbidden %llu\n", total);
	n = put(b, n, cap, "first_forbidden %s\n", first < 0 ? "none" : call_name[first]);
	for (int i = 0; i < N_CALLS; i++) {
		unsigned long c = atomic_load_explicit(&call_count[i], memory_order_relaxed);
		if (c)
			n = put(b, n, cap, "call.%s %lu\n", call_name[i], c);
	}
	n = put(b, n, cap, "frames %u\n",
	        atomic_load_explicit(&last_frames, memory_order_relaxed));
	n = put(b, n, cap, "frames_changed %d\n",
	        atomic_load_explicit(&frames_changed, memory_order_relaxed));
	n = put(b, n, cap, "clients %d\n", slot_count);
	n = put(b, n, cap, "timed %lu\n", n_sorted);
	unsigned long reserved = atomic_load_explicit(&n_timed, memory_order_relaxed);
	if (reserved > timing_capacity)
		n = put(b, n, cap, "timed_dropped %lu\n", reserved - timing_capacity);
	n = put_us(b, n, cap, "duration_median_us", percentile(50, 100));
	n = put_us(b, n, cap, "duration_p99_us", percentile(99, 100));
	n = put_us(b, n, cap, "duration_p999_us", percentile(999, 1000));
	n = put_us(b, n, cap, "duration_max_us", n_sorted ? sorted[n_sorted - 1] : 0);
	n = put_us(b, n, cap, "duration_mean_us",
	           n_sorted ? (sum_ns + n_sorted / 2) / n_sorted : 0);

	uint64_t cpu_ns = 0, wall_ns = 0;
	if (timing_started) {
		for (int i = 0; i < slot_count; i++)
			if (slots[i].cpu_base_valid)
				cpu_ns += (uint64_t)(slots[i].cpu_last_ns - slots[i].cpu0_ns);
		wall_ns = (uint64_t)(wall_last_ns - wall0_ns);
	}
	uint64_t pct = wall_ns ? cpu_ns * 10000 / wall_ns : 0; /* hundredths */
	n = put(b, n, cap, "thread_cpu_s %llu.%06llu\n",
	        (unsigned long long)(cpu_ns / 1000000000),
	        (unsigned long long)(cpu_ns % 1000000000 / 1000));
	n = put(b, n, cap, "wall_s %llu.%06llu\n",
	        (unsigned long long)(wall_ns / 1000000000),
	        (unsigned long long)(wall_ns % 1000000000 / 1000));
	n = put(b, n, cap, "thread_cpu_percent %llu.%02llu\n",
	        (unsigned long long)(pct / 100), (unsigned long long)(pct % 100));
	if (n > cap)
		n = cap;

	int fd = open(report_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	size_t done = 0;
	while (done < n) {
		ssize_t w = write(fd, b + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	close(fd);
	if (done == n)
		rename(report_tmp, report_path);
	else
		unlink(report_tmp);
}

static void *reporter_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&report_lock);
	int64_t next = now_ns() + REPORT_PERIOD_NS;
	while (!reporter_stop) {
		/* Wake at the next 250 ms tick, or at the end of the warm-up if
		 * that comes first, so the timed interval starts on time. */
		int64_t wake = next;
		int64_t first = atomic_load_explicit(&first_callback_ns,
		                                     memory_order_acquire);
		if (!timing_started && first != 0) {
			int64_t warm_end = first + (int64_t)(warmup_s * 1e9);
			if (warm_end < wake)
				wake = warm_end;
		}
		struct timespec ts = { (time_t)(wake / 1000000000),
		                       (long)(wake % 1000000000) };
		int r = pthread_cond_timedwait(&report_wake, &report_lock, &ts);
		if (reporter_stop)
			break;
		if (r != ETIMEDOUT)
			continue; /* spurious wake-up */
		int64_t now = now_ns();
		if (now >= next) {
			write_report();
			next += REPORT_PERIOD_NS;
			if (next <= now) /* fell behind: no burst of reports */
				next = now + REPORT_PERIOD_NS;
		} else {
			maybe_start_timing(now);
		}
	}
	pthread_mutex_unlock(&report_lock);
	return NULL;
}

/* At the first registration (not real-time, the client's set-up thread):
 * the timing buffers and, if a report was asked for, the reporter thread. */
static void start_reporter(void)
{
	pthread_mutex_lock(&report_lock);
	if (reporter_started) {
		pthread_mutex_unlock(&report_lock);
		return;
	}
	reporter_started = 1;

	durations = malloc(TIMING_CAPACITY * sizeof *durations);
	sorted = malloc(TIMING_CAPACITY * sizeof *sorted);
	fresh = malloc(TIMING_CAPACITY * sizeof *fresh);
	if (durations && sorted && fresh) {
		/* Fill with the sentinel: this also faults the pages in now,
		 * not on the audio thread. */
		for (uint32_t i = 0; i < TIMING_CAPACITY; i++)
			atomic_init(&durations[i], NOT_WRITTEN);
		timing_capacity = TIMING_CAPACITY;
	} else {
		fprintf(stderr, "rt_probe: no memory for the timing buffers; "
		                "timing is off, counting goes on\n");
	}

	if (report_path) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&report_wake, &ca);
		pthread_condattr_destroy(&ca);

		/* A plain time-shared thread with every signal blocked: it must
		 * neither take the client's signals nor inherit a real-time
		 * policy from the registering thread. */
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
		pthread_attr_setschedpolicy(&a, SCHED_OTHER);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		pthread_t th;
		if (pthread_create(&th, &a, reporter_main, NULL) != 0) {
			fprintf(stderr, "rt_probe: cannot start the reporter thread; "
			                "the report is written at exit only\n");
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		pthread_attr_destroy(&a);
	}
	pthread_mutex_unlock(&report_lock);
}

/* ---- the interposed registration ---------------------------------------- */

int jack_set_process_callback(jack_client_t *client,
                              JackProcessCallback process_callback, void *arg)
{
	__typeof__(&jack_set_process_callback) real_set =
		(__typeof__(&jack_set_process_callback))
		dlsym(RTLD_NEXT, "jack_set_process_callback");
	if (!real_set) {
		errno = ENOSYS;
		return -1;
	}
	if (!process_callback)
		return real_set(client, process_callback, arg);

	start_reporter();

	pthread_mutex_lock(&reg_lock);
	if (n_slots == MAX_SLOTS) {
		pthread_mutex_unlock(&reg_lock);
		fprintf(stderr, "rt_probe: more than %d process callbacks; "
		                "this one is not probed\n", MAX_SLOTS);
		return real_set(client, process_callback, arg);
	}
	ProbeSlot *s = &slots[n_slots];
	s->cb = process_callback;
	s->arg = arg;
	int r = real_set(client, probe_trampoline, s);
	if (r == 0)
		n_slots++; /* else the slot stays free for the next one */
	pthread_mutex_unlock(&reg_lock);
	return r;
}

/* A last CPU reading while the process threads still live: deactivation
 * ends them, and a dead thread's clock can no longer be read. */
static void sample_before_stop(void)
{
	if (!report_path)
		return;
	pthread_mutex_lock(&report_lock);
	if (timing_started)
		sample_cpu(now_ns());
	pthread_mutex_unlock(&report_lock);
}

int jack_deactivate(jack_client_t *client)
{
	__typeof__(&jack_deactivate) real_deactivate =
		(__typeof__(&jack_deactivate))dlsym(RTLD_NEXT, "jack_deactivate");
	if (!real_deactivate) {
		errno = ENOSYS;
		return -1;
	}
	sample_before_stop();
	return real_deactivate(client);
}

int jack_client_close(jack_client_t *client)
{
	__typeof__(&jack_client_close) real_close =
		(__typeof__(&jack_client_close))dlsym(RTLD_NEXT, "jack_client_close");
	if (!real_close) {
		errno = ENOSYS;
		return -1;
	}
	sample_before_stop(); /* closing an active client deactivates it */
	return real_close(client);
}

/* ---- set-up and exit ----------------------------------------------------- */

__attribute__((constructor)) static void probe_init(void)
{
	/* Before main, so before any setlocale: strtod reads '.' here. */
	const char *path = getenv("LATHE_PROBE_REPORT");
	if (path && *path) {
		size_t len = strlen(path);
		report_path = malloc(len + 1);
		report_tmp = malloc(len + 5);
		if (report_path && report_tmp) {
			memcpy(report_path, path, len + 1);
			memcpy(report_tmp, path, len);
			memcpy(report_tmp + len, ".tmp", 5);
		} else {
			report_path = NULL;
		}
	}
	const char *w = getenv("LATHE_PROBE_WARMUP_S");
	if (w && *w) {
		char *end;
		double v = strtod(w, &end);
		if (*end == '\0' && v >= 0.0 && v < 1e6)
			warmup_s = v;
		else
			fprintf(stderr, "rt_probe: LATHE_PROBE_WARMUP_S='%s' is not "
			                "a number of seconds; using %.1f\n", w, warmup_s);
	}
	for (int i = 0; i < N_CALLS; i++)
		real(i);
}

/* The last report. A JACK thread may still be running callbacks: nothing is
 * freed. Gives up after a second if the reporter cannot be stopped. */
__attribute__((destructor)) static void probe_fini(void)
{
	if (!report_path)
		return;
	struct timespec limit;
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 1;
	if (pthread_mutex_timedlock(&report_lock, &limit) != 0)
		return;
	if (reporter_started) {
		reporter_stop = 1;
		pthread_cond_signal(&report_wake);
		write_report();
	}
	pthread_mutex_unlock(&report_lock);
}

/* ---- the interposers ---------------------------------------------------- */

/* Allocator: glibc's own entry points, no dlsym. */

void *malloc(size_t size)
{
	note(CALL_malloc);
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	note(CALL_calloc);
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	note(CALL_realloc);
	return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
	note(CALL_reallocarray);
	size_t bytes;
	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, bytes);
}

void free(void *p)
{
	note(CALL_free);
	__libc_free(p);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	note(CALL_posix_memalign);
	if (align % sizeof(void *) != 0 || (align & (align - 1)) != 0 || align == 0)
		return EINVAL;
	int saved = errno; /* posix_memalign leaves errno alone */
	void *p = __libc_memalign(align, size);
	errno = saved;
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	note(CALL_aligned_alloc);
	return __libc_memalign(align, size);
}

void *memalign(size_t align, size_t size)
{
	note(CALL_memalign);
	return __libc_memalign(align, size);
}

void *valloc(size_t size)
{
	note(CALL_valloc);
	return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
	note(CALL_pvalloc);
	return __libc_pvalloc(size);
}

/* Fixed-argument functions: count, then forward unchanged. */
#define WRAP(ret, name, params, args)                                         \
	ret name params                                                       \
	{                                                                     \
		note(CALL_##name);                                            \
		return REAL(name) args;                                       \
	}

WRAP(int, pthread_mutex_lock, (pthread_mutex_t *m), (m))
WRAP(int, pthread_mutex_trylock, (pthread_mutex_t *m), (m))
WRAP(int, pthread_mutex_timedlock,
     (pthread_mutex_t *restrict m, const struct timespec *restrict t), (m, t))
WRAP(int, pthread_mutex_clocklock,
     (pthread_mutex_t *restrict m, clockid_t c, const struct timespec *restrict t),
     (m, c, t))
WRAP(int, pthread_mutex_unlock, (pthread_mutex_t *m), (m))
WRAP(int, pthread_rwlock_rdlock, (pthread_rwlock_t *l), (l))
WRAP(int, pthread_rwlock_wrlock, (pthread_rwlock_t *l), (l))
WRAP(int, pthread_rwlock_tryrdlock, (pthread_rwlock_t *l), (l))
WRAP(int, pthread_rwlock_trywrlock, (pthread_rwlock_t *l), (l))
WRAP(int, pthread_rwlock_timedrdlock,
     (pthread_rwlock_t *restrict l, const struct timespec *restrict t), (l, t))
WRAP(int, pthread_rwlock_timedwrlock,
     (pthread_rwlock_t *restrict l, const struct timespec *restrict t), (l, t))
WRAP(int, pthread_rwlock_unlock, (pthread_rwlock_t *l), (l))
WRAP(int, pthread_cond_wait,
     (pthread_cond_t *restrict c, pthread_mutex_t *restrict m), (c, m))
WRAP(int, pthread_cond_timedwait,
     (pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
      const struct timespec *restrict t), (c, m, t))
WRAP(int, pthread_cond_clockwait,
     (pthread_cond_t *restrict c, pthread_mutex_t *restrict m, clockid_t k,
      const struct timespec *restrict t), (c, m, k, t))
WRAP(int, pthread_cond_signal, (pthread_cond_t *c), (c))
WRAP(int, pthread_cond_broadcast, (pthread_cond_t *c), (c))
WRAP(int, sem_wait, (sem_t *s), (s))
WRAP(int, sem_timedwait, (sem_t *restrict s, const struct timespec *restrict t),
     (s, t))
WRAP(int, sem_clockwait,
     (sem_t *restrict s, clockid_t c, const struct timespec *restrict t), (s, c, t))
WRAP(int, sem_trywait, (sem_t *s), (s))
WRAP(int, sem_post, (sem_t *s), (s))

WRAP(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
WRAP(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t buflen),
     (fd, buf, n, buflen))
WRAP(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAP(int, close, (int fd), (fd))
WRAP(int, nanosleep, (const struct timespec *req, struct timespec *rem), (req, rem))
WRAP(int, clock_nanosleep,
     (clockid_t c, int flags, const struct timespec *req, struct timespec *rem),
     (c, flags, req, rem))
WRAP(int, usleep, (useconds_t us), (us))
WRAP(unsigned, sleep, (unsigned s), (s))
WRAP(int, poll, (struct pollfd *fds, nfds_t n, int timeout), (fds, n, timeout))
WRAP(int, __poll_chk, (struct pollfd *fds, nfds_t n, int timeout, size_t fdslen),
     (fds, n, timeout, fdslen))
WRAP(int, ppoll,
     (struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *ss),
     (fds, n, t, ss))
WRAP(int, __ppoll_chk,
     (struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *ss,
      size_t fdslen), (fds, n, t, ss, fdslen))
WRAP(int, select,
     (int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e,
      struct timeval *restrict t), (n, r, w, e, t))
WRAP(int, pselect,
     (int n, fd_set *restrict r, fd_set *restrict w, fd_set *restrict e,
      const struct timespec *restrict t, const sigset_t *restrict ss),
     (n, r, w, e, t, ss))
WRAP(int, epoll_wait, (int ep, struct epoll_event *ev, int max, int timeout),
     (ep, ev, max, timeout))
WRAP(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags))
WRAP(ssize_t, sendto,
     (int fd, const void *buf, size_t n, int flags, __CONST_SOCKADDR_ARG addr,
      socklen_t len), (fd, buf, n, flags, addr, len))
WRAP(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags))
WRAP(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags))
WRAP(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t buflen, int flags),
     (fd, buf, n, buflen, flags))
WRAP(ssize_t, recvfrom,
     (int fd, void *restrict buf, size_t n, int flags, __SOCKADDR_ARG addr,
      socklen_t *restrict len), (fd, buf, n, flags, addr, len))
WRAP(ssize_t, __recvfrom_chk,
     (int fd, void *restrict buf, size_t n, size_t buflen, int flags,
      __SOCKADDR_ARG addr, socklen_t *restrict len),
     (fd, buf, n, buflen, flags, addr, len))
WRAP(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags), (fd, msg, flags))
WRAP(void *, mmap, (void *a, size_t n, int prot, int flags, int fd, off_t off),
     (a, n, prot, flags, fd, off))
WRAP(void *, mmap64, (void *a, size_t n, int prot, int flags, int fd, off64_t off),
     (a, n, prot, flags, fd, off))
WRAP(int, munmap, (void *a, size_t n), (a, n))
WRAP(int, mprotect, (void *a, size_t n, int prot), (a, n, prot))
WRAP(int, mlock, (const void *a, size_t n), (a, n))
WRAP(int, sched_yield, (void), ())

WRAP(FILE *, fopen, (const char *restrict path, const char *restrict mode), (path, mode))
WRAP(FILE *, fopen64, (const char *restrict path, const char *restrict mode),
     (path, mode))
WRAP(int, vfprintf, (FILE *restrict fp, const char *restrict fmt, va_list ap),
     (fp, fmt, ap))
WRAP(int, __vfprintf_chk, (FILE *fp, int flag, const char *fmt, va_list ap),
     (fp, flag, fmt, ap))
WRAP(int, vprintf, (const char *restrict fmt, va_list ap), (fmt, ap))
WRAP(int, __vprintf_chk, (int flag, const char *fmt, va_list ap), (flag, fmt, ap))
WRAP(int, vdprintf, (int fd, const char *restrict fmt, va_list ap), (fd, fmt, ap))
WRAP(int, puts, (const char *s), (s))
WRAP(int, fputs, (const char *restrict s, FILE *restrict fp), (s, fp))
WRAP(int, fputc, (int c, FILE *fp), (c, fp))
WRAP(int, putc, (int c, FILE *fp), (c, fp))
WRAP(int, putchar, (int c), (c))
WRAP(size_t, fwrite, (const void *restrict p, size_t size, size_t n, FILE *restrict fp),
     (p, size, n, fp))
WRAP(int, fflush, (FILE *fp), (fp))

#undef WRAP

/* Functions returning nothing. */

void perror(const char *s)
{
	note(CALL_perror);
	REAL(perror)(s);
}

void vsyslog(int pri, const char *fmt, va_list ap)
{
	note(CALL_vsyslog);
	REAL(vsyslog)(pri, fmt, ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap)
{
	note(CALL___vsyslog_chk);
	REAL(__vsyslog_chk)(pri, flag, fmt, ap);
}

/* Variadic functions: forwarded to the real v* variant (resolved directly,
 * so the outer call is counted once, not twice). */

int printf(const char *restrict fmt, ...)
{
	note(CALL_printf);
	va_list ap;
	va_start(ap, fmt);
	int r = REAL(vprintf)(fmt, ap);
	va_end(ap);
	return r;
}

int __printf_chk(int flag, const char *fmt, ...)
{
	note(CALL___printf_chk);
	va_list ap;
	va_start(ap, fmt);
	int r = REAL(__vprintf_chk)(flag, fmt, ap);
	va_end(ap);
	return r;
}

int fprintf(FILE *restrict fp, const char *restrict fmt, ...)
{
	note(CALL_fprintf);
	va_list ap;
	va_start(ap, fmt);
	int r = REAL(vfprintf)(fp, fmt, ap);
	va_end(ap);
	return r;
}

int __fprintf_chk(FILE *fp, int flag, const char *fmt, ...)
{
	note(CALL___fprintf_chk);
	va_list ap;
	va_start(ap, fmt);
	int r = REAL(__vfprintf_chk)(fp, flag, fmt, ap);
	va_end(ap);
	return r;
}

int dprintf(int fd, const char *restrict fmt, ...)
{
	note(CALL_dprintf);
	va_list ap;
	va_start(ap, fmt);
	int r = REAL(vdprintf)(fd, fmt, ap);
	va_end(ap);
	return r;
}

void syslog(int pri, const char *fmt, ...)
{
	note(CALL_syslog);
	va_list ap;
	va_start(ap, fmt);
	REAL(vsyslog)(pri, fmt, ap);
	va_end(ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...)
{
	note(CALL___syslog_chk);
	va_list ap;
	va_start(ap, fmt);
	REAL(__vsyslog_chk)(pri, flag, fmt, ap);
	va_end(ap);
}

/* The mode argument exists only when the flags create a file. */
static int open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define WRAP_OPEN(name)                                                       \
	int name(const char *path, int flags, ...)                            \
	{                                                                     \
		note(CALL_##name);                                            \
		mode_t mode = 0;                                              \
		if (open_needs_mode(flags)) {                                 \
			va_list ap;                                           \
			va_start(ap, flags);                                  \
			mode = va_arg(ap, mode_t);                            \
			va_end(ap);                                           \
		}                                                             \
		return REAL(name)(path, flags, mode);                         \
	}
WRAP_OPEN(open)
WRAP_OPEN(open64)
#undef WRAP_OPEN

#define WRAP_OPENAT(name)                                                     \
	int name(int dirfd, const char *path, int flags, ...)                 \
	{                                                                     \
		note(CALL_##name);                                            \
		mode_t mode = 0;                                              \
		if (open_needs_mode(flags)) {                                 \
			va_list ap;                                           \
			va_start(ap, flags);                                  \
			mode = va_arg(ap, mode_t);                            \
			va_end(ap);                                           \
		}                                                             \
		return REAL(name)(dirfd, path, flags, mode);                  \
	}
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)
#undef WRAP_OPENAT

int ioctl(int fd, unsigned long request, ...)
{
	note(CALL_ioctl);
	va_list ap;
	va_start(ap, request);
	void *argp = va_arg(ap, void *);
	va_end(ap);
	return REAL(ioctl)(fd, request, argp);
}

/* The generic system call (futex from libstdc++ comes this way): the
 * kernel takes at most six arguments; passing six always is harmless. */
long syscall(long number, ...)
{
	note(CALL_syscall);
	va_list ap;
	va_start(ap, number);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	return REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}
