// Per-dimension affine uint8 codes of the stored vectors (search_layout.h's int8 walk and the
// float walk's screening).
//
// x[d] ≈ low[d] + step[d] · code[d]. A query q then scores q·x ≈ Σ q[d]·low[d] + Σ (q[d]·step[d]) ·
// code[d]; the scaled query q[d]·step[d] is rounded to int16 (unit = its largest magnitude / 32767:
// a relative error of 1.5e-5, far below the codes'), so the second sum is integer arithmetic.
//
// The range [low, low + 255·step] of a dimension is not simply its smallest and largest value: one
// outlier would then coarsen every code of that dimension. It is fenced from robust statistics: the
// 0.1 % and 99.9 % quantiles of an evenly spread sample, widened by a quarter of their distance at
// either end (±4.6σ for normal data, whose 100k values reach about ±4.4σ, so ordinary data keeps its
// extremes) and never wider than the extremes. Values beyond the fence are clipped to it. The walk
// re-ranks its candidates with float distances, so a clipped value costs precision on its own row
// only; the screening bound uses each row's own residual ‖x − decoded x‖, clipping included, and
// the float sums' rounding bound uses every row's largest magnitude (`largest`), not the fence.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace retort {

struct Quantizer {
  static constexpr size_t kMaxDim = 1024;     // keeps the int32 lanes of the integer kernel from overflowing
  static constexpr size_t kSample = 32768;    // rows the ranges are chosen from (evenly spread; all when fewer)
  static constexpr double kTail = 0.001;      // the quantiles the range is fenced from: 0.1 % and 99.9 %
  static constexpr double kWiden = 0.25;      // the fence: a quarter of the quantiles' distance beyond each
  std::vector<float> low, step;
  std::vector<float> largest;  // max |x[d]| over every stored row, clipped or not: bounds hnswlib's float sums

  // `rows` in a fixed order (hnswlib's internal ids), so that the same vectors give the same codes.
  void fit(const float* const* rows, size_t n, size_t dim) {
    low.assign(dim, 0.0f);
    step.assign(dim, 1.0f);
    largest.assign(dim, 0.0f);
    std::vector<float> smallest(dim, INFINITY), biggest(dim, -INFINITY);
    for (size_t i = 0; i < n; i++) {
      for (size_t d = 0; d < dim; d++) {
        smallest[d] = std::min(smallest[d], rows[i][d]);
        biggest[d] = std::max(biggest[d], rows[i][d]);
      }
    }
    const size_t samples = std::min(n, kSample);
    std::vector<float> column(samples);
    for (size_t d = 0; d < dim; d++) {
      largest[d] = std::max(std::fabs(smallest[d]), std::fabs(biggest[d]));
      for (size_t j = 0; j < samples; j++) column[j] = rows[j * n / samples][d];
      const Range r = chooseRange(column, smallest[d], biggest[d]);
      low[d] = r.low;
      step[d] = r.high > r.low ? (r.high - r.low) / 255.0f : 1.0f;
    }
  }

  // The codes of x; true when a value lies beyond its dimension's range and was clipped.
  bool encode(const float* x, uint8_t* code, size_t dim) const {
    bool clipped = false;
    for (size_t d = 0; d < dim; d++) {
      const float level = std::nearbyint((x[d] - low[d]) / step[d]);
      clipped |= !(level >= 0.0f && level <= 255.0f);
      code[d] = static_cast<uint8_t>(std::min(255.0f, std::max(0.0f, level)));
    }
    return clipped;
  }

  // ‖x − x̂‖ for the decoded x̂ = low + step · code, in double, rounded up: how far the code's
  // inner product with a query can be from the vector's (at most ‖q‖ times this). Clipping included.
  float residual(const float* x, const uint8_t* code, size_t dim) const {
    double sq = 0.0;
    for (size_t d = 0; d < dim; d++) {
      const double e = static_cast<double>(x[d]) - (static_cast<double>(low[d]) + static_cast<double>(step[d]) * code[d]);
      sq += e * e;
    }
    return static_cast<float>(std::sqrt(sq) * (1.0 + 1e-6));
  }

  struct Query {
    std::vector<int16_t> scaled;
    float unit = 0.0f;
    float bias = 0.0f;
    double norm = 0.0;   // ‖q‖
    double slack = 0.0;  // bound on every rounding between a code distance and hnswlib's float distance
  };

  void prepare(const float* q, size_t dim, Query& out) const {
    out.scaled.resize(dim);
    out.bias = 0.0f;
    float top = 0.0f;
    double sq = 0.0, magnitude = 1.0;
    for (size_t d = 0; d < dim; d++) {
      top = std::max(top, std::fabs(q[d] * step[d]));
      out.bias += q[d] * low[d];
      sq += static_cast<double>(q[d]) * q[d];
      // Bounds |q[d]·x[d]| for every stored x (clipped values included: `largest`), |q[d]·low[d]|
      // and |q[d]·step[d]·code|.
      const double scale = 2.0 * std::fabs(static_cast<double>(low[d])) + 2.0 * 255.0 * step[d] + 2.0 * largest[d];
      magnitude += std::fabs(static_cast<double>(q[d])) * scale;
    }
    out.unit = top > 0.0f ? top / 32767.0f : 1.0f;
    for (size_t d = 0; d < dim; d++) out.scaled[d] = static_cast<int16_t>(std::nearbyint(q[d] * step[d] / out.unit));
    out.norm = std::sqrt(sq);
    // The int16 query is off by at most 0.51 units per dimension, times codes ≤ 255; float sums of
    // dim terms (hnswlib's distance, the bias, the final 1 − …) are off by at most (dim + 8) ulps of
    // the largest magnitude involved.
    out.slack = static_cast<double>(out.unit) * 0.51 * 255.0 * static_cast<double>(dim) + static_cast<double>(dim + 8) * 0x1p-24 * magnitude;
  }

  // A distance that hnswlib's float distance of x to q certainly reaches or exceeds.
  static float lowerBound(float codeDistance, const Query& q, float residualNorm) {
    const double margin = 2.0 * (q.norm * residualNorm + q.slack) + 1e-6;  // twice the bound, for safety
    return static_cast<float>(static_cast<double>(codeDistance) - margin);
  }

 private:
  struct Range {
    float low, high;
  };

  // The range of one dimension from its sample (reordered in place) and the extremes of every row;
  // a sample under 1,000 rows has no 0.1 % quantile apart from its extremes.
  static Range chooseRange(std::vector<float>& values, float smallest, float biggest) {
    const size_t n = values.size();
    const size_t tail = static_cast<size_t>(kTail * static_cast<double>(n));
    if (tail == 0) return {smallest, biggest};
    std::nth_element(values.begin(), values.begin() + tail, values.end());
    const double lo = values[tail];
    std::nth_element(values.begin(), values.end() - 1 - tail, values.end());
    const double hi = values[n - 1 - tail];
    const double margin = kWiden * (hi - lo);
    return {static_cast<float>(std::max<double>(smallest, lo - margin)), static_cast<float>(std::min<double>(biggest, hi + margin))};
  }
};

}  // namespace retort
