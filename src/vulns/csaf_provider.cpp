#include "vulns/csaf_provider.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>

#include <gpgme.h>
#include <sodium.h>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace muhafiz::vulns {
namespace json = core::json;
namespace fs = std::filesystem;
using core::ErrorCode;
using core::Fail;
using core::Result;
using core::Status;

namespace {

constexpr std::string_view kTlpFolders[] = {"white", "green", "amber", "red"};
constexpr std::string_view kCsafSchema = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json";

std::once_flag gpgme_init;

std::string Upper(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

Status WriteFileAtomic(const fs::path& path, std::string_view data) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return Fail(ErrorCode::kInternal, "cannot create " + path.parent_path().string() + ": " + ec.message());
    const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(data.data(), static_cast<std::streamsize>(data.size()));
        if (!out) return Fail(ErrorCode::kInternal, "cannot write " + tmp.string());
    }
    fs::rename(tmp, path, ec);
    if (ec) return Fail(ErrorCode::kInternal, "cannot rename " + tmp.string() + ": " + ec.message());
    return {};
}

std::optional<std::string> ReadFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ---- GPGME ----

struct Context {
    gpgme_ctx_t ctx = nullptr;
    ~Context() {
        if (ctx) gpgme_release(ctx);
    }
};

struct Data {
    gpgme_data_t data = nullptr;
    ~Data() {
        if (data) gpgme_data_release(data);
    }
    std::string Take() {
        std::size_t len = 0;
        char* mem = gpgme_data_release_and_get_mem(data, &len);
        data = nullptr;
        std::string out(mem ? mem : "", mem ? len : 0);
        if (mem) gpgme_free(mem);
        return out;
    }
};

tl::unexpected<core::Error> GpgFail(std::string_view what, gpgme_error_t err) {
    return Fail(ErrorCode::kUnavailable, std::string(what) + ": " + gpgme_strerror(err));
}

Status OpenContext(Context& c, const fs::path& home) {
    std::call_once(gpgme_init, [] { gpgme_check_version(nullptr); });
    if (auto err = gpgme_new(&c.ctx)) return GpgFail("gpgme_new", err);
    if (auto err = gpgme_set_protocol(c.ctx, GPGME_PROTOCOL_OpenPGP)) return GpgFail("gpgme_set_protocol", err);
    if (auto err = gpgme_ctx_set_engine_info(c.ctx, GPGME_PROTOCOL_OpenPGP, nullptr, home.c_str()))
        return GpgFail("gpgme_ctx_set_engine_info", err);
    gpgme_set_armor(c.ctx, 1);
    gpgme_set_pinentry_mode(c.ctx, GPGME_PINENTRY_MODE_LOOPBACK);  // never ask anybody for anything
    return {};
}

std::string FeedName(std::string_view folder) { return "csaf-feed-tlp-" + std::string(folder) + ".json"; }

struct Entry {
    std::string rel;  // "2026/x.json" inside the TLP folder
    std::string id, title, summary, initial, current;
};

std::string NoteSummary(const json::object& document) {
    const json::value* notes = core::Find(document, "notes");
    if (!notes || !notes->is_array()) return {};
    for (const auto& n : notes->as_array())
        if (n.is_object()) {
            const json::value* cat = core::Find(n.as_object(), "category");
            const json::value* text = core::Find(n.as_object(), "text");
            if (cat && cat->is_string() && cat->as_string() == "summary" && text && text->is_string())
                return std::string(text->as_string());
        }
    return {};
}

std::optional<Entry> ReadEntry(const fs::path& file, std::string rel) {
    auto text = ReadFile(file);
    if (!text) return std::nullopt;
    auto doc = core::ParseJsonObject(*text);
    if (!doc) return std::nullopt;
    const json::value* d = core::Find(*doc, "document");
    if (!d || !d->is_object()) return std::nullopt;
    const json::value* t = core::Find(d->as_object(), "tracking");
    if (!t || !t->is_object()) return std::nullopt;
    auto str = [](const json::object& o, std::string_view k) {
        const json::value* v = core::Find(o, k);
        return v && v->is_string() ? std::string(v->as_string()) : std::string();
    };
    Entry e;
    e.rel = std::move(rel);
    e.id = str(t->as_object(), "id");
    e.initial = str(t->as_object(), "initial_release_date");
    e.current = str(t->as_object(), "current_release_date");
    e.title = str(d->as_object(), "title");
    e.summary = NoteSummary(d->as_object());
    return e;
}

}  // namespace

