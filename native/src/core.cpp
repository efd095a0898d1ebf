// Library queries, generators, tensor handles, metadata, raw data exchange and factories.
#include "common.h"

#include <ATen/Parallel.h>
#include <torch/version.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/Generator.h>
#include <cstring>
#include <chrono>

namespace bgn {

std::string& last_error() {
  thread_local std::string message;
  return message;
}

std::atomic<int64_t> live_tensors{0};

at::ScalarType dtype(int32_t code) {
  switch (code) {
    case 0: return at::kByte;
    case 1: return at::kChar;
    case 2: return at::kShort;
    case 3: return at::kInt;
    case 4: return at::kLong;
    case 5: return at::kHalf;
    case 6: return at::kFloat;
    case 7: return at::kDouble;
    case 11: return at::kBool;
    case 15: return at::kBFloat16;
    default: throw invalid_argument("unsupported dtype code " + std::to_string(code));
  }
}

at::Device device(int32_t type, int32_t index) {
  if (type == 0) return at::Device(at::kCPU);
  if (type == 1) {
    if (index < 0 || index > 255) throw invalid_argument("invalid CUDA device index " + std::to_string(index));
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw invalid_argument("unsupported device type code " + std::to_string(type));
}

at::TensorOptions options(int32_t dtype_code, int32_t device_type, int32_t device_index, int32_t requires_grad) {
  return at::TensorOptions().dtype(dtype(dtype_code)).device(device(device_type, device_index))
      .requires_grad(requires_grad != 0);
}

c10::optional<at::Generator> generator(bgn_generator* g) {
  if (!g) return c10::nullopt;
  return *reinterpret_cast<at::Generator*>(g);
}

static at::Generator& gen_or_default(bgn_generator* g) {
  if (g) return *reinterpret_cast<at::Generator*>(g);
  static at::Generator def = at::detail::getDefaultCPUGenerator();
  return def;
}

static size_t element_size(const at::Tensor& t) { return t.element_size(); }

}  // namespace bgn

using namespace bgn;

extern "C" {

int32_t bgn_abi_version(void) noexcept { return BGN_ABI_VERSION; }
const char* bgn_torch_version(void) noexcept { return TORCH_VERSION; }
const char* bgn_last_error(void) noexcept { return last_error().c_str(); }
int64_t bgn_live_tensors(void) noexcept { return live_tensors.load(); }

int32_t bgn_set_num_threads(int32_t n) noexcept {
  return guard([&] {
    if (n < 1) throw invalid_argument("number of threads must be at least 1, got " + std::to_string(n));
    at::set_num_threads(n);
  });
}
int32_t bgn_get_num_threads(void) noexcept { return at::get_num_threads(); }
int32_t bgn_cuda_is_available(void) noexcept {
  try { return at::hasCUDA() ? 1 : 0; } catch (...) { return 0; }
}
int32_t bgn_cuda_device_count(void) noexcept {
  try { return at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0; }
  catch (...) { return 0; }
}
int32_t bgn_manual_seed(uint64_t seed) noexcept {
  return guard([&] {
    auto g = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(g.mutex());
    g.set_current_seed(seed);
    if (at::hasCUDA()) at::manual_seed(seed);
  });
}

int32_t bgn_generator_create(uint64_t seed, bgn_generator** out) noexcept {
  return guard([&] {
    if (!out) throw invalid_argument("null output pointer");
    *out = reinterpret_cast<bgn_generator*>(new at::Generator(at::make_generator<at::CPUGeneratorImpl>(seed)));
  });
}
void bgn_generator_free(bgn_generator* g) noexcept { delete reinterpret_cast<at::Generator*>(g); }
int32_t bgn_generator_manual_seed(bgn_generator* g, uint64_t seed) noexcept {
  return guard([&] {
    auto& gen = gen_or_default(g);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_current_seed(seed);
  });
}
int32_t bgn_generator_get_state(bgn_generator* g, bgn_tensor** o) noexcept {
  return guard([&] {
    auto& gen = gen_or_default(g);
    std::lock_guard<std::mutex> lock(gen.mutex());
    out(o, gen.get_state());
  });
}
int32_t bgn_generator_set_state(bgn_generator* g, const bgn_tensor* state) noexcept {
  return guard([&] {
    const auto& s = T(state);
    if (s.scalar_type() != at::kByte || s.dim() != 1)
      throw invalid_argument("generator state must be a 1-d uint8 tensor");
    auto& gen = gen_or_default(g);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(s);
  });
}

void bgn_tensor_free(bgn_tensor* t) noexcept {
  if (!t) return;
  delete reinterpret_cast<at::Tensor*>(t);
  live_tensors.fetch_sub(1, std::memory_order_relaxed);
}
int32_t bgn_tensor_alias(const bgn_tensor* t, bgn_tensor** o) noexcept { return guard([&] { out(o, T(t)); }); }
int32_t bgn_tensor_ndim(const bgn_tensor* t, int32_t* o) noexcept {
  return guard([&] { *o = static_cast<int32_t>(T(t).dim()); });
}
int32_t bgn_tensor_sizes(const bgn_tensor* t, int64_t* buf, int32_t capacity) noexcept {
  return guard([&] {
    const auto& x = T(t);
    if (capacity < x.dim()) throw invalid_argument("size buffer too small");
    for (int64_t i = 0; i < x.dim(); ++i) buf[i] = x.size(i);
  });
}
int32_t bgn_tensor_dtype(const bgn_tensor* t, int32_t* o) noexcept {
  return guard([&] { *o = static_cast<int32_t>(T(t).scalar_type()); });
}
int32_t bgn_tensor_device(const bgn_tensor* t, int32_t* type, int32_t* index) noexcept {
  return guard([&] {
    auto d = T(t).device();
    *type = static_cast<int32_t>(d.type());
    *index = d.has_index() ? d.index() : -1;
  });
}
int32_t bgn_tensor_numel(const bgn_tensor* t, int64_t* o) noexcept { return guard([&] { *o = T(t).numel(); }); }
int32_t bgn_tensor_is_contiguous(const bgn_tensor* t, int32_t* o) noexcept {
  return guard([&] { *o = T(t).is_contiguous() ? 1 : 0; });
}

int32_t bgn_tensor_from_data(const void* data, int64_t nbytes, const int64_t* sizes, int32_t ndim, int32_t dt,
                             bgn_tensor** o) noexcept {
  return guard([&] {
    auto shape = dims(sizes, ndim);
    for (auto s : shape)
      if (s < 0) throw invalid_argument("negative dimension in shape");
    auto t = at::empty(shape, at::TensorOptions().dtype(dtype(dt)));
    const int64_t expected = t.numel() * static_cast<int64_t>(element_size(t));
    if (nbytes != expected)
      throw invalid_argument("data has " + std::to_string(nbytes) + " bytes but the shape needs " +
                             std::to_string(expected));
    if (expected > 0) {
      if (!data) throw invalid_argument("null data pointer");
      std::memcpy(t.data_ptr(), data, static_cast<size_t>(expected));
    }
    out(o, std::move(t));
  });
}

int32_t bgn_tensor_copy_to(const bgn_tensor* t, void* dst, int64_t nbytes) noexcept {
  return guard([&] {
    auto x = T(t).detach().to(at::kCPU).contiguous();
    const int64_t have = x.numel() * static_cast<int64_t>(element_size(x));
    if (nbytes != have)
      throw invalid_argument("destination has " + std::to_string(nbytes) + " bytes but the tensor holds " +
                             std::to_string(have));
    if (have > 0) {
      if (!dst) throw invalid_argument("null destination pointer");
      std::memcpy(dst, x.data_ptr(), static_cast<size_t>(have));
    }
  });
}

int32_t bgn_tensor_item_double(const bgn_tensor* t, double* o) noexcept {
  return guard([&] { *o = T(t).item<double>(); });
}
int32_t bgn_tensor_item_int64(const bgn_tensor* t, int64_t* o) noexcept {
  return guard([&] { *o = T(t).item<int64_t>(); });
}
int32_t bgn_tensor_to(const bgn_tensor* t, int32_t dt, int32_t device_type, int32_t device_index, int32_t copy,
                      bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(t).to(device(device_type, device_index), dtype(dt), false, copy != 0)); });
}
int32_t bgn_tensor_clone(const bgn_tensor* t, bgn_tensor** o) noexcept { return guard([&] { out(o, T(t).clone()); }); }
int32_t bgn_tensor_contiguous(const bgn_tensor* t, bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(t).contiguous()); });
}
int32_t bgn_tensor_set_data(bgn_tensor* t, const bgn_tensor* src) noexcept {
  return guard([&] { M(t).set_data(T(src)); });
}

