// templates: the public pages' mustache templates and stylesheet
// (service/templates/), embedded into the binary at build time by
// service/src/CMakeLists.txt. Constant data; thread-safe.
#pragma once

#include <string_view>

namespace banlist::service::templates {

extern const std::string_view layout;
extern const std::string_view notice;
extern const std::string_view lookup;
extern const std::string_view lookup_form;
extern const std::string_view ban_table;
extern const std::string_view message;
extern const std::string_view bulletins;
extern const std::string_view bulletin;
extern const std::string_view feed;
extern const std::string_view notice_css;

}  // namespace banlist::service::templates
