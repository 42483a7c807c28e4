/* lathe tests — OSC clients around the running console, for
 * tests/test_osc.c. Header-only; include it after cmocka.h (it includes
 * jack_rig.h, whose processes, logs and teardown it uses).
 *
 * Three kinds of client, none of them lathe's own code:
 *  - surfaces: tests/osc/surface.js, a node process on the npm package
 *    `osc` (osc.js, an OSC implementation independent of liblo), fed JSON
 *    lines on its stdin and writing one line per message received to its
 *    log (the format is at the top of surface.js);
 *  - liblo's command-line tools: oscsend (one message from a fresh socket,
 *    then it exits: it hears no reply) and oscdump (listens on a port and
 *    prints what arrives);
 *  - a raw UDP socket in the test with the OSC encoder and decoder below
 *    (written from the OSC 1.0 specification, for the fuzz, which must send
 *    what no OSC library would, and for timing to the microsecond).
 *
 * Times: the surfaces stamp messages with CLOCK_MONOTONIC in microseconds,
 * rig_now() reads the same clock in seconds, so they compare directly.
 */
#ifndef LATHE_TEST_OSC_RIG_H
#define LATHE_TEST_OSC_RIG_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#include "jack_rig.h"

/* ---- encoding ------------------------------------------------------------------- */

/* A packet being written into a caller's buffer; `overflow` is set (and
 * nothing more written) when it would not fit. */
typedef struct {
	unsigned char *p;
	size_t len, cap;
	bool overflow;
} OscOut;

static inline void oo_put(OscOut *o, const void *d, size_t n)
{
	if (o->overflow || o->len + n > o->cap) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->len, d, n);
	o->len += n;
}

/* OSC pads every field to a multiple of 4 bytes with zeros. */
static inline void oo_pad(OscOut *o)
{
	static const char zero[4];
	oo_put(o, zero, (4 - o->len % 4) % 4);
}

static inline void oo_str(OscOut *o, const char *s)
{
	oo_put(o, s, strlen(s) + 1);
	oo_pad(o);
}

static inline void oo_i32(OscOut *o, int32_t v)
{
	uint32_t b = htonl((uint32_t)v);
	oo_put(o, &b, 4);
}

static inline void oo_i64(OscOut *o, int64_t v)
{
	oo_i32(o, (int32_t)(uint32_t)((uint64_t)v >> 32));
	oo_i32(o, (int32_t)(uint32_t)(uint64_t)v);
}

static inline void oo_f32(OscOut *o, float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	oo_i32(o, (int32_t)u);
}

static inline void oo_f64(OscOut *o, double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	oo_i64(o, (int64_t)u);
}

static inline void oo_blob(OscOut *o, const void *d, int32_t n)
{
	oo_i32(o, n);
	oo_put(o, d, (size_t)n);
	oo_pad(o);
}

/* The arguments of a message by type tag: i int, h long long, f double
 * (sent as float32), d double, s const char *, b int length then const
 * void *, m r c int (4 raw bytes), t long long (a time tag), T F N I none. */
static inline void oo_vargs(OscOut *o, const char *types, va_list ap)
{
	for (const char *t = types; *t; t++)
		switch (*t) {
		case 'i': case 'm': case 'r': case 'c':
			oo_i32(o, va_arg(ap, int));
			break;
		case 'h': case 't':
			oo_i64(o, va_arg(ap, long long));
			break;
		case 'f':
			oo_f32(o, (float)va_arg(ap, double));
			break;
		case 'd':
			oo_f64(o, va_arg(ap, double));
			break;
		case 's': case 'S':
			oo_str(o, va_arg(ap, const char *));
			break;
		case 'b': {
			int n = va_arg(ap, int);
			oo_blob(o, va_arg(ap, const void *), n);
			break;
		}
		default: /* T F N I: the tag alone */
			break;
		}
}

/* One message into buf (at most cap bytes); returns its length, or 0 if it
 * did not fit. */
