// runhv's static /init for the stock Debian kernel: the kernel's own view as LINUX {json} lines
// SPDX-License-Identifier: MIT
//
// PID 1 of an initramfs holding nothing else. It mounts /proc and /sys, prints
//   LINUX {"record":"start", cpus online, CLOCK_BOOTTIME and /proc/uptime at start, the kernel
//          command line, per-CPU /proc/stat, crng_ready: whether the kernel's crng was seeded
//          (getrandom with GRND_NONBLOCK answers rather than EAGAIN)}
//   LINUX {"record":"phase", name, ms, mark, per-CPU /proc/stat before and after}   one per phase,
//          whose edges are each /proc/stat read between two console marks, "runhv-mark
//          <mark>:begin" and "<mark>:begin:after" (":end", ":end:after"): the hypervisor prints its books
//          there, bracketing the moment Linux's figures stand for
//   LINUX {"record":"input-wait","phase":N,"ms":MS}, then LINUX {"record":"input","phase":N,
//          "line":"..." or null,"timed_out":BOOL}                            for a read phase
//   LINUX {"record":"dmesg","line":"..."}   each kernel log line about Xen, PV time, KPTI, steal,
//                                           Spectre and its mitigations
//   LINUX {"record":"vulnerabilities", one entry per /sys/devices/system/cpu/vulnerabilities file}
//   LINUX {"record":"end","pass":true}
// and powers off with reboot(RB_POWER_OFF). Phases come from the kernel command line:
//   runhv.phases=busy:1000,sleep:500   busy: one pinned spinning child per online CPU for the
//                                      given milliseconds; sleep: nanosleep that long;
//                                      exit:0: init exits, and the kernel panics (a guest crash)
//                                      read:MS: one line from the console (stdin, /dev/console)
//                                      within MS milliseconds, without its line ending
// Every figure is what Linux itself reports; nothing here knows about the hypervisor.
#include <dirent.h>
#include <poll.h>
#include <sched.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr int kMaxCpus = 64;

// One line of /proc/stat's cpuN rows: user nice system idle iowait irq softirq steal (USER_HZ).
struct CpuStat {
  int cpu = -1;
  unsigned long long field[8] = {};
};

std::string read_file(const char* path) {
  std::string out;
  if (FILE* f = std::fopen(path, "r")) {
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
      out.append(buf, n);
    }
    std::fclose(f);
  }
  return out;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", static_cast<unsigned char>(c));
      out += esc;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<CpuStat> read_stat() {
  std::vector<CpuStat> rows;
  const std::string text = read_file("/proc/stat");
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || line[3] < '0' || line[3] > '9') {
      continue;  // not a cpuN row (the first "cpu" row is the sum)
    }
    CpuStat s;
    unsigned long long* f = s.field;
    if (std::sscanf(line.c_str(), "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &s.cpu, &f[0], &f[1], &f[2], &f[3],
                    &f[4], &f[5], &f[6], &f[7]) == 9) {
      rows.push_back(s);
    }
  }
  return rows;
}

std::string stat_json(const std::vector<CpuStat>& rows) {
  static const char* const kNames[8] = {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"};
  std::string out = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s{\"cpu\":%d", i == 0 ? "" : ",", rows[i].cpu);
    out += buf;
    for (int k = 0; k < 8; ++k) {
      std::snprintf(buf, sizeof buf, ",\"%s\":%llu", kNames[k], rows[i].field[k]);
      out += buf;
    }
    out += "}";
  }
  return out + "]";
}

unsigned long long now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<unsigned long long>(ts.tv_sec) * 1'000'000'000ULL + static_cast<unsigned long long>(ts.tv_nsec);
}

void emit(const std::string& json) {
  std::printf("LINUX %s\n", json.c_str());
  std::fflush(stdout);
}

// Asks the hypervisor to print its books now (runhv's console mark), and waits until the UART has
// taken the line.
void mark(const std::string& label) {
  std::printf("runhv-mark %s\n", label.c_str());
  std::fflush(stdout);
  tcdrain(STDOUT_FILENO);
}

