#include "core/csv.hpp"

namespace muhafiz::core {

Result<bool> CsvReader::Next(std::vector<std::string>& fields) {
    fields.clear();
    // Skip a UTF-8 byte-order mark at the very start.
    if (pos_ == 0 && text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    if (pos_ >= text_.size()) return false;
    record_line_ = line_;
    std::string field;
    for (;;) {
        if (pos_ < text_.size() && text_[pos_] == '"') {
            ++pos_;
            for (;;) {
                if (pos_ >= text_.size()) {
                    // Skip past the rest so the caller can carry on after reporting.
                    return Invalid("csv", "a quoted field opened on line " + std::to_string(record_line_) +
                                              " never closes");
                }
                const char c = text_[pos_++];
                if (c == '"') {
                    if (pos_ < text_.size() && text_[pos_] == '"') {
                        field += '"';
                        ++pos_;
                    } else {
                        break;
                    }
                } else {
                    if (c == '\n') ++line_;
                    field += c;
                }
            }
            if (pos_ < text_.size() && text_[pos_] != delim_ && text_[pos_] != '\n' && text_[pos_] != '\r') {
                const std::size_t eol = text_.find('\n', pos_);
                pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
                ++line_;
                return Invalid("csv", "text after a closing quote on line " + std::to_string(line_ - 1));
            }
        } else {
            while (pos_ < text_.size() && text_[pos_] != delim_ && text_[pos_] != '\n' && text_[pos_] != '\r') {
                if (text_[pos_] == '"') {
                    const std::size_t eol = text_.find('\n', pos_);
                    pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
                    ++line_;
                    return Invalid("csv", "a quote inside an unquoted field on line " +
                                              std::to_string(line_ - 1));
                }
                field += text_[pos_++];
            }
        }
        fields.push_back(std::move(field));
        field.clear();
        if (pos_ >= text_.size()) return true;
        const char c = text_[pos_++];
        if (c == delim_) continue;
        if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
        ++line_;
        return true;
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
