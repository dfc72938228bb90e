#include "vulns/api/cvss_api.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vulns/cvss.hpp"

namespace muhafiz::vulns::api {
namespace {

using http::Request;
using http::Response;

// Boost.JSON writes 9.8 as 9.8E0; scores are written by hand with one decimal instead.
void AppendString(std::string& out, std::string_view key, std::string_view value) {
    out += core::ToJson(core::json::string(key));
    out += ':';
    out += core::ToJson(core::json::string(value));
}

void AppendScore(std::string& out, std::string_view key, const std::optional<double>& score) {
    out += core::ToJson(core::json::string(key));
    out += ':';
    out += score ? FormatCvssScore(*score) : std::string("null");
}

void AppendItem(std::string& out, const CvssResult& r) {
    out += '{';
    AppendString(out, "vector", r.vector);
    out += ',';
    AppendString(out, "version", CvssVersionName(r.version));
    out += ',';
    AppendScore(out, "score", r.score);
    out += ',';
    AppendString(out, "severity", r.severity);
    out += ',';
    if (r.version == CvssVersion::k40) {
        AppendString(out, "nomenclature", r.nomenclature);
        out += ',';
        AppendScore(out, "base", r.cvss_b);
        out += ',';
        AppendScore(out, "threat", r.cvss_bt);
        out += ',';
        AppendScore(out, "environmental", r.cvss_be);
    } else {
        AppendScore(out, "base", r.base);
        out += ',';
        AppendScore(out, "temporal", r.temporal);
        out += ',';
        AppendScore(out, "environmental", r.environmental);
    }
    out += '}';
}

}  // namespace

Response CvssResponse(const Request& request) {
    const std::vector<std::string> vectors = request.QueryAll("vector");
    if (vectors.empty())
        return Response::Error(core::Error{core::ErrorCode::kInvalidArgument,
                                           "give at least one vector= parameter, such as "
                                           "vector=CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                                           "vector"});
    if (vectors.size() > kMaxCvssVectors)
        return Response::Error(core::Error{
            core::ErrorCode::kInvalidArgument,
            "at most " + std::to_string(kMaxCvssVectors) + " vector= parameters per request",
            "vector"});

    std::string body = "{\"items\":[";
    for (std::size_t i = 0; i < vectors.size(); ++i) {
        auto result = ScoreCvss(vectors[i]);
        if (!result) {
            core::Error error = result.error();
            if (vectors.size() > 1)
                error.message = "vector " + std::to_string(i + 1) + ": " + error.message;
            return Response::Error(error);
        }
        if (i > 0) body += ',';
        AppendItem(body, *result);
    }
    body += "]}";
    return Response::Text(200, std::move(body), "application/json");
}

core::Status RegisterCvssRoutes(http::Router& router, const access::api::Guard& guard) {
    return guard.Route(
        router, "GET", "/api/v1/cvss",
        [](Request& request, const access::Principal&) { return CvssResponse(request); });
}

}  // namespace muhafiz::vulns::api
