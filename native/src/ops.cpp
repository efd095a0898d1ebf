// Elementwise math, linear algebra, reductions, shape and indexing ops.
#include "common.h"

using namespace bgn;

namespace {

at::Tensor unary(int32_t op, const at::Tensor& a) {
  switch (op) {
    case BGN_NEG: return at::neg(a);
    case BGN_EXP: return at::exp(a);
    case BGN_LOG: return at::log(a);
    case BGN_SQRT: return at::sqrt(a);
    case BGN_RSQRT: return at::rsqrt(a);
    case BGN_ABS: return at::abs(a);
    case BGN_RELU: return at::relu(a);
    case BGN_TANH: return at::tanh(a);
    case BGN_SIGMOID: return at::sigmoid(a);
    case BGN_SIGN: return at::sign(a);
    case BGN_FLOOR: return at::floor(a);
    case BGN_CEIL: return at::ceil(a);
    case BGN_ROUND: return at::round(a);
    case BGN_SQUARE: return at::square(a);
    case BGN_RECIPROCAL: return at::reciprocal(a);
    case BGN_ISNAN: return at::isnan(a);
    case BGN_ISFINITE: return at::isfinite(a);
    case BGN_LOGICAL_NOT: return at::logical_not(a);
    case BGN_SIN: return at::sin(a);
    case BGN_COS: return at::cos(a);
    case BGN_LOG1P: return at::log1p(a);
    case BGN_EXPM1: return at::expm1(a);
    default: throw invalid_argument("unknown unary op " + std::to_string(op));
  }
}

void unary_(int32_t op, at::Tensor& a) {
  switch (op) {
    case BGN_NEG: a.neg_(); return;
    case BGN_EXP: a.exp_(); return;
    case BGN_LOG: a.log_(); return;
    case BGN_SQRT: a.sqrt_(); return;
    case BGN_RSQRT: a.rsqrt_(); return;
    case BGN_ABS: a.abs_(); return;
    case BGN_RELU: a.relu_(); return;
    case BGN_TANH: a.tanh_(); return;
    case BGN_SIGMOID: a.sigmoid_(); return;
    case BGN_FLOOR: a.floor_(); return;
    case BGN_CEIL: a.ceil_(); return;
    case BGN_ROUND: a.round_(); return;
    case BGN_SQUARE: a.square_(); return;
    case BGN_RECIPROCAL: a.reciprocal_(); return;
    default: throw invalid_argument("unary op " + std::to_string(op) + " has no in-place form");
  }
}

at::Tensor binary(int32_t op, const at::Tensor& a, const at::Tensor& b, double alpha) {
  switch (op) {
    case BGN_ADD: return at::add(a, b, alpha);
    case BGN_SUB: return at::sub(a, b, alpha);
    case BGN_MUL: return at::mul(a, b);
    case BGN_DIV: return at::div(a, b);
    case BGN_POW: return at::pow(a, b);
    case BGN_EQ: return at::eq(a, b);
    case BGN_NE: return at::ne(a, b);
    case BGN_LT: return at::lt(a, b);
    case BGN_LE: return at::le(a, b);
    case BGN_GT: return at::gt(a, b);
    case BGN_GE: return at::ge(a, b);
    case BGN_MAXIMUM: return at::maximum(a, b);
    case BGN_MINIMUM: return at::minimum(a, b);
    case BGN_MATMUL: return at::matmul(a, b);
    case BGN_MM: return at::mm(a, b);
    case BGN_BMM: return at::bmm(a, b);
    case BGN_LOGICAL_AND: return at::logical_and(a, b);
    case BGN_LOGICAL_OR: return at::logical_or(a, b);
    case BGN_REMAINDER: return at::remainder(a, b);
    default: throw invalid_argument("unknown binary op " + std::to_string(op));
  }
}

at::Tensor binary_scalar(int32_t op, const at::Tensor& a, const at::Scalar& s) {
  switch (op) {
    case BGN_ADD: return at::add(a, s);
    case BGN_SUB: return at::sub(a, s);
    case BGN_MUL: return at::mul(a, s);
    case BGN_DIV: return at::div(a, s);
    case BGN_POW: return at::pow(a, s);
    case BGN_EQ: return at::eq(a, s);
    case BGN_NE: return at::ne(a, s);
    case BGN_LT: return at::lt(a, s);
    case BGN_LE: return at::le(a, s);
    case BGN_GT: return at::gt(a, s);
    case BGN_GE: return at::ge(a, s);
    case BGN_REMAINDER: return at::remainder(a, s);
    case BGN_RSUB: return at::rsub(a, s);
    case BGN_RDIV: return at::mul(at::reciprocal(a), s);
    default: throw invalid_argument("unknown scalar op " + std::to_string(op));
  }
}

// Integral tensors take integral scalars, so 3.0 fills an int64 tensor with 3 rather than failing a cast check.
at::Scalar scalar_for(const at::Tensor& a, double s) {
  if (at::isIntegralType(a.scalar_type(), /*includeBool=*/false) && s == static_cast<double>(static_cast<int64_t>(s)))
    return at::Scalar(static_cast<int64_t>(s));
  return at::Scalar(s);
}

std::vector<at::Tensor> tensors(const bgn_tensor* const* ts, int32_t n) {
  if (n < 0 || (n > 0 && !ts)) throw invalid_argument("invalid tensor list");
  std::vector<at::Tensor> v;
  v.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) v.push_back(T(ts[i]));
  return v;
}

}  // namespace