std::string Sha512Hex(std::string_view data) {
    unsigned char out[crypto_hash_sha512_BYTES];
    crypto_hash_sha512(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return core::HexEncode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

CsafProvider::CsafProvider(CsafProviderSettings settings)
    : settings_(std::move(settings)) {
    // Absolute: gpg-agent changes its working directory.
    std::error_code ec;
    const fs::path dir = fs::absolute(settings_.data_dir, ec);
    root_ = (ec ? settings_.data_dir : dir) / "csaf";
    gnupg_home_ = (ec ? settings_.data_dir : dir) / "gnupg";
}

CsafProvider::~CsafProvider() = default;

Result<std::string> CsafProvider::EnsureKey() {
    if (!fingerprint_.empty()) return fingerprint_;
    std::error_code ec;
    fs::create_directories(gnupg_home_, ec);
    if (ec) return Fail(ErrorCode::kInternal, "cannot create " + gnupg_home_.string() + ": " + ec.message());
    fs::permissions(gnupg_home_, fs::perms::owner_all, fs::perm_options::replace, ec);
    Context c;
    MUHAFIZ_CHECK(OpenContext(c, gnupg_home_));
    if (auto err = gpgme_op_keylist_start(c.ctx, nullptr, 1)) return GpgFail("listing keys", err);
    gpgme_key_t key = nullptr;
    while (!gpgme_op_keylist_next(c.ctx, &key)) {
        if (fingerprint_.empty() && key->can_sign && !key->revoked && !key->expired && !key->disabled && key->subkeys &&
            key->subkeys->fpr)
            fingerprint_ = key->subkeys->fpr;
        gpgme_key_unref(key);
    }
    gpgme_op_keylist_end(c.ctx);
    if (!fingerprint_.empty()) return fingerprint_;
    const std::string uid = settings_.csaf.publisher_name + " (CSAF provider)";
    if (auto err = gpgme_op_createkey(c.ctx, uid.c_str(), settings_.key_algorithm.c_str(), 0, 0, nullptr,
                                      GPGME_CREATE_SIGN | GPGME_CREATE_NOPASSWD | GPGME_CREATE_NOEXPIRE |
                                          GPGME_CREATE_FORCE))
        return GpgFail("generating the provider's OpenPGP key", err);
    gpgme_genkey_result_t r = gpgme_op_genkey_result(c.ctx);
    if (!r || !r->fpr) return Fail(ErrorCode::kUnavailable, "GnuPG generated no key");
    fingerprint_ = r->fpr;
    return fingerprint_;
}

Result<std::string> CsafProvider::Sign(const std::string& data) {
    const std::string fpr = MUHAFIZ_TRY(EnsureKey());
    Context c;
    MUHAFIZ_CHECK(OpenContext(c, gnupg_home_));
    gpgme_key_t key = nullptr;
    if (auto err = gpgme_get_key(c.ctx, fpr.c_str(), &key, 1)) return GpgFail("finding the signing key", err);
    gpgme_signers_clear(c.ctx);
    const auto added = gpgme_signers_add(c.ctx, key);
    gpgme_key_unref(key);
    if (added) return GpgFail("selecting the signing key", added);
    Data in, out;
    if (auto err = gpgme_data_new_from_mem(&in.data, data.data(), data.size(), 0)) return GpgFail("signing", err);
    if (auto err = gpgme_data_new(&out.data)) return GpgFail("signing", err);
    if (auto err = gpgme_op_sign(c.ctx, in.data, out.data, GPGME_SIG_MODE_DETACH)) return GpgFail("signing", err);
    return out.Take();
}

Result<std::string> CsafProvider::ExportPublicKey(const std::string& fingerprint) {
    Context c;
    MUHAFIZ_CHECK(OpenContext(c, gnupg_home_));
    Data out;
    if (auto err = gpgme_data_new(&out.data)) return GpgFail("exporting the key", err);
    if (auto err = gpgme_op_export(c.ctx, fingerprint.c_str(), 0, out.data)) return GpgFail("exporting the key", err);
    std::string key = out.Take();
    if (key.empty()) return Fail(ErrorCode::kUnavailable, "GnuPG exported no key for " + fingerprint);
    return key;
}

Result<std::string> CsafProvider::KeyFingerprint() {
    std::lock_guard lock(mu_);
    return EnsureKey();
}

Status CsafProvider::WriteDocument(const Advisory& a) {
    if (a.status != AdvisoryStatus::kPublished || a.tracking_id.empty() || a.revisions.empty() || a.csaf_json.empty())
        return Fail(ErrorCode::kConflict, "the advisory is not published");
    const std::string rel = CsafDocumentPath(a.content.tlp, a.revisions.front().date, a.tracking_id);
    const fs::path path = root_ / rel;
    const std::string name = path.filename().string();
    // After a TLP change the document must vanish from its old folder.
    std::error_code ec;
    for (std::string_view folder : kTlpFolders) {
        const fs::path dir = root_ / std::string(folder);
        if (!fs::is_directory(dir, ec)) continue;
        for (const auto& year : fs::directory_iterator(dir, ec)) {
            const fs::path old = year.path() / name;
            if (old == path || !fs::exists(old, ec)) continue;
            for (std::string_view ext : {"", ".sha256", ".sha512", ".asc"}) fs::remove(old.string() + std::string(ext), ec);
        }
    }
    const std::string signature = MUHAFIZ_TRY(Sign(a.csaf_json));
    MUHAFIZ_CHECK(WriteFileAtomic(path.string() + ".sha256", core::Sha256Hex(a.csaf_json) + "  " + name + "\n"));
    MUHAFIZ_CHECK(WriteFileAtomic(path.string() + ".sha512", Sha512Hex(a.csaf_json) + "  " + name + "\n"));
    MUHAFIZ_CHECK(WriteFileAtomic(path.string() + ".asc", signature));
    return WriteFileAtomic(path, a.csaf_json);
}

Status CsafProvider::Publish(const Advisory& advisory) {
    std::lock_guard lock(mu_);
    MUHAFIZ_CHECK(WriteDocument(advisory));
    return RebuildLocked();
}

Status CsafProvider::Sync(const std::vector<Advisory>& published) {
    std::lock_guard lock(mu_);
    for (const auto& a : published) {
        if (a.revisions.empty() || a.tracking_id.empty()) continue;
        const fs::path path = root_ / CsafDocumentPath(a.content.tlp, a.revisions.front().date, a.tracking_id);
        const auto current = ReadFile(path);
        std::error_code ec;
        if (!current || *current != a.csaf_json || !fs::exists(path.string() + ".asc", ec))
            MUHAFIZ_CHECK(WriteDocument(a));
    }
    return RebuildLocked();
}

Status CsafProvider::Rebuild() {
    std::lock_guard lock(mu_);
    return RebuildLocked();
}

Status CsafProvider::RebuildLocked() {
    const std::string fpr = MUHAFIZ_TRY(EnsureKey());
    const CsafSettings& s = settings_.csaf;
    const std::string base = s.base_url + "/.well-known/csaf/";
    const std::string now = core::FormatRfc3339(core::NowMicros(), true);

    const std::string key_rel = "openpgp/" + fpr + ".asc";
    if (!fs::exists(root_ / key_rel)) MUHAFIZ_CHECK(WriteFileAtomic(root_ / key_rel, MUHAFIZ_TRY(ExportPublicKey(fpr))));

    std::string feed_prefix = CsafFileName(s.tracking_prefix);
    feed_prefix.resize(feed_prefix.size() - 5);  // without ".json"
    json::array feeds;
    for (std::string_view folder : kTlpFolders) {
        const fs::path dir = root_ / std::string(folder);
        std::vector<Entry> entries;
        std::error_code ec;
        if (fs::is_directory(dir, ec))
            for (const auto& year : fs::directory_iterator(dir, ec)) {
                if (!year.is_directory()) continue;
                for (const auto& f : fs::directory_iterator(year.path(), ec)) {
                    const std::string name = f.path().filename().string();
                    if (!f.is_regular_file() || name.starts_with(".") || f.path().extension() != ".json") continue;
                    if (auto e = ReadEntry(f.path(), year.path().filename().string() + "/" + name))
                        entries.push_back(std::move(*e));
                }
            }
        if (entries.empty() && folder != "white") continue;
        std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
            return a.current != b.current ? a.current > b.current : a.rel < b.rel;
        });
        const std::string label = Upper(folder);
        const std::string folder_url = base + std::string(folder) + "/";
        json::array items;
        std::string index, changes;
        std::vector<std::string> sorted_paths;
        for (const auto& e : entries) {
            const std::string url = folder_url + e.rel;
            json::object entry{{"id", e.id},
                               {"title", e.title},
                               {"link", json::array{json::object{{"rel", "self"}, {"href", url}},
                                                    json::object{{"rel", "hash"}, {"href", url + ".sha512"}},
                                                    json::object{{"rel", "hash"}, {"href", url + ".sha256"}},
                                                    json::object{{"rel", "signature"}, {"href", url + ".asc"}}}},
                               {"published", e.initial},
                               {"updated", e.current}};
            if (!e.summary.empty()) entry["summary"] = json::object{{"content", e.summary}};
            entry["content"] = json::object{{"type", "application/json"}, {"src", url}};
            entry["format"] = json::object{{"schema", kCsafSchema}, {"version", "2.0"}};
            items.push_back(std::move(entry));
            changes += "\"" + e.rel + "\",\"" + e.current + "\"\n";
            sorted_paths.push_back(e.rel);
        }
        std::sort(sorted_paths.begin(), sorted_paths.end());
        for (const auto& p : sorted_paths) index += p + "\n";
        const std::string feed_url = folder_url + FeedName(folder);
        json::object feed{
            {"id", feed_prefix + "-csaf-feed-tlp-" + std::string(folder)},
            {"title", s.publisher_name + " CSAF feed (TLP:" + label + ")"},
            {"link", json::array{json::object{{"rel", "self"}, {"href", feed_url}}}},
            {"category", json::array{json::object{{"scheme", "urn:ietf:params:rolie:category:information-type"},
                                                  {"term", "csaf"}}}},
            {"updated", entries.empty() ? now : entries.front().current},
            {"entry", std::move(items)}};
        MUHAFIZ_CHECK(WriteFileAtomic(dir / FeedName(folder), SerializeJson(json::object{{"feed", std::move(feed)}})));
        MUHAFIZ_CHECK(WriteFileAtomic(dir / "index.txt", index));
        MUHAFIZ_CHECK(WriteFileAtomic(dir / "changes.csv", changes));
        feeds.push_back(json::object{{"summary", "All TLP:" + label + " advisories of " + s.publisher_name + "."},
                                     {"tlp_label", label},
                                     {"url", feed_url}});
    }
    json::object publisher{{"category", s.publisher_category}, {"name", s.publisher_name},
                           {"namespace", s.publisher_namespace}};
    if (!s.contact_details.empty()) publisher["contact_details"] = s.contact_details;
    json::object metadata{
        {"canonical_url", base + "provider-metadata.json"},
        {"distributions", json::array{json::object{{"rolie", json::object{{"feeds", std::move(feeds)}}}}}},
        {"last_updated", now},
        {"list_on_CSAF_aggregators", settings_.list_on_aggregators},
        {"metadata_version", "2.0"},
        {"mirror_on_CSAF_aggregators", settings_.mirror_on_aggregators},
        {"public_openpgp_keys", json::array{json::object{{"fingerprint", fpr}, {"url", base + key_rel}}}},
        {"publisher", std::move(publisher)},
        {"role", "csaf_trusted_provider"}};
    return WriteFileAtomic(root_ / "provider-metadata.json", SerializeJson(metadata));
}