static inline size_t osc_vmsg(unsigned char *buf, size_t cap, const char *path, const char *types,
			      va_list ap)
{
	OscOut o = { buf, 0, cap, false };
	oo_str(&o, path);
	char tags[256];
	snprintf(tags, sizeof(tags), ",%s", types);
	oo_str(&o, tags);
	oo_vargs(&o, types, ap);
	return o.overflow ? 0 : o.len;
}

static inline size_t osc_msg(unsigned char *buf, size_t cap, const char *path, const char *types,
			     ...)
{
	va_list ap;
	va_start(ap, types);
	size_t n = osc_vmsg(buf, cap, path, types, ap);
	va_end(ap);
	return n;
}

/* ---- decoding ------------------------------------------------------------------- */

#define OSC_MAX_ARGS 16

/* One received message. Numbers (i h f d, T as 1, F as 0) in num[], strings
 * in str[] (truncated to 255 bytes), both indexed by argument. */
typedef struct {
	char path[256];
	char types[OSC_MAX_ARGS + 1];
	int n;
	double num[OSC_MAX_ARGS];
	char str[OSC_MAX_ARGS][256];
} OscMsg;

/* A string field at *off in [p, p+n): checked for its terminator and
 * padding; false if malformed. */
static inline bool od_str(const unsigned char *p, size_t n, size_t *off, char *out, size_t size)
{
	size_t start = *off, k = start;
	while (k < n && p[k])
		k++;
	if (k >= n)
		return false;
	size_t len = k - start;
	snprintf(out, size, "%.*s", (int)len, (const char *)p + start);
	*off = start + ((len + 4) & ~(size_t)3);
	return *off <= n;
}

static inline uint32_t od_u32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return ntohl(v);
}

/* Decode a packet (a message, or a bundle of them, nested to any depth):
 * each message is passed to cb. False if any part is malformed. */
static inline bool osc_decode(const unsigned char *p, size_t n, void (*cb)(const OscMsg *, void *),
			      void *user)
{
	if (n >= 16 && memcmp(p, "#bundle", 8) == 0) {
		size_t off = 16; /* "#bundle\0" and the time tag */
		while (off < n) {
			if (off + 4 > n)
				return false;
			uint32_t size = od_u32(p + off);
			off += 4;
			if (size > n - off || !osc_decode(p + off, size, cb, user))
				return false;
			off += size;
		}
		return true;
	}
	OscMsg m;
	memset(&m, 0, sizeof(m));
	size_t off = 0;
	char tags[64];
	if (!od_str(p, n, &off, m.path, sizeof(m.path)) || m.path[0] != '/')
		return false;
	if (off == n) { /* no type tags: no arguments */
		cb(&m, user);
		return true;
	}
	if (!od_str(p, n, &off, tags, sizeof(tags)) || tags[0] != ',')
		return false;
	for (const char *t = tags + 1; *t && m.n < OSC_MAX_ARGS; t++) {
		int k = m.n++;
		m.types[k] = *t;
		m.num[k] = NAN;
		switch (*t) {
		case 'i':
			if (off + 4 > n)
				return false;
			m.num[k] = (int32_t)od_u32(p + off);
			off += 4;
			break;
		case 'f': {
			if (off + 4 > n)
				return false;
			uint32_t u = od_u32(p + off);
			float f;
			memcpy(&f, &u, 4);
			m.num[k] = f;
			off += 4;
			break;
		}
		case 'h': case 'd': case 't': {
			if (off + 8 > n)
				return false;
			uint64_t u = (uint64_t)od_u32(p + off) << 32 | od_u32(p + off + 4);
			double d;
			memcpy(&d, &u, 8);
			m.num[k] = *t == 'd' ? d : (double)(int64_t)u;
			off += 8;
			break;
		}
		case 's': case 'S':
			if (!od_str(p, n, &off, m.str[k], sizeof(m.str[k])))
				return false;
			break;
		case 'b': {
			if (off + 4 > n)
				return false;
			uint32_t size = od_u32(p + off);
			off += 4;
			if (size > n - off)
				return false;
			off += (size + 3) & ~3u;
			break;
		}
		case 'T':
			m.num[k] = 1;
			break;
		case 'F':
			m.num[k] = 0;
			break;
		case 'N': case 'I':
			break;
		default: /* m r c: 4 bytes */
			if (off + 4 > n)
				return false;
			off += 4;
			break;
		}
	}
	cb(&m, user);
	return true;
}

