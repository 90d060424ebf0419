#include "track/curl_setup.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_setup(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

CURL *track_curl_new(long timeout_ms)
{
    pthread_once(&curl_once, curl_setup);
    CURL *curl = curl_easy_init();
    if (!curl) abort(); /* only fails when out of memory */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    return curl;
}
