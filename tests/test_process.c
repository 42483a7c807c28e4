/* lathe — the link between the main loop and the process thread, without
 * JACK: the canonical state (state.c) sends what changed through the
 * command ring, the process side (process.c) applies it in its cycle and
 * hands objects back. Both sides run here on one thread, in the order the
 * real threads would. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"
#include "session.h"
#include "signals.h"
#include "state.h"

#define RATE 48000.0
#define PERIOD 64

typedef struct {
	float buf[LATHE_PORT_COUNT][4096];
	float *ptr[LATHE_PORT_COUNT];
} Ports;

static void ports_init(Ports *p, uint32_t seed)
{
	memset(p, 0, sizeof(*p));
	TestPink pink = { .seed = seed };
	for (int i = 0; i < 4096; i++)
		p->buf[LATHE_PORT_IN_L][i] = p->buf[LATHE_PORT_IN_R][i] = 0.25f * test_pink(&pink);
	for (int k = 0; k < LATHE_PORT_COUNT; k++)
		p->ptr[k] = p->buf[k];
}

static void cycle(LatheProcess *p, Ports *ports, int frames)
{
	lathe_process_run(p, ports->ptr, frames);
}

typedef struct {
	LatheState *st;
	LatheProcess *p;
} Rig;

static int rig_setup(void **state)
{
	Rig *r = calloc(1, sizeof(*r));
	r->st = lathe_state_new();
	r->p = lathe_process_new(RATE);
	if (!r->st || !r->p)
		return -1;
	lathe_state_attach(r->st, r->p);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	Rig *r = *state;
	lathe_state_detach(r->st);
	lathe_process_free(r->p);
	lathe_state_free(r->st);
	free(r);
	return 0;
}

static void assign(Rig *r, const char *path, const char *value)
{
	bool clamped;
	char err[256];
	assert_true(lathe_state_assign(r->st, path, value, &clamped, err, sizeof(err)));
}

/* A value set on the main loop reaches the engine in the next cycle, and
 * not before it. */
static void test_value_reaches_engine(void **state)
{
	Rig *r = *state;
	Ports ports;
	ports_init(&ports, 1);
	assign(r, "/monitor/level", "-6");
	assert_float_equal(lathe_engine_console(r->p->engine, LATHE_CONSOLE_LEVEL), 0.0f, 0.0f);
	cycle(r->p, &ports, PERIOD);
	assert_float_equal(lathe_engine_console(r->p->engine, LATHE_CONSOLE_LEVEL), -6.0f, 0.0f);
	assert_int_equal(atomic_load(&r->p->commands_applied), 1);
	/* Nothing changed: nothing is sent again. */
	assert_true(lathe_state_sync(r->st));
	cycle(r->p, &ports, PERIOD);
	assert_int_equal(atomic_load(&r->p->commands_applied), 1);
}

/* The A/B toggle moves a monitor that plays the selected chain; the state
 * and the engine follow the same rule, so they agree on every value. */
static void test_state_and_engine_agree(void **state)
{
	Rig *r = *state;
	Ports ports;
	ports_init(&ports, 2);
	assign(r, "/chain", "b");
	cycle(r->p, &ports, PERIOD);
	assign(r, "/source", "input");
	assign(r, "/chain", "a");
	cycle(r->p, &ports, PERIOD);
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		assert_float_equal(lathe_engine_console(r->p->engine, k), r->st->session.console[k], 0.0f);
	assert_int_equal((int)r->st->session.console[LATHE_CONSOLE_SOURCE], LATHE_SOURCE_INPUT);
}

/* A session load is one object per chain, applied in one cycle and handed
 * back to be freed on the main loop (ASan's leak check in make
 * check-sanitize fails the test if one is lost). */
