/* lathe — the mastering chain (see chain.h).
 *
 * Glossary for the process loop:
 *   sub-block  LATHE_SUBBLOCK frames starting at an absolute multiple of it;
 *              glides advance once per sub-block, so output does not depend
 *              on how the host splits the signal into periods.
 *   slot       one module with its enable state and dry path.
 *   mix        a slot's enable crossfade position: 0 = dry, 1 = module.
 *   warm-up    frames a newly enabled module runs unheard before it fades
 *              in: its latency (to refill its delay lines) plus one fade
 *              (to let filter start-up transients die away).
 */
#include "chain.h"

#include <stdlib.h>
#include <string.h>

#include "dsp/dsp.h"

/* Dry-path capacity per module: above any module latency at 192 kHz
 * (the linear-phase EQ is the longest). Power of two for masking. */
#define DRY_CAPACITY 65536
#define DRY_MASK (DRY_CAPACITY - 1)

typedef struct {
	const LatheModuleClass *cls;
	void *dsp;
	int first;      /* registry id of the module's parameter 0 */
	bool on;        /* the enable's target */
	bool running;   /* process() is being called (on, or fading out) */
	float mix;      /* enable crossfade position, 0..1 */
	int warm_up;    /* frames left before the fade-in may start */
	float *dry[2];  /* delay line of the module's input, DRY_CAPACITY each */
} Slot;

typedef struct {
	float delta;    /* change per sub-block, in the taper's domain */
	int steps;      /* sub-blocks left; 0 = not gliding */
	bool listed;    /* in LatheChain.moving */
} Glide;

struct LatheChain {
	double rate;
	Slot slot[LATHE_MODULE_COUNT];
	LatheModuleId order[LATHE_MODULE_COUNT];
	LatheModuleId next_order[LATHE_MODULE_COUNT];

	float target[LATHE_CHAIN_PARAM_COUNT];
	float current[LATHE_CHAIN_PARAM_COUNT]; /* in the taper's domain: log(v) for LOG */
	Glide glide[LATHE_CHAIN_PARAM_COUNT];
	int moving[LATHE_CHAIN_PARAM_COUNT];    /* ids with glide steps left */
	int n_moving;

	int phase;          /* frames into the current sub-block */
	unsigned dry_pos;   /* write position of every dry line */
	float fade_step;    /* mix change per frame: one LATHE_FADE_MS fade */
	int fade_frames;

	/* Reordering: the output fades to silence, the order changes, the
	 * output stays silent while the modules' delay lines and filters fill
	 * with the reordered signal (what they held came from the old order),
	 * then it fades back. */
	bool reorder_pending;
	int reorder_hold;   /* frames of silence left after the swap */
	float order_gain;
};

/* Glides run in the taper's domain: a frequency sweeps evenly in octaves. */
static float to_domain(const LatheParam *p, float v)
{
	return p->taper == LATHE_TAPER_LOG ? logf(v) : v;
}

static float from_domain(const LatheParam *p, float d)
{
	return p->taper == LATHE_TAPER_LOG ? expf(d) : d;
}

LatheChain *lathe_chain_new(double rate)
{
	LatheChain *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->rate = rate;
	c->fade_frames = lathe_ms_to_samples(LATHE_FADE_MS, rate);
	c->fade_step = 1.0f / (float)c->fade_frames;
	c->order_gain = 1.0f;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		Slot *s = &c->slot[m];
		s->cls = lathe_module_classes[m];
		s->first = lathe_module_first_param((LatheModuleId)m);
		s->dsp = s->cls->create(rate);
		s->dry[0] = calloc(DRY_CAPACITY, sizeof(float));
		s->dry[1] = calloc(DRY_CAPACITY, sizeof(float));
		if (!s->dsp || !s->dry[0] || !s->dry[1]) {
			lathe_chain_free(c);
			return NULL;
		}
		c->order[m] = (LatheModuleId)m;
	}
	LatheSettings defaults;
	lathe_settings_default(&defaults);
	lathe_chain_apply(c, &defaults);
	lathe_chain_snap(c);
	return c;
}

void lathe_chain_free(LatheChain *c)
{
	if (!c)
		return;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		Slot *s = &c->slot[m];
		if (s->cls)
			s->cls->destroy(s->dsp);
		free(s->dry[0]);
		free(s->dry[1]);
	}
	free(c);
}

/* Hand a parameter's current value to its module (never the enable). A
 * value at rest is sent as the target itself: exp(log(v)) need not be v. */
static void send(LatheChain *c, int id)
{
	const LatheParam *p = &lathe_params[id];
	if (p->index == LATHE_MODULE_ENABLE)
		return;
	Slot *s = &c->slot[p->module];
	float v = c->glide[id].steps > 0 ? from_domain(p, c->current[id]) : c->target[id];
	s->cls->set(s->dsp, p->index, v);
}