/* ---- UDP sockets ------------------------------------------------------------------ */

/* A UDP socket bound to addr:port (udp_open: 127.0.0.1; port 0: any), with a receive buffer
 * of 4 MB so that replies wait for us rather than being dropped (as root
 * SO_RCVBUFFORCE passes the system's limit; otherwise what the limit
 * allows). Closed at exit. */
static inline int udp_open_at(const char *addr, int port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	int size = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, addr, &a.sin_addr);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		fail_msg("bind %s:%d: %s", addr, port, strerror(errno));
	return fd;
}

static inline int udp_open(int port)
{
	return udp_open_at("127.0.0.1", port);
}

static inline int udp_local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

/* Send a datagram to 127.0.0.1:port. A full send buffer is waited out;
 * other errors fail the test. */
static inline void udp_send(int fd, int port, const void *p, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (;;) {
		if (sendto(fd, p, n, 0, (struct sockaddr *)&a, sizeof(a)) >= 0)
			return;
		if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR) {
			rig_sleep(0.0005);
			continue;
		}
		/* A port nobody listens on answers with an ICMP error that Linux
		 * may report on the next send: the packet is lost, which is
		 * what UDP does anyway. */
		if (errno == ECONNREFUSED)
			return;
		fail_msg("sendto 127.0.0.1:%d (%zu bytes): %s", port, n, strerror(errno));
	}
}

/* The next datagram within `seconds` (0: only one already there): its
 * length, or -1. */
static inline int udp_recv(int fd, double seconds, unsigned char *buf, size_t cap)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	if (poll(&pfd, 1, (int)(seconds * 1000)) <= 0)
		return -1;
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
	return n < 0 ? -1 : (int)n;
}

/* The whole of a file read to its end (malloc'ed; "" if unreadable):
 * for /proc files, whose size reads as 0 (rig_slurp seeks to the end). */
static inline char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 65536;
	char *s = malloc(cap);
	if (f) {
		size_t n;
		while ((n = fread(s + len, 1, cap - len - 1, f)) > 0)
			if ((len += n) + 1 == cap)
				s = realloc(s, cap *= 2);
		fclose(f);
	}
	s[len] = '\0';
	return s;
}

static inline bool udp_port_queue(int port, long *rx, long *drops);

/* Is a UDP port bound on this machine (in this network namespace)? */
static inline bool udp_port_bound(int port)
{
	long rx, drops;
	return udp_port_queue(port, &rx, &drops);
}

/* ---- surfaces (tests/osc/surface.js) ---------------------------------------------- */

typedef struct {
	RigProc *p;
	int port; /* the port it sends from and listens on */
} Surface;

/* One line of a surface's log: "msg T ADDRESS TYPES ARG...". */
typedef struct {
	double t; /* seconds, CLOCK_MONOTONIC */
	char *line; /* the line, split in place; owned */
	const char *path, *types;
	int n;
	const char *arg[40];
} SurfMsg;

static inline void surf_msg_free(SurfMsg *m)
{
	free(m->line);
	m->line = NULL;
}

static inline double surf_num(const SurfMsg *m, int k)
{
	return k < m->n ? strtod(m->arg[k], NULL) : NAN;
}

/* The absolute path of tests/osc/surface.js, checked to have its package. */
static inline const char *surface_script(void)
{
	static char abs[1024];
	if (!abs[0]) {
		if (!realpath("tests/osc/surface.js", abs))
			fail_msg("tests/osc/surface.js not found (the tests run from the top of the "
				 "repository)");
		if (access("tests/osc/node_modules/osc/package.json", R_OK) != 0) {
			abs[0] = '\0';
			fail_msg("the npm package osc is not installed in tests/osc: run 'make deps' "
				 "(npm ci --prefix tests/osc)");
		}
	}
	return abs;
}

