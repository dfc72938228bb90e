#include "core/csv.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace muhafiz::core {
namespace {

TEST(Csv, ReadsQuotedFieldsAndTracksLines) {
    CsvReader r("a,b,c\r\n\"x, y\",\"multi\nline\",\"q\"\"q\"\nlast,,\n");
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(r.line(), 1u);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"x, y", "multi\nline", "q\"q"}));
    EXPECT_EQ(r.line(), 2u);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"last", "", ""}));
    EXPECT_EQ(r.line(), 4u);
    EXPECT_FALSE(*r.Next(f));
}

TEST(Csv, BrokenQuotingIsAnErrorAndReadingGoesOn) {
    CsvReader r("ok,1\n\"bad\"x,2\nfine,3\nun\"quoted,4\n\"never closes,5\n");
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    auto bad = r.Next(f);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("line 2"), std::string::npos);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f[0], "fine");
    EXPECT_FALSE(r.Next(f));
    EXPECT_FALSE(r.Next(f));
    EXPECT_FALSE(*r.Next(f));
}

TEST(Csv, ReaderKeepsBlankLinesAndBareCarriageReturns) {
    CsvReader r("a\n\n  \nb\rc,\"d\"\r\"e\"\n");
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"a"}));
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{""}));
    EXPECT_EQ(r.line(), 2u);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"  "}));
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"b"}));
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"c", "d"}));
    EXPECT_EQ(r.line(), 5u);
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f, (std::vector<std::string>{"e"}));
    EXPECT_FALSE(*r.Next(f));
    // A quote that never closes ends the input, naming the line it opened on.
    CsvReader u("x\n\"open\nmore\n");
    ASSERT_TRUE(*u.Next(f));
    auto e = u.Next(f);
    ASSERT_FALSE(e);
    EXPECT_NE(e.error().message.find("opened on line 2"), std::string::npos) << e.error().message;
    EXPECT_FALSE(*u.Next(f));
}

// The tokenizer the feed parsers use: views into the text (zero copy) unless a field has doubled
// quotes, blank lines skipped, the record's own text and line, and broken records skipped to the
// next line with the reason.
TEST(CsvTokenizer, ViewsRecordsAndErrors) {
    const std::string text = "a,\"b,c\",\"d\"\"e\"\r\n\n  \n\"multi\nline\",x\nbad\"q,1\n\"x\"y,2\nlast";
    CsvTokenizer t(text, 10);
    std::vector<std::string_view> f;
    std::size_t n = 0;
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kRecord);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(f[0], "a");
    EXPECT_EQ(f[1], "b,c");
    EXPECT_EQ(f[2], "d\"e");
    EXPECT_TRUE(f[0].data() >= text.data() && f[0].data() < text.data() + text.size());  // a view
    EXPECT_EQ(t.record_line(), 10);
    EXPECT_EQ(t.record_text(), "a,\"b,c\",\"d\"\"e\"");
    EXPECT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kBlank);
    EXPECT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kBlank);
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(t.record_line(), 13);
    EXPECT_EQ(f[0], "multi\nline");
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kError);
    EXPECT_EQ(t.record_line(), 15);
    EXPECT_EQ(t.record_text(), "bad\"q,1");
    EXPECT_EQ(t.error_kind(), CsvTokenizer::ErrorKind::kQuoteInField);
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kError);
    EXPECT_EQ(t.error_kind(), CsvTokenizer::ErrorKind::kTextAfterQuote);
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(t.record_line(), 17);
    EXPECT_EQ(f[0], "last");
    EXPECT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kEnd);
    // A quote that never closes: the record is rejected and reading resumes on the next line.
    CsvTokenizer u("\"open,1\nnext,2\n", 1);
    EXPECT_EQ(u.Next(f, n), CsvTokenizer::Outcome::kError);
    EXPECT_EQ(u.error_kind(), CsvTokenizer::ErrorKind::kUnclosedQuote);
    ASSERT_EQ(u.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(f[0], "next");
    EXPECT_EQ(u.record_line(), 2);
}

