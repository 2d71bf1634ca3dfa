#include "run_options.h"

#include "reff/error.h"
#include "reff/run/run_assembly.h"
#include "reff/train/train_option_table.h"

#include <filesystem>
#include <sstream>

namespace reff::cli {

std::vector<run::TestSetSpec> parse_tests(const run::RunConfig& config,
                                          const std::vector<std::string>& texts) {
  std::vector<run::TestSetSpec> specs;
  for (const auto& text : texts) specs.push_back(run::test_set_for(config, text));
  return specs;
}

void add_device_option(CLI::App& command, std::string& device) {
  command.add_option("--device", device, "auto (CUDA if present) | cpu | cuda | cuda:N")
      ->capture_default_str();
}

namespace {

// Options that shape generated Textured MNIST and mean nothing for a real data set.
constexpr const char* kTexturedMnistOnly[] = {"--p",
                                              "--q",
                                              "--mnist",
                                              "--textures",
                                              "--texture-dir",
                                              "--digit-size",
                                              "--luminance-offset",
                                              "--stretch-textures",
                                              "--data-seed"};
// Options of Textured MNIST and own folders, which the official layouts fix.
constexpr const char* kNotForOfficialLayouts[] = {"--test", "--mask-threshold"};

}  // namespace

void TrainOptionFlags::add_to(CLI::App& command, GivenOptions& given) {
  train::for_each_train_option([&](const train::TrainOption& option, auto field) {
    if (option.flag == nullptr) return;
    auto& value = field(values);
    using Value = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<Value>) {
      given.add(command, option.flag, names[option.flag], option.help);
    } else if constexpr (std::is_same_v<Value, std::vector<double>>) {
      given.add(command, option.flag, value, option.help)->delimiter(',');
    } else {
      given.add(command, option.flag, value, option.help);
    }
  });
}

void TrainOptionFlags::apply(const GivenOptions& given, train::TrainOptions& options) const {
  train::for_each_train_option([&](const train::TrainOption& option, auto field) {
    if (option.flag == nullptr || !given.given(option.flag)) return;
    auto& value = field(options);
    using Value = std::decay_t<decltype(value)>;
    if constexpr (std::is_enum_v<Value>) {
      value = parse_enum<Value>(option.flag, names.at(option.flag));
    } else {
      value = field(values);
    }
  });
}

namespace {

std::string value_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}
std::string value_text(bool value) { return value ? "true" : "false"; }
std::string value_text(const std::string& value) { return value; }

// "(0.3; preset cpu 0.5)": the value without a preset, and each preset's where it differs.
template <typename Get>
std::string defaults(Get get) {
  const auto plain = get(run::RunConfig{});
  std::string differing;
  for (const auto& preset : run::presets()) {
    const auto value = get(run::preset_config(preset));
    if (value != plain)
      differing += (differing.empty() ? "; preset " : ", ") + preset + " " + value_text(value);
  }
  return "(" + value_text(plain) + differing + ")";
}

}  // namespace

void fit_digit_to_canvas(const GivenOptions& given, data::TexturedMnistOptions& options) {
  if (!given.given("--digit-size") && options.digit_size > options.canvas) options.digit_size = 0;
}

void DataOptions::add_to(CLI::App& command, GivenOptions& given) {
  given.add(command, "--preset", preset, run::preset_names())->capture_default_str();
  given.add(command, "--dataset", dataset,
            "textured-mnist (generated) | isic2017 | pets (folders in their official layouts) | "
            "folder (your own images: docs/own-data.md)");
  given.add(command, "--data", data_dir, "Folder of the isic2017, pets or own data set");
  given.add(command, "--mask-values", mask_values,
            "folder: mask values (palette indices of indexed PNGs, else gray levels) that mark "
            "relevant pixels, repeatable (default: gray >= --mask-threshold)");
  given.add(command, "--p", p, "Training background randomness (0)");
  given.add(command, "--q", q, "Training digit-texture randomness (1)");
  given.add(command, "--test", tests,
            "Test set NAME:P:Q, repeatable (shift:1:1 iid:0:1); folder: a folder of test images");
  given.add(command, "--data-seed", data_seed, "Seed of the generated images (0)");
  given.add(command, "--canvas,--image-size", canvas,
            "Image side in pixels " +
                defaults([](const run::RunConfig& c) { return double(c.data.canvas); }));
  given.add(command, "--digit-size", digit_size,
            "Digit side in pixels (0: the whole canvas; preset: cpu 28, or the whole of a smaller "
            "canvas)");
  given.add(command, "--luminance-offset", luminance_offset,
            "Digit lighter than background by " +
                defaults([](const run::RunConfig& c) { return c.data.luminance_offset; }));
  given.add(command, "--stretch-textures", stretch_textures,
            "true: min-max scale every texture patch to [0, 1] " +
                defaults([](const run::RunConfig& c) { return c.data.stretch_textures; }));
  given.add(command, "--mask-threshold", mask_threshold,
            "The mask is the digit's coverage >= this " + defaults([](const run::RunConfig& c) {
              return c.data.mask_threshold;
            }) + "; folder: a mask pixel >= this x 255 (0.5)");
  given.add(command, "--textures", textures,
            "gimp | dtd | procedural | varied " +
                defaults([](const run::RunConfig& c) { return c.textures.kind; }));
  given.add(command, "--texture-dir", texture_dir, "Folder of the texture bank");
  given.add(command, "--mnist", mnist, "Folder in MNIST's layout (data/mnist)");
  given.add(command, "--train-count", train_count,
            "Training images (0: one per digit of the split)");
  given.add(command, "--val-count", val_count, "Validation images (0: all)");
  given.add(command, "--test-count", test_count, "Images per test set (0: all)");
  given.add(command, "--annotated-n,--n", annotated_n,
            "Annotated training images (D1) per class, or 'all' (default all)");
  given.add_flag(command, "--annotated-total", annotated_total,
                 "--annotated-n counts images in total, not per class");
  given.add(command, "--annotation-seed", annotation_seed, "Seed of the choice of D1 (0)");
  given.add(command, "--val-share", val_share,
            "Share of each class's training images held out as val where a data set has no val "
            "split (0.1)");
  given.add(command, "--split-seed", split_seed,
            "Seed of the train/val split of MNIST's or Pet's training file (0)");
}

