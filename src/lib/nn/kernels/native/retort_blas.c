/*
 * retort_blas: float32 matrix products for tfjs's cpu backend through the system's CBLAS
 * (OpenBLAS on Debian), as a Node-API addon, and a few loops of a training step that C runs faster
 * than JavaScript. The JavaScript side (../gemm-plan.ts, ../ops.ts) owns the shapes and
 * broadcasting; this file only computes on the typed arrays it is handed.
 *
 *   gemmBatch(a, b, c, batch, strideA, strideB, m, n, k, transA, transB)
 *     for i in [0, batch): C_i[m, n] = op(A_i) op(B_i), A_i = a + i*strideA, B_i = b + i*strideB,
 *     C_i = c + i*m*n; op(X) = X or Xᵀ. A stride of 0 broadcasts one matrix over the batch.
 *   gemmBatchBias(a, b, c, bias, batch, strideA, strideB, m, n, k, transA, transB)
 *     the same plus bias[n] on every row of C: the bias is written into C first and sgemm
 *     accumulates onto it (beta = 1), so the epilogue costs no extra pass over C.
 *   columnSums(x, out, n)
 *     out[j] += Σ_i x[i*n + j] for x of rows × n: the gradient of a bias added to every row.
 *   adamw(p, g, m, v, pOut, mOut, vOut, beta1, beta2, eps, decay, stepSize, bc2Sqrt)
 *     one AdamW step, in double precision in the order of ../ops.ts, so the results equal the
 *     JavaScript kernel's bit for bit (no FMA contraction in ISO C mode).
 *   layerNorm(x, gamma, beta, y, d, eps), layerNormGrad(dy, x, gamma, dx, dgamma, dbeta, d, eps)
 *     layer normalisation over rows of d and its gradient, the loops of ../ops.ts in the same
 *     order and precision (double sums, float32 stores), so the results are the same bits.
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
#include <stdlib.h>

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

/* The shape arguments of gemmBatch from argv[first]: batch, strideA, strideB, m, n, k, transA, transB. */
typedef struct {
  int64_t batch, sa, sb, m, n, k;
  bool ta, tb;
} gemm_shape;

static gemm_shape gemm_shape_from(napi_env env, napi_value *argv) {
  gemm_shape g = {int_arg(env, argv[0]), int_arg(env, argv[1]), int_arg(env, argv[2]),
                  int_arg(env, argv[3]), int_arg(env, argv[4]), int_arg(env, argv[5]), false, false};
  napi_get_value_bool(env, argv[6], &g.ta);
  napi_get_value_bool(env, argv[7], &g.tb);
  return g;
}

/* True when the products stay inside the arrays; throws a RangeError and returns 0 otherwise. */
static int gemm_fits(napi_env env, const gemm_shape *g, size_t la, size_t lb, size_t lc) {
  if (g->batch < 0 || g->m < 0 || g->n < 0 || g->k < 0 || g->sa < 0 || g->sb < 0 ||
      (g->batch > 0 && ((size_t)((g->batch - 1) * g->sa + g->m * g->k) > la ||
                        (size_t)((g->batch - 1) * g->sb + g->k * g->n) > lb || (size_t)(g->batch * g->m * g->n) > lc))) {
    napi_throw_range_error(env, NULL, "retort_blas.gemmBatch: sizes exceed the arrays");
    return 0;
  }
  return 1;
}

/* C_i = op(A_i) op(B_i) + beta·C_i for every i (beta 0: C is only written). */
static void gemm_run(const gemm_shape *g, const float *a, const float *b, float *c, float beta) {
  int64_t m = g->m, n = g->n, k = g->k;
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (beta == 0.0f)
      for (int64_t i = 0; i < g->batch * m * n; i++) c[i] = 0.0f;
    return;
  }
  for (int64_t i = 0; i < g->batch; i++) {
    cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans, g->tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, 1.0f, a + i * g->sa, g->ta ? (int)m : (int)k, b + i * g->sb,
                g->tb ? (int)k : (int)n, beta, c + i * m * n, (int)n);
  }
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
  gemm_shape g = gemm_shape_from(env, argv + 3);
  if (!gemm_fits(env, &g, la, lb, lc)) return NULL;
  gemm_run(&g, a, b, c, 0.0f);
  return NULL;
}