// Line numbers (of the record, the next record and an error) with line ends inside quoted fields
// before a record's end and before each kind of error, with and without bare_cr_ends_record.
TEST(CsvTokenizer, LinesAcrossQuotedLineEnds) {
    struct Step {
        CsvTokenizer::Outcome outcome;
        std::int64_t record_line, line, error_line;
    };
    using O = CsvTokenizer::Outcome;
    const std::vector<std::pair<std::string, std::vector<Step>>> cases = {
        {"\"a\nb\",\"c\nd\"x,1\nnext,2\n", {{O::kError, 1, 4, 3}, {O::kRecord, 4, 5, 0}, {O::kEnd, 4, 5, 0}}},
        {"\"a\nb\",c\"d,1\nnext\n", {{O::kError, 1, 3, 2}, {O::kRecord, 3, 4, 0}, {O::kEnd, 3, 4, 0}}},
        {"\"x\",\"a\nb\"\r\n\"q\n\"\n", {{O::kRecord, 1, 3, 0}, {O::kRecord, 3, 5, 0}, {O::kEnd, 3, 5, 0}}},
    };
    for (const bool bare_cr : {false, true})
        for (const auto& [text, steps] : cases) {
            SCOPED_TRACE(text);
            CsvTokenizer t(text, 1, CsvTokenizer::Options{',', false, bare_cr, false});
            std::vector<std::string_view> f;
            std::size_t n = 0;
            for (const Step& s : steps) {
                ASSERT_EQ(t.Next(f, n), s.outcome);
                EXPECT_EQ(t.record_line(), s.record_line);
                EXPECT_EQ(t.line(), s.line);
                if (s.outcome == O::kError) {
                    EXPECT_EQ(t.error_line(), s.error_line);
                }
            }
        }
    // A bare '\r' after a quoted field with a line end: the record ends there when it ends records.
    CsvTokenizer cr("\"a\nb\"\rz,1\n", 1, CsvTokenizer::Options{',', false, true, false});
    std::vector<std::string_view> f;
    std::size_t n = 0;
    ASSERT_EQ(cr.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(cr.line(), 3);
    ASSERT_EQ(cr.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(cr.record_line(), 3);
    EXPECT_EQ(f[0], "z");
    EXPECT_EQ(cr.line(), 4);
}

TEST(Csv, WriterQuotesWhenNeeded) {
    std::string out;
    AppendCsvRecord(out, {"plain", "with,comma", "with \"quote\"", "two\nlines"});
    EXPECT_EQ(out, "plain,\"with,comma\",\"with \"\"quote\"\"\",\"two\nlines\"\n");
    CsvReader r(out);
    std::vector<std::string> f;
    ASSERT_TRUE(*r.Next(f));
    EXPECT_EQ(f[3], "two\nlines");
}

// Quoted fields shorter and longer than the tokenizer's byte-by-byte scan: line breaks inside
// are counted wherever they are, doubled quotes are found beyond it, and an unclosed long field is
// an error naming the line it opened on.
TEST(CsvTokenizer, ShortAndLongQuotedFieldsCountTheirLines) {
    const std::string long_part(40, 'x');
    const std::string text = "\"a\nb\",\"" + long_part + "\n" + long_part + "\n\"\"q\"\"" + long_part + "\",z\n" +
                             "\"" + long_part + "\",\"" + long_part + "\n\"\nnext,1\n\"" + long_part + "\n" + long_part;
    CsvTokenizer t(text, 1);
    std::vector<std::string_view> f;
    std::size_t n = 0;
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kRecord);
    ASSERT_EQ(n, 3u);
    EXPECT_EQ(f[0], "a\nb");
    EXPECT_EQ(f[1], long_part + "\n" + long_part + "\n\"q\"" + long_part);
    EXPECT_EQ(f[2], "z");
    EXPECT_EQ(t.record_line(), 1);
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(t.record_line(), 5);
    ASSERT_EQ(n, 2u);
    EXPECT_EQ(f[0], long_part);
    EXPECT_EQ(f[1], long_part + "\n");
    ASSERT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kRecord);
    EXPECT_EQ(t.record_line(), 7);
    EXPECT_EQ(f[0], "next");
    EXPECT_EQ(t.Next(f, n), CsvTokenizer::Outcome::kError);
    EXPECT_EQ(t.record_line(), 8);
}

}  // namespace
}  // namespace muhafiz::core

