#include "data_command.h"

#include "progress.h"
#include "reff/data/image_file.h"
#include "reff/data/layout_example.h"
#include "reff/data/texture_bank_choice.h"
#include "reff/data/textured_mnist_folder.h"
#include "reff/data/waterbirds.h"
#include "reff/data/waterbirds_generator.h"
#include "reff/error.h"
#include "reff/run/resolve.h"
#include "reff/viz/contact_sheet.h"
#include "reff/viz/image_grid.h"
#include "run_options.h"

#include <iostream>
#include <memory>

namespace reff::cli {
namespace {

// The generator's options default to the preset's (run::preset_config), so the set written is
// the one `reff train --preset ...` trains on; options given override them.
struct TexturedMnistCommand {
  std::string preset = "cpu";
  std::string out;
  std::string split = "train";
  std::string mnist_dir = std::string(REFF_DATA_DIR) + "/mnist";
  int64_t count = 0;  // 0: one image per digit of the split
  data::SplitOptions split_options;
  data::TexturedMnistOptions generator;
  data::TextureSource textures;
  GivenOptions given;

  void run() const {
    nlohmann::json overrides = {{"data",
                                 {{"p", generator.p},
                                  {"q", generator.q},
                                  {"seed", generator.seed},
                                  {"mnist_dir", mnist_dir}}}};
    auto& d = overrides["data"];
    const auto give = [&](const char* flag, const char* key, const auto& value) {
      if (given.given(flag)) d[key] = value;
    };
    give("--canvas", "canvas", generator.canvas);
    give("--digit-size", "digit_size", generator.digit_size);
    give("--luminance-offset", "luminance_offset", generator.luminance_offset);
    give("--stretch-textures", "stretch_textures", generator.stretch_textures);
    give("--colour-jitter", "colour_jitter", generator.colour_jitter);
    give("--texture-shrink", "texture_shrink", generator.texture_shrink);
    give("--mask-threshold", "mask_threshold", generator.mask_threshold);
    give("--textures", "textures", textures.kind);
    give("--texture-dir", "texture_dir", textures.path);
    const auto config = run::resolve(preset, "textured-mnist", overrides);
    const auto& options = config.data;
    const auto& source = config.textures;
    const auto split_kind = data::parse_split(split);
    auto bank = data::open_texture_bank(source);
    auto digits = data::load_mnist_split(mnist_dir, split_kind, split_options);
    const int64_t n = count > 0 ? count : digits.size();
    const data::TexturedMnist generator_(std::move(digits), bank, options);

    Progress progress("textured-mnist", "img");
    data::TexturedMnistFolderOptions folder;
    folder.count = n;
    folder.progress = [&](int64_t done, int64_t total) { progress.update(done, total); };
    folder.preview = [](const std::vector<data::TexturedDigit>& shown) {
      return viz::contact_sheet(shown);
    };
    folder.provenance = {{"preset", preset},
                         {"split", split},
                         {"val_share", split_options.val_share},
                         {"split_seed", split_options.seed},
                         {"mnist_dir", mnist_dir},
                         {"textures", source.kind},
                         {"texture_dir", source.path}};
    data::write_textured_mnist_folder(generator_, out, folder);
    std::cout << "wrote " << n << " images, masks, labels.csv, manifest.json and preview.png to "
              << out << "\n";
  }
};

struct TexturesCommand {
  data::TextureSource textures;
  std::string out;
  int64_t size = 64;
  int64_t per_class = 6;
  uint64_t seed = 0;

