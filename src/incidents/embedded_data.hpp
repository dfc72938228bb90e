// Data files compiled into the library (generated embedded_data.cpp, see CMakeLists.txt): the
// RSIT taxonomy (rsit_taxonomy.json) and the default reporting regimes
// (config/reporting-regimes.json). Thread-safety: immutable strings.
#pragma once

#include <string_view>

namespace muhafiz::incidents {

[[nodiscard]] std::string_view EmbeddedRsitTaxonomy();
[[nodiscard]] std::string_view EmbeddedDefaultRegimes();

}  // namespace muhafiz::incidents
