// OpenPGP through GPGME, with no keyring of the process: every operation runs in an ephemeral
// GnuPG home (a private temporary folder), into which the recipients' ASCII-armoured public keys
// are imported just for that operation.
//
// Thread-safety: GpgHome and its contexts belong to one thread; EncryptArmored is safe to call
// from several threads (each call has its own home).
// Errors: kInvalidArgument (field "pgp_key") when a key does not import or cannot encrypt
// (expired, revoked, no encryption subkey); kInternal when GnuPG itself fails.
#pragma once

#include <gpgme.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace muhafiz::notify {

using core::Result;

struct GpgContextDeleter {
    void operator()(gpgme_ctx_t ctx) const { gpgme_release(ctx); }
};
using GpgContext = std::unique_ptr<gpgme_context, GpgContextDeleter>;

// A temporary GnuPG home; on destruction stops any agent started in it and removes the folder.
class GpgHome {
  public:
    [[nodiscard]] static Result<GpgHome> Create();
    GpgHome(GpgHome&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
    GpgHome& operator=(GpgHome&&) = delete;
    ~GpgHome();

    const std::string& path() const { return path_; }
    // An OpenPGP context bound to this home, with ASCII-armoured output.
    [[nodiscard]] Result<GpgContext> NewContext() const;

  private:
    explicit GpgHome(std::string path) : path_(std::move(path)) {}
    std::string path_;
};

// Encrypts `plaintext` to every key in `armored_keys` (each ASCII-armoured, trusted as given),
// returning the ASCII-armoured OpenPGP message.
[[nodiscard]] Result<std::string> EncryptArmored(std::string_view plaintext,
                                                 const std::vector<std::string>& armored_keys);

// Failure text of a GPGME error code.
[[nodiscard]] std::string GpgError(gpgme_error_t err);

}  // namespace muhafiz::notify
