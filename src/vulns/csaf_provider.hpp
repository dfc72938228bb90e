// CsafProvider: the CSAF 2.0 provider (aiming at the "CSAF trusted provider" role) — the files
// served under /.well-known/csaf/, kept in <data-dir>/csaf/:
//
//   provider-metadata.json                      role csaf_trusted_provider, ROLIE feeds, key
//   openpgp/<FINGERPRINT>.asc                   the provider's public OpenPGP key
//   <tlp>/<YYYY>/<tracking-id>.json             the documents (tlp: white, green, amber, red;
//   <tlp>/<YYYY>/<tracking-id>.json.sha256        YYYY: year of the initial release)
//   <tlp>/<YYYY>/<tracking-id>.json.sha512      hex digest, two blanks, file name
//   <tlp>/<YYYY>/<tracking-id>.json.asc         detached ASCII-armoured OpenPGP signature
//   <tlp>/csaf-feed-tlp-<tlp>.json              ROLIE feed (white always, others when used)
//   <tlp>/index.txt, <tlp>/changes.csv          directory-distribution indexes
//
// Signing uses GPGME with a key of its own in <data-dir>/gnupg, generated on first use (ed25519,
// or rsa3072 if configured; no passphrase, no expiry). gpg-agent is started there by GnuPG.
// The feeds, indexes and provider-metadata.json are regenerated from the documents on disk after
// every publication (publications are rare; the work is linear in the number of documents).
//
// Serving: Fetch(rest) returns the bytes for "/.well-known/csaf/<rest>" with its content type and
// TLP. Files under white/ and the top-level files are public; green/, amber/ and red/ need an
// authorised caller, which the HTTP layer decides (is_public, tlp).
//
// Thread-safety: thread-safe (one mutex around writes and signing; reads go to the file system).
// Errors: kUnavailable when GnuPG fails (no gpg, agent cannot start), kInternal for file-system
// failures, kNotFound from Fetch for anything that is not a provider file.
#pragma once

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "vulns/advisory.hpp"
#include "vulns/csaf.hpp"

namespace muhafiz::vulns {

struct CsafProviderSettings {
    std::filesystem::path data_dir;  // files go to data_dir/csaf, the key to data_dir/gnupg
    CsafSettings csaf;               // publisher and base_url (canonical URLs need base_url)
    std::string key_algorithm = "ed25519";  // or "rsa3072"
    bool list_on_aggregators = true;
    bool mirror_on_aggregators = true;
};

struct ProviderFile {
    std::string body;
    std::string content_type;
    std::string tlp;         // "WHITE", "GREEN", "AMBER", "RED"
    bool is_public = false;  // WHITE documents, their feed and indexes, metadata, the key
};

class CsafProvider {
public:
    explicit CsafProvider(CsafProviderSettings settings);
    ~CsafProvider();
    CsafProvider(const CsafProvider&) = delete;
    CsafProvider& operator=(const CsafProvider&) = delete;

    // Writes the published advisory's document with hashes and signature (removing copies of it
    // under another TLP after a TLP change), then regenerates feeds, indexes and metadata.
    [[nodiscard]] core::Status Publish(const Advisory& advisory);
    // Writes every given published advisory whose file is missing or different, then regenerates
    // (at start-up: AdvisoryStore::ListPublished()).
    [[nodiscard]] core::Status Sync(const std::vector<Advisory>& published);
    // Regenerates feeds, indexes, the public key file and provider-metadata.json.
    [[nodiscard]] core::Status Rebuild();
    // The signing key's fingerprint, generating the key when there is none.
    [[nodiscard]] core::Result<std::string> KeyFingerprint();

    // The file at "/.well-known/csaf/<rest>" ("provider-metadata.json", "white/2026/x.json").
    [[nodiscard]] core::Result<ProviderFile> Fetch(std::string_view rest) const;

    const std::filesystem::path& root() const { return root_; }
    const std::filesystem::path& gnupg_home() const { return gnupg_home_; }

private:
    core::Status WriteDocument(const Advisory& advisory);
    core::Status RebuildLocked();
    core::Result<std::string> EnsureKey();
    core::Result<std::string> Sign(const std::string& data);
    core::Result<std::string> ExportPublicKey(const std::string& fingerprint);

    CsafProviderSettings settings_;
    std::filesystem::path root_;
    std::filesystem::path gnupg_home_;
    std::mutex mu_;
    std::string fingerprint_;  // cached after the first EnsureKey
};

// The SHA-512 of data as lower-case hex.
[[nodiscard]] std::string Sha512Hex(std::string_view data);

}  // namespace muhafiz::vulns
