#include "fixtures.h"
#include "reff/data/idx_file.h"
#include "reff/data/mnist_folder.h"
#include "reff/error.h"

#include <gtest/gtest.h>

#include <set>

namespace reff::data {
namespace {

using test::fresh_dir;
using test::read_file;
using test::write_file;

std::string header(uint8_t type, std::vector<uint32_t> dims) {
  std::string bytes = {0, 0, char(type), char(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(char(d >> shift));
  }
  return bytes;
}

void expect_error(const std::string& path, const std::string& fragment) {
  try {
    read_idx(path);
    FAIL() << "no error for " << path;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(IdxFile, RoundTripsRawAndGzip) {
  const auto dir = fresh_dir("idx");
  const auto values = torch::randint(0, 256, {5, 3, 7}, torch::kUInt8);
  for (const char* name : {"a.idx", "a.idx.gz"}) {
    const auto path = (dir / name).string();
    write_idx(path, values);
    const auto back = read_idx(path);
    EXPECT_EQ(back.sizes(), values.sizes());
    EXPECT_TRUE(torch::equal(back, values));
  }
  // The raw file is exactly header + values; the gzip one is compressed.
  EXPECT_EQ(read_file(dir / "a.idx").size(), 4 + 3 * 4 + 5 * 3 * 7u);
  EXPECT_EQ(read_file(dir / "a.idx").substr(0, 4), std::string("\0\0\x08\x03", 4));
  EXPECT_EQ(read_file(dir / "a.idx.gz").substr(0, 2), "\x1f\x8b");
}

TEST(IdxFile, RejectsEachCorruption) {
  const auto dir = fresh_dir("bad");
  const std::string payload(6, '\x07');
  const auto path = [&](const char* name) { return (dir / name).string(); };

  expect_error(path("missing.idx"), "cannot open");
  write_file(dir / "magic.idx", "\x01\x02\x08\x01" + std::string(4, '\0'));
  expect_error(path("magic.idx"), "bad magic");
  write_file(dir / "type.idx", header(0x0D, {6}) + std::string(24, '\0'));
  expect_error(path("type.idx"), "unsupported IDX value type 13");
  write_file(dir / "dims.idx", header(0x08, {1, 1, 1, 1, 1}) + payload);
  expect_error(path("dims.idx"), "dimension count 5");
  write_file(dir / "zero.idx", header(0x08, {2, 0}) + payload);
  expect_error(path("zero.idx"), "is zero");
  write_file(dir / "short.idx", header(0x08, {2, 4}) + payload);
  expect_error(path("short.idx"), "truncated: header promises 8 values, file holds 6");
  write_file(dir / "long.idx", header(0x08, {2, 2}) + payload);
  expect_error(path("long.idx"), "longer than its header");
  write_file(dir / "header.idx", header(0x08, {2, 3}).substr(0, 9));
  expect_error(path("header.idx"), "truncated IDX header");
  write_file(dir / "huge.idx", header(0x08, {0xFFFFFFFF, 0xFFFFFFFF}) + payload);
  expect_error(path("huge.idx"), "implausibly large");

  // A gzip file cut short, and one with damaged compressed bytes.
  write_idx(path("good.idx.gz"), torch::randint(0, 256, {64, 64}, torch::kUInt8));
  const auto gz = read_file(dir / "good.idx.gz");
  write_file(dir / "cut.idx.gz", gz.substr(0, gz.size() / 2));
  EXPECT_THROW(read_idx(path("cut.idx.gz")), Error);
  auto damaged = gz;
  for (size_t k = 20; k < damaged.size() - 8; k += 7) damaged[k] = char(damaged[k] ^ 0x5A);
  write_file(dir / "damaged.idx.gz", damaged);
  EXPECT_THROW(read_idx(path("damaged.idx.gz")), Error);
}

TEST(MnistFolder, SplitsTrainValTestAsThePaper) {
  const auto dir = fresh_dir("mnist");
  const auto digits = test::bar_digits(200);
  test::write_mnist_folder(dir, digits);
  SplitOptions options;
  options.seed = 3;
  const auto train = load_mnist_split(dir.string(), Split::train, options);
  const auto val = load_mnist_split(dir.string(), Split::val, options);
  const auto test_set = load_mnist_split(dir.string(), Split::test, options);
  EXPECT_EQ(val.size(), 20);
  EXPECT_EQ(train.size(), 180);
  EXPECT_EQ(test_set.size(), 200);
  EXPECT_TRUE(torch::equal(test_set.images, digits.images));

  // Train and val are disjoint and together the whole training file.
  std::set<std::string> seen;
  for (const auto* part : {&train, &val}) {
    for (int64_t i = 0; i < part->size(); ++i) {
      const auto image = part->images[i].contiguous();
      seen.insert(std::string(reinterpret_cast<const char*>(image.data_ptr<uint8_t>()), 784) +
                  std::to_string(part->labels[i].item<int64_t>()));
    }
  }
  std::set<std::string> all;
  for (int64_t i = 0; i < digits.size(); ++i) {
    const auto image = digits.images[i].contiguous();
    all.insert(std::string(reinterpret_cast<const char*>(image.data_ptr<uint8_t>()), 784) +
               std::to_string(digits.labels[i].item<int64_t>()));
  }
  EXPECT_EQ(seen, all);

  // Another seed holds out other samples.
  options.seed = 4;
  EXPECT_FALSE(
      torch::equal(load_mnist_split(dir.string(), Split::val, options).images, val.images));
}

TEST(MnistFolder, RejectsInconsistentFiles) {
  const auto dir = fresh_dir("mnist");
  EXPECT_THROW(load_mnist_split(dir.string(), Split::test), Error);  // no files
  auto digits = test::bar_digits(20);
  test::write_mnist_folder(dir, digits);
  write_idx((dir / "t10k-labels-idx1-ubyte.gz").string(), torch::zeros({19}, torch::kUInt8));
  EXPECT_THROW(load_mnist_split(dir.string(), Split::test), Error);  // 19 labels, 20 images
  write_idx((dir / "t10k-labels-idx1-ubyte.gz").string(), torch::full({20}, 10, torch::kUInt8));
  EXPECT_THROW(load_mnist_split(dir.string(), Split::test), Error);  // label 10
  SplitOptions bad;
  bad.val_share = 1.0;
  EXPECT_THROW(load_mnist_split(dir.string(), Split::train, bad), Error);
  EXPECT_THROW(parse_split("validation"), Error);
}

}  // namespace
}  // namespace reff::data
