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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define RETORT_HAVE_AVX2_PATH 1
#include <immintrin.h>
#endif

namespace retort {

// 1 − q·v over float vectors; hnswlib's signature (the last argument points at the size_t dim), so
// that hnswlib's own distance can stand in when AVX2 is off or absent.
using FloatDistance = float (*)(const void* q, const void* v, const void* dimPtr);
// 1 − (bias + Σ scaled[d] · code[d]): a float query against uint8 codes (see Quantizer).
using CodeDistance = float (*)(const float* scaled, float bias, const uint8_t* code, size_t dim);

inline float codeDistancePortable(const float* scaled, float bias, const uint8_t* code, size_t dim) {
  float sum = 0.0f;
  for (size_t i = 0; i < dim; i++) sum += scaled[i] * static_cast<float>(code[i]);
  return 1.0f - (bias + sum);
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

// 8 codes at a time: widen uint8 → int32 → float, then FMA with the scaled query.
__attribute__((target("avx2,fma"))) inline float codeDistanceAvx2(const float* scaled, float bias, const uint8_t* code, size_t dim) {
  __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= dim; i += 16) {
    const __m128i sixteen = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
    const __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(sixteen));
    const __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(sixteen, 8)));
    a = _mm256_fmadd_ps(_mm256_loadu_ps(scaled + i), lo, a);
    b = _mm256_fmadd_ps(_mm256_loadu_ps(scaled + i + 8), hi, b);
  }
  float sum = sum8(_mm256_add_ps(a, b));
  for (; i < dim; i++) sum += scaled[i] * static_cast<float>(code[i]);
  return 1.0f - (bias + sum);
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
    k.name = "avx2";
  }
#else
  (void)wantSimd;
#endif
  return k;
}

}  // namespace retort
