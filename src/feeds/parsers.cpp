#include "feeds/parsers.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include <boost/unordered/unordered_flat_map.hpp>

#include "core/json.hpp"
#include "core/net.hpp"

namespace muhafiz::feeds {

core::Micros TimeSource(const Event& e) {
    static const Key kTimeSource("time.source");
    const std::string_view* t = e.Find(kTimeSource);
    return t ? ParseEventTime(*t).value_or(0) : 0;
}

namespace {

// What a parser gives with each event it keeps: its line, and its time.source as a time; the
// events go to ParseOutput::ready when it takes them.
void Keep(ParseOutput& out, RoutedEvent& r, std::int64_t line) {
    r.line = line;
    r.time_source = r.first_seen = r.last_seen = TimeSource(r.event);
    if (out.ready && out.events.size() >= out.ready_every) out.ready(out.events);
}

// A parsed event moved into the output.
void Keep(ParseOutput& out, Event&& e, std::int64_t line) { Keep(out, out.events.Add(std::move(e)), line); }

std::string_view TrimView(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string LowerStr(std::string_view s) {
    std::string o(s);
    for (char& c : o)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return o;
}

// The keys the parsers set or test for every record, interned once (no look-up of their text
// per record).
struct Keys {
    Key time_observation{"time.observation"}, time_source{"time.source"}, feed_code{"feed.code"},
        feed_provider{"feed.provider"}, feed_url{"feed.url"}, feed_accuracy{"feed.accuracy"}, feed_name{"feed.name"},
        feed_documentation{"feed.documentation"}, tlp{"tlp"}, malware_name{"malware.name"},
        source_ip{"source.ip"}, source_network{"source.network"}, severity{"severity"},
        classification_taxonomy{"classification.taxonomy"}, classification_type{"classification.type"},
        classification_identifier{"classification.identifier"}, protocol_application{"protocol.application"},
        protocol_transport{"protocol.transport"}, product_vulnerabilities{"product.vulnerabilities"},
        event_description_text{"event_description.text"}, source_url{"source.url"},
        destination_url{"destination.url"}, raw{"raw"};
};
const Keys& K() {
    static const Keys* keys = new Keys();
    return *keys;
}

// `record_text`: the record is known to be valid UTF-8 without NUL.
void AddCommon(Event& e, const ParseContext& ctx, std::string_view record, bool record_text = false) {
    const Keys& k = K();
    if (ctx.keep_raw) e.SetRawBytes(record, record_text);
    if (ctx.observation_text.empty()) ctx.observation_text = FormatEventTime(ctx.observation);
    e.SetRaw(k.time_observation, ctx.observation_text);
    if (!ctx.feed_code.empty() && !e.HasKey(k.feed_code)) e.SetRaw(k.feed_code, ctx.feed_code);
    if (!ctx.provider.empty() && !e.HasKey(k.feed_provider)) e.SetRaw(k.feed_provider, ctx.provider);
    if (!ctx.feed_url.empty() && !e.HasKey(k.feed_url)) e.SetRaw(k.feed_url, ctx.feed_url);
    if (ctx.accuracy && !e.HasKey(k.feed_accuracy)) {
        char buf[32];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *ctx.accuracy);
        e.SetRaw(k.feed_accuracy, std::string(buf, p), JsonKind::kFloat);
    }
    if (!ctx.tlp.empty() && !e.HasKey(k.tlp)) e.SetRaw(k.tlp, ctx.tlp);
}

bool ParseI64(std::string_view s, std::int64_t& out) {
    s = TrimView(s);
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size()) return true;
    double d;
    auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec2 != std::errc() || p2 != s.data() + s.size() || d != static_cast<double>(static_cast<std::int64_t>(d)))
        return false;
    out = static_cast<std::int64_t>(d);
    return true;
}

bool ParseF64(std::string_view s, double& out) {
    s = TrimView(s);
    if (s.empty()) return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

std::string FloatText(double d) {
    char buf[32];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, p);
}

// RFC 7231 HTTP-date ("Wed, 14 Jan 2026 00:00:00 GMT") or ISO.
std::optional<core::Micros> ParseHttpDate(std::string_view s) {
    if (auto t = ParseEventTime(s)) return t;
    // The usual form, without strptime: "Wed, 14 Jan 2026 00:00:00 GMT".
    if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
        static const char* kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
        const std::string_view mon = s.substr(8, 3);
        for (int m = 0; m < 12; ++m)
            if (mon == std::string_view(kMonths + 3 * m, 3)) {
                // "YYYY-MM-DDThh:mm:ssZ" written in place (this runs for a column of every row).
                char iso[20];
                std::memcpy(iso, s.data() + 12, 4);
                iso[4] = '-';
                iso[5] = static_cast<char>('0' + (m + 1) / 10);
                iso[6] = static_cast<char>('0' + (m + 1) % 10);
                iso[7] = '-';
                std::memcpy(iso + 8, s.data() + 5, 2);
                iso[10] = 'T';
                std::memcpy(iso + 11, s.data() + 17, 8);
                iso[19] = 'Z';
                if (auto t = ParseEventTime(std::string_view(iso, sizeof iso))) return t;
            }
    }
    std::tm tm{};
    std::string str(s);
    const char* end = strptime(str.c_str(), "%a, %d %b %Y %H:%M:%S", &tm);
    if (!end) return std::nullopt;
    return static_cast<core::Micros>(timegm(&tm)) * 1000000;
}

// "GET /x HTTP/1.1" -> "/x"
std::string StripRequestLine(std::string_view path) {
    path = TrimView(path);
    static const char* kMethods[] = {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH "};
    for (const char* m : kMethods)
        if (path.rfind(m, 0) == 0) {
            path.remove_prefix(std::strlen(m));
            break;
        }
    const auto sp = path.rfind(" HTTP/");
    if (sp != std::string_view::npos) path = path.substr(0, sp);
    return std::string(TrimView(path));
}

}  // namespace

// ---- Shadowserver ----------------------------------------------------------------------------

namespace {

std::vector<std::string> Split(std::string_view header) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto c = header.find(',', start);
        out.emplace_back(header.substr(start, c == std::string_view::npos ? std::string_view::npos : c - start));
        if (c == std::string_view::npos) break;
        start = c + 1;
    }
    return out;
}

std::string Doc(std::string_view slug) {
    return "https://www.shadowserver.org/what-we-do/network-reporting/" + std::string(slug) + "/";
}

constexpr std::string_view kScanCommon =
    "timestamp,severity,ip,protocol,port,hostname,tag,asn,geo,region,city,naics,hostname_source,sector";

}  // namespace

