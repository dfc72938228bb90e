#include "notify/webhook_channel.hpp"

#include <sodium.h>

#include <cstdlib>

#include "core/ids.hpp"
#include "notify/curl_easy.hpp"

namespace muhafiz::notify {
namespace {

constexpr std::size_t kDetailBytes = 200;

std::size_t KeepStart(char* data, std::size_t size, std::size_t count, void* user) {
    auto* out = static_cast<std::string*>(user);
    const std::size_t n = size * count;
    if (out->size() < kDetailBytes) out->append(data, std::min(n, kDetailBytes - out->size()));
    return n;
}

}  // namespace

std::string WebhookSignature(std::string_view secret, std::string_view body) {
    if (sodium_init() < 0) std::abort();
    crypto_auth_hmacsha256_state state;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()),
                                secret.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                  body.size());
    crypto_auth_hmacsha256_final(&state, mac);
    return "sha256=" + core::HexEncode(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
}

Result<DeliveryResult> WebhookChannel::Send(const Delivery& d) {
    if (d.recipients.size() != 1)
        return DeliveryResult{DeliveryOutcome::kPermanent, "a webhook has exactly one URL"};
    char error[CURL_ERROR_SIZE];
    auto curl = internal::NewCurl(d.recipients.front(), "http,https", config_.connect_timeout,
                                  config_.timeout, config_.verify_tls, config_.ca_file, error);
    if (!curl) return core::Fail(core::ErrorCode::kInternal, "curl_easy_init failed");
    CURL* c = curl.get();
    internal::CurlList headers;
    internal::Append(headers, "Content-Type: application/json");
    internal::Append(headers, "X-Muhafiz-Event: " + d.event);
    internal::Append(headers, "X-Muhafiz-Delivery: " + d.uuid);
    internal::Append(headers, "X-Muhafiz-Signature: " + WebhookSignature(d.secret, d.payload));
    internal::Append(headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_USERAGENT, config_.user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, d.payload.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(d.payload.size()));
    std::string answer;
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &KeepStart);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);

    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        return DeliveryResult{DeliveryOutcome::kRetry, internal::CurlFailure(rc, error)};
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    std::string detail = "HTTP " + std::to_string(status);
    if (!answer.empty()) detail += ": " + answer;
    if (status >= 200 && status < 300) return DeliveryResult{DeliveryOutcome::kDelivered, detail};
    if (status >= 400 && status < 500 && status != 408 && status != 429)
        return DeliveryResult{DeliveryOutcome::kPermanent, detail};
    return DeliveryResult{DeliveryOutcome::kRetry, detail};
}

}  // namespace muhafiz::notify
