#include "fixtures.h"

#include "reff/data/idx_file.h"
#include "reff/data/procedural_texture_bank.h"
#include "reff/error.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace reff::test {

void expect_error_mentioning(const std::function<void()>& action, const std::string& text) {
  try {
    action();
    ADD_FAILURE() << "no error; expected one mentioning " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

std::filesystem::path fresh_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(::testing::TempDir()) / "reff-tests" /
             (std::string(info->test_suite_name()) + "." + info->name()) / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

data::DigitSet bar_digits(int64_t count) {
  auto images = torch::zeros({count, 28, 28}, torch::kUInt8);
  auto labels = torch::arange(count, torch::kInt64).remainder(10);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t left = 6 + (i % 10) + (i / 10) % 3;
    auto rows = images[i].narrow(0, 4, 20);
    rows.narrow(1, left, 4).fill_(255);
    rows.narrow(1, left - 1, 1).fill_(128);
    rows.narrow(1, left + 4, 1).fill_(128);
  }
  return {images, labels};
}

data::TensorDataset tiny_textured_set(int64_t count, uint64_t seed) {
  data::TexturedMnistOptions options;
  options.canvas = 16;
  options.seed = seed;
  const data::TexturedMnist generator(bar_digits(60),
                                      std::make_shared<data::ProceduralTextureBank>(), options);
  return data::TensorDataset::from_textured_mnist(generator, count);
}

void write_mnist_folder(const std::filesystem::path& dir, const data::DigitSet& digits) {
  std::filesystem::create_directories(dir);
  for (const char* prefix : {"train", "t10k"}) {
    data::write_idx((dir / (std::string(prefix) + "-images-idx3-ubyte.gz")).string(),
                    digits.images);
    data::write_idx((dir / (std::string(prefix) + "-labels-idx1-ubyte.gz")).string(),
                    digits.labels.to(torch::kUInt8));
  }
}

FlatTextureBank::FlatTextureBank(int64_t classes) {
  for (int64_t c = 0; c < classes; ++c) names_.push_back("flat" + std::to_string(c));
}

torch::Tensor FlatTextureBank::colour_of(int64_t cls) {
  // Distinct colours: the class index in base 4 over the three channels.
  return torch::tensor({float(cls % 4), float(cls / 4 % 4), float(cls / 16 % 4)}) / 3.0;
}

torch::Tensor FlatTextureBank::sample(int64_t cls, int64_t size, data::Rng&) const {
  return colour_of(cls).view({3, 1, 1}).expand({3, size, size}).contiguous();
}

}  // namespace reff::test
