#include "bench_command.h"

#include "reff/device.h"
#include "reff/error.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_config.h"
#include "reff/train/step_timing.h"
#include "run_options.h"

#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>
#include <optional>

namespace reff::cli {
namespace {

struct BenchCommand {
  std::string preset = "paper", method = "reff", model, precision = "fp32", device = "auto";
  int64_t batch_size = 32, steps = 20, warmup = 5;
  std::optional<bool> channels_last;
  GivenOptions given;

  void run() const {
    auto config = run::preset_config(preset);
    config.num_classes = 10;
    config.train.use_method(method);
    given.set("--model", model, config.model);
    config.train.batch_size = batch_size;
    config.train.precision = parse_enum<train::Precision>("--precision", precision);
    config.train.channels_last = channels_last;
    config.train.validate();  // --batch-size; fp16 off CUDA fails in the first (untimed) step
    REFF_REQUIRE(warmup >= 0, "--warmup", "must be >= 0");
    REFF_REQUIRE(steps >= 1, "--steps", "must be at least 1");
    const auto on = parse_device(device);
    torch::manual_seed(0);
    auto net = run::build_model(config);
    net->to(on);
    const int64_t size = config.data.canvas;
    auto batch = train::synthetic_batch(batch_size, size, config.num_classes).to(on);
    const auto timing = train::time_train_steps(*net, config.train, batch, warmup, steps);
    std::cout << nlohmann::json{{"case", config.model + "/" + method},
                                {"device", on.str()},
                                {"precision", precision},
                                {"channels_last", train::runs_channels_last(config.train, on)},
                                {"batch", batch_size},
                                {"size", size},
                                {"steps", steps},
                                {"images_per_s", timing.images_per_s},
                                {"ms_per_step", timing.ms_per_step},
                                {"peak_rss_mib", timing.peak_rss_mib}}
                     .dump()
              << std::endl;
  }
};

}  // namespace

void add_bench_command(CLI::App& app) {
  auto b = std::make_shared<BenchCommand>();
  auto* bench = app.add_subcommand(
      "bench", "Time the training step on a synthetic batch: img/s, ms/step, peak memory (JSON)");
  auto& g = b->given;
  g.add(*bench, "--preset", b->preset, "cpu | paper (the model and the image size)")
      ->capture_default_str();
  g.add(*bench, "--method", b->method, train::method_help())->capture_default_str();
  g.add(*bench, "--model", b->model, models::model_names() + " (preset)");
  g.add(*bench, "--batch-size", b->batch_size, "Images per step")->capture_default_str();
  g.add(*bench, "--precision", b->precision, names_of(train::kPrecisions, " | "))
      ->capture_default_str();
  g.add(*bench, "--channels-last", b->channels_last,
        "true: NHWC layout (default: as reff train chooses)");
  g.add(*bench, "--steps", b->steps, "Timed steps")->capture_default_str();
  g.add(*bench, "--warmup", b->warmup, "Untimed steps first")->capture_default_str();
  g.add(*bench, "--device", b->device, "auto (CUDA if present) | cpu | cuda | cuda:N")
      ->capture_default_str();
  bench->callback([b] { b->run(); });
}

}  // namespace reff::cli
