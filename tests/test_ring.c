/* lathe — the SPSC ring: capacity, wrap-around, all-or-nothing writes,
 * peek/skip/read contracts, and two threads streaming framed messages
 * (run it under ThreadSanitizer: make check-sanitize). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ring.h"

/* The byte at stream offset i of a test pattern: never periodic with a
 * power-of-two period, so a copy landing at the wrong offset shows. */
static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 131u + (i >> 8) * 7u + 1u);
}

/* ---- single-thread contracts -------------------------------------------- */

static void test_capacity(void **state)
{
	(void)state;
	/* Requested 1000: at least 1000 usable (1024 after rounding). */
	LatheRing *r = lathe_ring_new(1000);
	assert_non_null(r);
	assert_true(lathe_ring_write_space(r) >= 1000);
	assert_int_equal(lathe_ring_read_space(r), 0);

	/* Every byte of the write space can be used: fill it exactly. */
	size_t cap = lathe_ring_write_space(r);
	unsigned char *buf = malloc(cap + 1);
	assert_non_null(buf);
	for (size_t i = 0; i < cap + 1; i++)
		buf[i] = pattern(i);
	assert_false(lathe_ring_write(r, buf, cap + 1));
	assert_true(lathe_ring_write(r, buf, cap));
	assert_int_equal(lathe_ring_write_space(r), 0);
	assert_int_equal(lathe_ring_read_space(r), cap);
	unsigned char *out = malloc(cap);
	assert_non_null(out);
	assert_true(lathe_ring_read(r, out, cap));
	assert_memory_equal(out, buf, cap);
	assert_int_equal(lathe_ring_write_space(r), cap);
	free(out);
	free(buf);
	lathe_ring_free(r);

	/* An exact power of two is not doubled; tiny sizes work. */
	r = lathe_ring_new(64);
	assert_non_null(r);
	assert_true(lathe_ring_write_space(r) >= 64);
	lathe_ring_free(r);
	r = lathe_ring_new(1);
	assert_non_null(r);
	assert_true(lathe_ring_write_space(r) >= 1);
	assert_true(lathe_ring_write(r, "x", 1));
	char c = 0;
	assert_true(lathe_ring_read(r, &c, 1));
	assert_int_equal(c, 'x');
	lathe_ring_free(r);

	/* No power of two can hold this: a clean NULL, not a wrapped size. */
	assert_null(lathe_ring_new(SIZE_MAX));
	lathe_ring_free(NULL);
}

/* Messages of 7, 13, 29 and 61 bytes (none divides 64) through a 64-byte
 * ring, for long enough that every message starts at every offset and
 * most are split across the end of the buffer. */
static void test_wrap_around(void **state)
{
	(void)state;
	LatheRing *r = lathe_ring_new(64);
	assert_non_null(r);
	const size_t cap = lathe_ring_write_space(r);
	const size_t sizes[] = {7, 13, 29, 61};
	unsigned char in[64], out[64];
	size_t wpos = 0, rpos = 0; /* stream offsets of the test pattern */

	for (int round = 0; round < 5000; round++) {
		size_t n = sizes[round % 4];
		/* Keep the ring part-filled so reads and writes interleave at
		 * shifting offsets instead of always starting from empty. */
		while (lathe_ring_write_space(r) >= n) {
			for (size_t i = 0; i < n; i++)
				in[i] = pattern(wpos + i);
			assert_true(lathe_ring_write(r, in, n));
			wpos += n;
		}
		assert_int_equal(lathe_ring_read_space(r), wpos - rpos);
		assert_int_equal(lathe_ring_write_space(r), cap - (wpos - rpos));
		size_t m = sizes[(round + 1) % 4];
		if (m > wpos - rpos)
			m = wpos - rpos;
		assert_true(lathe_ring_read(r, out, m));
		for (size_t i = 0; i < m; i++)
			if (out[i] != pattern(rpos + i))
				fail_msg("round %d: byte %zu of a %zu-byte read is %u, not %u",
				         round, i, m, out[i], pattern(rpos + i));
		rpos += m;
	}
	/* Drain: the tail is intact too. */
	size_t left = wpos - rpos;
	assert_true(lathe_ring_read(r, out, left));
	for (size_t i = 0; i < left; i++)
		assert_int_equal(out[i], pattern(rpos + i));
	assert_int_equal(lathe_ring_read_space(r), 0);
	lathe_ring_free(r);
}

