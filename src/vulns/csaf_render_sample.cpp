// csaf_render_sample DIR: renders sample advisories (every feature of the model: ranges and single
// versions, fixed versions, CPE and purl, CVSS 3.1 and 4.0, remediation categories, references,
// TLP:CLEAR and TLP:AMBER+STRICT, two revisions) into DIR/documents/*.json and *.html, and
// publishes them through CsafProvider into DIR/data/csaf/ (signed, hashed, with feeds and
// provider-metadata.json). Prints the written CSAF document paths, one per line, for
// tests/csaf/validate.mjs. Not a test by itself: ctest `csaf_validator` runs both.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/time.hpp"
#include "vulns/csaf.hpp"
#include "vulns/csaf_provider.hpp"

namespace fs = std::filesystem;
using namespace muhafiz;

namespace {

vulns::AdvisoryContent Sample() {
    vulns::AdvisoryContent c;
    c.title = "Apache HTTP Server: path traversal and remote code execution";
    c.summary = "Path traversal in Apache HTTP Server 2.4.49 and 2.4.50 lets remote attackers map URLs to files "
                "outside the document root and, with CGI enabled, execute code.\n\nUpdate now.";
    c.tlp = vulns::Tlp::kClear;
    c.cves = {"CVE-2021-41773", "CVE-2021-42013"};
    c.products = {
        {"Apache Software Foundation", "HTTP Server", {"2.4.49", "2.4.50"}, {"2.4.51"},
         "cpe:2.3:a:apache:http_server:*:*:*:*:*:*:*:*", ""},
        {"Example Corp", "Web Appliance", {"<3.2.1", "2.0.0 - 2.9.9"}, {"3.2.1"}, "",
         "pkg:generic/example/web-appliance"},
    };
    c.scores = {{"CVE-2021-41773", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
                {"CVE-2021-42013", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                {"CVE-2021-42013", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}};
    c.remediation = {
        {vulns::RemediationCategory::kVendorFix, "Update to 2.4.51 or later.",
         "https://httpd.apache.org/security/vulnerabilities_24.html", {"HTTP Server"}},
        {vulns::RemediationCategory::kWorkaround, "Set 'Require all denied' for the file system root.", "", {}},
    };
    c.references = {{"https://httpd.apache.org/security/vulnerabilities_24.html", "Apache HTTP Server 2.4 vulnerabilities",
                     "external"}};
    c.notes = "Exploitation in the wild has been reported. <script>alert(1)</script> & other \"markup\" is escaped.";
    return c;
}

bool Write(const fs::path& path, const std::string& data) {
    std::ofstream out(path, std::ios::binary);
    out << data;
    return static_cast<bool>(out);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: csaf_render_sample DIR\n";
        return 2;
    }
    const fs::path dir = argv[1];
    fs::create_directories(dir / "documents");
    vulns::CsafSettings settings;
    settings.publisher_name = "Example National CERT";
    settings.publisher_namespace = "https://cert.example.org";
    settings.tracking_prefix = "EXCERT";
    settings.base_url = "https://cert.example.org";
    settings.contact_details = "cert@example.org";

    const core::Micros t0 = core::ParseRfc3339("2026-03-01T09:00:00Z").value_or(0);
    struct Case {
        std::string id;
        vulns::Tlp tlp;
        int revisions;
        bool minimal;
    };
    const Case cases[] = {{"EXCERT-2026-0001", vulns::Tlp::kClear, 1, false},
                          {"EXCERT-2026-0002", vulns::Tlp::kAmberStrict, 2, false},
                          {"EXCERT-2026-0003", vulns::Tlp::kGreen, 1, true}};

    vulns::CsafProviderSettings ps;
    ps.data_dir = dir / "data";
    ps.csaf = settings;
    int status = 0;
    {
        vulns::CsafProvider provider(ps);
        for (const auto& k : cases) {
            vulns::Advisory a;
            a.content = Sample();
            a.content.tlp = k.tlp;
            if (k.minimal) {  // no CVE, no score, no fix: one vulnerability without a CVE
                a.content.cves.clear();
                a.content.scores.clear();
                a.content.remediation = {{vulns::RemediationCategory::kNoneAvailable, "No fix yet.", "", {}}};
                a.content.products.resize(1);
                a.content.products[0].versions_fixed.clear();
                a.content.products[0].versions_affected = {"all"};
            }
            a.status = vulns::AdvisoryStatus::kPublished;
            a.tracking_id = k.id;
            for (int r = 1; r <= k.revisions; ++r)
                a.revisions.push_back({r, t0 + r * 3600LL * 1000000, r == 1 ? "Initial version" : "Added a workaround"});
            const vulns::CsafTracking tracking{a.tracking_id, a.revisions};
            a.csaf_json = vulns::SerializeJson(vulns::RenderCsaf(a.content, tracking, settings));
            const fs::path json = dir / "documents" / vulns::CsafFileName(k.id);
            fs::path html = json;
            html.replace_extension(".html");
            if (!Write(json, a.csaf_json) || !Write(html, vulns::RenderHtml(a.content, tracking, settings))) {
                std::cerr << "cannot write " << json << "\n";
                return 1;
            }
            std::cout << json.string() << "\n";
            if (auto s = provider.Publish(a); !s) {
                std::cerr << "publish " << k.id << ": " << s.error().message << "\n";
                status = 1;
            }
        }
    }
    // Stop the gpg-agent GnuPG started for the provider's key folder.
    const std::string kill = "gpgconf --homedir '" + (dir / "data" / "gnupg").string() + "' --kill gpg-agent";
    if (std::system(kill.c_str()) != 0) std::cerr << "warning: could not stop gpg-agent\n";
    return status;
}
