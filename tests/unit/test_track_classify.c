/* Human or machine, with user agents recorded from real clients, proxies and scanners, and the
 * timings they show. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "track/classify.h"

/* recorded user agents */
static const char CHROME[] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                             "like Gecko) Chrome/120.0.0.0 Safari/537.36";
static const char IPHONE_MAIL[] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) "
                                  "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
static const char OUTLOOK[] = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)";
static const char THUNDERBIRD[] =
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.5.0";
static const char ANDROID_CUBOT[] =
    "Mozilla/5.0 (Linux; Android 10; CUBOT X30 Build/QP1A) AppleWebKit/537.36 (KHTML, like "
    "Gecko) Chrome/119.0.6045.163 Mobile Safari/537.36";
static const char APPLE_PROXY[] = "Mozilla/5.0";
static const char GMAIL_PROXY[] =
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)";
static const char YAHOO_PROXY[] =
    "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html";
static const char BING_PREVIEW[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/79.0.3945.88 Safari/537.36 Edg/79.0.309.56 BingPreview/1.0b";
static const char GOOGLEBOT[] =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
static const char BARRACUDA[] = "Barracuda Sentinel (EE)";
static const char HEADLESS[] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                               "Gecko) HeadlessChrome/119.0.6045.105 Safari/537.36";
static const char PYTHON[] = "python-requests/2.31.0";
static const char CURL[] = "curl/7.88.1";

static track_event event(track_kind kind, const char *agent, double after_send)
{
    track_event e = {.kind = kind, .user_agent = agent, .message_id = 1, .at = 1700000000.0};
    e.sent_at = after_send < 0 ? -1 : e.at - after_send;
    return e;
}

static const char *judge(track_event e)
{
    track_classify_batch(&e, 1);
    assert_true(e.machine == (e.reason[0] != '\0'));
    return e.reason;
}

static void test_people_in_mail_clients_and_browsers_are_human(void **state)
{
    (void)state;
    const char *people[] = {CHROME, IPHONE_MAIL, OUTLOOK, THUNDERBIRD, ANDROID_CUBOT};
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        assert_string_equal(judge(event(TRACK_OPEN, people[i], 3600)), "");
        assert_string_equal(judge(event(TRACK_CLICK, people[i], 3600)), "");
    }
}

static void test_image_proxies_open_as_machines(void **state)
{
    (void)state;
    assert_string_equal(judge(event(TRACK_OPEN, APPLE_PROXY, 3600)), "apple_privacy_proxy");
    assert_string_equal(judge(event(TRACK_OPEN, GMAIL_PROXY, 3600)), "image_proxy");
    assert_string_equal(judge(event(TRACK_OPEN, YAHOO_PROXY, 3600)), "image_proxy");
    assert_string_equal(judge(event(TRACK_OPEN, "", 3600)), "no_user_agent");
}

static void test_scanners_and_bots_click_as_machines(void **state)
{
    (void)state;
    assert_string_equal(judge(event(TRACK_CLICK, BARRACUDA, 3600)), "scanner");
    assert_string_equal(judge(event(TRACK_CLICK, "Mimecast URL Protect", 3600)), "scanner");
    assert_string_equal(judge(event(TRACK_CLICK, "Proofpoint URL Defense", 3600)), "scanner");
    assert_string_equal(judge(event(TRACK_CLICK, BING_PREVIEW, 3600)), "bot");
    assert_string_equal(judge(event(TRACK_CLICK, GOOGLEBOT, 3600)), "bot");
    assert_string_equal(judge(event(TRACK_CLICK, HEADLESS, 3600)), "bot");
    assert_string_equal(judge(event(TRACK_CLICK, PYTHON, 3600)), "bot");
    assert_string_equal(judge(event(TRACK_CLICK, CURL, 3600)), "bot");
}

static void test_a_head_request_is_a_scanner_whatever_its_agent(void **state)
{
    (void)state;
    track_event e = event(TRACK_CLICK, CHROME, 3600);
    e.head = true;
    assert_string_equal(judge(e), "head_request");
}

