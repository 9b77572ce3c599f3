// image.smoke: the assembled image started once with podman or docker, before anything is
// pushed, so that an image that cannot run never gets a tag.
#pragma once

#include "rcd/exec/scheduler.hpp"
#include "rcd/ops/publish.hpp"

#include <optional>
#include <string>

namespace rcd::ops {

// RCD_CONTAINER_ENGINE, else the first of podman and docker whose `info` answers; nothing
// when none does (a docker client without a daemon is no engine).
std::optional<std::string> find_container_engine();

// Loads the image into the engine, runs it with image.smoke's arguments as the stage "smoke"
// (shown through `observer`, kept in target/rcd/logs/smoke.log, no network, 2 minutes at
// most), then removes it from the engine. Without an engine the stage is skipped, saying so;
// one that cannot load the image fails it.
// Fails only when interrupted.
Result<exec::StageResult> smoke_test(const Project& project, const BuiltImage& built,
                                     exec::StageObserver& observer);

} // namespace rcd::ops
