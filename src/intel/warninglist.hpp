// Warning lists: known-benign values (public resolvers, big CDNs and popular domains, private
// and documentation ranges) loaded from files in the MISP warninglist JSON format
// ({"name", "type": "cidr"|"hostname"|"string", "list": [...]}). An indicator that hits one is
// flagged with the list's name and left out of detection unless an analyst overrides it.
// Matching: cidr lists match addresses inside and prefixes within a listed prefix (also URL hosts
// that are addresses); hostname lists match the name and its subdomains (domains, URL hosts,
// e-mail domains); string lists match the normalised value exactly.
// Thread-safety: immutable after loading; Check is safe to call concurrently.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/net.hpp"
#include "core/result.hpp"
#include "intel/indicator.hpp"

namespace muhafiz::intel {

class WarningLists {
  public:
    // Loads every *.json file of `folder` (sorted by name); kInvalidArgument names the file and
    // the reason for a malformed one.
    [[nodiscard]] core::Status LoadFolder(const std::string& folder);
    // Adds one list from its JSON text (`origin` names it in errors).
    [[nodiscard]] core::Status Add(std::string_view json_text, const std::string& origin);

    // The name of the first list that `value` (normalised, of `type`) hits.
    [[nodiscard]] std::optional<std::string> Check(IndicatorType type, const std::string& value) const;

    struct Summary {
        std::string name, type;
        std::size_t entries = 0;
    };
    [[nodiscard]] std::vector<Summary> Lists() const;

  private:
    struct List {
        std::string name, type;
        std::vector<core::Prefix> prefixes;
        std::unordered_set<std::string> names;
    };
    std::optional<std::string> CheckHost(const std::string& host) const;
    std::optional<std::string> CheckIp(const core::IpAddress& ip, int length) const;
    std::vector<List> lists_;
};

}  // namespace muhafiz::intel
