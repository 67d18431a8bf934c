// A read-only copy of an hnswlib graph laid out for searching, and the search over it.
//
// hnswlib keeps each node's level-0 links and vector in one record, in insertion order, so a query
// that hops across the graph touches records scattered over the whole index (63 MiB at 100k × 128):
// nearly every distance is a cache and TLB miss. This copy
//   - renumbers the nodes in breadth-first order from the entry point over level 0 (neighbours get
//     nearby numbers, so their vectors share pages and often cache lines' neighbourhoods),
//   - keeps links and vectors in two separate arrays (expanding a node reads one 132-byte link list;
//     its neighbours' vectors sit together), on 2 MiB pages where the kernel allows,
//   - optionally stores the vectors as bfloat16 (half the bytes) or uint8 codes (a quarter; see
//     Quantizer), walking the graph on approximate distances and re-ranking the final candidates
//     with hnswlib's own float distance (so the scores returned are hnswlib's, on every CPU).
// The walk itself is hnswlib's searchKnn step for step (greedy descent through the upper levels,
// then searchBaseLayerST's candidate/result heaps with the same comparisons and the same neighbour
// order), so with hnswlib's distance function and float vectors it returns exactly what hnswlib
// returns, under the original labels. The graph hnswlib holds is never changed: saved files stay
// hnswlib's. The copy is rebuilt after the graph changes.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "distances.h"
#include "hnswlib.h"
#include "quantizer.h"

namespace retort {

struct LayoutOptions {
  bool locality = true;   // breadth-first renumbering; false keeps insertion order
  bool simd = true;       // AVX2 + FMA distances when the CPU has them
  bool int8 = false;      // walk on uint8 codes, re-rank with float distances
  bool bf16 = false;      // walk on bfloat16 rows, re-rank with float distances
  bool hugePages = true;  // advise 2 MiB pages for the arrays
  bool prefetchAll = true;  // fetch every unvisited neighbour's row before the first distance
  size_t group = 1;         // queries walked at once in a batch (interleaved_walk.h); 1: one after another
  bool screen = false;      // float walk: skip a neighbour's float distance when its code proves it too far
};

// What the walk reads per node: hnswlib's float rows, bfloat16 rows or uint8 codes.
enum class RowKind : uint8_t { Float, Bf16, Int8 };

template <RowKind Kind>
class InterleavedWalk;

// One aligned array, freed with the layout. With hugePages it is 2 MiB aligned and advised
// MADV_HUGEPAGE (a hint: transparent huge pages set to `madvise` or `always` honour it).
class PageBuffer {
 public:
  PageBuffer() = default;
  PageBuffer(size_t bytes, bool hugePages) {
    const size_t align = hugePages ? (size_t{2} << 20) : 64;
    bytes_ = std::max<size_t>(align, (bytes + align - 1) / align * align);
    void* p = nullptr;
    if (posix_memalign(&p, align, bytes_) != 0) throw std::bad_alloc();
    data_ = static_cast<char*>(p);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (hugePages) madvise(data_, bytes_, MADV_HUGEPAGE);
#endif
  }
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  PageBuffer(PageBuffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_) { o.data_ = nullptr; }
  PageBuffer& operator=(PageBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(bytes_, o.bytes_);
    return *this;
  }
  ~PageBuffer() { std::free(data_); }
  char* data() const { return data_; }
  size_t bytes() const { return data_ ? bytes_ : 0; }

 private:
  char* data_ = nullptr;
  size_t bytes_ = 0;
};

class SearchLayout {
 public:
  using Graph = hnswlib::HierarchicalNSW<float>;
  using Hit = std::pair<float, uint32_t>;  // (distance, node), hnswlib's pair; compared by distance only

