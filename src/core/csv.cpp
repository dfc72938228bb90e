#include "core/csv.hpp"

#include <bit>
#include <cstring>

namespace muhafiz::core {

namespace {
// Line ends in [from, to) of `text`.
std::int64_t CountLines(std::string_view text, std::size_t from, std::size_t to) {
    std::int64_t n = 0;
    const char* end = text.data() + to;
    for (const char* p = text.data() + from;
         p < end && (p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr; ++p)
        ++n;
    return n;
}

// The position of the first '"' at or after `from` (npos: none). Quoted fields are mostly short:
// eight bytes at a time in a register (the lowest byte equal to '"' found exactly), without the
// call and set-up of a library search per field.
std::size_t FindQuote(std::string_view text, std::size_t from) {
    static_assert(std::endian::native == std::endian::little, "the lowest set bit is the first byte");
    const char* p = text.data() + from;
    const char* end = text.data() + text.size();
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
    for (; end - p >= 8; p += 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        const std::uint64_t x = w ^ (kOnes * '"');
        if (const std::uint64_t m = (x - kOnes) & ~x & kHighs)
            return static_cast<std::size_t>(p - text.data()) + static_cast<std::size_t>(__builtin_ctzll(m) >> 3);
    }
    for (; p < end; ++p)
        if (*p == '"') return static_cast<std::size_t>(p - text.data());
    return std::string_view::npos;
}
}  // namespace

CsvTokenizer::Outcome CsvTokenizer::Fail(ErrorKind kind, std::size_t skip_from, std::size_t start) {
    error_kind_ = kind;
    if (kind != ErrorKind::kUnclosedQuote) error_line_ = line_;
    switch (kind) {
        case ErrorKind::kUnclosedQuote:
            error_ = "a quoted field never closes (broken quoting or a truncated file)";
            break;
        case ErrorKind::kTextAfterQuote:
            error_ = "text after a closing quote (broken quoting)";
            break;
        case ErrorKind::kQuoteInField:
            error_ = "a quote inside an unquoted field (broken quoting)";
            break;
        case ErrorKind::kNone:
            break;
    }
    const std::size_t eol = text_.find('\n', skip_from);
    pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
    ++line_;
    std::size_t end = eol == std::string_view::npos ? text_.size() : eol;
    if (end > start && text_[end - 1] == '\r') --end;
    record_text_ = text_.substr(start, end - start);
    return Outcome::kError;
}

CsvTokenizer::Outcome CsvTokenizer::Next(std::vector<std::string_view>& fields, std::size_t& count) {
    count = 0;
    error_.clear();
    error_kind_ = ErrorKind::kNone;
    scratch_.clear();
    fixups_.clear();
    if (pos_ == 0 && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    if (pos_ >= text_.size()) return Outcome::kEnd;
    const std::size_t start = pos_;
    record_line_ = line_;
    const char delim = options_.delimiter;
    const bool bare_cr = options_.bare_cr_ends_record;
    auto field = [&]() -> std::string_view& {
        if (count == fields.size()) fields.emplace_back();
        std::string_view& f = fields[count++];
        f = {};
        return f;
    };
    auto finish = [&]() {
        for (const auto& fx : fixups_) fields[fx.field] = std::string_view(scratch_).substr(fx.offset, fx.size);
        return Outcome::kRecord;
    };
    // A blank line.
    if (!options_.blank_lines_are_records) {
        std::size_t p = pos_;
        while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t' || text_[p] == '\r')) ++p;
        if (p >= text_.size() || text_[p] == '\n') {
            pos_ = p >= text_.size() ? p : p + 1;
            ++line_;
            return Outcome::kBlank;
        }
    }
    // Line ends can only be inside quoted fields: they are counted once (CountLines) where the
    // line is needed (the record's end, an error), not for every quoted field.
    bool quoted = false;
    const auto lines_so_far = [&](std::size_t to) { return quoted ? CountLines(text_, start, to) : 0; };
    for (;;) {
        std::string_view& f = field();
        if (pos_ < text_.size() && text_[pos_] == '"') {
            const std::size_t open = pos_;
            quoted = true;
            ++pos_;
            bool escaped = false;
            std::size_t scratch_at = 0;
            for (;;) {
                const std::size_t q = FindQuote(text_, pos_);
                if (q == std::string_view::npos) {
                    error_line_ = record_line_;
                    if (options_.unclosed_quote_consumes_rest) {
                        error_kind_ = ErrorKind::kUnclosedQuote;
                        error_ = "a quoted field never closes (broken quoting or a truncated file)";
                        line_ = record_line_ + lines_so_far(open);
                        pos_ = text_.size();
                        record_text_ = text_.substr(start);
                        return Outcome::kError;
                    }
                    // (The line ends of the parts before a doubled quote in this field taken off.)
                    line_ = record_line_ + lines_so_far(open) - CountLines(text_, open, pos_);
                    return Fail(ErrorKind::kUnclosedQuote, open, start);
                }
                const std::string_view part = text_.substr(pos_, q - pos_);
                if (q + 1 < text_.size() && text_[q + 1] == '"') {
                    // A doubled quote: the field is unescaped into scratch_.
                    if (!escaped) {
                        escaped = true;
                        scratch_at = scratch_.size();
                        scratch_.append(text_.data() + open + 1, pos_ - open - 1);
                    }
                    scratch_.append(part);
                    scratch_ += '"';
                    pos_ = q + 2;
                    continue;
                }
                if (escaped) {
                    scratch_.append(part);
                    fixups_.push_back({count - 1, scratch_at, scratch_.size() - scratch_at});
                } else {
                    f = text_.substr(open + 1, q - open - 1);
                }
                pos_ = q + 1;
                break;
            }
            if (pos_ < text_.size() && text_[pos_] != delim && text_[pos_] != '\n' && text_[pos_] != '\r') {
                line_ = record_line_ + lines_so_far(pos_);
                return Fail(ErrorKind::kTextAfterQuote, pos_, start);
            }
        } else {
            std::size_t p = pos_;
            while (p < text_.size() && text_[p] != delim && text_[p] != '\n' && !(bare_cr && text_[p] == '\r')) {
                if (text_[p] == '"') {
                    line_ = record_line_ + lines_so_far(p);
                    return Fail(ErrorKind::kQuoteInField, p, start);
                }
                ++p;
            }
            std::size_t e = p;
            if (e > pos_ && (p >= text_.size() || text_[p] == '\n') && text_[e - 1] == '\r') --e;
            f = text_.substr(pos_, e - pos_);
            pos_ = p;
        }
        if (pos_ >= text_.size()) {
            line_ = record_line_ + lines_so_far(pos_);
            record_text_ = text_.substr(start);
            if (!record_text_.empty() && record_text_.back() == '\r') record_text_.remove_suffix(1);
            return finish();
        }
        if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        if (text_[pos_] == '\r' && (bare_cr || pos_ + 1 >= text_.size())) {
            line_ = record_line_ + lines_so_far(pos_);
            ++pos_;
            if (bare_cr) ++line_;
            record_text_ = text_.substr(start, pos_ - 1 - start);
            return finish();
        }
        if (text_[pos_] == '\n') {
            line_ = record_line_ + lines_so_far(pos_);
            std::size_t end = pos_;
            if (end > start && text_[end - 1] == '\r') --end;
            record_text_ = text_.substr(start, end - start);
            ++pos_;
            ++line_;
            return finish();
        }
        ++pos_;  // the delimiter
    }
}

CsvTokenizer::Outcome CsvTokenizer::Next(std::vector<std::string>& fields, std::size_t& count) {
    thread_local std::vector<std::string_view> views;
    const Outcome o = Next(views, count);
    if (fields.size() < count) fields.resize(count);
    for (std::size_t i = 0; i < count; ++i) fields[i].assign(views[i].data(), views[i].size());
    return o;
}

Result<bool> CsvReader::Next(std::vector<std::string>& fields) {
    fields.clear();
    std::size_t n = 0;
    const auto o = tok_.Next(views_, n);
    switch (o) {
        case CsvTokenizer::Outcome::kEnd:
            return false;
        case CsvTokenizer::Outcome::kBlank:  // not produced with blank_lines_are_records
        case CsvTokenizer::Outcome::kRecord:
            fields.reserve(n);
            for (std::size_t i = 0; i < n; ++i) fields.emplace_back(views_[i]);
            return true;
        case CsvTokenizer::Outcome::kError:
            break;
    }
    switch (tok_.error_kind()) {
        case CsvTokenizer::ErrorKind::kUnclosedQuote:
            return Invalid("csv", "a quoted field opened on line " + std::to_string(tok_.record_line()) + " never closes");
        case CsvTokenizer::ErrorKind::kTextAfterQuote:
            return Invalid("csv", "text after a closing quote on line " + std::to_string(tok_.error_line()));
        default:
            return Invalid("csv", "a quote inside an unquoted field on line " + std::to_string(tok_.error_line()));
    }
}

void AppendCsvField(std::string& out, std::string_view field) {
    const bool quote = field.find_first_of(",\"\n\r") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.back() == ' '));
    if (!quote) {
        out += field;
        return;
    }
    out += '"';
    for (char c : field) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

void AppendCsvRecord(std::string& out, const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) out += ',';
        AppendCsvField(out, fields[i]);
    }
    out += '\n';
}

}  // namespace muhafiz::core
