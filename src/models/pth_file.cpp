#include "reff/models/pth_file.h"

#include "pth_storage_types.h"
#include "reff/error.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unordered_map>

namespace reff::models {
namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

// The Python objects a state-dict pickle builds.
struct Value {
  enum class Kind {
    none,
    boolean,
    integer,
    real,
    string,
    tuple,
    list,
    dict,
    global,
    storage,
    tensor
  };
  Kind kind = Kind::none;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                    // string; global: "module.name"
  std::vector<ValuePtr> items;                         // tuple, list
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // dict
  torch::Tensor tensor;                                // storage (1-D, its dtype), tensor
};

ValuePtr make(Value::Kind kind) {
  auto value = std::make_shared<Value>();
  value->kind = kind;
  return value;
}

const std::unordered_map<std::string, torch::Dtype>& storage_types() {
  static const auto types = [] {
    std::unordered_map<std::string, torch::Dtype> by_name;
    for (const auto& type : kStorageTypes) by_name.emplace(type.name, type.dtype);
    return by_name;
  }();
  return types;
}

bool known_global(const std::string& name) {
  return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2" ||
         name == "torch._utils._rebuild_parameter" ||
         name == "torch.jit._pickle.restore_type_tag" || storage_types().count(name) > 0;
}

// A pickle virtual machine for the opcodes of protocols 2-4 that torch.save emits.
class Unpickler {
 public:
  Unpickler(std::string path, caffe2::serialize::PyTorchStreamReader& archive, const char* data,
            size_t size)
      : path_(std::move(path)), archive_(archive), data_(data), size_(size) {}