static napi_value gemm_batch_bias(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 12) {
    napi_throw_type_error(env, NULL, "retort_blas.gemmBatchBias: expected 12 arguments");
    return NULL;
  }
  float *a, *b, *c, *bias;
  size_t la, lb, lc, lbias;
  if (!float_array(env, argv[0], &a, &la) || !float_array(env, argv[1], &b, &lb) ||
      !float_array(env, argv[2], &c, &lc) || !float_array(env, argv[3], &bias, &lbias)) {
    napi_throw_type_error(env, NULL, "retort_blas.gemmBatchBias: a, b, c and bias must be Float32Arrays");
    return NULL;
  }
  gemm_shape g = gemm_shape_from(env, argv + 4);
  if (!gemm_fits(env, &g, la, lb, lc)) return NULL;
  if ((int64_t)lbias != g.n) {
    napi_throw_range_error(env, NULL, "retort_blas.gemmBatchBias: the bias must have one value per column");
    return NULL;
  }
  int64_t rows = g.batch * g.m;
  for (int64_t r = 0; r < rows; r++) {
    float *row = c + r * g.n;
    for (int64_t j = 0; j < g.n; j++) row[j] = bias[j];
  }
  gemm_run(&g, a, b, c, 1.0f);
  return NULL;
}

static napi_value column_sums(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *x, *out;
  size_t lx, lout;
  if (argc != 3 || !float_array(env, argv[0], &x, &lx) || !float_array(env, argv[1], &out, &lout)) {
    napi_throw_type_error(env, NULL, "retort_blas.columnSums: expected (x: Float32Array, out: Float32Array, n)");
    return NULL;
  }
  int64_t n = int_arg(env, argv[2]);
  if (n <= 0 || (size_t)n != lout || lx % (size_t)n != 0) {
    napi_throw_range_error(env, NULL, "retort_blas.columnSums: x must be rows × n and out n long");
    return NULL;
  }
  /* Row by row, so the inner loop runs over contiguous memory (and vectorises). */
  for (size_t o = 0; o < lx; o += (size_t)n)
    for (int64_t j = 0; j < n; j++) out[j] += x[o + j];
  return NULL;
}

static double double_arg(napi_env env, napi_value v) {
  double out = 0;
  napi_get_value_double(env, v, &out);
  return out;
}