  SearchLayout(const Graph& graph, FloatDistance hnswlibDistance, size_t dim, const LayoutOptions& options)
      : graph_(graph), dim_(dim), options_(options), kernels_(pickKernels(options.simd, hnswlibDistance)), exactDistance_(hnswlibDistance) {
    n_ = graph.cur_element_count;
    maxLevel_ = graph.maxlevel_;
    linkStride0_ = graph.maxM0_ + 1;
    linkStride_ = graph.maxM_ + 1;
    if (n_ == 0) return;
    const std::vector<uint32_t> order = options.locality ? breadthFirstOrder() : insertionOrder();
    std::vector<uint32_t> renumber(graph.max_elements_, 0);
    for (uint32_t i = 0; i < n_; i++) renumber[order[i]] = i;
    entry_ = renumber[graph.enterpoint_node_];
    copyLinks(order, renumber);
    copyVectors(order);
    visited_.assign(n_, 0);
    fresh_.resize(linkStride0_);
  }

  const char* kernelName() const { return kernels_.name; }
  size_t bytes() const {
    return links0_.bytes() + vectors_.bytes() + codes_.bytes() + halves_.bytes() + upper_.size() * 4 + upperStart_.size() * 4 + label_.size() * 8 + residual_.size() * 4 + clipped_.size() * 8;
  }

  // The k nearest of one (already normalised) query: rows and distances nearest first, −1 / ∞ in
  // empty slots, like hnswlib's searchKnn with efSearch = max(ef, k).
  void search(const float* query, size_t k, size_t ef, int32_t* rows, float* distances) {
    size_t found = 0;
    if (n_ > 0) {
      ef = std::max(ef, k);
      if (options_.int8) {
        quantizer_.prepare(query, dim_, codedQuery_);
        walk(CodeDistanceAt{*this, codedQuery_, query}, ef);
        found = rerank(query, top_, exact_, k, rows, distances);
      } else if (options_.bf16) {
        walk(HalfDistanceAt{*this, query}, ef);
        found = rerank(query, top_, exact_, k, rows, distances);
      } else {
        walk(FloatDistanceAt{*this, query}, ef);
        found = writeHits(top_, k, rows, distances);
      }
    }
    for (size_t i = found; i < k; i++) {
      rows[i] = -1;
      distances[i] = INFINITY;
    }
  }

  // `count` queries one after another (query q's answer in slots q·k …), or, with
  // options.group > 1, `group` of them walked at once (interleaved_walk.h): the same answers.
  void searchBatch(const float* queries, size_t count, size_t k, size_t ef, int32_t* rows, float* distances);

 private:
  template <RowKind Kind>
  friend class InterleavedWalk;

  struct FloatDistanceAt {
    const SearchLayout& l;
    const float* q;
    float operator()(uint32_t id) const { return l.kernels_.floatDistance(q, l.vectorOf(id), &l.dim_); }
    void prefetch(uint32_t id) const { l.prefetchRow(l.vectors_.data() + id * l.vectorStride_, l.vectorStride_); }
  };

  struct HalfDistanceAt {
    const SearchLayout& l;
    const float* q;
    float operator()(uint32_t id) const { return l.kernels_.halfDistance(q, l.halfOf(id), l.dim_); }
    void prefetch(uint32_t id) const { l.prefetchRow(l.halves_.data() + id * l.halfStride_, l.halfStride_); }
  };

  struct CodeDistanceAt {
    const SearchLayout& l;
    const Quantizer::Query& q;
    const float* query;
    float operator()(uint32_t id) const { return l.walkDistance(q, query, id); }
    void prefetch(uint32_t id) const { l.prefetchRow(l.codes_.data() + id * l.codeStride_, l.codeStride_); }
  };

  static bool closerFirst(const Hit& a, const Hit& b) { return a.first < b.first; }  // hnswlib's CompareByFirst
  static void pushHeap(std::vector<Hit>& h, Hit x) {
    h.push_back(x);
    std::push_heap(h.begin(), h.end(), closerFirst);
  }
  static void popHeap(std::vector<Hit>& h) {
    std::pop_heap(h.begin(), h.end(), closerFirst);
    h.pop_back();
  }

