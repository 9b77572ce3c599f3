#include "rcd/git/repository.hpp"

#include "temp_dir.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

using namespace rcd;

namespace {
struct TempRepo {
    test::TempDir scratch;
    const std::filesystem::path& dir = scratch.path;
    int git(const std::string& args) const {
        std::string cmd = "git -C '" + dir.string() + "' -c user.name=t -c user.email=t@e " + args +
                          " >/dev/null 2>&1";
        return std::system(cmd.c_str());
    }
    void write(const std::string& name, const std::string& text) const {
        std::ofstream(dir / name) << text;
    }
};
} // namespace

TEST_CASE("credentials are removed from remote URLs") {
    CHECK(git::strip_credentials("https://user:s3cret@example.com/x.git") ==
          "https://example.com/x.git");
    CHECK(git::strip_credentials("https://token@example.com/x.git") == "https://example.com/x.git");
    CHECK(git::strip_credentials("https://example.com/a@b.git") == "https://example.com/a@b.git");
    CHECK(git::strip_credentials("git@github.com:o/r.git") == "git@github.com:o/r.git");
}

TEST_CASE("a directory outside git is a repository-state error") {
    TempRepo temp;
    auto state = git::inspect(temp.dir);
    REQUIRE_FALSE(state);
    CHECK(state.error().code == ExitCode::repository);
    CHECK(state.error().message.find("is not inside a git repository") != std::string::npos);
}

TEST_CASE("a repository without a commit says to commit first") {
    TempRepo temp;
    REQUIRE(temp.git("init -q -b main") == 0);
    auto state = git::inspect(temp.dir);
    REQUIRE_FALSE(state);
    CHECK(state.error().code == ExitCode::repository);
    CHECK(state.error().message.find("has no commit yet") != std::string::npos);
}

