// TensorBoard event files, written without TensorFlow: the few protocol
// buffer fields of tensorflow/core/util/event.proto and summary.proto that
// scalars need, encoded by hand.
#include "tools/lathe/EventFile.h"

#include <array>
#include <chrono>
#include <cstring>
#include <unistd.h>

namespace lathe::cli {
namespace {

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord uses.
uint32_t crc32c(const char *data, size_t size) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k)
        c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i)
    crc = table[(crc ^ uint8_t(data[i])) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t maskedCrc(const char *data, size_t size) {
  uint32_t crc = crc32c(data, size);
  return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

template <typename T> void appendLittle(std::string &s, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T)); // Little-endian hosts only (x86, ARM).
  s.append(bytes, sizeof(T));
}

void varint(std::string &s, uint64_t v) {
  while (v >= 0x80) {
    s.push_back(char(v | 0x80));
    v >>= 7;
  }
  s.push_back(char(v));
}

// Protocol buffer fields: key = field number << 3 | wire type.
void fieldVarint(std::string &s, int field, uint64_t v) {
  varint(s, uint64_t(field) << 3);
  varint(s, v);
}
void fieldDouble(std::string &s, int field, double v) {
  varint(s, uint64_t(field) << 3 | 1);
  appendLittle(s, v);
}
void fieldFloat(std::string &s, int field, float v) {
  varint(s, uint64_t(field) << 3 | 5);
  appendLittle(s, v);
}
void fieldBytes(std::string &s, int field, const std::string &v) {
  varint(s, uint64_t(field) << 3 | 2);
  varint(s, v.size());
  s += v;
}

double wallTime() {
  return std::chrono::duration<double>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

std::string EventFile::open(const std::string &dir) {
  char host[256] = "localhost";
  gethostname(host, sizeof(host) - 1);
  auto seconds = int64_t(wallTime());
  std::string path = dir + "/events.out.tfevents." + std::to_string(seconds) +
                     "." + host + ".lathe";
  out.open(path, std::ios::binary | std::ios::trunc);
  if (!out)
    return path + ": cannot create";
  // Event { wall_time = 1; step = 2; file_version = 3 }.
  std::string event;
  fieldDouble(event, 1, wallTime());
  fieldVarint(event, 2, 0);
  fieldBytes(event, 3, "brain.Event:2");
  record(event);
  return "";
}

void EventFile::scalar(const std::string &tag, int64_t step, double value) {
  // Summary.Value { tag = 1; simple_value = 2 }, Summary { value = 1 },
  // Event { wall_time = 1; step = 2; summary = 5 }.
  std::string v, summary, event;
  fieldBytes(v, 1, tag);
  fieldFloat(v, 2, float(value));
  fieldBytes(summary, 1, v);
  fieldDouble(event, 1, wallTime());
  fieldVarint(event, 2, uint64_t(step));
  fieldBytes(event, 5, summary);
  record(event);
}

void EventFile::record(const std::string &event) {
  std::string header;
  appendLittle(header, uint64_t(event.size()));
  std::string frame = header;
  appendLittle(frame, maskedCrc(header.data(), header.size()));
  frame += event;
  appendLittle(frame, maskedCrc(event.data(), event.size()));
  out.write(frame.data(), std::streamsize(frame.size()));
}

} // namespace lathe::cli
