// Distributed data parallelism on libtorch's c10d: TCPStore rendezvous, process groups (Gloo; NCCL in CUDA builds),
// blocking collectives with timeouts, bucketed gradient allreduce and cross-replica (synchronized) batch norm.
//
// Every collective waits on its c10d Work with a deadline, so a dead or stuck peer becomes an exception (through
// bgn::guard) instead of a hang or an abort. After such an error the group is not usable any more: the caller
// should destroy it and exit.
#include "common.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#if __has_include(<gloo/algorithm.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define BGN_HAVE_GLOO 1
#else
#define BGN_HAVE_GLOO 0
#endif

// NCCL exists only in CUDA builds of libtorch; its header is empty unless USE_C10D_NCCL is defined.
#if defined(BGN_WITH_CUDA) && __has_include(<torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>)
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define BGN_HAVE_NCCL 1
#else
#define BGN_HAVE_NCCL 0
#endif

#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <thread>

using namespace bgn;
using std::chrono::milliseconds;

struct bgn_store {
  c10::intrusive_ptr<c10d::Store> store;
  std::string host;
  int port = 0;
  milliseconds timeout{0};
  int groups = 0;  // groups created over this store so far (the same sequence on every rank)
};

struct bgn_process_group {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::string backend;
  int rank = 0;
  int size = 1;
  milliseconds timeout{0};
  bool check = true;  // agree on each collective's signature first (see check_same)
};

