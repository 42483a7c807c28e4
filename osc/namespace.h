/* lathe — the OSC namespace: what a path addresses, and the listing and
 * documentation of every path. It adds to the parameter registry only what
 * OSC has and the registry has not: the scopes (/a, /b, /snapshot/N), the
 * /norm twins, the chain orders, the actions and the reported state. The
 * protocol is described in osc/README.md.
 *
 * Pure lookups on constant data; any thread (used on the main loop).
 */
#ifndef LATHE_OSC_NAMESPACE_H
#define LATHE_OSC_NAMESPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
	LATHE_ADDRESS_PARAM,  /* a registry parameter in a target */
	LATHE_ADDRESS_ORDER,  /* a target's module order */
	LATHE_ADDRESS_ACTION, /* something done, not a value */
	LATHE_ADDRESS_STATE   /* reported, not set: see LatheStateAddress */
} LatheAddressKind;

typedef enum {
	LATHE_ACTION_CHAIN_TOGGLE,
	LATHE_ACTION_COPY_A_TO_B,
	LATHE_ACTION_COPY_B_TO_A,
	LATHE_ACTION_SNAPSHOT_STORE,  /* n */
	LATHE_ACTION_SNAPSHOT_RECALL, /* n */
	LATHE_ACTION_LOUDNESS_RESET,
	LATHE_ACTION_SESSION_SAVE,    /* optional s: file */
	LATHE_ACTION_SESSION_LOAD,    /* s: file */
	LATHE_ACTION_COUNT
} LatheActionId;

typedef enum {
	LATHE_STATE_SNAPSHOT_STORED, /* n: 0/1 */
	LATHE_STATE_SNAPSHOT_ACTIVE, /* see lathe_state_active_snapshot */
	LATHE_STATE_SESSION_FILE,    /* s */
	LATHE_STATE_SESSION_DIRTY,   /* 0/1 */
	LATHE_STATE_ADDRESS_COUNT
} LatheStateAddress;

typedef struct {
	LatheAddressKind kind;
	int target; /* LATHE_TARGET_* (state.h) of a parameter or an order */
	int id;     /* registry id, LatheActionId or LatheStateAddress */
	int n;      /* the snapshot of an action or a state address, from 1 */
	bool norm;  /* the 0..1 twin of a parameter */
} LatheAddress;

/* What a path addresses; false for a path that is not in the namespace
 * (/lathe/... included: the server handles those itself). */
bool lathe_address_parse(const char *path, LatheAddress *a);
/* The path of an address (the inverse of lathe_address_parse). */
void lathe_address_format(const LatheAddress *a, char *path, size_t size);

/* The actions and state addresses as documented: path with N for a
 * snapshot number, arguments, one sentence. */
typedef struct {
	const char *path;
	const char *args;
	const char *help;
} LatheOscEntry;
extern const LatheOscEntry lathe_osc_actions[LATHE_ACTION_COUNT];
extern const LatheOscEntry lathe_osc_state[LATHE_STATE_ADDRESS_COUNT];
/* The actions and the reported state as groups, with the scope name that
 * listings give them ("action", "state"). */
typedef struct {
	const LatheOscEntry *table;
	int count;
	const char *scope;
} LatheOscGroup;
extern const LatheOscGroup lathe_osc_groups[];
extern const int lathe_osc_group_count;
/* The server's own messages (/lathe/...), and the meters (/meter/...). */
extern const LatheOscEntry lathe_osc_control[];
extern const int lathe_osc_control_count;
extern const LatheOscEntry lathe_osc_meters[];
extern const int lathe_osc_meter_count;

/* The children of a path ("/", "/eq", "/snapshot/3/"), each a name with a
 * trailing '/' if it is a container; calls fn once per child, in order,
 * without repeats. Returns the number of children (0: not a container). */
int lathe_namespace_children(const char *path, void (*fn)(const char *child, void *data),
			     void *data);

/* The namespace page (Markdown): every path, its range, unit, default and
 * help, the actions, the state, the meters and the server's messages. */
void lathe_namespace_doc(FILE *f);

#endif
