// Building the stand-in backbone (stand_in.h): its pretraining run, carried out as any classifier
// run is (run_folders.h), and the backbone and corpus picture written from it.
#pragma once

#include "reff/run/run_config.h"
#include "reff/train/trainer.h"

#include <nlohmann/json.hpp>

#include <string>

namespace reff::run {

// Trains (or, with `resume`, continues) the pretraining run in `dir`, then writes
// dir/backbone.pth (the last weights without the head) and dir/corpus.png (the first corpus
// images above their masks). Returns the trainer's final state.
nlohmann::json pretrain(const RunConfig& config, const std::string& dir, bool resume,
                        const train::TrainCallbacks& callbacks = {});

// When config.pretrained is kStandIn and its backbone is missing: builds it (pretrain_config of
// the preset, in stand_in_dir), reporting through `callbacks` (building_stand_in first, then
// progress and epoch_end). Other configs: nothing. run_classifier calls it.
void build_stand_in_if_missing(const RunConfig& config,
                               const train::TrainCallbacks& callbacks = {});

}  // namespace reff::run
