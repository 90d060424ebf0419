/* Running a helper program to completion and collecting what it printed. */
#ifndef MC_CORE_PROCESS_H
#define MC_CORE_PROCESS_H

#include "core/buf.h"

/* Runs argv (argv[0] looked up on PATH) in the folder /, with stdin from /dev/null and
 * stdout+stderr appended to output (when not NULL). returns the exit status, 128+signal when
 * killed, or -1 when it could not be started (then output holds the reason). */
int process_run(char *const argv[], buf_t *output);

#endif