const std::vector<ShadowserverReport>& ShadowserverReports() {
    static const auto* reports = [] {
        auto* r = new std::vector<ShadowserverReport>();
        const std::string http_cols = std::string(kScanCommon) +
            ",http,http_code,http_reason,content_type,connection,www_authenticate,set_cookie,server,"
            "content_length,transfer_encoding,http_date,version";
        const std::vector<std::pair<std::string, std::string>> http_rules = {
            {"http_code", "int"}, {"content_length", "int"}, {"http_date", "date"}};
        r->push_back({"scan_http", {}, "Accessible-HTTP", Doc("accessible-http-report"), "other", "other",
                      "accessible-http", "", "http", "", "info", true, Split(http_cols), http_rules});
        r->push_back({"scan6_http", {}, "IPv6-Accessible-HTTP", Doc("accessible-http-report"), "other", "other",
                      "accessible-http", "", "http", "", "info", true, Split(http_cols), http_rules});
        r->push_back({"scan_dns", {"dns_openresolver", "scan_dns_openresolver"}, "DNS-Open-Resolvers",
                      Doc("open-resolvers-report"), "vulnerable", "vulnerable-system", "dns-open-resolver", "", "dns",
                      "", "medium", false, Split(std::string(kScanCommon) + ",dns_version,min_amplification"),
                      {{"min_amplification", "float"}}});
        {
            std::vector<std::pair<std::string, std::string>> rules;
            for (const char* f : {"clk_wander", "frequency", "jitter", "leap", "offset", "rootdelay", "rootdispersion",
                                  "amplification"})
                rules.emplace_back(f, "float");
            for (const char* f : {"peer", "poll", "precision", "stratum", "tc", "response_size"})
                rules.emplace_back(f, "int");
            r->push_back({"scan_ntp", {}, "NTP-Version", Doc("ntp-version-report"), "vulnerable",
                          "vulnerable-system", "ntp-version", "", "ntp", "", "medium", false,
                          Split(std::string(kScanCommon) +
                                ",version,clk_wander,clock,error,frequency,jitter,leap,mintc,noise,offset,peer,phase,"
                                "poll,precision,processor,refid,reftime,rootdelay,rootdispersion,stability,state,"
                                "stratum,system,tai,tc,response_size,amplification"),
                          rules});
        }
        r->push_back({"scan_snmp", {}, "Open-SNMP", Doc("open-snmp-report"), "vulnerable", "vulnerable-system",
                      "open-snmp", "", "snmp", "", "high", false,
                      Split(std::string(kScanCommon) +
                            ",device_vendor,device_type,device_model,device_version,device_sector,version,sysname,"
                            "sysdesc,community,response_size,amplification,uptime,mac_address,vendor_id,vendor"),
                      {{"device_vendor", "product.vendor"},
                       {"device_model", "product.name"},
                       {"device_version", "product.version"},
                       {"response_size", "int"},
                       {"amplification", "float"},
                       {"uptime", "int"}}});
        r->push_back({"scan_rdp", {}, "Accessible-RDP", Doc("accessible-rdp-report"), "vulnerable",
                      "vulnerable-system", "open-rdp", "", "rdp", "tcp", "high", false,
                      Split(std::string(kScanCommon) +
                            ",handshake,rdp_protocol,cert_length,subject_common_name,issuer_common_name,"
                            "cert_issue_date,cert_expiration_date,sha1_fingerprint,cert_serial_number,ssl_version,"
                            "signature_algorithm,key_algorithm,sha256_fingerprint,sha512_fingerprint,"
                            "md5_fingerprint,tlsv13_support,tlsv13_cipher,jarm"),
                      {{"cert_length", "int"}, {"ssl_version", "int"}}});
        r->push_back({"event4_sinkhole_http", {}, "Sinkhole-Events-HTTP IPv4", Doc("sinkhole-http-events-report"),
                      "malicious-code", "infected-system", "", "infection", "http", "", "critical", true,
                      Split("timestamp,protocol,src_ip,src_port,src_asn,src_geo,src_region,src_city,src_hostname,"
                            "src_naics,src_sector,device_vendor,device_type,device_model,severity,dst_ip,dst_port,"
                            "dst_asn,dst_geo,dst_region,dst_city,dst_hostname,dst_naics,dst_sector,public_source,"
                            "infection,family,tag,application,version,event_id,http_url,http_host,http_agent,"
                            "forwarded_by,ssl_cipher,http_referer,ssl_servername,machine_name"),
                      {{"device_vendor", "product.vendor"},
                       {"device_model", "product.name"},
                       {"http_url", "urlpath:destination"},
                       {"http_host", "host:destination"},
                       {"application", "scheme"}}});
        r->push_back({"compromised_website", {}, "Compromised-Website", Doc("compromised-website-report"),
                      "intrusions", "system-compromise", "compromised-website", "", "", "", "critical", false,
                      Split(std::string(kScanCommon) +
                            ",application,url,http_host,category,system,detected_since,server,redirect_target,"
                            "cc_url,family,status,account,detail,public_source"),
                      {{"application", "scheme:protocol.application"},
                       {"url", "urlpath:source"},
                       {"http_host", "host:source"},
                       {"category", "category"},
                       {"detail", "detail"},
                       {"family", "malware.name"},
                       {"status", "status"},
                       {"account", "source.account"}}});
        r->push_back({"blocklist", {}, "Blocklist", Doc("blocklist-report"), "other", "blacklist", "blacklisted-ip",
                      "", "", "", "low", false,
                      Split("timestamp,severity,ip,hostname,source,reason,asn,geo,region,city,naics,sector,tag"),
                      {{"ip", "ip_or_network"}, {"source", "rename:source_name"}}});
        return r;
    }();
    return *reports;
}

const ShadowserverReport* FindShadowserverReport(std::string_view type) {
    for (const auto& r : ShadowserverReports()) {
        if (r.type == type) return &r;
        for (const auto& a : r.aliases)
            if (a == type) return &r;
    }
    return nullptr;
}

const ShadowserverReport* DetectShadowserverReport(std::string_view file_name, std::string_view header) {
    // The longest type name found in the file name between separators.
    const ShadowserverReport* best = nullptr;
    std::size_t best_len = 0;
    const std::string name = LowerStr(file_name.substr(file_name.find_last_of('/') + 1));
    for (const auto& r : ShadowserverReports()) {
        std::vector<std::string> names = r.aliases;
        names.push_back(r.type);
        for (const auto& n : names) {
            std::size_t at = name.find(n);
            while (at != std::string::npos) {
                const bool left = at == 0 || !std::isalnum(static_cast<unsigned char>(name[at - 1]));
                const std::size_t e = at + n.size();
                const bool right = e == name.size() || !(std::isalnum(static_cast<unsigned char>(name[e])) || name[e] == '_');
                if (left && right && n.size() > best_len) {
                    best = &r;
                    best_len = n.size();
                }
                at = name.find(n, at + 1);
            }
        }
    }
    if (best) return best;
    // The header: same columns as one report (quotes removed).
    std::string h;
    for (char c : header)
        if (c != '"' && c != '\r') h += c;
    const auto cols = Split(h);
    for (const auto& r : ShadowserverReports())
        if (r.header == cols) return &r;
    // Same set of columns in another order, or extra columns added later by Shadowserver.
    for (const auto& r : ShadowserverReports()) {
        bool all = true;
        for (const auto& c : r.header)
            if (std::find(cols.begin(), cols.end(), c) == cols.end()) {
                all = false;
                break;
            }
        if (all && r.type != "scan6_http") return &r;
    }
    return nullptr;
}