/* Start a surface as `name` (its log is NAME.log), sending to host:to from
 * port `listen` (0: any); inside network namespace `netns` if not NULL.
 * Waits until its socket is open. */
static inline Surface surface_start_in(const char *netns, const char *name, const char *host,
				       int to, int listen)
{
	char tos[16], ls[16], log[64];
	snprintf(tos, sizeof(tos), "%d", to);
	snprintf(ls, sizeof(ls), "%d", listen);
	snprintf(log, sizeof(log), "%s.log", name);
	char *plain[] = { "node", (char *)surface_script(), "--host", (char *)host, "--to", tos,
			  "--listen", ls, NULL };
	char *in_ns[] = { "ip", "netns", "exec", (char *)netns, "node", (char *)surface_script(),
			  "--host", (char *)host, "--to", tos, "--listen", ls, NULL };
	Surface s = { rig_spawn(name, log, true, netns ? in_ns : plain), 0 };
	char *all;
	/* 10 s: node starts in about 50 ms; a loaded machine is slower. */
	const char *hit = rig_wait_log(s.p, 0, "ready\t", 10.0, &all);
	if (!hit)
		fail_msg("surface %s did not open its socket within 10 s%s; its output:\n%s", name,
			 rig_alive(s.p) ? "" : " (it exited)", all);
	s.port = atoi(hit + 6);
	free(all);
	return s;
}

static inline Surface surface_start(const char *name, int to)
{
	return surface_start_in(NULL, name, "127.0.0.1", to, 0);
}

/* Where its log ends now: messages after this are the answer to what
 * follows. */
static inline size_t surface_mark(const Surface *s)
{
	return rig_log_size(s->p);
}

/* JSON string content (without the quotes). */
static inline void json_escape(char *out, size_t size, const char *s)
{
	size_t k = 0;
	for (; *s && k + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			k += snprintf(out + k, size - k, "\\%c", c);
		else if (c < 0x20)
			k += snprintf(out + k, size - k, "\\u%04x", c);
		else
			out[k++] = (char)c;
	}
	out[k] = '\0';
}

/* A JSON number, or the names surface.js turns into NaN and the infinities. */
static inline void json_number(char *out, size_t size, double v)
{
	if (isnan(v))
		snprintf(out, size, "\"NaN\"");
	else if (isinf(v))
		snprintf(out, size, "\"%sInfinity\"", v < 0 ? "-" : "");
	else
		snprintf(out, size, "%.17g", v);
}

/* Send one message from the surface: arguments by type tag as osc_msg
 * (i int, h long long, f and d double, s const char *, b int length then
 * const unsigned char *, T F N I none). */
static inline void surface_send(Surface *s, const char *path, const char *types, ...)
{
	char line[1024], val[512];
	size_t k = (size_t)snprintf(line, sizeof(line), "{\"address\": \"%s\", \"args\": [", path);
	va_list ap;
	va_start(ap, types);
	for (const char *t = types; *t && k < sizeof(line); t++) {
		switch (*t) {
		case 'i':
			snprintf(val, sizeof(val), "%d", va_arg(ap, int));
			break;
		case 'h':
			snprintf(val, sizeof(val), "%lld", va_arg(ap, long long));
			break;
		case 'f': case 'd':
			json_number(val, sizeof(val), va_arg(ap, double));
			break;
		case 's': {
			char esc[400];
			json_escape(esc, sizeof(esc), va_arg(ap, const char *));
			snprintf(val, sizeof(val), "\"%s\"", esc);
			break;
		}
		case 'b': {
			int n = va_arg(ap, int);
			const unsigned char *b = va_arg(ap, const unsigned char *);
			size_t v = (size_t)snprintf(val, sizeof(val), "[");
			for (int i = 0; i < n && v + 8 < sizeof(val); i++)
				v += snprintf(val + v, sizeof(val) - v, "%s%d", i ? ", " : "", b[i]);
			snprintf(val + v, sizeof(val) - v, "]");
			break;
		}
		default:
			snprintf(val, sizeof(val), "true");
			break;
		}
		k += snprintf(line + k, sizeof(line) - k, "%s{\"type\": \"%c\", \"value\": %s}",
			      t == types ? "" : ", ", *t, val);
	}
	va_end(ap);
	if (k + 3 >= sizeof(line))
		fail_msg("surface_send: message to %s too long for one line", path);
	snprintf(line + k, sizeof(line) - k, "]}");
	if (!rig_send(s->p, line, 2.0))
		fail_msg("surface %s does not take input (it %s)", s->p->what,
			 rig_alive(s->p) ? "stopped reading" : "exited");
}

