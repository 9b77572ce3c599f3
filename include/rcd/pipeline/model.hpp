// The two configuration files rcd reads, as plain data.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rcd::pipeline {

struct Location {
    std::string file;
    int line = 0; // 1-based; 0 when unknown
    int column = 0;

    std::string str() const; // "rcd.yaml:3:5"
};

enum class Phase { check, build };

// A stage's own cache (`cache: {paths, key}`): directories the stage fills, restored before it
// runs and saved after, keyed by the contents of the key files.
struct StageCache {
    std::vector<std::string> paths; // relative to the repository, without '..'
    std::vector<std::string> key;   // files, relative to the repository
};

struct Stage {
    std::string name;
    std::vector<std::string> run;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::optional<std::chrono::milliseconds> timeout;
    std::vector<std::string> needs;
    std::optional<std::string> when;
    std::optional<std::string> cook;
    std::optional<std::string> produces;
    std::optional<StageCache> cache;
    bool skip = false;
    Phase phase = Phase::check;
    Location location;

    std::vector<std::string> argv() const;
    // The cache profile the stage uses and waits for: its `cook:`, else its own name when it
    // declares `cache:`.
    std::optional<std::string> cache_profile() const;
};

struct Pipeline {
    std::string language;
    std::vector<std::string> detect;
    std::vector<Stage> stages;
    std::string origin; // where it came from: "built-in" or a file path

    const Stage* find(const std::string& name) const;
};

// A stage entry of rcd.yaml: each field that is set replaces the pipeline's.
struct StageOverride {
    std::string name;
    std::optional<std::vector<std::string>> run;
    std::optional<std::vector<std::string>> args;
    std::optional<std::map<std::string, std::string>> env;
    std::optional<std::chrono::milliseconds> timeout;
    std::optional<std::vector<std::string>> needs;
    std::optional<std::string> when;
    std::optional<std::string> cook;
    std::optional<std::string> produces;
    std::optional<StageCache> cache;
    std::optional<bool> skip;
    std::optional<Phase> phase;
    Location location;
};

struct FileCopy {
    std::string src;
    std::string dst;
};

struct ImageConfig {
    std::string base = "scratch";
    // The file to ship, relative to the repository (language: generic); other languages find
    // their binary themselves.
    std::optional<std::string> binary;
    std::optional<std::vector<std::string>> entrypoint;
    std::vector<std::string> cmd;
    std::map<std::string, std::string> env;
    std::string workdir = "/";
    std::optional<std::string> user;
    std::vector<std::string> expose; // "8080/tcp"
    std::map<std::string, std::string> labels;
    std::vector<FileCopy> files;
    // Arguments to start the image with once before it is pushed (image.smoke: [--version]).
    std::optional<std::vector<std::string>> smoke;
    // Attached to every pushed image: the SBOM (SPDX 2.3) and the SLSA provenance statement.
    bool sbom = true;
    bool provenance = true;
};

struct CacheConfig {
    // The registry repository of the dependency cache; default: the image's, plus "-cache".
    std::optional<std::string> repository;
};

// The bench stage (rcd.yaml's `bench:`, or `bench: true`).
struct BenchConfig {
    bool enabled = false;           // the stage runs without --bench
    std::string fail_on = "slower"; // slower: a slower benchmark fails the stage; never
    double min_effect = 0.05;       // a change smaller than this is no change
    int rounds = 3;                 // baseline and candidate, alternately, this many times each
    std::map<std::string, double> allow; // a benchmark's own threshold, above min_effect
    Location location;
};

struct RepoConfig {
    std::string name;
    std::string language;
    std::optional<std::string> registry;
    std::optional<std::string> binary;
    ImageConfig image;
    CacheConfig cache;
    BenchConfig bench;
    std::vector<StageOverride> stages;
    std::string file;

    const std::string& binary_name() const { return binary ? *binary : name; }
};

} // namespace rcd::pipeline
