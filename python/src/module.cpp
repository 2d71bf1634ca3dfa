// reff._core: the C++ core bound for Python (python/reff/ wraps it with docstrings and type
// hints). Tensors and their autograd graphs pass both ways without copies; a reff::Error becomes
// reff.ReffError (a ValueError) with the same one-line message. No logic of its own: each
// function checks what Python can get wrong (dtype, rank) and calls the library.
#include "reff/allocator.h"
#include "reff/data/mask_file.h"
#include "reff/data/tensor_dataset.h"
#include "reff/error.h"
#include "reff/explain/grad_cam.h"
#include "reff/models/batch_norm.h"
#include "reff/names.h"
#include "reff/notice.h"
#include "reff/regularizers/explanation_loss.h"
#include "reff/regularizers/input_gradient_loss.h"
#include "reff/run/dataset_kind.h"
#include "reff/run/resolve.h"
#include "reff/run/run_assembly.h"
#include "reff/run/run_config.h"
#include "reff/shape_text.h"
#include "reff/train/methods.h"

#include <torch/extension.h>

#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace reff::python {
namespace {

// The library's notices (notice.h), kept until the function that raised them holds the GIL again,
// then given to Python as UserWarnings: a notice may come from any thread, Python only takes them
// under the GIL.
struct PendingNotices {
  std::mutex mutex;
  std::vector<std::string> messages;
};

PendingNotices& pending_notices() {
  static PendingNotices pending;
  return pending;
}

void keep_notice(const std::string& message) {
  auto& pending = pending_notices();
  std::lock_guard<std::mutex> lock(pending.mutex);
  pending.messages.push_back(message);
}

// The notices kept since the last call, taken away.
std::vector<std::string> take_notices() {
  auto& pending = pending_notices();
  std::lock_guard<std::mutex> lock(pending.mutex);
  return std::exchange(pending.messages, {});
}

// Under the GIL. Throws py::error_already_set where warnings are errors.
void warn_notices(const std::vector<std::string>& messages) {
  for (const auto& message : messages)
    if (PyErr_WarnEx(PyExc_UserWarning, message.c_str(), 1) != 0) throw py::error_already_set();
}

void require_float(const torch::Tensor& tensor, const std::string& what) {
  REFF_REQUIRE(tensor.defined() && tensor.is_floating_point(), what,
               "expected a floating-point tensor, got " +
                   (tensor.defined() ? std::string(c10::toString(tensor.scalar_type()))
                                     : std::string("None")));
}

std::vector<torch::Tensor> grad_cam(const torch::Tensor& logits,
                                    const std::vector<torch::Tensor>& features,
                                    const torch::Tensor& classes,
                                    std::optional<std::vector<int64_t>> input_size,
                                    const std::string& target, const std::string& rectifier,
                                    const std::string& weighting, bool create_graph) {
  require_float(logits, "logits");
  REFF_REQUIRE(logits.dim() == 2, "logits",
               "expected [B, classes], got " + shape_text(logits.sizes()));
  REFF_REQUIRE(!features.empty(), "features", "no feature maps (did the forward hooks run?)");
  for (size_t l = 0; l < features.size(); ++l) {
    const auto what = "features[" + std::to_string(l) + "]";
    require_float(features[l], what);
    REFF_REQUIRE(
        features[l].dim() == 4 && features[l].size(0) == logits.size(0), what,
        "expected [B, K, H, W] with the logits' B, got " + shape_text(features[l].sizes()));
    REFF_REQUIRE(features[l].requires_grad(), what,
                 "does not require grad: run the forward pass with gradients enabled");
  }
  REFF_REQUIRE(!classes.is_floating_point() && !classes.is_complex(), "classes",
               "expected integer class indices");
  REFF_REQUIRE(classes.dim() == 1 && classes.size(0) == logits.size(0), "classes",
               "expected one class per sample, [B]");
  const auto n = logits.size(1);
  REFF_REQUIRE(classes.numel() == 0 ||
                   (classes.min().item<int64_t>() >= 0 && classes.max().item<int64_t>() < n),
               "classes", "class indices must lie in [0, " + std::to_string(n) + ")");
  explain::GradCamOptions options;
  options.target = parse_enum<explain::CamTarget>("target", target);
  options.rectifier = parse_enum<explain::CamRectifier>("rectifier", rectifier);
  options.weighting = parse_enum<explain::CamWeighting>("weighting", weighting);
  options.create_graph = create_graph;
  options.upsample = input_size.has_value();
  std::vector<int64_t> size = input_size.value_or(std::vector<int64_t>{1, 1});
  REFF_REQUIRE(size.size() == 2 && size[0] > 0 && size[1] > 0, "input_size",
               "expected (H, W), both positive");
  return explain::grad_cam({logits, features, {}}, classes, size, options);
}

const train::MethodInfo& penalised_method(const std::string& name) {
  const auto& info = find_named(train::methods(), "method", name);
  REFF_REQUIRE(
      info.needs == train::MethodNeeds::grad_cam,
      "method", "'" + name + "' is not a penalty on Grad-CAMs (those are: " + [] {
        std::string names;
        for (const auto& m : train::methods())
          if (m.needs == train::MethodNeeds::grad_cam)
            names += (names.empty() ? "" : ", ") + std::string(m.name);
        return names;
      }() + ")");
  return info;
}

torch::Tensor explanation_loss(const std::vector<torch::Tensor>& maps, const torch::Tensor& masks,
                               const torch::Tensor& has_mask, const std::string& method,
                               const std::vector<double>& layer_weights, bool normalise,
                               bool per_sample) {
  const auto& info = penalised_method(method);
  REFF_REQUIRE(!maps.empty(), "maps", "no explanation maps");
  for (size_t l = 0; l < maps.size(); ++l) {
    const auto what = "maps[" + std::to_string(l) + "]";
    require_float(maps[l], what);
    REFF_REQUIRE(maps[l].dim() == 3, what,
                 "expected [B, H, W], got " + shape_text(maps[l].sizes()));
  }
  REFF_REQUIRE(masks.dim() == 3, "masks", "expected [B, H, W], got " + shape_text(masks.sizes()));
  REFF_REQUIRE(!masks.is_complex(), "masks", "expected real values in [0, 1]");
  REFF_REQUIRE(has_mask.scalar_type() == torch::kBool, "has_mask", "expected a bool tensor");
  const regularizers::ExplanationLossOptions options{layer_weights, normalise};
  return per_sample ? regularizers::explanation_loss_per_sample(maps, masks, has_mask, info.penalty,
                                                                options)
                    : regularizers::explanation_loss(maps, masks, has_mask, info.penalty, options);
}

torch::Tensor input_gradient_loss(const torch::Tensor& logits, const torch::Tensor& images,
                                  const torch::Tensor& masks, const torch::Tensor& has_mask) {
  require_float(logits, "logits");
  require_float(images, "images");
  REFF_REQUIRE(images.requires_grad(), "images",
               "does not require grad: call images.requires_grad_() before the forward pass");
  REFF_REQUIRE(images.dim() == 4 && masks.dim() == 3 && masks.size(0) == images.size(0) &&
                   masks.size(1) == images.size(2) && masks.size(2) == images.size(3),
               "masks",
               "expected [B, H, W] of the images' B, H, W, got " + shape_text(masks.sizes()));
  REFF_REQUIRE(has_mask.scalar_type() == torch::kBool, "has_mask", "expected a bool tensor");
  return regularizers::input_gradient_loss(logits, images, masks, has_mask);
}

torch::Tensor read_mask(const std::string& path, const std::string& image, int64_t height,
                        int64_t width, double threshold, const std::vector<int64_t>& values) {
  REFF_REQUIRE(height > 0 && width > 0, path, "the image's height and width must be positive");
  data::MaskOptions options{threshold, values};
  options.validate();
  return data::MaskReader(options).read(path, image.empty() ? path : image, height, width);
}

py::tuple dataset_tuple(const train::NamedDataset& set) {
  const auto& d = set.data;
  return py::make_tuple(set.name, d.images(), d.labels(), d.masks(), d.has_mask(), set.class_names);
}

// The data sets a run would train and test on: the preset's config with the data set's defaults,
// patched by `overrides` (config.json's shape, as JSON text), or a run folder's config.json.
// Returns the resolved config (JSON text) and (name, images u8, labels, masks u8, has_mask,
// class names) per set: train, val, then each test set.
py::tuple run_datasets(const std::string& preset, const std::string& dataset,
                       const std::string& overrides, const std::string& run_dir) {
  const auto parsed = nlohmann::json::parse(overrides, nullptr, /*allow_exceptions=*/false);
  REFF_REQUIRE(!parsed.is_discarded(), "config", "not JSON");
  std::vector<train::NamedDataset> sets;
  take_notices();  // those a failed call left behind
  run::RunConfig config;
  {
    py::gil_scoped_release release;  // generation and decoding run on all cores
    if (run_dir.empty()) {
      config = run::resolve(preset, dataset, parsed);  // the same as reff train's
    } else {
      config = run::load_run_config(run_dir);
      const auto tests = config.tests;  // a run's config.json holds its tests
      run::check_dataset_files(config);
      config.tests = tests;
    }
    sets.push_back(run::dataset_kind(config).train_data(config));  // with its class names
    sets.push_back(run::build_val_set(config));
    for (const auto& spec : config.tests) sets.push_back(run::build_test_set(config, spec));
  }
  warn_notices(take_notices());
  py::list result;
  for (const auto& set : sets) result.append(dataset_tuple(set));
  return py::make_tuple(config.to_json().dump(), result);
}

torch::Tensor batch_norm(const torch::Tensor& input, const std::optional<torch::Tensor>& weight,
                         const std::optional<torch::Tensor>& bias,
                         const std::optional<torch::Tensor>& running_mean,
                         const std::optional<torch::Tensor>& running_var, bool training,
                         double momentum, double eps) {
  require_float(input, "input");
  REFF_REQUIRE(input.dim() >= 2, "input", "expected [B, C, ...], got " + shape_text(input.sizes()));
  const auto given = [](const std::optional<torch::Tensor>& t) { return t ? *t : torch::Tensor(); };
  return models::batch_norm(input, given(weight), given(bias), given(running_mean),
                            given(running_var), training, momentum, eps);
}

// What each method's step computes, as reff.METHODS names it.
constexpr Named<train::MethodNeeds> kNeeds[] = {
    {train::MethodNeeds::nothing, "nothing"},
    {train::MethodNeeds::grad_cam, "grad_cam"},
    {train::MethodNeeds::input_gradients, "input_gradients"},
    {train::MethodNeeds::attention_branch, "attention_branch"}};

// The settings a method brings (train/methods.h): its maps' form and normalising, its lambda.
py::dict method_defaults(const train::MethodDefaults& d) {
  py::dict defaults;
  if (d.lambda) defaults["lam"] = *d.lambda;
  if (d.rectifier) defaults["rectifier"] = enum_name(*d.rectifier);
  if (d.target) defaults["target"] = enum_name(*d.target);
  if (d.normalise) defaults["normalise"] = *d.normalise;
  return defaults;
}

py::list methods() {
  py::list list;
  for (const auto& m : train::methods())
    list.append(
        py::make_tuple(m.name, m.help, name_of(kNeeds, m.needs), method_defaults(m.defaults)));
  return list;
}

// `reff train --preset P`'s lambda for the methods that bring none (train/methods.h).
double preset_lambda(const std::string& preset) { return run::preset_config(preset).train.lambda; }

}  // namespace
}  // namespace reff::python

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  using namespace reff::python;
  m.doc() = "reff's C++ core (use the reff package's functions, which document these)";
  static py::exception<reff::Error> reff_error(m, "ReffError", PyExc_ValueError);
  reff::set_notice_sink(keep_notice);
  // LibTorch's own errors carry a C++ backtrace: one line is what Python users read.
  py::register_exception_translator([](std::exception_ptr error) {
    try {
      if (error) std::rethrow_exception(error);
    } catch (const reff::Error& e) {
      reff_error(e.what());
    } catch (const c10::Error& e) {
      const std::string what = e.what_without_backtrace();
      PyErr_SetString(PyExc_RuntimeError, what.substr(0, what.find('\n')).c_str());
    }
  });
  // Without the GIL: LibTorch's autograd engine refuses to run under it, and the work is C++'s.
  using no_gil = py::call_guard<py::gil_scoped_release>;
  m.def("grad_cam", &grad_cam, no_gil());
  m.def("explanation_loss", &explanation_loss, no_gil());
  m.def("input_gradient_loss", &input_gradient_loss, no_gil());
  m.def("read_mask", &read_mask, no_gil());
  m.def("batch_norm", &batch_norm, no_gil());
  m.def("keep_freed_memory", &reff::keep_freed_memory);
  m.def("run_datasets", &run_datasets);
  m.def("methods", &methods);
  m.def("preset_lambda", &preset_lambda);
  m.attr("version") = REFF_VERSION;
  // The channel statistics reff normalises images with (data/tensor_dataset.h).
  m.attr("image_mean") =
      std::vector<float>(std::begin(reff::data::kMean), std::end(reff::data::kMean));
  m.attr("image_std") =
      std::vector<float>(std::begin(reff::data::kStd), std::end(reff::data::kStd));
}
