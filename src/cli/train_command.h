// `reff train`, `reff eval RUN_DIR`, `reff explain RUN_DIR`, `reff export`, `reff pretrain`.
#pragma once

#include "progress.h"
#include "reff/train/trainer.h"

#include <CLI/CLI.hpp>

namespace reff::cli {

// Training progress on `progress` (renamed `what`), a line per epoch, stop on SIGINT/SIGTERM,
// a line when the stand-in backbone is built first.
train::TrainCallbacks console_callbacks(Progress& progress, const std::string& what);

void add_train_commands(CLI::App& app);

}  // namespace reff::cli