/* A write that does not fit changes nothing, at every fill level and
 * every wrap offset, and the bytes it carried never appear. */
static void test_all_or_nothing(void **state)
{
	(void)state;
	LatheRing *r = lathe_ring_new(64);
	assert_non_null(r);
	const size_t cap = lathe_ring_write_space(r);
	unsigned char junk[128], in[128], out[128];
	memset(junk, 0xEE, sizeof(junk));

	for (size_t shift = 0; shift < cap; shift += 5) {
		for (size_t room = 0; room <= 10 && room < cap; room++) {
			/* Move the positions by shift bytes, so the refused and
			 * the accepted write straddle the end at varying points. */
			assert_true(lathe_ring_write(r, junk, shift));
			assert_true(lathe_ring_skip(r, shift));

			size_t fill = cap - room;
			for (size_t i = 0; i < fill; i++)
				in[i] = pattern(i);
			assert_true(lathe_ring_write(r, in, fill));
			assert_int_equal(lathe_ring_write_space(r), room);

			/* One byte too many, and much too many: both refused. */
			assert_false(lathe_ring_write(r, junk, room + 1));
			assert_int_equal(lathe_ring_write_space(r), room);
			assert_int_equal(lathe_ring_read_space(r), fill);
			assert_false(lathe_ring_write(r, junk, cap + 1));
			assert_int_equal(lathe_ring_write_space(r), room);

			/* Exactly the room left: accepted, ring full. */
			for (size_t i = 0; i < room; i++)
				in[fill + i] = pattern(fill + i);
			assert_true(lathe_ring_write(r, in + fill, room));
			assert_int_equal(lathe_ring_write_space(r), 0);

			assert_true(lathe_ring_read(r, out, cap));
			assert_memory_equal(out, in, cap);
		}
	}
	/* An empty write always fits, even in a full ring. */
	assert_true(lathe_ring_write(r, in, cap));
	assert_true(lathe_ring_write(r, NULL, 0));
	assert_int_equal(lathe_ring_read_space(r), cap);
	lathe_ring_free(r);
}

/* peek copies without consuming, also across the end of the buffer. */
static void test_peek(void **state)
{
	(void)state;
	LatheRing *r = lathe_ring_new(16);
	assert_non_null(r);
	unsigned char in[16], a[16], b[16], c[16];
	/* Start 11 bytes in, so a 10-byte message wraps. */
	memset(in, 0, sizeof(in));
	assert_true(lathe_ring_write(r, in, 11));
	assert_true(lathe_ring_skip(r, 11));
	for (int i = 0; i < 10; i++)
		in[i] = pattern((size_t)i);
	assert_true(lathe_ring_write(r, in, 10));
	size_t ws = lathe_ring_write_space(r);

	assert_true(lathe_ring_peek(r, a, 10));
	assert_true(lathe_ring_peek(r, b, 10));
	assert_memory_equal(a, in, 10);
	assert_memory_equal(b, in, 10);
	assert_int_equal(lathe_ring_read_space(r), 10);
	assert_int_equal(lathe_ring_write_space(r), ws);

	/* A peek of a prefix, then one of more than is there. */
	memset(c, 0x55, sizeof(c));
	assert_true(lathe_ring_peek(r, c, 4));
	assert_memory_equal(c, in, 4);
	assert_false(lathe_ring_peek(r, c, 11));
	assert_int_equal(lathe_ring_read_space(r), 10);

	assert_true(lathe_ring_read(r, c, 10));
	assert_memory_equal(c, in, 10);
	assert_int_equal(lathe_ring_read_space(r), 0);
	lathe_ring_free(r);
}

