// Optional HNSW addon: hnswlib's own graph (the headers hnswlib-node ships, included, not copied),
// driven through typed arrays so that a whole batch of queries is one call. hnswlib-node takes one
// query per call as a JS array and builds result objects; here the queries arrive as one
// Float32Array and the answers are written into an Int32Array and a Float32Array given by the
// caller. Built with the same compiler flags as hnswlib-node (no -march), so the graphs it builds
// and the files it writes are hnswlib-node's, bit for bit. Searches run by default on a copy of the
// graph laid out for searching (search_layout.h: locality order, optional AVX2 distances, bfloat16
// rows or uint8 codes; interleaved_walk.h: several queries walked at once);
// `configureSearch({ layout: 'hnswlib', … })` searches with hnswlib's own searchKnn instead.
//
// JS surface (see ../native-hnsw.ts):
//   new Graph(metric, dim, maxElements, M, efConstruction, seed)  a new, empty graph
//   new Graph(metric, dim, path)                                   a graph read from hnswlib's file
//   graph.add(vectors: Float32Array, firstLabel)                   rows get labels firstLabel, +1, …
//   graph.search(queries: Float32Array, k, rows: Int32Array, distances: Float32Array)
//       fills count × k slots, nearest first; a slot without a hit gets row −1
//   graph.setEf(ef), graph.resize(maxElements), graph.save(path), graph.close()
//   graph.count(), graph.maxElements()
//   graph.configureSearch({ layout: 'hnswlib' | 'insertion' | 'locality', simd: boolean,
//                           quantize: 'none' | 'bf16' | 'int8', hugePages: boolean, prefetch: 'next' | 'all',
//                           group: 1…64, screen: boolean })
//       how later searches run; returns the distance kernel in use ('avx2', 'hnswlib', or 'none'
//       when layout is 'hnswlib')
//   graph.layoutBytes()   memory held by the search layout (0 until the first search builds it)
#include <node_api.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "hnswlib.h"
#include "interleaved_walk.h"
#include "search_layout.h"

namespace {

struct Graph {
  std::unique_ptr<hnswlib::InnerProductSpace> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
  size_t dim = 0;
  bool normalize = false;  // cosine: vectors are unit-normalised on the way in, like hnswlib-node
  bool useLayout = true;   // false: hnswlib's searchKnn on hnswlib's own memory
  retort::LayoutOptions layoutOptions;
  std::unique_ptr<retort::SearchLayout> layout;  // built on the first search after a change

  retort::SearchLayout& searchLayout() {
    if (!layout) layout = std::make_unique<retort::SearchLayout>(*index, space->get_dist_func(), dim, layoutOptions);
    return *layout;
  }
};

// hnswlib-node's normalisation, operation for operation, so that stored and query vectors match.
void normalizeInto(const float* src, float* dst, size_t dim) {
  std::memcpy(dst, src, dim * sizeof(float));
  const float norm = std::sqrt(std::fabs(std::inner_product(dst, dst + dim, dst, 0.0f)));
  if (norm > 0.0f) {
    for (size_t i = 0; i < dim; i++) dst[i] /= norm;
  }
}

napi_value throwError(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return nullptr;
}

#define CHECK(call)                                              \
  do {                                                           \
    if ((call) != napi_ok) return throwError(env, #call " failed"); \
  } while (0)

struct Args {
  napi_value self = nullptr;
  napi_value argv[6] = {};
  size_t argc = 6;
};

bool readArgs(napi_env env, napi_callback_info info, Args& a) {
  return napi_get_cb_info(env, info, &a.argc, a.argv, &a.self, nullptr) == napi_ok;
}

bool readUint(napi_env env, napi_value v, size_t& out) {
  double d = 0;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= 0) || d != std::floor(d) || d > 4294967295.0) return false;
  out = static_cast<size_t>(d);
  return true;
}

bool readString(napi_env env, napi_value v, std::string& out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &length) != napi_ok) return false;
  out.resize(length);
  return napi_get_value_string_utf8(env, v, out.data(), length + 1, &length) == napi_ok;
}

