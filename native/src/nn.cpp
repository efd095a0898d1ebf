// Neural-network functions, initialisation and autograd.
#include "common.h"

using namespace bgn;

namespace {

at::IntArrayRef pair(const int64_t* p, const char* what) {
  if (!p) throw invalid_argument(std::string("null ") + what + " pair");
  return at::IntArrayRef(p, 2);
}

void check_4d(const at::Tensor& x, const char* op) {
  if (x.dim() != 4)
    throw invalid_argument(std::string(op) + " expects a 4-d NCHW input, got " + std::to_string(x.dim()) +
                           " dimensions");
}

std::vector<at::Tensor> list(const bgn_tensor* const* ts, int32_t n, bool allow_null) {
  if (n < 0 || (n > 0 && !ts)) throw invalid_argument("invalid tensor list");
  std::vector<at::Tensor> v;
  for (int32_t i = 0; i < n; ++i) {
    if (!ts[i] && allow_null) v.emplace_back();
    else v.push_back(T(ts[i]));
  }
  return v;
}

}  // namespace

extern "C" {

int32_t bgn_linear(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::linear(T(x), T(w), opt(b))); });
}

int32_t bgn_conv2d(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b, const int64_t* stride,
                   const int64_t* padding, const int64_t* dilation, int64_t groups, bgn_tensor** o) noexcept {
  return guard([&] {
    check_4d(T(x), "conv2d");
    if (groups < 1) throw invalid_argument("conv2d groups must be at least 1");
    out(o, at::conv2d(T(x), T(w), opt(b), pair(stride, "stride"), pair(padding, "padding"),
                      pair(dilation, "dilation"), groups));
  });
}

int32_t bgn_batch_norm(const bgn_tensor* x, bgn_tensor* rm, bgn_tensor* rv, const bgn_tensor* weight,
                       const bgn_tensor* bias, int32_t training, double momentum, double eps,
                       bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& input = T(x);
    if (input.dim() < 2) throw invalid_argument("batch_norm expects at least 2 dimensions (N, C, ...)");
    if (!training && (!rm || !rv)) throw invalid_argument("batch_norm in eval mode needs running_mean and running_var");
    if (training) {
      int64_t per_channel = input.numel() / input.size(1);
      if (per_channel <= 1)
        throw invalid_argument("batch_norm in training mode needs more than 1 value per channel, got input shape " +
                               c10::str(input.sizes()));
    }
    out(o, at::batch_norm(input, opt(weight), opt(bias), opt(rm), opt(rv), training != 0, momentum, eps,
                          /*cudnn_enabled=*/true));
  });
}

int32_t bgn_embedding(const bgn_tensor* weight, const bgn_tensor* indices, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::embedding(T(weight), T(indices))); });
}

int32_t bgn_pool2d(const bgn_tensor* x, int32_t is_max, const int64_t* kernel, const int64_t* stride,
                   const int64_t* padding, bgn_tensor** o) noexcept {
  return guard([&] {
    check_4d(T(x), is_max ? "max_pool2d" : "avg_pool2d");
    auto k = pair(kernel, "kernel");
    auto s = pair(stride, "stride");
    auto p = pair(padding, "padding");
    out(o, is_max ? at::max_pool2d(T(x), k, s, p) : at::avg_pool2d(T(x), k, s, p));
  });
}

int32_t bgn_upsample_nearest2d(const bgn_tensor* x, int64_t h, int64_t w, bgn_tensor** o) noexcept {
  return guard([&] {
    check_4d(T(x), "interpolate");
    if (h < 1 || w < 1) throw invalid_argument("interpolate output size must be positive");
    int64_t size[2] = {h, w};
    out(o, at::upsample_nearest2d(T(x), at::IntArrayRef(size, 2)));
  });
}

int32_t bgn_softmax(const bgn_tensor* x, int64_t dim, int32_t log, bgn_tensor** o) noexcept {
  return guard([&] { out(o, log ? at::log_softmax(T(x), dim) : at::softmax(T(x), dim)); });
}

int32_t bgn_cross_entropy(const bgn_tensor* logits, const bgn_tensor* target, int32_t reduction,
                          double label_smoothing, bgn_tensor** o) noexcept {
  return guard([&] {
    if (reduction < 0 || reduction > 2) throw invalid_argument("reduction must be 0 (none), 1 (mean) or 2 (sum)");
    const auto& l = T(logits);
    const auto& t = T(target);
    if (t.scalar_type() == at::kLong && t.numel() > 0 && l.dim() >= 2) {
      // Validate class indices before libtorch: out-of-range targets must become an exception, not a crash.
      auto mn = t.min().item<int64_t>();
      auto mx = t.max().item<int64_t>();
      if (mn < 0 || mx >= l.size(1))
        throw invalid_argument("cross_entropy target out of range: got [" + std::to_string(mn) + ", " +
                               std::to_string(mx) + "], expected [0, " + std::to_string(l.size(1) - 1) + "]");
    }
    out(o, at::cross_entropy_loss(l, t, c10::nullopt, reduction, -100, label_smoothing));
  });
}

