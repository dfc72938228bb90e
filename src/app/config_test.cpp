#include "app/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace muhafiz::app {
namespace {

TEST(Config, FileEnvironmentAndPrecedence) {
    const auto path = std::filesystem::temp_directory_path() / "muhafiz-config-test.conf";
    {
        std::ofstream out(path);
        out << "# comment\nlisten = 127.0.0.1:9000\nthreads = 3\nrequire_admin_mfa = yes\n"
               "national_cert_name = \"National CERT of Testland\"  # trailing\n";
    }
    Config c;
    const auto read = ApplyConfigFile(c, path.string());
    std::filesystem::remove(path);
    ASSERT_TRUE(read);
    EXPECT_EQ(c.listen, "127.0.0.1:9000");
    EXPECT_EQ(c.threads, 3);
    EXPECT_TRUE(c.require_admin_mfa);
    EXPECT_EQ(c.national_cert_name, "National CERT of Testland");
    ::setenv("MUHAFIZ_LISTEN", "127.0.0.1:9100", 1);
    ASSERT_TRUE(ApplyEnvironment(c));
    EXPECT_EQ(c.listen, "127.0.0.1:9100");
    ::unsetenv("MUHAFIZ_LISTEN");
    EXPECT_EQ(c.DatabaseUrl(), "var/muhafiz.db");
}

TEST(Config, BadValuesNameTheLine) {
    const auto path = std::filesystem::temp_directory_path() / "muhafiz-config-bad.conf";
    {
        std::ofstream out(path);
        out << "listen = 127.0.0.1:9000\nthreads = many\n";
    }
    Config c;
    auto s = ApplyConfigFile(c, path.string());
    std::filesystem::remove(path);
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find(":2:"), std::string::npos) << s.error().message;
    EXPECT_FALSE(ApplySetting(c, "colour", "red"));
    EXPECT_FALSE(ApplySetting(c, "listen", "127.0.0.1:99999"));
    EXPECT_FALSE(ApplyConfigFile(c, "/nonexistent/muhafiz.conf"));
}

TEST(Config, ListenForms) {
    std::string host;
    std::uint16_t port = 0;
    ASSERT_TRUE(SplitListen("[::1]:8443", host, port));
    EXPECT_EQ(host, "::1");
    EXPECT_EQ(port, 8443);
    ASSERT_TRUE(SplitListen(":8080", host, port));
    EXPECT_EQ(host, "127.0.0.1");
    ASSERT_TRUE(SplitListen("0.0.0.0:80", host, port));
    EXPECT_EQ(host, "0.0.0.0");
    EXPECT_FALSE(SplitListen("localhost:http", host, port));
}

TEST(Config, UnwritableDataDirIsAClearError) {
    auto s = PrepareDataDir("/proc/muhafiz-data");
    ASSERT_FALSE(s);
    EXPECT_NE(s.error().message.find("data folder"), std::string::npos);
}

}  // namespace
}  // namespace muhafiz::app