  const float* vectorOf(uint32_t id) const { return reinterpret_cast<const float*>(vectors_.data() + id * vectorStride_); }
  const uint16_t* halfOf(uint32_t id) const { return reinterpret_cast<const uint16_t*>(halves_.data() + id * halfStride_); }
  const uint8_t* codeOf(uint32_t id) const { return reinterpret_cast<const uint8_t*>(codes_.data() + id * codeStride_); }
  bool clipped(uint32_t id) const { return (clipped_[id >> 6] >> (id & 63)) & 1; }
  const uint32_t* links0Of(uint32_t id) const { return reinterpret_cast<const uint32_t*>(links0_.data()) + id * linkStride0_; }
  const uint32_t* linksOf(uint32_t id, int level) const { return upper_.data() + upperStart_[id] + (level - 1) * linkStride_; }

  static void prefetchRow(const char* p, size_t bytes) {
    for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + o, 0, 3);
  }

  // hnswlib's searchKnn: greedy descent to level 1, then searchBaseLayerST<bare_bone_search = true>.
  // Leaves the max(ef, k) best in top_ (a max-heap by distance).
  template <class Distance>
  void walk(const Distance& distance, size_t ef) {
    uint32_t current = entry_;
    float currentDistance = distance(current);
    for (int level = maxLevel_; level > 0; level--) {
      for (bool changed = true; changed;) {
        changed = false;
        const uint32_t* list = linksOf(current, level);
        for (uint32_t i = 1; i <= list[0]; i++) {
          const float d = distance(list[i]);
          if (d < currentDistance) {
            currentDistance = d;
            current = list[i];
            changed = true;
          }
        }
      }
    }

    const uint16_t tag = nextTag();
    top_.clear();
    candidates_.clear();
    float lowerBound = currentDistance;
    pushHeap(top_, {currentDistance, current});
    pushHeap(candidates_, {-currentDistance, current});
    visited_[current] = tag;
    while (!candidates_.empty()) {
      const Hit next = candidates_.front();
      if (-next.first > lowerBound) break;
      popHeap(candidates_);
      const uint32_t* list = links0Of(next.second);
      const uint32_t size = list[0];
      if (!candidates_.empty()) __builtin_prefetch(links0Of(candidates_.front().second), 0, 3);  // likely expanded next
      if (options_.prefetchAll) {
        // Mark and fetch all unvisited neighbours first, so that their rows load in parallel rather
        // than one miss after another; the distances follow in the same order as hnswlib's loop.
        uint32_t fresh = 0;
        for (uint32_t j = 1; j <= size; j++) {
          const uint32_t id = list[j];
          if (visited_[id] == tag) continue;
          visited_[id] = tag;
          fresh_[fresh++] = id;
          distance.prefetch(id);
        }
        for (uint32_t i = 0; i < fresh; i++) consider(fresh_[i], distance(fresh_[i]), ef, lowerBound);
        continue;
      }
      if (size > 0) distance.prefetch(list[1]);
      for (uint32_t j = 1; j <= size; j++) {
        const uint32_t id = list[j];
        if (j < size) {  // hnswlib's one-ahead prefetch
          __builtin_prefetch(&visited_[list[j + 1]], 1, 3);
          distance.prefetch(list[j + 1]);
        }
        if (visited_[id] == tag) continue;
        visited_[id] = tag;
        consider(id, distance(id), ef, lowerBound);
      }
    }
  }

  // searchBaseLayerST's update: a neighbour closer than the current ef-th best joins both heaps.
  void consider(uint32_t id, float d, size_t ef, float& lowerBound) {
    if (top_.size() < ef || lowerBound > d) {
      pushHeap(candidates_, {-d, id});
      pushHeap(top_, {d, id});
      while (top_.size() > ef) popHeap(top_);
      lowerBound = top_.front().first;
    }
  }

  // The k best of the max-heap `top`, nearest first; empties the heap.
  size_t writeHits(std::vector<Hit>& top, size_t k, int32_t* rows, float* distances) const {
    while (top.size() > k) popHeap(top);
    const size_t found = top.size();
    for (size_t i = found; i-- > 0;) {  // the heap pops the farthest first
      rows[i] = static_cast<int32_t>(label_[top.front().second]);
      distances[i] = top.front().first;
      popHeap(top);
    }
    return found;
  }

  // hnswlib's stored float vector of a node (by its new number).
  const char* floatRowOf(uint32_t id) const { return graph_.getDataByInternalId(original_[id]); }

