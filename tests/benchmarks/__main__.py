"""``python -m tests.benchmarks``: run P1-P7, print the table, write bench-results.json."""

import sys

from tests.benchmarks.run import main

sys.exit(main())
