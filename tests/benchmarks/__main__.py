"""``python -m tests.benchmarks``: run P1-P12 and the -PG scenarios, print the table, write bench-results.json."""

import sys

from tests.benchmarks.run import main

sys.exit(main())
