// `reff bench`: the speed and memory of one training step on this machine.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_bench_command(CLI::App& app);

}  // namespace reff::cli