static napi_value adamw(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value argv[13];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *t[7];
  size_t len = 0;
  if (argc != 13) {
    napi_throw_type_error(env, NULL, "retort_blas.adamw: expected 13 arguments");
    return NULL;
  }
  for (int i = 0; i < 7; i++) {
    size_t l;
    if (!float_array(env, argv[i], &t[i], &l) || (i > 0 && l != len)) {
      napi_throw_type_error(env, NULL, "retort_blas.adamw: p, g, m, v and the outputs must be Float32Arrays of one length");
      return NULL;
    }
    len = l;
  }
  const float *p = t[0], *g = t[1], *m = t[2], *v = t[3];
  float *po = t[4], *mo = t[5], *vo = t[6];
  double beta1 = double_arg(env, argv[7]), beta2 = double_arg(env, argv[8]), eps = double_arg(env, argv[9]);
  double decay = double_arg(env, argv[10]), step = double_arg(env, argv[11]), bc2 = double_arg(env, argv[12]);
  double c1 = 1 - beta1, c2 = 1 - beta2;
  for (size_t i = 0; i < len; i++) {
    double gi = g[i];
    double mi = beta1 * m[i] + c1 * gi;
    double vi = beta2 * v[i] + c2 * gi * gi;
    mo[i] = (float)mi;
    vo[i] = (float)vi;
    po[i] = (float)(p[i] * decay - step * (mi / (sqrt(vi) / bc2 + eps)));
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

/* Float32Array arguments argv[0..count) into out[], lengths into len[]; 0 (a TypeError thrown) if one is not. */
static int float_arrays(napi_env env, napi_value *argv, int count, float **out, size_t *len, const char *what) {
  for (int i = 0; i < count; i++) {
    if (!float_array(env, argv[i], &out[i], &len[i])) {
      napi_throw_type_error(env, NULL, what);
      return 0;
    }
  }
  return 1;
}

/* Mean and 1/sqrt(variance + eps) of one row, as ../ops.ts computes them (double sums). */
static void row_moments(const float *x, int64_t d, double eps, double *mean, double *rstd) {
  double m = 0;
  for (int64_t j = 0; j < d; j++) m += x[j];
  m /= (double)d;
  double v = 0;
  for (int64_t j = 0; j < d; j++) {
    double c = x[j] - m;
    v += c * c;
  }
  *mean = m;
  *rstd = 1 / sqrt(v / (double)d + eps);
}

static napi_value layer_norm(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *t[4];
  size_t len[4];
  const char *usage = "retort_blas.layerNorm: expected (x, gamma, beta, y: Float32Array, d, eps)";
  if (argc != 6) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!float_arrays(env, argv, 4, t, len, usage)) return NULL;
  int64_t d = int_arg(env, argv[4]);
  double eps = double_arg(env, argv[5]);
  if (d <= 0 || len[0] % (size_t)d != 0 || len[1] != (size_t)d || len[2] != (size_t)d || len[3] != len[0]) {
    napi_throw_range_error(env, NULL, "retort_blas.layerNorm: x and y must be rows × d, gamma and beta d long");
    return NULL;
  }
  const float *x = t[0], *g = t[1], *b = t[2];
  float *y = t[3];
  for (size_t o = 0; o < len[0]; o += (size_t)d) {
    double mean, rstd;
    row_moments(x + o, d, eps, &mean, &rstd);
    for (int64_t j = 0; j < d; j++) y[o + j] = (float)((x[o + j] - mean) * rstd * g[j] + b[j]);
  }
  return NULL;
}

/* dx = rstd·(dy·g − mean(dy·g) − x̂·mean(dy·g·x̂)); dgamma += Σ dy·x̂; dbeta += Σ dy. */
static napi_value layer_norm_grad(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float *t[6];
  size_t len[6];
  const char *usage = "retort_blas.layerNormGrad: expected (dy, x, gamma, dx, dgamma, dbeta: Float32Array, d, eps)";
  if (argc != 8) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!float_arrays(env, argv, 6, t, len, usage)) return NULL;
  int64_t d = int_arg(env, argv[6]);
  double eps = double_arg(env, argv[7]);
  if (d <= 0 || len[1] % (size_t)d != 0 || len[0] != len[1] || len[3] != len[1] || len[2] != (size_t)d ||
      len[4] != (size_t)d || len[5] != (size_t)d) {
    napi_throw_range_error(env, NULL, "retort_blas.layerNormGrad: dy, x and dx must be rows × d, the rest d long");
    return NULL;
  }
  const float *dy = t[0], *x = t[1], *g = t[2];
  float *dx = t[3], *dg = t[4], *db = t[5];
  float *xhat = malloc((size_t)d * sizeof(float)); /* float, as the Float32Array of ../ops.ts */
  if (xhat == NULL) {
    napi_throw_error(env, NULL, "retort_blas.layerNormGrad: out of memory");
    return NULL;
  }
  for (size_t o = 0; o < len[1]; o += (size_t)d) {
    double mean, rstd;
    row_moments(x + o, d, eps, &mean, &rstd);
    double sum_g = 0, sum_gx = 0;
    for (int64_t j = 0; j < d; j++) {
      double xh = (x[o + j] - mean) * rstd;
      xhat[j] = (float)xh;
      double gy = (double)dy[o + j] * g[j];
      sum_g += gy;
      sum_gx += gy * xh;
      dg[j] = (float)(dg[j] + (double)dy[o + j] * xh);
      db[j] = (float)((double)db[j] + dy[o + j]);
    }
    sum_g /= (double)d;
    sum_gx /= (double)d;
    for (int64_t j = 0; j < d; j++) dx[o + j] = (float)(rstd * ((double)dy[o + j] * g[j] - sum_g - xhat[j] * sum_gx));
  }
  free(xhat);
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
      {"gemmBatchBias", NULL, gemm_batch_bias, NULL, NULL, NULL, napi_default, NULL},
      {"columnSums", NULL, column_sums, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, adamw, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
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
