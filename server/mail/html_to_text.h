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

/* The marks of the layout form (html_to_text_layout). A link is HTML_TEXT_LINK, its text,
 * HTML_TEXT_ADDRESS, its address and HTML_TEXT_LINK_END: whether and how its address shows
 * depends on both (html_to_text_link_address()). */
#define HTML_TEXT_LINK      '\x19'
#define HTML_TEXT_ADDRESS   '\x1a'
#define HTML_TEXT_LINK_END  '\x1b'
#define HTML_TEXT_UNDERLINE '\x1c' /* then '=' or '-': a heading's underline */
#define HTML_TEXT_GAP1      '\x1d' /* a new line before the next paragraph */
#define HTML_TEXT_GAP2      '\x1e' /* a blank line before the next paragraph */
#define HTML_TEXT_CONTENT   '\x1f' /* between a paragraph's prefix and its words */

/* The layout form, for text templates derived from HTML templates (text_template.c): the
 * same text, unwrapped, with its layout marked so that it can be laid out again once the
 * values are in. Each paragraph is written as the gap before it, its first-line prefix ("> ",
 * list indentation, "- " or "3. "), HTML_TEXT_CONTENT and its words separated by single
 * spaces. No newline ends the text.
 * silent(p, n) returns the length of the silent word at p (a section tag, which prints
 * nothing), or 0: a comment that is one silent word counts as text where it stands, and a
 * paragraph made only of silent words is written as the gap before it and the words without
 * spaces, with no prefix. Returns false when the text cannot be a template: an ordered list
 * holds a silent comment, so its numbers depend on the data. */
bool html_to_text_layout(str_t html, size_t (*silent)(const char *p, size_t n), buf_t *out);

/* Appends a link's address to text, whose last bytes from label_start are the link's text,
 * as html_to_text shows it: " (address)" after the text, or the address alone when there is
 * no text; nothing when the address is empty, a fragment ("#top") or "javascript:", or is
 * the text itself ("mailto:" aside). */
void html_to_text_link_address(buf_t *text, size_t label_start, str_t href);

#endif
