// Several queries' graph walks run at once, so that their cache misses overlap.
//
// One query's walk is a chain of dependent loads: the next node's link list, then its neighbours'
// vectors, then (after the distances) the next node. Alone, each step waits for memory. Here G
// queries take turns, one half-step each: a step that is about to read memory first prefetches it,
// then hands over to the other queries, and comes back when the data has had G − 1 half-steps of
// other work to arrive. Each query's walk is exactly SearchLayout::walk with every unvisited
// neighbour fetched at once (the same descent, heaps, comparisons and neighbour order), so with
// hnswlib's distance the answers are hnswlib's, bit for bit; only the timing of the loads changes.
//
// A query moves through these phases (each arrow: its next turn):
//   descend-read  → descend-score  (upper levels: fetch the list's vectors, then score them)
//   expand-read   → expand-score   (level 0: pop a candidate, mark and fetch its unvisited
//                                   neighbours; then score them and fetch the next candidate's links)
//   rerank (uint8 walk only: the candidates' float rows were fetched; score them exactly)
// Screening (float walk, options.screen): expand-read fetches the neighbours' uint8 codes instead of
// their float rows, and an expand-screen phase between it and expand-score drops every neighbour
// whose code distance, less a proven bound on every error between it and hnswlib's float distance
// (Quantizer::lowerBound), is still above the current ef-th best with the list full: hnswlib would
// drop that neighbour too, since the ef-th best only falls once the list is full. Only the rest
// have their float rows fetched and scored, so the answers stay hnswlib's while most float rows
// (four times a code's bytes) are never read.
// Visited marks are one bitset per slot, cleared through the list of marked nodes when a query ends
// (12.5 KiB per slot at 100k nodes, so G slots stay in the L2 cache).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "search_layout.h"

namespace retort {

template <RowKind Kind>
class InterleavedWalk {
  static constexpr bool Int8 = Kind == RowKind::Int8;
  static constexpr bool Reranked = Kind != RowKind::Float;

 public:
  InterleavedWalk(const SearchLayout& layout, size_t group) : l_(layout), slots_(std::max<size_t>(1, group)), screen_(Kind == RowKind::Float && layout.options_.screen) {
    for (Slot& s : slots_) {
      s.visited.assign((l_.n_ + 63) / 64, 0);
      s.fresh.resize(l_.linkStride0_);
    }
  }

  // `count` (already normalised) queries, k slots each in rows and distances, as SearchLayout::search.
  void run(const float* queries, size_t count, size_t k, size_t ef, int32_t* rows, float* distances) {
    k_ = k;
    ef_ = std::max(ef, k);
    rows_ = rows;
    distances_ = distances;
    queries_ = queries;
    count_ = count;
    next_ = 0;
    size_t active = 0;
    for (Slot& s : slots_) {
      if (start(s)) active++;
    }
    while (active > 0) {
      for (Slot& s : slots_) {
        if (s.phase == Phase::Idle) continue;
        if (!step(s)) continue;
        finish(s);
        if (!start(s)) active--;
      }
    }
  }

 private:
  using Hit = SearchLayout::Hit;
  enum class Phase : uint8_t { Idle, DescendRead, DescendScore, ExpandRead, ExpandScreen, ExpandScore, Rerank };

  struct Slot {
    Phase phase = Phase::Idle;
    size_t query = 0;
    const float* q = nullptr;
    Quantizer::Query coded;
    int level = 0;
    uint32_t current = 0;
    float currentDistance = 0.0f;
    float lowerBound = 0.0f;
    const uint32_t* list = nullptr;  // the upper-level list being scored
    std::vector<Hit> top, candidates, exact;
    std::vector<uint32_t> fresh;
    uint32_t freshCount = 0;
    std::vector<uint64_t> visited;
    std::vector<uint32_t> marked;
  };

  float distance(const Slot& s, uint32_t id) const {
    if constexpr (Int8) {
      return l_.walkDistance(s.coded, s.q, id);
    } else if constexpr (Kind == RowKind::Bf16) {
      return l_.kernels_.halfDistance(s.q, l_.halfOf(id), l_.dim_);
    } else {
      return l_.kernels_.floatDistance(s.q, l_.vectorOf(id), &l_.dim_);
    }
  }

