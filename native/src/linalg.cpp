// Linear algebra for evaluation metrics (FID): symmetric eigendecomposition via LAPACK.
#include "common.h"

#include <ATen/ops/linalg_eigh.h>
#include <ATen/ops/linalg_eigvalsh.h>

using namespace bgn;

int32_t bgn_linalg_eigh(const bgn_tensor* a, int32_t compute_vectors, bgn_tensor** eigenvalues,
                        bgn_tensor** eigenvectors) noexcept {
  return guard([&] {
    const auto& m = T(a);
    if (m.dim() != 2 || m.size(0) != m.size(1))
      throw invalid_argument("eigh needs a square 2-d matrix, got " + std::to_string(m.dim()) + "-d sizes " +
                             c10::str(m.sizes()));
    if (m.scalar_type() != at::kFloat && m.scalar_type() != at::kDouble)
      throw invalid_argument(std::string("eigh needs float32 or float64, got ") + c10::toString(m.scalar_type()));
    // LAPACK does not promise to terminate on NaN/Inf input; reject it here.
    if (m.numel() > 0 && !at::isfinite(m).all().item<bool>())
      throw invalid_argument("eigh input contains NaN or infinite values");
    if (compute_vectors) {
      auto r = at::linalg_eigh(m, "L");
      out(eigenvalues, std::get<0>(r));
      out(eigenvectors, std::get<1>(r));
    } else {
      out(eigenvalues, at::linalg_eigvalsh(m, "L"));
      if (eigenvectors) *eigenvectors = nullptr;
    }
  });
}