// The element pointer and length of a typed array of the expected kind.
template <typename T>
bool readTyped(napi_env env, napi_value v, napi_typedarray_type want, T*& data, size_t& length) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
  napi_typedarray_type type;
  void* raw = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &raw, nullptr, nullptr) != napi_ok || type != want) return false;
  data = static_cast<T*>(raw);
  return true;
}

Graph* graphOf(napi_env env, napi_value self) {
  void* raw = nullptr;
  if (napi_unwrap(env, self, &raw) != napi_ok || raw == nullptr) return nullptr;
  Graph* g = static_cast<Graph*>(raw);
  return g->index ? g : nullptr;
}

void finalize(napi_env, void* data, void*) { delete static_cast<Graph*>(data); }

napi_value construct(napi_env env, napi_callback_info info) {
  Args a;
  if (!readArgs(env, info, a) || a.argc < 3) return throwError(env, "Graph(metric, dim, path | maxElements, M, efConstruction, seed)");
  std::string metric;
  size_t dim = 0;
  if (!readString(env, a.argv[0], metric) || (metric != "cosine" && metric != "ip")) return throwError(env, "metric must be 'cosine' or 'ip'");
  if (!readUint(env, a.argv[1], dim) || dim == 0) return throwError(env, "dim must be a positive integer");
  auto g = std::make_unique<Graph>();
  g->dim = dim;
  g->normalize = metric == "cosine";
  try {
    g->space = std::make_unique<hnswlib::InnerProductSpace>(dim);
    napi_valuetype third;
    CHECK(napi_typeof(env, a.argv[2], &third));
    if (third == napi_string) {
      std::string path;
      if (!readString(env, a.argv[2], path)) return throwError(env, "path must be a string");
      g->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(g->space.get(), path, false, 0, false);
      // A level-0 record is links, then the vector, then the label: the gap is the vector's size.
      if (g->index->label_offset_ - g->index->offsetData_ != dim * sizeof(float)) {
        return throwError(env, "the file holds vectors of another dimension");
      }
    } else {
      size_t maxElements = 0, M = 0, efConstruction = 0, seed = 0;
      if (a.argc < 6 || !readUint(env, a.argv[2], maxElements) || !readUint(env, a.argv[3], M) ||
          !readUint(env, a.argv[4], efConstruction) || !readUint(env, a.argv[5], seed)) {
        return throwError(env, "maxElements, M, efConstruction and seed must be non-negative integers");
      }
      g->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(g->space.get(), maxElements, M, efConstruction, seed, false);
    }
  } catch (const std::exception& e) {
    return throwError(env, std::string("hnswlib: ") + e.what());
  }
  Graph* raw = g.release();
  if (napi_wrap(env, a.self, raw, finalize, nullptr, nullptr) != napi_ok) {
    delete raw;
    return throwError(env, "napi_wrap failed");
  }
  return a.self;
}

napi_value add(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  float* data = nullptr;
  size_t length = 0, first = 0;
  if (!readTyped(env, a.argv[0], napi_float32_array, data, length) || length % g->dim != 0) {
    return throwError(env, "vectors must be a Float32Array of whole rows");
  }
  if (!readUint(env, a.argv[1], first)) return throwError(env, "firstLabel must be a non-negative integer");
  const size_t count = length / g->dim;
  std::vector<float> point(g->dim);
  g->layout.reset();
  try {
    for (size_t i = 0; i < count; i++) {
      const float* v = data + i * g->dim;
      if (g->normalize) {
        normalizeInto(v, point.data(), g->dim);
        v = point.data();
      }
      g->index->addPoint(v, static_cast<hnswlib::labeltype>(first + i), false);
    }
  } catch (const std::exception& e) {
    return throwError(env, std::string("hnswlib: ") + e.what());
  }
  return nullptr;
}

