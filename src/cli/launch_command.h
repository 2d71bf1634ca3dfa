// `reff launch`: starts the processes of a distributed run on this machine, as torchrun does.
#pragma once

#include <CLI/CLI.hpp>

namespace reff::cli {

void add_launch_command(CLI::App& app);

// Ends the command line with this exit status (the launcher passes on its workers').
struct ExitStatus {
  int code;
};

}  // namespace reff::cli
