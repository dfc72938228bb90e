// Feed parsers: one per format, each turning records of a report into harmonised events
// (event.hpp) or rejections (line, reason, text) for the dead-letter store.
//
//   shadowserver[:TYPE]  Shadowserver CSV reports; a report type is a table entry
//                        (ShadowserverReports()), detected from the file name or the header
//                        when TYPE is not given.
//   csv:MAPPING          generic CSV described by a JSON mapping file (CsvMapping).
//   jsonl                IntelMQ JSON lines (one harmonised event per line).
//   blocklist            one IP, CIDR, domain or URL per line, '#' comments; the classification
//                        comes from the feed's configuration or the command line.
//
// A parser is fed complete records in order (reader.hpp cuts the input on record boundaries)
// and is used by one thread. Errors: MakeParser / Begin return kInvalidArgument for an unknown
// format, a bad mapping file or a header the format does not match; bad records never fail the
// parser, they become rejections.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "feeds/event.hpp"
#include "feeds/routed_event.hpp"

namespace muhafiz::feeds {

struct Rejection {
    std::int64_t line = 0;  // 1-based physical line where the record starts (0: the whole file)
    std::string reason;
    std::string text;  // the record as read (bytes, may be invalid UTF-8)
};

// An event's time.source as a time (0: none, or not a time): the time the stages work with.
[[nodiscard]] core::Micros TimeSource(const Event& e);

struct ParseOutput {
    // The events, each with its line and its time.source as a time (RoutedEvent::time_source, 0:
    // none; first_seen and last_seen the same), read while the event is still in the CPU's cache.
    // The list may come with elements kept from an earlier batch (RoutedEvents): the parser
    // builds its events in them (Add), reusing their storage.
    RoutedEvents events;
    std::vector<Rejection> rejected;
    std::int64_t records = 0;  // records seen (good and bad), comments and blank lines excluded
    // The text given to Parse stays unchanged while the events' values are read: the events may
    // keep views of it (Event::Borrow) instead of copies. The pipeline keeps each chunk with its
    // batch, then with its unit of the store until the unit's blocks are flushed (the blocks
    // copy the events' raw lines from it when they are closed).
    bool lend_text = false;
    // When set, the parser hands its events over as it goes: whenever `events` holds
    // `ready_every`, it calls `ready`, which takes them (and leaves the list empty, its elements
    // kept for reuse). The events then go through the stages while they are still in the CPU's
    // cache, and the list stays small. Those parsed since the last call stay in `events`.
    std::function<void(RoutedEvents&)> ready;
    std::size_t ready_every = 64;
};

// What every parser adds to its events.
struct ParseContext {
    std::string feed_name;        // feed.name unless the format names the report itself
    std::string feed_code;        // feed.code (the configured feed's name)
    std::string provider;         // feed.provider
    std::string feed_url;         // feed.url (fetched reports)
    std::string tlp;              // default tlp when the record has none
    std::optional<double> accuracy;
    core::Micros observation = 0;  // time.observation
    mutable std::string observation_text;  // its text, computed once
    bool keep_raw = true;
    // Blocklists: classification of every entry.
    std::string classification_type = "blacklist";
    std::string classification_identifier;
};

class Parser {
public:
    virtual ~Parser() = default;
    // True when records follow CSV quoting (a quoted field may span lines).
    virtual bool csv_records() const = 0;
    // True when the first record is a header that Begin() must see.
    virtual bool has_header() const = 0;
    // Reads the header record (without its line end). kInvalidArgument when it does not fit.
    [[nodiscard]] virtual core::Status Begin(std::string_view header) = 0;
    // Parses the complete records in `text`; the first starts on line `first_line`.
    virtual void Parse(std::string_view text, std::int64_t first_line, ParseOutput& out) = 0;
    // The format as it should be recorded for replays ("shadowserver:scan_http").
    virtual std::string format() const = 0;
};

// Generic CSV mapping (a JSON file):
//   {"delimiter": ",", "header": true,
//    "columns": {"ip": "source.ip", "seen": "time.source", "x": "extra.x"},
//    "constants": {"classification.type": "scanner", "feed.provider": "Example"},
//    "time_format": "iso" | "epoch" | "epoch_ms" | a strptime format such as "%d/%m/%Y %H:%M",
//    "unmapped": "extra" | "ignore", "required": ["time.source", "source.ip"]}
// Without a header, "columns" keys are 1-based column numbers ("1", "2", ...).
struct CsvMapping {
    char delimiter = ',';
    bool header = true;
    std::vector<std::pair<std::string, std::string>> columns;  // column -> field
    std::vector<std::pair<std::string, std::string>> constants;
    std::string time_format = "iso";
    bool unmapped_to_extra = true;
    std::vector<std::string> required;
};
[[nodiscard]] core::Result<CsvMapping> ParseCsvMapping(std::string_view json_text);

// One Shadowserver report type (shadowserver-reports.md): adding a type is adding an entry.
struct ShadowserverReport {
    std::string type;                   // "scan_http"
    std::vector<std::string> aliases;   // older names ("dns_openresolver")
    std::string name;                   // feed.name: "Accessible-HTTP"
    std::string documentation;          // feed.documentation
    std::string taxonomy, classification_type, identifier;  // identifier "" = from a column
    std::string identifier_column;      // e.g. "infection" (also malware.name)
    std::string application;            // protocol.application constant
    std::string transport;              // protocol.transport constant
    std::string severity;               // default severity
    bool source_naics = false;          // naics/sector -> extra.source.* (else extra.*)
    std::vector<std::string> header;    // the columns, in order (detection)
    // column -> rule, for columns that are not the common ones ("int", "float", "date", "ignore",
    // a harmonised field name, or "field:int" to type an extra).
    std::vector<std::pair<std::string, std::string>> columns;
};
[[nodiscard]] const std::vector<ShadowserverReport>& ShadowserverReports();
[[nodiscard]] const ShadowserverReport* FindShadowserverReport(std::string_view type);
// The report whose type appears in a file name ("2026-01-14-scan_http-pk.csv") or whose header
// matches; nullptr when none does.
[[nodiscard]] const ShadowserverReport* DetectShadowserverReport(std::string_view file_name,
                                                                  std::string_view header);

// Builds a parser for `format`: "shadowserver", "shadowserver:TYPE", "csv:MAPPING-PATH",
// "csv" with `mapping` given, "jsonl", "blocklist". `file_name` helps detection.
[[nodiscard]] core::Result<std::unique_ptr<Parser>> MakeParser(std::string_view format, const ParseContext& context,
                                                              std::string_view file_name = {},
                                                              const CsvMapping* mapping = nullptr);

// CSV record splitting of the CSV parsers: the platform's one tokenizer (core/csv.hpp), fields
// as views into the chunk, with the byte range of each record (for `raw` and rejections).
using CsvTokenizer = core::CsvTokenizer;

}  // namespace muhafiz::feeds