  float codeDistance(const Slot& s, uint32_t id) const {
    return l_.kernels_.codeDistance(s.coded.scaled.data(), s.coded.unit, s.coded.bias, l_.codeOf(id), l_.dim_);
  }

  void prefetchVector(uint32_t id) const {
    if constexpr (Int8) {
      SearchLayout::prefetchRow(l_.codes_.data() + id * l_.codeStride_, l_.codeStride_);
    } else if constexpr (Kind == RowKind::Bf16) {
      SearchLayout::prefetchRow(l_.halves_.data() + id * l_.halfStride_, l_.halfStride_);
    } else {
      SearchLayout::prefetchRow(l_.vectors_.data() + id * l_.vectorStride_, l_.vectorStride_);
    }
  }

  static bool seen(const Slot& s, uint32_t id) { return (s.visited[id >> 6] >> (id & 63)) & 1; }
  static void mark(Slot& s, uint32_t id) {
    s.visited[id >> 6] |= uint64_t{1} << (id & 63);
    s.marked.push_back(id);
  }

  // Takes the next query of the batch into `s`; false when none is left.
  bool start(Slot& s) {
    if (next_ >= count_) {
      s.phase = Phase::Idle;
      return false;
    }
    s.query = next_++;
    s.q = queries_ + s.query * l_.dim_;
    if (Int8 || screen_) l_.quantizer_.prepare(s.q, l_.dim_, s.coded);
    s.current = l_.entry_;
    s.currentDistance = distance(s, s.current);  // the entry is every query's: cached after the first
    s.level = l_.maxLevel_;
    if (s.level > 0) {
      __builtin_prefetch(l_.linksOf(s.current, s.level), 0, 3);
      s.phase = Phase::DescendRead;
    } else {
      beginBase(s);
    }
    return true;
  }

  // One half-step of `s`; true when its walk is over and the answer can be written.
  bool step(Slot& s) {
    switch (s.phase) {
      case Phase::DescendRead:
        s.list = l_.linksOf(s.current, s.level);
        for (uint32_t i = 1; i <= s.list[0]; i++) prefetchVector(s.list[i]);
        s.phase = Phase::DescendScore;
        return false;
      case Phase::DescendScore: {
        bool changed = false;  // hnswlib's greedy step: the list of the node it started from
        for (uint32_t i = 1; i <= s.list[0]; i++) {
          const float d = distance(s, s.list[i]);
          if (d < s.currentDistance) {
            s.currentDistance = d;
            s.current = s.list[i];
            changed = true;
          }
        }
        if (!changed) s.level--;
        if (s.level > 0) {
          __builtin_prefetch(l_.linksOf(s.current, s.level), 0, 3);
          s.phase = Phase::DescendRead;
        } else {
          beginBase(s);
        }
        return false;
      }
      case Phase::ExpandRead: {
        if (s.candidates.empty()) return done(s);
        const Hit next = s.candidates.front();
        if (-next.first > s.lowerBound) return done(s);
        SearchLayout::popHeap(s.candidates);
        const uint32_t* list = l_.links0Of(next.second);
        s.freshCount = 0;
        for (uint32_t j = 1, size = list[0]; j <= size; j++) {
          const uint32_t id = list[j];
          if (seen(s, id)) continue;
          mark(s, id);
          s.fresh[s.freshCount++] = id;
          if (screen_) {
            SearchLayout::prefetchRow(l_.codes_.data() + id * l_.codeStride_, l_.codeStride_);
            __builtin_prefetch(&l_.residual_[id], 0, 3);
          } else {
            prefetchVector(id);
          }
        }
        s.phase = screen_ ? Phase::ExpandScreen : Phase::ExpandScore;
        return false;
      }
      case Phase::ExpandScreen: {
        if (s.top.size() >= ef_) {
          uint32_t kept = 0;  // in neighbour order, so the scoring order is hnswlib's
          for (uint32_t i = 0; i < s.freshCount; i++) {
            const uint32_t id = s.fresh[i];
            if (Quantizer::lowerBound(codeDistance(s, id), s.coded, l_.residual_[id]) > s.lowerBound) continue;
            s.fresh[kept++] = id;
          }
          s.freshCount = kept;
        }
        for (uint32_t i = 0; i < s.freshCount; i++) prefetchVector(s.fresh[i]);
        s.phase = Phase::ExpandScore;
        return false;
      }
      case Phase::ExpandScore:
        for (uint32_t i = 0; i < s.freshCount; i++) consider(s, s.fresh[i], distance(s, s.fresh[i]));
        if (!s.candidates.empty()) __builtin_prefetch(l_.links0Of(s.candidates.front().second), 0, 3);
        s.phase = Phase::ExpandRead;
        return false;
      case Phase::Rerank:
        return true;
      case Phase::Idle:
        return false;
    }
    return false;
  }

