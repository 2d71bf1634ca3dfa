#include "reff/data/textured_mnist_folder.h"

#include "reff/data/image_file.h"
#include "reff/error.h"

#include <ATen/Parallel.h>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

namespace reff::data {
namespace fs = std::filesystem;
namespace {

constexpr const char* kGenerator = "reff data textured-mnist";

std::string numbered(int64_t i, const char* folder) {
  char name[32];
  std::snprintf(name, sizeof name, "%s/%06lld.png", folder, static_cast<long long>(i));
  return name;
}

// True when `dir` may be replaced: absent, empty, or a set this writer made.
bool replaceable(const fs::path& dir) {
  if (!fs::exists(dir)) return true;
  REFF_REQUIRE(fs::is_directory(dir), dir.string(), "exists and is not a folder");
  if (fs::is_empty(dir)) return true;
  std::ifstream in(dir / "manifest.json");
  if (!in) return false;
  const auto manifest = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return manifest.is_object() && manifest.value("generator", "") == kGenerator;
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  out.close();
  REFF_REQUIRE(out.good(), path.string(), "write failed (disk full?)");
}

nlohmann::json manifest_of(const TexturedMnist& generator, const TexturedMnistFolderOptions& o) {
  const auto& opt = generator.options();
  const auto& names = generator.textures().class_names();
  nlohmann::json mapping = nlohmann::json::array();
  for (int64_t label = 0; label < 10; ++label) {
    mapping.push_back({{"label", label},
                       {"digit_texture", names[generator.digit_texture_class(label)]},
                       {"background_texture", names[generator.background_class(label)]}});
  }
  std::vector<std::string> backgrounds(
      names.begin() + TexturedMnist::kDigitTextures,
      names.begin() + TexturedMnist::kDigitTextures + generator.num_backgrounds());
  return {{"generator", kGenerator},
          {"reff_version", REFF_VERSION},
          {"count", o.count},
          {"options",
           {{"canvas", opt.canvas},
            {"digit_size", opt.resolved_digit_size()},
            {"p", opt.p},
            {"q", opt.q},
            {"luminance_offset", opt.luminance_offset},
            {"stretch_textures", opt.stretch_textures},
            {"colour_jitter", opt.colour_jitter},
            {"texture_shrink", opt.texture_shrink},
            {"mask_threshold", opt.mask_threshold},
            {"seed", opt.seed}}},
          {"mapping", mapping},
          {"digit_textures", std::vector<std::string>(names.begin(), names.begin() + 10)},
          {"background_textures", backgrounds},
          {"source", o.provenance}};
}

}  // namespace

void write_textured_mnist_folder(const TexturedMnist& generator, const std::string& dir_name,
                                 const TexturedMnistFolderOptions& options) {
  REFF_REQUIRE(options.count > 0, "--count", "must be positive");
  const fs::path dir = fs::absolute(dir_name).lexically_normal();
  REFF_REQUIRE(replaceable(dir), dir.string(),
               "exists and is not a Textured MNIST set made by reff; refusing to overwrite it");
  const fs::path parent = dir.parent_path();
  std::error_code error;
  fs::create_directories(parent, error);
  REFF_REQUIRE(!error, parent.string(),
               "cannot create the output folder (" + error.message() + ")");
  const fs::path staging =
      parent / ("." + dir.filename().string() + ".partial-" + std::to_string(::getpid()));
  fs::remove_all(staging, error);
  REFF_REQUIRE(fs::create_directory(staging, error) && !error, parent.string(),
               "cannot write in the output folder (" + (error ? error.message() : "exists") + ")");

  try {
    fs::create_directory(staging / "images");
    fs::create_directory(staging / "masks");
    const auto& names = generator.textures().class_names();
    std::vector<std::string> rows(options.count);
    std::vector<TexturedDigit> shown(std::min(options.count, options.preview_count));
    std::atomic<int64_t> done{0};
    std::mutex progress_mutex;
    at::parallel_for(0, options.count, /*grain_size=*/16, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        auto sample = generator.get(i);
        write_png((staging / numbered(i, "images")).string(), sample.image);
        write_png((staging / numbered(i, "masks")).string(), sample.mask * 255);
        rows[i] = std::to_string(i) + "," + numbered(i, "images") + "," + numbered(i, "masks") +
                  "," + std::to_string(sample.label) + "," + names[sample.digit_texture] + "," +
                  names[sample.background_texture] + "," + std::to_string(sample.source_index) +
                  "," + std::to_string(sample.x) + "," + std::to_string(sample.y) + "\n";
        if (i < static_cast<int64_t>(shown.size())) shown[i] = std::move(sample);
        const int64_t finished = ++done;
        if (options.progress && (finished % 256 == 0 || finished == options.count)) {
          std::lock_guard<std::mutex> lock(progress_mutex);
          options.progress(finished, options.count);
        }
      }
    });
    std::string csv = "index,image,mask,label,digit_texture,background_texture,source,x,y\n";
    for (const auto& row : rows) csv += row;
    write_text(staging / "labels.csv", csv);
    if (options.preview) write_png((staging / "preview.png").string(), options.preview(shown));
    write_text(staging / "manifest.json", manifest_of(generator, options).dump(2) + "\n");

    // Swap into place: the old set (if any) is removed only once the new one is complete.
    const fs::path old =
        parent / ("." + dir.filename().string() + ".old-" + std::to_string(::getpid()));
    if (fs::exists(dir)) fs::rename(dir, old);
    fs::rename(staging, dir);
    fs::remove_all(old, error);
  } catch (...) {
    fs::remove_all(staging, error);
    throw;
  }
}

}  // namespace reff::data
