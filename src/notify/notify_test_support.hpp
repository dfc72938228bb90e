// Test support for notify/: real receivers started as child processes (the SMTP sink and the
// webhook sink of tests/support/), MIME parsing of what they received (GMime) and an OpenPGP key
// pair made in a temporary GnuPG home for decrypting it (GPGME).
// Thread-safety: none needed (test code).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmime/gmime.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "notify/pgp.hpp"
#include "support_process.hpp"

namespace muhafiz::notify::test {

namespace fs = std::filesystem;

using muhafiz::testing::SourceDir;
inline int FreePort() { return muhafiz::testing::FreeLoopbackPort(); }
// A helper script of tests/support/ (the SMTP and webhook sinks).
using Sink = muhafiz::testing::SupportScript;

// ---- MIME --------------------------------------------------------------------------------------

struct Unref {
    void operator()(void* obj) const { g_object_unref(obj); }
};
template <typename T>
using GPtr = std::unique_ptr<T, Unref>;

inline GPtr<GMimeMessage> ParseMessage(const std::string& data) {
    g_mime_init();
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(data.data(), data.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    return GPtr<GMimeMessage>(g_mime_parser_construct_message(parser.get(), nullptr));
}

inline GPtr<GMimeObject> ParseEntity(const std::string& data) {
    g_mime_init();
    GPtr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(data.data(), data.size()));
    GPtr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
    return GPtr<GMimeObject>(g_mime_parser_construct_part(parser.get(), nullptr));
}

// The decoded content of a leaf part.
inline std::string Decoded(GMimeObject* part) {
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
    GPtr<GMimeStream> mem(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, mem.get());
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

inline std::string MimeType(GMimeObject* obj) {
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    return std::string(g_mime_content_type_get_media_type(ct)) + "/" +
           g_mime_content_type_get_media_subtype(ct);
}

inline std::string Header(GMimeObject* obj, const char* name) {
    const char* v = g_mime_object_get_header(obj, name);
    return v ? v : "";
}

// The leaf parts of `obj`, depth first.
inline std::vector<GMimeObject*> Leaves(GMimeObject* obj) {
    if (!GMIME_IS_MULTIPART(obj)) return {obj};
    std::vector<GMimeObject*> out;
    for (int i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); ++i) {
        auto sub = Leaves(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i));
        out.insert(out.end(), sub.begin(), sub.end());
    }
    return out;
}

// Messages in the Maildir `dir` whose raw text contains `needle`.
inline std::vector<std::string> MaildirMessages(const fs::path& dir, const std::string& needle,
                                                std::size_t want = 1) {
    std::vector<std::string> found;
    for (int i = 0; i < 100 && found.size() < want; ++i) {
        found.clear();
        if (fs::exists(dir / "new"))
            for (const auto& f : fs::directory_iterator(dir / "new")) {
                std::ifstream in(f.path(), std::ios::binary);
                std::string text((std::istreambuf_iterator<char>(in)), {});
                if (text.find(needle) != std::string::npos) found.push_back(std::move(text));
            }
        if (found.size() < want) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return found;
}

// ---- OpenPGP
// -------------------------------------------------------------------------------------

// A key pair without passphrase in its own GnuPG home; `public_key` is ASCII-armoured.
struct KeyPair {
    std::optional<GpgHome> home;
    std::string public_key;

    static KeyPair Generate(const std::string& user_id) {
        KeyPair k;
        auto home = GpgHome::Create();
        EXPECT_TRUE(home) << home.error().message;
        k.home.emplace(std::move(*home));
        auto ctx = k.home->NewContext();
        EXPECT_TRUE(ctx);
        gpgme_error_t err = gpgme_op_createkey(ctx->get(), user_id.c_str(), "default", 0, 0,
                                               nullptr, GPGME_CREATE_NOPASSWD | GPGME_CREATE_FORCE);
        EXPECT_EQ(err, GPG_ERR_NO_ERROR) << GpgError(err);
        gpgme_data_t out = nullptr;
        gpgme_data_new(&out);
        err = gpgme_op_export(ctx->get(), user_id.c_str(), 0, out);
        EXPECT_EQ(err, GPG_ERR_NO_ERROR) << GpgError(err);
        std::size_t len = 0;
        char* bytes = gpgme_data_release_and_get_mem(out, &len);
        k.public_key.assign(bytes, len);
        gpgme_free(bytes);
        return k;
    }

    // Decrypts an ASCII-armoured OpenPGP message; empty on failure.
    std::string Decrypt(const std::string& armored) const {
        auto ctx = home->NewContext();
        gpgme_data_t in = nullptr, out = nullptr;
        gpgme_data_new_from_mem(&in, armored.data(), armored.size(), 1);
        gpgme_data_new(&out);
        const gpgme_error_t err = gpgme_op_decrypt(ctx->get(), in, out);
        gpgme_data_release(in);
        std::size_t len = 0;
        char* bytes = gpgme_data_release_and_get_mem(out, &len);
        std::string plain(bytes, len);
        gpgme_free(bytes);
        EXPECT_EQ(err, GPG_ERR_NO_ERROR) << GpgError(err);
        return err ? std::string() : plain;
    }
};

// Checks the PGP/MIME structure of `message` and returns its decrypted inner entity.
inline GPtr<GMimeObject> DecryptPgpMime(GMimeMessage* message, const KeyPair& key) {
    GMimeObject* body = g_mime_message_get_mime_part(message);
    EXPECT_EQ(MimeType(body), "multipart/encrypted");
    EXPECT_STREQ(g_mime_object_get_content_type_parameter(body, "protocol"),
                 "application/pgp-encrypted");
    if (!GMIME_IS_MULTIPART(body) || g_mime_multipart_get_count(GMIME_MULTIPART(body)) != 2)
        return nullptr;
    GMimeObject* version = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
    GMimeObject* data = g_mime_multipart_get_part(GMIME_MULTIPART(body), 1);
    EXPECT_EQ(MimeType(version), "application/pgp-encrypted");
    EXPECT_NE(Decoded(version).find("Version: 1"), std::string::npos);
    EXPECT_EQ(MimeType(data), "application/octet-stream");
    return ParseEntity(key.Decrypt(Decoded(data)));
}

}  // namespace muhafiz::notify::test
