// biggan_gloo: Gloo collectives on raw CPU buffers behind a C ABI (see include/biggan_gloo.h).
//
// Gloo reports failures by throwing (gloo::IoException for timeouts and broken connections, EnforceNotMet for
// misuse); every entry point catches everything and turns it into a status and a thread-local message, so no C++
// exception ever reaches the managed caller. After a collective fails the context is marked broken: Gloo's pairs
// may hold half-finished messages, so later collectives would read garbage.
#include "biggan_gloo.h"

#include <gloo/allreduce.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <gloo/common/error.h>
#include <gloo/math.h>
#include <gloo/rendezvous/context.h>
#include <gloo/rendezvous/store.h>
#include <gloo/transport/tcp/device.h>
#include <gloo/types.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

using std::chrono::milliseconds;

struct bgn_gloo_context {
  std::shared_ptr<gloo::rendezvous::Context> gloo;
  int rank = 0;
  int size = 1;
  uint32_t tag = 0;    // one per collective, the same sequence on every rank
  std::string broken;  // why the context is unusable, empty while healthy
};

namespace {

thread_local std::string last_error;

// A failure with its status code, for the cases where the code is known where the error is raised.
struct Failure : std::runtime_error {
  int32_t status;
  Failure(int32_t s, const std::string& m) : std::runtime_error(m), status(s) {}
};

[[noreturn]] void argument(const std::string& m) { throw Failure(BGN_GLOO_ARGUMENT, m); }

bool mentions_timeout(const std::string& m) {
  return m.find("Timed out") != std::string::npos || m.find("timed out") != std::string::npos ||
         m.find("timeout") != std::string::npos;
}

// Runs f, mapping every exception to a status and the thread-local message.
template <typename F>
int32_t guard(F&& f) noexcept {
  try {
    f();
    return BGN_GLOO_OK;
  } catch (const Failure& e) {
    last_error = e.what();
    return e.status;
  } catch (const gloo::IoException& e) {
    last_error = e.what();
    return mentions_timeout(last_error) ? BGN_GLOO_TIMEOUT : BGN_GLOO_IO;
  } catch (const gloo::EnforceNotMet& e) {
    last_error = e.what();
    return mentions_timeout(last_error) ? BGN_GLOO_TIMEOUT : BGN_GLOO_ERROR;
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return BGN_GLOO_ERROR;
  } catch (const std::exception& e) {
    last_error = e.what();
    return BGN_GLOO_ERROR;
  } catch (...) {
    last_error = "unknown native exception";
    return BGN_GLOO_ERROR;
  }
}

// Gloo's rendezvous store interface over the caller's callbacks; a failing callback becomes a Failure.
class CallbackStore : public gloo::rendezvous::Store {
 public:
  CallbackStore(const bgn_gloo_store& s, milliseconds timeout) : s_(s), timeout_(timeout) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    char err[1024] = {0};
    check(s_.set(s_.state, key.c_str(), reinterpret_cast<const uint8_t*>(data.data()),
                 static_cast<int64_t>(data.size()), err, sizeof err),
          err);
  }

  std::vector<char> get(const std::string& key) override {
    char err[1024] = {0};
    std::vector<char> value;
    check(s_.get(s_.state, key.c_str(), timeout_.count(), &value, err, sizeof err), err);
    return value;
  }

  void wait(const std::vector<std::string>& keys) override { wait(keys, timeout_); }

  void wait(const std::vector<std::string>& keys, const milliseconds& timeout) override {
    std::vector<const char*> ptrs;
    ptrs.reserve(keys.size());
    for (const auto& k : keys) ptrs.push_back(k.c_str());
    char err[1024] = {0};
    const auto t = timeout.count() > 0 ? timeout : timeout_;
    check(s_.wait(s_.state, ptrs.data(), static_cast<int32_t>(ptrs.size()), t.count(), err, sizeof err), err);
  }