static void test_opens_and_clicks_right_after_delivery_are_machines(void **state)
{
    (void)state;
    assert_string_equal(judge(event(TRACK_OPEN, IPHONE_MAIL, 1.2)), "soon_after_delivery");
    assert_string_equal(judge(event(TRACK_OPEN, IPHONE_MAIL, 6)), "");
    assert_string_equal(judge(event(TRACK_CLICK, CHROME, 4)), "soon_after_delivery");
    assert_string_equal(judge(event(TRACK_CLICK, CHROME, 11)), "");
    /* the send time is unknown (the message was deleted): the rule cannot apply */
    assert_string_equal(judge(event(TRACK_CLICK, CHROME, -1)), "");
}

static void test_known_proxy_and_scanner_addresses_are_machines(void **state)
{
    (void)state;
    track_event e = event(TRACK_OPEN, IPHONE_MAIL, 3600);
    e.client_hint = "17.58.63.0";
    assert_string_equal(judge(e), "proxy_address");
    e.client_hint = "17.58.63.0/24";
    assert_string_equal(judge(e), "proxy_address");
    e.client_hint = "2a01:111:f400:7e00::/48";
    e.kind = TRACK_CLICK;
    assert_string_equal(judge(e), "scanner_address");
    e.client_hint = "148.163.150.0";
    assert_string_equal(judge(e), "scanner_address");
    e.client_hint = "203.0.113.0";
    assert_string_equal(judge(e), "");
    e.client_hint = "2001:db8:1::/48";
    assert_string_equal(judge(e), "");
    e.client_hint = "not an address";
    assert_string_equal(judge(e), "");
    assert_null(track_address_machine(NULL, TRACK_OPEN));
}

static void test_every_link_clicked_at_once_is_a_scanner(void **state)
{
    (void)state;
    /* message 1: its three links within 0.8 s, an hour after delivery, with a browser's agent;
     * message 2: two of the three links, a person reading; message 3: one link, clicked
     * twice */
    track_event e[] = {
        {.kind = TRACK_OPEN, .message_id = 1, .at = 100.0},
        {.kind = TRACK_CLICK, .message_id = 1, .link_id = 10, .at = 100.1},
        {.kind = TRACK_CLICK, .message_id = 1, .link_id = 11, .at = 100.5},
        {.kind = TRACK_CLICK, .message_id = 1, .link_id = 12, .at = 100.9},
        {.kind = TRACK_CLICK, .message_id = 1, .link_id = 10, .at = 500.0},
        {.kind = TRACK_CLICK, .message_id = 2, .link_id = 10, .at = 100.0},
        {.kind = TRACK_CLICK, .message_id = 2, .link_id = 11, .at = 101.0},
        {.kind = TRACK_CLICK, .message_id = 2, .link_id = 12, .at = 140.0},
        {.kind = TRACK_CLICK, .message_id = 3, .link_id = 20, .at = 100.0},
        {.kind = TRACK_CLICK, .message_id = 3, .link_id = 20, .at = 100.2},
    };
    size_t n = sizeof e / sizeof e[0];
    for (size_t i = 0; i < n; i++) {
        e[i].user_agent = CHROME;
        e[i].sent_at = 0;
        e[i].campaign_links = e[i].message_id == 3 ? 1 : 3;
    }
    track_classify_batch(e, n);
    bool expected[] = {false, true, true, true, false, false, false, false, false, false};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e[i].machine, expected[i]);
        if (expected[i]) assert_string_equal(e[i].reason, "all_links_at_once");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_people_in_mail_clients_and_browsers_are_human),
        cmocka_unit_test(test_image_proxies_open_as_machines),
        cmocka_unit_test(test_scanners_and_bots_click_as_machines),
        cmocka_unit_test(test_a_head_request_is_a_scanner_whatever_its_agent),
        cmocka_unit_test(test_opens_and_clicks_right_after_delivery_are_machines),
        cmocka_unit_test(test_known_proxy_and_scanner_addresses_are_machines),
        cmocka_unit_test(test_every_link_clicked_at_once_is_a_scanner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
