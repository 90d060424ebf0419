/* Logging: one line per event on stderr, "2026-11-23T13:00:00.123Z level message". */
#ifndef MC_CORE_LOG_H
#define MC_CORE_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
