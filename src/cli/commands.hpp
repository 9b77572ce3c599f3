// One handler per command; each returns the process exit code.
#pragma once

#include "context.hpp"

namespace rcd::cli {

int run_stages_command(const std::string& command, const GlobalOptions& global,
                       const StageOptions& stages);
int plan_command(const GlobalOptions& global, const StageOptions& stages,
                 const ReleaseOptions& release);
int release_command(const GlobalOptions& global, const StageOptions& stages,
                    const ReleaseOptions& release);
int image_command(const GlobalOptions& global, const ReleaseOptions& release);
int cache_command(const GlobalOptions& global, const CacheOptions& cache,
                  const ReleaseOptions& release);
int init_command(const GlobalOptions& global, const ReleaseOptions& release);
int doctor_command(const GlobalOptions& global, const ReleaseOptions& release);
int pipelines_command(const GlobalOptions& global, const std::string& show);
int version_command(const GlobalOptions& global);

// Prints an error as two lines (or as the JSON document with --json); returns its exit code.
int report_error(const GlobalOptions& global, const std::string& command, const Error& error);

} // namespace rcd::cli