static void test_load_is_one_object(void **state)
{
	Rig *r = *state;
	Ports ports;
	ports_init(&ports, 3);
	char file[] = "/tmp/lathe-process-XXXXXX";
	int fd = mkstemp(file);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fprintf(f, "/eq/enable on\n/comp/enable on\n/comp/threshold -30\n/limiter/enable on\n"
		   "/a/eq/1/gain 3\n/a/eq/1/enable on\n/b/imager/enable on\n/b/imager/width 150\n"
		   "/a/order eq input comp multiband deesser saturate imager limiter dither\n"
		   "/monitor/mono on\n");
	fclose(f);
	char err[256];
	assert_true(lathe_state_load(r->st, file, NULL, err, sizeof(err)));
	unlink(file);
	/* Each chain changed in many values (A in its order too): one SETTINGS
	 * object each, then the console's one value. */
	LatheCommand queued[4];
	assert_int_equal(lathe_ring_read_space(r->p->commands), sizeof(LatheCommand) * 3);
	assert_true(lathe_ring_peek(r->p->commands, queued, sizeof(LatheCommand) * 3));
	assert_int_equal(queued[0].kind, LATHE_COMMAND_SETTINGS);
	assert_int_equal(queued[0].chain, LATHE_CHAIN_A);
	assert_int_equal(queued[1].kind, LATHE_COMMAND_SETTINGS);
	assert_int_equal(queued[1].chain, LATHE_CHAIN_B);
	assert_int_equal(queued[2].kind, LATHE_COMMAND_CONSOLE);
	cycle(r->p, &ports, PERIOD);
	/* All of it in that one cycle. */
	for (int c = 0; c < 2; c++)
		for (int id = 0; id < LATHE_CHAIN_PARAM_COUNT; id++)
			assert_float_equal(lathe_engine_chain_value(r->p->engine, c, id),
					   r->st->session.chain[c].value[id], 0.0f);
	assert_int_equal(lathe_ring_read_space(r->p->commands), 0);
	assert_true(lathe_ring_read_space(r->p->returns) >= sizeof(LatheSettings *));
	lathe_process_collect(r->p);
	assert_int_equal(lathe_ring_read_space(r->p->returns), 0);
	assert_float_equal(lathe_engine_console(r->p->engine, LATHE_CONSOLE_MONO), 1.0f, 0.0f);
}

/* A flood spreads over cycles: at most LATHE_PROCESS_DRAIN_MAX commands a
 * cycle. A full ring loses nothing: what did not fit is sent by a later
 * sync, and the engine ends equal to the state. */
static void test_flood_is_bounded_and_lossless(void **state)
{
	Rig *r = *state;
	Ports ports;
	ports_init(&ports, 4);
	char value[32];
	int sends = 0;
	/* Far more changes than the ring holds, without a cycle between. */
	for (int i = 0; i < 3000; i++) {
		snprintf(value, sizeof(value), "%d", -30 + i % 60);
		assign(r, "/monitor/level", value);
		snprintf(value, sizeof(value), "%g", -12.0 + (i % 240) * 0.1);
		assign(r, i % 2 ? "/a/eq/1/gain" : "/b/eq/2/gain", value);
		sends += 2;
	}
	size_t queued = lathe_ring_read_space(r->p->commands) / sizeof(LatheCommand);
	assert_true(queued < (size_t)sends); /* the ring filled up */
	unsigned before = atomic_load(&r->p->commands_applied);
	cycle(r->p, &ports, PERIOD);
	/* Single values here: one unit of work each. */
	assert_int_equal(atomic_load(&r->p->commands_applied) - before, LATHE_PROCESS_DRAIN_MAX);
	/* The main loop's tick syncs again until everything is through. */
	for (int i = 0; i < 100; i++) {
		lathe_state_sync(r->st);
		cycle(r->p, &ports, PERIOD);
	}
	assert_int_equal(lathe_ring_read_space(r->p->commands), 0);
	assert_float_equal(lathe_engine_console(r->p->engine, LATHE_CONSOLE_LEVEL),
			   r->st->session.console[LATHE_CONSOLE_LEVEL], 0.0f);
	for (int c = 0; c < 2; c++)
		for (int id = 0; id < LATHE_CHAIN_PARAM_COUNT; id++)
			assert_float_equal(lathe_engine_chain_value(r->p->engine, c, id),
					   r->st->session.chain[c].value[id], 0.0f);
}

/* Several changes in one sync (a session load does this): the A/B toggle
 * and an explicit source arrive in registry order, and the engine, which
 * moves the source with the toggle, ends where the state is. */
