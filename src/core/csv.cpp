#include "core/csv.hpp"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Bit i: the i-th position at or before it holds an odd number of set bits of `x` (the positions
// inside quotes, counting the opening quote, when `x` marks the quotes).
std::uint64_t PrefixXor(std::uint64_t x) {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

// Records longer than this are left to the byte-at-a-time reader (which a stray quote would make
// scan far anyway), so that the fast path never reads much beyond it.
constexpr std::size_t kFastRecordBytes = 1 << 20;
}  // namespace

const CsvTokenizer::Masks& CsvTokenizer::BlockMasks(std::size_t at) {
    if (masks_.at == at) return masks_;
    masks_.at = at;
    const char* p = text_.data() + at;
    alignas(16) char tail[64];
    if (text_.size() - at < 64) {
        // The last block: the bytes after the text are NUL, which is none of the special bytes.
        std::memset(tail, 0, sizeof tail);
        std::memcpy(tail, p, text_.size() - at);
        p = tail;
    }
#if defined(__SSE2__)
    const __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    const __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 32));
    const __m128i v3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 48));
    const auto eq = [&](char c) {
        const __m128i k = _mm_set1_epi8(c);
        const auto bits = [&k](__m128i v) {
            return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, k))));
        };
        return bits(v0) | (bits(v1) << 16) | (bits(v2) << 32) | (bits(v3) << 48);
    };
#else
    const auto eq = [p](char c) {
        std::uint64_t m = 0;
        for (int i = 0; i < 64; ++i) m |= static_cast<std::uint64_t>(p[i] == c) << i;
        return m;
    };
#endif
    masks_.quote = eq('"');
    masks_.delimiter = eq(options_.delimiter);
    masks_.newline = eq('\n');
    masks_.cr = eq('\r');
#if defined(__SSE2__)
    const auto high = [](__m128i v) { return static_cast<std::uint64_t>(static_cast<std::uint32_t>(_mm_movemask_epi8(v))); };
    masks_.not_ascii = eq('\0') | high(v0) | (high(v1) << 16) | (high(v2) << 32) | (high(v3) << 48);
#else
    masks_.not_ascii = eq('\0');
    for (int i = 0; i < 64; ++i) masks_.not_ascii |= static_cast<std::uint64_t>(static_cast<unsigned char>(p[i]) >= 0x80) << i;
#endif
    return masks_;
}

bool CsvTokenizer::FastRecord(std::vector<std::string_view>& fields, std::size_t& count) {
    const std::size_t start = pos_, size = text_.size();
    const char delim = options_.delimiter;
    std::size_t field_start = start;
    std::int64_t newlines = 0;  // line ends inside quotes before the current block
    bool inside = false;        // the current block starts inside quotes
    bool after_separator = false;  // the byte before the current block ends a field
    std::uint64_t not_ascii = 0;   // of the record's blocks before the current one
    // The field [from, to): "..." (with no quote inside: checked below) or plain (none).
    const auto field = [&](std::size_t from, std::size_t to) {
        const char* b = text_.data() + from;
        const std::string_view f = to > from && *b == '"' ? std::string_view(b + 1, to - from - 2)
                                                          : std::string_view(b, to - from);
        if (count == fields.size()) fields.emplace_back();
        fields[count++] = f;
    };
    // The record ends at `end` (its line end, or the end of the text; a '\r' before it is not
    // part of it) with `inner` line ends inside quotes.
    const auto finish = [&](std::size_t end, std::int64_t inner) {
        const std::size_t to = end > field_start && text_[end - 1] == '\r' ? end - 1 : end;
        field(field_start, to);
        line_ = record_line_ + inner;
        record_text_ = text_.substr(start, to - start);
        record_ascii_ = not_ascii == 0;
    };
    const std::size_t first_block = start & ~std::size_t{63};
    for (std::size_t at = first_block; at < size; at += 64) {
        if (at - first_block > kFastRecordBytes) return false;
        const Masks& m = BlockMasks(at);
        const std::size_t left = size - at;  // bytes of the text from this block on
        const std::uint64_t valid = at < start ? ~std::uint64_t{0} << (start - at) : ~std::uint64_t{0};
        const std::uint64_t q = m.quote & valid, nl = m.newline & valid, cr = m.cr & valid;
        // (Bytes after the end of the text read as NUL: not counted.)
        const std::uint64_t odd = m.not_ascii & valid & (left < 64 ? (std::uint64_t{1} << left) - 1 : ~std::uint64_t{0});
        const std::uint64_t in_quotes = PrefixXor(q) ^ (inside ? ~std::uint64_t{0} : 0);
        const std::uint64_t separators = (m.delimiter | nl) & valid & ~in_quotes;
        // What follows each byte: a separator or '\r' (or the end of the text), and a line end
        // (or the end of the text).
        const std::uint64_t end_bit = left < 64 ? std::uint64_t{1} << left : 0;
        const char next = left > 64 ? text_[at + 64] : '\0';
        const std::uint64_t last = std::uint64_t{1} << 63;
        const std::uint64_t before_separator =
            ((m.delimiter | m.newline | m.cr | end_bit) >> 1) |
            (left == 64 || (left > 64 && (next == delim || next == '\n' || next == '\r')) ? last : 0);
        const std::uint64_t before_newline =
            ((m.newline | end_bit) >> 1) | (left == 64 || (left > 64 && next == '\n') ? last : 0);
        const std::uint64_t field_starts =
            (separators << 1) | (at < start ? std::uint64_t{1} << (start - at) : (at == start || after_separator));
        // Each quote opens a field (at its start) or closes one (right before a separator, a
        // '\r' or the end of the text): no doubled quote, no quote inside a plain field; and a
        // '\r' comes only before a line end. Else the other reader decides.
        if ((q & in_quotes & ~field_starts) || (q & ~in_quotes & ~before_separator) || (cr & ~before_newline))
            return false;
        for (std::uint64_t ends = separators; ends; ends &= ends - 1) {
            const int bit = std::countr_zero(ends);
            const std::size_t e = at + static_cast<std::size_t>(bit);
            if ((nl >> bit) & 1) {
                not_ascii |= odd & ((std::uint64_t{1} << bit) - 1);
                std::int64_t inner = newlines;
                if (const std::uint64_t quoted_nl = nl & in_quotes & ((std::uint64_t{1} << bit) - 1))
                    inner += std::popcount(quoted_nl);
                finish(e, inner);
                pos_ = e + 1;
                ++line_;
                return true;
            }
            field(field_start, e);
            field_start = e + 1;
        }
        if (const std::uint64_t quoted_nl = nl & in_quotes) newlines += std::popcount(quoted_nl);
        not_ascii |= odd;
        inside = (in_quotes >> 63) != 0;
        after_separator = (separators >> 63) != 0;
    }
    // The end of the text ends the record (outside quotes only).
    if (inside) return false;
    finish(size, newlines);
    pos_ = size;
    return true;
}

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
    record_ascii_ = false;
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
    if (!bare_cr && !options_.byte_at_a_time && delim != '\0' && delim != '"' && delim != '\n' && delim != '\r') {
        if (FastRecord(fields, count)) return Outcome::kRecord;
        pos_ = start;
        line_ = record_line_;
        count = 0;
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
