#!/usr/bin/env python3
# tools/top_view.py: the live view's rows and rates from two rounds of progress lines
# SPDX-License-Identifier: MIT
import io
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import top_view  # noqa: E402


def progress(vcpu, running, runnable, blocked, offline, hypercalls, exits, state=0):
    return "runhv: progress " + json.dumps({
        "domain": 1, "vcpu": vcpu, "running_ns": running, "runnable_ns": runnable, "blocked_ns": blocked,
        "offline_ns": offline, "hypercalls": hypercalls, "exits": exits, "state": state, "pcpu": 0,
        "area_updates": 7, "walk_failures": 1})


class TopViewTest(unittest.TestCase):
    def test_rates_and_interval_steal_come_from_the_difference_of_two_rounds(self):
        out = io.StringIO()
        top = top_view.Top(out, in_place=False)
        self.assertTrue(top.feed("[d1] a guest line"))  # not on a terminal: printed as before
        # Round 1 at 1 s of life, round 2 at 3 s: 2 s apart; 0.5 s more runnable, 1000 hypercalls.
        top.feed(progress(0, 500_000_000, 500_000_000, 0, 0, 10, 100))
        top.feed(progress(0, 2_000_000_000, 1_000_000_000, 0, 0, 1010, 4100, state=1))  # round 2 begins
        top.final()
        rows = [x for x in out.getvalue().splitlines() if x.startswith("d1")]
        self.assertEqual(len(rows), 2)
        first, second = rows[0].split(), rows[1].split()
        self.assertEqual(first[2], "running")
        self.assertEqual(first[8], "-")  # no previous round: no interval figures
        self.assertEqual(second[2], "runnable")
        self.assertEqual(second[8], "25.0")  # 0.5 s of 2 s
        self.assertEqual(second[9], "33.3%")  # 1 s of 3 s in all
        self.assertEqual(second[12:14], ["500", "2000"])  # per second

    def test_a_terminal_gets_the_screen_redrawn_and_the_console_below(self):
        out = io.StringIO()
        top = top_view.Top(out, in_place=True)
        self.assertFalse(top.feed("[d1] hello"))
        top.feed(progress(0, 1, 1, 1, 1, 0, 0))
        top.final()
        self.assertTrue(out.getvalue().startswith("\033[H\033[2J"))
        self.assertIn("[d1] hello", out.getvalue())


if __name__ == "__main__":
    unittest.main()
