/* Splitting a SQL script into statements at top-level semicolons, so that a migration that
 * fails can say which statement (and line) failed. Understands quotes, dollar quotes and
 * comments, so semicolons inside them do not split. */
#ifndef MC_DB_SQL_SPLIT_H
#define MC_DB_SQL_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

typedef struct {
    str_t rest; /* what is left of the script */
    int line;   /* line number at the start of rest (1-based) */
} sql_splitter;

/* Starts splitting script (borrowed for the splitter's lifetime). */
void sql_split_init(sql_splitter *s, str_t script);
/* Takes the next statement (without its semicolon; borrowed from the script) and the line it
 * starts on. Statements that hold only white space and comments are skipped.
 * returns false when no statement is left. */
bool sql_split_next(sql_splitter *s, str_t *statement, int *line);

#endif
