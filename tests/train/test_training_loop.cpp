// The loop every trainee shares, driven by a toy trainee that counts: what it calls in which
// order, where divergence and stop requests end a run, and the words of both messages.
#include "reff/train/training_loop.h"

#include <gtest/gtest.h>

#include <limits>

namespace reff::train {
namespace {

// Steps 1..steps with losses {0.5, 1}, the first NaN at step nan_at; records each call as a letter.
class CountingTrainee final : public Trainee {
 public:
  explicit CountingTrainee(int64_t steps) : steps_(steps) {}
  bool next_step() override {
    calls += "n";
    if (step_ == steps_) return false;
    ++step_;
    return true;
  }
  std::vector<double> step() override {
    calls += "s";
    return {step_ == nan_at ? std::numeric_limits<double>::quiet_NaN() : 0.5, 1.0};
  }
  void complete_step(const std::vector<double>& losses) override {
    calls += "c";
    summed = losses;
  }
  std::string step_name() const override { return "toy step " + std::to_string(step_); }
  std::string loss_words(const std::vector<double>& losses) const override {
    return "first loss " + std::to_string(losses[0]);
  }
  std::string checkpoint_holds() const override { return "step " + std::to_string(saved); }
  std::string checkpoint_path() const override { return "toy.pt"; }
  std::tuple<int64_t, int64_t, std::string> progress() const override {
    return {step_, steps_, "fine"};
  }
  bool save_stop_point() override {
    calls += "p";
    saved = step_;
    return step_ < steps_;
  }

  std::string calls;
  std::vector<double> summed;
  int64_t nan_at = -1, saved = 0;

 private:
  int64_t steps_, step_ = 0;
};

TEST(TrainingLoop, RunsEveryStepAndReportsProgressAfterEach) {
  CountingTrainee trainee(3);
  TrainCallbacks callbacks;
  std::vector<int64_t> done;
  callbacks.progress = [&](int64_t d, int64_t total, const std::string& status) {
    EXPECT_EQ(total, 3);
    EXPECT_EQ(status, "fine");
    done.push_back(d);
  };
  run_training_loop(trainee, callbacks);
  EXPECT_EQ(trainee.calls, "nscnscnscn");
  EXPECT_EQ(done, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(trainee.summed, (std::vector<double>{0.5, 1.0}));  // one process: its own losses
}

TEST(TrainingLoop, ANonFiniteLossStopsBeforeTheStepIsCompleted) {
  CountingTrainee trainee(5);
  trainee.nan_at = 2;
  try {
    run_training_loop(trainee, {});
    FAIL() << "no error";
  } catch (const TrainingDiverged& e) {
    EXPECT_STREQ(e.what(),
                 "training diverged at toy step 2: first loss nan; toy.pt still holds step 0");
  }
  EXPECT_EQ(trainee.calls, "nscns");
}

TEST(TrainingLoop, AStopRequestSavesThatPointAndThrowsUnlessTrainingIsOverAnyway) {
  CountingTrainee trainee(3);
  TrainCallbacks callbacks;
  int asked = 0;
  callbacks.stop_requested = [&] { return ++asked == 2; };
  try {
    run_training_loop(trainee, callbacks);
    FAIL() << "no interruption";
  } catch (const TrainingInterrupted& e) {
    EXPECT_STREQ(e.what(),
                 "interrupted after toy step 2; toy.pt holds that point: continue with --resume");
  }
  EXPECT_EQ(trainee.calls, "nscnscp");
  EXPECT_EQ(trainee.saved, 2);
  // On the last step the point is saved, and the run ends normally.
  CountingTrainee last(2);
  asked = 0;
  run_training_loop(last, callbacks);
  EXPECT_EQ(last.calls, "nscnscpn");
}

}  // namespace
}  // namespace reff::train