namespace {

enum class Act : std::uint8_t {
    kField,       // harmonised field; on failure the value goes to extra.<column>
    kRequired,    // harmonised field; failure or absence rejects the record
    kExtra,       // extra.<column> as text
    kExtraInt,
    kExtraFloat,
    kExtraDate,
    kAsn,         // drop when 0
    kNaics,       // int, drop when 0
    kTag,         // extra.tag + product.vulnerabilities
    kIdentifier,  // classification.identifier + malware.name
    kIpOrNetwork,
    kUrlPath,
    kHost,
    kScheme,
    kCategory,
    kDetail,
    kIgnore,
};

struct Action {
    Act act = Act::kExtra;
    Key key;  // interned once per file: no key is built or looked up per row
    FieldType type = FieldType::kString;
    std::string side;  // for kUrlPath / kHost: "source" / "destination"
    Key extra_key;     // extra.<column>, where a value that fails its field goes
};

class ShadowserverParser final : public Parser {
public:
    ShadowserverParser(const ShadowserverReport* report, ParseContext ctx, std::string file_name)
        : report_(report), ctx_(std::move(ctx)), file_name_(std::move(file_name)) {}

    bool csv_records() const override { return true; }
    bool has_header() const override { return true; }
    std::string format() const override { return "shadowserver:" + (report_ ? report_->type : std::string()); }

    core::Status Begin(std::string_view header) override {
        std::vector<std::string> cols;
        std::size_t n = 0;
        CsvTokenizer tok(header, 1);
        if (tok.Next(cols, n) != CsvTokenizer::Outcome::kRecord)
            return core::Invalid("header", "the first line is not a CSV header");
        cols.resize(n);
        if (!report_) {
            report_ = DetectShadowserverReport(file_name_, header);
            if (!report_)
                return core::Invalid("format",
                                     "cannot tell which Shadowserver report this is from its name or header; "
                                     "give the type, e.g. --format shadowserver:scan_http");
        }
        const std::string naics_prefix = report_->source_naics ? "extra.source." : "extra.";
        constant_bytes_ = 96 + report_->name.size() + report_->documentation.size() + report_->taxonomy.size() +
                          report_->classification_type.size() + report_->identifier.size() +
                          report_->application.size() + report_->transport.size() + report_->severity.size() +
                          ctx_.provider.size() + ctx_.feed_code.size() + ctx_.feed_url.size() + ctx_.tlp.size();
        actions_.clear();
        bool has_time = false, has_ip = false;
        for (const auto& c : cols) {
            Action a;
            auto rule_it = std::find_if(report_->columns.begin(), report_->columns.end(),
                                        [&](const auto& p) { return p.first == c; });
            const std::string rule = rule_it == report_->columns.end() ? std::string() : rule_it->second;
            const bool is_side = c.rfind("src_", 0) == 0 || c.rfind("dst_", 0) == 0;
            const std::string side = c.rfind("dst_", 0) == 0 ? "destination" : "source";
            const std::string base = is_side ? c.substr(4) : c;
            if (!rule.empty()) {
                if (rule == "int") a = {Act::kExtraInt, "extra." + c};
                else if (rule == "float") a = {Act::kExtraFloat, "extra." + c};
                else if (rule == "date") a = {Act::kExtraDate, "extra." + c};
                else if (rule == "ignore") a = {Act::kIgnore, ""};
                else if (rule == "ip_or_network") a = {Act::kIpOrNetwork, "source.ip"}, has_ip = true;
                else if (rule.rfind("rename:", 0) == 0) a = {Act::kExtra, "extra." + rule.substr(7)};
                else if (rule.rfind("urlpath:", 0) == 0) a = {Act::kUrlPath, "", FieldType::kString, rule.substr(8)};
                else if (rule.rfind("host:", 0) == 0)
                    a = {Act::kHost, rule.substr(5) + ".fqdn", FieldType::kFqdn, rule.substr(5)};
                else if (rule.rfind("scheme", 0) == 0) a = {Act::kScheme, rule.size() > 7 ? rule.substr(7) : "extra." + c};
                else if (rule == "category") a = {Act::kCategory, "event_description.text"};
                else if (rule == "detail") a = {Act::kDetail, "extra." + c};
                else a = {Act::kField, rule, TypeOf(rule).value_or(FieldType::kString)};
            } else if (c == report_->identifier_column && !c.empty()) {
                a = {Act::kIdentifier, "classification.identifier"};
            } else if (c == "timestamp") {
                a = {Act::kRequired, "time.source", FieldType::kDateTime};
                has_time = true;
            } else if (c == "severity") {
                a = {Act::kField, "severity", FieldType::kLowercase};
            } else if (c == "protocol") {
                a = {Act::kField, "protocol.transport", FieldType::kLowercase};
            } else if (c == "tag") {
                a = {Act::kTag, "extra.tag"};
            } else if (base == "ip" && (c == "ip" || c == "src_ip")) {
                a = {Act::kRequired, "source.ip", FieldType::kIp};
                has_ip = true;
            } else if (base == "ip") {
                a = {Act::kField, side + ".ip", FieldType::kIp};
            } else if (base == "port") {
                a = {Act::kField, side + ".port", FieldType::kPort};
            } else if (base == "hostname") {
                a = {Act::kField, side + ".reverse_dns", FieldType::kFqdn};
            } else if (base == "asn") {
                a = {Act::kAsn, side + ".asn", FieldType::kAsn};
            } else if (base == "geo") {
                a = {Act::kField, side + ".geolocation.cc", FieldType::kCountry};
            } else if (base == "region") {
                a = {Act::kField, side + ".geolocation.region", FieldType::kString};
            } else if (base == "city") {
                a = {Act::kField, side + ".geolocation.city", FieldType::kString};
            } else if (base == "naics") {
                a = {Act::kNaics, is_side ? "extra." + side + ".naics" : naics_prefix + "naics"};
            } else if (base == "sector") {
                a = {Act::kExtra, is_side ? "extra." + side + ".sector" : naics_prefix + "sector"};
            } else {
                a = {Act::kExtra, "extra." + c};
            }
            a.extra_key = Key("extra." + c);
            actions_.push_back(std::move(a));
        }
        if (!has_time) return core::Invalid("header", "the header has no timestamp column");
        if (!has_ip) return core::Invalid("header", "the header has no ip column");
        columns_ = cols;
        MakeConstants();
        PlanShares();
        return core::Ok();
    }

