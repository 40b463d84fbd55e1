#include "resume_state.hpp"

#include <sys/stat.h>
#include <xxhash.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

#include "json_util.hpp"

namespace banlist::banctl {

std::expected<resume_key, std::string> key_of(const std::filesystem::path& file,
                                              const std::string& url,
                                              const std::string& operation) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return std::unexpected("cannot read " + file.string());
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return std::unexpected("cannot open " + file.string());
  std::vector<char> prefix(64 * 1024);
  in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  const auto got = static_cast<std::size_t>(in.gcount());
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(prefix.data(), got)));
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(file, ec);
  resume_key key;
  key.path = (ec ? file : absolute).lexically_normal().string();
  key.size = static_cast<std::uint64_t>(st.st_size);
  key.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  key.prefix_hash = hex;
  key.url = url;
  key.operation = operation;
  return key;
}

std::optional<resume_state> load_state(const std::filesystem::path& state_file) {
  std::ifstream in(state_file, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const auto doc = parse_json(text.str());
  if (!doc || !doc->IsObject())
    return std::nullopt;
  const auto& d = *doc;
  auto u64 = [&](const char* name) -> std::optional<std::uint64_t> {
    if (!d.HasMember(name) || !d[name].IsUint64())
      return std::nullopt;
    return d[name].GetUint64();
  };
  resume_state s;
  s.key.path = field_text(d, "path");
  s.key.prefix_hash = field_text(d, "prefix_hash");
  s.key.url = field_text(d, "url");
  s.key.operation = field_text(d, "operation");
  const auto size = u64("size");
  const auto next = u64("next_line");
  const auto reject = u64("reject_size");
  if (!size || !next || !reject || !d.HasMember("mtime_ns") || !d["mtime_ns"].IsInt64())
    return std::nullopt;
  s.key.size = *size;
  s.key.mtime_ns = d["mtime_ns"].GetInt64();
  s.next_line = *next;
  s.reject_size = *reject;
  if (d.HasMember("counts") && d["counts"].IsObject()) {
    for (const auto& m : d["counts"].GetObject()) {
      if (m.value.IsUint64())
        s.counts[std::string(m.name.GetString(), m.name.GetStringLength())] = m.value.GetUint64();
    }
  }
  return s;
}

bool save_state(const std::filesystem::path& state_file, const resume_state& state,
                std::string& error) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("path");
  w.String(state.key.path.c_str());
  w.Key("size");
  w.Uint64(state.key.size);
  w.Key("mtime_ns");
  w.Int64(state.key.mtime_ns);
  w.Key("prefix_hash");
  w.String(state.key.prefix_hash.c_str());
  w.Key("url");
  w.String(state.key.url.c_str());
  w.Key("operation");
  w.String(state.key.operation.c_str());
  w.Key("next_line");
  w.Uint64(state.next_line);
  w.Key("reject_size");
  w.Uint64(state.reject_size);
  w.Key("counts");
  w.StartObject();
  for (const auto& [name, n] : state.counts) {
    w.Key(name.c_str());
    w.Uint64(n);
  }
  w.EndObject();
  w.EndObject();
  const auto temp = state_file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << buffer.GetString() << '\n';
    out.flush();
    if (!out) {
      error = "cannot write " + temp;
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, state_file, ec);
  if (ec) {
    error = "cannot write " + state_file.string() + ": " + ec.message();
    return false;
  }
  return true;
}

}  // namespace banlist::banctl
