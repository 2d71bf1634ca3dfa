#include "reff/run/dfr_run.h"

#include "reff/error.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"
#include "reff/models/eval_mode.h"
#include "reff/notice.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_folders.h"
#include "reff/train/checkpoint.h"

#include <torch/torch.h>

#include <filesystem>

namespace reff::run {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kBatch = 256;
constexpr int64_t kPictureSamples = 8;

// The input of the head: layer4's features averaged over space, [N, D].
torch::Tensor penultimate_features(models::TappedModel& model, const data::TensorDataset& data) {
  models::EvalMode eval_mode(model);
  torch::InferenceMode inference;
  const auto device = model.parameters().front().device();
  std::vector<torch::Tensor> parts;
  for (int64_t begin = 0; begin < data.size(); begin += kBatch) {
    const auto batch = data.slice(begin, std::min(data.size(), begin + kBatch)).to(device);
    parts.push_back(model.forward(batch.images).features.back().mean({2, 3}).cpu());
  }
  return torch::cat(parts);
}

// The groups DFR balances: the set's own where every image has one, else its classes.
torch::Tensor balancing_groups(const train::NamedDataset& set) {
  if (set.groups.defined() && set.groups.ids.min().item<int64_t>() >= 0) return set.groups.ids;
  return set.data.labels();
}

void replace_head(torch::nn::Module& model, const train::LinearHead& head) {
  torch::NoGradGuard no_grad;
  auto parameters = model.named_parameters();
  auto& weight = parameters["fc.weight"];
  weight.copy_(head.weight.to(weight.dtype()));
  parameters["fc.bias"].copy_(head.bias.to(weight.dtype()));
}

}  // namespace

nlohmann::json run_dfr(const std::string& run_dir, const std::string& out,
                       const DfrRunOptions& options) {
  options.fit.validate();
  auto config = load_run_config(run_dir);
  if (!options.val.empty()) config.val = val_set_for(config, options.val);
  REFF_REQUIRE(!config.val.name.empty(), "--val",
               "DFR refits the last layer on a validation split where the shortcut is broken: give "
               "one (textured-mnist: e.g. balanced:1:1; folder: a folder of images)");
  REFF_REQUIRE(options.count >= 0, "--count", "must be >= 0 (0: the run's val count)");
  if (options.count > 0) config.val_count = options.count;
  config.device = options.device;
  config.validate();
  const FolderLock lock(out, {kConfigFile});
  const auto best = (fs::path(out) / train::kBestCheckpoint).string();
  // A refit takes one step, so there is nothing to resume: only a new folder, or one to redo.
  REFF_REQUIRE(options.redo || !train::has_checkpoint(best), out,
               "already holds a run (checkpoint-best.pt); choose another --out");
  auto model = trained_model(run_dir, config, options.checkpoint, options.device);
  // A run that selects on the val split's select part is refit on its fit part and still scored
  // on the select part, so no image scores the head it fitted.
  auto fit_config = config;
  if (config.val_part == "select") fit_config.val_part = "fit";
  const auto fit_set = build_val_set(fit_config);
  const auto val = build_val_set(config);
  std::vector<train::NamedDataset> tests;
  for (const auto& spec : config.tests) tests.push_back(build_test_set(config, spec));

  const auto features = penultimate_features(*model, fit_set.data);
  const auto classes = model->options().num_classes;
  const auto counts = torch::bincount(fit_set.data.labels(), {}, classes);
  for (int64_t k = 0; k < classes; ++k)
    if (counts[k].item<int64_t>() == 0)
      notice(fit_set.name + " has no image of class " + std::to_string(k) +
             ": the refit head never predicts it");
  const auto fit = train::fit_dfr(features, fit_set.data.labels(), balancing_groups(fit_set),
                                  classes, options.fit);
  replace_head(*model, fit.head);
  const auto fitted = fit.head.logits(features.to(torch::kDouble)).argmax(1);
  nlohmann::json record = {
      {"epoch", 1},
      {"train",
       {{"accuracy", fitted.eq(fit_set.data.labels()).to(torch::kDouble).mean().item<double>()}}}};
  train::add_evaluation(record, *model, config.train.eval, val, tests);

  auto json = config.to_json();
  json[kDfrSection] = {{"from", fs::absolute(run_dir).lexically_normal().string()},
                       {"checkpoint", options.checkpoint},
                       {"c", fit.c},
                       {"c_grid", options.fit.c_grid},
                       {"tuning", fit.tuning},
                       {"ensembles", options.fit.ensembles},
                       {"iterations", options.fit.iterations},
                       {"seed", options.fit.seed},
                       {"features", features.size(1)},
                       {"images", features.size(0)},
                       {"val_part", fit_config.val_part}};
  write_json_file((fs::path(out) / kConfigFile).string(), json);
  write_text_file((fs::path(out) / train::kMetrics).string(), record.dump() + "\n");
  const nlohmann::json state = {{"epoch", 1}, {"best_epoch", 1}, {"history", {record}}};
  train::save_checkpoint((fs::path(out) / train::kLastCheckpoint).string(), *model, {}, state);
  train::save_checkpoint(best, *model, {}, state);
  if (!config.tests.empty())
    write_explanations(*model, config, config.tests.front(), kPictureSamples,
                       (fs::path(out) / kExplanationsPicture).string());
  return record;
}

}  // namespace reff::run