    void Parse(std::string_view text, std::int64_t first_line, ParseOutput& out) override {
        CsvTokenizer tok(text, first_line);
        std::size_t n = 0;
        // Room for the chunk's events (a report row is a few hundred bytes): the events are not
        // moved again and again while the list grows.
        if (!out.ready) out.events.reserve(out.events.size() + text.size() / 192 + 8);
        for (;;) {
            const auto o = tok.Next(cells_, n);
            if (o == CsvTokenizer::Outcome::kEnd) break;
            if (o == CsvTokenizer::Outcome::kBlank) continue;
            ++out.records;
            if (o == CsvTokenizer::Outcome::kError) {
                out.rejected.push_back({tok.record_line(), tok.error(), std::string(tok.record_text())});
                continue;
            }
            if (n != actions_.size()) {
                out.rejected.push_back({tok.record_line(),
                                        "expected " + std::to_string(actions_.size()) + " columns, found " +
                                            std::to_string(n),
                                        std::string(tok.record_text())});
                continue;
            }
            // The event is built in place: a kept one (cleared, its storage kept) or a new one.
            RoutedEvent& r = out.events.Add();
            Event& e = r.event;
            // The values are about the record's bytes plus the report's constants.
            // (Cells and raw are views of the text when it is lent: only rewritten values are
            // copied.)
            if (out.lend_text) e.Borrow(text);
            e.ReserveBytes(out.lend_text ? constant_bytes_ + 64
                                         : tok.record_text().size() * (ctx_.keep_raw ? 2 : 1) + constant_bytes_);
            std::string reason;
            // A valid record has valid cells (they are cut at ASCII bytes): one check per record.
            record_utf8_ = tok.record_ascii() || IsUtf8(tok.record_text());
            if (!Record(e, reason)) {
                out.rejected.push_back({tok.record_line(), reason, std::string(tok.record_text())});
                out.events.pop_back();
                continue;
            }
            if (ctx_.keep_raw)
                e.SetRawBytes(tok.record_text(), tok.record_ascii() || (record_utf8_ && !HasNul(tok.record_text())));
            AddConstants(e);
            Keep(out, r, tok.record_line());
        }
    }

private:
    static bool HasNul(std::string_view s) { return std::memchr(s.data(), 0, s.size()) != nullptr; }
    // Most columns of a report repeat their values from row to row (its sector, naics, region,
    // city, protocol, port, tag, asn...). Such a value is parsed once and shared by the events,
    // like the report's constants (one list, list_: the constants, then the frequent values of
    // the columns), instead of being sanitised, copied, hashed and encoded for every row: a cell
    // equal byte for byte to one of its column's shared values gives the event exactly the
    // fields that parsing it would. Which values a column shares is learnt from a sample of its
    // rows and renewed (RenewShared).
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    struct TextEq {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
    };
    struct ColumnShare {
        bool shareable = false;  // PlanShares
        struct Value {
            std::string text;        // the cell
            std::uint64_t mask = 0;  // its fields in list_
            std::size_t hits = 0;    // records that had it since the list was made
        };
        std::vector<Value> values;  // at most kValuesPerColumn
        // How many sampled records had each other value (at most kCounted values are counted;
        // once that many are all different, no more until the list is renewed).
        boost::unordered_flat_map<std::string, std::uint32_t, TextHash, TextEq> counts;
        std::size_t repeats = 0;
        [[nodiscard]] std::uint64_t Match(std::string_view v) {
            for (Value& x : values)
                if (SameBytes(x.text, v)) {
                    ++x.hits;
                    return x.mask;
                }
            return 0;
        }
        void Count(std::string_view v) {
            if (counts.size() >= kCounted && repeats == 0) return;
            if (auto it = counts.find(v); it != counts.end()) {
                ++it->second;
                ++repeats;
            } else if (counts.size() < kCounted) {
                counts.emplace(std::string(v), 1);
            }
        }
    };
    static constexpr std::size_t kValuesPerColumn = 8, kCounted = 64;

    // What the cells of a record tell the steps after them (the URL and description derived from
    // several columns).
    struct CellLocals {
        std::string_view url_path, host, scheme, category, detail;
        std::string url_side;
    };

    // One non-empty cell of column action `a` into `e` (false: the record is rejected, `reason`
    // says why). For the shareable actions (ColumnShare) the fields it appends depend on the
    // cell's text alone.
    bool Cell(Event& e, const Action& a, std::string_view v, CellLocals& l, std::string& reason) const {
        switch (a.act) {
            case Act::kRequired:
            case Act::kField: {
                auto st = e.AddUtf8(a.key, v, a.type);
                if (!st) {
                    if (a.act == Act::kRequired) {
                        reason = st.error().message;
                        return false;
                    }
                    e.Append(a.extra_key, v);
                }
                break;
            }
            case Act::kExtra:
                e.Append(a.key, v);
                break;
            case Act::kExtraInt: {
                std::int64_t x;
                if (CanonicalDigits(v)) e.Append(a.key, v, JsonKind::kInt);
                else if (ParseI64(v, x)) e.Append(a.key, std::to_string(x), JsonKind::kInt);
                else e.Append(a.key, v);
                break;
            }
            case Act::kExtraFloat: {
                double d;
                if (ParseF64(v, d)) e.Append(a.key, FloatText(d), JsonKind::kFloat);
                else e.Append(a.key, v);
                break;
            }
            case Act::kExtraDate: {
                if (auto t = ParseHttpDate(v)) e.Append(a.key, FormatEventTimeText(*t).view());
                else e.Append(a.key, v);
                break;
            }
            case Act::kAsn: {
                std::int64_t x;
                if (ParseI64(v, x) && x == 0) break;
                if (!e.AddUtf8(a.key, v, FieldType::kAsn)) e.Append(a.extra_key, v);
                break;
            }
            case Act::kNaics: {
                std::int64_t x;
                if (CanonicalDigits(v)) {
                    if (v != "0") e.Append(a.key, v, JsonKind::kInt);
                } else if (ParseI64(v, x)) {
                    if (x != 0) e.Append(a.key, std::to_string(x), JsonKind::kInt);
                } else {
                    e.Append(a.key, v);
                }
                break;
            }
            case Act::kTag: {
                e.Append(a.key, v);
                std::vector<std::string> cves;
                std::size_t s = 0;
                const std::string lower = LowerStr(v);
                for (;;) {
                    const auto c = lower.find(';', s);
                    std::string item(TrimView(std::string_view(lower).substr(s, c == std::string::npos ? std::string::npos : c - s)));
                    if (item.rfind("cve-", 0) == 0) {
                        const auto dash = item.find('-', 4);
                        bool ok = dash != std::string::npos && dash > 4 && dash + 1 < item.size();
                        for (std::size_t k = 4; ok && k < item.size(); ++k)
                            if (k != dash && !std::isdigit(static_cast<unsigned char>(item[k]))) ok = false;
                        if (ok) cves.push_back(item);
                    }
                    if (c == std::string::npos) break;
                    s = c + 1;
                }
                if (!cves.empty()) {
                    std::sort(cves.begin(), cves.end());
                    std::string joined;
                    for (const auto& c : cves) {
                        if (!joined.empty()) joined += ';';
                        joined += c;
                    }
                    e.Append(K().product_vulnerabilities, joined);
                }
                break;
            }
            case Act::kIdentifier:
                e.SetRaw(K().classification_identifier, LowerStr(TrimView(v)));
                if (!e.HasKey(K().malware_name)) (void)e.AddUtf8(K().malware_name, v, FieldType::kLowercase);
                break;
            case Act::kIpOrNetwork: {
                if (v.find('/') != std::string::npos) {
                    auto st = e.AddUtf8(K().source_network, v, FieldType::kNetwork);
                    if (!st) {
                        reason = st.error().message;
                        return false;
                    }
                } else {
                    auto st = e.AddUtf8(K().source_ip, v, FieldType::kIp);
                    if (!st) {
                        reason = st.error().message;
                        return false;
                    }
                }
                break;
            }
            case Act::kUrlPath:
                l.url_path = v;
                l.url_side = a.side;
                e.Append(a.extra_key, v);
                break;
            case Act::kHost:
                l.host = v;
                l.url_side = a.side;
                if (!e.AddUtf8(a.key, v, FieldType::kFqdn)) e.Append(a.extra_key, v);
                break;
            case Act::kScheme:
                l.scheme = v;
                if (a.key.starts_with("extra.")) e.Append(a.key, v);
                else (void)e.AddUtf8(a.key, v, FieldType::kLowercase);
                break;
            case Act::kCategory:
                l.category = v;
                e.Append(a.key, v);
                break;
            case Act::kDetail:
                l.detail = v;
                e.Append(a.key, v);
                break;
            case Act::kIgnore:
                break;
        }
        return true;
    }

