#include "rcd/util/tar.hpp"

#include "libarchive.hpp"

namespace rcd::util {

namespace {
la_ssize_t append(struct archive*, void* out, const void* buffer, size_t length) {
    static_cast<std::string*>(out)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
}
} // namespace

Result<std::string> write_tar(const std::vector<TarEntry>& entries, std::int64_t mtime) {
    std::string out;
    detail::WriteArchive a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    archive_write_set_bytes_per_block(a.get(), 512);
    if (archive_write_open(a.get(), &out, nullptr, append, nullptr) != ARCHIVE_OK)
        return detail::archive_error("cannot start a tar archive", a.get());
    for (const auto& e : entries) {
        detail::Entry entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), e.path.c_str());
        archive_entry_set_uid(entry.get(), 0);
        archive_entry_set_gid(entry.get(), 0);
        archive_entry_set_mtime(entry.get(), mtime, 0);
        archive_entry_set_perm(entry.get(), e.mode);
        switch (e.type) {
        case TarEntry::Type::file:
            archive_entry_set_filetype(entry.get(), AE_IFREG);
            archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
            break;
        case TarEntry::Type::directory:
            archive_entry_set_filetype(entry.get(), AE_IFDIR);
            archive_entry_set_size(entry.get(), 0);
            break;
        case TarEntry::Type::symlink:
            archive_entry_set_filetype(entry.get(), AE_IFLNK);
            archive_entry_set_symlink(entry.get(), e.link_target.c_str());
            archive_entry_set_size(entry.get(), 0);
            break;
        }
        if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK)
            return detail::archive_error("cannot add " + e.path + " to a tar archive", a.get());
        if (e.type == TarEntry::Type::file && !e.content.empty() &&
            archive_write_data(a.get(), e.content.data(), e.content.size()) < 0)
            return detail::archive_error("cannot write " + e.path + " into a tar archive", a.get());
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        return detail::archive_error("cannot finish a tar archive", a.get());
    return out;
}

} // namespace rcd::util
