# Finds every dependency among Debian 12's packages. A missing one stops the
# configure step with the package to install; scripts/install-deps installs all.

function(banlist_missing what package)
  message(FATAL_ERROR
    "banlist: ${what} not found. Install the Debian package: apt-get install ${package}"
    " (or run scripts/install-deps as root).")
endfunction()

find_package(Threads REQUIRED)

find_package(PkgConfig QUIET)
if(NOT PkgConfig_FOUND)
  banlist_missing("pkg-config" "pkg-config")
endif()

# xxHash and hiredis: pkg-config (Debian's HiredisConfigVersion.cmake fails
# when no version is requested).
pkg_check_modules(XXHASH QUIET IMPORTED_TARGET libxxhash)
if(NOT XXHASH_FOUND)
  banlist_missing("xxHash" "libxxhash-dev")
endif()

# libphonenumber ships neither a CMake config nor a pkg-config file.
find_library(PHONENUMBER_LIBRARY phonenumber)
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h)
if(NOT PHONENUMBER_LIBRARY OR NOT PHONENUMBER_INCLUDE_DIR)
  banlist_missing("libphonenumber" "libphonenumber-dev")
endif()
add_library(banlist_phonenumber INTERFACE)
target_link_libraries(banlist_phonenumber INTERFACE ${PHONENUMBER_LIBRARY})
target_include_directories(banlist_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})

find_package(simdjson CONFIG QUIET)
if(NOT simdjson_FOUND)
  banlist_missing("simdjson" "libsimdjson-dev")
endif()

find_package(RapidJSON CONFIG QUIET)
if(NOT RapidJSON_FOUND)
  banlist_missing("RapidJSON" "rapidjson-dev")
endif()
add_library(banlist_rapidjson INTERFACE)
target_include_directories(banlist_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})

find_package(Boost 1.74 CONFIG QUIET COMPONENTS program_options)
if(NOT Boost_FOUND)
  banlist_missing("Boost 1.74 (Asio, Beast, program_options)"
                  "libboost-dev libboost-program-options-dev")
endif()

find_package(OpenSSL QUIET)
if(NOT OpenSSL_FOUND)
  banlist_missing("OpenSSL" "libssl-dev")
endif()

if(BANLIST_BUILD_SERVICE)
  pkg_check_modules(HIREDIS QUIET IMPORTED_TARGET hiredis)
  if(NOT HIREDIS_FOUND)
    banlist_missing("hiredis" "libhiredis-dev")
  endif()
  find_path(MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp)
  if(NOT MUSTACHE_INCLUDE_DIR)
    banlist_missing("kainjow mustache" "libkainjow-mustache-dev")
  endif()
endif()

if(BANLIST_BUILD_TESTS)
  find_package(Catch2 2.13 CONFIG QUIET)
  if(NOT Catch2_FOUND)
    banlist_missing("Catch2 2.13" "catch2")
  endif()
endif()

if(BANLIST_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG QUIET)
  if(NOT benchmark_FOUND)
    banlist_missing("Google Benchmark" "libbenchmark-dev")
  endif()
endif()

# Boost 1.74's Asio recognises C++20 coroutines only on GCC. clang (used here
# for fuzzing and sanitizer builds) has them too, through <coroutine>.
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_compile_definitions(BOOST_ASIO_HAS_CO_AWAIT=1 BOOST_ASIO_HAS_STD_COROUTINE=1)
endif()
