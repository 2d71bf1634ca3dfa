// The kinds of data set a run trains on (--dataset), one registry entry each, as the methods have
// theirs (train/methods.h). An entry owns everything that differs between kinds: its name and
// help, the data options that apply to it, its defaults on each preset, how its --test and --val
// values read, its file checks, its classes and its sets. The rest of reff asks the entry and never
// the name, so a new kind is its loader, one entry in src/run/dataset_kinds.cpp and its test
// (docs/architecture.md).
#pragma once

#include "reff/data/folder_dataset.h"
#include "reff/run/run_config.h"
#include "reff/train/trainer.h"

#include <string>
#include <vector>

namespace reff::run {

struct RunOption;  // run_option_table.h

// What a --val value names for a kind (RunConfig::val).
enum class ValForm {
  distribution,  // NAME:P:Q, drawn from the validation share of the generator's source
  folder,        // a folder of validation images (an own folder's layout)
  official,      // "official": the layout's own val split, chosen on its worst group
  none,          // no --val: its val split is the official one
};

struct DatasetKind {
  const char* name;
  const char* help;  // its part of --dataset's help
  // The "data" options of run_option_table.h that apply to this kind besides those that apply to
  // every kind (RunOption::every_kind); config.json holds no other.
  std::vector<std::string> options;
  bool generated;  // images generated from MNIST (no --data): sets are NAME:P:Q
  bool own_masks;  // D1 is the training images that come with a mask (no --annotated-n)
  ValForm val_form;
  // Sets the kind's defaults on config.preset's values (config.dataset is set already).
  void (*defaults)(RunConfig& config);
  // Lists every split's files (cheap: no decoding): a folder that is not of this kind fails with
  // a reff::Error naming the file before any work starts. Sets what the folder decides (an own
  // folder's classes and groups, its test split as the test set).
  void (*check_files)(RunConfig& config);
  int64_t (*classes)(const RunConfig& config);
  // A --test value and a --val value, read for this kind (reff::Error naming the flag otherwise).
  TestSetSpec (*test_set)(const RunConfig& config, const std::string& text);
  TestSetSpec (*val_set)(const RunConfig& config, const std::string& text);
  // The training set as generated or decoded, every mask present.
  train::NamedDataset (*train_data)(const RunConfig& config);
  // The set that chooses the best epoch (RunConfig::val) and a test set, `count` images (0: all).
  train::NamedDataset (*val_data)(const RunConfig& config);
  train::NamedDataset (*test_data)(const RunConfig& config, const TestSetSpec& spec, int64_t count);
  // Every image with its mask file, as `reff masks validate` checks them; nullptr where masks are
  // generated or in a published layout's own encoding.
  data::FolderListing (*listing)(const RunConfig& config);

  bool takes(const RunOption& option) const;
};

// Every kind, in --dataset's order.
const std::vector<DatasetKind>& dataset_kinds();
// The kind named `name`; reff::Error "--dataset: 'x' is not one of textured-mnist, ..." otherwise.
const DatasetKind& dataset_kind(const std::string& name);
const DatasetKind& dataset_kind(const RunConfig& config);  // its config.dataset
// "textured-mnist | isic2017 | ...", or with the kinds' help: --dataset's help line.
std::string dataset_kind_names(const char* separator = ", ");
std::string dataset_kind_help();

}  // namespace reff::run