static void set_enable(LatheChain *c, Slot *s, bool on)
{
	if (on == s->on)
		return;
	s->on = on;
	if (on && !s->running) {
		/* Start from rest, unheard until it has filled its delay lines. */
		s->cls->reset(s->dsp);
		s->running = true;
		s->warm_up = s->cls->latency(s->dsp) + c->fade_frames;
	}
}

void lathe_chain_set(LatheChain *c, int id, float value)
{
	if (id < 0 || id >= LATHE_CHAIN_PARAM_COUNT)
		return;
	const LatheParam *p = &lathe_params[id];
	Slot *s = &c->slot[p->module];
	c->target[id] = value;
	if (p->index == LATHE_MODULE_ENABLE) {
		set_enable(c, s, value >= 0.5f);
		return;
	}
	float to = to_domain(p, value);
	Glide *g = &c->glide[id];
	/* A module nobody hears takes the value at once: nothing to smooth. */
	double sub_ms = 1000.0 * LATHE_SUBBLOCK / c->rate;
	int steps = s->running ? (int)ceil(p->smooth_ms / sub_ms) : 0;
	if (steps <= 0 || to == c->current[id]) {
		g->steps = 0;
		c->current[id] = to;
		send(c, id);
		return;
	}
	if (!g->listed) {
		g->listed = true;
		c->moving[c->n_moving++] = id;
	}
	g->delta = (to - c->current[id]) / (float)steps;
	g->steps = steps;
}

float lathe_chain_get(const LatheChain *c, int id)
{
	return (id >= 0 && id < LATHE_CHAIN_PARAM_COUNT) ? c->target[id] : 0.0f;
}

bool lathe_chain_set_order(LatheChain *c, const LatheModuleId order[LATHE_MODULE_COUNT])
{
	if (!lathe_order_valid(order))
		return false;
	if (memcmp(order, c->order, sizeof(c->order)) == 0 && !c->reorder_pending)
		return true;
	memcpy(c->next_order, order, sizeof(c->next_order));
	c->reorder_pending = true;
	return true;
}

void lathe_chain_apply(LatheChain *c, const LatheSettings *settings)
{
	for (int id = 0; id < LATHE_CHAIN_PARAM_COUNT; id++)
		lathe_chain_set(c, id, settings->value[id]);
	lathe_chain_set_order(c, settings->order);
}

void lathe_chain_snap(LatheChain *c)
{
	for (int i = 0; i < c->n_moving; i++) {
		int id = c->moving[i];
		c->glide[id].steps = 0;
		c->glide[id].listed = false;
		c->current[id] = to_domain(&lathe_params[id], c->target[id]);
		send(c, id);
	}
	c->n_moving = 0;
	if (c->reorder_pending) {
		memcpy(c->order, c->next_order, sizeof(c->order));
		c->reorder_pending = false;
	}
	c->order_gain = 1.0f;
	c->reorder_hold = 0;
	c->phase = 0;
	c->dry_pos = 0;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		Slot *s = &c->slot[m];
		s->cls->reset(s->dsp);
		s->running = s->on;
		s->mix = s->on ? 1.0f : 0.0f;
		s->warm_up = 0;
		memset(s->dry[0], 0, DRY_CAPACITY * sizeof(float));
		memset(s->dry[1], 0, DRY_CAPACITY * sizeof(float));
	}
}

void lathe_chain_maintain(LatheChain *c, const float *values)
{
	for (int m = 0; m < LATHE_MODULE_COUNT; m++) {
		Slot *s = &c->slot[m];
		if (s->cls->maintain)
			s->cls->maintain(s->dsp, values + s->first);
	}
}

int lathe_chain_latency(const LatheChain *c)
{
	int total = 0;
	for (int m = 0; m < LATHE_MODULE_COUNT; m++)
		total += c->slot[m].cls->latency(c->slot[m].dsp);
	return total;
}

int lathe_chain_gain_reduction(const LatheChain *c, LatheModuleId module, float *gr)
{
	const Slot *s = &c->slot[module];
	if (!s->cls->gain_reduction || !s->running)
		return 0;
	return s->cls->gain_reduction(s->dsp, gr);
}

/* Advance every glide by one sub-block. */
static void step_glides(LatheChain *c)
{
	int kept = 0;
	for (int i = 0; i < c->n_moving; i++) {
		int id = c->moving[i];
		Glide *g = &c->glide[id];
		if (g->steps <= 0) {
			g->listed = false; /* landed early: lathe_chain_set snapped it */
			continue;
		}
		if (--g->steps == 0)
			c->current[id] = to_domain(&lathe_params[id], c->target[id]); /* land exactly */
		else
			c->current[id] += g->delta;
		send(c, id);
		if (g->steps > 0)
			c->moving[kept++] = id;
		else
			g->listed = false;
	}
	c->n_moving = kept;
}