/* Every message in the surface's log after byte `from`, in order
 * (malloc'ed; *count of them). Only whole lines: a line being written is
 * left for the next look. */
static inline SurfMsg *surface_messages(const Surface *s, size_t from, int *count)
{
	char *all = rig_log(s->p);
	size_t len = strlen(all);
	int cap = 64, n = 0;
	SurfMsg *v = malloc(sizeof(SurfMsg) * cap);
	for (size_t at = from < len ? from : len; at < len;) {
		char *nl = strchr(all + at, '\n');
		if (!nl)
			break;
		*nl = '\0';
		char *line = all + at;
		at = (size_t)(nl - all) + 1;
		if (strncmp(line, "msg\t", 4) != 0)
			continue;
		if (n == cap)
			v = realloc(v, sizeof(SurfMsg) * (cap *= 2));
		SurfMsg *m = &v[n++];
		memset(m, 0, sizeof(*m));
		m->line = strdup(line + 4);
		/* Fields: T, ADDRESS, TYPES, ARG...; \t \n \\ unescaped in place. */
		char *f[44];
		int nf = 0;
		for (char *p = m->line; nf < 44;) {
			f[nf++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		for (int i = 0; i < nf; i++) {
			char *w = f[i];
			for (char *r = f[i]; *r; r++) {
				if (*r == '\\' && r[1]) {
					r++;
					*w++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r;
				} else
					*w++ = *r;
			}
			*w = '\0';
		}
		m->t = nf > 0 ? atof(f[0]) * 1e-6 : 0;
		m->path = nf > 1 ? f[1] : "";
		m->types = nf > 2 ? f[2] : "";
		for (int i = 3; i < nf && m->n < 40; i++)
			m->arg[m->n++] = f[i];
	}
	free(all);
	*count = n;
	return v;
}

static inline void surface_messages_free(SurfMsg *v, int n)
{
	for (int i = 0; i < n; i++)
		surf_msg_free(&v[i]);
	free(v);
}

/* The messages after `from` as text, for failure messages (static buffer). */
static inline const char *surface_dump(const Surface *s, size_t from)
{
	static char buf[6000];
	char *all = rig_log(s->p);
	size_t len = strlen(all);
	const char *start = all + (from < len ? from : len);
	/* The end of a long log is what tells. */
	if (strlen(start) > sizeof(buf) - 100)
		start += strlen(start) - (sizeof(buf) - 100);
	snprintf(buf, sizeof(buf), "%s", *start ? start : "(nothing)\n");
	free(all);
	return buf;
}

/* The first (last=false) or last message to `path` after `from`, copied
 * into *out (free it with surf_msg_free); false if none. */
static inline bool surface_find(const Surface *s, size_t from, const char *path, bool last,
				SurfMsg *out)
{
	int n;
	SurfMsg *v = surface_messages(s, from, &n);
	int hit = -1;
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].path, path) == 0) {
			hit = i;
			if (!last)
				break;
		}
	if (hit >= 0) {
		/* The fields point into v[hit].line, which now belongs to *out. */
		*out = v[hit];
		v[hit].line = NULL;
	}
	surface_messages_free(v, n);
	return hit >= 0;
}