namespace muhafiz::core {
namespace {

// Fields of every length around the eight-byte steps of the scanner, quoted or not, with line
// ends and doubled quotes inside quotes: what the writer writes, the tokenizer reads back, and
// each record starts on the line it should.
TEST(CsvTokenizer, FieldsOfAnyLengthRoundTrip) {
    std::uint64_t seed = 11;
    const auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return seed >> 33;
    };
    const std::string alphabet = "abcdefgh ,\"\n\r;0123";
    std::vector<std::vector<std::string>> records;
    std::vector<std::int64_t> lines;
    std::string text;
    std::int64_t line = 1;
    for (int r = 0; r < 400; ++r) {
        std::vector<std::string> rec;
        const int n = 1 + static_cast<int>(next() % 6);
        for (int i = 0; i < n; ++i) {
            std::string f(next() % 40, 'x');
            const bool plain = next() % 2;
            for (char& c : f) c = plain ? "abcdefgh;0123 "[next() % 14] : alphabet[next() % alphabet.size()];
            if (plain && !f.empty()) f.front() = f.back() = 'p';  // no spaces at the ends: stays unquoted
            rec.push_back(f);
        }
        if (rec.size() == 1 && rec[0].empty()) rec[0] = "x";  // not a blank line
        lines.push_back(line);
        const std::size_t at = text.size();
        AppendCsvRecord(text, rec);
        line += std::count(text.begin() + static_cast<std::ptrdiff_t>(at), text.end(), '\n');
        records.push_back(std::move(rec));
    }
    CsvTokenizer t(text, 1);
    std::vector<std::string_view> fields;
    std::size_t n = 0;
    for (std::size_t r = 0; r < records.size(); ++r) {
        ASSERT_EQ(t.Next(fields, n), CsvTokenizer::Outcome::kRecord) << r << ": " << t.error();
        ASSERT_EQ(n, records[r].size()) << r;
        for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(fields[i], records[r][i]) << r << "/" << i;
        EXPECT_EQ(t.record_line(), lines[r]) << r;
    }
    EXPECT_EQ(t.Next(fields, n), CsvTokenizer::Outcome::kEnd);
}

}  // namespace
// The reader of 64-byte masks and the byte-at-a-time one give the same records, fields, lines,
// record texts and errors: on valid CSV (quoted fields with delimiters and line ends inside,
// fields across the 64-byte blocks, CRLF line ends, a last line without its end) and on
// arbitrary bytes (stray quotes, doubled quotes, lone '\r', unclosed quotes, blank lines).
TEST(CsvTokenizer, MaskReaderAgreesWithByteReader) {
    std::uint64_t seed = 29;
    const auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::size_t>(seed >> 33);
    };
    int ascii_known = 0, not_ascii = 0;  // records
    const auto compare = [&](const std::string& text, char delimiter) {
        CsvTokenizer::Options fast_options, byte_options;
        fast_options.delimiter = byte_options.delimiter = delimiter;
        byte_options.byte_at_a_time = true;
        CsvTokenizer fast(text, 1, fast_options), bytes(text, 1, byte_options);
        std::vector<std::string_view> ff, bf;
        std::size_t records = 0;
        for (int guard = 0; guard < 100000; ++guard) {
            std::size_t fn = 0, bn = 0;
            const auto fo = fast.Next(ff, fn);
            const auto bo = bytes.Next(bf, bn);
            EXPECT_EQ(fo, bo) << "record " << records << " of " << text;
            if (fo != bo) return 0;
            if (fo == CsvTokenizer::Outcome::kEnd) return static_cast<int>(records);
            ++records;
            EXPECT_EQ(fast.record_line(), bytes.record_line()) << text;
            EXPECT_EQ(fast.line(), bytes.line()) << text;
            EXPECT_EQ(fast.record_text(), bytes.record_text()) << text;
            if (fo == CsvTokenizer::Outcome::kError) {
                EXPECT_EQ(fast.error_kind(), bytes.error_kind()) << text;
                EXPECT_EQ(fast.error_line(), bytes.error_line()) << text;
                continue;
            }
            if (fo != CsvTokenizer::Outcome::kRecord) continue;
            // Known to be ASCII without NUL: only when it is (never known by the byte reader).
            const std::string_view rt = fast.record_text();
            const bool ascii = std::all_of(rt.begin(), rt.end(), [](char c) {
                return c != '\0' && static_cast<unsigned char>(c) < 0x80;
            });
            if (fast.record_ascii()) {
                EXPECT_TRUE(ascii) << text;
            }
            EXPECT_FALSE(bytes.record_ascii());
            ascii_known += fast.record_ascii();
            not_ascii += !ascii;
            EXPECT_EQ(fn, bn) << text;
            if (fn != bn) return 0;
            for (std::size_t i = 0; i < fn; ++i) EXPECT_EQ(ff[i], bf[i]) << "field " << i << " of " << text;
        }
        ADD_FAILURE() << "no end";
        return 0;
    };
    // Valid CSV as the writer writes it, with CRLF or LF line ends.
    int fast_records = 0;
    for (int round = 0; round < 300; ++round) {
        const char delimiter = round % 5 == 4 ? ';' : ',';
        const bool crlf = round % 3 == 2;
        std::string text;
        const std::size_t n_records = 1 + next() % 12;
        for (std::size_t r = 0; r < n_records; ++r) {
            const std::size_t n_fields = 1 + next() % 9;
            for (std::size_t f = 0; f < n_fields; ++f) {
                if (f) text += delimiter;
                std::string value;
                const std::size_t len = next() % 4 == 0 ? next() % 150 : next() % 12;
                for (std::size_t i = 0; i < len; ++i) value += "abcdefgh xyz,;\n0123"[next() % 20];
                if (next() % 40 == 0) value += "\xC3\xA9";  // (and NUL, the alphabet's last byte)
                if (next() % 3 == 0 || value.find_first_of(",;\n") != std::string::npos) {
                    text += '"';
                    text += value;
                    text += '"';
                } else {
                    text += value;
                }
            }
            if (r + 1 < n_records || next() % 2) text += crlf ? "\r\n" : "\n";
        }
        fast_records += compare(text, delimiter);
    }
    EXPECT_GT(fast_records, 1000);
    EXPECT_GT(ascii_known, 200);
    EXPECT_GT(not_ascii, 200);
    // Arbitrary bytes of the special kinds.
    for (int round = 0; round < 3000; ++round) {
        std::string text;
        const std::size_t len = next() % (round % 10 == 0 ? 400 : 90);
        for (std::size_t i = 0; i < len; ++i) text += "ab ,\"\n\r;x\"\n,"[next() % 14];
        if (round % 7 == 0) text = "\xEF\xBB\xBF" + text;
        compare(text, round % 4 == 3 ? ';' : ',');
    }
}

}  // namespace muhafiz::core