    bool Record(Event& e, std::string& reason) {
        e.Reserve(actions_.size() + 10);
        CellLocals l;
        if (++rows_since_ >= next_renew_) RenewShared();
        const bool sample = (rows_since_ & 7) == 0;
        std::uint64_t column_mask = 0;
        for (std::size_t i = 0; i < actions_.size(); ++i) {
            const std::string_view v = cells_[i];
            if (v.empty()) continue;
            ColumnShare& cs = shares_[i];
            if (cs.shareable) {
                if (const std::uint64_t m = cs.Match(v)) {
                    column_mask |= m;
                    continue;
                }
                if (sample) cs.Count(v);
            }
            if (!record_utf8_ && !IsUtf8(v)) {
                reason = "column " + columns_[i] + ": the value is not valid UTF-8";
                return false;
            }
            if (!Cell(e, actions_[i], v, l, reason)) return false;
        }
        if (column_mask) e.ShareFields(list_, column_mask);
        const Keys& k = K();
        if (l.category.empty() && !l.detail.empty()) e.SetRaw(k.event_description_text, std::string(l.detail));
        // convert_http_host_and_url
        if (!l.url_side.empty() && (!l.url_path.empty() || !l.host.empty())) {
            std::string h(TrimView(l.host));
            if (h.empty()) {
                const std::string_view* rd = e.Get(l.url_side + ".reverse_dns");
                const std::string_view* ip = e.Get(l.url_side + ".ip");
                h = rd ? std::string(*rd) : ip ? std::string(*ip) : std::string();
            }
            if (!h.empty()) {
                const std::string sch = LowerStr(TrimView(l.scheme));
                std::string path = StripRequestLine(l.url_path);
                if (!path.empty() && path[0] != '/') path = "/" + path;
                const std::string url = (sch == "https" ? "https" : "http") + std::string("://") + h + path;
                (void)e.Add(l.url_side + ".url", url, FieldType::kUrl);
            }
        }
        if (!e.HasKey(k.source_ip) && !e.HasKey(k.source_network)) {
            reason = "no source address";
            return false;
        }
        if (!e.HasKey(k.time_source)) {
            reason = "timestamp: missing";
            return false;
        }
        return true;
    }

    // How a constant of the report or run is given to an event whose columns set its key too
    // (as the fields were set one by one before: kept, replaced, or a second value added).
    enum class Policy : std::uint8_t { kIfAbsent, kReplace, kAppend };

