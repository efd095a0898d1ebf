// Shared plumbing of the shim: the error rule, handle conversions and argument checks.
#pragma once
#include "pch.h"
#include "bgn.h"

#include <atomic>
#include <new>
#include <string>

namespace bgn {

// The message of the last failed call on this thread (what bgn_last_error returns).
std::string& last_error();

// Live tensor handles, for leak tests.
extern std::atomic<int64_t> live_tensors;

struct invalid_argument : std::exception {
  std::string msg;
  explicit invalid_argument(std::string m) : msg(std::move(m)) {}
  const char* what() const noexcept override { return msg.c_str(); }
};

// Runs f and turns every C++ exception into a status code plus a thread-local message.
// No exception may cross the C ABI: CoreCLR cannot unwind native frames and would abort.
template <class F>
int32_t guard(F&& f) noexcept {
  try {
    f();
    return BGN_OK;
  } catch (const c10::Error& e) {
    last_error() = e.what_without_backtrace();
    return BGN_ERR_TORCH;
  } catch (const invalid_argument& e) {
    last_error() = e.what();
    return BGN_ERR_ARGUMENT;
  } catch (const std::bad_alloc&) {
    last_error() = "out of memory";
    return BGN_ERR_OOM;
  } catch (const std::exception& e) {
    last_error() = e.what();
    return BGN_ERR_STD;
  } catch (...) {
    last_error() = "unknown native exception";
    return BGN_ERR_UNKNOWN;
  }
}

inline const at::Tensor& T(const bgn_tensor* h) {
  if (!h) throw invalid_argument("null tensor handle");
  return *reinterpret_cast<const at::Tensor*>(h);
}
inline at::Tensor& M(bgn_tensor* h) {
  if (!h) throw invalid_argument("null tensor handle");
  return *reinterpret_cast<at::Tensor*>(h);
}
inline c10::optional<at::Tensor> opt(const bgn_tensor* h) {
  if (!h) return c10::nullopt;
  return *reinterpret_cast<const at::Tensor*>(h);
}

// Hands a new owned handle to the caller. An undefined tensor becomes a null handle.
inline void out(bgn_tensor** dst, at::Tensor t) {
  if (!dst) throw invalid_argument("null output pointer");
  if (!t.defined()) { *dst = nullptr; return; }
  *dst = reinterpret_cast<bgn_tensor*>(new at::Tensor(std::move(t)));
  live_tensors.fetch_add(1, std::memory_order_relaxed);
}

inline at::IntArrayRef dims(const int64_t* p, int32_t n) {
  if (n < 0 || (n > 0 && !p)) throw invalid_argument("invalid dimension list");
  return at::IntArrayRef(p, static_cast<size_t>(n));
}

at::ScalarType dtype(int32_t code);
at::Device device(int32_t type, int32_t index);
at::TensorOptions options(int32_t dtype_code, int32_t device_type, int32_t device_index, int32_t requires_grad);
c10::optional<at::Generator> generator(bgn_generator* g);

}  // namespace bgn
