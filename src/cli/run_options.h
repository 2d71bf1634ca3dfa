// Command-line options that override a preset only when given. DataOptions holds those that
// decide the generated data and the annotated subset, shared by `reff train` and
// `reff annotator train`, so an annotator and its classifier see the same images.
#pragma once

#include "reff/run/run_config.h"
#include "reff/run/run_option_table.h"

#include <CLI/CLI.hpp>

#include <map>
#include <string>
#include <type_traits>
#include <vector>

namespace reff::cli {

class GivenOptions {
 public:
  // `names` may add aliases after the main name: "--annotated-n,--n".
  template <class T>
  CLI::Option* add(CLI::App& command, const std::string& names, T& target,
                   const std::string& help) {
    auto* option = command.add_option(names, target, help);
    // "-1" wraps; bool is unsigned too but reads true/false
    if constexpr (std::is_unsigned_v<T> && !std::is_same_v<T, bool>) {
      option->check(CLI::NonNegativeNumber);
    }
    return options_[names.substr(0, names.find(','))] = option;
  }
  CLI::Option* add_flag(CLI::App& command, const std::string& name, bool& target,
                        const std::string& help) {
    return options_[name] = command.add_flag(name, target, help);
  }
  bool given(const std::string& name) const { return options_.at(name)->count() > 0; }
  template <class T>
  void set(const std::string& name, const T& value, T& target) const {
    if (given(name)) target = value;
  }

 private:
  std::map<std::string, CLI::Option*> options_;
};

// The options of one section of the run option table (run/run_option_table.h) as flags, each
// help line ending in its default and each preset's value where it differs; `values` is where
// the flags store what they are given, and apply() copies the given ones into a config.
struct RunOptionFlags {
  const char* section;  // "data" or "model"
  run::RunConfig values;
  void add_to(CLI::App& command, GivenOptions& given);
  // The given ones into `overrides` (config.json's shape: run/resolve.h).
  void add_overrides(const GivenOptions& given, nlohmann::json& overrides) const;
};

// The data options and the annotated subset, as run::resolve's overrides.
struct DataOptions {
  std::string preset = "cpu", dataset = "textured-mnist", data_dir, annotated_n;
  std::vector<std::string> tests;
  uint64_t annotation_seed = 0;
  bool annotated_total = false;
  RunOptionFlags table{"data", {}};

  void add_to(CLI::App& command, GivenOptions& given);
  nlohmann::json overrides(const GivenOptions& given) const;
  // run::resolve of the preset, the data set and the given data options.
  run::RunConfig resolve(const GivenOptions& given) const;
};

// The training options of the option table (train/train_option_table.h) as flags, and the given
// ones as overrides of config.json's "train".
struct TrainOptionFlags {
  train::TrainOptions values;                // where the flags store what they are given
  std::map<std::string, std::string> names;  // an enumeration's flag: the name given
  void add_to(CLI::App& command, GivenOptions& given);
  void add_overrides(const GivenOptions& given, nlohmann::json& overrides) const;
};

// --device auto | cpu | cuda | cuda:N
void add_device_option(CLI::App& command, std::string& device);

}  // namespace reff::cli