  // One row per class: `per_class` patches side by side. Prints the classes in row order.
  void run() const {
    REFF_REQUIRE(size >= 8 && size <= 1024, "--size", "must be in [8, 1024]");
    REFF_REQUIRE(per_class >= 1 && per_class <= 32, "--per-class", "must be in [1, 32]");
    auto bank = data::open_texture_bank(textures);
    std::vector<torch::Tensor> tiles;
    for (int64_t c = 0; c < bank->num_classes(); ++c) {
      data::Rng rng(seed, c);
      for (int64_t k = 0; k < per_class; ++k) {
        tiles.push_back(bank->sample(c, size, rng).mul(255).round().to(torch::kUInt8));
      }
      std::cout << "row " << c << ": " << bank->class_names()[c] << "\n";
    }
    data::write_png(out, viz::image_grid(tiles, per_class, 2));
    std::cout << "wrote " << out << "\n";
  }
};

void add_texture_options(CLI::App& command, data::TextureSource& textures) {
  command
      .add_option("--textures", textures.kind, "Texture bank: " + data::texture_bank_names(" | "))
      ->capture_default_str();
  command.add_option("--texture-dir", textures.path,
                     "Folder of the bank (gimp: default /usr/share/gimp/2.0/patterns; dtd: the "
                     "folder holding images/<class>/)");
}

// `reff data waterbirds`: Waterbirds from CUB and scene folders (waterbirds_generator.h).
void add_waterbirds_command(CLI::App& data) {
  auto sources = std::make_shared<data::WaterbirdsSources>();
  auto out = std::make_shared<std::string>();
  auto* command = data.add_subcommand(
      "waterbirds",
      "Make Waterbirds from CUB-200-2011 and folders of land and water scenes, in its official "
      "layout (docs/datasets.md)");
  command->add_option("--cub", sources->cub_dir, "CUB_200_2011's folder")->required();
  command->add_option("--land", sources->land, "Folder of land scenes, repeatable")->required();
  command->add_option("--water", sources->water, "Folder of water scenes, repeatable")->required();
  command->add_option("--out", *out, "Folder to write")->required();
  command
      ->add_option("--correlation", sources->correlation,
                   "Share of the training birds on their own kind of scene (1: GALS' variant)")
      ->capture_default_str();
  command
      ->add_option("--val-share", sources->val_share,
                   "Share of CUB's training images that form the val split")
      ->capture_default_str();
  command->add_option("--seed", sources->seed, "Seed of the splits and the scenes")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command->callback([sources, out] {
    Progress progress("waterbirds", "img");
    const auto counts = data::write_waterbirds(
        *sources, *out, [&](int64_t done, int64_t total) { progress.update(done, total); });
    const auto groups = data::waterbirds_groups();
    const char* splits[] = {"train", "val", "test"};
    std::cout << "wrote " << *out << "/metadata.csv and its images; images per group:\n";
    for (size_t split = 0; split < 3; ++split) {
      std::cout << "  " << splits[split] << ":";
      for (size_t g = 0; g < groups.size(); ++g)
        std::cout << " " << groups[g] << " " << counts[split][g / 2][g % 2];
      std::cout << "\n";
    }
    std::cout << "train on it with reff train --dataset waterbirds --data " << *out << " --masks "
              << sources->cub_dir << "\n";
  });
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto* data = app.add_subcommand("data", "Make data sets and look at texture banks");
  data->require_subcommand(1);

  auto tm = std::make_shared<TexturedMnistCommand>();
  auto* textured = data->add_subcommand(
      "textured-mnist", "Write a Textured MNIST set: images, masks, labels.csv, manifest, preview");
  textured->add_option("--out", tm->out, "Output folder (replaced atomically)")->required();
  textured->add_option("--preset", tm->preset, "cpu (40 px) or paper (224 px)")
      ->capture_default_str();
  textured
      ->add_option("--count", tm->count, "Images to write (default: one per digit of the split)")
      ->check(CLI::NonNegativeNumber);
  textured->add_option("--split", tm->split, "train, val (from the training file) or test")
      ->capture_default_str();
  textured->add_option("--seed", tm->generator.seed, "Seed of textures, positions and order")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  textured->add_option("--p", tm->generator.p, "Background randomness in [0, 1]")
      ->capture_default_str();
  textured->add_option("--q", tm->generator.q, "Digit-texture randomness in [0, 1]")
      ->capture_default_str();
  auto& g = tm->given;
  g.add(*textured, "--canvas", tm->generator.canvas, "Canvas side in pixels (preset)");
  g.add(*textured, "--digit-size", tm->generator.digit_size,
        "Digit side in pixels, placed at random positions (0: whole canvas; preset)");
  g.add(*textured, "--luminance-offset", tm->generator.luminance_offset,
        "Digit lighter than background by this much, in [0, 1) (preset)");
  g.add(*textured, "--stretch-textures", tm->generator.stretch_textures,
        "true: min-max scale every texture patch to [0, 1] (preset)");
  g.add(*textured, "--colour-jitter", tm->generator.colour_jitter,
        "true: turn and tint each texture patch's colours at random (preset)");
  g.add(*textured, "--texture-shrink", tm->generator.texture_shrink,
        "Draw each texture patch this many times larger and shrink it, in [1, 16] (preset)");
  g.add(*textured, "--mask-threshold", tm->generator.mask_threshold,
        "The mask is the digit's coverage >= this (preset)");
  textured->add_option("--mnist", tm->mnist_dir, "Folder in MNIST's layout (IDX, raw or .gz)")
      ->capture_default_str();
  textured
      ->add_option("--val-share", tm->split_options.val_share,
                   "Share of the training file held out as val")
      ->capture_default_str();
  textured->add_option("--split-seed", tm->split_options.seed, "Seed of the train/val split")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  g.add(*textured, "--textures", tm->textures.kind,
        "Texture bank: " + data::texture_bank_names(" | ") + " (preset)");
  g.add(*textured, "--texture-dir", tm->textures.path,
        "Folder of the bank (gimp: default /usr/share/gimp/2.0/patterns; dtd: the folder holding "
        "images/<class>/)");
  textured->callback([tm] { tm->run(); });

  auto tx = std::make_shared<TexturesCommand>();
  auto* textures = data->add_subcommand(
      "textures", "Write a contact sheet of a texture bank: one row of patches per class");
  textures->add_option("--out", tx->out, "PNG to write")->required();
  textures->add_option("--size", tx->size, "Patch side in pixels")->capture_default_str();
  textures->add_option("--per-class", tx->per_class, "Patches per class")->capture_default_str();
  textures->add_option("--seed", tx->seed, "Seed")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  add_texture_options(*textures, tx->textures);
  textures->callback([tx] { tx->run(); });

  struct Example {
    std::string dataset, out;
    int64_t count = 0;
  };
  auto ex = std::make_shared<Example>();
  auto* example = data->add_subcommand(
      "layout-example",
      "Write a small synthetic folder in the official layout of a published data set, or an own "
      "folder's (folder)");
  example->add_option("--dataset", ex->dataset, "isic2017 | pets | waterbirds | folder")
      ->required();
  example->add_option("--out", ex->out, "Folder to write")->required();
  example->add_option("--count", ex->count, "folder: training images per class (12)");
  example->callback([ex] {
    const auto options = data::write_layout_example(ex->dataset, ex->out, 0, ex->count);
    std::cout << "wrote a " << ex->dataset << " example to " << ex->out
              << " (train on it with reff train " << options << ")\n";
  });

  add_waterbirds_command(*data);
}

}  // namespace reff::cli
