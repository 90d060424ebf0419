/* Relaxed canonicalization (RFC 6376 3.4.2, 3.4.4) against answers written out by hand: the
 * example of RFC 6376 3.4.5, and the edges of the body (empty, no final CRLF, trailing empty
 * lines, a CR split from its LF between two pieces). Each body is fed in pieces of every size. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dkim_canon.h"

static void collect(void *ctx, const char *p, size_t n)
{
    buf_append(ctx, p, n);
}

/* returns the relaxed body of body fed in pieces of step bytes (0: all at once); caller
 * frees with free() */
static char *body_relaxed(const char *body, size_t n, size_t step)
{
    buf_t out = BUF_INIT;
    dkim_body_canon c;
    dkim_body_canon_init(&c, collect, &out);
    if (step == 0) step = n ? n : 1;
    for (size_t at = 0; at < n; at += step)
        dkim_body_canon_update(&c, body + at, n - at < step ? n - at : step);
    dkim_body_canon_final(&c);
    buf_putc(&out, '\0');
    return buf_detach(&out, NULL);
}

/* checks body in every piece size from 1 to its length against want */
static void assert_body(const char *body, const char *want)
{
    size_t n = strlen(body);
    for (size_t step = 0; step <= n; step++) {
        char *got = body_relaxed(body, n, step);
        assert_string_equal(got, want);
        free(got);
    }
}

static void assert_header(const char *field, const char *want)
{
    buf_t out = BUF_INIT;
    dkim_canon_header_relaxed(str_from_cstr(field), &out);
    assert_string_equal(buf_cstr(&out), want);
    buf_free(&out);
}

/* RFC 6376 3.4.5: "A: X", "B : Y<HTAB><CRLF><HTAB>Z<SP><SP>" become "a:X" and "b:Y Z" */
static void rfc6376_example_header_fields(void **state)
{
    (void)state;
    assert_header("A: X", "a:X");
    assert_header("B : Y\t\r\n\tZ  ", "b:Y Z");
}

/* RFC 6376 3.4.5: "<SP>C<SP><CRLF>D<SP><HTAB><SP>E<CRLF><CRLF><CRLF>" becomes
 * "<SP>C<CRLF>D<SP>E<CRLF>" */
static void rfc6376_example_body(void **state)
{
    (void)state;
    assert_body(" C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n");
}

static void header_name_is_lowercased_and_value_keeps_its_case_and_utf8(void **state)
{
    (void)state;
    assert_header("Subject:  =?UTF-8?Q?Gr=C3=B6=C3=9Fe?=   und \tmehr \t",
                  "subject:=?UTF-8?Q?Gr=C3=B6=C3=9Fe?= und mehr");
    assert_header("To: \"Zo\xc3\xab \xc3\x9cnal\"  <zoe@example.org>",
                  "to:\"Zo\xc3\xab \xc3\x9cnal\" <zoe@example.org>");
    assert_header("Content-Type: multipart/alternative;\r\n boundary=\"=_b\"",
                  "content-type:multipart/alternative; boundary=\"=_b\"");
    assert_header("X-Empty:", "x-empty:");
    assert_header("X-Blank: \t ", "x-blank:");
}

/* RFC 6376 3.4.4: relaxed adds no CRLF to an empty body (simple does), as libopendkim and
 * dkimpy hash it */
static void empty_body_stays_empty(void **state)
{
    (void)state;
    assert_body("", "");
    assert_body("\r\n", "");
    assert_body("\r\n\r\n \t\r\n", "");
}

static void last_line_without_crlf_gets_one(void **state)
{
    (void)state;
    assert_body("Hello", "Hello\r\n");
    assert_body("Hello \t", "Hello\r\n");
    assert_body("a\r\n\r\nb  c", "a\r\n\r\nb c\r\n");
}

static void empty_lines_inside_stay_and_trailing_ones_go(void **state)
{
    (void)state;
    assert_body("a\r\n\r\n\r\nb\r\n\r\n", "a\r\n\r\n\r\nb\r\n");
    assert_body("a\r\n \t \r\nb\r\n", "a\r\n\r\nb\r\n");
    assert_body("\r\n\r\na\r\n", "\r\n\r\na\r\n");
}

