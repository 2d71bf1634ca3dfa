#include "reff/data/texture_bank_choice.h"

#include "reff/data/image_texture_bank.h"
#include "reff/data/procedural_texture_bank.h"
#include "reff/error.h"
#include "reff/names.h"

namespace reff::data {

const char* const kGimpPatternDir = "/usr/share/gimp/2.0/patterns";

namespace {

std::shared_ptr<const TextureBank> procedural(const TextureSource& source,
                                              ProceduralTextureBank::Colouring colouring) {
  REFF_REQUIRE(source.path.empty(), "--texture-dir",
               "the " + source.kind + " bank reads no folder");
  return std::make_shared<ProceduralTextureBank>(colouring);
}

// The banks by --textures.
struct BankKind {
  const char* name;
  std::shared_ptr<const TextureBank> (*open)(const TextureSource& source);
};
const BankKind kBankKinds[] = {
    {"gimp",
     [](const TextureSource& source) -> std::shared_ptr<const TextureBank> {
       return load_gimp_patterns(source.path.empty() ? kGimpPatternDir : source.path);
     }},
    {"dtd",
     [](const TextureSource& source) -> std::shared_ptr<const TextureBank> {
       REFF_REQUIRE(!source.path.empty(), "--texture-dir",
                    "the dtd bank needs the DTD folder's path");
       return load_dtd_folder(source.path);
     }},
    {"procedural",
     [](const TextureSource& source) {
       return procedural(source, ProceduralTextureBank::Colouring::fixed);
     }},
    {"varied",
     [](const TextureSource& source) {
       return procedural(source, ProceduralTextureBank::Colouring::varied);
     }},
};

}  // namespace

std::shared_ptr<const TextureBank> open_texture_bank(const TextureSource& source) {
  return find_named(kBankKinds, "--textures", source.kind).open(source);
}

std::string texture_bank_names(const char* separator) { return names_of(kBankKinds, separator); }

}  // namespace reff::data