    // The constants every event of the report gets (after its columns), in the order they were
    // set: one shared list for the run (events point to it instead of copying the values).
    void MakeConstants() {
        const Keys& k = K();
        std::vector<Field> fields;
        policies_.clear();
        auto add = [&](const Key& key, std::string_view value, Policy p, JsonKind kind = JsonKind::kString) {
            for (const Field& f : fields)
                if (f.key == key) return;  // set earlier (the first setting decides)
            fields.push_back(Field{key, value, kind});
            policies_.push_back(p);
        };
        if (!report_->severity.empty()) add(k.severity, report_->severity, Policy::kIfAbsent);
        add(k.feed_name, report_->name, Policy::kAppend);
        if (!report_->documentation.empty()) add(k.feed_documentation, report_->documentation, Policy::kAppend);
        add(k.feed_provider, ctx_.provider.empty() ? std::string_view("Shadowserver") : std::string_view(ctx_.provider),
            Policy::kReplace);
        add(k.classification_taxonomy, report_->taxonomy, Policy::kAppend);
        add(k.classification_type, report_->classification_type, Policy::kAppend);
        if (!report_->identifier.empty()) add(k.classification_identifier, report_->identifier, Policy::kAppend);
        if (!report_->application.empty()) add(k.protocol_application, report_->application, Policy::kIfAbsent);
        if (!report_->transport.empty()) add(k.protocol_transport, report_->transport, Policy::kIfAbsent);
        // AddCommon's fields.
        if (ctx_.observation_text.empty()) ctx_.observation_text = FormatEventTime(ctx_.observation);
        add(k.time_observation, ctx_.observation_text, Policy::kReplace);
        if (!ctx_.feed_code.empty()) add(k.feed_code, ctx_.feed_code, Policy::kIfAbsent);
        if (!ctx_.feed_url.empty()) add(k.feed_url, ctx_.feed_url, Policy::kIfAbsent);
        std::string accuracy;
        if (ctx_.accuracy) {
            char buf[32];
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *ctx_.accuracy);
            accuracy.assign(buf, p);
            add(k.feed_accuracy, accuracy, Policy::kIfAbsent, JsonKind::kFloat);
        }
        if (!ctx_.tlp.empty()) add(k.tlp, ctx_.tlp, Policy::kIfAbsent);
        constants_ = SharedFields::Make(std::move(fields));
        constant_bytes_ = 64;  // the constants are not copied into the events
        const std::size_t n = constants_->size();
        all_constants_ = n >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << n) - 1;
        list_ = constants_;
        rows_since_ = 0;
        next_renew_ = kFirstRenew;
    }

    // Which columns may share their values (ColumnShare): those whose action appends fields that
    // depend on the cell alone, with keys no other column (nor a field derived from several
    // columns) may set, so that an event never has one of them both shared and of its own.
    void PlanShares() {
        const Keys& k = K();
        std::unordered_map<const KeyInfo*, int> setters;
        const auto keys_of = [&](const Action& a) {
            std::vector<const Key*> keys{&a.extra_key};
            if (!a.key.empty() && !(a.key == a.extra_key)) keys.push_back(&a.key);
            if (a.act == Act::kTag) keys.push_back(&k.product_vulnerabilities);
            if (a.act == Act::kIpOrNetwork) keys.insert(keys.end(), {&k.source_ip, &k.source_network});
            return keys;
        };
        for (const Action& a : actions_)
            for (const Key* key : keys_of(a)) ++setters[&key->info()];
        for (const Key* key : {&k.classification_identifier, &k.malware_name, &k.event_description_text,
                               &k.source_url, &k.destination_url})
            setters[&key->info()] += 2;
        shares_.assign(actions_.size(), ColumnShare{});
        for (std::size_t i = 0; i < actions_.size(); ++i) {
            const Action& a = actions_[i];
            switch (a.act) {
                case Act::kRequired:
                case Act::kField:
                case Act::kExtra:
                case Act::kExtraInt:
                case Act::kExtraFloat:
                case Act::kExtraDate:
                case Act::kAsn:
                case Act::kNaics:
                case Act::kTag:
                case Act::kIpOrNetwork:
                    break;
                default:
                    continue;
            }
            bool alone = true;
            for (const Key* key : keys_of(a)) alone = alone && setters[&key->info()] == 1;
            shares_[i].shareable = alone;
        }
    }

    // A new shared list: the constants, then the values of the shareable columns that came in
    // at least 1/32 of the records (the shared ones counted in every record, the others in every
    // 8th; the most frequent first, up to kValuesPerColumn per column and 64 fields in all), each
    // parsed once here.
    void RenewShared() {
        std::vector<Field> fields(constants_->fields().begin(), constants_->fields().end());
        // The keys taken: the constants', and each column's (column_keys: a key is one column's alone).
        std::array<std::uint64_t, kDenseKeys / 64> used = constants_->key_bits();
        std::vector<std::string> texts;  // the fields' values until Make copies them
        texts.reserve(64);
        const std::size_t sampled = rows_since_ / 8;
        struct Candidate {
            std::uint32_t n;
            std::size_t column;
            std::string_view text;
        };
        std::vector<Candidate> candidates;
        // The values shared until now (their hits in records, counted as in the sample) and the
        // others counted in the sample.
        std::vector<std::vector<ColumnShare::Value>> before(shares_.size());
        for (std::size_t i = 0; i < shares_.size(); ++i) {
            before[i] = std::move(shares_[i].values);
            shares_[i].values.clear();
            for (const auto& v : before[i])
                if (const auto n = static_cast<std::uint32_t>(v.hits / 8); n >= 2 && n * 32 >= sampled)
                    candidates.push_back({n, i, v.text});
            for (const auto& [text, n] : shares_[i].counts)
                if (n >= 2 && n * 32 >= sampled) candidates.push_back({n, i, text});
        }
        std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
            return a.n != b.n ? a.n > b.n : a.column != b.column ? a.column < b.column : a.text < b.text;
        });
        std::vector<std::array<std::uint64_t, kDenseKeys / 64>> column_keys(shares_.size());
        std::string reason;
        CellLocals l;
        for (const Candidate& c : candidates) {
            ColumnShare& cs = shares_[c.column];
            if (cs.values.size() >= kValuesPerColumn || !IsUtf8(c.text)) continue;
            scratch_.Clear();
            if (!Cell(scratch_, actions_[c.column], c.text, l, reason)) continue;
            const auto& got = scratch_.own_fields();
            bool fits = !got.empty() && fields.size() + got.size() <= 64;
            std::array<std::uint64_t, kDenseKeys / 64> own{};  // this value's keys
            for (const Field& f : got) {
                const KeyInfo& ki = f.key.info();
                const std::uint64_t bit = std::uint64_t{1} << (ki.index & 63);
                const std::size_t w = ki.index >> 6;
                const bool elsewhere = (used[w] & bit) && !(column_keys[c.column][w] & bit);  // constants, other columns
                if (!fits || !f.key.interned() || ki.index == kOverflowKeyIndex || f.key == K().raw || elsewhere ||
                    (own[w] & bit)) {
                    fits = false;
                    break;
                }
                own[ki.index >> 6] |= bit;
            }
            if (!fits) continue;
            for (std::size_t w = 0; w < own.size(); ++w) {
                column_keys[c.column][w] |= own[w];
                used[w] |= own[w];
            }
            ColumnShare::Value& value = cs.values.emplace_back();
            value.text.assign(c.text);
            for (const Field& f : got) {
                value.mask |= std::uint64_t{1} << fields.size();
                texts.emplace_back(f.value);
                fields.push_back(Field{f.key, texts.back(), f.kind});
            }
        }
        for (auto& cs : shares_) {
            cs.counts.clear();
            cs.repeats = 0;
        }
        list_ = SharedFields::Make(std::move(fields));
        rows_since_ = 0;
        next_renew_ = std::min(next_renew_ * 2, kLastRenew);
    }

    // The constants for `e`: shared where its columns did not set the key, else as they were
    // set one by one (kept, replaced or appended).
    void AddConstants(Event& e) const {
        std::uint64_t mask = all_constants_;
        const auto& cf = constants_->fields();
        for (std::size_t i = 0; i < cf.size(); ++i) {
            if (!e.HasOwnKey(cf[i].key)) continue;
            mask &= ~(std::uint64_t{1} << i);
            switch (policies_[i]) {
                case Policy::kIfAbsent:
                    break;
                case Policy::kReplace:
                    e.SetRaw(cf[i].key, cf[i].value, cf[i].kind);
                    break;
                case Policy::kAppend:
                    e.Append(cf[i].key, cf[i].value, cf[i].kind);
                    break;
            }
        }
        e.ShareFields(list_, mask);
    }

    const ShadowserverReport* report_;
    ParseContext ctx_;
    std::string file_name_;
    std::vector<Action> actions_;
    std::vector<std::string> columns_;
    std::vector<std::string_view> cells_;
    bool record_utf8_ = false;  // the current record is valid UTF-8 as a whole
    std::shared_ptr<const SharedFields> constants_;  // MakeConstants
    std::vector<Policy> policies_;                   // per constant
    std::uint64_t all_constants_ = 0;
    std::size_t constant_bytes_ = 256;  // bytes of the values every event gets besides its cells
    // The constants and the columns' shared values (RenewShared), given to every event.
    std::shared_ptr<const SharedFields> list_;
    std::vector<ColumnShare> shares_;  // per column
    static constexpr std::size_t kFirstRenew = 64, kLastRenew = 8192;
    std::size_t rows_since_ = 0;           // records since the list was made
    std::size_t next_renew_ = kFirstRenew;      // renewed after 64, 128, ... 8192 records
    Event scratch_;                            // a value parsed for the list
};

// ---- Generic CSV -------------------------------------------------------------------------------

std::optional<core::Micros> ParseWithFormat(std::string_view v, const std::string& format) {
    v = TrimView(v);
    if (format == "iso" || format.empty()) return ParseEventTime(v);
    if (format == "epoch" || format == "epoch_ms") {
        double d;
        if (!ParseF64(v, d)) return std::nullopt;
        return static_cast<core::Micros>(format == "epoch" ? d * 1e6 : d * 1e3);
    }
    std::tm tm{};
    std::string s(v);
    const char* end = strptime(s.c_str(), format.c_str(), &tm);
    if (!end || *end != '\0') return std::nullopt;
    return static_cast<core::Micros>(timegm(&tm)) * 1000000;
}

class MappedCsvParser final : public Parser {
public:
    MappedCsvParser(CsvMapping mapping, ParseContext ctx, std::string spec)
        : mapping_(std::move(mapping)), ctx_(std::move(ctx)), spec_(std::move(spec)) {}

    bool csv_records() const override { return true; }
    bool has_header() const override { return mapping_.header; }
    std::string format() const override { return spec_; }

