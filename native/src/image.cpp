// Image decode/encode/resize through OpenCV; tensors are CHW with RGB channel order.
#include "common.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace bgn;

namespace {

// CHW tensor -> HWC cv::Mat (owning copy) in OpenCV's BGR order.
cv::Mat to_mat(const at::Tensor& img, int cv_depth) {
  if (img.dim() != 3) throw invalid_argument("image tensor must be CHW (3-d), got " + std::to_string(img.dim()) + "-d");
  const int64_t c = img.size(0), h = img.size(1), w = img.size(2);
  if (c != 1 && c != 3) throw invalid_argument("image tensor must have 1 or 3 channels, got " + std::to_string(c));
  if (h < 1 || w < 1) throw invalid_argument("image tensor must not be empty");
  auto hwc = img.detach().to(at::kCPU).permute({1, 2, 0}).contiguous();
  cv::Mat m(static_cast<int>(h), static_cast<int>(w), CV_MAKETYPE(cv_depth, static_cast<int>(c)), hwc.data_ptr());
  cv::Mat owned = m.clone();
  if (c == 3) cv::cvtColor(owned, owned, cv::COLOR_RGB2BGR);
  return owned;
}

at::Tensor from_mat(const cv::Mat& bgr_or_gray, at::ScalarType type) {
  cv::Mat m = bgr_or_gray;
  if (m.channels() == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
  if (!m.isContinuous()) m = m.clone();
  const int c = m.channels();
  auto hwc = at::from_blob(m.data, {m.rows, m.cols, c}, at::TensorOptions().dtype(type));
  // Always copy out of the Mat's memory, which dies with the Mat: contiguous() would not copy a 1-channel
  // image, whose CHW permutation of HWC is already contiguous, and would hand out a dangling view.
  return hwc.permute({2, 0, 1}).clone(at::MemoryFormat::Contiguous);
}

}  // namespace

extern "C" {

int32_t bgn_image_decode(const uint8_t* data, int64_t nbytes, int32_t channels, bgn_tensor** o) noexcept {
  return guard([&] {
    if (!data || nbytes <= 0) throw invalid_argument("empty image data");
    if (channels != 0 && channels != 1 && channels != 3)
      throw invalid_argument("channels must be 0 (as stored), 1 or 3, got " + std::to_string(channels));
    if (nbytes > INT32_MAX) throw invalid_argument("image data too large");
    cv::Mat buf(1, static_cast<int>(nbytes), CV_8UC1, const_cast<uint8_t*>(data));
    int flags = channels == 1 ? cv::IMREAD_GRAYSCALE : channels == 3 ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
    cv::Mat img = cv::imdecode(buf, flags);
    if (img.empty()) throw invalid_argument("not a decodable image (PNG, JPEG, BMP or WebP expected), or truncated");
    if (img.depth() != CV_8U) img.convertTo(img, CV_8U, img.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
    if (img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_BGRA2BGR);
    if (img.channels() == 2) cv::cvtColor(img, img, cv::COLOR_GRAY2BGR);  // gray+alpha is rare; keep color path
    out(o, from_mat(img, at::kByte));
  });
}

int32_t bgn_image_encode_png(const bgn_tensor* img, bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& t = T(img);
    if (t.scalar_type() != at::kByte) throw invalid_argument("PNG encoding needs a uint8 image tensor");
    cv::Mat m = to_mat(t, CV_8U);
    std::vector<uchar> bytes;
    if (!cv::imencode(".png", m, bytes)) throw invalid_argument("PNG encoding failed");
    auto result = at::empty({static_cast<int64_t>(bytes.size())}, at::TensorOptions().dtype(at::kByte));
    std::memcpy(result.data_ptr(), bytes.data(), bytes.size());
    out(o, std::move(result));
  });
}

int32_t bgn_image_resize(const bgn_tensor* img, int64_t height, int64_t width, int32_t interpolation,
                         bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& t = T(img);
    if (height < 1 || width < 1 || height > 65535 || width > 65535)
      throw invalid_argument("resize target must be between 1 and 65535 pixels per side");
    int depth;
    if (t.scalar_type() == at::kByte) depth = CV_8U;
    else if (t.scalar_type() == at::kFloat) depth = CV_32F;
    else throw invalid_argument("resize needs a uint8 or float32 image tensor");
    int interp = interpolation == 0 ? cv::INTER_NEAREST : interpolation == 1 ? cv::INTER_LINEAR
               : interpolation == 2 ? cv::INTER_AREA : -1;
    if (interp < 0) throw invalid_argument("interpolation must be 0 (nearest), 1 (bilinear) or 2 (area)");
    cv::Mat m = to_mat(t, depth);
    cv::Mat r;
    cv::resize(m, r, cv::Size(static_cast<int>(width), static_cast<int>(height)), 0, 0, interp);
    if (r.channels() == 1 && r.dims == 2 && m.channels() == 1) r = r.reshape(1);
    out(o, from_mat(r, t.scalar_type()));
  });
}

}  // extern "C"