/* One slot over n frames (n <= LATHE_SUBBLOCK) of l/r, in place. */
static void run_slot(LatheChain *c, Slot *s, float *l, float *r, int n)
{
	int latency = s->cls->latency(s->dsp);
	bool fading = !(s->on && s->mix >= 1.0f);
	if (!s->running && latency == 0)
		return; /* off, and its dry path is a wire */

	/* The dry path: this module's input, delayed by its latency. The line
	 * is fed even while the module is off, so that a switch finds it full. */
	float dry_l[LATHE_SUBBLOCK], dry_r[LATHE_SUBBLOCK];
	if (latency > 0) {
		unsigned w = c->dry_pos;
		for (int i = 0; i < n; i++) {
			s->dry[0][(w + i) & DRY_MASK] = l[i];
			s->dry[1][(w + i) & DRY_MASK] = r[i];
		}
		if (fading) { /* a module fully on never hears its dry path */
			unsigned rd = w - (unsigned)latency;
			for (int i = 0; i < n; i++) {
				dry_l[i] = s->dry[0][(rd + i) & DRY_MASK];
				dry_r[i] = s->dry[1][(rd + i) & DRY_MASK];
			}
		}
	} else if (fading) {
		memcpy(dry_l, l, n * sizeof(float));
		memcpy(dry_r, r, n * sizeof(float));
	}

	if (!s->running) {
		memcpy(l, dry_l, n * sizeof(float));
		memcpy(r, dry_r, n * sizeof(float));
		return;
	}
	s->cls->process(s->dsp, l, r, n);
	if (!fading)
		return;

	/* Crossfade between dry and module output, frame by frame. */
	for (int i = 0; i < n; i++) {
		if (s->on) {
			if (s->warm_up > 0)
				s->warm_up--;
			else if (s->mix < 1.0f)
				s->mix = fminf(1.0f, s->mix + c->fade_step);
		} else {
			s->mix = fmaxf(0.0f, s->mix - c->fade_step);
		}
		float g = s->mix;
		l[i] = dry_l[i] + g * (l[i] - dry_l[i]);
		r[i] = dry_r[i] + g * (r[i] - dry_r[i]);
	}
	if (!s->on && s->mix <= 0.0f)
		s->running = false;
}

/* The reorder fade: out to silence, swap, back in. */
static void apply_order_fade(LatheChain *c, float *l, float *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (c->reorder_pending) {
			c->order_gain = fmaxf(0.0f, c->order_gain - c->fade_step);
		} else if (c->reorder_hold > 0) {
			c->reorder_hold--;
		} else if (c->order_gain < 1.0f) {
			c->order_gain = fminf(1.0f, c->order_gain + c->fade_step);
		}
		l[i] *= c->order_gain;
		r[i] *= c->order_gain;
	}
	if (c->reorder_pending && c->order_gain <= 0.0f) {
		memcpy(c->order, c->next_order, sizeof(c->order));
		c->reorder_pending = false;
		c->reorder_hold = lathe_chain_latency(c) + c->fade_frames;
	}
}

void lathe_chain_process(LatheChain *c, const float *in_l, const float *in_r,
			 float *out_l, float *out_r, int n)
{
	int done = 0;
	while (done < n) {
		if (c->phase == 0 && c->n_moving > 0)
			step_glides(c);
		int len = LATHE_SUBBLOCK - c->phase;
		if (len > n - done)
			len = n - done;

		float l[LATHE_SUBBLOCK], r[LATHE_SUBBLOCK];
		for (int i = 0; i < len; i++) {
			l[i] = lathe_finite(in_l[done + i]);
			r[i] = lathe_finite(in_r[done + i]);
		}
		for (int k = 0; k < LATHE_MODULE_COUNT; k++)
			run_slot(c, &c->slot[c->order[k]], l, r, len);
		if (c->reorder_pending || c->reorder_hold > 0 || c->order_gain < 1.0f)
			apply_order_fade(c, l, r, len);
		/* Last line of defence: nothing non-finite leaves the chain. */
		for (int i = 0; i < len; i++) {
			out_l[done + i] = lathe_finite(l[i]);
			out_r[done + i] = lathe_finite(r[i]);
		}

		c->dry_pos += (unsigned)len;
		c->phase = (c->phase + len) % LATHE_SUBBLOCK;
		done += len;
	}
}