run::RunConfig DataOptions::resolve(const GivenOptions& given) const {
  auto c = run::preset_config(preset);
  if (given.given("--dataset")) run::use_dataset(c, dataset);
  run::dataset_classes(c);  // a known name
  REFF_REQUIRE(run::is_own_folder(c) || !given.given("--mask-values"), "--mask-values",
               "reads the masks of --dataset folder");
  if (run::is_textured_mnist(c)) {
    REFF_REQUIRE(!given.given("--data"), "--data",
                 "is the folder of isic2017, pets or your own images (--dataset); see --mnist");
  } else {
    for (const char* option : kTexturedMnistOnly) {
      REFF_REQUIRE(!given.given(option), option,
                   "shapes generated Textured MNIST, not the " + c.dataset + " data set");
    }
    if (!run::is_own_folder(c)) {
      for (const char* option : kNotForOfficialLayouts)
        REFF_REQUIRE(!given.given(option), option, "does not apply to " + c.dataset);
    }
    REFF_REQUIRE(!run::is_own_folder(c) || !given.given("--annotated-n"), "--annotated-n",
                 "a folder's annotated images are those that come with a mask");
    REFF_REQUIRE(given.given("--data"), "--data", "the " + c.dataset + " folder is required");
    REFF_REQUIRE(std::filesystem::is_directory(data_dir), "--data",
                 data_dir + ": folder not found");
    // An own folder's path is kept absolute, so eval and explain find it from anywhere.
    c.data_dir = run::is_own_folder(c)
                     ? std::filesystem::absolute(data_dir).lexically_normal().string()
                     : data_dir;
    c.mask_values = mask_values;
    run::check_dataset_files(c);
  }
  given.set("--textures", textures, c.textures.kind);
  given.set("--texture-dir", texture_dir, c.textures.path);
  given.set("--mnist", mnist, c.mnist_dir);
  given.set("--canvas", canvas, c.data.canvas);
  given.set("--digit-size", digit_size, c.data.digit_size);
  fit_digit_to_canvas(given, c.data);
  given.set("--luminance-offset", luminance_offset, c.data.luminance_offset);
  given.set("--stretch-textures", stretch_textures, c.data.stretch_textures);
  given.set("--mask-threshold", mask_threshold, c.data.mask_threshold);
  given.set("--p", p, c.data.p);
  given.set("--q", q, c.data.q);
  given.set("--data-seed", data_seed, c.data.seed);
  given.set("--train-count", train_count, c.train_count);
  given.set("--val-count", val_count, c.val_count);
  given.set("--test-count", test_count, c.test_count);
  given.set("--annotation-seed", annotation_seed, c.annotated.seed);
  given.set("--split-seed", split_seed, c.split.seed);
  given.set("--val-share", val_share, c.split.val_share);
  REFF_REQUIRE(c.split.val_share > 0 && c.split.val_share < 1, "--val-share", "must be in (0, 1)");
  if (given.given("--annotated-n"))
    c.annotated.n = data::parse_annotated_n(annotated_n, "--annotated-n");
  c.annotated.per_class = !annotated_total;
  if (given.given("--test")) c.tests = parse_tests(c, tests);
  if (run::is_own_folder(c)) data::MaskOptions{c.data.mask_threshold, c.mask_values}.validate();
  c.data.validate();
  for (const auto& t : {c.train_count, c.val_count, c.test_count}) {
    REFF_REQUIRE(t >= 0, "--train-count/--val-count/--test-count", "must be >= 0 (0: all)");
  }
  return c;
}

}  // namespace reff::cli
