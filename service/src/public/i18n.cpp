#include "public/i18n.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <ctime>
#include <utility>

#include "banlist/sdk/reason.hpp"

namespace banlist::service {
namespace {

struct text_pair {
  const char* key;
  const char* zh;
  const char* en;
};

// clang-format off
constexpr std::array kTexts{
  text_pair{"site", "失信账号公示", "Banned accounts notice board"},
  text_pair{"nav_label", "主导航", "Main navigation"},
  text_pair{"nav_notice", "公示名单", "Notice board"},
  text_pair{"nav_bulletins", "典型案例", "Typical cases"},
  text_pair{"nav_feed", "订阅 (Atom)", "Feed (Atom)"},
  text_pair{"lang_label", "语言", "Language"},
  text_pair{"notice_heading", "被封禁账号公示", "Accounts banned for fraud"},
  text_pair{"notice_lede",
            "以下账号因诈骗等行为已被平台封禁。号码已部分隐去。如有人通过这些账号联系您，请提高警惕。",
            "These accounts were banned for scams and similar abuse. Identifiers are partly "
            "hidden. If one of them contacts you, be careful."},
  text_pair{"lookup_heading", "查询账号", "Look up an account"},
  text_pair{"lookup_hint", "输入对方的手机号、邮箱等，查询是否已被公示。",
            "Enter the phone number, e-mail address or other identifier that contacted you."},
  text_pair{"lookup_value", "号码或账号", "Identifier"},
  text_pair{"lookup_button", "查询", "Look up"},
  text_pair{"lookup_result_heading", "查询结果", "Result"},
  text_pair{"lookup_listed", "该账号已被封禁并公示。", "This account is banned and listed."},
  text_pair{"lookup_not_listed", "该账号不在公示名单中。这不代表它一定安全。",
            "This account is not on the public list. That does not prove it is safe."},
  text_pair{"lookup_invalid", "无法识别该号码或账号，请检查格式。",
            "This identifier could not be read; please check it."},
  text_pair{"list_heading", "最新公示", "Latest bans"},
  text_pair{"list_caption", "最新封禁的公开账号，按时间倒序", "Public bans, newest first"},
  text_pair{"list_empty", "暂无符合条件的公示记录。", "No public bans match."},
  text_pair{"filter_heading", "筛选", "Filter"},
  text_pair{"filter_button", "筛选", "Filter"},
  text_pair{"filter_all", "全部", "All"},
  text_pair{"col_identifier", "账号（部分隐去）", "Identifier (masked)"},
  text_pair{"col_type", "类型", "Type"},
  text_pair{"col_reason", "原因", "Reason"},
  text_pair{"col_date", "封禁日期", "Banned on"},
  text_pair{"col_source", "来源平台", "Source platform"},
  text_pair{"col_case", "案件编号", "Case id"},
  text_pair{"pagination", "分页", "Pages"},
  text_pair{"first_page", "最新一页", "Newest"},
  text_pair{"next_page", "下一页", "Next page"},
  text_pair{"bulletins_heading", "典型案例通报", "Typical-case bulletins"},
  text_pair{"bulletins_empty", "暂无通报。", "No bulletins yet."},
  text_pair{"published_on", "发布于", "Published"},
  text_pair{"updated_on", "更新于", "Updated"},
  text_pair{"linked_heading", "相关封禁账号", "Accounts in this case"},
  text_pair{"read_more", "阅读全文", "Read"},
  text_pair{"back_to_bulletins", "返回通报列表", "All bulletins"},
  text_pair{"not_found", "页面不存在。", "Page not found."},
  text_pair{"bad_request", "请求有误：", "Bad request: "},
  text_pair{"unavailable", "服务暂时不可用，请稍后再试。",
            "The service is unavailable; please try again shortly."},
  text_pair{"rate_limited", "查询过于频繁，请稍后再试。", "Too many lookups; please wait a moment."},
  text_pair{"footer", "本页仅显示部分隐去的账号。数据可通过 Atom 订阅获取。",
            "This page shows masked identifiers only. Subscribe through the Atom feed."},
  text_pair{"feed_title", "失信账号公示与典型案例", "Banned accounts and typical cases"},
  text_pair{"feed_ban", "公示封禁", "Banned"},
};
// clang-format on

struct label_pair {
  std::string_view zh;
  std::string_view en;
};

label_pair type_labels(sdk::identifier_type t) noexcept {
  using sdk::identifier_type;
  switch (t) {
    case identifier_type::phone:
      return {"手机号", "Phone"};
    case identifier_type::email:
      return {"电子邮箱", "E-mail"};
    case identifier_type::id_card:
      return {"身份证号", "ID card"};
    case identifier_type::bank_card:
      return {"银行卡号", "Bank card"};
    case identifier_type::device:
      return {"设备", "Device"};
    case identifier_type::account:
      return {"平台账号", "Platform account"};
    case identifier_type::domain:
      return {"域名", "Domain"};
    case identifier_type::app:
      return {"应用", "App"};
  }
  return {"其他", "Other"};
}

label_pair reason_labels(sdk::ban_reason r) noexcept {
  using sdk::ban_reason;
  switch (r) {
    case ban_reason::telecom_fraud:
      return {"电信诈骗", "Telecom fraud"};
    case ban_reason::phishing:
      return {"钓鱼", "Phishing"};
    case ban_reason::fake_shop:
      return {"虚假购物", "Fake shop"};
    case ban_reason::loan_fraud:
      return {"贷款诈骗", "Loan fraud"};
    case ban_reason::investment_fraud:
      return {"投资理财诈骗", "Investment fraud"};
    case ban_reason::impersonation:
      return {"冒充身份", "Impersonation"};
    case ban_reason::romance_scam:
      return {"婚恋交友诈骗", "Romance scam"};
    case ban_reason::task_scam:
      return {"刷单返利诈骗", "Task scam"};
    case ban_reason::dispute_fraud:
      return {"恶意投诉", "Dispute fraud"};
    case ban_reason::money_mule:
      return {"涉诈资金账户", "Money mule"};
    case ban_reason::account_trading:
      return {"买卖账号", "Account trading"};
    case ban_reason::gambling:
      return {"赌博推广", "Gambling"};
    case ban_reason::malware:
      return {"恶意应用", "Malware"};
    case ban_reason::spam:
      return {"垃圾信息", "Spam"};
    case ban_reason::other:
      return {"其他", "Other"};
  }
  return {"其他", "Other"};
}

std::optional<language> named_language(std::string_view tag) {
  auto lower_starts = [&](std::string_view prefix) {
    if (tag.size() < prefix.size())
      return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(tag[i])) != prefix[i])
        return false;
    }
    return tag.size() == prefix.size() || tag[prefix.size()] == '-' || tag[prefix.size()] == '_';
  };
  if (lower_starts("zh"))
    return language::zh;
  if (lower_starts("en"))
    return language::en;
  return std::nullopt;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

