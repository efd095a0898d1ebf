/* bgn.h: the flat C ABI of bgnshim, a thin layer over libtorch (ATen + autograd) for BigGan.Torch.
 *
 * Rules that hold for every function below:
 *  - Every function returning int32_t returns a status (BGN_OK or a BGN_ERR_* code) and never lets a C++
 *    exception escape; on failure bgn_last_error() holds the message until the next call on this thread.
 *  - A handle returned through an out-parameter is a new reference owned by the caller, freed exactly once with
 *    its *_free function. Input handles are borrowed. Freeing null is a no-op. An undefined result (e.g. the grad
 *    of a tensor that has none) comes back as a null handle.
 *  - dtype codes equal c10::ScalarType (uint8 0, int8 1, int16 2, int32 3, int64 4, float16 5, float32 6,
 *    float64 7, bool 11, bfloat16 15); device types equal c10::DeviceType (cpu 0, cuda 1).
 *  - Raw buffers are passed with their size in bytes and checked before any copy.
 */
#ifndef BGN_H
#define BGN_H

#include <stdint.h>

#ifdef __cplusplus
#define BGN_NOEXCEPT noexcept
extern "C" {
#else
#define BGN_NOEXCEPT
#endif

#define BGN_API __attribute__((visibility("default")))
#define BGN_ABI_VERSION 1

enum bgn_status {
  BGN_OK = 0,
  BGN_ERR_TORCH = 1,    /* c10::Error from libtorch */
  BGN_ERR_STD = 2,      /* another std::exception */
  BGN_ERR_UNKNOWN = 3,  /* anything else */
  BGN_ERR_ARGUMENT = 4, /* rejected by the shim before reaching libtorch */
  BGN_ERR_OOM = 5
};

typedef struct bgn_tensor bgn_tensor;
typedef struct bgn_generator bgn_generator;

/* ---- library ---- */
BGN_API int32_t bgn_abi_version(void) BGN_NOEXCEPT;
BGN_API const char* bgn_torch_version(void) BGN_NOEXCEPT;
BGN_API const char* bgn_last_error(void) BGN_NOEXCEPT;
BGN_API int64_t bgn_live_tensors(void) BGN_NOEXCEPT;
BGN_API int32_t bgn_set_num_threads(int32_t n) BGN_NOEXCEPT;
BGN_API int32_t bgn_get_num_threads(void) BGN_NOEXCEPT;
BGN_API int32_t bgn_cuda_is_available(void) BGN_NOEXCEPT;
BGN_API int32_t bgn_cuda_device_count(void) BGN_NOEXCEPT;
BGN_API int32_t bgn_manual_seed(uint64_t seed) BGN_NOEXCEPT;

/* ---- generators (null means libtorch's default CPU generator) ---- */
BGN_API int32_t bgn_generator_create(uint64_t seed, bgn_generator** out) BGN_NOEXCEPT;
BGN_API void bgn_generator_free(bgn_generator* g) BGN_NOEXCEPT;
BGN_API int32_t bgn_generator_manual_seed(bgn_generator* g, uint64_t seed) BGN_NOEXCEPT;
BGN_API int32_t bgn_generator_get_state(bgn_generator* g, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_generator_set_state(bgn_generator* g, const bgn_tensor* state) BGN_NOEXCEPT;

/* ---- tensor handles, metadata and data ---- */
BGN_API void bgn_tensor_free(bgn_tensor* t) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_alias(const bgn_tensor* t, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_ndim(const bgn_tensor* t, int32_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_sizes(const bgn_tensor* t, int64_t* buf, int32_t capacity) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_dtype(const bgn_tensor* t, int32_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_device(const bgn_tensor* t, int32_t* type, int32_t* index) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_numel(const bgn_tensor* t, int64_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_is_contiguous(const bgn_tensor* t, int32_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_from_data(const void* data, int64_t nbytes, const int64_t* sizes, int32_t ndim,
                                     int32_t dtype, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_copy_to(const bgn_tensor* t, void* dst, int64_t nbytes) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_item_double(const bgn_tensor* t, double* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_item_int64(const bgn_tensor* t, int64_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_to(const bgn_tensor* t, int32_t dtype, int32_t device_type, int32_t device_index,
                              int32_t copy, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_clone(const bgn_tensor* t, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_contiguous(const bgn_tensor* t, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_set_data(bgn_tensor* t, const bgn_tensor* src) BGN_NOEXCEPT;

/* ---- factories ---- */
enum bgn_fill { BGN_FILL_ZEROS = 0, BGN_FILL_ONES = 1, BGN_FILL_EMPTY = 2, BGN_FILL_RAND = 3, BGN_FILL_RANDN = 4 };
BGN_API int32_t bgn_factory(int32_t kind, const int64_t* sizes, int32_t ndim, int32_t dtype, int32_t device_type,
                            int32_t device_index, int32_t requires_grad, bgn_generator* g,
                            bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_full(const int64_t* sizes, int32_t ndim, double value, int32_t dtype, int32_t device_type,
                         int32_t device_index, int32_t requires_grad, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_arange(double start, double end, double step, int32_t dtype, int32_t device_type,
                           int32_t device_index, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_eye(int64_t n, int64_t m, int32_t dtype, int32_t device_type, int32_t device_index,
                        bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_randint(int64_t low, int64_t high, const int64_t* sizes, int32_t ndim, int32_t dtype,
                            int32_t device_type, int32_t device_index, bgn_generator* g,
                            bgn_tensor** out) BGN_NOEXCEPT;

/* ---- elementwise and linear algebra ---- */
enum bgn_unary_op {
  BGN_NEG = 0, BGN_EXP, BGN_LOG, BGN_SQRT, BGN_RSQRT, BGN_ABS, BGN_RELU, BGN_TANH, BGN_SIGMOID, BGN_SIGN,
  BGN_FLOOR, BGN_CEIL, BGN_ROUND, BGN_SQUARE, BGN_RECIPROCAL, BGN_ISNAN, BGN_ISFINITE, BGN_LOGICAL_NOT,
  BGN_SIN, BGN_COS, BGN_LOG1P, BGN_EXPM1
};
BGN_API int32_t bgn_unary(int32_t op, const bgn_tensor* a, bgn_tensor** out) BGN_NOEXCEPT;
/* In place: NEG, EXP, LOG, SQRT, RSQRT, ABS, RELU, TANH, SIGMOID, FLOOR, CEIL, ROUND, SQUARE, RECIPROCAL. */
BGN_API int32_t bgn_unary_(int32_t op, bgn_tensor* a) BGN_NOEXCEPT;

enum bgn_binary_op {
  BGN_ADD = 0, BGN_SUB, BGN_MUL, BGN_DIV, BGN_POW, BGN_EQ, BGN_NE, BGN_LT, BGN_LE, BGN_GT, BGN_GE,
  BGN_MAXIMUM, BGN_MINIMUM, BGN_MATMUL, BGN_MM, BGN_BMM, BGN_LOGICAL_AND, BGN_LOGICAL_OR, BGN_REMAINDER,
  BGN_RSUB, BGN_RDIV, BGN_COPY, BGN_FILL
};
/* alpha scales b for ADD and SUB (a + alpha*b). */
BGN_API int32_t bgn_binary(int32_t op, const bgn_tensor* a, const bgn_tensor* b, double alpha,
                           bgn_tensor** out) BGN_NOEXCEPT;
/* Tensor op scalar; RSUB is s - a, RDIV is s / a. */
BGN_API int32_t bgn_binary_scalar(int32_t op, const bgn_tensor* a, double s, bgn_tensor** out) BGN_NOEXCEPT;
/* In place on a: ADD, SUB, MUL, DIV, COPY (a.copy_(b)). */
BGN_API int32_t bgn_binary_(int32_t op, bgn_tensor* a, const bgn_tensor* b, double alpha) BGN_NOEXCEPT;
/* In place on a: ADD, SUB, MUL, DIV, POW, FILL. */
BGN_API int32_t bgn_binary_scalar_(int32_t op, bgn_tensor* a, double s) BGN_NOEXCEPT;
BGN_API int32_t bgn_addcmul_(bgn_tensor* a, const bgn_tensor* t1, const bgn_tensor* t2, double value) BGN_NOEXCEPT;
BGN_API int32_t bgn_addcdiv_(bgn_tensor* a, const bgn_tensor* t1, const bgn_tensor* t2, double value) BGN_NOEXCEPT;
BGN_API int32_t bgn_lerp_(bgn_tensor* a, const bgn_tensor* end, double weight) BGN_NOEXCEPT;
BGN_API int32_t bgn_normal_(bgn_tensor* a, double mean, double std, bgn_generator* g) BGN_NOEXCEPT;
BGN_API int32_t bgn_uniform_(bgn_tensor* a, double from, double to, bgn_generator* g) BGN_NOEXCEPT;
BGN_API int32_t bgn_clamp(const bgn_tensor* a, int32_t has_min, double min, int32_t has_max, double max,
                          int32_t in_place, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_softplus(const bgn_tensor* a, double beta, double threshold, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_where(const bgn_tensor* cond, const bgn_tensor* a, const bgn_tensor* b,
                          bgn_tensor** out) BGN_NOEXCEPT;

/* ---- reductions (ndim 0 reduces over all dimensions) ---- */
enum bgn_reduce_op { BGN_SUM = 0, BGN_MEAN, BGN_AMAX, BGN_AMIN, BGN_PROD, BGN_LOGSUMEXP, BGN_ANY, BGN_ALL };
BGN_API int32_t bgn_reduce(int32_t op, const bgn_tensor* a, const int64_t* dims, int32_t ndim, int32_t keepdim,
                           bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_var(const bgn_tensor* a, const int64_t* dims, int32_t ndim, int64_t correction, int32_t keepdim,
                        int32_t take_sqrt, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_norm(const bgn_tensor* a, double p, const int64_t* dims, int32_t ndim, int32_t keepdim,
                         bgn_tensor** out) BGN_NOEXCEPT;
/* Values and indices of the max (is_max=1) or min along dim. */
BGN_API int32_t bgn_max_dim(const bgn_tensor* a, int32_t is_max, int64_t dim, int32_t keepdim, bgn_tensor** values,
                            bgn_tensor** indices) BGN_NOEXCEPT;
BGN_API int32_t bgn_argmax(const bgn_tensor* a, int32_t is_max, int32_t has_dim, int64_t dim, int32_t keepdim,
                           bgn_tensor** out) BGN_NOEXCEPT;

/* ---- shape and indexing ---- */
BGN_API int32_t bgn_reshape(const bgn_tensor* a, const int64_t* sizes, int32_t ndim, int32_t is_view,
                            bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_flatten(const bgn_tensor* a, int64_t start, int64_t end, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_squeeze(const bgn_tensor* a, int32_t has_dim, int64_t dim, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_unsqueeze(const bgn_tensor* a, int64_t dim, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_expand(const bgn_tensor* a, const int64_t* sizes, int32_t ndim, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_repeat(const bgn_tensor* a, const int64_t* repeats, int32_t ndim, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_permute(const bgn_tensor* a, const int64_t* dims, int32_t ndim, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_flip(const bgn_tensor* a, const int64_t* dims, int32_t ndim, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_transpose(const bgn_tensor* a, int64_t d0, int64_t d1, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_cat(const bgn_tensor* const* ts, int32_t n, int64_t dim, int32_t stack,
                        bgn_tensor** out) BGN_NOEXCEPT;
/* Splits into chunks (chunks > 0) or pieces of the given sizes; writes at most capacity handles and the count. */
BGN_API int32_t bgn_split(const bgn_tensor* a, int64_t chunks, const int64_t* sizes, int32_t nsizes, int64_t dim,
                          bgn_tensor** outs, int32_t capacity, int32_t* count) BGN_NOEXCEPT;
BGN_API int32_t bgn_slice(const bgn_tensor* a, int64_t dim, int64_t start, int64_t end, int64_t step,
                          bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_narrow(const bgn_tensor* a, int64_t dim, int64_t start, int64_t length,
                           bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_select(const bgn_tensor* a, int64_t dim, int64_t index, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_index_select(const bgn_tensor* a, int64_t dim, const bgn_tensor* index,
                                 bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_gather(const bgn_tensor* a, int64_t dim, const bgn_tensor* index, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_one_hot(const bgn_tensor* a, int64_t num_classes, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_masked_fill(const bgn_tensor* a, const bgn_tensor* mask, double value,
                                bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_diagonal(const bgn_tensor* a, int64_t offset, bgn_tensor** out) BGN_NOEXCEPT;

/* ---- neural-network functions ---- */
BGN_API int32_t bgn_linear(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b,
                           bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_conv2d(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b, const int64_t* stride,
                           const int64_t* padding, const int64_t* dilation, int64_t groups,
                           bgn_tensor** out) BGN_NOEXCEPT;
/* running_mean/var are updated in place when training; any of the four optional tensors may be null. */
BGN_API int32_t bgn_batch_norm(const bgn_tensor* x, bgn_tensor* running_mean, bgn_tensor* running_var,
                               const bgn_tensor* weight, const bgn_tensor* bias, int32_t training, double momentum,
                               double eps, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_embedding(const bgn_tensor* weight, const bgn_tensor* indices, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_pool2d(const bgn_tensor* x, int32_t is_max, const int64_t* kernel, const int64_t* stride,
                           const int64_t* padding, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_upsample_nearest2d(const bgn_tensor* x, int64_t out_h, int64_t out_w,
                                       bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_softmax(const bgn_tensor* x, int64_t dim, int32_t log, bgn_tensor** out) BGN_NOEXCEPT;
/* reduction: 0 none, 1 mean, 2 sum (as at::Reduction). */
BGN_API int32_t bgn_cross_entropy(const bgn_tensor* logits, const bgn_tensor* target, int32_t reduction,
                                  double label_smoothing, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_init_orthogonal_(bgn_tensor* t, double gain, bgn_generator* g) BGN_NOEXCEPT;

/* ---- autograd ---- */
BGN_API int32_t bgn_requires_grad(const bgn_tensor* t, int32_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_set_requires_grad(bgn_tensor* t, int32_t value) BGN_NOEXCEPT;
BGN_API int32_t bgn_is_leaf(const bgn_tensor* t, int32_t* out) BGN_NOEXCEPT;
BGN_API int32_t bgn_grad(const bgn_tensor* t, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_set_grad(bgn_tensor* t, const bgn_tensor* grad) BGN_NOEXCEPT;
BGN_API int32_t bgn_detach(const bgn_tensor* t, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_backward(const bgn_tensor* t, const bgn_tensor* grad, int32_t retain_graph,
                             int32_t create_graph) BGN_NOEXCEPT;
BGN_API int32_t bgn_autograd_grad(const bgn_tensor* const* outputs, int32_t noutputs, const bgn_tensor* const* inputs,
                                  int32_t ninputs, const bgn_tensor* const* grad_outputs, int32_t retain_graph,
                                  int32_t create_graph, bgn_tensor** results) BGN_NOEXCEPT;
BGN_API int32_t bgn_is_grad_enabled(void) BGN_NOEXCEPT;
/* Returns the previous state. */
BGN_API int32_t bgn_set_grad_enabled(int32_t enabled) BGN_NOEXCEPT;
BGN_API int32_t bgn_is_inference_mode_enabled(void) BGN_NOEXCEPT;
/* Inference mode is a scoped guard in libtorch: enter returns an opaque token that exit must get back, on the
 * same thread, in LIFO order. */
BGN_API int32_t bgn_inference_mode_enter(int32_t enabled, void** token) BGN_NOEXCEPT;
BGN_API int32_t bgn_inference_mode_exit(void* token) BGN_NOEXCEPT;

/* ---- images (OpenCV) ---- */
/* Decodes PNG/JPEG/BMP/WebP bytes to a uint8 CHW tensor; channels 0 keeps the file's (gray 1 or RGB 3), 1 forces
 * gray, 3 forces RGB. */
BGN_API int32_t bgn_image_decode(const uint8_t* data, int64_t nbytes, int32_t channels, bgn_tensor** out) BGN_NOEXCEPT;
/* Encodes a uint8 CHW tensor (1 or 3 channels) as PNG; the bytes come back as a 1-d uint8 tensor. */
BGN_API int32_t bgn_image_encode_png(const bgn_tensor* img, bgn_tensor** out) BGN_NOEXCEPT;
/* Resizes a uint8 or float32 CHW tensor; interpolation 0 nearest, 1 bilinear, 2 area. */
BGN_API int32_t bgn_image_resize(const bgn_tensor* img, int64_t height, int64_t width, int32_t interpolation,
                                 bgn_tensor** out) BGN_NOEXCEPT;

/* ---- benchmarking aid: libtorch's own cost of a + b, timed inside the shim ---- */
BGN_API int32_t bgn_bench_native_add(const bgn_tensor* a, const bgn_tensor* b, int64_t iterations,
                                     double* seconds) BGN_NOEXCEPT;

/* ---- linear algebra (evaluation: FID's matrix square roots) ---- */
/* Eigen-decomposition of a symmetric (Hermitian) matrix [n, n] of float32/float64, reading its lower triangle:
 * eigenvalues [n] in ascending order and, when compute_vectors is non-zero, the eigenvectors as the columns of
 * [n, n] (else *eigenvectors is set to null). LAPACK syevd through libtorch. Non-finite input is rejected. */
BGN_API int32_t bgn_linalg_eigh(const bgn_tensor* a, int32_t compute_vectors, bgn_tensor** eigenvalues,
                                bgn_tensor** eigenvectors) BGN_NOEXCEPT;

/* ---- distributed (c10d): rendezvous, process groups, collectives, cross-replica batch norm ----
 * Collectives block until done and take a timeout in milliseconds (<= 0: the group's own timeout). A timeout, a
 * dead peer or a Gloo error comes back as an error status, never a hang or an abort; after one, the group is not
 * usable any more (free it and exit). Every rank must issue the same collectives in the same order. */
typedef struct bgn_store bgn_store;
typedef struct bgn_process_group bgn_process_group;
enum bgn_dist_backend { BGN_DIST_GLOO = 0, BGN_DIST_NCCL = 1 };
enum bgn_dist_reduce { BGN_DIST_SUM = 0, BGN_DIST_AVG = 1 };
/* 1 when this build can create process groups of that backend (NCCL only in CUDA builds), else 0. */
BGN_API int32_t bgn_dist_backend_available(int32_t backend) BGN_NOEXCEPT;
/* TCPStore rendezvous at host:port. The master (is_master=1) listens there and waits until world_size processes
 * (itself included) joined; the others connect (retrying) and join. Fails after timeout_ms. */
BGN_API int32_t bgn_dist_store_create(const char* host, int32_t port, int32_t world_size, int32_t is_master,
                                      int64_t timeout_ms, bgn_store** out) BGN_NOEXCEPT;
BGN_API void bgn_dist_store_free(bgn_store* s) BGN_NOEXCEPT;
BGN_API int32_t bgn_dist_store_set(bgn_store* s, const char* key, const uint8_t* value, int64_t nbytes) BGN_NOEXCEPT;
/* Waits (at most the store's timeout) until key is set; the value comes back as a 1-d uint8 tensor. */
BGN_API int32_t bgn_dist_store_get(bgn_store* s, const char* key, bgn_tensor** out) BGN_NOEXCEPT;
/* A process group over the store (which the group keeps alive; the store handle may be freed afterwards).
 * check_collectives=1 makes every collective first agree across ranks on its signature (dtypes, sizes, root, op:
 * one tiny extra allreduce), so mismatched calls fail on every rank with a clear error instead of Gloo aborting. */
BGN_API int32_t bgn_dist_pg_create(bgn_store* store, int32_t backend, int32_t rank, int32_t world_size,
                                   int64_t timeout_ms, int32_t check_collectives,
                                   bgn_process_group** out) BGN_NOEXCEPT;
BGN_API void bgn_dist_pg_free(bgn_process_group* g) BGN_NOEXCEPT;
/* In place on t; AVG (floating tensors only) is a sum divided by the world size. */
BGN_API int32_t bgn_dist_all_reduce(bgn_process_group* g, bgn_tensor* t, int32_t op, int64_t timeout_ms) BGN_NOEXCEPT;
/* In place on every tensor: flattened into one buffer per bucket of at most bucket_bytes (per dtype and device,
 * in list order; a larger tensor gets a bucket of its own), reduced, copied back. */
BGN_API int32_t bgn_dist_all_reduce_coalesced(bgn_process_group* g, bgn_tensor* const* ts, int32_t n, int32_t op,
                                              int64_t bucket_bytes, int64_t timeout_ms) BGN_NOEXCEPT;
BGN_API int32_t bgn_dist_broadcast(bgn_process_group* g, bgn_tensor* t, int32_t src, int64_t timeout_ms) BGN_NOEXCEPT;
/* Broadcasts every tensor from rank src, bucketed like bgn_dist_all_reduce_coalesced (e.g. parameters at start). */
BGN_API int32_t bgn_dist_broadcast_coalesced(bgn_process_group* g, bgn_tensor* const* ts, int32_t n, int32_t src,
                                             int64_t bucket_bytes, int64_t timeout_ms) BGN_NOEXCEPT;
BGN_API int32_t bgn_dist_barrier(bgn_process_group* g, int64_t timeout_ms) BGN_NOEXCEPT;
/* Batch norm whose training statistics are those of the global batch across the group (running stats updated
 * with the global unbiased variance); differentiable, its backward allreduces too. Eval mode uses the running
 * statistics and no communication (g may then be null). Optional tensors may be null. */
BGN_API int32_t bgn_sync_batch_norm(const bgn_tensor* x, bgn_tensor* running_mean, bgn_tensor* running_var,
                                    const bgn_tensor* weight, const bgn_tensor* bias, int32_t training,
                                    double momentum, double eps, bgn_process_group* g, int64_t timeout_ms,
                                    bgn_tensor** out) BGN_NOEXCEPT;

/* ---- memory format ---- */
/* 0: contiguous (NCHW), 1: channels last (NHWC strides for a 4-d tensor; oneDNN's fast CPU layout). */
BGN_API int32_t bgn_tensor_contiguous_format(const bgn_tensor* t, int32_t format, bgn_tensor** out) BGN_NOEXCEPT;
BGN_API int32_t bgn_tensor_is_contiguous_format(const bgn_tensor* t, int32_t format, int32_t* out) BGN_NOEXCEPT;
/* zeros/ones/empty/rand/randn (bgn_fill kinds) shaped like t, keeping its dtype, device and memory format. */
BGN_API int32_t bgn_factory_like(int32_t kind, const bgn_tensor* t, bgn_generator* g, bgn_tensor** out) BGN_NOEXCEPT;
/* ---- BigGAN model: exact, cheaper forms of two conv patterns (differentiable) ---- */
/* conv2d(upsample_nearest_2x(x), w, b, padding 1) for a [out, in, 3, 3] weight, as four 2x2 phase convs. */
BGN_API int32_t bgn_model_upsample_conv3x3(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b,
                                           bgn_tensor** out) BGN_NOEXCEPT;
/* avg_pool2d(conv2d(x, w, b, padding 1), 2) for a [out, in, 3, 3] weight, as one stride-2 4x4 conv. */
BGN_API int32_t bgn_model_conv3x3_avgpool(const bgn_tensor* x, const bgn_tensor* w, const bgn_tensor* b,
                                          bgn_tensor** out) BGN_NOEXCEPT;

/* ---- sampling: single-pass steps of the eval-mode generator forward (no autograd) ---- */
/* relu(x * scale + shift) for x float32 [N, C, H, W] and per-sample, per-channel scale and shift float32 [N, C];
 * channels-last x gives a channels-last result. */
BGN_API int32_t bgn_sampling_scale_shift_relu(const bgn_tensor* x, const bgn_tensor* scale, const bgn_tensor* shift,
                                              bgn_tensor** out) BGN_NOEXCEPT;
/* y float32 [N, 4C, H+1, W+1]: the four phases of conv3x3(upsample2x(x)) as one 2x2 conv (padding 1) gives them,
 * phase (a, b) in channels (2a+b)C.. and window (a, b); returns relu(phase * scale + shift) interleaved into a
 * channels-last [N, C, 2H, 2W] tensor (scale, shift float32 [N, C]). */
BGN_API int32_t bgn_sampling_phase_scale_shift_relu(const bgn_tensor* y, const bgn_tensor* scale, const bgn_tensor* shift,
                                                    bgn_tensor** out) BGN_NOEXCEPT;

#ifdef __cplusplus
}
#endif
#endif
