#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Describe a test VM that did not finish, from the host.

    vm-hangdump.py MONITOR_SOCKET SYSTEM_MAP

Asks QEMU's human monitor for every vCPU's registers three times, two
seconds apart, and prints each vCPU's RIP with the kernel symbol it falls
in (from SYSTEM_MAP). A guest whose kernel spins shows the same function
every time; a vCPU running a nested (L2) guest shows an address outside
the kernel. Exit status 1 if the monitor cannot be reached.
"""
import bisect
import re
import socket
import sys
import time


def load_symbols(path):
    addrs, names = [], []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[1] in "tTwW":
                    addrs.append(int(parts[0], 16))
                    names.append(parts[2])
    except OSError:
        pass
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    return [addrs[i] for i in order], [names[i] for i in order]


def symbolize(rip, addrs, names):
    i = bisect.bisect_right(addrs, rip) - 1
    if i < 0 or rip - addrs[i] > 0x100000:
        return "(not kernel text)"
    return "%s+0x%x" % (names[i], rip - addrs[i])


def command(sock, cmd):
    sock.sendall(cmd.encode() + b"\n")
    data = b""
    sock.settimeout(2.0)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except socket.timeout:
        pass
    return data.decode(errors="replace")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    addrs, names = load_symbols(sys.argv[2])
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.connect(sys.argv[1])
    except OSError as e:
        print("vm-hangdump: no QEMU monitor at %s: %s" % (sys.argv[1], e))
        return 1
    command(sock, "")
    for sample in range(3):
        out = command(sock, "info registers -a")
        cpus = re.split(r"\nCPU#(\d+)", "\n" + out)
        for i in range(1, len(cpus) - 1, 2):
            regs = cpus[i + 1]
            rip = re.search(r"RIP=([0-9a-f]+)", regs)
            cpl = re.search(r"CPL=(\d)", regs)
            hlt = re.search(r"HLT=(\d)", regs)
            if not rip:
                continue
            addr = int(rip.group(1), 16)
            print("sample %d: CPU %s RIP %016x CPL %s HLT %s %s" % (
                sample, cpus[i], addr, cpl.group(1) if cpl else "?",
                hlt.group(1) if hlt else "?",
                symbolize(addr, addrs, names)))
        if sample < 2:
            time.sleep(2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
