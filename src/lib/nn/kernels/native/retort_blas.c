/*
 * retort_blas: float32 matrix products for tfjs's cpu backend through the system's CBLAS
 * (OpenBLAS on Debian), as a Node-API addon. The JavaScript side (../blas-backend.ts) owns the
 * shapes and broadcasting; this file only multiplies typed arrays it is handed.
 *
 *   gemmBatch(a, b, c, batch, strideA, strideB, m, n, k, transA, transB)
 *     for i in [0, batch): C_i[m, n] = op(A_i) op(B_i), A_i = a + i*strideA, B_i = b + i*strideB,
 *     C_i = c + i*m*n; op(X) = X or Xᵀ. A stride of 0 broadcasts one matrix over the batch.
 *   setThreads(n), threads(), config()
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) {                                         \
      napi_throw_error(env, NULL, "retort_blas: " #call " failed");  \
      return NULL;                                                   \
    }                                                                \
  } while (0)

/* A Float32Array argument: its data pointer and length in elements. */
static int float_array(napi_env env, napi_value v, float **data, size_t *len) {
  napi_typedarray_type type;
  void *raw;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, len, &raw, &buffer, &offset) != napi_ok) return 0;
  if (type != napi_float32_array) return 0;
  *data = (float *)raw;
  return 1;
}

static int64_t int_arg(napi_env env, napi_value v) {
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

static napi_value gemm_batch(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11) {
    napi_throw_type_error(env, NULL, "retort_blas.gemmBatch: expected 11 arguments");
    return NULL;
  }
  float *a, *b, *c;
  size_t la, lb, lc;
  if (!float_array(env, argv[0], &a, &la) || !float_array(env, argv[1], &b, &lb) ||
      !float_array(env, argv[2], &c, &lc)) {
    napi_throw_type_error(env, NULL, "retort_blas.gemmBatch: a, b and c must be Float32Arrays");
    return NULL;
  }
  int64_t batch = int_arg(env, argv[3]), sa = int_arg(env, argv[4]), sb = int_arg(env, argv[5]);
  int64_t m = int_arg(env, argv[6]), n = int_arg(env, argv[7]), k = int_arg(env, argv[8]);
  bool ta = false, tb = false;
  napi_get_value_bool(env, argv[9], &ta);
  napi_get_value_bool(env, argv[10], &tb);
  /* Refuse anything that would read or write outside the arrays. */
  if (batch < 0 || m < 0 || n < 0 || k < 0 || sa < 0 || sb < 0 ||
      (batch > 0 && ((size_t)((batch - 1) * sa + m * k) > la || (size_t)((batch - 1) * sb + k * n) > lb ||
                     (size_t)(batch * m * n) > lc))) {
    napi_throw_range_error(env, NULL, "retort_blas.gemmBatch: sizes exceed the arrays");
    return NULL;
  }
  if (m == 0 || n == 0) return NULL;
  if (k == 0) {
    for (int64_t i = 0; i < batch * m * n; i++) c[i] = 0.0f;
    return NULL;
  }
  for (int64_t i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, 1.0f, a + i * sa, ta ? (int)m : (int)k, b + i * sb,
                tb ? (int)k : (int)n, 0.0f, c + i * m * n, (int)n);
  }
  return NULL;
}

static napi_value set_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  openblas_set_num_threads((int)int_arg(env, argv[0]));
  return NULL;
}

static napi_value threads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_string_utf8(env, openblas_get_config(), NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gemmBatch", NULL, gemm_batch, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
