// Small fixtures the tests make at run time.
#pragma once

#include "reff/data/mnist_folder.h"
#include "reff/data/tensor_dataset.h"
#include "reff/data/texture_bank.h"

#include <filesystem>
#include <functional>
#include <string>

namespace reff::test {

// Runs `action` and checks that it throws reff::Error whose message contains `text`.
void expect_error_mentioning(const std::function<void()>& action, const std::string& text);

// A fresh, empty folder for one test.
std::filesystem::path fresh_dir(const std::string& name);

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::string& bytes);

// `count` 28x28 "digits": label i % 10, a vertical bar whose column depends on the label and the
// index, with anti-aliased (half-intensity) edges.
data::DigitSet bar_digits(int64_t count);

// `count` Textured MNIST samples at 16 px from bar_digits and the procedural bank, by `seed`.
data::TensorDataset tiny_textured_set(int64_t count, uint64_t seed);

// Writes `digits` as an MNIST-layout folder (both train and t10k files, gzip).
void write_mnist_folder(const std::filesystem::path& dir, const data::DigitSet& digits);

// `classes` texture classes of one flat colour each: class c is colour_of(c) everywhere.
class FlatTextureBank : public data::TextureBank {
 public:
  explicit FlatTextureBank(int64_t classes);
  const std::vector<std::string>& class_names() const override { return names_; }
  torch::Tensor sample(int64_t cls, int64_t size, data::Rng& rng) const override;
  static torch::Tensor colour_of(int64_t cls);  // float [3] in [0, 1]

 private:
  std::vector<std::string> names_;
};

}  // namespace reff::test