  // The uint8 walk's distance: the code's, or hnswlib's float distance for the rare rows whose
  // codes clip a value (an outlier's code is far from it, and an outlier can be a query's nearest).
  float walkDistance(const Quantizer::Query& coded, const float* query, uint32_t id) const {
    if (clipped(id)) return exactDistance_(query, floatRowOf(id), &dim_);
    return kernels_.codeDistance(coded.scaled.data(), coded.unit, coded.bias, codeOf(id), dim_);
  }

  // The walk ran on codes or bfloat16 rows: score its candidates `top` with hnswlib's own float
  // distance on hnswlib's stored vectors (the same numbers on every CPU, and hnswlib-node's for the
  // same rows) and keep the k best, nearest first (equal distances: smaller label first).
  size_t rerank(const float* query, const std::vector<Hit>& top, std::vector<Hit>& exact, size_t k, int32_t* rows, float* distances) const {
    exact.clear();
    for (const Hit& h : top) prefetchRow(floatRowOf(h.second), dim_ * sizeof(float));  // all at once
    for (const Hit& h : top) exact.push_back({exactDistance_(query, floatRowOf(h.second), &dim_), h.second});
    const size_t found = std::min(k, exact.size());
    std::partial_sort(exact.begin(), exact.begin() + found, exact.end(), [&](const Hit& a, const Hit& b) {
      return a.first < b.first || (a.first == b.first && label_[a.second] < label_[b.second]);
    });
    for (size_t i = 0; i < found; i++) {
      rows[i] = static_cast<int32_t>(label_[exact[i].second]);
      distances[i] = exact[i].first;
    }
    return found;
  }

  uint16_t nextTag() {
    if (++tag_ == 0) {  // wrapped: forget every mark
      std::fill(visited_.begin(), visited_.end(), 0);
      tag_ = 1;
    }
    return tag_;
  }

  static uint32_t countOf(const void* list) { return *static_cast<const uint16_t*>(list); }  // hnswlib's getListCount

  std::vector<uint32_t> insertionOrder() const {
    std::vector<uint32_t> order(n_);
    for (uint32_t i = 0; i < n_; i++) order[i] = i;
    return order;
  }

  // Breadth-first from the entry point over level 0, neighbours in link order; nodes the walk does
  // not reach (hnswlib does not promise a connected level 0) follow in insertion order.
  std::vector<uint32_t> breadthFirstOrder() const {
    std::vector<uint32_t> order;
    order.reserve(n_);
    std::vector<char> seen(n_, 0);
    auto visitFrom = [&](uint32_t start) {
      size_t head = order.size();
      seen[start] = 1;
      order.push_back(start);
      for (; head < order.size(); head++) {
        const uint32_t* list = reinterpret_cast<const uint32_t*>(graph_.get_linklist0(order[head]));
        for (uint32_t j = 1, size = countOf(list); j <= size; j++) {
          if (!seen[list[j]]) {
            seen[list[j]] = 1;
            order.push_back(list[j]);
          }
        }
      }
    };
    visitFrom(graph_.enterpoint_node_);
    for (uint32_t i = 0; i < n_; i++) {
      if (!seen[i]) visitFrom(i);
    }
    return order;
  }

  void copyLinks(const std::vector<uint32_t>& order, const std::vector<uint32_t>& renumber) {
    links0_ = PageBuffer(n_ * linkStride0_ * sizeof(uint32_t), options_.hugePages);
    label_.resize(n_);
    original_ = order;
    upperStart_.assign(n_, 0);
    for (uint32_t i = 0; i < n_; i++) {
      const uint32_t old = order[i];
      label_[i] = graph_.getExternalLabel(old);
      const uint32_t* from = reinterpret_cast<const uint32_t*>(graph_.get_linklist0(old));
      uint32_t* to = reinterpret_cast<uint32_t*>(links0_.data()) + i * linkStride0_;
      to[0] = countOf(from);
      for (uint32_t j = 1; j <= to[0]; j++) to[j] = renumber[from[j]];
      const int levels = graph_.element_levels_[old];
      if (levels == 0) continue;
      upperStart_[i] = static_cast<uint32_t>(upper_.size());
      upper_.resize(upper_.size() + levels * linkStride_, 0);
      for (int level = 1; level <= levels; level++) {
        const uint32_t* src = reinterpret_cast<const uint32_t*>(graph_.get_linklist(old, level));
        uint32_t* dst = upper_.data() + upperStart_[i] + (level - 1) * linkStride_;
        dst[0] = countOf(src);
        for (uint32_t j = 1; j <= dst[0]; j++) dst[j] = renumber[src[j]];
      }
    }
  }