/* skip drops exactly n bytes; too many drops nothing. */
static void test_skip(void **state)
{
	(void)state;
	LatheRing *r = lathe_ring_new(32);
	assert_non_null(r);
	unsigned char in[40], out[40];
	for (int i = 0; i < 40; i++)
		in[i] = pattern((size_t)i);
	assert_true(lathe_ring_write(r, in, 20));

	assert_false(lathe_ring_skip(r, 21));
	assert_int_equal(lathe_ring_read_space(r), 20);
	assert_true(lathe_ring_skip(r, 0));
	assert_true(lathe_ring_skip(r, 7));
	assert_int_equal(lathe_ring_read_space(r), 13);
	assert_true(lathe_ring_read(r, out, 3));
	assert_memory_equal(out, in + 7, 3);

	/* Skip across the end of the buffer: from stream position 10 to 35. */
	assert_true(lathe_ring_write(r, in + 20, 20));
	assert_int_equal(lathe_ring_read_space(r), 30);
	assert_true(lathe_ring_skip(r, 25));
	assert_true(lathe_ring_read(r, out, 5));
	assert_memory_equal(out, in + 35, 5);
	assert_int_equal(lathe_ring_read_space(r), 0);
	assert_false(lathe_ring_skip(r, 1));
	lathe_ring_free(r);
}

/* A read of more than is there fails and consumes nothing. */
static void test_short_read(void **state)
{
	(void)state;
	LatheRing *r = lathe_ring_new(32);
	assert_non_null(r);
	unsigned char in[8], out[16];
	for (int i = 0; i < 8; i++)
		in[i] = pattern((size_t)i);

	assert_false(lathe_ring_read(r, out, 1)); /* empty */
	assert_true(lathe_ring_read(r, out, 0));
	assert_true(lathe_ring_write(r, in, 8));
	size_t ws = lathe_ring_write_space(r);
	assert_false(lathe_ring_read(r, out, 9));
	assert_false(lathe_ring_read(r, out, 16));
	assert_int_equal(lathe_ring_read_space(r), 8);
	assert_int_equal(lathe_ring_write_space(r), ws);
	assert_true(lathe_ring_read(r, out, 8));
	assert_memory_equal(out, in, 8);
	lathe_ring_free(r);
}

/* ---- two threads -------------------------------------------------------- */

/* A framed message: header, then len payload bytes derived from seq. The
 * ring's own all-or-nothing write is the framing guarantee under test: the
 * whole message goes in one lathe_ring_write. */
typedef struct {
	uint32_t len;
	uint32_t seq;
} MsgHeader;

#define MSG_MAX_PAYLOAD 250

static uint32_t msg_len(uint32_t seq)
{
	/* 0..250 bytes, scattered: (seq * 37) mod 251. */
	return (uint32_t)(((uint64_t)seq * 37u) % (MSG_MAX_PAYLOAD + 1));
}

static unsigned char msg_byte(uint32_t seq, uint32_t i)
{
	return (unsigned char)(seq * 2654435761u + i * 97u + (seq >> 8));
}

/* Build message seq into buf; the total size. */
static size_t msg_make(unsigned char *buf, uint32_t seq)
{
	MsgHeader h = {msg_len(seq), seq};
	memcpy(buf, &h, sizeof(h));
	for (uint32_t i = 0; i < h.len; i++)
		buf[sizeof(h) + i] = msg_byte(seq, i);
	return sizeof(h) + h.len;
}

/* Check a message body against seq; true if every byte matches. */
static bool msg_check(const unsigned char *payload, uint32_t seq, uint32_t len)
{
	if (len != msg_len(seq))
		return false;
	for (uint32_t i = 0; i < len; i++)
		if (payload[i] != msg_byte(seq, i))
			return false;
	return true;
}

/* Read one whole message; 0 if none is waiting, -1 if it is damaged (a
 * header without its payload means a write was split), else 1. */