    core::Status Begin(std::string_view header) override {
        std::size_t n = 0;
        CsvTokenizer tok(header, 1, mapping_.delimiter);
        if (tok.Next(columns_, n) != CsvTokenizer::Outcome::kRecord)
            return core::Invalid("header", "the first line is not a CSV header");
        columns_.resize(n);
        return Prepare();
    }

    core::Status Prepare() {
        targets_.assign(columns_.size(), "");
        for (const auto& [col, field] : mapping_.columns) {
            auto it = std::find(columns_.begin(), columns_.end(), col);
            if (it == columns_.end())
                return core::Invalid("header", "the mapping names column '" + col + "' but the file has no such column");
            targets_[static_cast<std::size_t>(it - columns_.begin())] = field;
        }
        return core::Ok();
    }

    void Parse(std::string_view text, std::int64_t first_line, ParseOutput& out) override {
        CsvTokenizer tok(text, first_line, mapping_.delimiter);
        std::size_t n = 0;
        for (;;) {
            const auto o = tok.Next(cells_, n);
            if (o == CsvTokenizer::Outcome::kEnd) break;
            if (o == CsvTokenizer::Outcome::kBlank) continue;
            ++out.records;
            if (o == CsvTokenizer::Outcome::kError) {
                out.rejected.push_back({tok.record_line(), tok.error(), std::string(tok.record_text())});
                continue;
            }
            if (!mapping_.header && columns_.empty()) {
                for (std::size_t i = 0; i < n; ++i) columns_.push_back(std::to_string(i + 1));
                if (auto st = Prepare(); !st) {
                    out.rejected.push_back({tok.record_line(), st.error().message, std::string(tok.record_text())});
                    columns_.clear();
                    continue;
                }
            }
            if (n != columns_.size()) {
                out.rejected.push_back({tok.record_line(),
                                        "expected " + std::to_string(columns_.size()) + " columns, found " +
                                            std::to_string(n),
                                        std::string(tok.record_text())});
                continue;
            }
            Event e;
            std::string reason;
            bool ok = true;
            for (std::size_t i = 0; i < n && ok; ++i) {
                const std::string_view v = cells_[i];
                if (TrimView(v).empty()) continue;
                if (!IsUtf8(v)) {
                    reason = "column " + columns_[i] + ": the value is not valid UTF-8";
                    ok = false;
                    break;
                }
                const std::string& target = targets_[i];
                if (target.empty()) {
                    if (mapping_.unmapped_to_extra) {
                        std::string name = LowerStr(columns_[i]);
                        for (char& c : name)
                            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) c = '_';
                        if (!name.empty() && ValidKey("extra." + name)) e.SetExtra(name, v);
                    }
                    continue;
                }
                if (TypeOf(target) == FieldType::kDateTime) {
                    auto t = ParseWithFormat(v, mapping_.time_format);
                    if (!t) {
                        reason = target + ": not a timestamp in the format '" + mapping_.time_format + "': '" + std::string(v) + "'";
                        ok = false;
                        break;
                    }
                    e.SetRaw(target, FormatEventTimeText(*t).view());
                    continue;
                }
                if (auto st = e.Set(target, v); !st) {
                    const bool required = std::find(mapping_.required.begin(), mapping_.required.end(), target) !=
                                          mapping_.required.end();
                    if (required || target.find(".ip") != std::string::npos) {
                        reason = st.error().message;
                        ok = false;
                    } else {
                        e.SetExtra(LowerStr(columns_[i]), v);
                    }
                }
            }
            if (ok) {
                for (const auto& [k, v] : mapping_.constants)
                    if (!e.Has(k)) (void)e.Set(k, v);
                for (const auto& r : mapping_.required)
                    if (!e.Has(r)) {
                        reason = r + ": missing";
                        ok = false;
                        break;
                    }
            }
            if (!ok) {
                out.rejected.push_back({tok.record_line(), reason, std::string(tok.record_text())});
                continue;
            }
            if (!ctx_.feed_name.empty() && !e.Has("feed.name")) e.SetRaw("feed.name", ctx_.feed_name);
            if (!e.Has("time.source")) e.SetRaw("time.source", FormatEventTimeText(ctx_.observation).view());
            e.CompleteClassification();
            AddCommon(e, ctx_, tok.record_text());
            Keep(out, std::move(e), tok.record_line());
        }
    }

private:
    CsvMapping mapping_;
    ParseContext ctx_;
    std::string spec_;
    std::vector<std::string> columns_;
    std::vector<std::string> targets_;
    std::vector<std::string_view> cells_;
};

// ---- Line formats --------------------------------------------------------------------------

template <typename F>
void ForEachLine(std::string_view text, std::int64_t first_line, F&& f) {
    std::size_t pos = 0;
    std::int64_t line = first_line;
    while (pos < text.size()) {
        std::size_t eol = text.find('\n', pos);
        std::size_t end = eol == std::string_view::npos ? text.size() : eol;
        std::string_view l = text.substr(pos, end - pos);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (line == 1 && l.substr(0, 3) == "\xEF\xBB\xBF") l.remove_prefix(3);
        f(l, line);
        ++line;
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
    }
}

class JsonLinesParser final : public Parser {
public:
    explicit JsonLinesParser(ParseContext ctx) : ctx_(std::move(ctx)) {}
    bool csv_records() const override { return false; }
    bool has_header() const override { return false; }
    std::string format() const override { return "jsonl"; }
    core::Status Begin(std::string_view) override { return core::Ok(); }

    void Parse(std::string_view text, std::int64_t first_line, ParseOutput& out) override {
        ForEachLine(text, first_line, [&](std::string_view l, std::int64_t line) {
            if (TrimView(l).empty()) return;
            ++out.records;
            if (!IsUtf8(l)) {
                out.rejected.push_back({line, "the line is not valid UTF-8", std::string(l)});
                return;
            }
            auto e = Event::FromJsonText(l);
            if (!e) {
                out.rejected.push_back({line, e.error().message, std::string(l)});
                return;
            }
            if (!e->Has("time.source")) {
                out.rejected.push_back({line, "time.source: missing", std::string(l)});
                return;
            }
            e->CompleteClassification();
            if (!ctx_.feed_name.empty() && !e->Has("feed.name")) e->SetRaw("feed.name", ctx_.feed_name);
            const bool had_raw = e->Has("raw");
            ParseContext c = ctx_;
            if (had_raw) c.keep_raw = false;
            AddCommon(*e, c, l);
            Keep(out, std::move(*e), line);
        });
    }

private:
    ParseContext ctx_;
};

class BlocklistParser final : public Parser {
public:
    explicit BlocklistParser(ParseContext ctx) : ctx_(std::move(ctx)) {}
    bool csv_records() const override { return false; }
    bool has_header() const override { return false; }
    std::string format() const override { return "blocklist"; }
    core::Status Begin(std::string_view) override { return core::Ok(); }

