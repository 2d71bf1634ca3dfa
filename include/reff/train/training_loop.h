// The one training loop every trainee shares: the classifier (trainer.h) and the pseudo-annotator
// (annotator.h). The loop owns what they have in common: the run folder opened fresh or resumed,
// the weights broadcast from rank 0, steps whose divergence and stop requests all ranks agree on
// in one all-reduce, progress, and the stop that leaves a checkpoint to resume from. A trainee
// owns its step, its state and what ends a period (an evaluated epoch, a logging window).
#pragma once

#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace reff::train {

struct TrainCallbacks {
  // Called by run_classifier (run_folders.h) once the run's options and files have been checked,
  // before the data is built: the moment to say what is being prepared.
  std::function<void()> preparing;
  // Called by run_classifier before it builds the preset's stand-in backbone (stand_in.h) into
  // the named folder: the first run of the cpu preset.
  std::function<void(const std::string& dir)> building_stand_in;
  // After every step, on every rank that sets it (the command line: the writing rank): steps done
  // of the period's, and a short status.
  std::function<void(int64_t done, int64_t total, const std::string& status)> progress;
  std::function<void(const nlohmann::json& epoch)> epoch_end;
  // Asked after every step; true: write a checkpoint of that point and throw TrainingInterrupted
  // (a resumed run then ends exactly as an uninterrupted one).
  std::function<bool()> stop_requested;
  // Called by run_classifier on the writing rank once the run folder is complete: the program's
  // hook (the command line writes report.html there, report/html_report.h).
  std::function<void(const std::string& run_dir)> finished;
};

// A NaN or infinite loss: training stops, the last good checkpoint stays.
class TrainingDiverged : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Training stopped on request (TrainCallbacks::stop_requested) after writing a checkpoint.
class TrainingInterrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One kind of training, as run_training_loop drives it.
class Trainee {
 public:
  virtual ~Trainee() = default;
  // Readies the next step, first finishing a period that has ended; false: training is over.
  virtual bool next_step() = 0;
  // This rank's step up to where all ranks must agree: its losses, each weighted by this rank's
  // share of the global batch (summed over ranks they are the global batch's).
  virtual std::vector<double> step() = 0;
  // The rest of the step (updates, sums, logging), given the losses summed over ranks.
  virtual void complete_step(const std::vector<double>& losses) = 0;
  // The step under way ("epoch 2, step 5"), its losses on this rank in words, and what the last
  // checkpoint holds ("epoch 1"): the words of the divergence and interruption messages.
  virtual std::string step_name() const = 0;
  virtual std::string loss_words(const std::vector<double>& losses) const = 0;
  virtual std::string checkpoint_holds() const = 0;
  virtual std::string checkpoint_path() const = 0;
  // Steps done of the period's, and a short status (TrainCallbacks::progress).
  virtual std::tuple<int64_t, int64_t, std::string> progress() const = 0;
  // A stop request after the step: writes that point (the writing rank); false where training
  // has reached its end anyway and need not stop.
  virtual bool save_stop_point() = 0;
};

// Runs `trainee` to its end. Throws TrainingDiverged, before complete_step, when a step's loss is
// not finite on any rank (the classifier's update is in complete_step; the annotator's are in its
// step, and annotator.pt keeps the last good iteration either way), and TrainingInterrupted after
// a step on which any rank was asked to stop.
void run_training_loop(Trainee& trainee, const TrainCallbacks& callbacks);

// The run folder at the start: made by the writing rank; with `resume`, the checkpoint's state,
// read into the model and the optimizers (every rank reads rank 0's file); without it, a folder
// that already holds the checkpoint is refused (nothing is overwritten) and nullopt returned. Every
// rank ends holding rank 0's weights.
std::optional<nlohmann::json> open_run_folder(
    const std::string& dir, const std::string& checkpoint, const std::string& what, bool resume,
    torch::nn::Module& model, const std::vector<torch::optim::Optimizer*>& optimizers);

}  // namespace reff::train
