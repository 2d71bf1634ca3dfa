#include "run_options.h"

#include "reff/error.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/resolve.h"
#include "reff/run/run_option_table.h"
#include "reff/train/methods.h"
#include "reff/train/train_option_table.h"

#include <filesystem>
#include <sstream>

namespace reff::cli {

void add_device_option(CLI::App& command, std::string& device) {
  command.add_option("--device", device, "auto (CUDA if present) | cpu | cuda | cuda:N")
      ->capture_default_str();
}

void TrainOptionFlags::add_overrides(const GivenOptions& given, nlohmann::json& overrides) const {
  train::for_each_train_option([&](const train::TrainOption& option, auto field) {
    if (option.flag == nullptr || !given.given(option.flag)) return;
    const auto& value = field(values);
    using Value = std::decay_t<decltype(value)>;
    auto& json = overrides["train"][option.key];
    if constexpr (std::is_enum_v<Value>) {
      json = names.at(option.flag);  // read (and checked) as config.json's name
    } else if constexpr (std::is_same_v<Value, std::optional<bool>>) {
      json = value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    } else {
      json = value;
    }
  });
}

namespace {

template <typename Value>
std::string value_text(const Value& value) {
  if constexpr (std::is_same_v<Value, std::vector<int64_t>>) {
    std::string text;
    for (const auto v : value) text += (text.empty() ? "" : " ") + std::to_string(v);
    return text.empty() ? "none" : text;
  } else if constexpr (std::is_same_v<Value, bool>) {
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
constexpr bool kFlagType = std::is_arithmetic_v<Value> || std::is_same_v<Value, std::string> ||
                           std::is_same_v<Value, std::vector<int64_t>>;

// " [folder, waterbirds]": the kinds of data set a data option applies to, where not every kind.
std::string kinds_taking(const run::RunOption& option) {
  if (option.every_kind) return "";
  std::string kinds;
  for (const auto& kind : run::dataset_kinds())
    if (kind.takes(option)) kinds += (kinds.empty() ? "" : ", ") + std::string(kind.name);
  return " [" + kinds + "]";
}

// "--canvas" of "--canvas,--image-size": the name GivenOptions knows an option by.
std::string primary(const char* flag) {
  const std::string names = flag;
  return names.substr(0, names.find(','));
}

// --lambda's help: the presets' values and those of the methods that bring their own.
std::string lambda_help() {
  auto text = defaults([](const run::RunConfig& c) { return c.train.lambda; });
  text.pop_back();  // its ")"
  for (const auto& method : train::methods())
    if (method.defaults.lambda)
      text += std::string("; ") + method.name + " " + value_text(*method.defaults.lambda);
  return "Weight of the explanation loss " + text + ")";
}

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
    } else if constexpr (std::is_same_v<Value, double>) {
      // lambda's values live in the presets and the method registry: its help is made from them
      const bool lambda = &value == &values.lambda;
      given.add(command, option.flag, value, lambda ? lambda_help() : std::string(option.help));
    } else {
      given.add(command, option.flag, value, option.help);
    }
  });
}

void RunOptionFlags::add_to(CLI::App& command, GivenOptions& given) {
  run::for_each_run_option([&](const run::RunOption& option, auto field) {
    using Value = std::decay_t<decltype(field(values))>;
    if constexpr (kFlagType<Value>) {
      if (option.flag == nullptr || option.section != std::string(section)) return;
      const auto help = option.help + kinds_taking(option);
      if constexpr (std::is_same_v<Value, bool>) {
        if (option.is_switch) {
          given.add_flag(command, option.flag, field(values), help);
          return;
        }
      }
      given.add(command, option.flag, field(values), help + " " + defaults(field));
    }
  });
}

void RunOptionFlags::add_overrides(const GivenOptions& given, nlohmann::json& overrides) const {
  run::for_each_run_option([&](const run::RunOption& option, auto field) {
    if (option.flag == nullptr || option.section != std::string(section)) return;
    if (given.given(primary(option.flag))) overrides[section][option.key] = field(values);
  });
}

void DataOptions::add_to(CLI::App& command, GivenOptions& given) {
  given.add(command, "--preset", preset, run::preset_names())->capture_default_str();
  given.add(command, "--dataset", dataset, run::dataset_kind_help() + " (textured-mnist)");
  given.add(command, "--data", data_dir, "Folder of a data set that is not generated");
  given.add(command, "--test", tests,
            "Test set NAME:P:Q, repeatable (shift:1:1 iid:0:1); folder: a folder of test images");
  table.add_to(command, given);
  given.add(command, "--annotated-n,--n", annotated_n,
            "Annotated training images (D1) per class, or 'all' (default all)");
  given.add_flag(command, "--annotated-total", annotated_total,
                 "--annotated-n counts images in total, not per class");
  given.add(command, "--annotation-seed", annotation_seed, "Seed of the choice of D1 (0)");
}

nlohmann::json DataOptions::overrides(const GivenOptions& given) const {
  nlohmann::json json = nlohmann::json::object();
  table.add_overrides(given, json);
  if (given.given("--data")) json["data"]["data_dir"] = data_dir;
  if (given.given("--test")) json["data"]["tests"] = tests;
  if (given.given("--annotated-n"))
    json["annotations"]["n"] = data::parse_annotated_n(annotated_n, "--annotated-n");
  if (annotated_total) json["annotations"]["per_class"] = false;
  if (given.given("--annotation-seed")) json["annotations"]["seed"] = annotation_seed;
  return json;
}

run::RunConfig DataOptions::resolve(const GivenOptions& given) const {
  return run::resolve(preset, dataset, overrides(given));
}

}  // namespace reff::cli