static int msg_read(LatheRing *r, MsgHeader *h, unsigned char *payload)
{
	if (lathe_ring_read_space(r) < sizeof(*h))
		return 0;
	if (!lathe_ring_read(r, h, sizeof(*h)))
		return -1; /* read_space promised it */
	if (h->len > MSG_MAX_PAYLOAD || !lathe_ring_read(r, payload, h->len))
		return -1;
	return 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_us(long us)
{
	struct timespec ts = {0, us * 1000};
	nanosleep(&ts, NULL);
}

/* cmocka's assertions longjmp and must stay on the main thread: the
 * threads count what they see, and the test asserts after joining. A
 * failing side raises `stop` so the other does not wait for ever. */
typedef struct {
	LatheRing *ring;
	uint32_t count;         /* messages to stream */
	atomic_bool stop;
	/* writer's results */
	uint64_t bytes_written;
	/* reader's results */
	uint32_t received;
	uint32_t bad;           /* damaged, reordered or wrong payload */
	uint32_t first_bad_seq; /* what arrived where the first error was */
	uint32_t first_bad_at;  /* which message that was */
} Stream;

static void *stream_writer(void *arg)
{
	Stream *s = arg;
	unsigned char buf[sizeof(MsgHeader) + MSG_MAX_PAYLOAD];
	for (uint32_t seq = 0; seq < s->count; seq++) {
		size_t n = msg_make(buf, seq);
		/* The ring never waits; this test does, by polling. */
		while (!lathe_ring_write(s->ring, buf, n)) {
			if (atomic_load(&s->stop))
				return NULL;
			sched_yield();
		}
		s->bytes_written += n;
	}
	return NULL;
}

static void *stream_reader(void *arg)
{
	Stream *s = arg;
	MsgHeader h;
	unsigned char payload[MSG_MAX_PAYLOAD];
	uint64_t last = now_ns();
	while (s->received < s->count) {
		int got = msg_read(s->ring, &h, payload);
		if (got == 0) {
			/* Nothing for 10 s: bytes were lost, the writer waits
			 * for room that never comes. Fail instead of hanging. */
			if (now_ns() - last > 10ull * 1000 * 1000 * 1000) {
				s->bad++;
				s->first_bad_seq = UINT32_MAX - 1;
				s->first_bad_at = s->received;
				atomic_store(&s->stop, true);
				return NULL;
			}
			sched_yield();
			continue;
		}
		last = now_ns();
		if (got < 0 || h.seq != s->received || !msg_check(payload, h.seq, h.len)) {
			/* Framing is lost after an error: stop both sides. */
			s->bad++;
			s->first_bad_seq = got < 0 ? UINT32_MAX : h.seq;
			s->first_bad_at = s->received;
			atomic_store(&s->stop, true);
			return NULL;
		}
		s->received++;
	}
	return NULL;
}

/* A writer and a reader at full speed through a ring small enough (1 KiB
 * for messages of up to 258 bytes) to be full or empty most of the time:
 * every message arrives once, in order, with its payload intact. */
static void test_two_threads(void **state)
{
	(void)state;
	Stream s = {.ring = lathe_ring_new(1000), .count = 100000};
	assert_non_null(s.ring);
	atomic_init(&s.stop, false);

	pthread_t w, r;
	assert_int_equal(pthread_create(&r, NULL, stream_reader, &s), 0);
	assert_int_equal(pthread_create(&w, NULL, stream_writer, &s), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	assert_int_equal(pthread_join(r, NULL), 0);

	if (s.bad)
		fail_msg("message %u arrived as seq %u (UINT32_MAX: split message,"
		         " UINT32_MAX - 1: stalled)",
		         s.first_bad_at, s.first_bad_seq);
	assert_int_equal(s.received, s.count);
	/* ~13 MB through the ring: 100000 * (8 + 125 on average). */
	assert_true(s.bytes_written > 10u * 1000 * 1000);
	assert_int_equal(lathe_ring_read_space(s.ring), 0);
	lathe_ring_free(s.ring);
}

/* ---- a slow reader ------------------------------------------------------ */

/* 3000 write attempts, 50 us apart, against a reader that first stalls
 * for 200 ms and then takes one message per millisecond: the ring fills,
 * and from then on most attempts are refused. */
#define SLOW_ATTEMPTS 3000

typedef struct {
	LatheRing *ring;
	atomic_bool writer_done;
	/* writer's results */
	uint32_t accepted_seq[SLOW_ATTEMPTS];
	uint32_t accepted, refused, attempts;
	uint64_t max_write_ns;
	/* reader's results */
	uint32_t read_seq[SLOW_ATTEMPTS];
	uint32_t read_count, bad;
	uint32_t read_after_writer_done;
} Slow;

static void *slow_writer(void *arg)
{
	Slow *s = arg;
	unsigned char buf[sizeof(MsgHeader) + MSG_MAX_PAYLOAD];
	for (uint32_t seq = 0; seq < SLOW_ATTEMPTS; seq++) {
		size_t n = msg_make(buf, seq);
		uint64_t t0 = now_ns();
		bool ok = lathe_ring_write(s->ring, buf, n);
		uint64_t dt = now_ns() - t0;
		if (dt > s->max_write_ns)
			s->max_write_ns = dt;
		if (ok)
			s->accepted_seq[s->accepted++] = seq;
		else
			s->refused++; /* dropped, as the audio thread would */
		s->attempts++;
		sleep_us(50);
	}
	atomic_store(&s->writer_done, true);
	return NULL;
}

static void *slow_reader(void *arg)
{
	Slow *s = arg;
	MsgHeader h;
	unsigned char payload[MSG_MAX_PAYLOAD];
	/* A stall longer than any wait a prompt write could be excused. */
	sleep_us(200 * 1000);
	for (;;) {
		/* Read the flag before looking at the ring: once the writer is
		 * done and the ring is then empty, there is nothing more. */
		bool done = atomic_load(&s->writer_done);
		int got = msg_read(s->ring, &h, payload);
		if (got == 0) {
			if (done)
				return NULL;
		} else if (got < 0 || !msg_check(payload, h.seq, h.len)
		           || s->read_count >= SLOW_ATTEMPTS) {
			s->bad++;
			return NULL;
		} else {
			s->read_seq[s->read_count++] = h.seq;
			if (done)
				s->read_after_writer_done++;
		}
		sleep_us(1000);
	}
}

static void test_slow_reader(void **state)
{
	(void)state;
	Slow *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->ring = lathe_ring_new(2048); /* room for ~15 average messages */
	assert_non_null(s->ring);
	atomic_init(&s->writer_done, false);

	pthread_t w, r;
	assert_int_equal(pthread_create(&r, NULL, slow_reader, s), 0);
	assert_int_equal(pthread_create(&w, NULL, slow_writer, s), 0);
	assert_int_equal(pthread_join(w, NULL), 0);
	assert_int_equal(pthread_join(r, NULL), 0);

	/* The writer made every attempt and each returned at once: full
	 * ring means refused, not waited for. 100 ms is far above a copy of
	 * 258 bytes even under a sanitizer on a loaded machine, and below
	 * the reader's 200 ms stall, which a waiting writer would sit out. */
	assert_int_equal(s->attempts, SLOW_ATTEMPTS);
	assert_int_equal(s->accepted + s->refused, SLOW_ATTEMPTS);
	assert_true(s->refused > 0);
	assert_true(s->max_write_ns < 100u * 1000 * 1000);
	/* The writer finished with a backlog still in the ring, which the
	 * reader drained afterwards: it did not pace itself to the reader. */
	assert_true(s->read_after_writer_done > 0);

	/* The reader saw exactly the accepted messages, in order, intact:
	 * the newest accepted one last, no refused one anywhere. */
	assert_int_equal(s->bad, 0);
	assert_int_equal(s->read_count, s->accepted);
	assert_memory_equal(s->read_seq, s->accepted_seq,
	                    s->accepted * sizeof(s->accepted_seq[0]));
	assert_true(s->read_count > 0);
	assert_int_equal(s->read_seq[s->read_count - 1],
	                 s->accepted_seq[s->accepted - 1]);
	/* Writes kept being accepted while the reader made room, not only
	 * before the ring first filled. */
	assert_true(s->accepted_seq[s->accepted - 1] > SLOW_ATTEMPTS / 2);
	assert_int_equal(lathe_ring_read_space(s->ring), 0);

	lathe_ring_free(s->ring);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_skip),
		cmocka_unit_test(test_short_read),
		cmocka_unit_test(test_two_threads),
		cmocka_unit_test(test_slow_reader),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