// Orthogonal init (Saxe et al.): QR of a Gaussian matrix, signs fixed by R's diagonal so the result is uniform.
int32_t bgn_init_orthogonal_(bgn_tensor* t, double gain, bgn_generator* g) noexcept {
  return guard([&] {
    auto& w = M(t);
    if (w.dim() < 2) throw invalid_argument("orthogonal_ needs a tensor with at least 2 dimensions");
    at::NoGradGuard no_grad;
    const int64_t rows = w.size(0);
    const int64_t cols = w.numel() / rows;
    auto flat = at::empty({rows, cols}, w.options().dtype(at::kDouble).requires_grad(false));
    flat.normal_(0, 1, generator(g));
    if (rows < cols) flat.t_();
    auto qr = at::linalg_qr(flat);
    auto q = std::get<0>(qr);
    auto d = at::diagonal(std::get<1>(qr), 0);
    q.mul_(at::sign(d));
    if (rows < cols) q.t_();
    w.view_as(w).copy_(q.reshape(w.sizes()).mul(gain).to(w.scalar_type()));
  });
}

int32_t bgn_requires_grad(const bgn_tensor* t, int32_t* o) noexcept {
  return guard([&] { *o = T(t).requires_grad() ? 1 : 0; });
}
int32_t bgn_set_requires_grad(bgn_tensor* t, int32_t value) noexcept {
  return guard([&] { M(t).set_requires_grad(value != 0); });
}
int32_t bgn_is_leaf(const bgn_tensor* t, int32_t* o) noexcept { return guard([&] { *o = T(t).is_leaf() ? 1 : 0; }); }
int32_t bgn_grad(const bgn_tensor* t, bgn_tensor** o) noexcept { return guard([&] { out(o, T(t).grad()); }); }
int32_t bgn_set_grad(bgn_tensor* t, const bgn_tensor* g) noexcept {
  return guard([&] {
    if (g) M(t).mutable_grad() = T(g);
    else M(t).mutable_grad().reset();
  });
}
int32_t bgn_detach(const bgn_tensor* t, bgn_tensor** o) noexcept { return guard([&] { out(o, T(t).detach()); }); }
int32_t bgn_backward(const bgn_tensor* t, const bgn_tensor* g, int32_t retain, int32_t create) noexcept {
  return guard([&] {
    const auto& x = T(t);
    if (!x.requires_grad())
      throw invalid_argument("backward called on a tensor that does not require grad and has no grad_fn");
    if (!g && x.numel() != 1)
      throw invalid_argument("backward without a gradient needs a scalar output, got shape " + c10::str(x.sizes()));
    x.backward(opt(g).value_or(at::Tensor()), retain ? c10::optional<bool>(true) : c10::nullopt, create != 0);
  });
}
int32_t bgn_autograd_grad(const bgn_tensor* const* outputs, int32_t no, const bgn_tensor* const* inputs, int32_t ni,
                          const bgn_tensor* const* grad_outputs, int32_t retain, int32_t create,
                          bgn_tensor** results) noexcept {
  return guard([&] {
    auto outs = list(outputs, no, false);
    auto ins = list(inputs, ni, false);
    std::vector<at::Tensor> gos = grad_outputs ? list(grad_outputs, no, true) : std::vector<at::Tensor>();
    auto gs = torch::autograd::grad(outs, ins, gos, retain ? c10::optional<bool>(true) : c10::nullopt, create != 0,
                                    /*allow_unused=*/true);
    for (size_t i = 0; i < gs.size(); ++i) out(&results[i], gs[i]);
  });
}
int32_t bgn_is_grad_enabled(void) noexcept { return at::GradMode::is_enabled() ? 1 : 0; }
int32_t bgn_set_grad_enabled(int32_t enabled) noexcept {
  bool prev = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled != 0);
  return prev ? 1 : 0;
}
int32_t bgn_is_inference_mode_enabled(void) noexcept { return c10::InferenceMode::is_enabled() ? 1 : 0; }
int32_t bgn_inference_mode_enter(int32_t enabled, void** token) noexcept {
  return guard([&] {
    if (!token) throw invalid_argument("null token pointer");
    *token = new c10::InferenceMode(enabled != 0);
  });
}
int32_t bgn_inference_mode_exit(void* token) noexcept {
  return guard([&] {
    if (!token) throw invalid_argument("null inference-mode token");
    delete static_cast<c10::InferenceMode*>(token);
  });
}

}  // extern "C"
