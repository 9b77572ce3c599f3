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
    // Room for every entry at once (a pax header, a ustar header, the data in 512-byte
    // records), so that a large file is copied in once, not again each time the string grows.
    std::size_t room = 1024;
    for (const auto& e : entries)
        room +=
            3 * 512 + e.path.size() + e.link_target.size() + (e.content.size() + 511) / 512 * 512;
    out.reserve(room);
    detail::WriteArchive a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    // Large writes to the string, and no padding of the last one: the same bytes as 512-byte
    // blocks make, in a fraction of the calls.
    archive_write_set_bytes_per_block(a.get(), 1 << 20);
    archive_write_set_bytes_in_last_block(a.get(), 1);
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

Result<std::vector<TarListing>> list_tar(const std::filesystem::path& file) {
    detail::ReadArchive a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_filename(a.get(), file.c_str(), 1 << 16) != ARCHIVE_OK)
        return detail::archive_error("cannot read the tar archive " + file.string(), a.get());
    std::vector<TarListing> out;
    archive_entry* entry = nullptr;
    for (;;) {
        int r = archive_read_next_header(a.get(), &entry);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN)
            return detail::archive_error("cannot read the tar archive " + file.string(), a.get());
        TarListing item;
        const char* path = archive_entry_pathname(entry);
        item.path = path ? path : "";
        if (const char* hard = archive_entry_hardlink(entry)) {
            item.type = TarListing::Type::hardlink;
            item.link_target = hard;
        } else {
            switch (archive_entry_filetype(entry)) {
            case AE_IFREG:
                item.type = TarListing::Type::file;
                break;
            case AE_IFDIR:
                item.type = TarListing::Type::directory;
                break;
            case AE_IFLNK:
                item.type = TarListing::Type::symlink;
                if (const char* target = archive_entry_symlink(entry))
                    item.link_target = target;
                break;
            default:
                item.type = TarListing::Type::other;
            }
        }
        out.push_back(std::move(item));
        archive_read_data_skip(a.get());
    }
    return out;
}

} // namespace rcd::util
