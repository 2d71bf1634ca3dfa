// `reff report DIR`: report.html of a run or an experiment folder.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_report_command(CLI::App& app);

}  // namespace reff::cli