 private:
  static void check(int32_t status, const char* err) {
    if (status == BGN_GLOO_OK) return;
    std::string m(err, strnlen(err, 1024));
    if (m.empty()) m = "rendezvous store failed with status " + std::to_string(status);
    throw Failure(status == BGN_GLOO_ARGUMENT || status == BGN_GLOO_TIMEOUT || status == BGN_GLOO_IO ? status
                                                                                                       : BGN_GLOO_ERROR,
                  m);
  }

  bgn_gloo_store s_;
  milliseconds timeout_;
};

bgn_gloo_context& usable(bgn_gloo_context* c) {
  if (!c || !c->gloo) argument("null or destroyed Gloo context");
  if (!c->broken.empty())
    throw Failure(BGN_GLOO_IO, "the process group failed earlier and is no longer usable (" + c->broken + ")");
  return *c;
}

milliseconds timeout_of(const bgn_gloo_context& c, int64_t timeout_ms) {
  return timeout_ms > 0 ? milliseconds(timeout_ms) : c.gloo->getTimeout();
}

// Runs one collective; a failure marks the context broken before it propagates.
template <typename F>
void collective(bgn_gloo_context& c, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    c.broken = e.what();
    throw;
  }
}

template <typename T>
gloo::AllreduceOptions::Func reduction(int32_t op) {
  switch (op) {
    case BGN_GLOO_SUM:
      return [](void* c, const void* a, const void* b, size_t n) { gloo::sum<T>(c, a, b, n); };
    case BGN_GLOO_MAX:
      return [](void* c, const void* a, const void* b, size_t n) { gloo::max<T>(c, a, b, n); };
    case BGN_GLOO_MIN:
      return [](void* c, const void* a, const void* b, size_t n) { gloo::min<T>(c, a, b, n); };
    default:
      argument("allreduce: unknown reduce op " + std::to_string(op) + " (expected 0 sum, 1 max, 2 min)");
  }
}

template <typename T>
void allreduce_typed(bgn_gloo_context& c, void* buffer, int64_t count, int32_t op, milliseconds timeout) {
  gloo::AllreduceOptions o(c.gloo);
  o.setOutput<T>(static_cast<T*>(buffer), static_cast<size_t>(count));
  o.setReduceFunction(reduction<T>(op));
  o.setTag(c.tag++);
  o.setTimeout(timeout);
  gloo::allreduce(o);
}

}  // namespace