  void beginBase(Slot& s) {
    s.top.clear();
    s.candidates.clear();
    s.lowerBound = s.currentDistance;
    SearchLayout::pushHeap(s.top, {s.currentDistance, s.current});
    SearchLayout::pushHeap(s.candidates, {-s.currentDistance, s.current});
    mark(s, s.current);
    __builtin_prefetch(l_.links0Of(s.current), 0, 3);
    s.phase = Phase::ExpandRead;
  }

  // searchBaseLayerST's update, as SearchLayout::consider.
  void consider(Slot& s, uint32_t id, float d) const {
    if (s.top.size() < ef_ || s.lowerBound > d) {
      SearchLayout::pushHeap(s.candidates, {-d, id});
      SearchLayout::pushHeap(s.top, {d, id});
      while (s.top.size() > ef_) SearchLayout::popHeap(s.top);
      s.lowerBound = s.top.front().first;
    }
  }

  // The walk is over. The float walk's answer is ready; the uint8 walk first fetches the
  // candidates' float rows and re-ranks them on its next turn.
  bool done(Slot& s) {
    if constexpr (Reranked) {
      for (const Hit& h : s.top) SearchLayout::prefetchRow(l_.floatRowOf(h.second), l_.dim_ * sizeof(float));
      s.phase = Phase::Rerank;
      return false;
    }
    return true;
  }

  void finish(Slot& s) {
    int32_t* rows = rows_ + s.query * k_;
    float* distances = distances_ + s.query * k_;
    const size_t found = Reranked ? l_.rerank(s.q, s.top, s.exact, k_, rows, distances) : l_.writeHits(s.top, k_, rows, distances);
    for (size_t i = found; i < k_; i++) {
      rows[i] = -1;
      distances[i] = INFINITY;
    }
    for (uint32_t id : s.marked) s.visited[id >> 6] = 0;  // the words holding a mark; the rest are zero
    s.marked.clear();
  }

  const SearchLayout& l_;
  std::vector<Slot> slots_;
  const bool screen_;
  size_t k_ = 0, ef_ = 0, count_ = 0, next_ = 0;
  const float* queries_ = nullptr;
  int32_t* rows_ = nullptr;
  float* distances_ = nullptr;
};

inline void SearchLayout::searchBatch(const float* queries, size_t count, size_t k, size_t ef, int32_t* rows, float* distances) {
  if (n_ == 0 || (options_.group <= 1 && !options_.screen)) {
    for (size_t q = 0; q < count; q++) search(queries + q * dim_, k, ef, rows + q * k, distances + q * k);
    return;
  }
  const size_t group = std::min(options_.group, count);  // no idle slots to set up for a small batch
  if (options_.int8) {
    InterleavedWalk<RowKind::Int8>(*this, group).run(queries, count, k, ef, rows, distances);
  } else if (options_.bf16) {
    InterleavedWalk<RowKind::Bf16>(*this, group).run(queries, count, k, ef, rows, distances);
  } else {
    InterleavedWalk<RowKind::Float>(*this, group).run(queries, count, k, ef, rows, distances);
  }
}

}  // namespace retort
