// `reff tune`: from a data set to the most robust model in one resumable command (docs/tune.md).
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_tune_command(CLI::App& app);

}  // namespace reff::cli
