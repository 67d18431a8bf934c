/*
 * retort_blas: float32 matrix products for tfjs's cpu backend through the system's CBLAS
 * (OpenBLAS on Debian), as a Node-API addon. The JavaScript side (../blas-backend.ts) owns the
 * shapes and broadcasting; this file only multiplies typed arrays it is handed.
 *
 *   gemmBatch(a, b, c, batch, strideA, strideB, m, n, k, transA, transB)
 *     for i in [0, batch): C_i[m, n] = op(A_i) op(B_i), A_i = a + i*strideA, B_i = b + i*strideB,
 *     C_i = c + i*m*n; op(X) = X or Xᵀ. A stride of 0 broadcasts one matrix over the batch.
 *   gelu(x, y), geluGrad(dy, x, dx)
 *     y = x·Φ(x) and dx = dy·(Φ(x) + x·φ(x)), elementwise, in double precision with the same
 *     formula as ../ops.ts (Φ by Abramowitz & Stegun 7.1.26 from one exp), so results equal
 *     the JavaScript kernels' up to the last bit of exp; the exp loop is what costs, and C runs
 *     it several times faster than JavaScript.
 *   setThreads(n), threads(), config()
 */
#include <node_api.h>
#include <cblas.h>
#include <stdint.h>
#include <math.h>
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

/* Φ(v) given e = exp(−v²/2): the same formula and constants as phiFromExp in ../ops.ts. */
static double phi_from_exp(double v, double e) {
  double t = 1.0 / (1.0 + 0.3275911 * fabs(v) * 0.70710678118654752440);
  double tail = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * e;
  return v >= 0 ? 1.0 - 0.5 * tail : 0.5 * tail;
}

/* As 1 / Math.sqrt(2 * Math.PI) in ../ops.ts, to the bit. */
#define INV_SQRT_2PI (1.0 / sqrt(2.0 * 3.14159265358979323846))

/* Float32Array arguments of one length; 0 (with a JS error thrown) when they are not. */
static int same_length_arrays(napi_env env, napi_callback_info info, size_t want, float **out, size_t *len) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != want) {
    napi_throw_type_error(env, NULL, "retort_blas: wrong number of arguments");
    return 0;
  }
  for (size_t i = 0; i < want; i++) {
    size_t l;
    if (!float_array(env, argv[i], &out[i], &l) || (i > 0 && l != *len)) {
      napi_throw_type_error(env, NULL, "retort_blas: arguments must be Float32Arrays of one length");
      return 0;
    }
    *len = l;
  }
  return 1;
}

static napi_value gelu(napi_env env, napi_callback_info info) {
  float *a[2];
  size_t n = 0;
  if (!same_length_arrays(env, info, 2, a, &n)) return NULL;
  for (size_t i = 0; i < n; i++) {
    double v = a[0][i];
    a[1][i] = (float)(v * phi_from_exp(v, exp(-0.5 * v * v)));
  }
  return NULL;
}

static napi_value gelu_grad(napi_env env, napi_callback_info info) {
  float *a[3];
  size_t n = 0;
  if (!same_length_arrays(env, info, 3, a, &n)) return NULL;
  for (size_t i = 0; i < n; i++) {
    double v = a[1][i], e = exp(-0.5 * v * v);
    a[2][i] = (float)(a[0][i] * (phi_from_exp(v, e) + v * INV_SQRT_2PI * e));
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
      {"gelu", NULL, gelu, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, gelu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, threads, NULL, NULL, NULL, napi_default, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
