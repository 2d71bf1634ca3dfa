// The pretrained start of the cpu preset: a stand-in for ImageNet pretraining made only from data
// Debian ships (docs/method.md, "A pretrained start"). The backbone is trained as a classifier of
// Fashion-MNIST garments composited exactly like Textured MNIST's digits (the preset's generator,
// textures drawn independently of the class: p = q = 1), so its early layers already tell a
// shape from the texture around it; the head is dropped.
//
// A run config names it with pretrained = kStandIn; the file lives in the cache folder
// (stand_in_dir) and is built once, by `reff pretrain` or by the first run that needs it
// (pretrain.h). This header is what the rest of run/ asks of it: names, places, fit, config.
#pragma once

#include "reff/run/run_config.h"

#include <string>

namespace reff::run {

constexpr const char* kStandIn = "stand-in";
constexpr const char* kBackboneFile = "backbone.pth";
constexpr const char* kCorpusPicture = "corpus.png";

// Debian's dataset-fashion-mnist package.
extern const char* const kFashionMnistDir;

// The cache: $REFF_CACHE, else $XDG_CACHE_HOME/reff, else $HOME/.cache/reff.
std::string cache_dir();
// Where the stand-in of `preset` is built: cache_dir()/stand-in-PRESET (a run folder).
std::string stand_in_dir(const std::string& preset);
std::string stand_in_backbone(const std::string& preset);

// True when the stand-in of config.preset fits config's model (same architecture and width).
bool stand_in_fits(const RunConfig& config);
// ... or a reff::Error naming --pretrained.
void require_stand_in_fits(const RunConfig& config);

// The pretraining run for a fine-tuning config: its generator and model on the garments of
// `corpus_dir` (MNIST's layout), p = q = 1, validated in distribution only (no test sets),
// SGD lr 0.05, momentum 0.9, weight decay 5e-4, batch 64, 3 epochs of 12,000 images.
RunConfig pretrain_config(const RunConfig& fine_tuning, const std::string& corpus_dir);

}  // namespace reff::run
