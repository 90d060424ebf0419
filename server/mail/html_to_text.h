/* The plain-text alternative of an HTML message, for templates that have none: paragraphs
 * and headings separated by blank lines, list items with "- " or "1. ", links as
 * "text (url)", images as their alt text, scripts and styles left out, wrapped at 78
 * columns (a single word longer than that, such as a URL, keeps its own line). */
#ifndef MC_MAIL_HTML_TO_TEXT_H
#define MC_MAIL_HTML_TO_TEXT_H

#include "core/buf.h"
#include "core/str.h"

/* appends the text of html (UTF-8) to out with LF line ends */
void html_to_text(str_t html, buf_t *out);

#endif
