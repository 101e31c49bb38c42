// Probe result records: one `PROBE {json}` line per scenario
// SPDX-License-Identifier: MIT
#pragma once

#include "guests/probe/sysreg.hpp"

namespace probe {

class Record {
 public:
  explicit Record(const char* scenario);
  Record& num(const char* key, u64 value);
  Record& flag(const char* key, bool value);
  Record& text(const char* key, const char* value);  // value must need no JSON escaping
  void end();                                        // closes the object and the line

 private:
  void key(const char* name);
};

}  // namespace probe
