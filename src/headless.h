/* lathe — the console on JACK: `lathe` (the GTK window when a display is
 * there) and `lathe --headless` (none). The same state, host, OSC server,
 * options, stdin commands and signals in both. */
#ifndef LATHE_HEADLESS_H
#define LATHE_HEADLESS_H

#include <stdbool.h>

/* Run until SIGINT or SIGTERM (or the window is closed); argv[0] is the
 * program. gui: open the window if a display can be opened (else say so
 * and run headless). Returns the exit status: 0 after a clean stop, 1 for
 * a bad session or a taken OSC port, 2 for bad options. */
int lathe_headless_main(int argc, char **argv, bool gui);

#endif
