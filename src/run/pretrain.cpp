#include "reff/run/pretrain.h"

#include "reff/data/image_file.h"
#include "reff/models/state_dict.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_folders.h"
#include "reff/run/stand_in.h"
#include "reff/viz/contact_sheet.h"

#include <filesystem>

namespace reff::run {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kCorpusPictureSamples = 16;

}  // namespace

nlohmann::json pretrain(const RunConfig& config, const std::string& dir, bool resume,
                        const train::TrainCallbacks& callbacks) {
  auto state = run_classifier(config, dir, resume, callbacks);
  const auto model = trained_model(dir, config, "last");
  models::NamedTensors backbone;
  for (auto& [name, tensor] : models::state_dict(*model)) {
    if (name.rfind("fc.", 0) != 0) backbone.emplace_back(name, tensor);
  }
  models::write_pth((fs::path(dir) / kBackboneFile).string(), backbone);
  const auto generator =
      textured_mnist(config, data::Split::train, "train", config.data.p, config.data.q);
  data::write_png((fs::path(dir) / kCorpusPicture).string(),
                  viz::contact_sheet(generator, kCorpusPictureSamples));
  return state;
}

void build_stand_in_if_missing(const RunConfig& config, const train::TrainCallbacks& callbacks) {
  if (config.pretrained != kStandIn || fs::exists(stand_in_backbone(config.preset))) return;
  if (callbacks.building_stand_in) callbacks.building_stand_in(stand_in_dir(config.preset));
  auto quiet = callbacks;
  quiet.preparing = nullptr;  // the run's own announcement comes after
  pretrain(pretrain_config(preset_config(config.preset), kFashionMnistDir),
           stand_in_dir(config.preset), /*resume=*/true, quiet);
}

}  // namespace reff::run
