// `reff masks validate|convert`: check an own folder's masks, or write them as one PNG tree.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_masks_command(CLI::App& app);

}  // namespace reff::cli
