// `reff dfr RUN --val ... --out DIR`: Deep Feature Reweighting of a finished run (run/dfr_run.h).
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_dfr_command(CLI::App& app);

}  // namespace reff::cli