Result<ProviderFile> CsafProvider::Fetch(std::string_view rest) const {
    auto not_found = [] { return core::NotFound("no such CSAF provider file"); };
    if (rest.empty() || rest.size() > 300) return not_found();
    std::vector<std::string> segments;
    std::size_t start = 0;
    while (start <= rest.size()) {
        const std::size_t slash = std::min(rest.find('/', start), rest.size());
        std::string seg(rest.substr(start, slash - start));
        if (seg.empty() || seg.front() == '.') return not_found();
        for (char c : seg)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' && c != '+')
                return not_found();
        segments.push_back(std::move(seg));
        start = slash + 1;
    }
    const fs::path path = root_ / std::string(rest);
    std::error_code ec;
    if (!fs::is_regular_file(fs::symlink_status(path, ec))) return not_found();
    auto body = ReadFile(path);
    if (!body) return not_found();
    ProviderFile f;
    f.body = std::move(*body);
    f.tlp = "WHITE";
    f.is_public = true;
    if (segments.size() > 1 &&
        std::find(std::begin(kTlpFolders), std::end(kTlpFolders), segments[0]) != std::end(kTlpFolders)) {
        f.tlp = Upper(segments[0]);
        f.is_public = segments[0] == "white";
    }
    const std::string& name = segments.back();
    auto ends = [&](std::string_view ext) { return name.size() >= ext.size() && name.ends_with(ext); };
    if (ends(".json")) f.content_type = "application/json";
    else if (segments[0] == "openpgp" && ends(".asc")) f.content_type = "application/pgp-keys";
    else if (ends(".asc")) f.content_type = "application/pgp-signature";
    else if (ends(".csv")) f.content_type = "text/csv; charset=utf-8";
    else f.content_type = "text/plain; charset=utf-8";
    return f;
}

}  // namespace muhafiz::vulns
