#include "reff/train/training_loop.h"

#include "reff/distributed/process_group.h"
#include "reff/train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace reff::train {

void run_training_loop(Trainee& trainee, const TrainCallbacks& callbacks) {
  const auto& group = distributed::world();
  while (trainee.next_step()) {
    const auto here = trainee.step();
    // One all-reduce: the losses, and whether any rank was asked to stop.
    auto values = here;
    values.push_back(callbacks.stop_requested && callbacks.stop_requested() ? 1.0 : 0.0);
    auto summed = group.sum(values);
    const bool stop = summed.back() > 0;
    summed.pop_back();
    const auto finite = [](double v) { return std::isfinite(v); };
    if (!std::all_of(summed.begin(), summed.end(), finite)) {  // a NaN on any rank reaches all
      const bool this_rank = !std::all_of(here.begin(), here.end(), finite);
      throw TrainingDiverged("training diverged at " + trainee.step_name() +
                             (this_rank ? ": " + trainee.loss_words(here) : " on another rank") +
                             "; " + trainee.checkpoint_path() + " still holds " +
                             trainee.checkpoint_holds());
    }
    trainee.complete_step(summed);
    if (callbacks.progress) {
      const auto [done, total, status] = trainee.progress();
      callbacks.progress(done, total, status);
    }
    if (stop && trainee.save_stop_point()) {
      throw TrainingInterrupted("interrupted after " + trainee.step_name() + "; " +
                                trainee.checkpoint_path() +
                                " holds that point: continue with --resume");
    }
  }
}

std::optional<nlohmann::json> open_run_folder(
    const std::string& dir, const std::string& checkpoint, const std::string& what, bool resume,
    torch::nn::Module& model, const std::vector<torch::optim::Optimizer*>& optimizers) {
  const auto& group = distributed::world();
  if (group.writes()) std::filesystem::create_directories(dir);
  std::optional<nlohmann::json> state;
  if (resume) {
    state = load_checkpoint(checkpoint, model, optimizers);
  } else {
    require_no_checkpoint(checkpoint, dir, what);
  }
  group.broadcast(model);
  return state;
}

}  // namespace reff::train
