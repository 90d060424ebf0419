/* UTM tagging: a campaign's `utm` settings appended to the links of its HTML template, once
 * when the campaign is compiled, so that web analytics attribute the visits to it. */
#ifndef MC_CAMPAIGN_UTM_LINKS_H
#define MC_CAMPAIGN_UTM_LINKS_H

#include <jansson.h>

#include "core/buf.h"
#include "core/str.h"

/* Appends html (a template's text, Mustache tags and all) to out with utm_KEY=VALUE for each
 * member of utm (an object of strings: source, medium, campaign, term, content; borrowed)
 * added to the query of every <a>/<area> href that is written as an absolute http(s) URL and
 * has no utm_ parameter of its own, before any #fragment. Values are percent-encoded.
 * Other links (mailto:, a tag alone such as {{unsubscribe_url}}, relative ones) and the rest
 * of the text are copied unchanged. With an empty utm, out gets html as it is. */
void utm_tag_links(str_t html, json_t *utm, buf_t *out);

#endif