extern "C" {

int32_t bgn_unary(int32_t op, const bgn_tensor* a, bgn_tensor** o) noexcept {
  return guard([&] { out(o, unary(op, T(a))); });
}
int32_t bgn_unary_(int32_t op, bgn_tensor* a) noexcept { return guard([&] { unary_(op, M(a)); }); }

int32_t bgn_binary(int32_t op, const bgn_tensor* a, const bgn_tensor* b, double alpha, bgn_tensor** o) noexcept {
  return guard([&] { out(o, binary(op, T(a), T(b), alpha)); });
}
int32_t bgn_binary_scalar(int32_t op, const bgn_tensor* a, double s, bgn_tensor** o) noexcept {
  return guard([&] { out(o, binary_scalar(op, T(a), scalar_for(T(a), s))); });
}
int32_t bgn_binary_(int32_t op, bgn_tensor* a, const bgn_tensor* b, double alpha) noexcept {
  return guard([&] {
    auto& x = M(a);
    const auto& y = T(b);
    switch (op) {
      case BGN_ADD: x.add_(y, alpha); break;
      case BGN_SUB: x.sub_(y, alpha); break;
      case BGN_MUL: x.mul_(y); break;
      case BGN_DIV: x.div_(y); break;
      case BGN_COPY: x.copy_(y); break;
      default: throw invalid_argument("binary op " + std::to_string(op) + " has no in-place form");
    }
  });
}
int32_t bgn_binary_scalar_(int32_t op, bgn_tensor* a, double s) noexcept {
  return guard([&] {
    auto& x = M(a);
    auto v = scalar_for(x, s);
    switch (op) {
      case BGN_ADD: x.add_(v); break;
      case BGN_SUB: x.sub_(v); break;
      case BGN_MUL: x.mul_(v); break;
      case BGN_DIV: x.div_(v); break;
      case BGN_POW: x.pow_(v); break;
      case BGN_FILL: x.fill_(v); break;
      default: throw invalid_argument("scalar op " + std::to_string(op) + " has no in-place form");
    }
  });
}
int32_t bgn_addcmul_(bgn_tensor* a, const bgn_tensor* t1, const bgn_tensor* t2, double value) noexcept {
  return guard([&] { M(a).addcmul_(T(t1), T(t2), value); });
}
int32_t bgn_addcdiv_(bgn_tensor* a, const bgn_tensor* t1, const bgn_tensor* t2, double value) noexcept {
  return guard([&] { M(a).addcdiv_(T(t1), T(t2), value); });
}
int32_t bgn_lerp_(bgn_tensor* a, const bgn_tensor* end, double weight) noexcept {
  return guard([&] { M(a).lerp_(T(end), weight); });
}
int32_t bgn_normal_(bgn_tensor* a, double mean, double std, bgn_generator* g) noexcept {
  return guard([&] {
    if (!(std >= 0)) throw invalid_argument("normal_ needs std >= 0");
    M(a).normal_(mean, std, generator(g));
  });
}
int32_t bgn_uniform_(bgn_tensor* a, double from, double to, bgn_generator* g) noexcept {
  return guard([&] {
    if (!(from <= to)) throw invalid_argument("uniform_ needs from <= to");
    M(a).uniform_(from, to, generator(g));
  });
}
int32_t bgn_clamp(const bgn_tensor* a, int32_t has_min, double mn, int32_t has_max, double mx, int32_t in_place,
                  bgn_tensor** o) noexcept {
  return guard([&] {
    c10::optional<at::Scalar> lo = has_min ? c10::optional<at::Scalar>(mn) : c10::nullopt;
    c10::optional<at::Scalar> hi = has_max ? c10::optional<at::Scalar>(mx) : c10::nullopt;
    if (!lo && !hi) throw invalid_argument("clamp needs a min or a max");
    if (in_place) M(const_cast<bgn_tensor*>(a)).clamp_(lo, hi);
    else out(o, at::clamp(T(a), lo, hi));
  });
}
int32_t bgn_softplus(const bgn_tensor* a, double beta, double threshold, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::softplus(T(a), beta, threshold)); });
}
int32_t bgn_where(const bgn_tensor* c, const bgn_tensor* a, const bgn_tensor* b, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::where(T(c), T(a), T(b))); });
}

