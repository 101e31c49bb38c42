// The runhv release this tree builds
// SPDX-License-Identifier: MIT
#pragma once

namespace runhv {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace runhv
