#ifndef PUBMED_MIRROR_CCURL_H
#define PUBMED_MIRROR_CCURL_H
// Typed wrappers over libcurl's variadic curl_easy_setopt and curl_easy_getinfo, which Swift cannot
// call (one function per argument kind; each returns libcurl's own CURLcode), and over the few other
// libcurl functions the project uses. libcurl itself is loaded on first use (ccurl_load), so that
// commands that never transfer anything do not pay for linking it and its dependencies.
// https://curl.se/libcurl/c/curl_easy_setopt.html  https://curl.se/libcurl/c/curl_easy_getinfo.html
#include <curl/curl.h>

typedef size_t (*ccurl_data_callback)(char *buffer, size_t size, size_t count, void *userdata);
typedef int (*ccurl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

/// Loads libcurl (once; later calls return at once): NULL when it is ready, else why it could not be
/// loaded or is too old (see CCURL_MINIMUM_VERSION). Every other function here needs it loaded.
const char *ccurl_load(void);

/// Whether a libcurl of `version_num` (0xXXYYZZ) has every option the transfers rely on.
int ccurl_version_supported(unsigned int version_num);

/// libcurl's own functions, through the loaded library.
CURLcode ccurl_global_init(long flags);
CURL *ccurl_easy_init(void);
void ccurl_easy_cleanup(CURL *handle);
void ccurl_easy_reset(CURL *handle);
const char *ccurl_easy_strerror(CURLcode code);

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_setopt_data_callback(CURL *handle, CURLoption option, ccurl_data_callback value);
CURLcode ccurl_setopt_xferinfo_callback(CURL *handle, ccurl_xferinfo_callback value);
/// Sets a blob option (CURLOPT_CAINFO_BLOB…); libcurl copies the bytes.
CURLcode ccurl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length);

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode ccurl_getinfo_double(CURL *handle, CURLINFO info, double *value);
CURLcode ccurl_getinfo_string(CURL *handle, CURLINFO info, const char **value);

/// A multi handle: one per session, so that its connection cache keeps each connection between
/// the requests `ccurl_perform_polling` makes through it.
CURLM *ccurl_multi_init(void);
void ccurl_multi_cleanup(CURLM *multi);

/// Runs `handle`'s request to its end through `multi`, as curl_easy_perform would, but waiting
/// at most `poll_ms` between rounds of work: libcurl 7.88 can set an FTP data connection up
/// without the timer that would start it, and curl_easy_perform's own wait is 1 s (seen after a
/// quick EPSV reply, on about half of the uploads of two parallel workers). The result of the
/// request, or CURLE_FAILED_INIT / CURLE_OUT_OF_MEMORY when the multi interface itself fails.
CURLcode ccurl_perform_polling(CURLM *multi, CURL *handle, int poll_ms);

/// A list of strings (FTP or SFTP commands for CURLOPT_QUOTE and CURLOPT_POSTQUOTE): libcurl copies
/// each string; the list is freed with ccurl_slist_free_all once the request is done.
struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *string);
void ccurl_slist_free_all(struct curl_slist *list);

/// The version string of the libcurl the process runs with ("7.88.1").
const char *ccurl_version_number(void);

#endif
