/* biggan_gloo: a minimal C ABI over Gloo (CPU collectives on raw buffers) for BigGan.Training.Distributed.
 *
 * Every function that can fail returns a status (BGN_GLOO_OK or an error code) and never lets a C++ exception
 * cross the boundary; the message of the last failure on the calling thread is bgn_gloo_last_error().
 * The rendezvous store is the caller's: Gloo's connection setup calls back into the three functions of
 * bgn_gloo_store (on the thread that called bgn_gloo_connect, only during that call). */
#ifndef BIGGAN_GLOO_H
#define BIGGAN_GLOO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden visibility; only these declarations are exported. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define BGN_GLOO_ABI_VERSION 1

/* Status codes. */
#define BGN_GLOO_OK 0
#define BGN_GLOO_ARGUMENT 1 /* bad argument: nothing was communicated */
#define BGN_GLOO_TIMEOUT 2  /* an operation did not complete within its timeout */
#define BGN_GLOO_IO 3       /* a connection failed (a peer died, a socket error) */
#define BGN_GLOO_ERROR 4    /* anything else */

/* Element types of allreduce. */
#define BGN_GLOO_FLOAT32 0
#define BGN_GLOO_FLOAT64 1
#define BGN_GLOO_FLOAT16 2
#define BGN_GLOO_INT32 3
#define BGN_GLOO_INT64 4
#define BGN_GLOO_UINT8 5

/* Reductions of allreduce. */
#define BGN_GLOO_SUM 0
#define BGN_GLOO_MAX 1
#define BGN_GLOO_MIN 2

/* A key-value store implemented by the caller. Each callback returns a status; on failure it writes a
 * NUL-terminated UTF-8 message of at most err_size bytes into err. get blocks until the key exists (at most
 * timeout_ms) and hands the value over with bgn_gloo_sink_put(sink, ...); wait blocks until all keys exist. */
typedef struct bgn_gloo_store {
  void* state;
  int32_t (*set)(void* state, const char* key, const uint8_t* data, int64_t nbytes, char* err, int32_t err_size);
  int32_t (*get)(void* state, const char* key, int64_t timeout_ms, void* sink, char* err, int32_t err_size);
  int32_t (*wait)(void* state, const char* const* keys, int32_t nkeys, int64_t timeout_ms, char* err,
                  int32_t err_size);
} bgn_gloo_store;

typedef struct bgn_gloo_context bgn_gloo_context;

int32_t bgn_gloo_abi_version(void);

/* The message of the last failure on this thread (valid until the next call on this thread). */
const char* bgn_gloo_last_error(void);

/* Called by a store's get callback to return the value. */
int32_t bgn_gloo_sink_put(void* sink, const uint8_t* data, int64_t nbytes);

/* Connects rank (0..size-1) to every other rank over TCP (a full mesh), exchanging addresses through store.
 * The local address: iface (a network interface name) when not empty, else hostname (a name or IP). */
int32_t bgn_gloo_connect(const bgn_gloo_store* store, const char* hostname, const char* iface, int32_t rank,
                         int32_t size, int64_t timeout_ms, bgn_gloo_context** out);

void bgn_gloo_destroy(bgn_gloo_context* ctx);

/* Reduces each of the nbuffers buffers (counts[i] elements of dtype) in place across all ranks, one after the
 * other. Every rank must pass the same counts, dtype and op. */
int32_t bgn_gloo_allreduce(bgn_gloo_context* ctx, void* const* buffers, const int64_t* counts, int32_t nbuffers,
                           int32_t dtype, int32_t op, int64_t timeout_ms);

/* Overwrites nbytes at buffer on every rank with root's. */
int32_t bgn_gloo_broadcast(bgn_gloo_context* ctx, void* buffer, int64_t nbytes, int32_t root, int64_t timeout_ms);

/* Returns when every rank has entered the barrier. */
int32_t bgn_gloo_barrier(bgn_gloo_context* ctx, int64_t timeout_ms);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
