// `reff train`, `reff eval RUN_DIR`, `reff explain RUN_DIR`.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_train_commands(CLI::App& app);

}  // namespace reff::cli