int32_t bgn_reduce(int32_t op, const bgn_tensor* a, const int64_t* d, int32_t ndim, int32_t keepdim,
                   bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& x = T(a);
    auto ds = dims(d, ndim);
    const bool all = ndim == 0;
    const bool k = keepdim != 0;
    switch (op) {
      case BGN_SUM: out(o, all && !k ? x.sum() : at::sum(x, ds, k)); break;
      case BGN_MEAN: out(o, all && !k ? x.mean() : at::mean(x, ds, k)); break;
      case BGN_AMAX: out(o, all && !k ? x.max() : at::amax(x, ds, k)); break;
      case BGN_AMIN: out(o, all && !k ? x.min() : at::amin(x, ds, k)); break;
      case BGN_PROD:
        if (all) out(o, k ? x.prod().reshape(std::vector<int64_t>(x.dim(), 1)) : x.prod());
        else if (ndim == 1) out(o, at::prod(x, ds[0], k));
        else throw invalid_argument("prod reduces over one dimension or all");
        break;
      case BGN_LOGSUMEXP: {
        std::vector<int64_t> alld;
        for (int64_t i = 0; i < x.dim(); ++i) alld.push_back(i);
        out(o, at::logsumexp(x, all ? at::IntArrayRef(alld) : ds, k));
        break;
      }
      case BGN_ANY:
        if (all) out(o, k ? x.any().reshape(std::vector<int64_t>(x.dim(), 1)) : x.any());
        else if (ndim == 1) out(o, at::any(x, ds[0], k));
        else throw invalid_argument("any reduces over one dimension or all");
        break;
      case BGN_ALL:
        if (all) out(o, k ? x.all().reshape(std::vector<int64_t>(x.dim(), 1)) : x.all());
        else if (ndim == 1) out(o, at::all(x, ds[0], k));
        else throw invalid_argument("all reduces over one dimension or all");
        break;
      default: throw invalid_argument("unknown reduction " + std::to_string(op));
    }
  });
}

