#include "intel/warninglist.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.hpp"

namespace muhafiz::intel {
namespace json = core::json;

core::Status WarningLists::LoadFolder(const std::string& folder) {
    std::error_code ec;
    if (!std::filesystem::is_directory(folder, ec))
        return core::Invalid("intel_warninglists", "the warning-list folder '" + folder + "' does not exist");
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(folder, ec))
        if (e.path().extension() == ".json") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        MUHAFIZ_CHECK(Add(ss.str(), f.string()));
    }
    return core::Ok();
}

core::Status WarningLists::Add(std::string_view text, const std::string& origin) {
    auto bad = [&](const std::string& why) { return core::Invalid("warninglist", origin + ": " + why); };
    auto obj = core::ParseJsonObject(text);
    if (!obj) return bad(obj.error().message);
    List list;
    auto name = core::GetString(*obj, "name");
    auto type = core::GetString(*obj, "type");
    if (!name || !*name || (*name)->empty()) return bad("'name' is missing");
    if (!type || !*type) return bad("'type' is missing");
    list.name = **name;
    list.type = **type;
    if (list.type != "cidr" && list.type != "hostname" && list.type != "string")
        return bad("'type' must be cidr, hostname or string");
    const json::value* entries = core::Find(*obj, "list");
    if (!entries || !entries->is_array()) return bad("'list' must be an array of strings");
    for (const auto& e : entries->as_array()) {
        if (!e.is_string()) return bad("'list' must be an array of strings");
        std::string v(e.as_string());
        if (list.type == "cidr") {
            auto p = core::ParsePrefix(v);
            if (!p) return bad("'" + v + "': " + p.error().message);
            list.prefixes.push_back(*p);
        } else if (list.type == "hostname") {
            auto d = NormaliseDomainIdna(v);
            if (!d) return bad("'" + v + "': " + d.error().message);
            list.names.insert(*d);
        } else {
            list.names.insert(v);
        }
    }
    lists_.push_back(std::move(list));
    return core::Ok();
}

std::optional<std::string> WarningLists::CheckHost(const std::string& host) const {
    for (const auto& l : lists_) {
        if (l.type != "hostname") continue;
        std::string_view h = host;
        for (;;) {
            if (l.names.count(std::string(h))) return l.name;
            auto dot = h.find('.');
            if (dot == std::string_view::npos) break;
            h.remove_prefix(dot + 1);
        }
    }
    return std::nullopt;
}

std::optional<std::string> WarningLists::CheckIp(const core::IpAddress& ip, int length) const {
    for (const auto& l : lists_) {
        if (l.type != "cidr") continue;
        for (const auto& p : l.prefixes)
            if (p.address.v6 == ip.v6 && p.length <= length && core::PrefixContains(p, ip)) return l.name;
    }
    return std::nullopt;
}

std::optional<std::string> WarningLists::Check(IndicatorType type, const std::string& value) const {
    for (const auto& l : lists_)
        if (l.type == "string" && l.names.count(value)) return l.name;
    switch (type) {
        case IndicatorType::kIpv4:
        case IndicatorType::kIpv6:
            if (auto ip = core::ParseIp(value)) return CheckIp(*ip, ip->v6 ? 128 : 32);
            return std::nullopt;
        case IndicatorType::kCidr:
            if (auto p = core::ParsePrefix(value)) return CheckIp(p->address, p->length);
            return std::nullopt;
        case IndicatorType::kDomain: return CheckHost(value);
        case IndicatorType::kUrl: {
            std::string host = UrlHost(value);
            if (auto ip = core::ParseIp(host)) return CheckIp(*ip, ip->v6 ? 128 : 32);
            return host.empty() ? std::nullopt : CheckHost(host);
        }
        case IndicatorType::kEmail: return CheckHost(value.substr(value.rfind('@') + 1));
        default: return std::nullopt;
    }
}

std::vector<WarningLists::Summary> WarningLists::Lists() const {
    std::vector<Summary> out;
    for (const auto& l : lists_) out.push_back({l.name, l.type, l.prefixes.size() + l.names.size()});
    return out;
}

}  // namespace muhafiz::intel
