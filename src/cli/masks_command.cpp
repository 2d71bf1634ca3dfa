#include "masks_command.h"

#include "progress.h"
#include "reff/data/mask_check.h"
#include "reff/error.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/resolve.h"

#include <iomanip>
#include <iostream>
#include <map>
#include <memory>

namespace reff::cli {
namespace {

struct MasksOptions {
  std::string dir, out;
  double threshold = 0.5;
  std::vector<int64_t> values;

  void add_to(CLI::App& command) {
    command.add_option("DIR", dir, "The data folder (ImageFolder layout or labels.csv)")
        ->required();
    command.add_option("--mask-threshold", threshold, "Gray masks: relevant where >= this x 255")
        ->capture_default_str();
    command.add_option("--mask-values", values,
                       "Mask values (palette indices of indexed PNGs, else gray levels) that mark "
                       "relevant pixels, repeatable");
  }
  // The data folder's images and masks: an own folder's, or another kind's (--dataset) as a run
  // reads them (run::resolve).
  data::FolderListing listing(const std::string& dataset, const std::string& masks_dir) const {
    nlohmann::json overrides = {{"data", {{"data_dir", dir}, {"mask_threshold", threshold}}}};
    if (!values.empty()) overrides["data"]["mask_values"] = values;
    if (!masks_dir.empty()) overrides["data"]["masks_dir"] = masks_dir;
    const auto config = run::resolve("cpu", dataset, overrides);
    const auto& kind = run::dataset_kind(config);
    REFF_REQUIRE(kind.listing != nullptr, "--dataset",
                 std::string(kind.name) + " has no mask files to validate");
    return kind.listing(config);
  }
  data::MaskReader reader() const {
    const data::MaskOptions options{threshold, values};
    options.validate();
    return data::MaskReader(options);
  }
};

// Per split: images, and those with a mask, per class.
void print_counts(const data::FolderListing& listing) {
  for (const auto split : {data::Split::train, data::Split::val, data::Split::test}) {
    const auto& images = listing.split(split);
    if (images.empty()) continue;
    std::map<int64_t, int64_t> masked;
    for (const auto& image : images) masked[image.label] += image.mask.empty() ? 0 : 1;
    std::cout << data::split_name(split) << ": " << images.size() << " images, masks per class:";
    for (size_t c = 0; c < listing.classes.size(); ++c)
      std::cout << " " << listing.classes[c] << " " << masked[int64_t(c)];
    std::cout << "\n";
  }
}

void validate(const MasksOptions& options, const std::string& dataset,
              const std::string& masks_dir) {
  const auto listing = options.listing(dataset, masks_dir);
  std::cout << options.dir << ": " << listing.layout << " layout, " << listing.classes.size()
            << " classes";
  if (!listing.groups.empty()) std::cout << ", " << listing.groups.size() << " groups";
  std::cout << "\n";
  print_counts(listing);
  auto reader = options.reader();
  Progress progress("validate", "masks");
  const auto checks = data::check_masks(
      listing, reader, [&](int64_t done, int64_t total) { progress.update(done, total, ""); });
  int64_t problems = 0, empty = 0, full = 0, hinted = 0;
  std::string first_hint;
  for (const auto& check : checks) {
    const char* status = !check.problem.empty() ? "ERROR"
                         : check.empty()        ? "EMPTY"
                         : check.full()         ? "FULL"
                                                : "ok";
    std::cout << std::left << std::setw(6) << status << check.image;
    if (check.problem.empty()) {
      std::cout << "  " << check.width << "x" << check.height << "  coverage " << std::fixed
                << std::setprecision(1) << 100 * check.coverage << "%";
      if (!check.hint.empty()) std::cout << "  (" << check.hint << ")";
      std::cout << "\n";
    } else {
      std::cout << "  " << check.problem << "\n";
    }
    problems += !check.problem.empty();
    empty += check.empty();
    full += check.full();
    hinted += !check.hint.empty();
    if (first_hint.empty()) first_hint = check.hint;
  }
  std::cout << checks.size() << " masks: " << checks.size() - problems << " read, " << problems
            << " unreadable or of the wrong size, " << empty << " empty, " << full
            << " covering the whole image\n";
  if (hinted > 0)
    std::cout << hinted << " of the empty masks hold values the reading drops: " << first_hint
              << "\n";
  REFF_REQUIRE(problems == 0, options.dir,
               std::to_string(problems) + " mask(s) cannot be used (ERROR lines above)");
}

void convert(const MasksOptions& options) {
  const auto listing = data::list_folder(options.dir);
  auto reader = options.reader();
  Progress progress("convert", "masks");
  const auto written =
      data::convert_masks(listing, reader, options.out,
                          [&](int64_t done, int64_t total) { progress.update(done, total, ""); });
  std::cout << "wrote " << written << " masks as 0/255 PNGs to " << options.out
            << "/<split>/<class>/<stem>.png (use it as " << options.dir << "/masks)\n";
}

}  // namespace

void add_masks_command(CLI::App& app) {
  auto* masks = app.add_subcommand("masks", "Check or convert the masks of your own data folder");
  masks->require_subcommand(1);
  auto v = std::make_shared<MasksOptions>();
  auto dataset = std::make_shared<std::string>("folder");
  auto cub = std::make_shared<std::string>();
  auto* check = masks->add_subcommand(
      "validate", "Per mask: read it, compare its size with its image's, report its coverage");
  v->add_to(*check);
  check->add_option("--dataset", *dataset, "folder | waterbirds")->capture_default_str();
  check->add_option("--masks", *cub,
                    "waterbirds: CUB's folder, whose segmentations/ hold the masks");
  check->callback([v, dataset, cub] { validate(*v, *dataset, *cub); });
  auto c = std::make_shared<MasksOptions>();
  auto* write = masks->add_subcommand(
      "convert", "Write every mask (PNG, indexed PNG, labelme, COCO) as a 0/255 PNG tree");
  c->add_to(*write);
  write->add_option("--out", c->out, "Folder to create")->required();
  write->callback([c] { convert(*c); });
}

}  // namespace reff::cli
