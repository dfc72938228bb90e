#include "notify/smtp_channel.hpp"

#include <algorithm>
#include <cstring>

#include "notify/curl_easy.hpp"

namespace muhafiz::notify {
namespace {

struct Upload {
    std::string_view data;
    std::size_t pos = 0;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* up = static_cast<Upload*>(user);
    const std::size_t n = std::min(size * count, up->data.size() - up->pos);
    std::memcpy(buffer, up->data.data() + up->pos, n);
    up->pos += n;
    return n;
}

}  // namespace

Result<DeliveryResult> SmtpChannel::Send(const Delivery& d) {
    if (d.recipients.empty())
        return DeliveryResult{DeliveryOutcome::kPermanent, "the message has no recipients"};
    char error[CURL_ERROR_SIZE];
    auto curl = internal::NewCurl(config_.url, "smtp,smtps", config_.connect_timeout,
                                  config_.timeout, config_.verify_tls, config_.ca_file, error);
    if (!curl) return core::Fail(core::ErrorCode::kInternal, "curl_easy_init failed");
    CURL* c = curl.get();
    const std::string from = "<" + (d.envelope_from.empty() ? config_.from : d.envelope_from) + ">";
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    internal::CurlList rcpt;
    for (const auto& r : d.recipients) internal::Append(rcpt, "<" + r + ">");
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    if (!config_.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
    }
    const long use_ssl = config_.starttls == StartTls::kRequired    ? CURLUSESSL_ALL
                         : config_.starttls == StartTls::kIfOffered ? CURLUSESSL_TRY
                                                                    : CURLUSESSL_NONE;
    curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
    Upload upload{d.payload};
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadUpload);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(d.payload.size()));

    const CURLcode rc = curl_easy_perform(c);
    long reply = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
    if (rc == CURLE_OK) return DeliveryResult{DeliveryOutcome::kDelivered, "accepted by the relay"};
    std::string detail = internal::CurlFailure(rc, error);
    if (reply) detail += " (SMTP " + std::to_string(reply) + ")";
    const bool permanent = reply >= 500 && reply < 600 && rc != CURLE_LOGIN_DENIED;
    return DeliveryResult{permanent ? DeliveryOutcome::kPermanent : DeliveryOutcome::kRetry,
                          std::move(detail)};
}

}  // namespace muhafiz::notify
