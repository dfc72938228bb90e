// Internal to notify/: a libcurl easy handle with the settings both channels share.
// Thread-safety: one handle per call; curl_global_init runs once per process.
#pragma once

#include <curl/curl.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

namespace muhafiz::notify::internal {

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

struct CurlListDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlList = std::unique_ptr<curl_slist, CurlListDeleter>;

inline void Append(CurlList& list, const std::string& line) {
    curl_slist* grown = curl_slist_append(list.get(), line.c_str());
    if (grown) {
        (void)list.release();
        list.reset(grown);
    }
}

// A handle for `url` limited to `protocols` ("http,https"), with timeouts, no signals (safe in
// threads) and TLS verification unless `verify_tls` is false.
inline CurlHandle NewCurl(const std::string& url, const char* protocols,
                          std::chrono::milliseconds connect_timeout,
                          std::chrono::milliseconds timeout, bool verify_tls,
                          const std::string& ca_file, char* error_buffer) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    CurlHandle curl(curl_easy_init());
    if (!curl) return curl;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify_tls ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify_tls ? 2L : 0L);
    if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
    error_buffer[0] = '\0';
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    return curl;
}

inline std::string CurlFailure(CURLcode code, const char* error_buffer) {
    return error_buffer[0] ? std::string(error_buffer) : std::string(curl_easy_strerror(code));
}

}  // namespace muhafiz::notify::internal
