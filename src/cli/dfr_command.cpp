#include "dfr_command.h"

#include "reff/percent_text.h"
#include "reff/report/html_report.h"
#include "reff/run/dfr_run.h"
#include "run_options.h"

#include <iostream>
#include <memory>

namespace reff::cli {
namespace {

struct DfrCommand {
  std::string run_dir, out;
  run::DfrRunOptions options;

  void run() const {
    const auto record = run::run_dfr(run_dir, out, options);
    const auto report = report::write_html_report(out);
    std::cout << "DFR of " << run_dir << ": last layer refit on "
              << record["val"]["name"].get<std::string>() << " (" << record["val"]["count"]
              << " images), fit accuracy "
              << percent_text(record["train"]["accuracy"].get<double>());
    if (record.contains("tests"))
      for (const auto& [name, result] : record["tests"].items())
        std::cout << ", " << name << " accuracy " << percent_text(result["accuracy"].get<double>());
    std::cout << "\nrun folder: " << out << " (config.json, metrics.jsonl, checkpoints, " << report
              << ")\n";
  }
};

}  // namespace

void add_dfr_command(CLI::App& app) {
  auto d = std::make_shared<DfrCommand>();
  auto* dfr = app.add_subcommand(
      "dfr",
      "Deep Feature Reweighting: refit a finished run's last layer on a validation split where the "
      "shortcut is broken (L1 logistic regression on its frozen features), as a new run folder");
  dfr->add_option("run", d->run_dir, "Finished run folder")->required();
  dfr->add_option("--out", d->out, "New run folder")->required();
  dfr->add_option("--val", d->options.val,
                  "Validation split to fit on: textured-mnist NAME:P:Q (e.g. balanced:1:1), folder "
                  "a folder of images (default: the run's --val)");
  dfr->add_option("--count", d->options.count,
                  "Images of the split to fit on (0: as many as the run validated on)")
      ->capture_default_str();
  dfr->add_option("--checkpoint", d->options.checkpoint, "best | last")->capture_default_str();
  dfr->add_option("--c", d->options.fit.c_grid,
                  "Inverse L1 strengths to choose from on half the split (worst-group accuracy on "
                  "the other half)")
      ->delimiter(',')
      ->capture_default_str();
  dfr->add_option("--ensembles", d->options.fit.ensembles,
                  "Heads averaged, each fitted on another group-balanced subsample")
      ->capture_default_str();
  dfr->add_option("--seed", d->options.fit.seed, "Seed of the halves and subsamples")
      ->capture_default_str();
  add_device_option(*dfr, d->options.device);
  dfr->callback([d] { d->run(); });
}

}  // namespace reff::cli
