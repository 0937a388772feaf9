#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""peer-flufl.py: flufl.bounce on one message from stdin (bench/run.sh
peers). Prints the number of failed addresses found."""
import email
import sys
from flufl.bounce import scan_message
message = email.message_from_binary_file(sys.stdin.buffer)
print(len(scan_message(message)))
