// RFC 4180 CSV reading and writing. One tokenizer (CsvTokenizer) serves every CSV reader of the
// platform: the feed parsers use it directly (zero copy: fields are views into the text), and
// CsvReader (vulnerability and constituency imports) wraps it. Records report the physical line
// they start on, and broken quoting is rejected instead of guessed at.
// Thread-safety: a CsvTokenizer / CsvReader is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::core {

class CsvTokenizer {
public:
    struct Options {
        char delimiter = ',';
        // A blank (or whitespace-only) line is a record of its own text rather than kBlank.
        bool blank_lines_are_records = false;
        // A lone '\r' ends an unquoted field and the record (and counts as a line end).
        bool bare_cr_ends_record = false;
        // A quote that never closes consumes the rest of the input (else reading resumes on the
        // line after the one the quote opened on).
        bool unclosed_quote_consumes_rest = false;
        // Only the byte-at-a-time reader (tests compare the two; records read the same).
        bool byte_at_a_time = false;
    };
    enum class Outcome { kEnd, kRecord, kBlank, kError };
    enum class ErrorKind { kNone, kUnclosedQuote, kTextAfterQuote, kQuoteInField };

    CsvTokenizer(std::string_view text, std::int64_t first_line, char delimiter = ',')
        : text_(text), line_(first_line) {
        options_.delimiter = delimiter;
    }
    CsvTokenizer(std::string_view text, std::int64_t first_line, Options options)
        : text_(text), line_(first_line), options_(options) {}

    // The next record: its fields are fields[0..count) (the vector only grows; views point into
    // the text, or into this tokenizer for quoted fields with "" inside, valid until the next
    // call). kBlank: an empty line (skipped); kError: broken quoting, the record is skipped and
    // error() says why; kEnd: no more input.
    Outcome Next(std::vector<std::string_view>& fields, std::size_t& count);
    // The same with copies (headers, callers that keep the fields).
    Outcome Next(std::vector<std::string>& fields, std::size_t& count);

    std::int64_t record_line() const { return record_line_; }
    // The record as it is in the text (without its line end).
    std::string_view record_text() const { return record_text_; }
    // True when the record's text is known to be ASCII without NUL (found while it was read;
    // false: not known, the caller checks itself).
    bool record_ascii() const { return record_ascii_; }
    const std::string& error() const { return error_; }
    ErrorKind error_kind() const { return error_kind_; }
    // The line the error was found on (a quote that never closes: where it opened).
    std::int64_t error_line() const { return error_line_; }
    // The line the next record starts on.
    std::int64_t line() const { return line_; }

private:
    Outcome Fail(ErrorKind kind, std::size_t skip_from, std::size_t start);
    // A record without anything unusual (no doubled quote, broken quoting or lone '\r') read from
    // bit masks of 64 bytes at a time; false leaves the rest to the byte-at-a-time reader.
    bool FastRecord(std::vector<std::string_view>& fields, std::size_t& count);
    // The masks of the special bytes of text_[at, at + 64) (at a multiple of 64); the last block
    // is kept (a record starts where the one before ended, mostly in the same block).
    struct Masks {
        std::size_t at = static_cast<std::size_t>(-1);
        std::uint64_t quote = 0, delimiter = 0, newline = 0, cr = 0;
        std::uint64_t not_ascii = 0;  // bytes 0x80-0xFF and NUL
    };
    const Masks& BlockMasks(std::size_t at);
    Masks masks_;
    std::string_view text_;
    std::size_t pos_ = 0;
    std::int64_t line_;
    Options options_;
    std::int64_t record_line_ = 0;
    std::int64_t error_line_ = 0;
    std::string_view record_text_;
    bool record_ascii_ = false;
    std::string error_;
    ErrorKind error_kind_ = ErrorKind::kNone;
    std::string scratch_;  // unescaped quoted fields of the current record
    struct Fixup {
        std::size_t field, offset, size;
    };
    std::vector<Fixup> fixups_;
};

class CsvReader {
public:
    explicit CsvReader(std::string_view text, char delimiter = ',')
        : tok_(text, 1, CsvTokenizer::Options{delimiter, true, true, true}) {}

    // Reads the next record into `fields`. Returns false at the end of the input. A malformed
    // record (a quote that never closes, text after a closing quote) yields an error; reading can
    // continue with the next line.
    [[nodiscard]] Result<bool> Next(std::vector<std::string>& fields);
    // The line (1-based) where the last record returned by Next() started.
    std::size_t line() const { return static_cast<std::size_t>(tok_.record_line()); }

private:
    CsvTokenizer tok_;
    std::vector<std::string_view> views_;
};

// Appends one CSV field, quoted when needed, and a whole record with CRLF-free '\n' ending.
void AppendCsvField(std::string& out, std::string_view field);
void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields);

}  // namespace muhafiz::core