napi_value search(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  float* queries = nullptr;
  float* distances = nullptr;
  int32_t* rows = nullptr;
  size_t qLength = 0, k = 0, rLength = 0, dLength = 0;
  if (!readTyped(env, a.argv[0], napi_float32_array, queries, qLength) || qLength % g->dim != 0) {
    return throwError(env, "queries must be a Float32Array of whole rows");
  }
  const size_t count = qLength / g->dim;
  if (!readUint(env, a.argv[1], k) || k == 0) return throwError(env, "k must be a positive integer");
  if (!readTyped(env, a.argv[2], napi_int32_array, rows, rLength) || rLength != count * k ||
      !readTyped(env, a.argv[3], napi_float32_array, distances, dLength) || dLength != count * k) {
    return throwError(env, "rows (Int32Array) and distances (Float32Array) must hold queries × k slots");
  }
  try {
    if (g->useLayout) {
      // Normalised copies of a block of queries at a time, handed to the layout's batch search.
      constexpr size_t kBlock = 256;
      std::vector<float> block(g->normalize ? std::min(count, kBlock) * g->dim : 0);
      retort::SearchLayout& layout = g->searchLayout();
      for (size_t first = 0; first < count; first += kBlock) {
        const size_t n = std::min(kBlock, count - first);
        const float* v = queries + first * g->dim;
        if (g->normalize) {
          for (size_t q = 0; q < n; q++) normalizeInto(v + q * g->dim, block.data() + q * g->dim, g->dim);
          v = block.data();
        }
        layout.searchBatch(v, n, k, g->index->ef_, rows + first * k, distances + first * k);
      }
      return nullptr;
    }
    std::vector<float> point(g->dim);
    for (size_t q = 0; q < count; q++) {
      const float* v = queries + q * g->dim;
      if (g->normalize) {
        normalizeInto(v, point.data(), g->dim);
        v = point.data();
      }
      auto knn = g->index->searchKnn(v, k);
      // The heap pops the farthest first: fill from the back, nearest ends up first.
      const size_t found = knn.size();
      int32_t* r = rows + q * k;
      float* d = distances + q * k;
      for (size_t i = found; i < k; i++) {
        r[i] = -1;
        d[i] = INFINITY;
      }
      for (size_t i = found; i-- > 0;) {
        r[i] = static_cast<int32_t>(knn.top().second);
        d[i] = knn.top().first;
        knn.pop();
      }
    }
  } catch (const std::exception& e) {
    return throwError(env, std::string("hnswlib: ") + e.what());
  }
  return nullptr;
}

// One property of the settings object, read as a string or a boolean; false when absent or of another type.
bool readProperty(napi_env env, napi_value object, const char* name, std::string& out) {
  napi_value v;
  return napi_get_named_property(env, object, name, &v) == napi_ok && readString(env, v, out);
}

bool readProperty(napi_env env, napi_value object, const char* name, bool& out) {
  napi_value v;
  return napi_get_named_property(env, object, name, &v) == napi_ok && napi_get_value_bool(env, v, &out) == napi_ok;
}

// More queries at once than this gain nothing (the cache holds their state no longer).
constexpr size_t kMaxGroup = 64;

napi_value configureSearch(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  napi_valuetype type;
  if (a.argc < 1 || napi_typeof(env, a.argv[0], &type) != napi_ok || type != napi_object) {
    return throwError(env, "configureSearch({ layout, simd, quantize, hugePages, prefetch, group, screen })");
  }
  std::string layout, quantize, prefetch;
  bool simd = false, hugePages = false;
  if (!readProperty(env, a.argv[0], "layout", layout) || (layout != "hnswlib" && layout != "insertion" && layout != "locality")) {
    return throwError(env, "layout must be 'hnswlib', 'insertion' or 'locality'");
  }
  if (!readProperty(env, a.argv[0], "quantize", quantize) || (quantize != "none" && quantize != "int8" && quantize != "bf16")) {
    return throwError(env, "quantize must be 'none', 'bf16' or 'int8'");
  }
  if (!readProperty(env, a.argv[0], "prefetch", prefetch) || (prefetch != "next" && prefetch != "all")) return throwError(env, "prefetch must be 'next' or 'all'");
  if (!readProperty(env, a.argv[0], "simd", simd) || !readProperty(env, a.argv[0], "hugePages", hugePages)) {
    return throwError(env, "simd and hugePages must be booleans");
  }
  bool screen = false;
  if (!readProperty(env, a.argv[0], "screen", screen)) return throwError(env, "screen must be a boolean");
  size_t group = 0;
  napi_value groupValue;
  if (napi_get_named_property(env, a.argv[0], "group", &groupValue) != napi_ok || !readUint(env, groupValue, group) || group < 1 || group > kMaxGroup) {
    return throwError(env, "group must be an integer from 1 to " + std::to_string(kMaxGroup));
  }
  if (quantize == "int8" && g->dim > retort::Quantizer::kMaxDim) {
    return throwError(env, "quantize 'int8' supports at most " + std::to_string(retort::Quantizer::kMaxDim) + " dimensions");
  }
  g->useLayout = layout != "hnswlib";
  g->layoutOptions.locality = layout == "locality";
  g->layoutOptions.simd = simd;
  g->layoutOptions.int8 = quantize == "int8";
  g->layoutOptions.bf16 = quantize == "bf16";
  g->layoutOptions.hugePages = hugePages;
  g->layoutOptions.prefetchAll = prefetch == "all";
  g->layoutOptions.group = group;
  g->layoutOptions.screen = screen;
  g->layout.reset();
  napi_value out;
  const char* kernel = g->useLayout ? retort::pickKernels(simd, g->space->get_dist_func()).name : "none";
  CHECK(napi_create_string_utf8(env, kernel, NAPI_AUTO_LENGTH, &out));
  return out;
}

