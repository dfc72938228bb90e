// Package URLs (purl): `pkg:type/namespace/name@version?qualifiers#subpath`.
//
// Parse percent-decodes every component, lower-cases the type and qualifier keys, drops empty
// qualifier values and `.`/`..` subpath segments, and applies the type-specific rules of the
// purl specification (pypi: lower case and `_` → `-`; npm, deb, apk, alpm, github, bitbucket,
// composer, hex: lower case; ...), so that two spellings of one package compare equal.
// ToString writes the canonical form (qualifiers sorted, components percent-encoded).
// Thread-safety: plain values and pure functions. Errors: kInvalidArgument with field "purl".
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace muhafiz::vulns {

struct Purl {
    std::string type;       // lower case, required
    std::string name_space;  // decoded segments joined by '/'; may be empty
    std::string name;        // required
    std::string version;     // may be empty
    std::map<std::string, std::string> qualifiers;
    std::string subpath;     // decoded segments joined by '/'; may be empty

    // The canonical string.
    [[nodiscard]] std::string ToString() const;
};

[[nodiscard]] core::Result<Purl> ParsePurl(std::string_view text);

// Applies the type-specific normalisation to a purl assembled by hand (e.g. from a CVE 5
// collectionURL + packageName); ParsePurl does this already. Fails on an invalid type or an
// empty name.
[[nodiscard]] core::Status NormalisePurl(Purl& purl);

}  // namespace muhafiz::vulns
