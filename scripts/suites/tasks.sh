# SPDX-License-Identifier: GPL-2.0
# Guest side, sourced by the suites: describe the tasks of a test that hangs.

# task_dump PID PREFIX: each task of PID (name, state, wait channel) and its
# kernel stack, every line starting with PREFIX
task_dump() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "$2task ${t##*/} ($(cat "$t/comm" 2>/dev/null)): state $(awk '{ print $3 }' "$t/stat" 2>/dev/null) wchan $(cat "$t/wchan" 2>/dev/null)"
		sed "s/^/$2  /" "$t/stack" 2>/dev/null
	done
}
