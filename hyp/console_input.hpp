// The operator's input: the board UART's receive interrupt, delivered to the vPL011 of the domain
// with the input focus (core/console_input.hpp: Xen's Ctrl-A x3 switch)
// SPDX-License-Identifier: MIT
//
// The board UART's RX and receive-timeout interrupts are on once a domain has a vPL011 and there
// is a GICv3; its SPI goes to the boot pCPU, which drains the UART and hands every byte to the
// focus domain's vPL011 (raising its SPI 32, kicking the vCPU the vGIC routes it to). What its
// 32-byte receive FIFO has no room for waits in the domain's 1 KiB input ring and follows as the
// guest reads (a pasted line arrives faster than a guest drains); bytes that do not fit there
// either (a guest that is not reading), or that are for a focus domain that has stopped, are
// dropped, counted in one budgeted log line per burst. A domain without a vPL011 never gets input.
#pragma once

#include "core/types.hpp"
#include "hyp/domain.hpp"

namespace runhv::hyp {

// `d` has a vPL011 and takes input (create_domain); the first such domain has the focus.
void console_input_add(const Domain& d);
// Boot CPU, once the domains are built: the receiver of the board UART at `uart` with SPI
// `intid` on, and "runhv: console input to dN ..." printed; nothing when no domain takes input,
// `intid` is 0 or there are no interrupts.
void console_input_start(Pa uart, u32 intid);
// `d` stopped (domain_shutdown): the focus switch skips it.
void console_input_stopped(const Domain& d);
// The operator's keys can still reach a running domain (the receiver is on and a domain that
// takes input has not stopped): what can still wake a domain when nothing else can.
[[nodiscard]] bool console_input_possible();
// With d.lock held: input waiting in d.uart_input moved to its vPL011 as far as its FIFO has room.
void console_input_refill(Domain& d);
// Once every domain is down: the board UART polled (its interrupts off, so no pCPU takes the byte
// for a guest) until byte `want` arrives or `timeout_ns` passes; whether it came.
bool console_input_wait_for(char want, u64 timeout_ns);

}  // namespace runhv::hyp