static void leading_white_space_becomes_one_space(void **state)
{
    (void)state;
    assert_body("\t\tindented  text\r\n", " indented text\r\n");
}

/* only CRLF ends a line: a bare CR or LF is an ordinary byte */
static void bare_cr_and_lf_are_ordinary_bytes(void **state)
{
    (void)state;
    assert_body("a\rb\r\n", "a\rb\r\n");
    assert_body("a\nb \n\r\n", "a\nb \n\r\n");
    assert_body("a \r", "a \r\r\n");
    assert_body("a\r\r\n", "a\r\r\n");
}

static void long_lines_pass_whole_across_chunks(void **state)
{
    (void)state;
    size_t n = 3 * DKIM_CANON_CHUNK + 17;
    char *body = malloc(n + 3);
    for (size_t i = 0; i < n; i++)
        body[i] = (char)('a' + i % 26);
    memcpy(body + n, "\r\n", 3);
    char *got = body_relaxed(body, n + 2, 1000);
    assert_int_equal(strlen(got), n + 2);
    assert_memory_equal(got, body, n + 2);
    free(got);
    free(body);
}

/* RFC 6376 3.4.4 written the plain way: each CRLF-ended line (and a last one without CRLF)
 * with white space runs made one space and white space at its end removed, then the empty
 * lines at the end removed. returns a new string; caller frees with free(). */
static char *reference_body(const char *body, size_t n)
{
    buf_t out = BUF_INIT, line = BUF_INIT;
    size_t kept = 0; /* out's length up to its last non-empty line */
    for (size_t i = 0; i <= n;) {
        const char *crlf = NULL;
        for (size_t k = i; k + 1 < n && !crlf; k++)
            if (body[k] == '\r' && body[k + 1] == '\n') crlf = body + k;
        size_t end = crlf ? (size_t)(crlf - body) : n;
        buf_reset(&line);
        for (size_t k = i; k < end; k++) {
            bool wsp = body[k] == ' ' || body[k] == '\t';
            if (wsp && line.n && line.p[line.n - 1] == ' ' && k > i &&
                (body[k - 1] == ' ' || body[k - 1] == '\t'))
                continue;
            buf_putc(&line, wsp ? ' ' : body[k]);
        }
        while (line.n && line.p[line.n - 1] == ' ')
            line.n--;
        if (!crlf && end == i) break; /* nothing after the last CRLF */
        buf_append(&out, line.p, line.n);
        buf_append(&out, "\r\n", 2);
        if (line.n) kept = out.n;
        i = end + 2;
        if (!crlf) break;
    }
    out.n = kept;
    buf_putc(&out, '\0');
    buf_free(&line);
    return buf_detach(&out, NULL);
}

/* the next of a fixed sequence of pseudo-random numbers from *seed (15 bits) */
static unsigned next_random(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

/* Fills out with a pseudo-random count (under size) of bytes, each pick(r, round) of a
 * number r from *seed. returns the count. */
static size_t random_text(char *out, size_t size, unsigned *seed, int round,
                          char (*pick)(unsigned r, int round))
{
    size_t n = next_random(seed) % size;
    for (size_t i = 0; i < n; i++)
        out[i] = pick(next_random(seed), round);
    return n;
}

/* a body byte: spaces, tabs, CR and LF as often as letters in even rounds, rarely in odd */
static char body_byte(unsigned r, int round)
{
    static const char alphabet[] = "ab  \t\r\n\r\n", sparse[] = "abcdefghijklmnopqrstuvwxyz ";
    if (round % 2 == 0) return alphabet[r % (sizeof alphabet - 1)];
    return r % 97 == 0 ? alphabet[(r >> 8) % (sizeof alphabet - 1)]
                       : sparse[r % (sizeof sparse - 1)];
}

/* a header byte: white space, folds and bare CRs (often every fourth round), colons, and
 * otherwise letters and punctuation */
static char header_byte(unsigned r, int round)
{
    static const char specials[] = "  \t\r\r\n \r\n\t";
    if (r % (round % 4 == 0 ? 3 : 17) == 0) return specials[(r >> 8) % (sizeof specials - 1)];
    return r % 29 == 0 ? ':' : (char)('A' + r % 50);
}

/* random bodies of spaces, tabs, CR, LF and letters, against the plain reference, fed whole
 * and in pieces of several sizes: the fast path (canonical stretches passed on as they are,
 * scanned 16 and 64 bytes at a time) and the byte path must agree with it wherever a body
 * is cut; every other round draws mostly letters, so that long canonical stretches end in
 * a change at every offset of the scanner's blocks */
static void random_bodies_match_the_plain_reference(void **state)
{
    (void)state;
    unsigned seed = 12345;
    char body[600];
    for (int round = 0; round < 3000; round++) {
        size_t n = random_text(body, sizeof body, &seed, round, body_byte);
        char *want = reference_body(body, n);
        static const size_t steps[] = {0, 1, 2, 3, 7, 16, 17, 33};
        for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
            char *got = body_relaxed(body, n, steps[s]);
            assert_string_equal(got, want);
            free(got);
        }
        free(want);
    }
}

