// Import and export of the whole constituency as JSON or CSV (`muhafiz import|export
// constituency`). Imports are idempotent: an entry is matched by its id, else by its name under
// its parent, and updated in place. A file with a bad entry imports nothing unless `skip_bad`,
// and every bad entry is reported with its line (CSV) or position (JSON).
// Thread-safety: stateless functions over a thread-safe service.
#pragma once

#include <string>
#include <vector>

#include "constituency/organisation_service.hpp"

namespace muhafiz::constituency {

enum class TransferFormat { kJson, kCsv };

struct ImportProblem {
    std::size_t line = 0;  // CSV line, or 1-based entry number in JSON
    std::string field;
    std::string message;
};

struct ImportReport {
    std::size_t entries = 0;
    std::size_t created = 0;
    std::size_t updated = 0;
    std::size_t unchanged = 0;
    std::size_t skipped = 0;
    bool committed = false;
    std::vector<ImportProblem> problems;
};

[[nodiscard]] core::Result<std::string> ExportConstituency(OrganisationService& service, TransferFormat format);

// Fails only when the input cannot be read at all (not JSON, no CSV header); entry errors are in
// the report.
[[nodiscard]] core::Result<ImportReport> ImportConstituency(OrganisationService& service, std::string_view text,
                                                            TransferFormat format, bool skip_bad,
                                                            const core::Actor& actor);

}  // namespace muhafiz::constituency
