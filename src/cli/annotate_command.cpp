#include "annotate_command.h"

#include "annotate_server.h"
#include "reff/error.h"
#include "reff/run/dataset_kind.h"
#include "stop_on_signal.h"

#include <filesystem>
#include <iostream>
#include <memory>

namespace reff::cli {
namespace {

struct AnnotateCommand {
  annotate::AnnotateOptions options;
  std::string dataset = "folder", n = "10";
  bool total = false;
  int port = 0;

  void run() {
    REFF_REQUIRE(run::dataset_kind(dataset).own_masks, "--dataset " + dataset,
                 "reff annotate draws masks for your own images: use --dataset folder --data DIR "
                 "(the other data sets come with masks)");
    REFF_REQUIRE(std::filesystem::is_directory(options.data_dir), "--data",
                 options.data_dir + ": folder not found");
    REFF_REQUIRE(port >= 0 && port <= 65535, "--port", "must be in [0, 65535] (0: a free port)");
    options.subset.n = data::parse_annotated_n(n, "--n");
    options.subset.per_class = !total;
    options.masks.validate();
    REFF_REQUIRE(options.split.val_share > 0 && options.split.val_share < 1, "--val-share",
                 "must be in (0, 1)");
    if (options.out_dir.empty())
      options.out_dir = (std::filesystem::path(options.data_dir) / "masks").string();
    annotate::AnnotationSession session(options);
    std::cout << "annotate: " << session.size() << " images of " << options.data_dir << " ("
              << (options.subset.n == 0 ? std::string("all")
                                        : n + (total ? " in total" : " per class"))
              << ", seed " << options.subset.seed << "); masks go to " << options.out_dir
              << "/train/<class>/<stem>.png\n";
    StopOnSignal stop;
    serve_annotations(
        session, {port, random_token()},
        [](const std::string& url) {
          std::cout << "open " << url << "\n(Ctrl+C stops the server; saved masks stay)"
                    << std::endl;
        },
        [] { return StopOnSignal::requested(); });
    std::cout << "annotate: stopped; masks saved in " << options.out_dir << "\n";
  }
};

}  // namespace

void add_annotate_command(CLI::App& app) {
  auto a = std::make_shared<AnnotateCommand>();
  auto* command = app.add_subcommand(
      "annotate", "Paint the masks of ReFF's annotated images in the browser (127.0.0.1)");
  auto& o = a->options;
  command->add_option("--dataset", a->dataset, "folder (your own images)")->capture_default_str();
  command->add_option("--data", o.data_dir, "Your data folder (docs/own-data.md)")->required();
  command->add_option("--out", o.out_dir, "Where masks are saved (default: DATA/masks)");
  command
      ->add_option("--n,--annotated-n", a->n,
                   "Images to annotate per class (or in total with --annotated-total); all")
      ->capture_default_str();
  command->add_flag("--annotated-total", a->total, "--n counts images in total, not per class");
  command->add_option("--annotation-seed", o.subset.seed, "Seed of the choice (as in training)")
      ->capture_default_str();
  command
      ->add_option("--val-share", o.split.val_share,
                   "Share of train held out as val when DATA has no val split")
      ->capture_default_str();
  command->add_option("--split-seed", o.split.seed, "Seed of that split")->capture_default_str();
  command
      ->add_option("--mask-threshold", o.masks.threshold,
                   "Masks already in DATA: relevant where gray >= this x 255")
      ->capture_default_str();
  command->add_option("--mask-values", o.masks.values,
                      "Masks already in DATA: the values that mark relevant pixels");
  command->add_option("--annotator", o.annotator_dir,
                      "A pseudo-annotator folder: its G(x) as a start (the Suggest button)");
  command->add_option("--port", a->port, "Port on 127.0.0.1 (0: a free one)")
      ->capture_default_str();
  command->callback([a] { a->run(); });
}

}  // namespace reff::cli
