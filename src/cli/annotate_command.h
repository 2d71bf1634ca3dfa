// `reff annotate`: paint the masks of an own folder's annotated subset in the browser.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_annotate_command(CLI::App& app);

}  // namespace reff::cli