  ValuePtr run() {
    while (true) {
      const uint8_t op = byte();
      if (op == '.') return pop();  // STOP
      if (!push_scalar(op) && !build_container(op) && !use_memo_or_call(op)) {
        fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  // The protocol, marks and scalars: None, bools, ints, floats, strings, globals (false: another
  // opcode)
  bool push_scalar(uint8_t op) {
    switch (op) {
      case 0x80:
        byte();
        return true;  // PROTO
      case 0x95:
        take(8);
        return true;  // FRAME
      case '(':
        marks_.push_back(stack_.size());
        return true;  // MARK
      case 'N':
        stack_.push_back(make(Value::Kind::none));
        return true;
      case 0x88:
        push_bool(true);
        return true;  // NEWTRUE
      case 0x89:
        push_bool(false);
        return true;  // NEWFALSE
      case 'J':
        push_int(int32_t(little(4)));
        return true;  // BININT
      case 'K':
        push_int(int64_t(little(1)));
        return true;  // BININT1
      case 'M':
        push_int(int64_t(little(2)));
        return true;  // BININT2
      case 0x8a:
        push_long();
        return true;  // LONG1
      case 'G':
        push_float();
        return true;  // BINFLOAT
      case 'X':
        push_string(little(4));
        return true;  // BINUNICODE
      case 0x8c:
        push_string(little(1));
        return true;  // SHORT_BINUNICODE
      case 0x8d:
        push_string(little(8));
        return true;  // BINUNICODE8
      case 'c':
        push_global();
        return true;  // GLOBAL
      default:
        return false;
    }
  }

  // Tuples, lists and dicts, and the opcodes that fill them (false: another opcode).
  bool build_container(uint8_t op) {
    switch (op) {
      case ')':
        stack_.push_back(make(Value::Kind::tuple));
        return true;
      case ']':
        stack_.push_back(make(Value::Kind::list));
        return true;
      case '}':
        stack_.push_back(make(Value::Kind::dict));
        return true;
      case 't':
        push_sequence(Value::Kind::tuple, pop_to_mark());
        return true;
      case 'l':
        push_sequence(Value::Kind::list, pop_to_mark());
        return true;
      case 0x85:
        push_tuple(1);
        return true;  // TUPLE1
      case 0x86:
        push_tuple(2);
        return true;  // TUPLE2
      case 0x87:
        push_tuple(3);
        return true;  // TUPLE3
      case 'd': {     // DICT
        auto dict = make(Value::Kind::dict);
        set_items(*dict, pop_to_mark());
        stack_.push_back(dict);
        return true;
      }
      case 's': {  // SETITEM
        auto value = pop();
        auto key = pop();
        set_items(top(Value::Kind::dict), {key, value});
        return true;
      }
      case 'u': {  // SETITEMS
        auto items = pop_to_mark();
        set_items(top(Value::Kind::dict), items);
        return true;
      }
      case 'a': {  // APPEND
        auto value = pop();
        top(Value::Kind::list).items.push_back(value);
        return true;
      }
      case 'e': {  // APPENDS
        auto items = pop_to_mark();
        auto& list = top(Value::Kind::list).items;
        list.insert(list.end(), items.begin(), items.end());
        return true;
      }
      default:
        return false;
    }
  }

  // The memo, persistent ids (storages), REDUCE and BUILD (false: another opcode).
  bool use_memo_or_call(uint8_t op) {
    switch (op) {
      case 'q':
        memo_[uint32_t(little(1))] = top();
        return true;  // BINPUT
      case 'r':
        memo_[uint32_t(little(4))] = top();
        return true;  // LONG_BINPUT
      case 0x94:
        memo_[uint32_t(memo_.size())] = top();
        return true;  // MEMOIZE
      case 'h':
        push_memo(little(1));
        return true;  // BINGET
      case 'j':
        push_memo(little(4));
        return true;  // LONG_BINGET
      case 'Q':
        stack_.push_back(persistent_load(pop()));
        return true;  // BINPERSID
      case 'R': {     // REDUCE
        auto args = pop();
        auto callable = pop();
        stack_.push_back(reduce(*callable, *args));
        return true;
      }
      case 'b': {  // BUILD: an OrderedDict's _metadata
        pop();
        top(Value::Kind::dict);
        return true;
      }
      default:
        return false;
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(path_ + ": " + what + " (data.pkl, byte " + std::to_string(position_) + ")");
  }
  static std::string hex(uint8_t value) {
    char text[3];
    std::snprintf(text, sizeof text, "%02x", value);
    return text;
  }

  const char* take(uint64_t n) {
    if (n > size_ - position_) fail("truncated pickle");
    const char* at = data_ + position_;
    position_ += n;
    return at;
  }
  uint8_t byte() { return static_cast<uint8_t>(*take(1)); }
  uint64_t little(int n) {
    const auto* at = reinterpret_cast<const uint8_t*>(take(n));
    uint64_t value = 0;
    for (int k = n - 1; k >= 0; --k) value = (value << 8) | at[k];
    return value;
  }

  ValuePtr pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("pickle stack underflow");
    auto value = stack_.back();
    stack_.pop_back();
    return value;
  }
  const ValuePtr& top() const {
    if (stack_.empty()) fail("pickle stack underflow");
    return stack_.back();
  }
  Value& top(Value::Kind kind) const {
    if (stack_.empty() || stack_.back()->kind != kind) fail("malformed pickle");
    return *stack_.back();
  }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("pickle MARK missing");
    std::vector<ValuePtr> items(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back()),
                                stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }

  void push_bool(bool value) {
    auto v = make(Value::Kind::boolean);
    v->integer = value;
    stack_.push_back(v);
  }
  void push_int(int64_t value) {
    auto v = make(Value::Kind::integer);
    v->integer = value;
    stack_.push_back(v);
  }
  void push_long() {
    const int n = byte();
    if (n > 8) fail("integer wider than 64 bits");
    uint64_t value = n == 0 ? 0 : little(n);
    if (n > 0 && n < 8 && (value >> (8 * n - 1)) != 0) value |= ~uint64_t(0) << (8 * n);
    push_int(static_cast<int64_t>(value));
  }
  void push_float() {
    const auto* at = reinterpret_cast<const uint8_t*>(take(8));
    uint64_t bits = 0;
    for (int k = 0; k < 8; ++k) bits = (bits << 8) | at[k];  // big-endian
    auto v = make(Value::Kind::real);
    std::memcpy(&v->real, &bits, sizeof bits);
    stack_.push_back(v);
  }
  void push_string(uint64_t length) {
    auto v = make(Value::Kind::string);
    const char* at = take(length);
    v->text.assign(at, length);
    stack_.push_back(v);
  }
  std::string line() {
    std::string text;
    for (char c = char(byte()); c != '\n'; c = char(byte())) {
      text += c;
      if (text.size() > 256) fail("overlong GLOBAL name");
    }
    return text;
  }
  void push_global() {
    const auto module = line();
    const auto name = module + "." + line();
    if (!known_global(name)) fail("unsupported object " + name + " (not a state dict of tensors)");
    auto v = make(Value::Kind::global);
    v->text = name;
    stack_.push_back(v);
  }
  void push_sequence(Value::Kind kind, std::vector<ValuePtr> items) {
    auto v = make(kind);
    v->items = std::move(items);
    stack_.push_back(v);
  }
  void push_tuple(size_t n) {
    std::vector<ValuePtr> items(n);
    for (size_t k = n; k > 0; --k) items[k - 1] = pop();
    push_sequence(Value::Kind::tuple, std::move(items));
  }
  void push_memo(uint64_t key) {
    const auto found = memo_.find(uint32_t(key));
    if (found == memo_.end()) fail("pickle memo entry " + std::to_string(key) + " missing");
    stack_.push_back(found->second);
  }
  void set_items(Value& dict, const std::vector<ValuePtr>& items) {
    if (items.size() % 2 != 0) fail("odd number of dict items");
    for (size_t k = 0; k < items.size(); k += 2) dict.entries.emplace_back(items[k], items[k + 1]);
  }

  static bool is(const ValuePtr& v, Value::Kind kind) { return v && v->kind == kind; }

  std::vector<int64_t> integers(const ValuePtr& tuple, const char* what) const {
    if (!is(tuple, Value::Kind::tuple)) fail(std::string("tensor ") + what + " is not a tuple");
    std::vector<int64_t> values;
    for (const auto& item : tuple->items) {
      if (!is(item, Value::Kind::integer) || item->integer < 0 ||
          item->integer > (int64_t(1) << 40))
        fail(std::string("tensor ") + what + " out of range");
      values.push_back(item->integer);
    }
    return values;
  }

  // ('storage', torch.XStorage, key, location, numel) -> the record data/<key> as a 1-D tensor.
  ValuePtr persistent_load(const ValuePtr& id) {
    const auto& f = id->items;
    if (!is(id, Value::Kind::tuple) || f.size() != 5 || !is(f[0], Value::Kind::string) ||
        f[0]->text != "storage" || !is(f[1], Value::Kind::global) ||
        !storage_types().count(f[1]->text) || !is(f[2], Value::Kind::string) ||
        !is(f[4], Value::Kind::integer) || f[4]->integer < 0)
      fail("unsupported persistent id (not a tensor storage)");
    const auto& key = f[2]->text;
    if (auto cached = storages_.find(key); cached != storages_.end()) return cached->second;
    const auto dtype = storage_types().at(f[1]->text);
    const int64_t numel = f[4]->integer;
    const auto record = "data/" + key;
    if (!archive_.hasRecord(record)) fail("record " + record + " missing");
    auto [bytes, length] = archive_.getRecord(record);
    const auto item_size = static_cast<uint64_t>(c10::elementSize(dtype));
    if (static_cast<uint64_t>(numel) > length / item_size || length != numel * item_size)
      fail("record " + record + " holds " + std::to_string(length) + " bytes, expected " +
           std::to_string(numel) + " elements of " + std::to_string(item_size) + " bytes");
    auto storage = make(Value::Kind::storage);
    storage->tensor = torch::empty({numel}, torch::TensorOptions().dtype(dtype));
    if (length > 0) std::memcpy(storage->tensor.data_ptr(), bytes.get(), length);
    storages_[key] = storage;
    return storage;
  }

  ValuePtr reduce(const Value& callable, const Value& args) {
    if (callable.kind != Value::Kind::global || args.kind != Value::Kind::tuple)
      fail("malformed REDUCE");
    const auto& a = args.items;
    if (callable.text == "collections.OrderedDict") {
      if (!a.empty()) fail("OrderedDict with arguments");
      return make(Value::Kind::dict);
    }
    if (callable.text == "torch._utils._rebuild_parameter") {
      if (a.size() < 1 || !is(a[0], Value::Kind::tensor)) fail("malformed parameter");
      return a[0];
    }
    if (callable.text == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(a);
    if (callable.text == "torch.jit._pickle.restore_type_tag") {  // LibTorch's (dict, type)
      if (a.size() != 2 || !is(a[0], Value::Kind::dict)) fail("malformed typed dict");
      return a[0];
    }
    fail("cannot call " + callable.text);
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& a) {
    if (a.size() < 4 || !is(a[0], Value::Kind::storage) || !is(a[1], Value::Kind::integer))
      fail("malformed tensor");
    const auto& storage = a[0]->tensor;
    const int64_t offset = a[1]->integer;
    const auto size = integers(a[2], "size");
    const auto stride = integers(a[3], "stride");
    if (size.size() != stride.size()) fail("tensor size and stride differ in length");
    // The last element reached must lie inside the storage.
    bool empty = false;
    __int128 last = offset;
    for (size_t d = 0; d < size.size(); ++d) {
      empty = empty || size[d] == 0;
      if (size[d] > 0) last += static_cast<__int128>(size[d] - 1) * stride[d];
    }
    if (offset < 0 || (!empty && last >= storage.numel()))
      fail("tensor reaches outside its storage");
    auto tensor = make(Value::Kind::tensor);
    tensor->tensor = storage.as_strided(size, stride, offset);
    return tensor;
  }

  std::string path_;
  caffe2::serialize::PyTorchStreamReader& archive_;
  const char* data_;
  size_t size_;
  size_t position_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, ValuePtr> memo_;
  std::unordered_map<std::string, ValuePtr> storages_;
};

bool starts_with_zip_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, "PK\x03\x04", 4) == 0;
}

}  // namespace

NamedTensors read_pth(const std::string& path) {
  REFF_REQUIRE(std::filesystem::is_regular_file(path), path, "file not found");
  REFF_REQUIRE(starts_with_zip_magic(path), path,
               "not a zip-format .pth file (PyTorch >= 1.6); re-save an older file in Python with "
               "torch.save(torch.load(old_path), new_path)");
  ValuePtr root;
  try {
    caffe2::serialize::PyTorchStreamReader archive(path);
    REFF_REQUIRE(archive.hasRecord("data.pkl"), path,
                 "no data.pkl record: not written by torch.save");
    auto [pickle, length] = archive.getRecord("data.pkl");
    root = Unpickler(path, archive, static_cast<const char*>(pickle.get()), length).run();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw Error(path + ": unreadable .pth archive (" + what.substr(0, what.find('\n')) + ")");
  }
  REFF_REQUIRE(root->kind == Value::Kind::dict, path,
               "does not hold a dict (a state dict expected)");
  NamedTensors tensors;
  for (const auto& [key, value] : root->entries) {
    REFF_REQUIRE(key->kind == Value::Kind::string, path, "a key of the dict is not a string");
    REFF_REQUIRE(value->kind == Value::Kind::tensor, path, key->text + " is not a tensor");
    tensors.emplace_back(key->text, value->tensor);
  }
  return tensors;
}

}  // namespace reff::models