/* Wait up to `seconds` for a message to `path` after `from`: the first. */
static inline bool surface_wait(const Surface *s, size_t from, const char *path, double seconds,
				SurfMsg *out)
{
	double end = rig_now() + seconds;
	for (;;) {
		if (surface_find(s, from, path, false, out))
			return true;
		if (rig_now() > end || !rig_alive(s->p))
			return false;
		rig_sleep(0.002);
	}
}

/* How many messages to `path` after `from` (any path if NULL). */
static inline int surface_count(const Surface *s, size_t from, const char *path)
{
	int n, c = 0;
	SurfMsg *v = surface_messages(s, from, &n);
	for (int i = 0; i < n; i++)
		if (!path || strcmp(v[i].path, path) == 0)
			c++;
	surface_messages_free(v, n);
	return c;
}

/* ---- oscdump ------------------------------------------------------------------------ */

/* oscdump -L on `port` as `name`; waits until the port is bound. */
static inline RigProc *oscdump_start(const char *name, int port)
{
	char ps[16], log[64];
	snprintf(ps, sizeof(ps), "%d", port);
	snprintf(log, sizeof(log), "%s.log", name);
	char *argv[] = { "oscdump", "-L", ps, NULL };
	RigProc *p = rig_spawn(name, log, false, argv);
	double end = rig_now() + 5.0;
	while (!udp_port_bound(port)) {
		if (rig_now() > end || !rig_alive(p)) {
			char *l = rig_log(p);
			fail_msg("oscdump did not bind port %d within 5 s; its output:\n%s", port, l);
		}
		rig_sleep(0.01);
	}
	return p;
}

/* The value of the last message to `path` in an oscdump log after `from`:
 * oscdump prints "TIMETAG PATH TYPES VALUE..." (floats with %f); the first
 * value. NAN if none. */
static inline double oscdump_last(const RigProc *p, size_t from, const char *path, char *types,
				  size_t tsize)
{
	char *all = rig_log(p);
	double v = NAN;
	size_t len = strlen(all);
	char *save;
	for (char *line = strtok_r(all + (from < len ? from : len), "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char tt[64], pa[256], ty[64];
		int used = 0;
		if (sscanf(line, "%63s %255s %63s %n", tt, pa, ty, &used) < 3 || strcmp(pa, path) != 0)
			continue;
		if (types)
			snprintf(types, tsize, "%s", ty);
		v = used ? strtod(line + used, NULL) : NAN;
	}
	free(all);
	return v;
}

/* The receive queue (bytes waiting) and the drop count (datagrams the
 * kernel dropped, its buffer full) of the UDP socket bound to `port`, from
 * /proc/net/udp and udp6: "sl local rem st tx_queue:rx_queue tr:when
 * retrnsmt uid timeout inode ref pointer drops". False if none is bound. */
static inline bool udp_port_queue(int port, long *rx, long *drops)
{
	char want[16];
	snprintf(want, sizeof(want), ":%04X", port);
	const char *files[] = { "/proc/net/udp", "/proc/net/udp6" };
	for (int k = 0; k < 2; k++) {
		char *text = read_all(files[k]), *save;
		bool hit = false;
		for (char *line = strtok_r(text, "\n", &save); line && !hit;
		     line = strtok_r(NULL, "\n", &save)) {
			char local[64], queues[64];
			unsigned long rq = 0;
			long dr = 0;
			if (sscanf(line, "%*s %63s %*s %*s %63s %*s %*s %*s %*s %*s %*s %*s %ld", local,
				   queues, &dr) != 3)
				continue;
			size_t n = strlen(local), w = strlen(want);
			if (n < w || strcmp(local + n - w, want) != 0)
				continue;
			const char *colon = strchr(queues, ':');
			rq = colon ? strtoul(colon + 1, NULL, 16) : 0;
			*rx = (long)rq;
			*drops = dr;
			hit = true;
		}
		free(text);
		if (hit)
			return true;
	}
	return false;
}

#endif
