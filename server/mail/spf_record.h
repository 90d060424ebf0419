/* SPF records (RFC 7208) as text: recognizing one among a name's TXT records, parsing its
 * mechanisms and modifiers, matching an address against an ip4:/ip6: network, and writing the
 * record that adds missing addresses. Pure: no DNS here (spf_eval.h asks it). */
#ifndef MC_MAIL_SPF_RECORD_H
#define MC_MAIL_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

typedef struct {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
} spf_addr;

typedef enum {
    SPF_ALL,
    SPF_INCLUDE,
    SPF_A,
    SPF_MX,
    SPF_PTR,
    SPF_IP4,
    SPF_IP6,
    SPF_EXISTS
} spf_mechanism;

typedef struct {
    char qualifier; /* '+', '-', '~' or '?' */
    spf_mechanism mechanism;
    char *domain;    /* include:, exists:, a:, mx:, ptr: target; NULL: the current domain */
    spf_addr net;    /* ip4:, ip6: */
    int prefix4;     /* ip4: and a/mx's /N; 32 when absent */
    int prefix6;     /* ip6: and a/mx's //N; 128 when absent */
    bool has_macros; /* the domain holds %{...}: not expanded here */
} spf_term;

typedef struct {
    spf_term *terms;
    size_t count;
    char *redirect; /* redirect=, or NULL */
} spf_record;

/* returns whether txt is an SPF record: "v=spf1" alone or followed by a space (any case) */
bool spf_is_record(const char *txt);
/* Parses an SPF record. returns 0 with *out (caller frees with spf_record_free()), or -1 with
 * err (400, code "spf_syntax") naming the term that is not valid: a permerror. */
int spf_record_parse(const char *txt, spf_record *out, mc_error *err);
void spf_record_free(spf_record *r);

/* Parses a textual IPv4 or IPv6 address. returns 0, or -1 when text is neither. */
int spf_addr_parse(const char *text, spf_addr *out);
/* returns whether addr lies in net/prefix (false when the families differ) */
bool spf_cidr_match(const spf_addr *addr, const spf_addr *net, int prefix);

/* returns the record txt with "ip4:A" / "ip6:A" added for each address of missing, placed
 * before its "all" mechanism or redirect= (else at the end); caller frees with free() */
char *spf_record_with_addresses(const char *txt, const char *const *missing, size_t count);

#endif