namespace {

// The message of any exception, without libtorch's C++ backtrace nor a final period (callers append a sentence).
std::string message_of(const std::exception& e) {
  std::string m = e.what();
  if (auto c = dynamic_cast<const c10::Error*>(&e)) m = c->what_without_backtrace();
  while (!m.empty() && (m.back() == '.' || m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

std::string seconds(milliseconds t) {
  std::ostringstream s;
  s << static_cast<double>(t.count()) / 1000.0 << " s";
  return s.str();
}

bgn_process_group& G(bgn_process_group* g) {
  if (!g || !g->pg) throw invalid_argument("null or destroyed process group");
  return *g;
}

milliseconds effective_timeout(const bgn_process_group& g, int64_t timeout_ms) {
  return timeout_ms > 0 ? milliseconds(timeout_ms) : g.timeout;
}

std::string where(const bgn_process_group& g) {
  return "rank " + std::to_string(g.rank) + " of " + std::to_string(g.size) + ", backend " + g.backend;
}

// Waits for a collective with a deadline and turns every failure into one clear exception.
void wait(const bgn_process_group& g, const c10::intrusive_ptr<c10d::Work>& work, const std::string& op,
          milliseconds timeout) {
  try {
    work->wait(timeout);
  } catch (const std::exception& e) {
    if (!work->isCompleted())
      throw std::runtime_error(op + " timed out after " + seconds(timeout) + " (" + where(g) +
                               "): a peer process is missing, stuck or dead. The process group is no longer usable.");
    throw std::runtime_error(op + " failed (" + where(g) + "): " + message_of(e) +
                             ". A peer process may have died; the process group is no longer usable.");
  }
}

void check_dense(const at::Tensor& t, const char* op) {
  if (!t.defined()) throw invalid_argument(std::string(op) + ": undefined tensor");
  if (t.layout() != at::kStrided) throw invalid_argument(std::string(op) + " needs a dense (strided) tensor");
}

// Describes one tensor for a collective's signature.
std::string describe(const at::Tensor& t) {
  return std::string(c10::toString(t.scalar_type())) + "[" + std::to_string(t.numel()) + "]";
}

// Gloo aborts the whole process (std::terminate in its I/O thread) when ranks exchange buffers of different sizes,
// so, unless disabled, the ranks first agree on what they are about to do: one tiny MAX-allreduce of a hash of
// (collective, dtypes, sizes, root, op) and its negation tells every rank whether all hashes were equal.
void check_same(const bgn_process_group& g, const std::string& what, at::Device device, milliseconds timeout) {
  if (!g.check || g.size == 1) return;
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (unsigned char c : what) h = (h ^ c) * 1099511628211ull;
  const int64_t sig = static_cast<int64_t>(h >> 2);
  auto t = at::empty({2}, at::TensorOptions().dtype(at::kLong));
  t.data_ptr<int64_t>()[0] = sig;
  t.data_ptr<int64_t>()[1] = -sig;
  std::vector<at::Tensor> v{t.to(device)};  // NCCL reduces device tensors only
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  o.timeout = timeout;
  wait(g, g.pg->allreduce(v, o), what, timeout);
  t = v[0].cpu();
  if (t.data_ptr<int64_t>()[0] != sig || t.data_ptr<int64_t>()[1] != -sig)
    throw std::runtime_error("the ranks disagree on a collective (" + where(g) + "): this rank does " + what +
                             ", another rank does something else. Every rank must issue the same collectives, on "
                             "tensors of the same dtypes and sizes, in the same order.");
}

c10d::ReduceOp reduce_op(int32_t op, const at::Tensor& t, const char* name) {
  if (op == BGN_DIST_SUM) return c10d::ReduceOp::SUM;
  if (op == BGN_DIST_AVG) {
    if (!at::isFloatingType(t.scalar_type()))
      throw invalid_argument(std::string(name) + " with AVG needs a floating-point tensor, got " +
                             std::string(c10::toString(t.scalar_type())));
    return c10d::ReduceOp::SUM;  // Gloo has no AVG: sum, then divide by the world size.
  }
  throw invalid_argument(std::string(name) + ": unknown reduce op " + std::to_string(op) + " (0 SUM, 1 AVG)");
}

// Collectives need contiguous buffers: work on a contiguous copy when the tensor is not, and copy the result back.
void allreduce_one(bgn_process_group& g, at::Tensor& t, int32_t op, milliseconds timeout) {
  check_dense(t, "all_reduce");
  auto rop = reduce_op(op, t, "all_reduce");
  const std::string what = "all_reduce(" + describe(t) + ", op " + std::to_string(op) + ")";
  check_same(g, what, t.device(), timeout);
  at::NoGradGuard no_grad;
  at::Tensor buf = t.is_contiguous() ? t : t.contiguous();
  std::vector<at::Tensor> v{buf};
  c10d::AllreduceOptions o;
  o.reduceOp = rop;
  o.timeout = timeout;
  wait(g, g.pg->allreduce(v, o), what, timeout);
  if (op == BGN_DIST_AVG && g.size > 1) buf.div_(g.size);
  if (!buf.is_same(t)) t.copy_(buf);
}

// One flat buffer per bucket; at most kInFlight buckets are in flight at once so copies overlap with messages.
// src < 0: allreduce with op; src >= 0: broadcast from rank src.
void bucketed(bgn_process_group& g, const std::vector<at::Tensor>& ts, int32_t op, int32_t src, int64_t bucket_bytes,
              milliseconds timeout) {
  constexpr size_t kInFlight = 3;
  const char* name = src < 0 ? "all_reduce_coalesced" : "broadcast_coalesced";
  if (bucket_bytes <= 0) throw invalid_argument(std::string(name) + ": bucket size must be positive");
  std::string what = std::string(name) + "(bucket " + std::to_string(bucket_bytes) + " B, op " + std::to_string(op) +
                     ", src " + std::to_string(src) + ":";
  for (const auto& t : ts) {
    check_dense(t, name);
    if (src < 0) reduce_op(op, t, name);
    what += " " + describe(t);
  }
  check_same(g, what + ")", ts.empty() ? at::Device(at::kCPU) : ts.front().device(), timeout);
  at::NoGradGuard no_grad;

  // Buckets are formed in list order per (dtype, device), so every rank builds the same buckets from the same list.
  struct Bucket {
    std::vector<at::Tensor> members;
    int64_t bytes = 0;
  };
  std::vector<Bucket> closed;
  std::vector<Bucket> open;
  auto same_kind = [](const at::Tensor& a, const at::Tensor& b) {
    return a.scalar_type() == b.scalar_type() && a.device() == b.device();
  };
  for (const auto& t : ts) {
    int64_t nb = t.numel() * static_cast<int64_t>(t.element_size());
    if (nb == 0) continue;
    Bucket* b = nullptr;
    for (auto& o : open)
      if (same_kind(o.members.front(), t)) b = &o;
    if (b && b->bytes + nb > bucket_bytes) {
      closed.push_back(std::move(*b));
      *b = Bucket{};
    }
    if (!b) {
      open.emplace_back();
      b = &open.back();
    }
    b->members.push_back(t);
    b->bytes += nb;
  }
  for (auto& o : open)
    if (!o.members.empty()) closed.push_back(std::move(o));

  struct Pending {
    const Bucket* bucket;
    at::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  std::deque<Pending> pending;
  auto finish = [&](Pending& p) {
    wait(g, p.work, name, timeout);
    if (src < 0 && op == BGN_DIST_AVG && g.size > 1) p.flat.div_(g.size);
    int64_t offset = 0;
    for (const auto& t : p.bucket->members) {
      auto n = t.numel();
      t.copy_(p.flat.narrow(0, offset, n).view(t.sizes()));
      offset += n;
    }
  };
  for (const auto& b : closed) {
    std::vector<at::Tensor> flat_parts;
    flat_parts.reserve(b.members.size());
    for (const auto& t : b.members) flat_parts.push_back(t.reshape({-1}));
    std::vector<at::Tensor> v{at::cat(flat_parts)};
    c10::intrusive_ptr<c10d::Work> work;
    if (src < 0) {
      c10d::AllreduceOptions o;
      o.reduceOp = c10d::ReduceOp::SUM;
      o.timeout = timeout;
      work = g.pg->allreduce(v, o);
    } else {
      c10d::BroadcastOptions o;
      o.rootRank = src;
      o.timeout = timeout;
      work = g.pg->broadcast(v, o);
    }
    pending.push_back(Pending{&b, v[0], work});
    if (pending.size() >= kInFlight) {
      finish(pending.front());
      pending.pop_front();
    }
  }
  while (!pending.empty()) {
    finish(pending.front());
    pending.pop_front();
  }
}

// ---- cross-replica batch norm ----

// [C] -> [1, C, 1, ...] to broadcast against x.
at::Tensor per_channel(const at::Tensor& v, const at::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = x.size(1);
  return v.view(shape);
}

struct SyncBNArgs {
  at::Tensor running_mean, running_var;
  double momentum = 0.1, eps = 1e-5;
  bgn_process_group* group = nullptr;
  milliseconds timeout{0};
};

// Forward: global per-channel mean and biased variance from allreduced (sum, sum of squares, count).
// Backward: the input gradient needs the global sums of grad and grad*(x - mean), allreduced again; the weight and
// bias gradients stay local (the data-parallel gradient allreduce sums them like every other parameter).
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  // weight and bias are optionals: libtorch's custom functions cannot take undefined tensors as inputs.
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const c10::optional<at::Tensor>& weight_opt, const c10::optional<at::Tensor>& bias_opt,
                            SyncBNArgs args) {
    const at::Tensor weight = weight_opt.value_or(at::Tensor());
    const at::Tensor bias = bias_opt.value_or(at::Tensor());
    auto& g = *args.group;
    const int64_t C = x.size(1);
    const double local_n = C > 0 ? static_cast<double>(x.numel() / C) : 0.0;
    auto dopt = x.options().dtype(at::kDouble);

    // Local sums from libtorch's per-channel Welford statistics (its batch-norm kernel; far faster than var_mean
    // on NCHW): sum = n*mean, sum of squares = n*(var + mean^2), var biased.
    at::Tensor sum, sumsq;
    if (local_n > 0) {
      auto stats = at::batch_norm_update_stats(x, {}, {}, 0.0);
      auto mean = std::get<0>(stats).to(at::kDouble);
      auto var = std::get<1>(stats).to(at::kDouble);
      sum = mean * local_n;
      sumsq = (var + mean * mean) * local_n;
    } else {
      sum = at::zeros({C}, dopt);
      sumsq = at::zeros({C}, dopt);
    }
    // The local batch may differ between ranks; the channels may not.
    check_same(g, "sync_batch_norm(" + std::to_string(C) + " channels)", x.device(), args.timeout);
    std::vector<at::Tensor> v{at::cat({sum, sumsq, at::full({1}, local_n, dopt)})};
    c10d::AllreduceOptions o;
    o.timeout = args.timeout;
    wait(g, g.pg->allreduce(v, o), "sync_batch_norm (forward statistics)", args.timeout);
    auto& stats = v[0];
    const double n = stats[2 * C].item<double>();
    if (n <= 1)
      throw invalid_argument(
          "sync_batch_norm in training mode needs more than 1 value per channel across all ranks, got " +
          std::to_string(static_cast<int64_t>(n)));
    auto mean = stats.narrow(0, 0, C) / n;
    auto var = (stats.narrow(0, C, C) / n - mean * mean).clamp_min(0);
    auto invstd = (var + args.eps).rsqrt();

    if (args.running_mean.defined()) {
      args.running_mean.mul_(1 - args.momentum).add_(mean.to(args.running_mean.scalar_type()), args.momentum);
      args.running_var.mul_(1 - args.momentum)
          .add_((var * (n / (n - 1))).to(args.running_var.scalar_type()), args.momentum);
    }

    // The normalisation itself is libtorch's fused kernel in eval mode, fed with the global statistics.
    auto mean_x = mean.to(x.scalar_type());
    auto var_x = var.to(x.scalar_type());
    auto y = std::get<0>(
        at::native_batch_norm(x, weight_opt, bias_opt, mean_x, var_x, /*training=*/false, 0.0, args.eps));

    ctx->save_for_backward({x, weight, mean_x, var_x, mean, invstd});
    ctx->saved_data["n"] = n;
    ctx->saved_data["eps"] = args.eps;
    ctx->saved_data["timeout_ms"] = static_cast<int64_t>(args.timeout.count());
    ctx->saved_data["group"] = c10::IValue::make_capsule(c10::make_intrusive<GroupHolder>(g));
    ctx->saved_data["has_bias"] = bias.defined();
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto x = saved[0], weight = saved[1], mean_x = saved[2], var_x = saved[3], mean = saved[4], invstd = saved[5];
    const double n = ctx->saved_data["n"].toDouble();
    const double eps = ctx->saved_data["eps"].toDouble();
    const milliseconds timeout(ctx->saved_data["timeout_ms"].toInt());
    auto holder = ctx->saved_data["group"].toCapsule();
    auto& g = static_cast<GroupHolder*>(holder.get())->group;
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    const int64_t C = x.size(1);
    auto w = weight.defined() ? weight : at::ones({C}, x.options());

    // libtorch's eval-mode backward in one fused kernel: gi = dy * invstd * w, and the local per-channel sums
    // of dy * x_hat and of dy.
    auto r = at::native_batch_norm_backward(grads[0], x, w, mean_x, var_x, {}, {}, /*train=*/false, eps,
                                            {true, true, true});
    auto gi = std::get<0>(r);
    auto sum_dy_xhat = std::get<1>(r);
    auto sum_dy = std::get<2>(r);
    at::Tensor grad_weight = weight.defined() ? sum_dy_xhat.to(weight.scalar_type()) : at::Tensor();
    at::Tensor grad_bias = has_bias ? sum_dy.clone() : at::Tensor();

    // The batch statistics depend on every rank's input: the input gradient needs the global means of dy and
    // dy * x_hat. Always reduced, whether or not x needs a gradient here, so every rank issues the same collectives.
    std::vector<at::Tensor> v{at::cat({sum_dy.to(at::kDouble), sum_dy_xhat.to(at::kDouble)})};
    c10d::AllreduceOptions o;
    o.timeout = timeout;
    wait(g, g.pg->allreduce(v, o), "sync_batch_norm (backward)", timeout);
    auto mean_dy = v[0].narrow(0, 0, C) / n;
    auto mean_dy_xhat = v[0].narrow(0, C, C) / n;
    // grad_x = w * invstd * (dy - mean_dy - x_hat * mean_dy_xhat) = gi + x * k + c, per channel:
    auto wd = w.to(at::kDouble);
    auto k = -wd * invstd * invstd * mean_dy_xhat;
    auto c = -wd * invstd * mean_dy - k * mean;
    at::Tensor grad_x =
        gi.add_(per_channel(c.to(x.scalar_type()), x)).addcmul_(x, per_channel(k.to(x.scalar_type()), x));
    return {grad_x, grad_weight, grad_bias, at::Tensor()};
  }

  // Keeps the process group alive for the backward pass (the capsule holds a reference).
  struct GroupHolder : torch::CustomClassHolder {
    bgn_process_group group;
    explicit GroupHolder(const bgn_process_group& g) : group(g) {}
  };
};

}  // namespace

extern "C" {

int32_t bgn_dist_backend_available(int32_t backend) noexcept {
  if (backend == BGN_DIST_GLOO) return BGN_HAVE_GLOO;
  if (backend == BGN_DIST_NCCL) return BGN_HAVE_NCCL;
  return 0;
}

int32_t bgn_dist_store_create(const char* host, int32_t port, int32_t world_size, int32_t is_master,
                              int64_t timeout_ms, bgn_store** o) noexcept {
  return guard([&] {
    if (!o) throw invalid_argument("null output pointer");
    *o = nullptr;
    if (!host || !*host) throw invalid_argument("rendezvous: empty master address");
    if (port < 1 || port > 65535)
      throw invalid_argument("rendezvous: master port must be in 1..65535, got " + std::to_string(port));
    if (world_size < 1)
      throw invalid_argument("rendezvous: world size must be at least 1, got " + std::to_string(world_size));
    if (timeout_ms <= 0) throw invalid_argument("rendezvous: timeout must be positive");
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<uint16_t>(port);
    opts.isServer = is_master != 0;
    opts.numWorkers = static_cast<size_t>(world_size);
    opts.waitWorkers = false;  // joining is counted below, with a clearer message than TCPStore's
    opts.timeout = milliseconds(timeout_ms);
    const std::string addr = std::string(host) + ":" + std::to_string(port);
    c10::intrusive_ptr<c10d::Store> store;
    try {
      store = c10::make_intrusive<c10d::TCPStore>(host, opts);
    } catch (const std::exception& e) {
      if (is_master)
        throw std::runtime_error(
            "rendezvous failed on the master (rank 0, listening on " + addr + ", WORLD_SIZE=" +
            std::to_string(world_size) + ", timeout " + seconds(opts.timeout) + "): " + message_of(e) +
            ". If fewer processes joined than WORLD_SIZE, check WORLD_SIZE and that every rank was started with "
            "MASTER_ADDR/MASTER_PORT pointing here; if the address is in use, pick another MASTER_PORT.");
      throw std::runtime_error(
          "rendezvous failed: could not join the master at " + addr + " (WORLD_SIZE=" + std::to_string(world_size) +
          ", timeout " + seconds(opts.timeout) + "): " + message_of(e) +
          ". Check that rank 0 is running and that MASTER_ADDR/MASTER_PORT point at it.");
    }
    // Count the processes that joined, so a wrong WORLD_SIZE fails here with a clear message instead of deep
    // inside Gloo's connection setup.
    const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
    int64_t joined = 0;
    try {
      joined = store->add("bgn/joined", 1);
      while (joined < world_size && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(milliseconds(10));
        joined = store->add("bgn/joined", 0);
      }
    } catch (const std::exception& e) {
      throw std::runtime_error("rendezvous at " + addr + " lost the master while waiting for WORLD_SIZE=" +
                               std::to_string(world_size) + " processes to join (" + std::to_string(joined) +
                               " had joined): " + message_of(e) +
                               ". The master (rank 0) exits when fewer processes join within the timeout: check "
                               "that WORLD_SIZE equals the number of processes started.");
    }
    if (joined < world_size)
      throw std::runtime_error("rendezvous at " + addr + " timed out after " + seconds(opts.timeout) + ": only " +
                               std::to_string(joined) + " of WORLD_SIZE=" + std::to_string(world_size) +
                               " processes joined: check that WORLD_SIZE equals the number of processes started and "
                               "that every rank uses the same MASTER_ADDR/MASTER_PORT.");
    if (joined > world_size)
      throw std::runtime_error("rendezvous at " + addr + ": " + std::to_string(joined) +
                               " processes joined but WORLD_SIZE=" + std::to_string(world_size) +
                               ": more processes than WORLD_SIZE use this MASTER_ADDR/MASTER_PORT.");
    *o = new bgn_store{store, host, port, milliseconds(timeout_ms), 0};
  });
}

void bgn_dist_store_free(bgn_store* s) noexcept { delete s; }

int32_t bgn_dist_store_set(bgn_store* s, const char* key, const uint8_t* value, int64_t nbytes) noexcept {
  return guard([&] {
    if (!s) throw invalid_argument("null store");
    if (!key) throw invalid_argument("null store key");
    if (nbytes < 0 || (nbytes > 0 && !value)) throw invalid_argument("invalid store value buffer");
    s->store->set(key, std::vector<uint8_t>(value, value + nbytes));
  });
}

int32_t bgn_dist_store_get(bgn_store* s, const char* key, bgn_tensor** o) noexcept {
  return guard([&] {
    if (!s) throw invalid_argument("null store");
    if (!key) throw invalid_argument("null store key");
    std::vector<uint8_t> v;
    try {
      v = s->store->get(key);
    } catch (const std::exception& e) {
      throw std::runtime_error("store get of '" + std::string(key) + "' failed (waited at most " + seconds(s->timeout) +
                               "): " + message_of(e));
    }
    auto t = at::empty({static_cast<int64_t>(v.size())}, at::TensorOptions().dtype(at::kByte));
    if (!v.empty()) std::memcpy(t.data_ptr(), v.data(), v.size());
    out(o, std::move(t));
  });
}

int32_t bgn_dist_pg_create(bgn_store* s, int32_t backend, int32_t rank, int32_t world_size, int64_t timeout_ms,
                           int32_t check_collectives, bgn_process_group** o) noexcept {
  return guard([&] {
    if (!o) throw invalid_argument("null output pointer");
    *o = nullptr;
    if (!s) throw invalid_argument("null store");
    if (world_size < 1) throw invalid_argument("world size must be at least 1, got " + std::to_string(world_size));
    if (rank < 0 || rank >= world_size)
      throw invalid_argument("rank must be in 0.." + std::to_string(world_size - 1) + ", got " + std::to_string(rank));
    if (timeout_ms <= 0) throw invalid_argument("process group timeout must be positive");
    const milliseconds timeout(timeout_ms);
    auto g = std::make_unique<bgn_process_group>();
    g->rank = rank;
    g->size = world_size;
    g->timeout = timeout;
    g->check = check_collectives != 0;
    // Two processes claiming one rank would deadlock Gloo's setup; catch it here.
    // Each group gets its own key space in the store (Gloo's setup keys would collide otherwise).
    auto store = c10::make_intrusive<c10d::PrefixStore>("bgn/group" + std::to_string(s->groups++), s->store);
    const int64_t claims = store->add("claimed/rank" + std::to_string(rank), 1);
    if (claims > 1)
      throw invalid_argument("rank " + std::to_string(rank) + " was claimed by " + std::to_string(claims) +
                             " processes: every process needs its own RANK in 0.." + std::to_string(world_size - 1));
    if (backend == BGN_DIST_GLOO) {
#if BGN_HAVE_GLOO
      g->backend = "gloo";
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // As torch.distributed: GLOO_SOCKET_IFNAME picks the interface; a loopback master keeps everything on
      // loopback; otherwise the address this host's name resolves to.
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      const std::string& host = s->host;
      if (ifname && *ifname)
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (host == "localhost" || host.rfind("127.", 0) == 0)
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      try {
        g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world_size, opts);
      } catch (const std::exception& e) {
        throw std::runtime_error("gloo process group setup failed on " + where(*g) + " (timeout " + seconds(timeout) +
                                 "): " + message_of(e) +
                                 ". Every rank 0..WORLD_SIZE-1 must start; check WORLD_SIZE and RANK.");
      }
#else
      throw invalid_argument(
          "this bgnshim was built without the gloo headers, so the gloo backend is unavailable: install Debian's "
          "libgloo-dev (scripts/install-deps.sh does) and rebuild (dotnet build rebuilds native/)");
#endif
    } else if (backend == BGN_DIST_NCCL) {
#if BGN_HAVE_NCCL
      g->backend = "nccl";
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, world_size, opts);
#else
      throw invalid_argument(
          "the nccl backend needs a CUDA build of libtorch with NCCL and a bgnshim built against it "
          "(BIGGAN_TORCH_DIR=<libtorch>/share/cmake/Torch); this build is CPU-only: use backend \"gloo\"");
#endif
    } else {
      throw invalid_argument("unknown distributed backend code " + std::to_string(backend) + " (0 gloo, 1 nccl)");
    }
    *o = g.release();
  });
}

void bgn_dist_pg_free(bgn_process_group* g) noexcept {
  try {
    delete g;
  } catch (...) {
  }
}

int32_t bgn_dist_all_reduce(bgn_process_group* g, bgn_tensor* t, int32_t op, int64_t timeout_ms) noexcept {
  return guard([&] {
    auto& grp = G(g);
    allreduce_one(grp, M(t), op, effective_timeout(grp, timeout_ms));
  });
}

int32_t bgn_dist_all_reduce_coalesced(bgn_process_group* g, bgn_tensor* const* ts, int32_t n, int32_t op,
                                      int64_t bucket_bytes, int64_t timeout_ms) noexcept {
  return guard([&] {
    auto& grp = G(g);
    if (n < 0 || (n > 0 && !ts)) throw invalid_argument("all_reduce_coalesced: invalid tensor list");
    std::vector<at::Tensor> v;
    v.reserve(n);
    for (int32_t i = 0; i < n; ++i) v.push_back(M(ts[i]));
    bucketed(grp, v, op, -1, bucket_bytes, effective_timeout(grp, timeout_ms));
  });
}

int32_t bgn_dist_broadcast_coalesced(bgn_process_group* g, bgn_tensor* const* ts, int32_t n, int32_t src,
                                     int64_t bucket_bytes, int64_t timeout_ms) noexcept {
  return guard([&] {
    auto& grp = G(g);
    if (n < 0 || (n > 0 && !ts)) throw invalid_argument("broadcast_coalesced: invalid tensor list");
    if (src < 0 || src >= grp.size)
      throw invalid_argument("broadcast_coalesced: source rank must be in 0.." + std::to_string(grp.size - 1) +
                             ", got " + std::to_string(src));
    std::vector<at::Tensor> v;
    v.reserve(n);
    for (int32_t i = 0; i < n; ++i) v.push_back(M(ts[i]));
    bucketed(grp, v, BGN_DIST_SUM, src, bucket_bytes, effective_timeout(grp, timeout_ms));
  });
}

int32_t bgn_dist_broadcast(bgn_process_group* g, bgn_tensor* t, int32_t src, int64_t timeout_ms) noexcept {
  return guard([&] {
    auto& grp = G(g);
    auto& tensor = M(t);
    check_dense(tensor, "broadcast");
    if (src < 0 || src >= grp.size)
      throw invalid_argument("broadcast: source rank must be in 0.." + std::to_string(grp.size - 1) + ", got " +
                             std::to_string(src));
    auto timeout = effective_timeout(grp, timeout_ms);
    const std::string what = "broadcast(" + describe(tensor) + ", src " + std::to_string(src) + ")";
    check_same(grp, what, tensor.device(), timeout);
    at::NoGradGuard no_grad;
    at::Tensor buf = tensor.is_contiguous() ? tensor : tensor.contiguous();
    std::vector<at::Tensor> v{buf};
    c10d::BroadcastOptions o;
    o.rootRank = src;
    o.timeout = timeout;
    wait(grp, grp.pg->broadcast(v, o), what, timeout);
    if (!buf.is_same(tensor)) tensor.copy_(buf);
  });
}

int32_t bgn_dist_barrier(bgn_process_group* g, int64_t timeout_ms) noexcept {
  return guard([&] {
    auto& grp = G(g);
    auto timeout = effective_timeout(grp, timeout_ms);
    c10d::BarrierOptions o;
    o.timeout = timeout;
    wait(grp, grp.pg->barrier(o), "barrier", timeout);
  });
}

int32_t bgn_sync_batch_norm(const bgn_tensor* x, bgn_tensor* rm, bgn_tensor* rv, const bgn_tensor* weight,
                            const bgn_tensor* bias, int32_t training, double momentum, double eps,
                            bgn_process_group* g, int64_t timeout_ms, bgn_tensor** o) noexcept {
  return guard([&] {
    const auto& input = T(x);
    if (input.dim() < 2) throw invalid_argument("sync_batch_norm expects at least 2 dimensions (N, C, ...)");
    if (!at::isFloatingType(input.scalar_type()))
      throw invalid_argument("sync_batch_norm needs a floating-point input");
    if ((rm == nullptr) != (rv == nullptr))
      throw invalid_argument("sync_batch_norm: give both running_mean and running_var, or neither");
    const int64_t C = input.size(1);
    auto check_c = [&](const bgn_tensor* h, const char* name) {
      if (h && (T(h).dim() != 1 || T(h).size(0) != C))
        throw invalid_argument(std::string("sync_batch_norm: ") + name + " must have shape [" + std::to_string(C) +
                               "], got " + c10::str(T(h).sizes()));
    };
    check_c(rm, "running_mean");
    check_c(rv, "running_var");
    check_c(weight, "weight");
    check_c(bias, "bias");
    if (!training) {
      if (!rm) throw invalid_argument("sync_batch_norm in eval mode needs running_mean and running_var");
      out(o, at::batch_norm(input, opt(weight), opt(bias), opt(rm), opt(rv), false, momentum, eps, true));
      return;
    }
    auto& grp = G(g);
    SyncBNArgs args;
    if (rm) {
      args.running_mean = M(rm);
      args.running_var = M(rv);
    }
    args.momentum = momentum;
    args.eps = eps;
    args.group = &grp;
    args.timeout = effective_timeout(grp, timeout_ms);
    out(o, SyncBatchNormFunction::apply(input, opt(weight), opt(bias), args));
  });
}

}  // extern "C"