language choose_language(const std::string* lang_param, std::string_view accept_language) {
  if (lang_param) {
    if (auto chosen = named_language(*lang_param))
      return *chosen;
  }
  std::optional<language> best;
  double best_q = 0;
  while (!accept_language.empty()) {
    const auto comma = accept_language.find(',');
    std::string_view item = accept_language.substr(0, comma);
    accept_language =
        comma == std::string_view::npos ? std::string_view{} : accept_language.substr(comma + 1);
    double q = 1.0;
    const auto semi = item.find(';');
    std::string_view tag = trim(item.substr(0, semi));
    if (semi != std::string_view::npos) {
      std::string_view param = trim(item.substr(semi + 1));
      if (param.starts_with("q=")) {
        param.remove_prefix(2);
        double parsed = 0;
        const auto [end, ec] = std::from_chars(param.data(), param.data() + param.size(), parsed);
        q = ec == std::errc{} ? parsed : 0;
      }
    }
    const auto lang = named_language(tag);
    if (lang && q > best_q) {
      best = lang;
      best_q = q;
    }
  }
  return best.value_or(language::zh);
}

std::string_view lang_param(language lang) noexcept {
  return lang == language::en ? "en" : "zh";
}

std::string_view lang_tag(language lang) noexcept {
  return lang == language::en ? "en" : "zh-CN";
}

const kainjow::mustache::data& text_table(language lang) {
  static const auto build = [](language l) {
    kainjow::mustache::data t{kainjow::mustache::data::type::object};
    for (const auto& entry : kTexts)
      t.set(entry.key, l == language::en ? entry.en : entry.zh);
    return t;
  };
  static const kainjow::mustache::data zh = build(language::zh);
  static const kainjow::mustache::data en = build(language::en);
  return lang == language::en ? en : zh;
}

const std::string& text_of(language lang, std::string_view key) {
  static const std::string empty;
  const auto* value = text_table(lang).get(std::string(key));
  return value && value->is_string() ? value->string_value() : empty;
}

std::string_view type_label(sdk::identifier_type type, language lang) noexcept {
  const auto l = type_labels(type);
  return lang == language::en ? l.en : l.zh;
}

std::string reason_label(std::string_view reason, language lang) {
  const auto parsed = sdk::parse_reason(reason);
  if (!parsed)
    return std::string(reason);
  const auto l = reason_labels(*parsed);
  return std::string(lang == language::en ? l.en : l.zh);
}

std::string format_date(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

}  // namespace banlist::service
