// RFC 4180 CSV reading and writing. The reader reports the physical line a record starts on and
// rejects broken quoting instead of guessing. Thread-safety: a CsvReader is used by one thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::core {

class CsvReader {
public:
    explicit CsvReader(std::string_view text, char delimiter = ',') : text_(text), delim_(delimiter) {}

    // Reads the next record into `fields`. Returns false at the end of the input. A malformed
    // record (a quote that never closes, text after a closing quote) yields an error; reading can
    // continue with the next line.
    [[nodiscard]] Result<bool> Next(std::vector<std::string>& fields);
    // The line (1-based) where the last record returned by Next() started.
    std::size_t line() const { return record_line_; }

private:
    std::string_view text_;
    char delim_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1;
    std::size_t record_line_ = 0;
};

// Appends one CSV field, quoted when needed, and a whole record with CRLF-free '\n' ending.
void AppendCsvField(std::string& out, std::string_view field);
void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields);

}  // namespace muhafiz::core
