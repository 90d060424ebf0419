/* The text part of an HTML template that has none, derived once per template instead of
 * converting every rendered message: the HTML template's tags are swapped for placeholder
 * words, the HTML is converted once (html_to_text_layout) and the tags are put back. Each
 * message then renders that text template and lays its paragraphs out again, so that values
 * of any length wrap as html_to_text would wrap them. Templates it cannot derive safely are
 * refused with the reason, and their messages are converted one by one (docs/mail.md). */
#ifndef MC_MAIL_TEXT_TEMPLATE_H
#define MC_MAIL_TEXT_TEMPLATE_H

#include <jansson.h>

#include "core/buf.h"
#include "core/error.h"
#include "template/template.h"

/* Derives the text template of html, whose partials and parents come from loader (may be
 * NULL). On success returns 0 and *out gets a template the caller frees with template_free()
 * and renders only with text_template_render(). Returns -1 with err (code
 * "text_not_derived") saying why when the text must be converted message by message. */
int text_template_derive(str_t html, const template_loader *loader, template_t **out,
                         mc_error *err);

/* Renders derived template t with context (borrowed; values are not HTML-escaped) and
 * appends the text, wrapped at 78 columns, to out. scratch is a buffer the caller reuses
 * across calls. returns 0, or -1 with err as template_render() fills it (out unchanged). */
int text_template_render(const template_t *t, json_t *context, buf_t *scratch, buf_t *out,
                         mc_error *err);

/* Lays out the layout form of a text (html_to_text_layout(), once rendered) into out: gaps
 * merged, white space collapsed, empty paragraphs left out, 78-column wrapping. */
void text_template_lay_out(str_t marked, buf_t *out);

#endif