int32_t bgn_factory(int32_t kind, const int64_t* sizes, int32_t ndim, int32_t dt, int32_t device_type,
                    int32_t device_index, int32_t requires_grad, bgn_generator* g, bgn_tensor** o) noexcept {
  return guard([&] {
    auto shape = dims(sizes, ndim);
    for (auto s : shape)
      if (s < 0) throw invalid_argument("negative dimension in shape");
    auto opts = options(dt, device_type, device_index, 0);
    at::Tensor t;
    switch (kind) {
      case BGN_FILL_ZEROS: t = at::zeros(shape, opts); break;
      case BGN_FILL_ONES: t = at::ones(shape, opts); break;
      case BGN_FILL_EMPTY: t = at::empty(shape, opts); break;
      case BGN_FILL_RAND: t = at::rand(shape, generator(g), opts); break;
      case BGN_FILL_RANDN: t = at::randn(shape, generator(g), opts); break;
      default: throw invalid_argument("unknown factory kind " + std::to_string(kind));
    }
    if (requires_grad) t.set_requires_grad(true);
    out(o, std::move(t));
  });
}

int32_t bgn_full(const int64_t* sizes, int32_t ndim, double value, int32_t dt, int32_t device_type,
                 int32_t device_index, int32_t requires_grad, bgn_tensor** o) noexcept {
  return guard([&] {
    auto t = at::full(dims(sizes, ndim), value, options(dt, device_type, device_index, 0));
    if (requires_grad) t.set_requires_grad(true);
    out(o, std::move(t));
  });
}

