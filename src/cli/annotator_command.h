// `reff annotator train | eval | show`: the pix2pix pseudo-annotator.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_annotator_commands(CLI::App& app);

}  // namespace reff::cli
