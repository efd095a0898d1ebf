// BigGAN model area: exact rewrites of two conv patterns that dominate BigGAN's cost, composed of ATen ops so
// autograd differentiates them like any other op.
#include "common.h"

using namespace bgn;

namespace {

void check_conv3x3(const at::Tensor& x, const at::Tensor& w, const char* op) {
  if (x.dim() != 4)
    throw invalid_argument(std::string(op) + " expects a 4-d NCHW input, got " + std::to_string(x.dim()) + " dimensions");
  if (w.dim() != 4 || w.size(2) != 3 || w.size(3) != 3)
    throw invalid_argument(std::string(op) + " expects a [out, in, 3, 3] weight, got " + c10::str(w.sizes()));
  if (w.size(1) != x.size(1))
    throw invalid_argument(std::string(op) + ": weight takes " + std::to_string(w.size(1)) + " input channels, input has " +
                           std::to_string(x.size(1)));
}

at::Tensor tap(const at::Tensor& w, int64_t dim, int64_t i) { return w.narrow(dim, i, 1); }

}  // namespace

extern "C" {

// conv3x3(pad 1)(nearest_upsample_2x(x)) computed as four 2x2 convs on x, one per output phase (a, b):
// output row 2i+a reads input rows (i-1, i) with taps (W0, W1+W2) when a = 0, and rows (i, i+1) with taps
// (W0+W1, W2) when a = 1; the same along columns. 16 instead of 36 multiply-adds per output pixel.
int32_t bgn_model_upsample_conv3x3(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b, bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& input = T(x);
    const auto& weight = T(w);
    check_conv3x3(input, weight, "upsample_conv3x3");
    const auto bias = opt(b);
    const int64_t n = input.size(0), h = input.size(2), wd = input.size(3), co = weight.size(0);
    const bool channels_last = input.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
    const auto padded = at::constant_pad_nd(input, {1, 1, 1, 1});
    at::Tensor rows[2] = {at::cat({tap(weight, 2, 0), tap(weight, 2, 1) + tap(weight, 2, 2)}, 2),
                          at::cat({tap(weight, 2, 0) + tap(weight, 2, 1), tap(weight, 2, 2)}, 2)};
    at::Tensor phases_by_row[2];
    for (int64_t a = 0; a < 2; ++a) {
      const auto& r = rows[a];
      at::Tensor k[2] = {at::cat({tap(r, 3, 0), tap(r, 3, 1) + tap(r, 3, 2)}, 3),
                         at::cat({tap(r, 3, 0) + tap(r, 3, 1), tap(r, 3, 2)}, 3)};
      at::Tensor cols[2];
      for (int64_t c = 0; c < 2; ++c)
        cols[c] = at::conv2d(padded.narrow(2, a, h + 1).narrow(3, c, wd + 1), k[c], bias);
      if (channels_last)  // interleave in NHWC order so the result stays channels-last without another copy
        phases_by_row[a] = at::stack({cols[0].permute({0, 2, 3, 1}), cols[1].permute({0, 2, 3, 1})}, 3);  // [N, H, W, 2, Co]
      else
        phases_by_row[a] = at::stack({cols[0], cols[1]}, -1);  // [N, Co, H, W, 2]
    }
    if (channels_last)  // [N, H, 2, W, 2, Co] -> [N, 2H, 2W, Co] -> NCHW view with channels-last strides
      out(o, at::stack({phases_by_row[0], phases_by_row[1]}, 2).reshape({n, 2 * h, 2 * wd, co}).permute({0, 3, 1, 2}));
    else  // [N, Co, H, 2, W, 2] -> [N, Co, 2H, 2W]
      out(o, at::stack({phases_by_row[0], phases_by_row[1]}, 3).reshape({n, co, 2 * h, 2 * wd}));
  });
}

// avg_pool2d(conv3x3(pad 1)(x), 2) computed as one stride-2 4x4 conv: each pooled output reads input rows
// 2m-1 .. 2m+2 with taps (W0, W0+W1, W1+W2, W2) / 2, the same along columns. 16 instead of 36 multiply-adds per
// output pixel, and no full-resolution intermediate.
int32_t bgn_model_conv3x3_avgpool(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b, bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& input = T(x);
    const auto& weight = T(w);
    check_conv3x3(input, weight, "conv3x3_avgpool");
    auto spread = [](const at::Tensor& t, int64_t dim) {
      return at::cat({tap(t, dim, 0), tap(t, dim, 0) + tap(t, dim, 1), tap(t, dim, 1) + tap(t, dim, 2), tap(t, dim, 2)}, dim);
    };
    const auto kernel = spread(spread(weight, 2), 3).mul(0.25);
    out(o, at::conv2d(input, kernel, opt(b), {2, 2}, {1, 1}));
  });
}


}  // extern "C"
