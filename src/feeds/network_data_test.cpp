// Tests of NetworkDataSet: the snapshot in use is rebuilt when a file changes (size/mtime) or on
// request, swapped atomically (a holder of the old snapshot keeps it), and a broken file keeps the
// previous data with its error recorded; the background thread serves forced reloads.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/net.hpp"
#include "feeds/network_data.hpp"

namespace muhafiz::feeds {
namespace {
namespace fs = std::filesystem;

class NetworkDataSetTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("muhafiz-netdata-" + std::to_string(::getpid()) + "-" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        pfx_ = (dir_ / "rv2.pfx2as").string();
    }
    void TearDown() override { fs::remove_all(dir_); }
    // Replaces the file as operators should: beside it, then renamed over it.
    void Write(const std::string& text) {
        {
            std::ofstream(pfx_ + ".new") << text;
        }
        fs::rename(pfx_ + ".new", pfx_);
    }
    static std::uint32_t Asn(const NetworkDataSet& set, const char* ip) {
        auto m = set.Current()->LookupAs(*core::ParseIp(ip));
        return m ? m->asn : 0;
    }
    fs::path dir_;
    std::string pfx_;
};

TEST_F(NetworkDataSetTest, ReloadsChangedFilesAndKeepsThePreviousDataWhenOneIsBroken) {
    Write("203.0.113.0\t24\t64501\n");
    NetworkFiles files;
    files.pfx2as = {pfx_};
    NetworkDataSet set(files);
    ASSERT_TRUE(set.LoadInitial());
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64501u);
    auto status = set.Status();
    ASSERT_EQ(status.files.size(), 1u);
    EXPECT_EQ(status.files[0].kind, "pfx2as");
    EXPECT_EQ(status.files[0].entries, 1);
    EXPECT_EQ(status.files[0].size, static_cast<std::int64_t>(fs::file_size(pfx_)));
    EXPECT_EQ(status.generation, 1);

    // Nothing changed: nothing is rebuilt.
    auto r = set.Reload(false);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);

    // A new version: rebuilt and swapped; a holder of the old snapshot keeps it.
    auto old = set.Current();
    Write("203.0.113.0\t24\t64502\n198.51.100.0\t24\t64510\n");
    r = set.Reload(false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r);
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64502u);
    EXPECT_EQ(old->LookupAs(*core::ParseIp("203.0.113.5"))->asn, 64501u);
    EXPECT_EQ(set.Status().files[0].entries, 2);
    EXPECT_EQ(set.Status().generation, 2);

    // A broken version: the previous data stays, the error is recorded for the file.
    Write("203.0.113.0\t24\t64503\nnot a line\n");
    r = set.Reload(false);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("rv2.pfx2as:2"), std::string::npos) << r.error().message;
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64502u);
    status = set.Status();
    EXPECT_EQ(status.generation, 2);
    EXPECT_EQ(status.failures, 1);
    EXPECT_NE(status.files[0].error.find("expected address"), std::string::npos);
    EXPECT_TRUE(status.files[0].error_at);
    EXPECT_EQ(status.files[0].entries, 2);  // the version in use
    // The broken version is not tried again until it changes.
    r = set.Reload(false);
    ASSERT_TRUE(r);
    EXPECT_FALSE(*r);

    // A missing file is an error too; the data stays.
    fs::remove(pfx_);
    EXPECT_FALSE(set.Reload(false));
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64502u);
    EXPECT_NE(set.Status().files[0].error.find("cannot open"), std::string::npos);

    // Fixed: loaded, the error is gone.
    Write("203.0.113.0\t24\t64504\n");
    r = set.Reload(false);
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r);
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64504u);
    EXPECT_TRUE(set.Status().files[0].error.empty());
}

TEST_F(NetworkDataSetTest, TheBackgroundThreadServesRequestsAndChecksOnItsInterval) {
    Write("203.0.113.0\t24\t64501\n");
    std::ofstream(dir_ / "names.txt") << "AS64501 FIRST\nAS64502 SECOND\n";
    NetworkFiles files;
    files.pfx2as = {pfx_};
    files.as_names = (dir_ / "names.txt").string();
    NetworkDataSet set(files);
    ASSERT_TRUE(set.LoadInitial());
    EXPECT_EQ(set.Current()->AsName(64502), "SECOND");
    EXPECT_EQ(set.Status().files[1].entries, 2);

    // Without the thread a request is served on the caller's thread.
    Write("203.0.113.0\t24\t64502\n");
    auto ticket = set.RequestReload();
    EXPECT_TRUE(set.WaitFor(ticket, std::chrono::milliseconds(0)));
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64502u);

    set.Start(std::chrono::seconds(1));
    Write("203.0.113.0\t24\t64503\n");
    ticket = set.RequestReload();
    ASSERT_TRUE(set.WaitFor(ticket, std::chrono::seconds(20)));
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64503u);
    EXPECT_EQ(set.Status().interval_seconds, 1);

    // The periodic check picks up a change by itself.
    Write("203.0.113.0\t24\t64504\n");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (Asn(set, "203.0.113.5") != 64504u && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(Asn(set, "203.0.113.5"), 64504u);
    set.Stop();
}

TEST_F(NetworkDataSetTest, ABrokenFileAtStartIsAnError) {
    Write("garbage\n");
    NetworkFiles files;
    files.pfx2as = {pfx_};
    NetworkDataSet set(files);
    auto st = set.LoadInitial();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("rv2.pfx2as:1"), std::string::npos);
    EXPECT_TRUE(set.Current()->empty());
}

}  // namespace
}  // namespace muhafiz::feeds
