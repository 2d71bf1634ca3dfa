// `reff data ...`: make data sets and look at texture banks.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_data_command(CLI::App& app);

}  // namespace reff::cli