int32_t bgn_arange(double start, double end, double step, int32_t dt, int32_t device_type, int32_t device_index,
                   bgn_tensor** o) noexcept {
  return guard([&] {
    if (step == 0) throw invalid_argument("arange step must be non-zero");
    out(o, at::arange(start, end, step, options(dt, device_type, device_index, 0)));
  });
}

int32_t bgn_eye(int64_t n, int64_t m, int32_t dt, int32_t device_type, int32_t device_index,
                bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::eye(n, m, options(dt, device_type, device_index, 0))); });
}

int32_t bgn_randint(int64_t low, int64_t high, const int64_t* sizes, int32_t ndim, int32_t dt, int32_t device_type,
                    int32_t device_index, bgn_generator* g, bgn_tensor** o) noexcept {
  return guard([&] {
    if (high <= low) throw invalid_argument("randint needs low < high");
    out(o, at::randint(low, high, dims(sizes, ndim), generator(g), options(dt, device_type, device_index, 0)));
  });
}

int32_t bgn_bench_native_add(const bgn_tensor* a, const bgn_tensor* b, int64_t iterations, double* seconds) noexcept {
  return guard([&] {
    const auto& x = T(a);
    const auto& y = T(b);
    auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < iterations; ++i) {
      auto* r = new at::Tensor(at::add(x, y));  // same allocation pattern as a bound call
      delete r;
    }
    *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  });
}

}  // extern "C"
