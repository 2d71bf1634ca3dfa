// write_pth: the file `torch.save(state_dict, path)` writes, so that `torch.load(path,
// weights_only=True)` (the default from PyTorch 2.6) accepts it. The zip archive holds data.pkl,
// a protocol-2 pickle of
//   collections.OrderedDict([(name, torch._utils._rebuild_tensor_v2(
//       storage, 0, size, stride, False, collections.OrderedDict())), ...])
// where each storage is the persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel)
// and its bytes the record data/<key>. Only globals on PyTorch's weights-only list are named.
#include "pth_storage_types.h"
#include "reff/error.h"
#include "reff/json_file.h"
#include "reff/models/pth_file.h"

#include <caffe2/serialize/inline_container.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <string>

namespace reff::models {
namespace {

// Pickle opcodes (Python's pickletools names).
constexpr char kProto = '\x80', kGlobal = 'c', kEmptyTuple = ')', kReduce = 'R', kMark = '(',
               kTuple = 't', kBinPersId = 'Q', kBinInt = 'J', kLong1 = '\x8a', kNewFalse = '\x89',
               kBinUnicode = 'X', kSetItems = 'u', kStop = '.';

class Pickle {
 public:
  Pickle() { bytes_ += {kProto, '\x02'}; }
  void op(char code) { bytes_ += code; }
  void global(const std::string& module, const std::string& name) {
    bytes_ += kGlobal + module + '\n' + name + '\n';
  }
  void string(const std::string& text) {
    op(kBinUnicode);
    little_endian(text.size(), 4);
    bytes_ += text;
  }
  void integer(int64_t value) {
    if (value >= INT32_MIN && value <= INT32_MAX) {
      op(kBinInt);
      little_endian(static_cast<uint64_t>(value), 4);
    } else {
      op(kLong1);
      bytes_ += '\x08';
      little_endian(static_cast<uint64_t>(value), 8);
    }
  }
  void integers(c10::IntArrayRef values) {
    if (values.empty()) return op(kEmptyTuple);
    op(kMark);
    for (const auto value : values) integer(value);
    op(kTuple);
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(kEmptyTuple);
    op(kReduce);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  void little_endian(uint64_t value, int count) {
    for (int i = 0; i < count; ++i) bytes_ += static_cast<char>((value >> (8 * i)) & 0xff);
  }
  std::string bytes_;
};

const char* storage_type(const std::string& path, const std::string& name, c10::ScalarType dtype) {
  for (const auto& type : kStorageTypes)
    if (type.dtype == dtype) return type.name;
  fail(path, name + " has dtype " + std::string(c10::toString(dtype)) +
                 ", which a .pth state dict cannot hold");
}

// _rebuild_tensor_v2(persistent storage `key`, 0, size, stride, False, OrderedDict())
void pickle_tensor(Pickle& pickle, const torch::Tensor& tensor, const char* type,
                   const std::string& key) {
  pickle.global("torch._utils", "_rebuild_tensor_v2");
  pickle.op(kMark);
  pickle.op(kMark);
  pickle.string("storage");
  const std::string name(type);
  pickle.global("torch", name.substr(name.find('.') + 1));
  pickle.string(key);
  pickle.string("cpu");
  pickle.integer(tensor.numel());
  pickle.op(kTuple);
  pickle.op(kBinPersId);
  pickle.integer(0);
  pickle.integers(tensor.sizes());
  pickle.integers(tensor.strides());
  pickle.op(kNewFalse);         // requires_grad
  pickle.empty_ordered_dict();  // backward hooks
  pickle.op(kTuple);
  pickle.op(kReduce);
}

}  // namespace

void write_pth(const std::string& path, const NamedTensors& tensors) {
  std::set<std::string> names;
  std::vector<torch::Tensor> storages;
  Pickle pickle;
  pickle.empty_ordered_dict();
  pickle.op(kMark);
  for (const auto& [name, tensor] : tensors) {
    REFF_REQUIRE(names.insert(name).second, path, "the name " + name + " appears twice");
    const auto type = storage_type(path, name, tensor.scalar_type());
    storages.push_back(tensor.detach().to(torch::kCPU).contiguous());
    pickle.string(name);
    pickle_tensor(pickle, storages.back(), type, std::to_string(storages.size() - 1));
  }
  pickle.op(kSetItems);
  pickle.op(kStop);

  std::string archive;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&archive](const void* data, size_t size) {
      archive.append(static_cast<const char*>(data), size);
      return size;
    });
    writer.writeRecord("data.pkl", pickle.bytes().data(), pickle.bytes().size());
    for (size_t key = 0; key < storages.size(); ++key)
      writer.writeRecord("data/" + std::to_string(key), storages[key].data_ptr(),
                         storages[key].nbytes());
    writer.writeEndOfFile();
  }
  write_text_file(path, archive);
}

}  // namespace reff::models
