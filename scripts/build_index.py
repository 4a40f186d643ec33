#!/usr/bin/env python3
"""Content admins' index script: ``inflow index build`` with plain output for cron and CI.

Usage: scripts/build_index.py [--content DIR] [--data-dir DIR] [--model DIR] [--force]
Exit status is non-zero, with every problem listed as file:line: field: message, if the content is invalid;
the published index is then left as it was.
"""

import sys

from companion.index_commands import build

if __name__ == "__main__":
    build.main(args=[*sys.argv[1:], "--plain"], prog_name="build_index.py")