// One edge of a window: /proc/stat between two marks, `label` and `label`:after. Linux books a CPU's
// pending steal only at its next tick, so the reader first spins for kEdgeSpinNs (several ticks at
// HZ 250): its own figure is then that of a tick after the first mark. The two marks bracket the
// moment Linux's figure stands for. Returns the read; `ns` gets how long the edge took.
constexpr unsigned long long kEdgeSpinNs = 20'000'000;
std::vector<CpuStat> edge(const std::string& label, unsigned long long& ns) {
  const unsigned long long t0 = now_ns(CLOCK_MONOTONIC);
  mark(label);
  while (now_ns(CLOCK_MONOTONIC) - t0 < kEdgeSpinNs) {
  }
  std::vector<CpuStat> stat = read_stat();
  mark(label + ":after");
  ns = now_ns(CLOCK_MONOTONIC) - t0;
  return stat;
}

int cpus_online() { return static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)); }

// One child per online CPU, pinned there, spinning for `ms`; returns when all have finished.
void busy(unsigned long long ms) {
  const int n = cpus_online();
  std::vector<pid_t> children;
  for (int cpu = 0; cpu < n && cpu < kMaxCpus; ++cpu) {
    const pid_t pid = fork();
    if (pid == 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpu, &set);
      sched_setaffinity(0, sizeof set, &set);
      const unsigned long long until = now_ns(CLOCK_MONOTONIC) + ms * 1'000'000ULL;
      volatile unsigned long long spins = 0;
      while (now_ns(CLOCK_MONOTONIC) < until) {
        spins = spins + 1;
      }
      _exit(0);
    }
    if (pid > 0) {
      children.push_back(pid);
    }
  }
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
  }
}

void sleep_ms(unsigned long long ms) {
  timespec ts{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1'000'000)};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

// One line from stdin (the console, in the tty's canonical mode) within `ms`, without its line
// ending; false when none came in time. A line longer than the buffer is cut at its size.
bool read_line(unsigned long long ms, std::string& line) {
  const unsigned long long until = now_ns(CLOCK_MONOTONIC) + ms * 1'000'000ULL;
  for (;;) {
    const unsigned long long now = now_ns(CLOCK_MONOTONIC);
    if (now >= until) {
      return false;
    }
    pollfd fd{0, POLLIN, 0};
    const int left_ms = static_cast<int>((until - now + 999'999) / 1'000'000);
    const int ready = poll(&fd, 1, left_ms);
    if (ready <= 0) {
      continue;  // timed out (checked above) or interrupted
    }
    if ((fd.revents & POLLIN) == 0) {
      return false;  // hung up or an error: no console to read
    }
    char buf[256];
    const ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) {
      return false;
    }
    line.assign(buf, static_cast<size_t>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) {
      line.pop_back();
    }
    return true;
  }
}

// The read phase: says it waits (the launcher's cue to type), then what it got.
void read_phase(int index, unsigned long long ms) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "{\"record\":\"input-wait\",\"phase\":%d,\"ms\":%llu}", index, ms);
  emit(buf);
  std::string line;
  const bool got = read_line(ms, line);
  std::snprintf(buf, sizeof buf, "{\"record\":\"input\",\"phase\":%d,\"line\":", index);
  emit(buf + (got ? json_string(line) : std::string("null")) + ",\"timed_out\":" + (got ? "false" : "true") + "}");
}

// runhv.phases=name:ms,... from the command line.
std::vector<std::pair<std::string, unsigned long long>> phases(const std::string& cmdline) {
  std::vector<std::pair<std::string, unsigned long long>> out;
  const std::string key = "runhv.phases=";
  const size_t at = cmdline.find(key);
  if (at == std::string::npos) {
    return out;
  }
  const size_t end = cmdline.find_first_of(" \n", at);
  const std::string list =
      cmdline.substr(at + key.size(), end == std::string::npos ? std::string::npos : end - at - key.size());
  size_t pos = 0;
  while (pos < list.size()) {
    const size_t comma = list.find(',', pos);
    const std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    pos = comma == std::string::npos ? list.size() : comma + 1;
    const size_t colon = item.find(':');
    if (colon != std::string::npos) {
      out.emplace_back(item.substr(0, colon), std::strtoull(item.c_str() + colon + 1, nullptr, 10));
    }
  }
  return out;
}

