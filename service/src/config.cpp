#include "config.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>

namespace banlist::service {
namespace po = boost::program_options;
namespace {

// "max-connections" -> "BANLIST_MAX_CONNECTIONS".
std::string env_name(std::string_view option) {
  std::string name = "BANLIST_";
  for (char c : option)
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
  return name;
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

}  // namespace

std::expected<std::pair<std::string, std::uint16_t>, std::string> parse_listen_address(
    std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return std::unexpected("expected host:port");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const auto port = parse_number<std::uint16_t>(text.substr(colon + 1));
  if (host.empty() || !port)
    return std::unexpected("expected host:port");
  return std::pair{std::string(host), *port};
}

std::expected<config_outcome, std::string> parse_config(const std::vector<std::string>& args,
                                                        const env_lookup& getenv) {
  config_outcome out;
  service_config& c = out.config;
  std::string listen = "127.0.0.1:8080";
  std::string seed;
  std::size_t read_timeout_ms = 10000, idle_timeout_ms = 60000, shutdown_timeout_ms = 25000,
              redis_timeout_ms = 2000, key_cache_ttl_ms = 5000, heartbeat_ms = 15000,
              stream_idle_timeout_ms = 30000;
  std::size_t snapshot_max_age_ms = 60000, log_retain_age_s = 7 * 86400,
              retention_interval_ms = 60000;
  std::string sentinels;
  std::size_t sentinel_timeout_ms = 1000, replica_ack_timeout_ms = 1000;
  std::size_t expiry_interval_ms = 1000;
  std::string checkpoint;
  std::size_t checkpoint_interval_ms = 600000;

  po::options_description desc("banlistd options (each also read from BANLIST_<NAME>)");
  // clang-format off
  desc.add_options()
    ("help", "print this help and exit")
    ("listen", po::value(&listen)->default_value(listen), "address to listen on, host:port")
    ("redis", po::value(&c.redis_url), "redis://host:port/db or unix:///path; "
                                       "without it an embedded redis-server is started")
    ("data", po::value(&c.data_dir)->default_value(c.data_dir),
     "data directory of the embedded redis-server")
    ("redis-server", po::value(&c.redis_server_path)->default_value(c.redis_server_path),
     "redis-server binary for the embedded mode")
    ("key-prefix", po::value(&c.key_prefix)->default_value(c.key_prefix), "Redis key prefix")
    ("seed", po::value(&seed), "64-bit fingerprint seed (decimal or 0x hex); "
                               "default: the one stored with the list")
    ("threads", po::value(&c.threads)->default_value(0), "I/O threads (0: hardware cores)")
    ("max-connections", po::value(&c.max_connections)->default_value(c.max_connections),
     "connections beyond this are refused with 503")
    ("header-limit", po::value(&c.header_limit)->default_value(c.header_limit),
     "largest request header in bytes (431 above)")
    ("body-limit", po::value(&c.body_limit)->default_value(c.body_limit),
     "largest request body in bytes (413 above)")
    ("batch-body-limit", po::value(&c.batch_body_limit)->default_value(c.batch_body_limit),
     "largest body of POST /v1/check")
    ("batch-max-items", po::value(&c.batch_max_items)->default_value(c.batch_max_items),
     "most items in one POST /v1/check (413 above)")
    ("read-timeout-ms", po::value(&read_timeout_ms)->default_value(read_timeout_ms),
     "deadline to receive a whole request, and for the client to take each piece of a response")
    ("idle-timeout-ms", po::value(&idle_timeout_ms)->default_value(idle_timeout_ms),
     "keep-alive idle time before the connection is closed")
    ("shutdown-timeout-ms", po::value(&shutdown_timeout_ms)->default_value(shutdown_timeout_ms),
     "longest graceful shutdown before in-flight requests are cut")
    ("redis-timeout-ms", po::value(&redis_timeout_ms)->default_value(redis_timeout_ms),
     "deadline of one Redis command")
    ("filter-capacity", po::value(&c.filter_capacity)->default_value(c.filter_capacity),
     "Bloom filter capacity (at least twice the banned count is used)")
    ("filter-fp-rate", po::value(&c.filter_fp_rate)->default_value(c.filter_fp_rate),
     "Bloom filter design false-positive rate")
    ("key-cache-ttl-ms", po::value(&key_cache_ttl_ms)->default_value(key_cache_ttl_ms),
     "how long an API key lookup is cached")
    ("stream-queue-messages",
     po::value(&c.stream_queue_messages)->default_value(c.stream_queue_messages),
     "messages queued per subscriber before it is reset as a slow consumer")
    ("stream-queue-bytes", po::value(&c.stream_queue_bytes)->default_value(c.stream_queue_bytes),
     "bytes queued per subscriber before it is reset as a slow consumer")
    ("heartbeat-ms", po::value(&heartbeat_ms)->default_value(heartbeat_ms),
     "subscription heartbeat interval")
    ("stream-idle-timeout-ms",
     po::value(&stream_idle_timeout_ms)->default_value(stream_idle_timeout_ms),
     "WebSocket: ping after half of this without traffic, close after all of it")
    ("stream-send-buffer", po::value(&c.stream_send_buffer)->default_value(0),
     "SO_SNDBUF of subscription sockets in bytes (0: OS default)")
    ("instance-name", po::value(&c.instance_name), "name shown by GET /v1/subscribers "
                                                   "(default: listen host:port)")
    ("deltas-min-wait-s", po::value(&c.deltas_min_wait_s)->default_value(c.deltas_min_wait_s),
     "GET /v1/deltas: min_wait_s hint when the client is up to date")
    ("snapshot-max-changes",
     po::value(&c.snapshot_max_changes)->default_value(c.snapshot_max_changes),
     "rebuild the served snapshot once it is this many changes behind")
    ("snapshot-max-age-ms", po::value(&snapshot_max_age_ms)->default_value(snapshot_max_age_ms),
     "rebuild the served snapshot once it is this old and behind")
    ("delta-window", po::value(&c.delta_window)->default_value(c.delta_window),
     "newest changes kept in memory for GET /v1/deltas (capped at --log-retain-count; "
     "0 reads every poll from Redis)")
    ("log-retain-count", po::value(&c.log_retain_count)->default_value(c.log_retain_count),
     "change-log entries always kept (older ones may be trimmed)")
    ("log-retain-age", po::value(&log_retain_age_s)->default_value(log_retain_age_s),
     "seconds: change-log entries younger than this are kept")
    ("checkpoint", po::value(&checkpoint),
     "file for the start-up checkpoint (the newest list snapshot, so a restart need not "
     "scan Redis); 'none' turns it off (default: DATA/checkpoint.fps with the embedded "
     "redis-server, none with --redis or --redis-sentinel)")
    ("snapshot-dir", po::value(&c.snapshot_dir),
     "directory for the served snapshot files (default: DATA/snapshots with the embedded "
     "Redis; a private directory under $TMPDIR with --redis or --redis-sentinel)")
    ("checkpoint-interval-ms",
     po::value(&checkpoint_interval_ms)->default_value(checkpoint_interval_ms),
     "write the checkpoint at most this often (after a snapshot build)")
    ("retention-interval-ms",
     po::value(&retention_interval_ms)->default_value(retention_interval_ms),
     "how often the change log is trimmed")
    ("public-lookup-rate",
     po::value(&c.public_lookup_per_minute)->default_value(c.public_lookup_per_minute),
     "public lookups and public JSON per client address per minute (0: no limit)")
    ("public-lookup-burst",
     po::value(&c.public_lookup_burst)->default_value(c.public_lookup_burst),
     "public lookups a client may make at once")
    ("public-page-rate",
     po::value(&c.public_page_per_minute)->default_value(c.public_page_per_minute),
     "notice pages, bulletins and feed per client address per minute (0: no limit)")
    ("public-page-burst", po::value(&c.public_page_burst)->default_value(c.public_page_burst),
     "public pages a client may load at once")
    ("bulk-change-limit", po::value(&c.bulk_change_limit)->default_value(c.bulk_change_limit),
     "percent of the list one import may change without ?confirm=true")
    ("bulk-change-min", po::value(&c.bulk_change_min)->default_value(c.bulk_change_min),
     "changes one import may always make without ?confirm=true (small lists)")
    ("expiry-interval-ms", po::value(&expiry_interval_ms)->default_value(expiry_interval_ms),
     "how often bans whose expires_at passed are lifted (every instance sweeps)")
    ("tls-cert", po::value(&c.tls_cert), "PEM certificate chain: serve HTTPS")
    ("tls-key", po::value(&c.tls_key), "PEM private key for --tls-cert")
    ("redis-sentinel", po::value(&sentinels),
     "host:port,... of Redis Sentinels: discover and follow the primary (instead of --redis)")
    ("redis-master-name", po::value(&c.redis_master_name),
     "the master name the sentinels monitor (with --redis-sentinel)")
    ("sentinel-timeout-ms", po::value(&sentinel_timeout_ms)->default_value(sentinel_timeout_ms),
     "deadline for one sentinel to connect and answer")
    ("replica-acks", po::value(&c.replica_acks)->default_value(0),
     "acknowledge a ban or lift only once this many replicas have it (WAIT); 0: primary only")
    ("replica-ack-timeout-ms",
     po::value(&replica_ack_timeout_ms)->default_value(replica_ack_timeout_ms),
     "how long WAIT waits for --replica-acks replicas before answering 503 outcome_unknown")
    ("read-from-replicas",
     po::value(&c.read_from_replicas)->default_value(false)->implicit_value(true),
     "confirm filter hits on a replica Sentinel lists (a 'not banned' is re-asked on the "
     "primary)");
  // clang-format on

  po::variables_map vm;
  try {
    std::vector<const char*> argv;
    for (const auto& a : args)
      argv.push_back(a.c_str());
    po::store(
        po::command_line_parser(static_cast<int>(argv.size()), argv.data()).options(desc).run(),
        vm);
    // The environment only fills what the command line left unset: the
    // first stored value of an option wins.
    std::vector<std::string> env_args{args.empty() ? std::string("banlistd") : args[0]};
    for (const auto& option : desc.options()) {
      const std::string& name = option->long_name();
      if (name == "help")
        continue;
      if (const char* value = getenv(env_name(name).c_str())) {
        env_args.push_back("--" + name + "=" + value);
      }
    }
    std::vector<const char*> env_argv;
    for (const auto& a : env_args)
      env_argv.push_back(a.c_str());
    po::store(po::command_line_parser(static_cast<int>(env_argv.size()), env_argv.data())
                  .options(desc)
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    return std::unexpected(std::string(e.what()));
  }

  if (vm.count("help")) {
    std::ostringstream text;
    text << "banlistd: account ban list service\n\n"
         << desc << "\n"
         << "Environment: BANLIST_ADMIN_KEY registers that secret as an admin API key.\n";
    out.show_help = true;
    out.help_text = text.str();
    return out;
  }

  auto address = parse_listen_address(listen);
  if (!address)
    return std::unexpected("--listen " + listen + ": " + address.error());
  c.listen_host = address->first;
  c.listen_port = address->second;

  if (!seed.empty()) {
    std::optional<std::uint64_t> value;
    if (seed.starts_with("0x") || seed.starts_with("0X")) {
      std::uint64_t v = 0;
      const auto [end, ec] = std::from_chars(seed.data() + 2, seed.data() + seed.size(), v, 16);
      if (ec == std::errc{} && end == seed.data() + seed.size() && seed.size() > 2)
        value = v;
    } else {
      value = parse_number<std::uint64_t>(seed);
    }
    if (!value)
      return std::unexpected("--seed " + seed + ": expected a 64-bit number");
    c.seed = value;
  }
  if (c.threads == 0)
    c.threads = std::max(1u, std::thread::hardware_concurrency());
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return std::unexpected(std::string("--tls-cert and --tls-key go together"));
  }
  if (!(c.filter_fp_rate > 0.0 && c.filter_fp_rate < 0.5)) {
    return std::unexpected(std::string("--filter-fp-rate must be in (0, 0.5)"));
  }
  if (c.header_limit < 256 || c.body_limit < 256 || c.batch_body_limit < c.body_limit) {
    return std::unexpected(
        std::string("limits: header and body at least 256 bytes; batch-body-limit >= body-limit"));
  }
  if (c.batch_max_items == 0 || c.max_connections == 0) {
    return std::unexpected(std::string("batch-max-items and max-connections must be positive"));
  }
  c.read_timeout = std::chrono::milliseconds(read_timeout_ms);
  c.idle_timeout = std::chrono::milliseconds(idle_timeout_ms);
  c.shutdown_timeout = std::chrono::milliseconds(shutdown_timeout_ms);
  c.redis_timeout = std::chrono::milliseconds(redis_timeout_ms);
  c.key_cache_ttl = std::chrono::milliseconds(key_cache_ttl_ms);
  if (c.stream_queue_messages == 0 || c.stream_queue_bytes < 4096 || heartbeat_ms < 100 ||
      stream_idle_timeout_ms < 1000) {
    return std::unexpected(
        std::string("subscriptions: stream-queue-messages > 0, stream-queue-bytes >= 4096, "
                    "heartbeat-ms >= 100, stream-idle-timeout-ms >= 1000"));
  }
  c.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  c.stream_idle_timeout = std::chrono::milliseconds(stream_idle_timeout_ms);
  if (c.deltas_min_wait_s > 86400 || c.snapshot_max_changes == 0 || snapshot_max_age_ms < 100 ||
      c.log_retain_count == 0 || retention_interval_ms < 100) {
    return std::unexpected(std::string(
        "deltas: deltas-min-wait-s <= 86400, snapshot-max-changes and log-retain-count > 0, "
        "snapshot-max-age-ms and retention-interval-ms >= 100"));
  }
  if (!(c.bulk_change_limit >= 0.0 && c.bulk_change_limit <= 100.0)) {
    return std::unexpected(std::string("--bulk-change-limit is a percentage, 0 to 100"));
  }
  if (expiry_interval_ms < 10 || expiry_interval_ms > 3600000) {
    return std::unexpected(std::string("--expiry-interval-ms must be 10..3600000"));
  }
  c.expiry_interval = std::chrono::milliseconds(expiry_interval_ms);
  c.snapshot_max_age = std::chrono::milliseconds(snapshot_max_age_ms);
  c.log_retain_age = std::chrono::seconds(log_retain_age_s);
  c.retention_interval = std::chrono::milliseconds(retention_interval_ms);
  if (!sentinels.empty()) {
    for (std::string_view rest = sentinels; !rest.empty();) {
      const auto comma = rest.find(',');
      const auto item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (!parse_listen_address(item) || parse_listen_address(item)->second == 0)
        return std::unexpected("--redis-sentinel: '" + std::string(item) + "' is not host:port");
      c.redis_sentinels.emplace_back(item);
    }
  }
  if (c.redis_sentinels.empty() != c.redis_master_name.empty()) {
    return std::unexpected(std::string("--redis-sentinel and --redis-master-name go together"));
  }
  if (c.read_from_replicas && c.redis_sentinels.empty()) {
    return std::unexpected(std::string("--read-from-replicas needs --redis-sentinel"));
  }
  if (!c.redis_sentinels.empty() && !c.redis_url.empty()) {
    return std::unexpected(
        std::string("give either --redis or --redis-sentinel: Sentinel names the primary"));
  }
  if (sentinel_timeout_ms < 10 || sentinel_timeout_ms > 60000 || replica_ack_timeout_ms < 1 ||
      replica_ack_timeout_ms > 60000 || c.replica_acks > 100) {
    return std::unexpected(
        std::string("high availability: sentinel-timeout-ms in [10, 60000], "
                    "replica-ack-timeout-ms in [1, 60000], replica-acks <= 100"));
  }
  c.sentinel_timeout = std::chrono::milliseconds(sentinel_timeout_ms);
  c.replica_ack_timeout = std::chrono::milliseconds(replica_ack_timeout_ms);
  if (!(c.public_lookup_per_minute >= 0) || !(c.public_page_per_minute >= 0) ||
      !(c.public_lookup_burst >= 1) || !(c.public_page_burst >= 1)) {
    return std::unexpected(std::string("public: public-*-rate >= 0 (0: off), public-*-burst >= 1"));
  }
  if (checkpoint_interval_ms < 1000) {
    return std::unexpected(std::string("--checkpoint-interval-ms must be at least 1000"));
  }
  c.checkpoint_interval = std::chrono::milliseconds(checkpoint_interval_ms);
  if (checkpoint == "none") {
    c.checkpoint_path.clear();
  } else if (!checkpoint.empty()) {
    c.checkpoint_path = checkpoint;
  } else if (c.redis_url.empty() && c.redis_sentinels.empty()) {
    c.checkpoint_path = c.data_dir + "/checkpoint.fps";
  }
  if (c.snapshot_dir.empty() && c.redis_url.empty() && c.redis_sentinels.empty())
    c.snapshot_dir = c.data_dir + "/snapshots";
  if (const char* admin = getenv("BANLIST_ADMIN_KEY"))
    c.admin_key = admin;
  return out;
}

}  // namespace banlist::service
