#include "db/database.hpp"

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "db/migrations.hpp"
#include "db/testing.hpp"

namespace muhafiz::db {
namespace {

class DatabaseTest : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        db_ = testing::OpenFresh(GetParam());
        ASSERT_NE(db_, nullptr);
        auto c = db_->Acquire();
        ASSERT_TRUE(c);
        ASSERT_TRUE((*c)->ExecuteScript(RenderMigration(
            "CREATE TABLE things (id {{ID}}, name TEXT NOT NULL UNIQUE, n BIGINT, x DOUBLE PRECISION, "
            "note TEXT)", db_->dialect())));
    }
    std::unique_ptr<Database> db_;
};

TEST_P(DatabaseTest, InsertQueryAndTypes) {
    auto c = db_->Acquire();
    ASSERT_TRUE(c);
    auto r = (*c)->Query("INSERT INTO things (name, n, x, note) VALUES (?, ?, ?, ?) RETURNING id",
                         {std::string("a"), std::int64_t{42}, 2.5, nullptr});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_GT((*r)[0].Int(0), 0);
    auto rows = (*c)->Query("SELECT name, n, x, note FROM things WHERE name = ?", {std::string("a")});
    ASSERT_TRUE(rows);
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].Str(0), "a");
    EXPECT_EQ((*rows)[0].Int(1), 42);
    EXPECT_DOUBLE_EQ((*rows)[0].Double(2), 2.5);
    EXPECT_TRUE((*rows)[0].IsNull(3));
    EXPECT_EQ(rows->columns[1], "n");
}

TEST_P(DatabaseTest, UniqueViolationIsConflict) {
    auto c = db_->Acquire();
    ASSERT_TRUE((*c)->Execute("INSERT INTO things (name) VALUES (?)", {std::string("dup")}));
    auto again = (*c)->Execute("INSERT INTO things (name) VALUES (?)", {std::string("dup")});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, core::ErrorCode::kConflict);
    // The connection is still usable after an error.
    EXPECT_TRUE((*c)->Query("SELECT 1"));
}

TEST_P(DatabaseTest, TransactionRollsBackUnlessCommitted) {
    auto c = db_->Acquire();
    {
        auto tx = Transaction::Begin(**c);
        ASSERT_TRUE(tx);
        ASSERT_TRUE((*c)->Execute("INSERT INTO things (name) VALUES ('gone')"));
    }
    {
        auto tx = Transaction::Begin(**c);
        ASSERT_TRUE((*c)->Execute("INSERT INTO things (name) VALUES ('kept')"));
        ASSERT_TRUE(tx->Commit());
    }
    auto rows = (*c)->Query("SELECT name FROM things ORDER BY name");
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].Str(0), "kept");
}

TEST_P(DatabaseTest, BulkInsertWithAwkwardText) {
    auto c = db_->Acquire();
    std::vector<Params> rows;
    for (int i = 0; i < 1000; ++i)
        rows.push_back({std::string("n") + std::to_string(i), std::int64_t{i},
                        std::string("tab\there\nnew \\ line 'q' \"d\""), nullptr});
    auto tx = Transaction::Begin(**c);
    auto n = (*c)->BulkInsert("things", {"name", "n", "note", "x"}, rows);
    ASSERT_TRUE(n) << n.error().message;
    EXPECT_EQ(*n, 1000);
    ASSERT_TRUE(tx->Commit());
    auto r = (*c)->Query("SELECT COUNT(*), MAX(note) FROM things");
    EXPECT_EQ((*r)[0].Int(0), 1000);
    EXPECT_EQ((*r)[0].Str(1), "tab\there\nnew \\ line 'q' \"d\"");
}

TEST_P(DatabaseTest, PlaceholdersInsideQuotesAreLeftAlone) {
    auto c = db_->Acquire();
    auto r = (*c)->Query("SELECT '?' || ?, 'it''s' -- what?\n", {std::string("x")});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ((*r)[0].Str(0), "?x");
    EXPECT_EQ((*r)[0].Str(1), "it's");
}

TEST_P(DatabaseTest, PoolServesManyThreads) {
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 6; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                auto c = db_->Acquire();
                if (!c) continue;
                auto r = (*c)->Execute("INSERT INTO things (name, n) VALUES (?, ?)",
                                       {std::string("t") + std::to_string(t) + "_" + std::to_string(i),
                                        std::int64_t{i}});
                if (r) ++ok;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 120);
}

TEST_P(DatabaseTest, NewerSchemaIsRefused) {
    auto c = db_->Acquire();
    ASSERT_TRUE((*c)->Execute("INSERT INTO schema_version (version, name, applied_at) VALUES (9999, 'future', 0)"));
    auto v = Migrate(**c);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, core::ErrorCode::kConflict);
    EXPECT_NE(v.error().message.find("newer than this program"), std::string::npos);
}

TEST_P(DatabaseTest, MigrateIsIdempotent) {
    auto c = db_->Acquire();
    auto v1 = Migrate(**c);
    ASSERT_TRUE(v1) << v1.error().message;
    auto v2 = Migrate(**c);
    ASSERT_TRUE(v2);
    EXPECT_EQ(*v1, *v2);
    EXPECT_EQ(*v1, BuiltInMigrations().back().version);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest, ::testing::ValuesIn(testing::BackendNames()),
                         [](const auto& info) { return info.param; });

TEST(DatabaseOpen, UnreachablePostgresIsUnavailable) {
    auto db = Database::Open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2");
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, core::ErrorCode::kUnavailable);
}

// A new SQLite database gets 32 KiB pages (sqlite.cpp); an existing one keeps its own.
TEST(DatabaseOpen, NewSqliteDatabaseHas32KiBPagesAndAnOldOneKeepsItsOwn) {
    const auto dir = std::filesystem::temp_directory_path() / ("muhafiz-pages-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto page_size = [](Database& db) {
        auto c = db.Acquire();
        auto r = (*c)->Query("PRAGMA page_size");
        return r && !r->empty() ? (*r)[0].Int(0) : -1;
    };
    {
        auto db = Database::Open((dir / "new.db").string());
        ASSERT_TRUE(db) << db.error().message;
        EXPECT_EQ(page_size(**db), 32768);
    }
    {
        // A database made with 4 KiB pages (as before) is opened as it is.
        sqlite3* raw = nullptr;
        ASSERT_EQ(sqlite3_open((dir / "old.db").c_str(), &raw), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(raw, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE t(x)", nullptr,
                               nullptr, nullptr),
                  SQLITE_OK);
        sqlite3_close(raw);
        auto db = Database::Open((dir / "old.db").string());
        ASSERT_TRUE(db) << db.error().message;
        EXPECT_EQ(page_size(**db), 4096);
        auto c = (*db)->Acquire();
        EXPECT_TRUE((*c)->Execute("INSERT INTO t(x) VALUES (1)", {}));
    }
    std::filesystem::remove_all(dir);
}

TEST(DatabaseOpen, UnwritableSqliteIsUnavailable) {
    auto db = Database::Open("/proc/muhafiz/none.db");
    ASSERT_FALSE(db);
    EXPECT_EQ(db.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace muhafiz::db
