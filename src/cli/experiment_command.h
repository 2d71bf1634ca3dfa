// `reff experiment table2|table3`: the paper's comparisons as one resumable command.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_experiment_command(CLI::App& app);

}  // namespace reff::cli
