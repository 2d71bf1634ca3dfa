#include "reff/run/run_assembly.h"

#include "reff/error.h"
#include "reff/models/state_dict.h"
#include "reff/names.h"
#include "reff/notice.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/stand_in.h"
#include "reff/train/annotator.h"
#include "reff/train/checkpoint.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>

namespace reff::run {
namespace {

uint64_t fnv1a(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001b3ULL;
  return hash;
}

}  // namespace

data::TexturedMnist textured_mnist(const RunConfig& config, data::Split split,
                                   const std::string& name, double p, double q) {
  auto options = config.data;
  options.p = p;
  options.q = q;
  options.seed = config.data.seed ^ fnv1a(name);
  return data::TexturedMnist(data::load_mnist_split(config.mnist_dir, split, config.split),
                             data::open_texture_bank(config.textures), options);
}

void check_dataset_files(RunConfig& config) { dataset_kind(config).check_files(config); }

int64_t dataset_classes(const RunConfig& config) { return dataset_kind(config).classes(config); }

std::shared_ptr<models::ResNet> build_model(const RunConfig& config) {
  const int64_t classes = config.num_classes > 0 ? config.num_classes : dataset_classes(config);
  REFF_REQUIRE(classes >= dataset_classes(config), "--num-classes",
               "the data set has " + std::to_string(dataset_classes(config)) + " classes");
  torch::manual_seed(config.model_seed);
  auto model = models::make_resnet(
      config.model, classes, config.small,
      train::method_info(config.train.method).needs == train::MethodNeeds::attention_branch);
  if (config.sync_batchnorm) models::synchronise_batchnorm(*model);
  return model;
}

void load_pretrained(models::ResNet& model, const RunConfig& config) {
  if (config.pretrained.empty()) return;
  const bool stand_in = config.pretrained == kStandIn;
  const auto file = stand_in ? stand_in_backbone(config.preset) : config.pretrained;
  if (stand_in) require_stand_in_fits(config);
  REFF_REQUIRE(std::filesystem::exists(file), file,
               "not found: build the stand-in with `reff pretrain --preset " + config.preset +
                   "`, or train from scratch with --pretrained none");
  // A backbone (the stand-in's) has no head: the model keeps its initial one.
  const auto kept = models::load_state_dict(model, models::read_pth(file), file,
                                            {{"fc."}, {"fc.", "attention."}});
  if (!stand_in && !kept.empty()) {
    notice(config.pretrained + ": a new head (fc) for " +
           std::to_string(model.options().num_classes) + " classes, the rest pretrained");
  }
}

std::shared_ptr<models::ResNet> initial_model(const RunConfig& config) {
  auto model = build_model(config);
  load_pretrained(*model, config);
  return model;
}

data::TensorDataset build_train_set(const RunConfig& config) {
  return dataset_kind(config).train_data(config).data;
}

std::vector<int64_t> annotated_indices(const RunConfig& config, const data::TensorDataset& train) {
  if (!dataset_kind(config).own_masks)
    return data::annotated_subset(train.labels(), config.annotated);
  return train.masked_indices();
}

data::TensorDataset build_algorithm1_train_set(const RunConfig& config) {
  auto generated = build_train_set(config);
  // n = All: every sample keeps its mask (an own folder's images: those they come with)
  if (config.annotated.n == 0 && (!dataset_kind(config).own_masks || config.annotator_dir.empty()))
    return generated;
  const auto d1 = annotated_indices(config, generated);
  if (config.annotator_dir.empty()) return generated.with_annotations(d1, {});
  const auto annotator = load_annotator_config(config.annotator_dir);
  require_annotator_fits(config, annotator);
  train::Pix2Pix pix2pix(config.data.canvas,
                         train::AnnotatorOptions::from_json(annotator.annotator));
  train::load_checkpoint(
      (std::filesystem::path(config.annotator_dir) / train::kAnnotatorCheckpoint).string(),
      pix2pix);
  return generated.with_annotations(d1, train::pseudo_annotate(*pix2pix.generator, generated),
                                    config.pseudo_threshold);
}

std::vector<int64_t> val_part_indices(const torch::Tensor& labels, const torch::Tensor& groups,
                                      const std::string& part, uint64_t seed) {
  const auto n = labels.size(0);
  std::vector<int64_t> chosen;
  if (part == "all") {
    for (int64_t i = 0; i < n; ++i) chosen.push_back(i);
    return chosen;
  }
  const auto label_ids = labels.to(torch::kInt64).contiguous();
  const auto group_ids = groups.defined() ? groups.to(torch::kInt64).contiguous()
                                          : torch::full({n}, -1, torch::kInt64);
  const auto label = label_ids.accessor<int64_t, 1>();
  const auto group = group_ids.accessor<int64_t, 1>();
  std::map<std::pair<int64_t, int64_t>, std::vector<int64_t>> strata;  // (class, group) -> images
  for (int64_t i = 0; i < n; ++i) strata[{label[i], group[i]}].push_back(i);
  std::mt19937_64 random(seed ^ 0x7a1b9e3c5d2f4e61ULL);
  for (auto& [stratum, images] : strata) {
    std::shuffle(images.begin(), images.end(), random);
    const auto fit = static_cast<int64_t>(images.size()) / 2;  // a lone image selects
    const auto begin = part == "fit" ? images.begin() : images.begin() + fit;
    chosen.insert(chosen.end(), begin, part == "fit" ? images.begin() + fit : images.end());
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

train::NamedDataset build_val_set(const RunConfig& config) {
  auto val = dataset_kind(config).val_data(config);
  if (config.val_part == "all") return val;
  const auto indices =
      val_part_indices(val.data.labels(), val.groups.ids, config.val_part, config.split.seed);
  val.data = val.data.subset(indices);
  if (val.groups.ids.defined())
    val.groups.ids = val.groups.ids.index_select(0, torch::tensor(indices, torch::kInt64));
  return val;
}

train::NamedDataset build_test_set(const RunConfig& config, const TestSetSpec& spec,
                                   int64_t count) {
  return dataset_kind(config).test_data(config, spec, count);
}

}  // namespace reff::run
