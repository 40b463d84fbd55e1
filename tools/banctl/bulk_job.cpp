#include "bulk_job.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "bulk_upload.hpp"
#include "command.hpp"
#include "json_util.hpp"
#include "progress.hpp"
#include "resume_state.hpp"

namespace banlist::banctl {
namespace {

namespace fs = std::filesystem;

bool blank(std::string_view line) {
  for (const char c : line) {
    if (c != ' ' && c != '\t' && c != '\r')
      return false;
  }
  return true;
}

std::string strip_cr(std::string line) {
  if (!line.empty() && line.back() == '\r')
    line.pop_back();
  return line;
}

std::string csv_quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

// What the first pass over the file finds.
struct file_plan {
  std::uint64_t header_line = 0;   // CSV: the header's line number
  std::string header;              // CSV: the header line, without its line end
  std::uint64_t start_line = 0;    // first line to send
  std::uint64_t start_offset = 0;  // its byte offset
  std::uint64_t remaining = 0;     // data lines from start_line on (the server's ?lines=)
};

std::optional<file_plan> plan_file(const std::string& path, bool csv, std::uint64_t resume_line,
                                   std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open " + path;
    return std::nullopt;
  }
  file_plan plan;
  std::string line;
  std::uint64_t number = 0;
  std::uint64_t offset = 0;
  bool start_found = false;
  while (std::getline(in, line)) {
    ++number;
    const std::uint64_t line_offset = offset;
    offset += line.size() + (in.eof() ? 0 : 1);
    if (csv && plan.header_line == 0) {
      if (!blank(line)) {
        plan.header_line = number;
        plan.header = strip_cr(line);
      }
      continue;
    }
    if (!start_found && number >= resume_line) {
      start_found = true;
      plan.start_line = number;
      plan.start_offset = line_offset;
    }
    if (start_found && !blank(line))
      ++plan.remaining;
  }
  if (csv && plan.header_line == 0) {
    error =
        path + " has no CSV header line (it needs one naming its columns, e.g. type,value,reason)";
    return std::nullopt;
  }
  if (!start_found) {
    plan.start_line = number + 1;
    plan.start_offset = offset;
  }
  return plan;
}

}  // namespace