static void test_toggle_and_source_in_one_sync(void **state)
{
	Rig *r = *state;
	Ports ports;
	ports_init(&ports, 6);
	/* Source a (= chain a), then in one go: chain b, source still a. The
	 * engine moves the source to b with the toggle, so the source must be
	 * sent again even though the state's source did not change. */
	LatheSession *s = &r->st->session;
	s->console[LATHE_CONSOLE_CHAIN] = LATHE_CHAIN_B;
	assert_true(lathe_state_sync(r->st));
	cycle(r->p, &ports, PERIOD);
	assert_float_equal(lathe_engine_console(r->p->engine, LATHE_CONSOLE_SOURCE),
			   LATHE_SOURCE_A, 0.0f);
	/* Chain b, source input. */
	s->console[LATHE_CONSOLE_SOURCE] = LATHE_SOURCE_INPUT;
	assert_true(lathe_state_sync(r->st));
	cycle(r->p, &ports, PERIOD);
	/* ...and chain a with source a: the toggle alone would carry the
	 * source along only from b; here it must end at a as stated. */
	s->console[LATHE_CONSOLE_CHAIN] = LATHE_CHAIN_A;
	s->console[LATHE_CONSOLE_SOURCE] = LATHE_SOURCE_B;
	assert_true(lathe_state_sync(r->st));
	cycle(r->p, &ports, PERIOD);
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		assert_float_equal(lathe_engine_console(r->p->engine, k), s->console[k], 0.0f);
	/* And a toggle alone while the monitor plays the selected chain. */
	s->console[LATHE_CONSOLE_SOURCE] = LATHE_SOURCE_A;
	lathe_state_sync(r->st);
	cycle(r->p, &ports, PERIOD);
	bool clamped;
	char err[128];
	assert_true(lathe_state_assign(r->st, "/chain", "b", &clamped, err, sizeof(err)));
	cycle(r->p, &ports, PERIOD);
	assert_int_equal((int)s->console[LATHE_CONSOLE_SOURCE], LATHE_SOURCE_B);
	for (int k = 0; k < LATHE_CONSOLE_PARAM_COUNT; k++)
		assert_float_equal(lathe_engine_console(r->p->engine, k), s->console[k], 0.0f);
}

/* The period never matters, and an input that is the very buffer of an
 * output (a feedback patch in JACK) is read before it is written. */
static void test_periods_and_aliasing(void **state)
{
	Rig *r = *state;
	assign(r, "/a/comp/enable", "on");
	assign(r, "/a/comp/threshold", "-30");
	Ports a, b;
	ports_init(&a, 5);
	ports_init(&b, 5);
	LatheProcess *other = lathe_process_new(RATE);
	lathe_state_attach(r->st, other);
	lathe_state_attach(r->st, r->p);
	/* r->p in periods of 4096 at once; other in 1, 7, 300 and the rest. */
	cycle(r->p, &a, 4096);
	int done = 0, sizes[] = { 1, 7, 300 };
	for (int i = 0; done < 4096; i++) {
		int n = i < 3 ? sizes[i] : 4096 - done;
		float *ptr[LATHE_PORT_COUNT];
		for (int k = 0; k < LATHE_PORT_COUNT; k++)
			ptr[k] = b.buf[k] + done;
		lathe_process_run(other, ptr, n);
		done += n;
	}
	for (int k = LATHE_PORT_OUT_L; k < LATHE_PORT_COUNT; k++)
		assert_memory_equal(a.buf[k], b.buf[k], sizeof(a.buf[k]));

	/* Aliased: out_L's buffer is also in_L's. */
	Ports c;
	ports_init(&c, 5);
	lathe_state_attach(r->st, other);
	c.ptr[LATHE_PORT_OUT_L] = c.buf[LATHE_PORT_IN_L];
	c.ptr[LATHE_PORT_OUT_R] = c.buf[LATHE_PORT_IN_R];
	lathe_process_run(other, c.ptr, 4096);
	assert_memory_equal(c.buf[LATHE_PORT_IN_L], a.buf[LATHE_PORT_OUT_L], sizeof(a.buf[0]));
	assert_memory_equal(c.buf[LATHE_PORT_IN_R], a.buf[LATHE_PORT_OUT_R], sizeof(a.buf[0]));
	lathe_state_attach(r->st, r->p);
	lathe_process_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_value_reaches_engine, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_state_and_engine_agree, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_load_is_one_object, rig_setup, rig_teardown),
		cmocka_unit_test_setup_teardown(test_flood_is_bounded_and_lossless, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_toggle_and_source_in_one_sync, rig_setup,
						rig_teardown),
		cmocka_unit_test_setup_teardown(test_periods_and_aliasing, rig_setup, rig_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
