// Distance kernels for the search layout (search_layout.h), chosen once at run time.
//
// The graph itself is always built with hnswlib's own distance (compiled without -march, like
// hnswlib-node), so saved files never depend on the CPU. Searching may use AVX2 + FMA when the CPU
// has them: the same inner products in another summation order, so distances differ from hnswlib's
// by float rounding only. The functions carrying target("avx2,fma") are only ever called after
// __builtin_cpu_supports said yes; the rest of the addon stays portable x86-64 (or any other CPU).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RETORT_HAVE_AVX2_PATH 1
#include <immintrin.h>
#endif

namespace retort {

// 1 − q·v over float vectors; hnswlib's signature (the last argument points at the size_t dim), so
// that hnswlib's own distance can stand in when AVX2 is off or absent.
using FloatDistance = float (*)(const void* q, const void* v, const void* dimPtr);
// 1 − (bias + unit · Σ query[d] · code[d]): a query rounded to int16 against uint8 codes (see
// Quantizer). The sum is exact integer arithmetic, so every CPU and kernel gives the same distance.
using CodeDistance = float (*)(const int16_t* query, float unit, float bias, const uint8_t* code, size_t dim);
// 1 − q·x̂ against a bfloat16 row x̂ (the upper half of each float's bits). Every kernel computes the
// same products and sums in the same order (16 lanes, mul then add, never fused, then a fixed
// reduction), so the distance is the same on every CPU, with or without AVX2.
using HalfDistance = float (*)(const float* query, const uint16_t* row, size_t dim);

// Round to nearest even; the exponent (and so the range) is float's, whatever the data.
inline uint16_t toBfloat16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // NaN stays NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

inline float fromBfloat16(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

// The reference order: lane l of accumulator a sums elements 16·i + l, of b elements 16·i + 8 + l;
// a leftover block of 8 goes to a; then a + b lane by lane, lanes l + (l + 4), then (0 + 2) + (1 + 3)
// (sum8 below); the last dim % 8 elements one by one.
#if defined(__GNUC__) && !defined(__clang__)
#define RETORT_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define RETORT_NO_FP_CONTRACT  // clang fuses only within one expression, and every product here is its own statement
#endif
RETORT_NO_FP_CONTRACT inline float halfDistancePortable(const float* q, const uint16_t* x, size_t dim) {
  float a[8] = {}, b[8] = {};
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    for (size_t l = 0; l < 8; l++) {
      const float pa = q[i + l] * fromBfloat16(x[i + l]);
      const float pb = q[i + 8 + l] * fromBfloat16(x[i + 8 + l]);
      a[l] = a[l] + pa;
      b[l] = b[l] + pb;
    }
  }
  for (; i + 8 <= dim; i += 8) {
    for (size_t l = 0; l < 8; l++) {
      const float p = q[i + l] * fromBfloat16(x[i + l]);
      a[l] = a[l] + p;
    }
  }
  float s[8];
  for (size_t l = 0; l < 8; l++) s[l] = a[l] + b[l];
  float t[4];
  for (size_t l = 0; l < 4; l++) t[l] = s[l] + s[l + 4];
  const float u0 = t[0] + t[2], u1 = t[1] + t[3];
  float sum = u0 + u1;
  for (; i < dim; i++) {
    const float p = q[i] * fromBfloat16(x[i]);
    sum = sum + p;
  }
  return 1.0f - sum;
}

inline float codeDistancePortable(const int16_t* query, float unit, float bias, const uint8_t* code, size_t dim) {
  int64_t sum = 0;
  for (size_t i = 0; i < dim; i++) sum += static_cast<int32_t>(query[i]) * code[i];
  return 1.0f - (bias + unit * static_cast<float>(sum));
}

#ifdef RETORT_HAVE_AVX2_PATH

// Horizontal sum of the 8 lanes.
__attribute__((target("avx2,fma"))) inline float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Two accumulators of 8 lanes: 16 floats per step, the FMA latency hidden by the second chain.
__attribute__((target("avx2,fma"))) inline float ipDistanceAvx2(const void* qv, const void* vv, const void* dimPtr) {
  const float* q = static_cast<const float*>(qv);
  const float* v = static_cast<const float*>(vv);
  const size_t dim = *static_cast<const size_t*>(dimPtr);
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i), a);
    b = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(v + i + 8), b);
  }
  for (; i + 8 <= dim; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i), a);
  float sum = sum8(_mm256_add_ps(a, b));
  for (; i < dim; i++) sum += q[i] * v[i];
  return 1.0f - sum;
}

// 16 codes at a time: widen uint8 → int16, multiply by the int16 query and add pairs (vpmaddwd).
// Bounds: |query| ≤ 32767 and code ≤ 255, so a pair sums to < 2^24, and a lane adds dim/16 of them:
// below 2^31 for dim < 2048 (quantized layouts are limited to 1024 dimensions, see Quantizer).
__attribute__((target("avx2,fma"))) inline float codeDistanceAvx2(const int16_t* query, float unit, float bias, const uint8_t* code, size_t dim) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(c, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(query + i))));
  }
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  int64_t sum = _mm_cvtsi128_si32(s);
  for (; i < dim; i++) sum += static_cast<int32_t>(query[i]) * code[i];
  return 1.0f - (bias + unit * static_cast<float>(sum));
}

// The portable kernel's order on 8-lane registers. AVX2 without FMA on purpose: with FMA available
// the compiler may fuse a multiply and an add, which rounds differently.
__attribute__((target("avx2"))) inline __m256 widenBfloat16(const uint16_t* x) {
  const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

__attribute__((target("avx2"))) inline float halfDistanceAvx2(const float* q, const uint16_t* x, size_t dim) {
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(q + i), widenBfloat16(x + i)));
    b = _mm256_add_ps(b, _mm256_mul_ps(_mm256_loadu_ps(q + i + 8), widenBfloat16(x + i + 8)));
  }
  for (; i + 8 <= dim; i += 8) a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(q + i), widenBfloat16(x + i)));
  const __m256 s = _mm256_add_ps(a, b);
  __m128 t = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  t = _mm_add_ps(t, _mm_movehl_ps(t, t));
  t = _mm_add_ss(t, _mm_shuffle_ps(t, t, 1));
  float sum = _mm_cvtss_f32(t);
  for (; i < dim; i++) {
    const float p = q[i] * fromBfloat16(x[i]);
    sum = sum + p;
  }
  return 1.0f - sum;
}

#endif

inline bool cpuHasAvx2() {
#ifdef RETORT_HAVE_AVX2_PATH
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

struct Kernels {
  FloatDistance floatDistance;
  CodeDistance codeDistance = codeDistancePortable;
  HalfDistance halfDistance = halfDistancePortable;
  const char* name = "hnswlib";
};

// AVX2 + FMA when asked for and present, else hnswlib's own distance (`portable`: the same
// numbers as hnswlib-node) and a plain loop over codes (auto-vectorised for the base ISA).
inline Kernels pickKernels(bool wantSimd, FloatDistance portable) {
  Kernels k;
  k.floatDistance = portable;
#ifdef RETORT_HAVE_AVX2_PATH
  if (wantSimd && cpuHasAvx2()) {
    k.floatDistance = ipDistanceAvx2;
    k.codeDistance = codeDistanceAvx2;
    k.halfDistance = halfDistanceAvx2;
    k.name = "avx2";
  }
#else
  (void)wantSimd;
#endif
  return k;
}

}  // namespace retort
