// Sampling area: memory-bound steps of a generator's eval forward fused into single passes (no autograd: the
// sampler runs in inference mode). Used by BigGan.Training's folded forward.
#include "common.h"

#include <ATen/Parallel.h>

using namespace bgn;

namespace {

// Checks a float32 CPU [N, C] scale or shift and returns it contiguous (its memory is read directly, so a tensor
// on another device must be refused here rather than dereferenced).
at::Tensor per_sample(const at::Tensor& t, int64_t n, int64_t c, const char* what, const char* op) {
  if (!t.device().is_cpu())
    throw invalid_argument(std::string(op) + ": " + what + " must be a CPU tensor, got one on " + t.device().str());
  if (t.scalar_type() != at::kFloat || t.dim() != 2 || t.size(0) != n || t.size(1) != c)
    throw invalid_argument(std::string(op) + ": " + what + " must be float32 [" + std::to_string(n) + ", " + std::to_string(c) +
                           "], got " + std::string(c10::toString(t.scalar_type())) + " " + c10::str(t.sizes()));
  return t.contiguous();
}

void check_input(const at::Tensor& x, const char* op) {
  if (x.dim() != 4 || x.scalar_type() != at::kFloat || !x.device().is_cpu())
    throw invalid_argument(std::string(op) + " expects a float32 CPU tensor [N, C, H, W], got " +
                           std::string(c10::toString(x.scalar_type())) + " " + c10::str(x.sizes()) + " on " + x.device().str());
}

inline void affine_relu(const float* src, float* dst, const float* s, const float* t, int64_t c) {
  for (int64_t k = 0; k < c; ++k) {
    const float v = src[k] * s[k] + t[k];
    dst[k] = v > 0.f ? v : 0.f;
  }
}

}  // namespace

extern "C" {

// relu(x * scale[n, c] + shift[n, c]) in one pass; channels-last input gives channels-last output, anything else is
// computed on its contiguous NCHW form.
int32_t bgn_sampling_scale_shift_relu(const bgn_tensor* x, const bgn_tensor* scale, const bgn_tensor* shift, bgn_tensor** o) noexcept {
  return guard([&] {
    const char* op = "scale_shift_relu";
    check_input(T(x), op);
    const int64_t n = T(x).size(0), c = T(x).size(1), hw = T(x).size(2) * T(x).size(3);
    const auto s = per_sample(T(scale), n, c, "scale", op);
    const auto t = per_sample(T(shift), n, c, "shift", op);
    const float* sp = s.data_ptr<float>();
    const float* tp = t.data_ptr<float>();
    if (T(x).is_contiguous(at::MemoryFormat::ChannelsLast)) {
      const auto& input = T(x);
      auto result = at::empty_like(input, at::MemoryFormat::ChannelsLast);
      const float* xp = input.data_ptr<float>();
      float* rp = result.data_ptr<float>();
      at::parallel_for(0, n * hw, 256, [&](int64_t begin, int64_t end) {
        for (int64_t p = begin; p < end; ++p) {
          const int64_t b = p / hw;
          affine_relu(xp + p * c, rp + p * c, sp + b * c, tp + b * c, c);
        }
      });
      out(o, result);
    } else {
      const auto input = T(x).contiguous();
      auto result = at::empty_like(input, at::MemoryFormat::Contiguous);
      const float* xp = input.data_ptr<float>();
      float* rp = result.data_ptr<float>();
      at::parallel_for(0, n * c, 16, [&](int64_t begin, int64_t end) {
        for (int64_t plane = begin; plane < end; ++plane) {
          const float sv = sp[plane], tv = tp[plane];
          const float* src = xp + plane * hw;
          float* dst = rp + plane * hw;
          for (int64_t i = 0; i < hw; ++i) {
            const float v = src[i] * sv + tv;
            dst[i] = v > 0.f ? v : 0.f;
          }
        }
      });
      out(o, result);
    }
  });
}

// y [N, 4C, H+1, W+1] holds the four phases of conv3x3(upsample2x(x)) (phase (a, b) = channels (2a + b)·C onwards,
// its H×W window starting at (a, b)); writes relu(phase * scale + shift) interleaved to output pixel (2i + a, 2j + b)
// of a channels-last [N, C, 2H, 2W] tensor. One pass instead of an interleaving copy plus three elementwise passes.
int32_t bgn_sampling_phase_scale_shift_relu(const bgn_tensor* y, const bgn_tensor* scale, const bgn_tensor* shift, bgn_tensor** o) noexcept {
  return guard([&] {
    const char* op = "phase_scale_shift_relu";
    check_input(T(y), op);
    const int64_t n = T(y).size(0), c4 = T(y).size(1), h1 = T(y).size(2), w1 = T(y).size(3);
    if (c4 % 4 != 0 || h1 < 2 || w1 < 2)
      throw invalid_argument(std::string(op) + " expects [N, 4C, H+1, W+1] with H, W >= 1, got " + c10::str(T(y).sizes()));
    const int64_t c = c4 / 4, h = h1 - 1, w = w1 - 1;
    const auto s = per_sample(T(scale), n, c, "scale", op);
    const auto t = per_sample(T(shift), n, c, "shift", op);
    const auto input = T(y).contiguous(at::MemoryFormat::ChannelsLast);  // [N, H+1, W+1, 4C] in memory
    auto result = at::empty({n, c, 2 * h, 2 * w}, input.options().memory_format(at::MemoryFormat::ChannelsLast));
    const float* yp = input.data_ptr<float>();
    const float* sp = s.data_ptr<float>();
    const float* tp = t.data_ptr<float>();
    float* rp = result.data_ptr<float>();
    at::parallel_for(0, n * 2 * h, 1, [&](int64_t begin, int64_t end) {
      for (int64_t row = begin; row < end; ++row) {  // output row r = 2i + a of sample b
        const int64_t b = row / (2 * h), r = row % (2 * h), i = r / 2, a = r % 2;
        const float* sb = sp + b * c;
        const float* tb = tp + b * c;
        const float* yrow = yp + ((b * h1 + i + a) * w1) * c4;
        float* orow = rp + row * (2 * w) * c;
        for (int64_t j = 0; j < w; ++j)
          for (int64_t pb = 0; pb < 2; ++pb)
            affine_relu(yrow + (j + pb) * c4 + (2 * a + pb) * c, orow + (2 * j + pb) * c, sb, tb, c);
      }
    });
    out(o, result);
  });
}

}  // extern "C"