    void Parse(std::string_view text, std::int64_t first_line, ParseOutput& out) override {
        const std::string type = CanonicalType(ctx_.classification_type.empty() ? "blacklist" : ctx_.classification_type);
        ForEachLine(text, first_line, [&](std::string_view l, std::int64_t line) {
            std::string_view v = l;
            const auto hash = v.find('#');
            if (hash != std::string_view::npos) v = v.substr(0, hash);
            v = TrimView(v);
            // "value<space>comment" / "value;comment" (DROP lists)
            const auto sp = v.find_first_of(" \t;");
            if (sp != std::string_view::npos) v = v.substr(0, sp);
            if (v.empty()) return;
            ++out.records;
            if (!IsUtf8(v)) {
                out.rejected.push_back({line, "the line is not valid UTF-8", std::string(l)});
                return;
            }
            Event e;
            core::Status st;
            if (v.find("://") != std::string_view::npos) {
                st = e.Add("source.url", v, FieldType::kUrl);
                if (st) {
                    std::string_view u = *e.Get("source.url");
                    auto hs = u.find("://") + 3;
                    auto he = u.find_first_of("/?#:", hs);
                    std::string host(u.substr(hs, he == std::string_view::npos ? std::string_view::npos : he - hs));
                    if (core::ParseIp(host)) (void)e.Add("source.ip", host, FieldType::kIp);
                    else (void)e.Add("source.fqdn", host, FieldType::kFqdn);
                }
            } else if (v.find('/') != std::string_view::npos) {
                st = e.Add("source.network", v, FieldType::kNetwork);
            } else if (v.find(':') != std::string_view::npos ||
                       (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; }))) {
                st = e.Add("source.ip", v, FieldType::kIp);
            } else {
                st = e.Add("source.fqdn", v, FieldType::kFqdn);
            }
            if (!st) {
                out.rejected.push_back({line, st.error().message, std::string(l)});
                return;
            }
            e.SetRaw("classification.type", type);
            if (!ctx_.classification_identifier.empty())
                e.SetRaw("classification.identifier", ctx_.classification_identifier);
            e.CompleteClassification();
            e.SetRaw("time.source", FormatEventTimeText(ctx_.observation).view());
            if (!ctx_.feed_name.empty()) e.SetRaw("feed.name", ctx_.feed_name);
            AddCommon(e, ctx_, l);
            Keep(out, std::move(e), line);
        });
    }

private:
    ParseContext ctx_;
};

}  // namespace

core::Result<CsvMapping> ParseCsvMapping(std::string_view json_text) {
    auto o = core::ParseJsonObject(json_text);
    if (!o) return core::Invalid("mapping", "the mapping file is not JSON: " + o.error().message);
    MUHAFIZ_CHECK(core::RejectUnknownFields(
        *o, {"delimiter", "header", "columns", "constants", "time_format", "unmapped", "required"}, "mapping."));
    CsvMapping m;
    if (auto d = MUHAFIZ_TRY(core::GetString(*o, "delimiter", "mapping."))) {
        if (*d == "\\t" || *d == "\t") m.delimiter = '\t';
        else if (d->size() == 1) m.delimiter = (*d)[0];
        else return core::Invalid("mapping.delimiter", "the delimiter must be one character");
    }
    if (auto h = MUHAFIZ_TRY(core::GetBool(*o, "header", "mapping."))) m.header = *h;
    if (auto t = MUHAFIZ_TRY(core::GetString(*o, "time_format", "mapping."))) m.time_format = *t;
    if (auto u = MUHAFIZ_TRY(core::GetString(*o, "unmapped", "mapping."))) {
        if (*u != "extra" && *u != "ignore") return core::Invalid("mapping.unmapped", "unmapped must be extra or ignore");
        m.unmapped_to_extra = *u == "extra";
    }
    const auto* cols = core::Find(*o, "columns");
    if (!cols || !cols->is_object() || cols->as_object().empty())
        return core::Invalid("mapping.columns", "columns must be an object of column -> field");
    for (const auto& [k, v] : cols->as_object()) {
        if (!v.is_string()) return core::Invalid("mapping.columns." + std::string(k), "the field must be a string");
        std::string field(v.as_string());
        if (!TypeOf(field) && !(field.rfind("extra.", 0) == 0 && ValidKey(field)))
            return core::Invalid("mapping.columns." + std::string(k), "'" + field + "' is not a harmonised field");
        m.columns.emplace_back(std::string(k), field);
    }
    if (const auto* c = core::Find(*o, "constants")) {
        if (!c->is_object()) return core::Invalid("mapping.constants", "constants must be an object");
        for (const auto& [k, v] : c->as_object()) {
            std::string text = v.is_string() ? std::string(v.as_string()) : core::ToJson(v);
            Event probe;
            if (auto st = probe.Set(k, text); !st)
                return core::Invalid("mapping.constants." + std::string(k), st.error().message);
            m.constants.emplace_back(std::string(k), text);
        }
    }
    if (const auto* r = core::Find(*o, "required")) {
        if (!r->is_array()) return core::Invalid("mapping.required", "required must be an array of fields");
        for (const auto& v : r->as_array())
            if (v.is_string()) m.required.emplace_back(v.as_string());
    }
    return m;
}

core::Result<std::unique_ptr<Parser>> MakeParser(std::string_view format, const ParseContext& context,
                                                 std::string_view file_name, const CsvMapping* mapping) {
    const auto colon = format.find(':');
    const std::string_view kind = format.substr(0, colon);
    const std::string_view arg = colon == std::string_view::npos ? std::string_view() : format.substr(colon + 1);
    if (kind == "shadowserver") {
        const ShadowserverReport* r = nullptr;
        if (!arg.empty()) {
            r = FindShadowserverReport(arg);
            if (!r) {
                std::string known;
                for (const auto& rep : ShadowserverReports()) known += (known.empty() ? "" : ", ") + rep.type;
                return core::Invalid("format", "unknown Shadowserver report type '" + std::string(arg) +
                                                   "' (known: " + known + ")");
            }
        }
        return std::unique_ptr<Parser>(new ShadowserverParser(r, context, std::string(file_name)));
    }
    if (kind == "csv") {
        CsvMapping m;
        if (mapping) {
            m = *mapping;
        } else {
            if (arg.empty()) return core::Invalid("format", "csv needs a mapping file: csv:PATH");
            std::ifstream in{std::string(arg)};
            if (!in) return core::Invalid("format", "cannot read the mapping file " + std::string(arg));
            std::stringstream ss;
            ss << in.rdbuf();
            m = MUHAFIZ_TRY(ParseCsvMapping(ss.str()));
        }
        return std::unique_ptr<Parser>(new MappedCsvParser(std::move(m), context, std::string(format)));
    }
    if (kind == "jsonl" || kind == "intelmq") return std::unique_ptr<Parser>(new JsonLinesParser(context));
    if (kind == "blocklist") {
        ParseContext c = context;
        if (!arg.empty()) c.classification_type = std::string(arg);
        if (!TaxonomyOfType(CanonicalType(c.classification_type)))
            return core::Invalid("format", "unknown classification type '" + c.classification_type + "'");
        return std::unique_ptr<Parser>(new BlocklistParser(std::move(c)));
    }
    return core::Invalid("format", "unknown format '" + std::string(format) +
                                       "' (shadowserver[:TYPE], csv:MAPPING, jsonl or blocklist[:TYPE])");
}

}  // namespace muhafiz::feeds
