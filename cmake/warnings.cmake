# Project-wide warning and sanitizer flags, applied through one interface target
# so third-party headers found as SYSTEM stay quiet.
add_library(banlist_warnings INTERFACE)
target_compile_options(banlist_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(BANLIST_WERROR)
  target_compile_options(banlist_warnings INTERFACE -Werror)
endif()

if(BANLIST_SANITIZE)
  add_compile_options(-fsanitize=${BANLIST_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${BANLIST_SANITIZE})
endif()
