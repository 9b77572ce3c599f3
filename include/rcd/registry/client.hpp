// The OCI distribution API of one registry: blobs, manifests, tags, with auth and retries.
#pragma once

#include "rcd/image/oci.hpp"
#include "rcd/registry/credentials.hpp"
#include "rcd/util/result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rcd::util {
class GrowingFile;
}

namespace rcd::registry {

namespace detail {
struct TlsOptions;
struct BodySink;
struct Payload;
} // namespace detail

// How rcd talks to registries: one struct, from the command line to the client.
struct RegistryOptions {
    bool insecure = false; // plain HTTP, or HTTPS without verification, for any registry
    std::string ca_file;   // an extra CA for HTTPS
    int max_attempts = 5;  // per request, for connection errors, 408, 429 and 5xx
    std::chrono::milliseconds base_delay{250};
    // How long one operation (a request with its retries) may take, plus 1 s per MiB it
    // moves: a registry that never answers fails in this time, not in minutes.
    std::chrono::milliseconds deadline{60'000};
};

struct FetchedManifest {
    std::string media_type;
    std::string digest;
    std::string body;
};

enum class BlobOutcome { existed, mounted, uploaded };

using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

class Client {
  public:
    // Chooses https, or http for a loopback registry that does not speak TLS (or with
    // insecure), and checks that /v2/ answers.
    static Result<std::shared_ptr<Client>> connect(const std::string& registry,
                                                   std::optional<Credentials> credentials,
                                                   RegistryOptions options);

    const std::string& registry() const { return registry_; }

    Result<bool> has_blob(const std::string& repo, const std::string& digest);
    // Push access to `repo`: an upload session opens (and is cancelled at once); otherwise an
    // error naming the credentials' source.
    Status check_push(const std::string& repo);
    // Every tag of `repo`, page after page; none when the repository does not exist.
    Result<std::vector<std::string>> list_tags(const std::string& repo);
    // Deletes a manifest by digest (and, in distribution, every tag naming it).
    Status delete_manifest(const std::string& repo, const std::string& digest);
    // A cross-repository mount; false when the registry would rather have an upload.
    Result<bool> mount_blob(const std::string& repo, const std::string& digest,
                            const std::string& from_repo);
    // HEAD, then a cross-repository mount from `mount_from` if given, then an upload.
    Result<BlobOutcome> push_blob(const std::string& repo, const image::Blob& blob,
                                  const std::optional<std::string>& mount_from,
                                  const Progress& progress = {});
    // push_blob for a blob kept in a file (a cache archive): read as it is sent, never held
    // in memory whole. `digest` must be the file's.
    Result<BlobOutcome> push_blob_file(const std::string& repo, const std::string& digest,
                                       const std::filesystem::path& file,
                                       const Progress& progress = {});
    Result<std::string> get_blob(const std::string& repo, const std::string& digest);
    // Streams a blob of `size` bytes (its descriptor's) into the file `to`, checking it
    // against its digest as it arrives; more bytes than that stop it, and on any failure the
    // file is removed. Returns its size. `growing`, when given, lets another thread read the
    // file as it arrives.
    Result<std::int64_t> download_blob(const std::string& repo, const std::string& digest,
                                       std::int64_t size, const std::filesystem::path& to,
                                       const Progress& progress = {},
                                       util::GrowingFile* growing = nullptr);

    // The digest a tag or digest names, or nothing when it does not exist.
    Result<std::optional<std::string>> manifest_digest(const std::string& repo,
                                                       const std::string& reference);
    Result<FetchedManifest> get_manifest(const std::string& repo, const std::string& reference);
    Status put_manifest(const std::string& repo, const std::string& reference,
                        const std::string& media_type, const std::string& body);

    Client(std::string registry, std::string base_url, std::optional<Credentials> credentials,
           RegistryOptions options);

  private:
    struct Response;
    Result<Response> send(const std::string& method, const std::string& url,
                          std::vector<std::string> headers, const detail::Payload& body,
                          const std::string& scope, const Progress* progress = nullptr,
                          const detail::BodySink* sink = nullptr);
    Status authenticate(const std::string& challenge, const std::string& scope);
    std::optional<std::string> auth_header(const std::string& scope);
    std::string basic_header() const; // needs credentials_
    bool may_carry_credentials(const std::string& url) const;
    bool realm_may_get_basic(const std::string& realm) const;
    detail::TlsOptions tls() const;
    Error registry_error(const std::string& what, long status, const std::string& body) const;
    Error digest_mismatch(const std::string& digest) const; // a blob whose bytes do not match
    std::string url(const std::string& path) const;
    Result<BlobOutcome> push_payload(const std::string& repo, const std::string& digest,
                                     const detail::Payload& blob,
                                     const std::optional<std::string>& mount_from,
                                     const Progress& progress);
    Result<std::string> upload_chunked(const std::string& repo, const detail::Payload& blob,
                                       const std::string& scope);

    std::string registry_;
    std::string base_url_;
    std::optional<Credentials> credentials_;
    RegistryOptions options_;
    std::mutex mutex_; // guards the fields below; requests run on several threads
    bool use_basic_ = false;
    std::map<std::string, std::string> tokens_; // scope -> bearer token
};

} // namespace rcd::registry