// The kernel log lines that say how Linux found the hypervisor, its time sources and KPTI.
void emit_dmesg() {
  const int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0);
  if (size <= 0) {
    return;
  }
  std::vector<char> buf(static_cast<size_t>(size));
  const int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf.data(), size);
  const std::string text(buf.data(), n > 0 ? static_cast<size_t>(n) : 0);
  static const char* const kTopics[] = {"Xen",     "xen",  "PV time", "pv_time", "steal",        "stolen time", "KPTI",
                                        "GIC",     "psci", "PSCI",    "SMCCC",   "CPU features", "arch_timer",  "BUG",
                                        "WARNING", "Oops", "Spectre", "spectre", "mitigation"};
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    for (const char* topic : kTopics) {
      if (line.find(topic) != std::string::npos) {
        emit("{\"record\":\"dmesg\",\"line\":" + json_string(line) + "}");
        break;
      }
    }
  }
}

// The kernel's verdict on each CPU vulnerability, as /sys/devices/system/cpu/vulnerabilities has
// it (file name -> its one line), in name order.
void emit_vulnerabilities() {
  const char* const dir = "/sys/devices/system/cpu/vulnerabilities";
  std::vector<std::string> names;
  if (DIR* d = opendir(dir)) {
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') {
        names.emplace_back(e->d_name);
      }
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  std::string out = "{\"record\":\"vulnerabilities\"";
  for (const std::string& name : names) {
    std::string value = read_file((std::string(dir) + "/" + name).c_str());
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) {
      value.pop_back();
    }
    out += "," + json_string(name) + ":" + json_string(value);
  }
  emit(out + "}");
}

}  // namespace

int main() {
  const unsigned long long boottime = now_ns(CLOCK_BOOTTIME);
  mount("proc", "/proc", "proc", 0, nullptr);
  mount("sysfs", "/sys", "sysfs", 0, nullptr);
  std::string cmdline = read_file("/proc/cmdline");
  while (!cmdline.empty() && (cmdline.back() == '\n' || cmdline.back() == ' ')) {
    cmdline.pop_back();
  }
  std::string uptime = read_file("/proc/uptime");
  uptime = uptime.substr(0, uptime.find(' '));

  unsigned char probe_byte = 0;
  const bool crng_ready = getrandom(&probe_byte, 1, GRND_NONBLOCK) == 1;
  unsigned long long start_mark_ns = 0;
  const std::vector<CpuStat> start_stat = edge("start", start_mark_ns);  // vs runhv's books since the domain began
  char head[200];
  std::snprintf(head, sizeof head,
                "{\"record\":\"start\",\"cpus_online\":%d,\"boottime_ns\":%llu,\"uptime_s\":%s,\"mark_ns\":%llu,",
                cpus_online(), boottime, uptime.empty() ? "0" : uptime.c_str(), start_mark_ns);
  emit(head + std::string("\"cmdline\":") + json_string(cmdline) + ",\"stat\":" + stat_json(start_stat) +
       ",\"crng_ready\":" + (crng_ready ? "true" : "false") + "}");

  bool ok = true;
  int index = 0;
  for (const auto& [name, ms] : phases(cmdline)) {
    const int phase = index++;
    const std::string label = "p" + std::to_string(phase) + "-" + name;
    unsigned long long begin_mark_ns = 0;
    const std::vector<CpuStat> before = edge(label + ":begin", begin_mark_ns);
    const unsigned long long t0 = now_ns(CLOCK_MONOTONIC);
    if (name == "busy") {
      busy(ms);
    } else if (name == "sleep") {
      sleep_ms(ms);
    } else if (name == "read") {
      read_phase(phase, ms);
    } else if (name == "exit") {
      emit("{\"record\":\"exit\"}");
      _exit(1);
    } else {
      ok = false;
    }
    const unsigned long long elapsed = now_ns(CLOCK_MONOTONIC) - t0;
    unsigned long long end_mark_ns = 0;
    const std::vector<CpuStat> after = edge(label + ":end", end_mark_ns);
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "{\"record\":\"phase\",\"name\":%s,\"ms\":%llu,\"elapsed_ns\":%llu,\"mark_ns\":[%llu,%llu],",
                  json_string(name).c_str(), ms, elapsed, begin_mark_ns, end_mark_ns);
    emit(buf + std::string("\"mark\":") + json_string(label) + ",\"stat_before\":" + stat_json(before) +
         ",\"stat_after\":" + stat_json(after) + "}");
  }
  emit_dmesg();
  emit_vulnerabilities();
  emit(std::string("{\"record\":\"end\",\"pass\":") + (ok ? "true" : "false") + "}");
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
