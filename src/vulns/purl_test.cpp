#include "vulns/purl.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json.hpp"

namespace muhafiz::vulns {
namespace {

namespace json = core::json;

std::string Str(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : ""; }

// The official purl-spec suites (tests/data/vuln/purl-tests/): every `parse` and `build` case but
// one. The suites contradict themselves on upper-case qualifier keys (maven cases expect
// `repositorY_url` to parse, one rpm case expects `Arch` to fail); we lower-case them, as the
// specification's canonical form does.
TEST(PurlTest, OfficialSuites) {
    const char* root = std::getenv("MUHAFIZ_SOURCE_DIR");
    ASSERT_NE(root, nullptr);
    int cases = 0;
    for (const auto& file :
         std::filesystem::directory_iterator(std::filesystem::path(root) / "tests/data/vuln/purl-tests")) {
        if (file.path().extension() != ".json") continue;
        std::ifstream in(file.path());
        std::stringstream text;
        text << in.rdbuf();
        auto doc = core::ParseJson(text.str());
        ASSERT_TRUE(doc) << file.path();
        for (const auto& t : doc->as_object().at("tests").as_array()) {
            const auto& o = t.as_object();
            const std::string type = Str(o.at("test_type"));
            const bool fails = o.at("expected_failure").as_bool();
            const std::string what = file.path().filename().string() + ": " + Str(o.at("description"));
            if (Str(o.at("expected_message")).find("qualifier keys are not in lowercase") != std::string::npos)
                continue;
            if (type == "parse") {
                ++cases;
                auto p = ParsePurl(Str(o.at("input")));
                if (fails) {
                    EXPECT_FALSE(p) << what << " " << Str(o.at("input"));
                    continue;
                }
                ASSERT_TRUE(p) << what << ": " << p.error().message;
                const auto& want = o.at("expected_output").as_object();
                EXPECT_EQ(p->type, Str(want.at("type"))) << what;
                EXPECT_EQ(p->name_space, Str(want.at("namespace"))) << what;
                EXPECT_EQ(p->name, Str(want.at("name"))) << what;
                EXPECT_EQ(p->version, Str(want.at("version"))) << what;
                EXPECT_EQ(p->subpath, Str(want.at("subpath"))) << what;
                std::map<std::string, std::string> q;
                if (want.at("qualifiers").is_object())
                    for (const auto& [k, v] : want.at("qualifiers").as_object()) q[k] = Str(v);
                EXPECT_EQ(p->qualifiers, q) << what;
            } else if (type == "build" && !fails) {
                ++cases;
                const auto& in = o.at("input").as_object();
                Purl p{Str(in.at("type")), Str(in.at("namespace")), Str(in.at("name")),
                       Str(in.at("version")), {}, Str(in.at("subpath"))};
                if (in.at("qualifiers").is_object())
                    for (const auto& [k, v] : in.at("qualifiers").as_object())
                        if (!Str(v).empty()) p.qualifiers[k] = Str(v);
                ASSERT_TRUE(NormalisePurl(p)) << what;
                EXPECT_EQ(p.ToString(), Str(o.at("expected_output"))) << what;
            }
        }
    }
    EXPECT_GT(cases, 80);
}

TEST(PurlTest, ComponentsAndNormalisation) {
    auto p = ParsePurl("pkg:npm/%40angular/animation@12.3.1");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name_space, "@angular");
    EXPECT_EQ(p->name, "animation");
    EXPECT_EQ(p->ToString(), "pkg:npm/%40angular/animation@12.3.1");

    p = ParsePurl("pkg:PyPI/Django_Rest@3.0?arch=x86_64#/src/./lib/");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->type, "pypi");
    EXPECT_EQ(p->name, "django-rest");
    EXPECT_EQ(p->qualifiers.at("arch"), "x86_64");
    EXPECT_EQ(p->subpath, "src/lib");

    p = ParsePurl("pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name_space, "debian");
    EXPECT_EQ(p->version, "7.50.3-1");

    p = ParsePurl("pkg:golang/golang.org/x/net@v0.13.0");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->name_space, "golang.org/x");
    EXPECT_EQ(p->name, "net");

    EXPECT_FALSE(ParsePurl("pkg:maven/@1.3.4"));
    EXPECT_EQ(ParsePurl("pkg:rpm/fedora/curl@7.50.3?Arch=i386")->qualifiers.at("arch"), "i386");
    EXPECT_FALSE(ParsePurl("pkg:npm/foo%zz"));
    auto bad = ParsePurl("maven/org/x");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().field, "purl");
}

}  // namespace
}  // namespace muhafiz::vulns
