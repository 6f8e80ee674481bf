#include "CCurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// libcurl is loaded when the first transfer needs it, not when the program starts: it and the
// thirty libraries it pulls in (TLS, Kerberos, LDAP, SSH, ...) cost commands that never touch the
// network (search, show, export, status) a few milliseconds of dynamic linking each time. Every
// call below goes through the table `ccurl_load` fills; callers load first.
static struct {
    CURLcode (*global_init)(long flags);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *handle);
    void (*easy_reset)(CURL *handle);
    const char *(*easy_strerror)(CURLcode code);
    CURLcode (*easy_setopt)(CURL *handle, CURLoption option, ...);
    CURLcode (*easy_getinfo)(CURL *handle, CURLINFO info, ...);
    curl_version_info_data *(*version_info)(CURLversion age);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *multi);
    CURLMcode (*multi_add_handle)(CURLM *multi, CURL *handle);
    CURLMcode (*multi_remove_handle)(CURLM *multi, CURL *handle);
    CURLMcode (*multi_perform)(CURLM *multi, int *running);
    CURLMcode (*multi_poll)(CURLM *multi, struct curl_waitfd *extra, unsigned int count, int timeout_ms, int *numfds);
    CURLMsg *(*multi_info_read)(CURLM *multi, int *left);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
    void (*slist_free_all)(struct curl_slist *list);
} curl;

static pthread_once_t loaded = PTHREAD_ONCE_INIT;

// The oldest libcurl with everything the transfers rely on: CURLOPT_PROTOCOLS_STR and
// CURLOPT_REDIR_PROTOCOLS_STR (7.85.0), which restrict requests to ftp, ftps, http, https, sftp and file;
// CURLOPT_CAINFO_BLOB (7.77.0). An older one would refuse those options, and the restriction with them.
#define CCURL_MINIMUM_VERSION 0x075500
#define CCURL_MINIMUM_VERSION_TEXT "7.85.0"
static char load_error[512];

static void *symbol(void *library, const char *name) {
    void *address = dlsym(library, name);
    if (address == NULL && load_error[0] == 0) {
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s", name);
    }
    return address;
}

static void load(void) {
    void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(load_error, sizeof load_error, "%s", reason ? reason : "libcurl.so.4 could not be loaded");
        return;
    }
    curl.global_init = symbol(library, "curl_global_init");
    curl.easy_init = symbol(library, "curl_easy_init");
    curl.easy_cleanup = symbol(library, "curl_easy_cleanup");
    curl.easy_reset = symbol(library, "curl_easy_reset");
    curl.easy_strerror = symbol(library, "curl_easy_strerror");
    curl.easy_setopt = symbol(library, "curl_easy_setopt");
    curl.easy_getinfo = symbol(library, "curl_easy_getinfo");
    curl.version_info = symbol(library, "curl_version_info");
    curl.multi_init = symbol(library, "curl_multi_init");
    curl.multi_cleanup = symbol(library, "curl_multi_cleanup");
    curl.multi_add_handle = symbol(library, "curl_multi_add_handle");
    curl.multi_remove_handle = symbol(library, "curl_multi_remove_handle");
    curl.multi_perform = symbol(library, "curl_multi_perform");
    curl.multi_poll = symbol(library, "curl_multi_poll");
    curl.multi_info_read = symbol(library, "curl_multi_info_read");
    curl.slist_append = symbol(library, "curl_slist_append");
    curl.slist_free_all = symbol(library, "curl_slist_free_all");
    if (load_error[0] == 0) {
        const curl_version_info_data *info = curl.version_info(CURLVERSION_NOW);
        if (info == NULL || info->version_num < CCURL_MINIMUM_VERSION) {
            snprintf(load_error, sizeof load_error,
                     "libcurl %s is older than " CCURL_MINIMUM_VERSION_TEXT ", the first that can restrict transfers to the "
                     "protocols pubmed-mirror uses (CURLOPT_PROTOCOLS_STR)", info && info->version ? info->version : "(unknown)");
        }
    }
}

int ccurl_version_supported(unsigned int version_num) {
    return version_num >= CCURL_MINIMUM_VERSION;
}

const char *ccurl_load(void) {
    pthread_once(&loaded, load);
    return load_error[0] ? load_error : NULL;
}

CURLcode ccurl_global_init(long flags) { return curl.global_init(flags); }
CURL *ccurl_easy_init(void) { return curl.easy_init(); }
void ccurl_easy_cleanup(CURL *handle) { curl.easy_cleanup(handle); }
void ccurl_easy_reset(CURL *handle) { curl.easy_reset(handle); }
const char *ccurl_easy_strerror(CURLcode code) { return curl.easy_strerror(code); }

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode ccurl_setopt_data_callback(CURL *handle, CURLoption option, ccurl_data_callback value) {
    return curl.easy_setopt(handle, option, value);
}
CURLcode ccurl_setopt_xferinfo_callback(CURL *handle, ccurl_xferinfo_callback value) {
    return curl.easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}
CURLcode ccurl_setopt_blob(CURL *handle, CURLoption option, const void *data, size_t length) {
    struct curl_blob blob;
    blob.data = (void *)data;
    blob.len = length;
    blob.flags = CURL_BLOB_COPY;
    return curl.easy_setopt(handle, option, &blob);
}
CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLcode ccurl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLcode ccurl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLcode ccurl_getinfo_string(CURL *handle, CURLINFO info, const char **value) {
    return curl.easy_getinfo(handle, info, value);
}
CURLM *ccurl_multi_init(void) { return curl.multi_init(); }
void ccurl_multi_cleanup(CURLM *multi) { curl.multi_cleanup(multi); }

CURLcode ccurl_perform_polling(CURLM *multi, CURL *handle, int poll_ms) {
    if (curl.multi_add_handle(multi, handle) != CURLM_OK) return CURLE_FAILED_INIT;
    CURLcode result = CURLE_OK;
    int running = 1;
    while (running) {
        CURLMcode code = curl.multi_perform(multi, &running);
        if (code == CURLM_OK && running) code = curl.multi_poll(multi, NULL, 0, poll_ms, NULL);
        if (code == CURLM_OUT_OF_MEMORY) { result = CURLE_OUT_OF_MEMORY; break; }
        if (code != CURLM_OK) { result = CURLE_FAILED_INIT; break; }
    }
    int left = 0;
    CURLMsg *message;
    while ((message = curl.multi_info_read(multi, &left)) != NULL) {
        if (message->msg == CURLMSG_DONE && message->easy_handle == handle) result = message->data.result;
    }
    curl.multi_remove_handle(multi, handle);
    return result;
}

struct curl_slist *ccurl_slist_append(struct curl_slist *list, const char *string) {
    return curl.slist_append(list, string);
}
void ccurl_slist_free_all(struct curl_slist *list) { curl.slist_free_all(list); }
const char *ccurl_version_number(void) {
    return curl.version_info(CURLVERSION_NOW)->version;
}
