// Probe result records: one `PROBE {json}` line per scenario
// SPDX-License-Identifier: MIT
#include "guests/probe/report.hpp"

#include "guests/probe/console.hpp"

namespace probe {

Record::Record(const char* scenario) {
  console::put("PROBE {\"scenario\":\"");
  console::put(scenario);
  console::put("\"");
}

void Record::key(const char* name) {
  console::put(",\"");
  console::put(name);
  console::put("\":");
}

Record& Record::num(const char* name, u64 value) {
  key(name);
  console::put_dec(value);
  return *this;
}

Record& Record::flag(const char* name, bool value) {
  key(name);
  console::put(value ? "true" : "false");
  return *this;
}

Record& Record::text(const char* name, const char* value) {
  key(name);
  console::put("\"");
  console::put(value);
  console::put("\"");
  return *this;
}

void Record::end() {
  console::put("}\n");
  console::flush();
}

}  // namespace probe