  void copyVectors(const std::vector<uint32_t>& order) {
    std::vector<const float*> rows(n_);
    for (uint32_t i = 0; i < n_; i++) rows[i] = reinterpret_cast<const float*>(graph_.getDataByInternalId(order[i]));
    if (options_.int8 || options_.screen) {
      codeStride_ = (dim_ + 63) / 64 * 64;
      codes_ = PageBuffer(n_ * codeStride_, options_.hugePages);
      std::memset(codes_.data(), 0, n_ * codeStride_);
      std::vector<const float*> byId(n_);  // hnswlib's order: the codes do not depend on the layout's
      for (uint32_t i = 0; i < n_; i++) byId[i] = reinterpret_cast<const float*>(graph_.getDataByInternalId(i));
      quantizer_.fit(byId.data(), n_, dim_);
      clipped_.assign((n_ + 63) / 64, 0);
      for (uint32_t i = 0; i < n_; i++) {
        if (quantizer_.encode(rows[i], reinterpret_cast<uint8_t*>(codes_.data() + i * codeStride_), dim_)) clipped_[i >> 6] |= uint64_t{1} << (i & 63);
      }
    }
    if (options_.screen && !options_.int8) {
      residual_.resize(n_);
      for (uint32_t i = 0; i < n_; i++) residual_[i] = quantizer_.residual(rows[i], codeOf(i), dim_);
    }
    if (options_.bf16) {
      halfStride_ = (dim_ * sizeof(uint16_t) + 63) / 64 * 64;
      halves_ = PageBuffer(n_ * halfStride_, options_.hugePages);
      std::memset(halves_.data(), 0, n_ * halfStride_);
      for (uint32_t i = 0; i < n_; i++) {
        uint16_t* to = reinterpret_cast<uint16_t*>(halves_.data() + i * halfStride_);
        for (size_t d = 0; d < dim_; d++) to[d] = toBfloat16(rows[i][d]);
      }
    }
    if (!options_.int8 && !options_.bf16) {
      vectorStride_ = (dim_ * sizeof(float) + 63) / 64 * 64;
      vectors_ = PageBuffer(n_ * vectorStride_, options_.hugePages);
      for (uint32_t i = 0; i < n_; i++) std::memcpy(vectors_.data() + i * vectorStride_, rows[i], dim_ * sizeof(float));
    }
  }

  const Graph& graph_;
  size_t dim_;
  LayoutOptions options_;
  Kernels kernels_;
  FloatDistance exactDistance_;  // hnswlib's: re-ranking
  size_t n_ = 0;
  int maxLevel_ = 0;
  size_t linkStride0_ = 0, linkStride_ = 0, vectorStride_ = 0, codeStride_ = 0, halfStride_ = 0;
  uint32_t entry_ = 0;
  PageBuffer links0_, vectors_, codes_, halves_;
  std::vector<uint32_t> upper_, upperStart_;  // levels ≥ 1: [count, links…] per level, per node that has them
  std::vector<uint64_t> label_;               // new number → hnswlib label
  std::vector<uint32_t> original_;            // new number → hnswlib internal id
  Quantizer quantizer_;
  std::vector<float> residual_;  // screening: ‖x − decoded code‖ per node
  std::vector<uint64_t> clipped_;  // one bit per node: its code clips a value (Quantizer::encode)
  std::vector<uint16_t> visited_;
  uint16_t tag_ = 0;
  std::vector<Hit> top_, candidates_, exact_;
  std::vector<uint32_t> fresh_;  // the unvisited neighbours of the node being expanded
  Quantizer::Query codedQuery_;
};

}  // namespace retort
