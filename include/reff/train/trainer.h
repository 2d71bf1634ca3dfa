// The training loop of the paper's Algorithm 1: for each mini-batch B,
//   L = L_main + lambda * L_ReFF,  L_main = (1/|B|) sum CE,  L_ReFF = (1/|B|) sum_b l_b
// where l_b is the explanation loss of sample b on the label's Grad-CAMs (zero without a mask),
// minimised with momentum SGD (seed Table 4). Each epoch ends with evaluation on val and on the
// named test sets, a metrics line, the last checkpoint and, when val accuracy improves, the best.
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/eval/evaluation.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/tapped_model.h"
#include "reff/regularizers/explanation_loss.h"
#include "reff/train/methods.h"
#include "reff/train/precision.h"
#include "reff/train/train_options.h"
#include "reff/train/training_loop.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace reff::train {

struct LossTerms {
  torch::Tensor logits;
  torch::Tensor main;         // L_main (ABN: CE of the perception plus CE of the attention branch)
  torch::Tensor explanation;  // the method's term (L_ReFF; ABN: L_map; 0 for the baseline)
  torch::Tensor total;        // L_main + lambda * the term
};
// The loss of one batch, differentiable with respect to the model's parameters, computed in the
// options' precision and memory layout (precision.h).
LossTerms training_loss(models::TappedModel& model, const data::Batch& batch,
                        const TrainOptions& options);

struct NamedDataset {
  std::string name;
  data::TensorDataset data;
  eval::Groups groups;                   // defined for an own folder with a group column
  std::vector<std::string> class_names;  // an own folder's; empty: classes go by number
  // The key of evaluate()'s result that chooses the best epoch, when this is the val set:
  // "accuracy", or "worst_group_accuracy" for a --val folder with groups.
  std::string selects_on = "accuracy";
  // evaluate() with the names filled in, as metrics.jsonl and eval.json record it.
  nlohmann::json evaluate(models::TappedModel& model, const eval::EvalOptions& options) const;
};

// An epoch's evaluation in its metrics record: "val" (with its name and, where it is not accuracy,
// what chooses the best epoch) and "tests" (one entry per test set).
void add_evaluation(nlohmann::json& record, models::TappedModel& model,
                    const eval::EvalOptions& options, const NamedDataset& val,
                    const std::vector<NamedDataset>& tests);
// The score that chooses the best epoch from a record's "val": its selects_on key (accuracy where
// absent). NaN or null (no group with images) ranks below every accuracy, at -0.5.
double selection_score(const nlohmann::json& val);

// Run folder files written by `train`.
constexpr const char* kLastCheckpoint = "checkpoint-last.pt";
constexpr const char* kBestCheckpoint = "checkpoint-best.pt";
constexpr const char* kMetrics = "metrics.jsonl";

// Trains in `run_dir` on the device of `model` (move it there first) and returns the per-epoch
// history. With `resume`, continues from the last
// checkpoint and ends with the same weights as an uninterrupted run; without it, a run folder
// that already holds a checkpoint is an error (nothing is overwritten). With max_steps, the epoch
// in which the last step falls is evaluated and saved as usual, and training ends there.
nlohmann::json train(models::TappedModel& model, const TrainOptions& options,
                     const data::TensorDataset& train_set, const NamedDataset& val,
                     const std::vector<NamedDataset>& tests, const std::string& run_dir,
                     bool resume, const TrainCallbacks& callbacks = {});

}  // namespace reff::train
