// Probe options from /chosen/bootargs: probe.scenario=, .kpti=, .seconds=, .cpus=, .iterations=, .yields=
// SPDX-License-Identifier: MIT
#include "guests/probe/bootargs.hpp"

#include <string.h>

namespace probe {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

// value/length of `key=` if the word starting at word is that option.
bool match(const char* word, size_t length, const char* key, const char*& value, size_t& value_length) {
  const size_t key_length = strlen(key);
  if (length <= key_length || strncmp(word, key, key_length) != 0 || word[key_length] != '=') {
    return false;
  }
  value = word + key_length + 1;
  value_length = length - key_length - 1;
  return true;
}

u64 parse_number(const char* text, size_t length, u64 fallback) {
  if (length == 0) {
    return fallback;
  }
  u64 value = 0;
  for (size_t i = 0; i < length; ++i) {
    if (text[i] < '0' || text[i] > '9') {
      return fallback;
    }
    value = value * 10 + static_cast<u64>(text[i] - '0');
  }
  return value;
}

}  // namespace

Options parse_bootargs(const char* bootargs) {
  Options options;
  const char* at = bootargs;
  while (*at != '\0') {
    while (is_space(*at)) {
      ++at;
    }
    const char* word = at;
    while (*at != '\0' && !is_space(*at)) {
      ++at;
    }
    const size_t length = static_cast<size_t>(at - word);
    const char* value = nullptr;
    size_t value_length = 0;
    if (match(word, length, "probe.scenario", value, value_length)) {
      const size_t n = value_length < sizeof options.scenario - 1 ? value_length : sizeof options.scenario - 1;
      for (size_t i = 0; i < n; ++i) {
        const char c = value[i];
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                           c == '_' || c == '.';
        options.scenario[i] = plain ? c : '_';  // it is echoed inside a JSON string
      }
      options.scenario[n] = '\0';
    } else if (match(word, length, "probe.kpti", value, value_length)) {
      options.kpti = parse_number(value, value_length, 1) != 0;
    } else if (match(word, length, "probe.seconds", value, value_length)) {
      options.seconds = parse_number(value, value_length, options.seconds);
    } else if (match(word, length, "probe.cpus", value, value_length)) {
      options.cpus = parse_number(value, value_length, options.cpus);
    } else if (match(word, length, "probe.iterations", value, value_length)) {
      const u64 n = parse_number(value, value_length, options.iterations);
      options.iterations = n == 0 ? options.iterations : n;
    } else if (match(word, length, "probe.flag", value, value_length)) {
      options.update_flag = parse_number(value, value_length, 1) != 0;
    } else if (match(word, length, "probe.bench-area", value, value_length)) {
      options.bench_area = parse_number(value, value_length, 0) != 0;
    } else if (match(word, length, "probe.seed", value, value_length)) {
      options.seed = parse_number(value, value_length, options.seed);
    } else if (match(word, length, "probe.hypercalls", value, value_length)) {
      options.hypercalls = parse_number(value, value_length, options.hypercalls);
    } else if (match(word, length, "probe.yields", value, value_length)) {
      const u64 n = parse_number(value, value_length, options.yields);
      options.yields = n == 0 ? options.yields : n;
    }
  }
  return options;
}

}  // namespace probe