int32_t bgn_var(const bgn_tensor* a, const int64_t* d, int32_t ndim, int64_t correction, int32_t keepdim,
                int32_t take_sqrt, bgn_tensor** o) noexcept {
  return guard([&] {
    at::OptionalIntArrayRef ds = ndim == 0 ? at::OptionalIntArrayRef() : at::OptionalIntArrayRef(dims(d, ndim));
    c10::optional<int64_t> corr = correction;
    out(o, take_sqrt ? at::std(T(a), ds, corr, keepdim != 0) : at::var(T(a), ds, corr, keepdim != 0));
  });
}

int32_t bgn_norm(const bgn_tensor* a, double p, const int64_t* d, int32_t ndim, int32_t keepdim,
                 bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& x = T(a);
    if (ndim == 0 && !keepdim) out(o, at::norm(x, p));
    else {
      std::vector<int64_t> alld;
      for (int64_t i = 0; i < x.dim(); ++i) alld.push_back(i);
      out(o, at::norm(x, p, ndim == 0 ? at::IntArrayRef(alld) : dims(d, ndim), keepdim != 0));
    }
  });
}

int32_t bgn_max_dim(const bgn_tensor* a, int32_t is_max, int64_t dim, int32_t keepdim, bgn_tensor** values,
                    bgn_tensor** indices) noexcept {
  return guard([&] {
    auto r = is_max ? at::max(T(a), dim, keepdim != 0) : at::min(T(a), dim, keepdim != 0);
    out(values, std::get<0>(r));
    out(indices, std::get<1>(r));
  });
}

int32_t bgn_argmax(const bgn_tensor* a, int32_t is_max, int32_t has_dim, int64_t dim, int32_t keepdim,
                   bgn_tensor** o) noexcept {
  return guard([&] {
    c10::optional<int64_t> d = has_dim ? c10::optional<int64_t>(dim) : c10::nullopt;
    out(o, is_max ? at::argmax(T(a), d, keepdim != 0) : at::argmin(T(a), d, keepdim != 0));
  });
}

int32_t bgn_reshape(const bgn_tensor* a, const int64_t* s, int32_t ndim, int32_t is_view, bgn_tensor** o) noexcept {
  return guard([&] { out(o, is_view ? T(a).view(dims(s, ndim)) : T(a).reshape(dims(s, ndim))); });
}
int32_t bgn_flatten(const bgn_tensor* a, int64_t start, int64_t end, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::flatten(T(a), start, end)); });
}
int32_t bgn_squeeze(const bgn_tensor* a, int32_t has_dim, int64_t dim, bgn_tensor** o) noexcept {
  return guard([&] { out(o, has_dim ? at::squeeze(T(a), dim) : at::squeeze(T(a))); });
}
int32_t bgn_unsqueeze(const bgn_tensor* a, int64_t dim, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::unsqueeze(T(a), dim)); });
}
int32_t bgn_expand(const bgn_tensor* a, const int64_t* s, int32_t ndim, bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(a).expand(dims(s, ndim))); });
}
int32_t bgn_repeat(const bgn_tensor* a, const int64_t* r, int32_t ndim, bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(a).repeat(dims(r, ndim))); });
}
int32_t bgn_permute(const bgn_tensor* a, const int64_t* d, int32_t ndim, bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(a).permute(dims(d, ndim))); });
}
int32_t bgn_flip(const bgn_tensor* a, const int64_t* d, int32_t ndim, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::flip(T(a), dims(d, ndim))); });
}
int32_t bgn_transpose(const bgn_tensor* a, int64_t d0, int64_t d1, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::transpose(T(a), d0, d1)); });
}
int32_t bgn_cat(const bgn_tensor* const* ts, int32_t n, int64_t dim, int32_t stack, bgn_tensor** o) noexcept {
  return guard([&] {
    auto v = tensors(ts, n);
    if (v.empty()) throw invalid_argument("cat/stack needs at least one tensor");
    out(o, stack ? at::stack(v, dim) : at::cat(v, dim));
  });
}
int32_t bgn_split(const bgn_tensor* a, int64_t chunks, const int64_t* sizes, int32_t nsizes, int64_t dim,
                  bgn_tensor** outs, int32_t capacity, int32_t* count) noexcept {
  return guard([&] {
    std::vector<at::Tensor> parts;
    if (chunks > 0) parts = at::chunk(T(a), chunks, dim);
    else parts = at::split_with_sizes(T(a), dims(sizes, nsizes), dim);
    if (static_cast<int64_t>(parts.size()) > capacity) throw invalid_argument("split output buffer too small");
    if (!outs || !count) throw invalid_argument("null output pointer");
    for (size_t i = 0; i < parts.size(); ++i) out(&outs[i], parts[i]);
    *count = static_cast<int32_t>(parts.size());
  });
}
int32_t bgn_slice(const bgn_tensor* a, int64_t dim, int64_t start, int64_t end, int64_t step, bgn_tensor** o) noexcept {
  return guard([&] {
    if (step < 1) throw invalid_argument("slice step must be positive");
    out(o, T(a).slice(dim, start, end, step));
  });
}
int32_t bgn_narrow(const bgn_tensor* a, int64_t dim, int64_t start, int64_t length, bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(a).narrow(dim, start, length)); });
}
int32_t bgn_select(const bgn_tensor* a, int64_t dim, int64_t index, bgn_tensor** o) noexcept {
  return guard([&] { out(o, T(a).select(dim, index)); });
}
int32_t bgn_index_select(const bgn_tensor* a, int64_t dim, const bgn_tensor* index, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::index_select(T(a), dim, T(index))); });
}
int32_t bgn_gather(const bgn_tensor* a, int64_t dim, const bgn_tensor* index, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::gather(T(a), dim, T(index))); });
}
int32_t bgn_one_hot(const bgn_tensor* a, int64_t num_classes, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::one_hot(T(a), num_classes)); });
}
int32_t bgn_masked_fill(const bgn_tensor* a, const bgn_tensor* mask, double value, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::masked_fill(T(a), T(mask), value)); });
}
int32_t bgn_diagonal(const bgn_tensor* a, int64_t offset, bgn_tensor** o) noexcept {
  return guard([&] { out(o, at::diagonal(T(a), offset)); });
}

}  // extern "C"

