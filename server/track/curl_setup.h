/* libcurl for this folder (the bounce mailbox, SNS certificates): one global initialisation
 * before the first handle, whichever thread makes it. */
#ifndef MC_TRACK_CURL_SETUP_H
#define MC_TRACK_CURL_SETUP_H

#include <curl/curl.h>

/* returns a new easy handle with signals off and timeout_ms as its connect and total limit
 * (caller frees with curl_easy_cleanup()); aborts when out of memory */
CURL *track_curl_new(long timeout_ms);

#endif
