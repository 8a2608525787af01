#include "malloccount/snapshot_json.hpp"

namespace wsalloc::malloccount {

void to_json(nlohmann::json& j, const CounterSnapshot& s) {
  // ordered_json would keep field order, but the harness reads by name; plain json keeps the type
  // the rest of wsalloc uses.
  nlohmann::json families = nlohmann::json::object();
  for (uint32_t f = 0; f < kFamilyCount; ++f)
    families[std::string(family_name(static_cast<Family>(f)))] = {{"calls", s.family[f].calls},
                                                                   {"bytes", s.family[f].bytes}};
  j = nlohmann::json{{"version", s.version},
                     {"creator_pid", s.creator_pid},
                     {"generation", s.generation},
                     {"attaches", s.attaches},
                     {"forks", s.forks},
                     {"shard_claims", s.shard_claims},
                     {"allocations", s.allocations},
                     {"frees", s.frees},
                     {"bytes_allocated", s.bytes_allocated},
                     {"failed", s.failed},
                     {"families", std::move(families)}};
}

void from_json(const nlohmann::json& j, CounterSnapshot& s) {
  j.at("version").get_to(s.version);
  j.at("creator_pid").get_to(s.creator_pid);
  j.at("generation").get_to(s.generation);
  j.at("attaches").get_to(s.attaches);
  j.at("forks").get_to(s.forks);
  j.at("shard_claims").get_to(s.shard_claims);
  j.at("allocations").get_to(s.allocations);
  j.at("frees").get_to(s.frees);
  j.at("bytes_allocated").get_to(s.bytes_allocated);
  j.at("failed").get_to(s.failed);
  const nlohmann::json& families = j.at("families");
  for (uint32_t f = 0; f < kFamilyCount; ++f) {
    const nlohmann::json& fam = families.at(std::string(family_name(static_cast<Family>(f))));
    fam.at("calls").get_to(s.family[f].calls);
    fam.at("bytes").get_to(s.family[f].bytes);
  }
}

}  // namespace wsalloc::malloccount