namespace {
at::MemoryFormat memory_format(int32_t code) {
  switch (code) {
    case 0: return at::MemoryFormat::Contiguous;
    case 1: return at::MemoryFormat::ChannelsLast;
    default: throw invalid_argument("unknown memory format " + std::to_string(code) + ": expected 0 (contiguous) or 1 (channels last)");
  }
}
}  // namespace

extern "C" {
int32_t bgn_tensor_contiguous_format(const bgn_tensor* t, int32_t format, bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& x = T(t);
    auto f = memory_format(format);
    if (f == at::MemoryFormat::ChannelsLast && x.dim() != 4)
      throw invalid_argument("channels-last needs a 4-d tensor, got " + std::to_string(x.dim()) + "-d");
    out(o, x.contiguous(f));
  });
}
int32_t bgn_tensor_is_contiguous_format(const bgn_tensor* t, int32_t format, int32_t* o) noexcept {
  return guard([&] { *o = T(t).is_contiguous(memory_format(format)) ? 1 : 0; });
}
}  // extern "C"

extern "C" int32_t bgn_factory_like(int32_t kind, const bgn_tensor* t, bgn_generator* g, bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& x = T(t);
    auto opts = x.options().requires_grad(false);
    auto fmt = x.suggest_memory_format();
    switch (kind) {
      case BGN_FILL_ZEROS: out(o, at::zeros_like(x, opts, fmt)); break;
      case BGN_FILL_ONES: out(o, at::ones_like(x, opts, fmt)); break;
      case BGN_FILL_EMPTY: out(o, at::empty_like(x, opts, fmt)); break;
      case BGN_FILL_RAND: out(o, at::empty_like(x, opts, fmt).uniform_(0, 1, generator(g))); break;
      case BGN_FILL_RANDN: out(o, at::empty_like(x, opts, fmt).normal_(0, 1, generator(g))); break;
      default: throw invalid_argument("unknown factory kind " + std::to_string(kind));
    }
  });
}