int run_bulk(session& s, const bulk_operation& op, const bulk_options& options, std::ostream& out,
             std::ostream& err) {
  const std::string& file = options.file;
  std::string format = options.format.value_or("");
  if (format.empty()) {
    const auto ext = fs::path(file).extension().string();
    if (ext == ".csv")
      format = "csv";
    else if (ext == ".ndjson" || ext == ".jsonl" || ext == ".json")
      format = "ndjson";
  }
  if (format != "csv" && format != "ndjson") {
    err << s.command << ": cannot tell the format of " << file
        << " from its name; pass --format csv or --format ndjson\n";
    return kExitUsage;
  }
  const bool csv = format == "csv";
  auto key = key_of(file, s.client.url().text, std::string(op.name));
  if (!key) {
    err << s.command << ": " << key.error() << "\n";
    return kExitInvalidInput;
  }
  const fs::path state_path = file + "." + std::string(op.name) + ".state";
  const fs::path reject_path = options.rejects
                                   ? fs::path(*options.rejects)
                                   : fs::path(file + "." + std::string(op.name) + ".rejects");

  resume_state state;
  state.key = *key;
  bool resuming = false;
  if (auto saved = load_state(state_path); saved && !options.restart) {
    if (saved->key == *key) {
      state = *saved;
      resuming = true;
    } else {
      err << s.command << ": " << file
          << " (or the server URL) changed since the interrupted run; starting from line 1\n";
    }
  }
  std::string error;
  auto plan = plan_file(file, csv, resuming ? state.next_line : 0, error);
  if (!plan) {
    err << s.command << ": " << error << "\n";
    return kExitInvalidInput;
  }
  if (!resuming) {
    state.next_line = plan->start_line;
    state.reject_size = 0;
    state.counts.clear();
  }
  if (resuming) {
    err << s.command << ": resuming " << file << " at line " << plan->start_line << " ("
        << plan->remaining << " lines left)\n";
  }

  // The reject file covers exactly the lines before next_line: cut what a
  // killed run wrote after its last saved state.
  std::error_code ec;
  if (state.reject_size == 0) {
    fs::remove(reject_path, ec);
  } else {
    fs::resize_file(reject_path, state.reject_size, ec);
    if (ec) {
      err << s.command << ": cannot reopen the reject file " << reject_path.string() << ": "
          << ec.message() << " (pass --restart to start over)\n";
      return kExitInvalidInput;
    }
  }
  std::ofstream rejects;
  auto open_rejects = [&]() -> bool {
    if (rejects.is_open())
      return true;
    rejects.open(reject_path, std::ios::binary | std::ios::app);
    if (rejects && state.reject_size == 0 && csv)
      rejects << "line,error_code,error_message," << plan->header << '\n';
    return static_cast<bool>(rejects);
  };

  std::ifstream ack(file, std::ios::binary);
  ack.seekg(static_cast<std::streamoff>(plan->start_offset));
  std::uint64_t ack_line = plan->start_line - 1;  // last line read by `ack`
  std::string ack_text;
  std::uint64_t acked = 0;
  bool unknown_seen = false;
  bool write_failed = false;
  std::optional<rapidjson::Document> summary;
  auto last_save = std::chrono::steady_clock::now();
  progress bar(err, std::string(op.name), plan->remaining, "lines",
               progress::stderr_is_terminal() && !s.json);

  auto save = [&]() {
    if (rejects.is_open()) {
      rejects.flush();
      state.reject_size = static_cast<std::uint64_t>(rejects.tellp());
    }
    std::string save_error;
    if (!save_state(state_path, state, save_error)) {
      err << s.command << ": " << save_error << "\n";
      write_failed = true;
    }
    last_save = std::chrono::steady_clock::now();
  };

  auto on_line = [&](std::string_view text) -> bool {
    auto doc = parse_json(text);
    if (!doc || !doc->IsObject())
      return true;  // not ours to judge; the summary decides
    if (doc->HasMember("summary")) {
      summary = std::move(doc);
      return true;
    }
    if (unknown_seen)
      return true;  // everything from the first unknown line is resent on resume
    const std::string status = field_text(*doc, "status");
    if (status == "unknown") {
      unknown_seen = true;
      return true;
    }
    if (!doc->HasMember("line") || !(*doc)["line"].IsUint64())
      return true;
    const std::uint64_t body_line = (*doc)["line"].GetUint64();
    const std::uint64_t file_line =
        csv ? plan->start_line + body_line - 2 : plan->start_line + body_line - 1;
    while (ack_line < file_line && std::getline(ack, ack_text))
      ++ack_line;
    if (status == "rejected" || status == "invalid") {
      if (!open_rejects()) {
        err << s.command << ": cannot write the reject file " << reject_path.string() << "\n";
        write_failed = true;
        return false;
      }
      const auto& e = (*doc)["error"];
      const std::string code = field_text(e, "code");
      std::string message = field_text(e, "message");
      if (const auto rule = field_text(e, "rule");
          !rule.empty() && message.find(rule) == std::string::npos)
        message += " (rule " + rule + ")";
      if (csv) {
        rejects << file_line << ',' << code << ',' << csv_quote(message) << ','
                << strip_cr(ack_text) << '\n';
      } else {
        rejects << json_object()
                       .number("line", file_line)
                       .string("code", code)
                       .string("message", message)
                       .string("input", strip_cr(ack_text))
                       .take()
                << '\n';
      }
    }
    ++state.counts[status];
    ++acked;
    state.next_line = file_line + 1;
    bar.update(acked);
    if (acked % 2000 == 0 ||
        std::chrono::steady_clock::now() - last_save > std::chrono::milliseconds(300))
      save();
    return !write_failed;
  };

  upload_spec spec;
  spec.target = std::string(op.route);
  add_query(spec.target, "lines", std::to_string(plan->remaining));
  if (options.confirm)
    add_query(spec.target, "confirm", "true");
  spec.content_type = csv ? "text/csv" : "application/x-ndjson";
  if (csv)
    spec.first_chunk = plan->header + "\n";
  spec.file = file;
  spec.offset = plan->start_offset;
  spec.max_rate = options.max_rate;

  if (plan->remaining == 0) {
    fs::remove(state_path, ec);
    err << s.command << ": " << file << " has no lines left to send\n";
    return kExitOk;
  }
  save();  // a run killed before its first answer resumes where it began
  auto result = bulk_upload(s.client, spec, on_line);
  if (!result) {
    bar.finish();
    return report_transport_error(err, s, result.error());
  }
  if (result->reply.status < 200 || result->reply.status >= 300) {
    bar.finish();
    const int rc = report_reply_error(err, s, result->reply);
    if (!resuming)
      fs::remove(state_path, ec);  // refused before any line: nothing to resume
    if (result->reply.status == 409)
      err << s.command << ": nothing was changed\n";
    return rc;
  }
  save();
  bar.finish();
  if (rejects.is_open())
    rejects.close();

  const bool server_complete = summary && summary->IsObject() && (*summary)["summary"].IsObject() &&
                               field_text((*summary)["summary"], "complete") == "true";
  const bool complete =
      server_complete && !unknown_seen && acked == plan->remaining && !write_failed;
  std::uint64_t rejected_total = 0;
  for (const auto& [status, n] : state.counts) {
    if (status == "rejected" || status == "invalid")
      rejected_total += n;
  }
  if (complete)
    fs::remove(state_path, ec);

  if (s.json) {
    json_object o;
    o.string("file", file).boolean("complete", complete);
    for (const auto& [status, n] : state.counts)
      o.number(status, n);
    if (rejected_total > 0)
      o.string("rejects", reject_path.string());
    if (!complete)
      o.number("resume_line", state.next_line);
    out << o.take() << '\n';
  } else {
    out << op.name << " of " << file << (complete ? ": done" : ": INCOMPLETE");
    const char* sep = " — ";
    for (const auto& [status, n] : state.counts) {
      out << sep << n << ' ' << status;
      sep = ", ";
    }
    out << '\n';
    if (rejected_total > 0)
      out << rejected_total << " lines rejected; they and their errors are in "
          << reject_path.string() << '\n';
  }
  if (!complete) {
    std::string why = result->broken;
    if (why.empty() && summary)
      why = field_text((*summary)["summary"], "message");
    if (why.empty())
      why = unknown_seen ? "the server could not confirm some lines" : "the answer ended early";
    err << s.command << ": interrupted (" << why << "); lines before " << state.next_line
        << " are done — run the same command again to resume at line " << state.next_line << '\n';
    if (write_failed)
      return kExitInvalidInput;
    return (unknown_seen || (summary && !server_complete)) ? kExitUnavailable : kExitNetwork;
  }
  return rejected_total > 0 ? kExitInvalidInput : kExitOk;
}

}  // namespace banlist::banctl
