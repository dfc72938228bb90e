#include "notify/pgp.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

namespace muhafiz::notify {
namespace {

using core::ErrorCode;
using core::Fail;

void InitGpgme() {
    static std::once_flag once;
    std::call_once(once, [] {
        gpgme_check_version(nullptr);
        gpgme_set_locale(nullptr, LC_CTYPE, "C");
    });
}

struct DataDeleter {
    void operator()(gpgme_data_t d) const { gpgme_data_release(d); }
};
using Data = std::unique_ptr<gpgme_data, DataDeleter>;

struct KeyDeleter {
    void operator()(gpgme_key_t k) const { gpgme_key_unref(k); }
};
using Key = std::unique_ptr<_gpgme_key, KeyDeleter>;

Result<Data> DataFrom(std::string_view bytes) {
    gpgme_data_t d = nullptr;
    if (auto err = gpgme_data_new_from_mem(&d, bytes.data(), bytes.size(), 1))
        return Fail(ErrorCode::kInternal, "gpgme_data_new_from_mem: " + GpgError(err));
    return Data(d);
}

// Runs `gpgconf --homedir HOME --kill all`, without a shell.
void KillAgents(const std::string& home) {
    const pid_t pid = fork();
    if (pid == 0) {
        execlp("gpgconf", "gpgconf", "--homedir", home.c_str(), "--kill", "all",
               static_cast<char*>(nullptr));
        _exit(127);
    }
    if (pid > 0) {
        int status = 0;
        waitpid(pid, &status, 0);
    }
}

}  // namespace

std::string GpgError(gpgme_error_t err) {
    return std::string(gpgme_strsource(err)) + ": " + gpgme_strerror(err);
}

Result<GpgHome> GpgHome::Create() {
    InitGpgme();
    // Short, under /tmp: the agent's socket path must stay within the 108-byte limit.
    std::string tmpl = "/tmp/muhafiz-gpg-XXXXXX";
    if (!mkdtemp(tmpl.data()))
        return Fail(ErrorCode::kInternal, "cannot create a temporary GnuPG home");
    return GpgHome(tmpl);
}

GpgHome::~GpgHome() {
    if (path_.empty()) return;
    std::error_code ec;
    if (std::filesystem::exists(path_ + "/S.gpg-agent", ec)) KillAgents(path_);
    // GnuPG's processes may still write into the home on their way out (remove_all then fails on
    // a folder that is no longer empty, and the home was left behind in /tmp): tried again, for
    // up to a second.
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::filesystem::remove_all(path_, ec);
        if (!std::filesystem::exists(path_, ec)) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

Result<GpgContext> GpgHome::NewContext() const {
    gpgme_ctx_t raw = nullptr;
    if (auto err = gpgme_new(&raw))
        return Fail(ErrorCode::kInternal, "gpgme_new: " + GpgError(err));
    GpgContext ctx(raw);
    if (auto err = gpgme_set_protocol(raw, GPGME_PROTOCOL_OpenPGP))
        return Fail(ErrorCode::kInternal, "gpgme_set_protocol: " + GpgError(err));
    if (auto err = gpgme_ctx_set_engine_info(raw, GPGME_PROTOCOL_OpenPGP, nullptr, path_.c_str()))
        return Fail(ErrorCode::kInternal, "gpgme_ctx_set_engine_info: " + GpgError(err));
    gpgme_set_armor(raw, 1);
    gpgme_set_offline(raw, 1);
    return ctx;
}

Result<std::string> EncryptArmored(std::string_view plaintext,
                                   const std::vector<std::string>& armored_keys) {
    if (armored_keys.empty()) return core::Invalid("pgp_key", "no OpenPGP key to encrypt to");
    auto home = MUHAFIZ_TRY(GpgHome::Create());
    auto ctx = MUHAFIZ_TRY(home.NewContext());

    std::vector<Key> keys;
    for (const auto& armored : armored_keys) {
        auto data = MUHAFIZ_TRY(DataFrom(armored));
        if (auto err = gpgme_op_import(ctx.get(), data.get()))
            return core::Invalid("pgp_key", "the OpenPGP key does not import: " + GpgError(err));
        gpgme_import_result_t imported = gpgme_op_import_result(ctx.get());
        if (!imported || !imported->imports || !imported->imports->fpr ||
            imported->imports->result != GPG_ERR_NO_ERROR)
            return core::Invalid("pgp_key", "the text is not an OpenPGP public key");
        gpgme_key_t key = nullptr;
        if (auto err = gpgme_get_key(ctx.get(), imported->imports->fpr, &key, 0))
            return core::Invalid("pgp_key", "the imported key is unusable: " + GpgError(err));
        keys.emplace_back(key);
        if (!key->can_encrypt || key->revoked || key->expired || key->disabled || key->invalid)
            return core::Invalid("pgp_key", std::string("the OpenPGP key ") + key->fpr +
                                                " cannot encrypt (expired, revoked or no "
                                                "encryption subkey)");
    }
    std::vector<gpgme_key_t> recipients;
    for (const auto& k : keys) recipients.push_back(k.get());
    recipients.push_back(nullptr);

    auto plain = MUHAFIZ_TRY(DataFrom(plaintext));
    gpgme_data_t raw_cipher = nullptr;
    if (auto err = gpgme_data_new(&raw_cipher))
        return Fail(ErrorCode::kInternal, "gpgme_data_new: " + GpgError(err));
    Data cipher(raw_cipher);
    if (auto err = gpgme_op_encrypt(ctx.get(), recipients.data(), GPGME_ENCRYPT_ALWAYS_TRUST,
                                    plain.get(), cipher.get())) {
        gpgme_encrypt_result_t r = gpgme_op_encrypt_result(ctx.get());
        if (r && r->invalid_recipients)
            return core::Invalid("pgp_key", "cannot encrypt to " +
                                                std::string(r->invalid_recipients->fpr) + ": " +
                                                GpgError(r->invalid_recipients->reason));
        return Fail(ErrorCode::kInternal, "OpenPGP encryption failed: " + GpgError(err));
    }
    std::size_t len = 0;
    char* bytes = gpgme_data_release_and_get_mem(cipher.release(), &len);
    std::string out(bytes, len);
    gpgme_free(bytes);
    return out;
}

}  // namespace muhafiz::notify
