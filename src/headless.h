/* lathe — `lathe --headless`: the console on JACK without a display. */
#ifndef LATHE_HEADLESS_H
#define LATHE_HEADLESS_H

/* Run until SIGINT or SIGTERM; argv[0] is the program. Returns the exit
 * status: 0 after a clean stop, 1 for a bad session, 2 for bad options. */
int lathe_headless_main(int argc, char **argv);

#endif
