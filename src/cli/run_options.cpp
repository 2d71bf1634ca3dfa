#include "run_options.h"

#include "reff/error.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_option_table.h"
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

template <typename Value>
std::string value_text(const Value& value) {
  if constexpr (std::is_same_v<Value, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_same_v<Value, std::string>) {
    return value.empty() ? "none" : value;
  } else {
    std::ostringstream out;
    out << value;
    return out.str();
  }
}

// "(0.1)" where every preset has the same value, else "(preset cpu 0.5, paper 0.3)".
template <typename Field>
std::string defaults(Field field) {
  std::string each;
  bool differ = false;
  const auto first = run::preset_config(run::presets().front());
  for (const auto& preset : run::presets()) {
    const auto config = run::preset_config(preset);
    differ = differ || field(config) != field(first);
    each += (each.empty() ? "preset " : ", ") + preset + " " + value_text(field(config));
  }
  return "(" + (differ ? each : value_text(field(first))) + ")";
}

// The value types a flag takes (the table's others are set by the commands themselves).
template <typename Value>
constexpr bool kFlagType = std::is_arithmetic_v<Value> || std::is_same_v<Value, std::string>;

// "--canvas" of "--canvas,--image-size": the name GivenOptions knows an option by.
std::string primary(const char* flag) {
  const std::string names = flag;
  return names.substr(0, names.find(','));
}

}  // namespace

void RunOptionFlags::add_to(CLI::App& command, GivenOptions& given) {
  run::for_each_run_option([&](const run::RunOption& option, auto field) {
    using Value = std::decay_t<decltype(field(values))>;
    if constexpr (kFlagType<Value>) {
      if (option.flag == nullptr || option.section != std::string(section)) return;
      given.add(command, option.flag, field(values), option.help + " " + defaults(field));
    }
  });
}

bool RunOptionFlags::is_given(const run::RunOption& option, const GivenOptions& given) const {
  return option.flag != nullptr && option.section == std::string(section) &&
         given.given(primary(option.flag));
}

void RunOptionFlags::apply(const GivenOptions& given, run::RunConfig& config) const {
  run::for_each_run_option([&](const run::RunOption& option, auto field) {
    if (is_given(option, given)) field(config) = field(values);
  });
}

std::vector<run::RunOption> RunOptionFlags::given_options(const GivenOptions& given) const {
  std::vector<run::RunOption> options;
  run::for_each_run_option([&](const run::RunOption& option, auto) {
    if (is_given(option, given)) options.push_back(option);
  });
  return options;
}

void fit_digit_to_canvas(const GivenOptions& given, data::TexturedMnistOptions& options) {
  if (!given.given("--digit-size") && options.digit_size > options.canvas) options.digit_size = 0;
}

void DataOptions::add_to(CLI::App& command, GivenOptions& given) {
  given.add(command, "--preset", preset, run::preset_names())->capture_default_str();
  given.add(command, "--dataset", dataset,
            "textured-mnist (generated) | " + run::published_dataset_names(" | ") +
                " (folders in their official layouts) | folder (your own images: "
                "docs/own-data.md)");
  given.add(command, "--data", data_dir, "Folder of the isic2017, pets or own data set");
  given.add(command, "--mask-values", mask_values,
            "folder: mask values (palette indices of indexed PNGs, else gray levels) that mark "
            "relevant pixels, repeatable (default: indexed PNGs every index but 0, gray "
            ">= --mask-threshold)");
  given.add_flag(command, "--allow-empty-masks", allow_empty_masks,
                 "folder: train although more than 5 % of the masked training images have a mask "
                 "that marks nothing (refused by default)");
  given.add(command, "--test", tests,
            "Test set NAME:P:Q, repeatable (shift:1:1 iid:0:1); folder: a folder of test images");
  table.add_to(command, given);
  given.add(command, "--annotated-n,--n", annotated_n,
            "Annotated training images (D1) per class, or 'all' (default all)");
  given.add_flag(command, "--annotated-total", annotated_total,
                 "--annotated-n counts images in total, not per class");
  given.add(command, "--annotation-seed", annotation_seed, "Seed of the choice of D1 (0)");
}

run::RunConfig DataOptions::resolve(const GivenOptions& given) const {
  auto c = run::preset_config(preset);
  if (given.given("--dataset")) run::use_dataset(c, dataset);
  run::dataset_classes(c);  // a known name
  for (const char* flag : {"--mask-values", "--allow-empty-masks"})
    REFF_REQUIRE(run::is_own_folder(c) || !given.given(flag), flag,
                 "applies to the masks of --dataset folder");
  if (run::is_textured_mnist(c)) {
    REFF_REQUIRE(!given.given("--data"), "--data",
                 "is the folder of isic2017, pets or your own images (--dataset); see --mnist");
  } else {
    for (const auto& option : table.given_options(given)) {
      REFF_REQUIRE(option.scope != run::OptionScope::textured_mnist, primary(option.flag),
                   "shapes generated Textured MNIST, not the " + c.dataset + " data set");
      REFF_REQUIRE(option.scope != run::OptionScope::generated_or_own || run::is_own_folder(c),
                   primary(option.flag), "does not apply to " + c.dataset);
    }
    REFF_REQUIRE(run::is_own_folder(c) || !given.given("--test"), "--test",
                 "does not apply to " + c.dataset);
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
    c.allow_empty_masks = allow_empty_masks;
    run::check_dataset_files(c);
  }
  table.apply(given, c);
  fit_digit_to_canvas(given, c.data);
  given.set("--annotation-seed", annotation_seed, c.annotated.seed);
  if (given.given("--annotated-n"))
    c.annotated.n = data::parse_annotated_n(annotated_n, "--annotated-n");
  c.annotated.per_class = !annotated_total;
  if (given.given("--test")) c.tests = parse_tests(c, tests);
  return c;  // checked by the command (RunConfig::validate) once its own options are in
}

}  // namespace reff::cli
