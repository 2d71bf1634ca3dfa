// The pseudo-annotator G_phi (pix2pix, docs/method.md): trained on the annotated samples D1, it
// gives every other training sample a pseudo-annotation G(x) (Eq. 5). pix2pix's objective:
//   D: (BCE(D(x, s), 1) + BCE(D(x, G(x)), 0)) / 2
//   G: BCE(D(x, G(x)), 1) + l1_weight * || G(x) - s ||_1 (mean over pixels)
// with Adam (seed Table 4(b): lr 2e-4, betas (0.5, 0.999), batch 4, 30,000 iterations).
#pragma once

#include "reff/data/tensor_dataset.h"
#include "reff/models/pix2pix.h"
#include "reff/train/training_loop.h"

#include <torch/optim/optimizer.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace reff::train {

struct AnnotatorOptions {
  int64_t iterations = 30000;
  int64_t batch_size = 4;
  double lr = 2e-4;
  double beta1 = 0.5, beta2 = 0.999;
  double l1_weight = 100;
  int64_t generator_base = 64;      // pix2pix's ngf
  int64_t discriminator_base = 64;  // the paper's 64, 128, 256, 512, 1
  int64_t checkpoint_every = 500;   // iterations
  uint64_t seed = 0;
  void validate() const;
  nlohmann::json to_json() const;
  static AnnotatorOptions from_json(const nlohmann::json& json);
};

// Presets: paper = seed Table 4(b); cpu = the same networks and optimiser, 2,000 iterations.
AnnotatorOptions annotator_preset(const std::string& preset);

// G and D under one module, so one checkpoint holds both.
struct Pix2Pix : torch::nn::Module {
  Pix2Pix(int64_t image_size, const AnnotatorOptions& options);
  std::shared_ptr<models::UNetGenerator> generator;
  std::shared_ptr<models::PatchDiscriminator> discriminator;
};

constexpr const char* kAnnotatorCheckpoint = "annotator.pt";

// The losses of one pix2pix iteration (before its updates).
struct AnnotatorLosses {
  torch::Tensor d, g_gan, g_l1;
};
// One pix2pix iteration on a batch of D1: the D step (real pairs (x, s) towards 1, generated
// pairs towards 0, halved), then the G step (fool D, plus l1_weight * |G(x) - s|). In a
// distributed run each gradient is all-reduced with `share`, this process's part of the batch.
AnnotatorLosses annotator_step(Pix2Pix& model, torch::optim::Optimizer& g_optimizer,
                               torch::optim::Optimizer& d_optimizer, const data::Batch& batch,
                               double l1_weight, double share = 1.0);

// Trains on `annotated` (D1) in `run_dir` (annotator.pt every checkpoint_every iterations and at
// the end, metrics.jsonl); `resume` continues from annotator.pt. Returns the final state. Of the
// callbacks, `progress` is called after every iteration and `stop_requested` asked: true writes
// annotator.pt and throws TrainingInterrupted, and a resumed run then ends exactly as an
// uninterrupted one.
nlohmann::json train_annotator(Pix2Pix& model, const AnnotatorOptions& options,
                               const data::TensorDataset& annotated, const std::string& run_dir,
                               bool resume, const TrainCallbacks& callbacks = {});

// G(x) for every sample, float [N, H, W] in [0, 1], in eval mode without autograd.
torch::Tensor pseudo_annotate(models::UNetGenerator& generator, const data::TensorDataset& data,
                              int64_t batch_size = 128);

// Mean IoU and Dice of predictions binarised at 0.5 against the masks (binarised at 0.5);
// a sample whose prediction and mask are both empty counts as 1.
struct MaskOverlap {
  double iou = 0, dice = 0;
};
MaskOverlap mask_overlap(const torch::Tensor& predicted, const torch::Tensor& truth);

}  // namespace reff::train
