#include "store/secrets.hpp"

#include <array>
#include <cstdlib>
#include <vector>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "store/hex.hpp"

namespace banlist::service {
namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  return hex_of_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
}

void fill_random(unsigned char* data, std::size_t size) {
  // RAND_bytes only fails when the CSPRNG cannot be seeded; handing out a
  // predictable secret would be worse than stopping.
  if (RAND_bytes(data, static_cast<int>(size)) != 1)
    std::abort();
}

std::string digest_hex(const EVP_MD* md, std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &length, md, nullptr) != 1) {
    std::abort();  // only on allocation failure
  }
  return to_hex(out.data(), length);
}

}  // namespace

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  fill_random(buffer.data(), buffer.size());
  return to_hex(buffer.data(), buffer.size());
}

std::string new_key_secret() {
  return "blk_" + random_hex(32);
}

std::string key_secret_hash(std::string_view secret) {
  return digest_hex(EVP_sha256(), secret);
}

std::string sha1_hex(std::string_view text) {
  return digest_hex(EVP_sha1(), text);
}

std::uint64_t random_nonzero_u64() {
  std::uint64_t value = 0;
  while (value == 0) {
    std::array<unsigned char, 8> bytes{};
    fill_random(bytes.data(), bytes.size());
    for (auto b : bytes)
      value = (value << 8) | b;
  }
  return value;
}

}  // namespace banlist::service
