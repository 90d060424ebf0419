/* Shutdown signals for long-running subcommands: blocked in every thread and awaited by the
 * main thread, so no handler runs in the middle of library code. */
#ifndef MC_CLI_SIGNALS_H
#define MC_CLI_SIGNALS_H

#include <signal.h>

/* Blocks SIGTERM, SIGINT and SIGHUP (call before starting threads) and ignores SIGPIPE. */
void cli_block_shutdown_signals(sigset_t *set);
/* Waits for one of them; returns its number. */
int cli_wait_for_shutdown(const sigset_t *set);

#endif