/* RFC 6376 3.4.2 written the plain way: the name lower-cased and trimmed, CRLFs removed,
 * runs of white space made one space, white space around the value removed. returns a new
 * string; caller frees with free(). */
static char *reference_header(const char *field, size_t n)
{
    buf_t out = BUF_INIT, value = BUF_INIT;
    const char *colon = memchr(field, ':', n);
    size_t name_n = colon ? (size_t)(colon - field) : n;
    while (name_n > 0 && (field[name_n - 1] == ' ' || field[name_n - 1] == '\t'))
        name_n--;
    for (size_t i = 0; i < name_n; i++)
        buf_putc(&out, field[i] >= 'A' && field[i] <= 'Z' ? (char)(field[i] + 32) : field[i]);
    if (colon) {
        buf_putc(&out, ':');
        size_t start = (size_t)(colon - field) + 1;
        for (size_t i = start; i < n; i++) { /* unfold */
            if (field[i] == '\r' && i + 1 < n && field[i + 1] == '\n') {
                i++;
                continue;
            }
            bool wsp = field[i] == ' ' || field[i] == '\t';
            if (wsp && value.n && value.p[value.n - 1] == ' ') continue;
            if (wsp && !value.n) continue;
            buf_putc(&value, wsp ? ' ' : field[i]);
        }
        while (value.n && value.p[value.n - 1] == ' ')
            value.n--;
        buf_append(&out, value.p, value.n);
    }
    buf_putc(&out, '\0');
    buf_free(&value);
    return buf_detach(&out, NULL);
}

/* random header fields against the plain reference: long values with spaces, tabs, folds
 * and bare CRs at every offset of the 16-byte scanner */
static void random_header_fields_match_the_plain_reference(void **state)
{
    (void)state;
    unsigned seed = 777;
    char field[200];
    for (int round = 0; round < 5000; round++) {
        size_t n = random_text(field, sizeof field, &seed, round, header_byte);
        char *want = reference_header(field, n);
        buf_t out = BUF_INIT;
        buf_append_cstr(&out, "x");
        dkim_canon_header_relaxed((str_t){field, n}, &out);
        assert_string_equal(out.p + 1, want);
        free(want);
        buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc6376_example_header_fields),
        cmocka_unit_test(rfc6376_example_body),
        cmocka_unit_test(header_name_is_lowercased_and_value_keeps_its_case_and_utf8),
        cmocka_unit_test(empty_body_stays_empty),
        cmocka_unit_test(last_line_without_crlf_gets_one),
        cmocka_unit_test(empty_lines_inside_stay_and_trailing_ones_go),
        cmocka_unit_test(leading_white_space_becomes_one_space),
        cmocka_unit_test(bare_cr_and_lf_are_ordinary_bytes),
        cmocka_unit_test(long_lines_pass_whole_across_chunks),
        cmocka_unit_test(random_bodies_match_the_plain_reference),
        cmocka_unit_test(random_header_fields_match_the_plain_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
