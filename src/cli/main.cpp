// The reff command line: parses options into config structs and calls the library.
// Exit status: 0 success, 2 bad input (options, files), 1 any other failure, 130 training stopped
// by SIGINT/SIGTERM after writing its checkpoint.
#ifdef REFF_ANNOTATE_SERVER
#include "annotate_command.h"
#endif
#include "annotator_command.h"
#include "bench_command.h"
#include "data_command.h"
#include "dfr_command.h"
#include "experiment_command.h"
#include "launch_command.h"
#include "masks_command.h"
#include "report_command.h"
#include "train_command.h"
#include "tune_command.h"

#include "reff/allocator.h"
#include "reff/distributed/process_group.h"
#include "reff/error.h"
#include "reff/notice.h"
#include "reff/threads.h"
#include "reff/train/trainer.h"

#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>

namespace {

// The commands that run as one rank of a distributed run (reff launch, torchrun, srun, mpirun).
bool runs_distributed(const CLI::App& app) {
  if (app.got_subcommand("train") || app.got_subcommand("experiment")) return true;
  const auto* annotator = app.get_subcommand("annotator");
  return app.got_subcommand(annotator) && annotator->got_subcommand("train");
}

}  // namespace

int main(int argc, char** argv) {
  reff::set_notice_sink(
      [](const std::string& message) { std::cerr << "reff: " << message << "\n"; });
  CLI::App app{"reff: train image classifiers that ignore spurious backgrounds (ReFF)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("reff ") + REFF_VERSION);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads (0: every core)")->capture_default_str();
  reff::distributed::GroupOptions group_options;
  double dist_timeout = 1800;
  app.add_option("--dist-timeout", dist_timeout,
                 "Distributed runs: seconds to wait for the other processes (joining, each step)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--dist-backend", group_options.backend, "Distributed runs: auto | gloo | nccl")
      ->capture_default_str();
  app.parse_complete_callback([&] {
    if (app.got_subcommand("launch")) return;  // the launcher is no rank; its workers are
    group_options.timeout = std::chrono::seconds(static_cast<int64_t>(std::ceil(dist_timeout)));
    const auto env = reff::distributed::read_launch_environment();
    REFF_REQUIRE(!env.distributed() || runs_distributed(app), "WORLD_SIZE",
                 "this command runs in one process; only reff train, annotator train and "
                 "experiment run distributed");
    const auto& group = reff::distributed::join_world(env, group_options);
    reff::use_threads(threads, group.local_size());
    reff::keep_freed_memory();
  });
  reff::cli::add_data_command(app);
  reff::cli::add_masks_command(app);
#ifdef REFF_ANNOTATE_SERVER
  reff::cli::add_annotate_command(app);
#endif
  reff::cli::add_report_command(app);
  reff::cli::add_dfr_command(app);
  reff::cli::add_train_commands(app);
  reff::cli::add_annotator_commands(app);
  reff::cli::add_experiment_command(app);
  reff::cli::add_tune_command(app);
  reff::cli::add_launch_command(app);
  reff::cli::add_bench_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const reff::cli::ExitStatus& e) {
    return e.code;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "error: %s (see --help)\n", e.what());
    return 2;
  } catch (const reff::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const reff::train::TrainingInterrupted& e) {
    std::fprintf(stderr, "\nstopped: %s\n", e.what());
    return 130;
  } catch (const std::exception& e) {  // e.g. reff::train::TrainingDiverged
    std::fprintf(stderr, "failed: %s\n", e.what());
    return 1;
  }
  return 0;
}