extern "C" {

int32_t bgn_gloo_abi_version(void) { return BGN_GLOO_ABI_VERSION; }

const char* bgn_gloo_last_error(void) { return last_error.c_str(); }

int32_t bgn_gloo_sink_put(void* sink, const uint8_t* data, int64_t nbytes) {
  return guard([&] {
    if (!sink) argument("null sink");
    if (nbytes < 0 || (nbytes > 0 && !data)) argument("invalid value buffer");
    auto& v = *static_cast<std::vector<char>*>(sink);
    v.assign(reinterpret_cast<const char*>(data), reinterpret_cast<const char*>(data) + nbytes);
  });
}

int32_t bgn_gloo_connect(const bgn_gloo_store* store, const char* hostname, const char* iface, int32_t rank,
                         int32_t size, int64_t timeout_ms, bgn_gloo_context** out) {
  return guard([&] {
    if (!out) argument("null output pointer");
    *out = nullptr;
    if (!store || !store->set || !store->get || !store->wait) argument("incomplete rendezvous store callbacks");
    if (size < 1) argument("world size must be at least 1, got " + std::to_string(size));
    if (rank < 0 || rank >= size)
      argument("rank must be in 0.." + std::to_string(size - 1) + ", got " + std::to_string(rank));
    if (timeout_ms <= 0) argument("timeout must be positive");
    gloo::transport::tcp::attr attr;
    if (iface && *iface)
      attr.iface = iface;
    else if (hostname && *hostname)
      attr.hostname = hostname;
    else
      argument("give a hostname or a network interface for this rank's Gloo address");
    auto device = gloo::transport::tcp::CreateDevice(attr);
    auto ctx = std::make_unique<bgn_gloo_context>();
    ctx->rank = rank;
    ctx->size = size;
    ctx->gloo = std::make_shared<gloo::rendezvous::Context>(rank, size);
    ctx->gloo->setTimeout(milliseconds(timeout_ms));
    CallbackStore s(*store, milliseconds(timeout_ms));
    ctx->gloo->connectFullMesh(s, device);
    *out = ctx.release();
  });
}

void bgn_gloo_destroy(bgn_gloo_context* ctx) {
  try {
    delete ctx;
  } catch (...) {
  }
}

int32_t bgn_gloo_allreduce(bgn_gloo_context* ctx, void* const* buffers, const int64_t* counts, int32_t nbuffers,
                           int32_t dtype, int32_t op, int64_t timeout_ms) {
  return guard([&] {
    auto& c = usable(ctx);
    if (nbuffers < 0 || (nbuffers > 0 && (!buffers || !counts))) argument("allreduce: invalid buffer list");
    for (int32_t i = 0; i < nbuffers; ++i)
      if (counts[i] < 0 || (counts[i] > 0 && !buffers[i]))
        argument("allreduce: buffer " + std::to_string(i) + " is null or has a negative count");
    if (op < BGN_GLOO_SUM || op > BGN_GLOO_MIN) argument("allreduce: unknown reduce op " + std::to_string(op));
    const auto timeout = timeout_of(c, timeout_ms);
    for (int32_t i = 0; i < nbuffers; ++i) {
      if (counts[i] == 0 || c.size == 1) continue;
      collective(c, [&] {
        switch (dtype) {
          case BGN_GLOO_FLOAT32: allreduce_typed<float>(c, buffers[i], counts[i], op, timeout); break;
          case BGN_GLOO_FLOAT64: allreduce_typed<double>(c, buffers[i], counts[i], op, timeout); break;
          case BGN_GLOO_FLOAT16: allreduce_typed<gloo::float16>(c, buffers[i], counts[i], op, timeout); break;
          case BGN_GLOO_INT32: allreduce_typed<int32_t>(c, buffers[i], counts[i], op, timeout); break;
          case BGN_GLOO_INT64: allreduce_typed<int64_t>(c, buffers[i], counts[i], op, timeout); break;
          case BGN_GLOO_UINT8: allreduce_typed<uint8_t>(c, buffers[i], counts[i], op, timeout); break;
          default: argument("allreduce: unsupported element type code " + std::to_string(dtype));
        }
      });
    }
  });
}

int32_t bgn_gloo_broadcast(bgn_gloo_context* ctx, void* buffer, int64_t nbytes, int32_t root, int64_t timeout_ms) {
  return guard([&] {
    auto& c = usable(ctx);
    if (nbytes < 0 || (nbytes > 0 && !buffer)) argument("broadcast: invalid buffer");
    if (root < 0 || root >= c.size)
      argument("broadcast: root rank must be in 0.." + std::to_string(c.size - 1) + ", got " + std::to_string(root));
    if (nbytes == 0 || c.size == 1) return;
    const auto timeout = timeout_of(c, timeout_ms);
    collective(c, [&] {
      gloo::BroadcastOptions o(c.gloo);
      o.setOutput<uint8_t>(static_cast<uint8_t*>(buffer), static_cast<size_t>(nbytes));
      o.setRoot(root);
      o.setTag(c.tag++);
      o.setTimeout(timeout);
      gloo::broadcast(o);
    });
  });
}

int32_t bgn_gloo_barrier(bgn_gloo_context* ctx, int64_t timeout_ms) {
  return guard([&] {
    auto& c = usable(ctx);
    if (c.size == 1) return;
    const auto timeout = timeout_of(c, timeout_ms);
    collective(c, [&] {
      gloo::BarrierOptions o(c.gloo);
      o.setTag(c.tag++);
      o.setTimeout(timeout);
      gloo::barrier(o);
    });
  });
}

}  // extern "C"
