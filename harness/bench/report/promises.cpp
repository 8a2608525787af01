#include "bench/report/promises.hpp"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/report/number_text.hpp"

namespace wsalloc::report {
namespace {

using nlohmann::json;

constexpr std::string_view kMet = "met", kNotMet = "not met", kInconclusive = "inconclusive",
                           kNotMeasurable = "not measurable here";

bool is_variant(std::string_view target) {
  return target == "arena" || target == "pool" || target == "zerocopy" || target.starts_with("arena+") ||
         target.starts_with("pool+") || target.starts_with("zerocopy+");
}

std::optional<double> median_of(const json& row, const char* metric) {
  const json* m = row.contains("metrics") ? &row["metrics"] : nullptr;
  if (!m || !m->contains(metric)) return std::nullopt;
  const json& v = (*m)[metric]["median"];
  return v.is_number() ? std::optional<double>(v.get<double>()) : std::nullopt;
}

std::string case_id(const json& row) {
  const std::string c = row.value("case", "default");
  return c == "default" ? row.value("scenario", "") : row.value("scenario", "") + "/" + c;
}

bool is_echo_case(const json& row) { return row.value("scenario", "").starts_with("echo-"); }

// A comparison's ratio turned into the promise's quantity (a gain or a reduction) with its interval.
struct Figure {
  double value = 0, low = 0, high = 0;
  std::string where;  // "zerocopy, echo-small"
  bool has_interval = false;
};

json row(std::string promise, std::string claim, std::string measured, std::string interval, std::string_view verdict,
         std::string why) {
  return {{"promise", std::move(promise)}, {"claim", std::move(claim)},     {"measured", std::move(measured)},
          {"interval", std::move(interval)}, {"verdict", std::string(verdict)}, {"why", std::move(why)}};
}

// The best figure over the variants' comparisons of `metric` against malloc; `turn` makes the
// promise's quantity from a ratio (it may reverse the order of the bounds).
template <class Turn>
std::optional<Figure> best_figure(const json& results, std::string_view metric, Turn turn) {
  std::optional<Figure> best;
  for (const json& c : results.value("comparisons", json::array())) {
    if (c.value("metric", "") != metric || c.value("reference", "") != "malloc") continue;
    const std::string target = c.value("target", "");
    if (!is_variant(target)) continue;
    Figure f;
    f.value = turn(c["ratio"].get<double>());
    if (c["ci_low"].is_number() && c["ci_high"].is_number()) {
      const double a = turn(c["ci_low"].get<double>()), b = turn(c["ci_high"].get<double>());
      f.low = std::min(a, b), f.high = std::max(a, b), f.has_interval = true;
    }
    f.where = target + ", " + case_id(c);
    if (!best || f.value > best->value) best = f;
  }
  return best;
}

std::string interval_text(const Figure& f, const char* unit_format) {
  if (!f.has_interval) return "—";
  return fmt::format(fmt::runtime(unit_format), f.low) + " – " + fmt::format(fmt::runtime(unit_format), f.high);
}

// A row's "why", with the reason a figure without an interval gets no verdict.
std::string why_with_interval(const Figure& f, std::string why) {
  if (f.has_interval) return why;
  return why + (why.empty() ? "" : "; ") + "one block: no interval, so no verdict";
}

// At least `bound` is the promise: met when the interval's low end reaches it, not met when its
// high end does not; without an interval (one block) there is no verdict.
std::string_view at_least(const Figure& f, double bound) {
  if (!f.has_interval) return kInconclusive;
  if (f.low >= bound) return kMet;
  if (f.high < bound) return kNotMet;
  return kInconclusive;
}

json allocations_before(const json& results) {
  std::vector<std::string> seen;
  std::optional<double> echo_small;
  for (const json& r : results.value("summary", json::array())) {
    if (r.value("target", "") != "malloc" || !is_echo_case(r)) continue;
    if (const auto v = median_of(r, "allocations_per_msg")) {
      seen.push_back(case_id(r) + " " + format_number(*v));
      if (!echo_small || r.value("scenario", "") == "echo-small") echo_small = *v;
    }
  }
  const std::string claim = "the malloc baseline makes 20–30 allocations per message";
  if (!echo_small)
    return row("allocations before", claim, kNotMeasured, "—", kNotMeasurable,
               "no counting pass of the malloc variant in an echo case in this run");
  const bool met = *echo_small >= 20 && *echo_small <= 30;
  return row("allocations before", claim, fmt::format("{} alloc/msg", format_number(*echo_small)),
             "exact (counted)", met ? kMet : kNotMet,
             met ? "" : fmt::format("the baseline here is glibc malloc behind a careful server, not a naive one ({})",
                                    fmt::join(seen, "; ")));
}

json allocations_after(const json& results) {
  double worst = -1;
  std::string where;
  for (const json& r : results.value("summary", json::array())) {
    if (!is_variant(r.value("target", "")) || !is_echo_case(r)) continue;
    if (const auto v = median_of(r, "allocations_per_msg"); v && *v > worst) worst = *v, where = r.value("target", "") + ", " + case_id(r);
  }
  const std::string claim = "arena, pool and zerocopy make 0 allocations per message";
  if (worst < 0)
    return row("allocations after", claim, kNotMeasured, "—", kNotMeasurable, "no counting pass of a variant in an echo case");
  // The counting pass subtracts two runs: a value below kNearZero is a growth event, not per message.
  const bool met = worst < kNearZero;
  return row("allocations after", claim, fmt::format("at most {} alloc/msg ({})", format_number(worst), where),
             "exact (counted)", met ? kMet : kNotMet, met ? "" : "a variant allocates per message in steady state");
}

json throughput(const json& results) {
  const auto f = best_figure(results, "server_cpu_us_per_msg", [](double r) { return 1.0 / r; });
  const std::string claim = "2–5× the malloc baseline's throughput";
  if (!f)
    return row("throughput", claim, kNotMeasured, "—", kNotMeasurable, "no variant compared with malloc on server CPU");
  return row("throughput", claim, fmt::format("×{:.2f} messages per server CPU-second ({})", f->value, f->where),
             interval_text(*f, "×{:.2f}"), at_least(*f, 2.0),
             why_with_interval(*f, "capacity = 1 / server CPU per message; msgs/s is bounded by the load generator on this machine"));
}

// A promise of "at least `bound` less than malloc" on a lower-is-better metric: 1 - ratio, in %.
json reduction(const json& results, const char* promise, const char* claim, const char* metric, double bound,
               const char* what, const char* missing, const char* why) {
  const auto f = best_figure(results, metric, [](double r) { return 1.0 - r; });
  if (!f) return row(promise, claim, kNotMeasured, "—", kNotMeasurable, missing);
  const Figure pct{100 * f->value, 100 * f->low, 100 * f->high, f->where, f->has_interval};
  return row(promise, claim, fmt::format("{:.0f} % {} ({})", pct.value, what, f->where), interval_text(pct, "{:.0f} %"),
             at_least(*f, bound), why_with_interval(*f, why));
}

json websocat(const json& results) {
  std::optional<double> ours, theirs;
  for (const json& r : results.value("summary", json::array())) {
    if (r.value("scenario", "") != "echo-small") continue;
    if (r.value("target", "") == "zerocopy") ours = median_of(r, "server_cpu_us_per_msg");
    if (r.value("target", "") == "websocat") theirs = median_of(r, "server_cpu_us_per_msg");
  }
  const std::string claim = "competitive with websocat";
  if (!theirs)
    return row("websocat", claim, kNotMeasured, "—", kNotMeasurable,
               "websocat did not run (not on PATH: neither Debian nor npm packages it)");
  if (!ours) return row("websocat", claim, kNotMeasured, "—", kNotMeasurable, "zerocopy did not run echo-small");
  const double ratio = *theirs / *ours;
  return row("websocat", claim, fmt::format("websocat uses ×{:.2f} zerocopy's server CPU per message (echo-small)", ratio),
             "— (medians)", ratio >= 1.0 ? kMet : kNotMet, "");
}

}  // namespace

json promises_view(const json& results) {
  json rows = json::array();
  rows.push_back(allocations_before(results));
  rows.push_back(allocations_after(results));
  rows.push_back(throughput(results));
  rows.push_back(reduction(results, "tail latency", "p99 latency 50–80 % lower than the malloc baseline's",
                           "latency_p99_us", 0.5, "lower p99", "no open-loop p99 compared with malloc in this run",
                           "open loop at the same offered rate; latency from the intended send time"));
  rows.push_back(reduction(results, "memory", "30–50 % less memory per connection than the malloc baseline",
                           "rss_per_conn_bytes", 0.3, "less RSS per idle connection",
                           "no idle case compared with malloc in this run", ""));
  rows.push_back(row("stable memory", "memory stays flat under sustained load", kNotMeasured, "—", kNotMeasurable,
                     "a make bench run lasts seconds; `make soak` measures RSS growth over minutes per variant"));
  rows.push_back(websocat(results));
  return rows;
}

}  // namespace wsalloc::report
