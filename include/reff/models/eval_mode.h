// Puts a module in eval mode for a scope and restores the mode it had, also when an exception
// leaves the scope.
#pragma once

#include <torch/nn/module.h>

namespace reff::models {

class EvalMode {
 public:
  explicit EvalMode(torch::nn::Module& module)
      : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~EvalMode() { module_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

}  // namespace reff::models
