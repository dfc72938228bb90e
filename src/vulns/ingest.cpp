#include "vulns/ingest.hpp"

#include <zip.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/json.hpp"

namespace muhafiz::vulns {
namespace {

namespace fs = std::filesystem;
namespace json = core::json;
using core::Result;
using core::Status;

bool EndsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string BaseName(std::string_view path) {
    const auto slash = path.find_last_of("/!");
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

// Change-set indexes of the CVE List, not records.
bool IsIndexFile(std::string_view path) {
    const std::string name = BaseName(path);
    return name == "delta.json" || name == "deltaLog.json";
}

bool IsGzip(std::string_view data) {
    return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
           static_cast<unsigned char>(data[1]) == 0x8b;
}

bool IsZip(std::string_view data) { return data.starts_with("PK\x03\x04"); }

// Inflates gzip data (all members).
Result<std::string> Gunzip(std::string_view data) {
    z_stream zs{};
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
        return core::Fail(core::ErrorCode::kInternal, "zlib init failed");
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[1 << 16];
    while (true) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        const int rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (rc == Z_STREAM_END) {
            if (zs.avail_in == 0) return out;
            inflateReset(&zs);  // another gzip member follows
        } else if (rc != Z_OK) {
            return core::Invalid(
                "file", std::string("broken gzip data: ") + (zs.msg ? zs.msg : "truncated"));
        }
    }
}

Result<std::string> ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return core::NotFound("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The kind of a JSON document, or nullopt when it is none we know; `skip` for index files.
std::optional<IngestKind> DetectJson(const json::value& v, bool& skip) {
    const json::object* o = v.if_object();
    if (!o) return std::nullopt;
    if (core::Find(*o, "cveMetadata") || core::Find(*o, "dataType")) return IngestKind::kCve5;
    if (core::Find(*o, "fetchTime") && core::Find(*o, "numberOfChanges")) {
        skip = true;
        return std::nullopt;
    }
    if (core::Find(*o, "catalogVersion")) return IngestKind::kKev;
    const json::value* list = core::Find(*o, "vulnerabilities");
    if (!list || !list->is_array()) return std::nullopt;
    if (core::Find(*o, "resultsPerPage") || core::Find(*o, "format")) return IngestKind::kNvd;
    for (const auto& item : list->as_array()) {
        if (!item.is_object()) break;
        if (core::Find(item.as_object(), "cve")) return IngestKind::kNvd;
        if (core::Find(item.as_object(), "cveID")) return IngestKind::kKev;
    }
    return std::nullopt;
}

// The CVE id of a CVE 5 document, when it has a readable one (for dead letters).
std::string CveIdOf(const json::value& v) {
    const json::object* o = v.if_object();
    const json::value* meta = o ? core::Find(*o, "cveMetadata") : nullptr;
    const json::value* id =
        meta && meta->is_object() ? core::Find(meta->as_object(), "cveId") : nullptr;
    return id && id->is_string() ? std::string(id->as_string()) : std::string();
}

struct ZipCloser {
    void operator()(zip_t* z) const { zip_discard(z); }
};

}  // namespace

std::string_view IngestKindName(IngestKind kind) {
    switch (kind) {
        case IngestKind::kAuto:
            return "auto";
        case IngestKind::kCve5:
            return "cve5";
        case IngestKind::kNvd:
            return "nvd";
        case IngestKind::kKev:
            return "kev";
        case IngestKind::kEpss:
            return "epss";
    }
    return "auto";
}

std::optional<IngestKind> ParseIngestKind(std::string_view text) {
    for (IngestKind k : {IngestKind::kAuto, IngestKind::kCve5, IngestKind::kNvd, IngestKind::kKev,
                         IngestKind::kEpss})
        if (IngestKindName(k) == text) return k;
    return std::nullopt;
}

Ingester::Ingester(VulnStore& store, IngestOptions options)
    : store_(store),
      options_(std::move(options)),
      json_buffer_(new unsigned char[kJsonBuffer]),
      started_(core::NowMicros()) {
    if (options_.batch_size == 0) options_.batch_size = 1;
}

void Ingester::Reject(const std::string& source, std::string item, std::string reason) {
    ++report_.rejected;
    dead_letters_.push_back({source, std::move(item), std::move(reason), 0});
}

Status Ingester::Count(Result<UpsertCounts> counts) {
    if (!counts) return tl::unexpected(counts.error());
    report_.inserted += counts->inserted;
    report_.updated += counts->updated;
    report_.unchanged += counts->unchanged;
    report_.older += counts->older;
    MUHAFIZ_CHECK(FlushDeadLetters());
    report_.seconds = static_cast<double>(core::NowMicros() - started_) / 1e6;
    if (options_.progress) options_.progress(report_);
    return core::Ok();
}

Status Ingester::FlushRecords() {
    if (records_.empty()) return core::Ok();
    auto counts = store_.Upsert(records_);
    records_.clear();
    return Count(std::move(counts));
}

Status Ingester::FlushDeadLetters() {
    auto status = store_.AddDeadLetters(dead_letters_);
    dead_letters_.clear();
    return status;
}

Status Ingester::AddPath(const std::string& path, IngestKind kind) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        std::vector<std::string> files;
        for (auto it = fs::recursive_directory_iterator(path, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            if (it->is_regular_file() && it->path().extension() == ".json")
                files.push_back(it->path().string());
        if (ec)
            return core::Fail(core::ErrorCode::kInternal,
                              "cannot list " + path + ": " + ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& file : files) MUHAFIZ_CHECK(AddPath(file, kind));
        return core::Ok();
    }
    if (!fs::exists(path, ec)) return core::NotFound("no such file or folder: " + path);
    if (IsIndexFile(path)) {
        ++report_.skipped;
        return core::Ok();
    }
    char magic[4] = {};
    std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
    if (IsZip(std::string_view(magic, sizeof magic))) {
        zip_error_t error;
        zip_error_init(&error);
        return AddZip(path, zip_source_file_create(path.c_str(), 0, -1, &error));
    }
    return AddContent(path, MUHAFIZ_TRY(ReadFile(path)), kind);
}

Status Ingester::AddZip(const std::string& source, zip_source_t* src) {
    zip_error_t error;
    zip_error_init(&error);
    std::unique_ptr<zip_t, ZipCloser> zip(src ? zip_open_from_source(src, ZIP_RDONLY, &error)
                                              : nullptr);
    if (!zip) {
        if (src) zip_source_free(src);
        const std::string reason =
            std::string("not a readable zip file: ") + zip_error_strerror(&error);
        zip_error_fini(&error);
        return core::Invalid("path", source + ": " + reason);
    }
    zip_error_fini(&error);
    const zip_int64_t n = zip_get_num_entries(zip.get(), 0);
    for (zip_int64_t i = 0; i < n; ++i) {
        zip_stat_t st;
        if (zip_stat_index(zip.get(), static_cast<zip_uint64_t>(i), 0, &st) != 0 ||
            !(st.valid & ZIP_STAT_NAME))
            continue;
        const std::string name = st.name;
        if (EndsWith(name, "/")) continue;
        const std::string entry = source + "!" + name;
        const bool nested = EndsWith(name, ".zip");
        if ((!nested && !EndsWith(name, ".json") && !EndsWith(name, ".csv") &&
             !EndsWith(name, ".gz")) ||
            IsIndexFile(name)) {
            ++report_.skipped;
            continue;
        }
        std::string content(static_cast<std::size_t>(st.size), '\0');
        zip_file_t* f = zip_fopen_index(zip.get(), static_cast<zip_uint64_t>(i), 0);
        const zip_int64_t got = f ? zip_fread(f, content.data(), st.size) : -1;
        if (f) zip_fclose(f);
        if (got != static_cast<zip_int64_t>(st.size)) {
            ++report_.files;
            Reject(entry, "", "cannot read the zip entry");
            continue;
        }
        if (nested)
            MUHAFIZ_CHECK(AddZip(
                entry, zip_source_buffer_create(content.data(), content.size(), 0, nullptr)));
        else
            MUHAFIZ_CHECK(AddContent(entry, std::move(content), IngestKind::kAuto));
    }
    return core::Ok();
}

Status Ingester::AddContent(const std::string& source, std::string content, IngestKind kind) {
    ++report_.files;
    if (IsGzip(content)) {
        auto plain = Gunzip(content);
        if (!plain) {
            Reject(source, "", plain.error().message);
            return core::Ok();
        }
        content = std::move(*plain);
    }
    const auto first = content.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
    const bool is_json =
        first != std::string::npos && (content[first] == '{' || content[first] == '[');
    if (kind == IngestKind::kEpss || (kind == IngestKind::kAuto && !is_json)) {
        auto file = ParseEpssCsv(content);
        if (!file) {
            Reject(source, "", file.error().message);
            return core::Ok();
        }
        report_.records += static_cast<std::int64_t>(file->scores.size() + file->problems.size());
        for (auto& p : file->problems) Reject(source, std::move(p.item), std::move(p.reason));
        for (std::size_t i = 0; i < file->scores.size(); i += options_.batch_size) {
            EpssFile batch{file->model_version, file->score_date, {}, {}};
            const auto end = std::min(file->scores.size(), i + options_.batch_size);
            batch.scores.assign(file->scores.begin() + static_cast<std::ptrdiff_t>(i),
                                file->scores.begin() + static_cast<std::ptrdiff_t>(end));
            MUHAFIZ_CHECK(Count(store_.UpsertEpss(batch)));
        }
        return FlushDeadLetters();
    }

    json::monotonic_resource memory(json_buffer_.get(), kJsonBuffer);  // heap beyond the buffer
    boost::system::error_code ec;
    const json::value doc = json::parse(content, ec, &memory);
    if (ec) {
        Reject(source, "", "not valid JSON: " + ec.message());
        return core::Ok();
    }
    if (kind == IngestKind::kAuto) {
        bool skip = false;
        const auto detected = DetectJson(doc, skip);
        if (skip) {
            --report_.files;
            ++report_.skipped;
            return core::Ok();
        }
        if (!detected) {
            Reject(source, "", "not a CVE 5 record, NVD 2.0 response or KEV catalog");
            return core::Ok();
        }
        kind = *detected;
    }
    switch (kind) {
        case IngestKind::kCve5: {
            ++report_.records;
            auto record = ParseCveRecord(doc);
            if (!record) {
                Reject(source, CveIdOf(doc), record.error().message);
                return core::Ok();
            }
            records_.push_back(std::move(*record));
            if (records_.size() >= options_.batch_size) return FlushRecords();
            return core::Ok();
        }
        case IngestKind::kNvd: {
            auto response = ParseNvdResponse(doc);
            if (!response) {
                Reject(source, "", response.error().message);
                return core::Ok();
            }
            report_.records +=
                static_cast<std::int64_t>(response->items.size() + response->problems.size());
            for (auto& p : response->problems)
                Reject(source, std::move(p.item), std::move(p.reason));
            for (std::size_t i = 0; i < response->items.size(); i += options_.batch_size) {
                const auto end = std::min(response->items.size(), i + options_.batch_size);
                MUHAFIZ_CHECK(Count(store_.UpsertNvd(
                    {response->items.begin() + static_cast<std::ptrdiff_t>(i),
                     response->items.begin() + static_cast<std::ptrdiff_t>(end)})));
            }
            return FlushDeadLetters();
        }
        case IngestKind::kKev: {
            auto catalog = ParseKevCatalog(doc);
            if (!catalog) {
                Reject(source, "", catalog.error().message);
                return core::Ok();
            }
            report_.records +=
                static_cast<std::int64_t>(catalog->entries.size() + catalog->problems.size());
            for (auto& p : catalog->problems)
                Reject(source, std::move(p.item), std::move(p.reason));
            for (std::size_t i = 0; i < catalog->entries.size(); i += options_.batch_size) {
                const auto end = std::min(catalog->entries.size(), i + options_.batch_size);
                MUHAFIZ_CHECK(Count(store_.UpsertKev(
                    {catalog->entries.begin() + static_cast<std::ptrdiff_t>(i),
                     catalog->entries.begin() + static_cast<std::ptrdiff_t>(end)})));
            }
            return FlushDeadLetters();
        }
        case IngestKind::kAuto:
        case IngestKind::kEpss:
            break;
    }
    return core::Ok();
}

Result<IngestReport> Ingester::Finish() {
    MUHAFIZ_CHECK(FlushRecords());
    MUHAFIZ_CHECK(FlushDeadLetters());
    report_.seconds = static_cast<double>(core::NowMicros() - started_) / 1e6;
    return report_;
}

Result<IngestReport> IngestPath(VulnStore& store, const std::string& path, IngestKind kind,
                                IngestOptions options) {
    Ingester ingester(store, std::move(options));
    MUHAFIZ_CHECK(ingester.AddPath(path, kind));
    return ingester.Finish();
}

std::string FormatIngestReport(const IngestReport& r) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.2f", r.seconds);
    return "ingest: " + std::to_string(r.files) + " files, " + std::to_string(r.records) +
           " records: " + std::to_string(r.inserted) + " inserted, " + std::to_string(r.updated) +
           " updated, " + std::to_string(r.unchanged) + " unchanged, " + std::to_string(r.older) +
           " older, " + std::to_string(r.rejected) + " rejected (dead letters), " +
           std::to_string(r.skipped) + " skipped in " + seconds + " s";
}

}  // namespace muhafiz::vulns
