#include "db/testing.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "core/ids.hpp"
#include "db/migrations.hpp"

namespace muhafiz::db::testing {

std::vector<std::string> BackendNames() {
    const char* no_pg = std::getenv("MUHAFIZ_TEST_NO_PG");
    if (no_pg && std::string(no_pg) == "1") return {"sqlite"};
    return {"sqlite", "postgresql"};
}

namespace {

void RemoveDatabaseFiles(const std::string& path) {
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ec);
}

// The SQLite files of the fresh databases this process made, removed when it exits (with their
// -wal and -shm), so that test runs do not pile databases up in the temporary folder. Not by a
// forked child that exits (its parent still uses them), nor with MUHAFIZ_TEST_KEEP_DB=1 (to look
// at them after a failure).
class CreatedFiles {
public:
    void Add(const std::string& path) {
        std::lock_guard lock(mu_);
        paths_.push_back(path);
    }
    ~CreatedFiles() {
        const char* keep = std::getenv("MUHAFIZ_TEST_KEEP_DB");
        if (::getpid() != owner_ || (keep && std::string(keep) == "1")) return;
        for (const auto& path : paths_) RemoveDatabaseFiles(path);
    }

private:
    std::mutex mu_;
    std::vector<std::string> paths_;
    const pid_t owner_ = ::getpid();
};

CreatedFiles& Created() {
    static CreatedFiles files;
    return files;
}

}  // namespace

std::string FreshUrl(const std::string& backend) {
    static std::atomic<int> counter{0};
    const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
                            core::RandomToken(4);
    if (backend == "sqlite") {
        auto dir = std::filesystem::temp_directory_path() / "muhafiz-test";
        std::filesystem::create_directories(dir);
        std::string path = (dir / ("t_" + tag + ".db")).string();
        RemoveDatabaseFiles(path);
        Created().Add(path);
        return path;
    }
    const char* file = std::getenv("MUHAFIZ_TEST_PG_FILE");
    std::ifstream in(file ? file : "");
    std::string url;
    if (!std::getline(in, url) || url.empty()) {
        ADD_FAILURE() << "no test PostgreSQL server: run the tests with ctest (fixture 'postgres') "
                         "or set MUHAFIZ_TEST_NO_PG=1";
        return {};
    }
    std::string schema = "t_";
    for (char c : tag) schema += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
    auto admin = Database::Open(url);
    if (!admin) {
        ADD_FAILURE() << admin.error().message;
        return {};
    }
    auto conn = (*admin)->Acquire();
    EXPECT_TRUE(conn.has_value());
    if (conn) {
        EXPECT_TRUE((*conn)->ExecuteScript("CREATE SCHEMA " + schema).has_value());
    }
    return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

std::unique_ptr<Database> OpenFresh(const std::string& backend) {
    const std::string url = FreshUrl(backend);
    if (url.empty()) return nullptr;
    auto db = Database::Open(url);
    if (!db) {
        ADD_FAILURE() << db.error().message;
        return nullptr;
    }
    auto conn = (*db)->Acquire();
    if (!conn) {
        ADD_FAILURE() << conn.error().message;
        return nullptr;
    }
    auto v = Migrate(**conn);
    if (!v) {
        ADD_FAILURE() << v.error().message;
        return nullptr;
    }
    return std::move(*db);
}

}  // namespace muhafiz::db::testing
