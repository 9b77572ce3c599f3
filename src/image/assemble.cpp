#include "rcd/image/assemble.hpp"

#include "rcd/util/compress.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/tar.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/std.h>
#include <set>
#include <sys/stat.h>
#include <thread>

namespace rcd::image {

Result<Blob> build_layer(const std::vector<ImageFile>& files, std::int64_t mtime,
                         Compression compression, std::string& diff_id) {
    std::set<std::string> directories;
    std::vector<util::TarEntry> entries;
    for (const auto& file : files) {
        std::string path = file.path;
        while (!path.empty() && path.front() == '/')
            path.erase(0, 1);
        for (auto slash = path.find('/'); slash != std::string::npos;
             slash = path.find('/', slash + 1))
            directories.insert(path.substr(0, slash + 1));
        entries.push_back({path, util::TarEntry::Type::file, file.mode, file.content, {}});
    }
    for (const auto& dir : directories)
        entries.push_back({dir, util::TarEntry::Type::directory, 0755, {}, {}});
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });

    RCD_ASSIGN(auto tar, util::write_tar(entries, mtime));
    diff_id = util::sha256_digest(tar);
    if (compression == Compression::zstd) {
        RCD_ASSIGN(auto zst, util::zstd_compress(tar));
        return Blob::of(kOciLayerZstd, std::move(zst));
    }
    RCD_ASSIGN(auto gz,
               util::gzip_compress(tar, kLayerGzipLevel, std::thread::hardware_concurrency()));
    return Blob::of(kOciLayerGzip, std::move(gz));
}

Result<Image> assemble(const ImageSpec& spec) {
    Image image;
    ConfigSpec config;
    config.platform = spec.platform;
    config.entrypoint = spec.entrypoint;
    config.cmd = spec.cmd;
    config.workdir = spec.workdir;
    config.user = spec.user;
    config.exposed_ports = spec.exposed_ports;
    config.labels = spec.labels;
    config.created = spec.mtime;

    // Env: the base's, or a default PATH for scratch, then ours replacing by name.
    std::vector<std::string> env =
        spec.base ? spec.base->env
                  : std::vector<std::string>{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                             "/usr/bin:/sbin:/bin"};
    for (const auto& [key, value] : spec.env) {
        std::erase_if(env, [&](const std::string& e) { return e.starts_with(key + "="); });
        env.push_back(key + "=" + value);
    }
    config.env = env;

    if (spec.base) {
        image.layers = spec.base->layers;
        config.diff_ids = spec.base->diff_ids;
        config.history = spec.base->history;
    }
    auto add_layer = [&](const std::vector<ImageFile>& files,
                         const std::string& created_by) -> Status {
        std::string diff_id;
        RCD_ASSIGN(auto blob, build_layer(files, spec.mtime, spec.compression, diff_id));
        image.layers.push_back(
            {blob.media_type, blob.digest, static_cast<std::int64_t>(blob.data.size())});
        config.diff_ids.push_back(diff_id);
        config.history.push_back(created_by);
        image.own_layers.push_back(std::move(blob));
        return {};
    };
    RCD_CHECK(add_layer(spec.app, "rcd: the application binary"));
    if (!spec.files.empty())
        RCD_CHECK(add_layer(spec.files, "rcd: image.files"));

    image.config = Blob::of(kOciConfig, config_json(config));
    Descriptor config_descriptor{kOciConfig, image.config.digest,
                                 static_cast<std::int64_t>(image.config.data.size())};
    image.manifest = Blob::of(kOciManifest, manifest_json(config_descriptor, image.layers));
    return image;
}

Result<std::vector<ImageFile>> collect_files(const std::filesystem::path& source,
                                             const std::string& destination) {
    std::error_code ec;
    std::vector<ImageFile> out;
    auto add = [&](const std::filesystem::path& file, const std::string& target) -> Status {
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0)
            return fail(ExitCode::filesystem, fmt::format("cannot read {}", file),
                        "check image.files in rcd.yaml");
        RCD_ASSIGN(auto content, util::read_file(file));
        out.push_back({target, std::move(content), (st.st_mode & 0111) ? 0755u : 0644u});
        return {};
    };
    if (std::filesystem::is_regular_file(source, ec)) {
        std::string target = destination;
        if (target.ends_with('/'))
            target += source.filename().string();
        RCD_CHECK(add(source, target));
        return out;
    }
    if (!std::filesystem::is_directory(source, ec))
        return fail(ExitCode::filesystem, fmt::format("image.files: {} does not exist", source),
                    "fix 'src' in rcd.yaml's image.files; it is relative to the repository");
    std::string base = destination.ends_with('/') ? destination : destination + "/";
    std::vector<std::filesystem::path> files;
    for (auto it = std::filesystem::recursive_directory_iterator(source, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_symlink())
            return fail(ExitCode::filesystem,
                        fmt::format("image.files: {} is a symbolic link", it->path()),
                        "copy the file it points to instead");
        if (it->is_regular_file())
            files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& file : files)
        RCD_CHECK(add(file, base + std::filesystem::relative(file, source).generic_string()));
    return out;
}

} // namespace rcd::image