TEST_CASE("HEAD, branch, origin and dirty files are read") {
    TempRepo temp;
    REQUIRE(temp.git("init -q -b main") == 0);
    temp.write(".gitignore", "ignored.txt\n");
    temp.write("a.txt", "a\n");
    REQUIRE(temp.git("add -A") == 0);
    REQUIRE(temp.git("commit -q -m first") == 0);
    REQUIRE(temp.git("remote add origin https://bob:hunter2@example.com/r.git") == 0);

    auto clean = git::inspect(temp.dir);
    REQUIRE(clean);
    CHECK(clean->commit.size() == 40);
    CHECK(clean->branch == "main");
    CHECK(clean->origin == "https://example.com/r.git");
    CHECK(clean->commit_time > 1'600'000'000);
    CHECK_FALSE(clean->dirty());

    temp.write("ignored.txt", "x\n");
    CHECK_FALSE(git::inspect(temp.dir)->dirty());
    temp.write("a.txt", "changed\n");
    temp.write("new.txt", "new\n");
    auto dirty = git::inspect(temp.dir);
    REQUIRE(dirty);
    CHECK(dirty->dirty_files == std::vector<std::string>{"a.txt", "new.txt"});
}

TEST_CASE("the source label is the same web address for every way of cloning") {
    for (const char* remote :
         {"git@github.com:org/x.git", "ssh://git@github.com/org/x",
          "ssh://git@github.com:22/org/x.git", "https://user:token@github.com/org/x.git",
          "https://github.com/org/x/", "git://github.com/org/x",
          "https://github.com/org/x.git?access_token=ghp_secret", "https://github.com/org/x#main"})
        CHECK(git::source_url(remote) == "https://github.com/org/x");
    CHECK(git::source_url("http://git.internal:8080/team/x.git") ==
          "http://git.internal:8080/team/x");
    CHECK_FALSE(git::source_url("/srv/git/x.git"));
    CHECK_FALSE(git::source_url("../x"));
    CHECK_FALSE(git::source_url("file:///srv/git/x.git"));
    CHECK_FALSE(git::source_url("C:/repos/x"));
}

TEST_CASE("an untracked directory is one dirty entry with its number of files") {
    TempRepo temp;
    REQUIRE(temp.git("init -q -b main") == 0);
    temp.write("a.txt", "a\n");
    REQUIRE(temp.git("add -A") == 0);
    REQUIRE(temp.git("commit -q -m first") == 0);
    std::filesystem::create_directories(temp.dir / "image/blobs/sha256");
    for (int i = 0; i < 37; ++i)
        temp.write("image/blobs/sha256/" + std::to_string(i), "x");
    std::filesystem::create_directories(temp.dir / "single");
    temp.write("single/only.txt", "x");
    temp.write("a.txt", "changed\n");
    auto dirty = git::inspect(temp.dir);
    REQUIRE(dirty);
    CHECK(dirty->dirty_files ==
          std::vector<std::string>{"a.txt", "image/ (37 files)", "single/ (1 file)"});
}

TEST_CASE("a submodule with changes of its own makes the tree dirty") {
    TempRepo sub;
    REQUIRE(sub.git("init -q") == 0);
    sub.write("lib.rs", "pub fn f() {}\n");
    REQUIRE(sub.git("add lib.rs") == 0);
    REQUIRE(sub.git("commit -qm sub") == 0);
    TempRepo temp;
    REQUIRE(temp.git("init -q") == 0);
    temp.write("a.txt", "a\n");
    REQUIRE(temp.git("add a.txt") == 0);
    REQUIRE(temp.git("-c protocol.file.allow=always submodule add -q '" + sub.dir.string() +
                     "' vendor/sub") == 0);
    REQUIRE(temp.git("commit -qm with-submodule") == 0);
    auto clean = git::inspect(temp.dir);
    REQUIRE(clean);
    CHECK_FALSE(clean->dirty());

    std::ofstream(temp.dir / "vendor/sub/lib.rs") << "pub fn f() { changed() }\n";
    auto dirty = git::inspect(temp.dir);
    REQUIRE(dirty);
    CHECK(dirty->dirty_files == std::vector<std::string>{"vendor/sub"});
}

TEST_CASE("files git does not track are found beneath a path: untracked and ignored") {
    TempRepo temp;
    REQUIRE(temp.git("init -q") == 0);
    std::filesystem::create_directories(temp.dir / "config");
    temp.write("config/app.toml", "a\n");
    temp.write(".gitignore", "*.secret\n");
    REQUIRE(temp.git("add config/app.toml .gitignore") == 0);
    REQUIRE(temp.git("commit -qm c") == 0);
    CHECK(git::untracked_files(temp.dir, "config").value().empty());
    temp.write("config/new.toml", "n\n");
    temp.write("config/key.secret", "k\n");
    temp.write("other.txt", "o\n");
    auto found = git::untracked_files(temp.dir, "config");
    REQUIRE(found);
    std::sort(found->begin(), found->end());
    CHECK(*found == std::vector<std::string>{"config/key.secret", "config/new.toml"});
    CHECK(git::untracked_files(temp.dir, "config/app.toml").value().empty());
    CHECK(git::untracked_files(temp.dir, "config/key.secret").value() ==
          std::vector<std::string>{"config/key.secret"});
}

TEST_CASE("a revision's commit, and its files written elsewhere without touching the checkout") {
    TempRepo temp;
    REQUIRE(temp.git("init -q -b main") == 0);
    std::filesystem::create_directories(temp.dir / "src");
    temp.write("src/lib.rs", "old\n");
    REQUIRE(temp.git("add -A") == 0);
    REQUIRE(temp.git("commit -q -m first") == 0);
    temp.write("src/lib.rs", "new\n");
    temp.write("added.txt", "added\n");
    REQUIRE(temp.git("add -A") == 0);
    REQUIRE(temp.git("commit -q -m second") == 0);
    temp.write("src/lib.rs", "edited, not committed\n");

    auto head = git::inspect(temp.dir);
    REQUIRE(head);
    auto first = git::find_commit(temp.dir, "HEAD~1");
    REQUIRE(first);
    CHECK(first->sha.size() == 40);
    CHECK(first->sha != head->commit);
    CHECK(first->time > 1'600'000'000);
    CHECK(git::find_commit(temp.dir, first->sha.substr(0, 10))->sha == first->sha);
    auto missing = git::find_commit(temp.dir, "no-such-branch");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ExitCode::repository);
    CHECK(missing.error().message.starts_with("no commit 'no-such-branch' in "));

    test::TempDir out;
    const auto dest = out.path / "baseline";
    REQUIRE(git::export_commit(temp.dir, first->sha, dest));
    std::ifstream exported(dest / "src/lib.rs");
    std::string text;
    std::getline(exported, text);
    CHECK(text == "old");
    CHECK_FALSE(std::filesystem::exists(dest / "added.txt"));
    // The repository is as it was: HEAD, the index and the edited file.
    CHECK(git::inspect(temp.dir)->commit == head->commit);
    CHECK(git::inspect(temp.dir)->dirty_files == std::vector<std::string>{"src/lib.rs"});
    std::ifstream kept(temp.dir / "src/lib.rs");
    std::getline(kept, text);
    CHECK(text == "edited, not committed");
    CHECK_FALSE(git::export_commit(temp.dir, std::string(40, 'f'), dest));
}