napi_value layoutBytes(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  napi_value out;
  CHECK(napi_create_double(env, g->layout ? static_cast<double>(g->layout->bytes()) : 0.0, &out));
  return out;
}

napi_value setEf(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  size_t ef = 0;
  if (!readUint(env, a.argv[0], ef) || ef == 0) return throwError(env, "ef must be a positive integer");
  g->index->setEf(ef);
  return nullptr;
}

napi_value resize(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  size_t n = 0;
  if (!readUint(env, a.argv[0], n)) return throwError(env, "maxElements must be a non-negative integer");
  g->layout.reset();
  try {
    g->index->resizeIndex(n);
  } catch (const std::exception& e) {
    return throwError(env, std::string("hnswlib: ") + e.what());
  }
  return nullptr;
}

napi_value save(napi_env env, napi_callback_info info) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  std::string path;
  if (!readString(env, a.argv[0], path)) return throwError(env, "path must be a string");
  try {
    g->index->saveIndex(path);
  } catch (const std::exception& e) {
    return throwError(env, std::string("hnswlib: ") + e.what());
  }
  return nullptr;
}

napi_value sizeValue(napi_env env, napi_callback_info info, bool capacity) {
  Args a;
  Graph* g = readArgs(env, info, a) ? graphOf(env, a.self) : nullptr;
  if (g == nullptr) return throwError(env, "the graph is closed");
  napi_value out;
  CHECK(napi_create_double(env, static_cast<double>(capacity ? g->index->getMaxElements() : g->index->getCurrentElementCount()), &out));
  return out;
}

napi_value count(napi_env env, napi_callback_info info) { return sizeValue(env, info, false); }
napi_value maxElements(napi_env env, napi_callback_info info) { return sizeValue(env, info, true); }

// Frees the graph now rather than when the wrapper is collected; later calls throw.
napi_value close(napi_env env, napi_callback_info info) {
  Args a;
  if (!readArgs(env, info, a)) return nullptr;
  void* raw = nullptr;
  if (napi_unwrap(env, a.self, &raw) == napi_ok && raw != nullptr) {
    Graph* g = static_cast<Graph*>(raw);
    g->layout.reset();
    g->index.reset();
    g->space.reset();
  }
  return nullptr;
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor methods[] = {
    {"add", nullptr, add, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"search", nullptr, search, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"setEf", nullptr, setEf, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"resize", nullptr, resize, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"save", nullptr, save, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"count", nullptr, count, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"maxElements", nullptr, maxElements, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"configureSearch", nullptr, configureSearch, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"layoutBytes", nullptr, layoutBytes, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"close", nullptr, close, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_value graph;
  CHECK(napi_define_class(env, "Graph", NAPI_AUTO_LENGTH, construct, nullptr, sizeof(methods) / sizeof(methods[0]), methods, &graph));
  CHECK(napi_set_named_property(env, exports, "Graph", graph));
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
