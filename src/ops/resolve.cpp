// rcd resolve: deploy files with their image references pinned to this commit's release.
#include "rcd/supply/resolve.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/log.hpp"
#include "session.hpp"

#include <fmt/format.h>
#include <iostream>
#include <iterator>

namespace rcd::ops {

namespace {

// The digest the commit tag names: the release of the commit in front of rcd.
Result<supply::ResolveTarget> release_of_head(const Project& project,
                                              const PublishOptions& options) {
    if (!project.repo)
        return std::unexpected(project.repo.error());
    PublishOptions push = options;
    push.push = true; // a repository without a registry is an error here, as for a push
    RCD_ASSIGN(auto repository, image_repository(project, push));
    RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
    const std::string& commit = project.repo->commit;
    RCD_ASSIGN(auto digest, client->manifest_digest(ref.repository, commit));
    if (!digest)
        return fail(ExitCode::registry,
                    fmt::format("{} has no image of commit {}", repository, commit.substr(0, 12)),
                    "run 'rcd release' for this commit first");
    return supply::ResolveTarget{project.config.name, repository, *digest};
}

// A file named relative to where rcd runs (-C), or "-".
Result<std::string> read_input(const std::string& dir, const std::string& file) {
    if (file == "-")
        return std::string(std::istreambuf_iterator<char>(std::cin), {});
    auto text = util::read_file(std::filesystem::path(dir) / file);
    if (!text)
        return fail(ExitCode::usage, fmt::format("cannot read {}", file),
                    "give the deploy files to resolve, or - for standard input");
    return text;
}

bool is_yaml(const std::string& file) {
    return file.ends_with(".yaml") || file.ends_with(".yml");
}

} // namespace

Result<int> resolve(const Invocation& invocation, const ResolveOptions& resolve_options,
                    const PublishOptions& options) {
    if (resolve_options.files.empty())
        return fail(ExitCode::usage, "rcd resolve needs the files to resolve",
                    "for example: rcd resolve deploy/k8s.yaml, or - for standard input");
    RCD_ASSIGN(auto project, open_project(invocation));
    auto reporter = make_reporter(invocation, &project);
    Console console(invocation, reporter); // the drift warnings, on stderr
    RCD_ASSIGN(auto target, release_of_head(project, options));
    const std::string pinned = target.repository + "@" + target.digest;
    auto doc = report::json_header("resolve", project.config.name, invocation.absolute_dir());
    doc.update({{"reference", pinned}, {"files", nlohmann::json::array()}});
    std::string output;
    int drifted = 0;
    for (const auto& file : resolve_options.files) {
        RCD_ASSIGN(auto text, read_input(invocation.absolute_dir(), file));
        auto resolved = supply::resolve_references(text, target);
        const std::string where = file == "-" ? "<stdin>" : file;
        if (!resolved.other_names.empty()) {
            const auto& other = resolved.other_names.front();
            return fail(ExitCode::usage,
                        fmt::format("{}:{}: {} is not this repository's service ('{}')", where,
                                    other.line, other.text, target.name),
                        fmt::format("resolve each service's files in its own repository, or "
                                    "write rcd://{}",
                                    target.name));
        }
        nlohmann::json entry = {{"file", where},
                                {"replaced", resolved.replaced.size()},
                                {"drift", nlohmann::json::array()}};
        for (const auto& found : resolved.drift) {
            ++drifted;
            entry["drift"].push_back({{"line", found.line}, {"found", found.text}});
            if (resolve_options.check)
                log::warn("{}:{}: {} is not the release of {} ({})", where, found.line, found.text,
                          project.repo->commit.substr(0, 12), target.digest);
        }
        doc["files"].push_back(entry);
        if (!output.empty() && is_yaml(file) && !output.ends_with("---\n"))
            output += output.ends_with('\n') ? "---\n" : "\n---\n";
        output += resolved.text;
    }
    const int code = resolve_options.check && drifted > 0 ? 1 : 0;
    if (invocation.json) {
        doc.update({{"ok", code == 0}, {"exit_code", code}});
        if (!resolve_options.check)
            doc["text"] = output;
        print_json(doc);
    } else if (!resolve_options.check) {
        std::cout << output;
    }
    if (resolve_options.check && drifted == 0)
        log::info("every reference to {} is the release of {}", target.repository,
                  project.repo->commit.substr(0, 12));
    return code;
}

} // namespace rcd::ops
