#include "rcd/image/filesystem.hpp"

#include "rcd/util/strings.hpp"

#include <algorithm>

namespace rcd::image {

namespace {

using Type = util::TarListing::Type;

// "./usr//lib/../lib/x" -> "usr/lib/x"; ".." never climbs above the root.
std::string normalise(std::string_view path) {
    std::vector<std::string> parts;
    for (auto& part : util::split(path, '/')) {
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            if (!parts.empty())
                parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    return util::join(parts, "/");
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

} // namespace

bool FileTree::has_children(const std::string& dir) const {
    std::string prefix = dir.empty() ? "" : dir + "/";
    auto it = nodes_.lower_bound(prefix);
    return it != nodes_.end() && it->first.starts_with(prefix) && it->first != dir;
}

void FileTree::remove_tree(const std::string& path, bool keep_self) {
    if (!keep_self)
        nodes_.erase(path);
    std::string prefix = path + "/";
    auto it = nodes_.lower_bound(prefix);
    while (it != nodes_.end() && it->first.starts_with(prefix))
        it = nodes_.erase(it);
}

void FileTree::apply(const std::vector<util::TarListing>& layer) {
    // Whiteouts hide what the lower layers hold, never what this layer adds.
    for (const auto& entry : layer) {
        std::string path = normalise(entry.path);
        std::string name = base_of(path);
        if (name == kOpaque)
            remove_tree(parent_of(path), true);
        else if (name.starts_with(kWhiteout)) {
            std::string parent = parent_of(path);
            std::string hidden = name.substr(kWhiteout.size());
            remove_tree(parent.empty() ? hidden : parent + "/" + hidden, false);
        }
    }
    for (const auto& entry : layer) {
        std::string path = normalise(entry.path);
        if (path.empty() || base_of(path).starts_with(kWhiteout))
            continue;
        if (entry.type != Type::directory)
            remove_tree(path, true); // a file or link replaces a directory and what it held
        nodes_[path] = Node{entry.type, entry.link_target};
    }
}

std::optional<std::string> FileTree::resolve(std::string_view path) const {
    std::vector<std::string> pending = util::split(normalise(path), '/');
    std::reverse(pending.begin(), pending.end()); // a stack: the next component is at the back
    std::string at;                               // resolved so far, always a directory
    int links = 0;
    while (!pending.empty()) {
        std::string part = std::move(pending.back());
        pending.pop_back();
        if (part.empty() || part == ".")
            continue;
        if (part == "..") {
            at = parent_of(at);
            continue;
        }
        std::string next = at.empty() ? part : at + "/" + part;
        auto it = nodes_.find(next);
        if (it == nodes_.end()) {
            // A directory a layer never listed itself, but holds files.
            if (!has_children(next))
                return std::nullopt;
            at = next;
            continue;
        }
        if (it->second.type == Type::symlink) {
            if (++links > 40) // ELOOP, as the kernel gives up
                return std::nullopt;
            const std::string& target = it->second.target;
            if (target.starts_with('/'))
                at.clear();
            auto parts = util::split(target, '/');
            for (auto p = parts.rbegin(); p != parts.rend(); ++p)
                pending.push_back(*p);
            continue;
        }
        if (it->second.type != Type::directory && !pending.empty()) {
            // A file in the middle of a path: only ".." and "." may follow (ENOTDIR otherwise).
            return std::nullopt;
        }
        at = next;
    }
    return "/" + at;
}

std::vector<MissingFile> missing_at_start(const ExecutableInfo& executable, const std::string& path,
                                          const FileTree& tree,
                                          const std::vector<std::string>& env) {
    std::vector<MissingFile> missing;
    if (executable.interpreter && !tree.exists(*executable.interpreter))
        missing.push_back({*executable.interpreter, "its interpreter", {}});
    if (executable.needed.empty())
        return missing;

    std::string origin = "/" + parent_of(normalise(path));
    auto expand = [&](const std::vector<std::string>& dirs) {
        std::vector<std::string> out;
        for (auto dir : dirs) {
            for (std::string_view var : {"${ORIGIN}", "$ORIGIN"})
                for (auto at = dir.find(var); at != std::string::npos; at = dir.find(var))
                    dir.replace(at, var.size(), origin);
            out.push_back(dir);
        }
        return out;
    };
    std::vector<std::string> dirs;
    auto add = [&](const std::vector<std::string>& more) {
        for (const auto& dir : more)
            if (!dir.empty() && std::find(dirs.begin(), dirs.end(), dir) == dirs.end())
                dirs.push_back(dir);
    };
    if (executable.runpath.empty())
        add(expand(executable.rpath));
    for (const auto& var : env)
        if (var.starts_with("LD_LIBRARY_PATH="))
            add(util::split(var.substr(16), ':'));
    add(expand(executable.runpath));
    std::vector<std::string> system = {"/usr/local/lib"};
    if (!executable.multiarch.empty())
        system.insert(system.end(),
                      {"/lib/" + executable.multiarch, "/usr/lib/" + executable.multiarch});
    system.insert(system.end(), {"/lib64", "/usr/lib64", "/lib", "/usr/lib"});
    add(system);

    for (const auto& library : executable.needed) {
        bool found = false;
        if (library.find('/') != std::string::npos)
            found = tree.exists(library);
        for (std::size_t i = 0; i < dirs.size() && !found; ++i)
            found = tree.exists(dirs[i] + "/" + library);
        if (!found)
            missing.push_back({library, "a library it needs", dirs});
    }
    return missing;
}

} // namespace rcd::image
