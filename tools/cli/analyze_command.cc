// parallax analyze: what the parallel plan looks like before running it — branches, layers,
// W and C, the layers the scheduler will run concurrently, planned arenas, the largest branches.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "cli_common.h"

namespace parallax::cli {
namespace {

constexpr int kTopBranches = 10;
constexpr int kBoundThreads[] = {2, 4, 8};

std::string Bytes(size_t b) {
  char buf[32];
  if (b < 1024) {
    std::snprintf(buf, sizeof buf, "%zu B", b);
  } else if (b < 1048576) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f MiB", b / 1048576.0);
  }
  return buf;
}

// JSON has no NaN or infinity.
std::string Num(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Derived facts the text and JSON outputs share.
struct Summary {
  std::map<size_t, int> width_layers;  // branches per layer → layers of that width
  size_t max_width = 0;
  double parallelism = 0;     // W / C
  int concurrent_layers = 0;  // lanes > 1
  double concurrent_seq_ms = 0, concurrent_conc_ms = 0;
  int accelerator_steps = 0;  // steps placed on the accelerator (--accelerator)
  std::vector<int32_t> top;  // branch ids, largest peak first
};

Summary Summarize(const PlanReport& r) {
  Summary s;
  for (const StepReport& st : r.steps) s.accelerator_steps += st.on_accelerator ? 1 : 0;
  for (const LayerReport& l : r.layers) {
    ++s.width_layers[l.branches.size()];
    s.max_width = std::max(s.max_width, l.branches.size());
    if (l.lanes > 1) {
      ++s.concurrent_layers;
      s.concurrent_seq_ms += l.sequential_ms;
      s.concurrent_conc_ms += l.concurrent_ms;
    }
  }
  s.parallelism = r.critical_path_ms > 0 ? r.work_ms / r.critical_path_ms : 1.0;
  for (size_t b = 0; b < r.branches.size(); ++b) s.top.push_back(static_cast<int32_t>(b));
  std::stable_sort(s.top.begin(), s.top.end(), [&](int32_t a, int32_t b) {
    return r.branches[a].peak_bytes > r.branches[b].peak_bytes;
  });
  if (s.top.size() > kTopBranches) s.top.resize(kTopBranches);
  return s;
}

const std::string& FirstNode(const PlanReport& r, const BranchReport& b) {
  static const std::string kNone;
  return b.steps.empty() ? kNone : r.steps[b.steps.front()].node;
}
const std::string& LastNode(const PlanReport& r, const BranchReport& b) {
  static const std::string kNone;
  return b.steps.empty() ? kNone : r.steps[b.steps.back()].node;
}

void PrintText(const std::string& name, const PlanReport& r, const PlanStats& ps, const Summary& s,
               bool verbose) {
  std::printf("model          %s\n", name.c_str());
  std::printf("threads        %d\n", r.threads);
  std::printf("nodes          %zu run, %zu folded at plan time\n", r.steps.size(), ps.nodes_folded);
  std::printf("branches       %zu in %zu layers\n", r.branches.size(), r.layers.size());
  std::printf("widths        ");
  bool first = true;
  for (const auto& [w, n] : s.width_layers) {
    std::printf("%swidth %zu: %d%s", first ? " " : ", ", w, n,
                first ? (n == 1 ? " layer" : " layers") : "");
    first = false;
  }
  std::printf("; max width %zu\n", s.max_width);
  std::printf("W (work)       %.3f ms (cost model, one thread)\n", r.work_ms);
  std::printf("C (critical)   %.3f ms\n", r.critical_path_ms);
  std::printf("W/C            %.2f; bound min(W/C, P):", s.parallelism);
  for (int p : kBoundThreads) std::printf(" P=%d %.2f", p, std::min<double>(s.parallelism, p));
  std::printf("\n");
  std::printf("concurrent     %d of %zu layers at %d threads", s.concurrent_layers, r.layers.size(),
              r.threads);
  if (s.concurrent_layers > 0) {
    std::printf(": %.3f ms sequential -> %.3f ms concurrent (predicted)", s.concurrent_seq_ms,
                s.concurrent_conc_ms);
  }
  std::printf("\n");
  std::printf("accelerator    %d of %zu steps\n", s.accelerator_steps, r.steps.size());
  std::printf("arena          sequential %s, parallel %s (minimum %s), shared region %s\n",
              Bytes(r.sequential_arena_bytes).c_str(), Bytes(r.parallel_arena_bytes).c_str(),
              Bytes(r.parallel_min_arena_bytes).c_str(), Bytes(r.shared_bytes).c_str());
  if (verbose) {
    std::printf("\n%6s %9s %6s %14s %14s\n", "layer", "branches", "lanes", "sequential ms",
                "concurrent ms");
    for (size_t l = 0; l < r.layers.size(); ++l) {
      const LayerReport& L = r.layers[l];
      std::printf("%6zu %9zu %6d %14.3f %14.3f\n", l, L.branches.size(), L.lanes, L.sequential_ms,
                  L.concurrent_ms);
    }
  }
  std::printf("\ntop branches by peak bytes\n%7s %6s %6s %9s %11s %11s  %s\n", "branch", "steps",
              "layer", "est ms", "arena", "peak", "first -> last node");
  for (int32_t b : s.top) {
    const BranchReport& br = r.branches[b];
    std::printf("%7d %6zu %6d %9.3f %11s %11s  %s -> %s\n", b, br.steps.size(), br.layer, br.est_ms,
                Bytes(br.arena_bytes).c_str(), Bytes(br.peak_bytes).c_str(),
                FirstNode(r, br).c_str(), LastNode(r, br).c_str());
  }
}

template <typename T>
std::string IntArray(const std::vector<T>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

void PrintJson(const std::string& name, const PlanReport& r, const PlanStats& ps,
               const Summary& s) {
  std::string o =
      "{\"model\": \"" + JsonEscape(name) + "\", \"threads\": " + std::to_string(r.threads);
  o += ", \"nodes\": " + std::to_string(r.steps.size());
  o += ", \"nodes_folded\": " + std::to_string(ps.nodes_folded);
  o += ", \"branch_count\": " + std::to_string(r.branches.size());
  o += ", \"layer_count\": " + std::to_string(r.layers.size());
  o += ", \"width_histogram\": {";
  for (auto it = s.width_layers.begin(); it != s.width_layers.end(); ++it) {
    o += (it == s.width_layers.begin() ? "\"" : ", \"") + std::to_string(it->first) +
         "\": " + std::to_string(it->second);
  }
  o += "}, \"max_width\": " + std::to_string(s.max_width);
  o += ", \"work_ms\": " + Num(r.work_ms) + ", \"critical_path_ms\": " + Num(r.critical_path_ms);
  o += ", \"parallelism\": " + Num(s.parallelism) + ", \"speedup_bound\": {";
  for (int p : kBoundThreads) {
    o += (p == kBoundThreads[0] ? "\"" : ", \"") + std::to_string(p) +
         "\": " + Num(std::min<double>(s.parallelism, p));
  }
  o += "}, \"concurrent_layers\": " + std::to_string(s.concurrent_layers);
  o += ", \"concurrent_layers_sequential_ms\": " + Num(s.concurrent_seq_ms);
  o += ", \"concurrent_layers_concurrent_ms\": " + Num(s.concurrent_conc_ms);
  o += ", \"accelerator_steps\": " + std::to_string(s.accelerator_steps);
  o += ", \"sequential_arena_bytes\": " + std::to_string(r.sequential_arena_bytes);
  o += ", \"parallel_arena_bytes\": " + std::to_string(r.parallel_arena_bytes);
  o += ", \"parallel_min_arena_bytes\": " + std::to_string(r.parallel_min_arena_bytes);
  o += ", \"shared_bytes\": " + std::to_string(r.shared_bytes);
  o += ", \"layers\": [";
  for (size_t l = 0; l < r.layers.size(); ++l) {
    const LayerReport& L = r.layers[l];
    o += std::string(l ? ", " : "") + "{\"branches\": " + IntArray(L.branches) +
         ", \"lanes\": " + std::to_string(L.lanes) +
         ", \"sequential_ms\": " + Num(L.sequential_ms) +
         ", \"concurrent_ms\": " + Num(L.concurrent_ms) + "}";
  }
  o += "], \"branches\": [";
  for (size_t b = 0; b < r.branches.size(); ++b) {
    const BranchReport& br = r.branches[b];
    o += std::string(b ? ", " : "") + "{\"first\": \"" + JsonEscape(FirstNode(r, br)) +
         "\", \"last\": \"" + JsonEscape(LastNode(r, br)) +
         "\", \"steps\": " + std::to_string(br.steps.size()) +
         ", \"layer\": " + std::to_string(br.layer) + ", \"preds\": " + IntArray(br.preds) +
         ", \"est_ms\": " + Num(br.est_ms) +
         ", \"arena_bytes\": " + std::to_string(br.arena_bytes) +
         ", \"peak_bytes\": " + std::to_string(br.peak_bytes) + "}";
  }
  o += "], \"top_branches_by_peak\": " + IntArray(s.top) + "}\n";
  std::fputs(o.c_str(), stdout);
}

// Text for inside a DOT double-quoted string: quotes and backslashes escaped (so a name never
// reads as a label escape like \N), line breaks as spaces.
std::string DotEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out;
}

bool WriteDot(const std::string& path, const PlanReport& r) {
  static const char* kPalette[] = {"#a6cee3", "#b2df8a", "#fb9a99", "#fdbf6f",
                                   "#cab2d6", "#ffff99", "#8dd3c7", "#fccde5"};
  constexpr size_t kColors = sizeof kPalette / sizeof kPalette[0];
  std::ofstream f(path);
  if (!f) return false;
  f << "digraph parallax_plan {\n  rankdir=TB;\n  node [shape=box, style=\"rounded,filled\", "
       "fontsize=10];\n";
  auto id = [](int32_t step) { return "\"s" + std::to_string(step) + "\""; };
  for (size_t b = 0; b < r.branches.size(); ++b) {
    const BranchReport& br = r.branches[b];
    f << "  subgraph cluster_b" << b << " {\n    label=\"branch " << b << " (layer " << br.layer
      << ")\";\n";
    for (int32_t s : br.steps) {
      const StepReport& st = r.steps[s];
      // Two label lines: the op, then the node name.
      f << "    " << id(s) << " [label=\"" << DotEscape(st.op) << "\\n"
        << DotEscape(st.node) << "\", fillcolor=\""
        << kPalette[static_cast<size_t>(st.layer) % kColors] << "\""
        << (st.on_accelerator ? ", color=\"red\", penwidth=3, shape=box3d" : "") << "];\n";
    }
    f << "  }\n";
  }
  for (const BranchReport& br : r.branches) {
    for (size_t i = 1; i < br.steps.size(); ++i) {
      f << "  " << id(br.steps[i - 1]) << " -> " << id(br.steps[i]) << ";\n";
    }
    if (br.steps.empty()) continue;
    for (int32_t p : br.preds) {
      const BranchReport& pred = r.branches[p];
      if (pred.steps.empty()) continue;
      f << "  " << id(pred.steps.back()) << " -> " << id(br.steps.front()) << ";\n";
    }
  }
  f << "}\n";
  return static_cast<bool>(f.flush());
}

}  // namespace

int AnalyzeCommand(const std::string& model, const std::vector<std::string>& inputs,
                   const SessionOptions& o, uint32_t seed, bool json, const std::string& dot_path,
                   bool verbose) {
  if (o.mode != ExecutionMode::kParallel) {
    // The report of the parallel plan covers both modes (it gives the sequential arena too).
    std::cerr << "error: analyze describes the parallel plan; drop --mode sequential\n";
    return 1;
  }
  auto loaded = OpenWithInputs(model, inputs, o, seed);
  if (!loaded.ok()) return PrintError(loaded.status());
  std::unique_ptr<Session> session = std::move(loaded->session);
  const NamedTensors feeds = std::move(loaded->feeds);
  auto stats = session->Plan(feeds);
  if (!stats.ok()) {
    std::cerr << "error: " << stats.status().message() << "\n";
    return 1;
  }
  auto report = session->Report(feeds);
  if (!report.ok()) {
    std::cerr << "error: " << report.status().message() << "\n";
    return 1;
  }
  const Summary summary = Summarize(*report);
  const std::string name = model.empty() ? EmbeddedModelName() : model;
  if (json) {
    PrintJson(name, *report, *stats, summary);
  } else {
    PrintText(name, *report, *stats, summary, verbose);
  }
  if (!dot_path.empty() && !WriteDot(dot_path, *report)) {
    std::cerr << "error: cannot write " << dot_path << "\n";
    return 1;
  }
  return 0;
}

}  // namespace parallax::cli
